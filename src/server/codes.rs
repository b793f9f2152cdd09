//! Authorization codes (RFC 6749 §4.1.2, §10.5): random, short-lived,
//! single-use, bound to the client, the redirect URI and the PKCE challenge.
//!
//! Codes are stored under their SHA-256 digest. Redemption takes the code out
//! under one lock, so of concurrent redemptions exactly one gets it; the
//! consumed entry is remembered so that a replay is recognised and the tokens
//! issued from the code can be revoked (§4.1.2: "SHOULD revoke").

use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::jwt::b64url;

/// 32 random bytes: 256 bits, above RFC 6749 §10.10's 2^-160 advice.
const CODE_BYTES: usize = 32;

/// What an approved authorization request left for the token request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    pub client_id: String,
    pub redirect_uri: String,
    /// Whether the authorization request carried `redirect_uri` (then the
    /// token request must repeat it, §4.1.3).
    pub redirect_uri_sent: bool,
    pub scope: Vec<String>,
    /// Empty when no challenge was bound (only under a PKCE fault).
    pub code_challenge: String,
    /// The challenge is the verifier itself (`plain`; only under a fault).
    pub plain: bool,
    pub expires_at_ms: i64,
}

/// The outcome of taking a code.
#[derive(Debug, PartialEq, Eq)]
pub enum Redemption {
    /// First use: the grant, now consumed whatever happens next.
    Fresh(CodeGrant),
    /// Used before: these token ids were issued from it and must be revoked.
    Replayed {
        revoke: Vec<String>,
    },
    Unknown,
}

/// How single use is enforced: always (the contract), or not quite (faults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    Never,
    /// `code-reusable`: a code may be redeemed any number of times.
    Always,
    /// `code-reuse-window`: a second redemption this soon after the first
    /// still succeeds, as with a check-then-set that is not atomic.
    Within {
        window_ms: i64,
        now_ms: i64,
    },
}

/// What a new code looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeShape {
    /// This many random bytes, base64url.
    Random(usize),
    /// base64url JSON holding the challenge (`code-embeds-challenge`).
    EmbedsChallenge,
}

#[derive(Debug, Default)]
pub struct CodeStore {
    entries: Mutex<HashMap<[u8; 32], Entry>>,
}

#[derive(Debug)]
enum Entry {
    Active(CodeGrant),
    Consumed {
        grant: CodeGrant,
        consumed_at_ms: i64,
        issued: Vec<String>,
        replayed: bool,
        forget_at_ms: i64,
    },
}

impl CodeStore {
    /// Stores a grant and returns its new code. `remember_ms` is how long a
    /// consumed code stays known after it expires (the token lifetime), so
    /// that replays within that time still revoke.
    pub fn issue(&self, grant: CodeGrant, now_ms: i64, remember_ms: i64) -> String {
        self.issue_shaped(grant, now_ms, remember_ms, CodeShape::Random(CODE_BYTES))
    }

    pub fn issue_shaped(&self, grant: CodeGrant, now_ms: i64, remember_ms: i64, shape: CodeShape) -> String {
        let code = match shape {
            CodeShape::Random(n) => {
                let mut bytes = vec![0u8; n];
                rand::rng().fill_bytes(&mut bytes);
                b64url(&bytes)
            }
            CodeShape::EmbedsChallenge => {
                let nonce = b64url(&rand::random::<[u8; 16]>());
                let json = serde_json::json!({"c": grant.code_challenge, "n": nonce});
                b64url(json.to_string().as_bytes())
            }
        };
        let mut entries = self.entries.lock().expect("code store lock");
        entries.retain(|_, e| match e {
            Entry::Active(g) => g.expires_at_ms.saturating_add(remember_ms) > now_ms,
            Entry::Consumed { forget_at_ms, .. } => *forget_at_ms > now_ms,
        });
        entries.insert(digest(&code), Entry::Active(grant));
        code
    }

    /// Takes a code atomically: a fresh code becomes consumed (unless a
    /// fault's [`Reuse`] says otherwise).
    pub fn take(&self, code: &str, remember_ms: i64, reuse: Reuse) -> Redemption {
        let mut entries = self.entries.lock().expect("code store lock");
        let Some(entry) = entries.get_mut(&digest(code)) else {
            return Redemption::Unknown;
        };
        match entry {
            Entry::Active(grant) if reuse == Reuse::Always => Redemption::Fresh(grant.clone()),
            Entry::Active(grant) => {
                let grant = grant.clone();
                let consumed_at_ms = match reuse {
                    Reuse::Within { now_ms, .. } => now_ms,
                    _ => 0,
                };
                *entry = Entry::Consumed {
                    grant: grant.clone(),
                    consumed_at_ms,
                    issued: Vec::new(),
                    replayed: false,
                    forget_at_ms: grant.expires_at_ms.saturating_add(remember_ms),
                };
                Redemption::Fresh(grant)
            }
            Entry::Consumed {
                grant, consumed_at_ms, ..
            } if matches!(reuse, Reuse::Within { window_ms, now_ms } if now_ms - *consumed_at_ms < window_ms) => {
                Redemption::Fresh(grant.clone())
            }
            Entry::Consumed { issued, replayed, .. } => {
                *replayed = true;
                Redemption::Replayed {
                    revoke: std::mem::take(issued),
                }
            }
        }
    }

    /// Makes a consumed, never replayed code usable again
    /// (`failed-exchange-keeps-code`).
    pub fn restore(&self, code: &str) {
        let mut entries = self.entries.lock().expect("code store lock");
        if let Some(entry) = entries.get_mut(&digest(code))
            && let Entry::Consumed {
                grant, replayed: false, ..
            } = entry
        {
            *entry = Entry::Active(grant.clone());
        }
    }

    /// Whether `challenge` is bound to any code the store knows
    /// (`verifier-any-session`).
    pub fn knows_challenge(&self, challenge: &str) -> bool {
        self.entries.lock().expect("code store lock").values().any(|e| match e {
            Entry::Active(g) | Entry::Consumed { grant: g, .. } => g.code_challenge == challenge,
        })
    }

    /// The client an unused code was issued to, without taking it (faults
    /// that look at the code before authenticating the client).
    pub fn client_of(&self, code: &str) -> Option<String> {
        match self.entries.lock().expect("code store lock").get(&digest(code)) {
            Some(Entry::Active(grant)) => Some(grant.client_id.clone()),
            _ => None,
        }
    }

    /// Records a token issued from `code`. Returns `false` when the code was
    /// replayed meanwhile: the caller must revoke that token at once.
    pub fn record_token(&self, code: &str, jti: &str) -> bool {
        let mut entries = self.entries.lock().expect("code store lock");
        match entries.get_mut(&digest(code)) {
            Some(Entry::Consumed { replayed: true, .. }) => false,
            Some(Entry::Consumed { issued, .. }) => {
                issued.push(jti.to_owned());
                true
            }
            _ => true,
        }
    }

    pub fn clear(&self) {
        self.entries.lock().expect("code store lock").clear();
    }
}

fn digest(code: &str) -> [u8; 32] {
    Sha256::digest(code.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> CodeGrant {
        CodeGrant {
            client_id: "c".into(),
            redirect_uri: "https://client.test/cb".into(),
            redirect_uri_sent: true,
            scope: vec!["audits:read".into()],
            code_challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            plain: false,
            expires_at_ms: 1_000,
        }
    }

    #[test]
    fn codes_are_long_random_and_free_of_the_challenge() {
        let store = CodeStore::default();
        let a = store.issue(grant(), 0, 0);
        let b = store.issue(grant(), 0, 0);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(!a.contains("E9Melhoa"));
    }

    #[test]
    fn second_take_is_a_replay_that_returns_issued_tokens() {
        let store = CodeStore::default();
        let code = store.issue(grant(), 0, 10_000);
        assert_eq!(store.take(&code, 10_000, Reuse::Never), Redemption::Fresh(grant()));
        assert!(store.record_token(&code, "jti-1"));
        assert_eq!(
            store.take(&code, 10_000, Reuse::Never),
            Redemption::Replayed {
                revoke: vec!["jti-1".into()]
            }
        );
        assert!(
            !store.record_token(&code, "jti-late"),
            "a replay revokes late tokens too"
        );
        assert_eq!(store.take("nope", 10_000, Reuse::Never), Redemption::Unknown);
    }

    #[test]
    fn concurrent_takes_yield_one_fresh() {
        let store = std::sync::Arc::new(CodeStore::default());
        let code = store.issue(grant(), 0, 10_000);
        let fresh: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..16)
                .map(|_| s.spawn(|| matches!(store.take(&code, 10_000, Reuse::Never), Redemption::Fresh(_)) as usize))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(fresh, 1);
    }
}
