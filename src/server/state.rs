//! The server's shared state: clock, fixtures, signing keys, codes, limits,
//! API keys, revocations, the live audit store and injected faults.
//! Passed to every handler; nothing is global.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use super::apikeys::ApiKeyRegistry;
use super::clock::Clock;
use super::codes::CodeStore;
use super::data::AuditStore;
use super::faults::Faults;
use super::ratelimit::RateLimiter;
use super::signing::{KeyRing, SigningKey};
use super::{ServeConfig, ServeError};
use crate::fixtures::Fixtures;

/// Cheap to clone: everything lives behind one `Arc`.
#[derive(Debug, Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub struct Inner {
    pub clock: Clock,
    pub fixtures: Fixtures,
    pub signing: KeyRing,
    pub codes: CodeStore,
    pub limiter: RateLimiter,
    pub api_keys: ApiKeyRegistry,
    pub revoked: RevokedTokens,
    /// Used by the `token-case-insensitive` fault only.
    pub accepted_tokens: AcceptedTokens,
    pub audits: AuditStore,
    pub faults: Faults,
    pub token_ttl: Duration,
    pub code_ttl: Duration,
    pub limits: super::Limits,
    /// `https://host:port` once the server listens; metadata falls back to
    /// the request's `Host` before that (handler tests).
    pub base_url: OnceLock<String>,
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.inner
    }
}

impl AppState {
    /// Builds the state for `config`, generating a fresh signing key.
    pub fn new(config: &ServeConfig, clock: Clock) -> Result<Self, ServeError> {
        let key = SigningKey::generate().map_err(|e| ServeError::SigningKey(e.to_string()))?;
        Ok(Self::with_signing_key(config, clock, key))
    }

    /// Builds the state with a given signing key (tests reuse one key, since
    /// RSA generation costs tens of milliseconds).
    pub fn with_signing_key(config: &ServeConfig, clock: Clock, key: SigningKey) -> Self {
        let fixtures = config.fixtures.clone();
        Self {
            inner: Arc::new(Inner {
                clock,
                signing: KeyRing::new(key),
                codes: CodeStore::default(),
                limiter: RateLimiter::new(config.rate_window),
                api_keys: ApiKeyRegistry::from_fixtures(&fixtures),
                revoked: RevokedTokens::default(),
                accepted_tokens: AcceptedTokens::default(),
                audits: AuditStore::new(),
                faults: config.faults.clone(),
                token_ttl: config.token_ttl,
                code_ttl: config.code_ttl,
                limits: config.limits,
                base_url: OnceLock::new(),
                fixtures,
            }),
        }
    }

    pub fn token_ttl_secs(&self) -> i64 {
        i64::try_from(self.token_ttl.as_secs()).unwrap_or(i64::MAX)
    }

    pub fn token_ttl_ms(&self) -> i64 {
        i64::try_from(self.token_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    pub fn code_ttl_ms(&self) -> i64 {
        i64::try_from(self.code_ttl.as_millis()).unwrap_or(i64::MAX)
    }

    /// Puts every mutable part back to its start: clock offset, API keys,
    /// limits, codes, revocations and the live audits. Signing keys stay.
    pub fn reset(&self) {
        self.clock.reset();
        self.api_keys.reset(&self.fixtures);
        self.limiter.clear();
        self.codes.clear();
        self.revoked.clear();
        self.accepted_tokens.clear();
        self.audits.reset();
    }
}

/// Token ids revoked before their expiry (code replay, RFC 6749 §4.1.2).
#[derive(Debug, Default)]
pub struct RevokedTokens {
    /// jti -> Unix seconds after which the token is expired anyway.
    ids: Mutex<HashMap<String, i64>>,
}

impl RevokedTokens {
    pub fn revoke(&self, jti: String, forget_after_secs: i64, now_secs: i64) {
        let mut ids = self.ids.lock().expect("revocation lock");
        ids.retain(|_, until| *until > now_secs);
        ids.insert(jti, forget_after_secs);
    }

    pub fn is_revoked(&self, jti: &str) -> bool {
        self.ids.lock().expect("revocation lock").contains_key(jti)
    }

    pub fn clear(&self) {
        self.ids.lock().expect("revocation lock").clear();
    }
}

/// Access tokens the resource server accepted, keyed by their lower-cased
/// text: the case-insensitive cache of the `token-case-insensitive` fault.
/// Nothing is stored on a clean server.
#[derive(Debug, Default)]
pub struct AcceptedTokens {
    by_folded: Mutex<HashMap<String, String>>,
}

impl AcceptedTokens {
    /// Enough for a conformance run; the cache starts over beyond it.
    const CAPACITY: usize = 4096;

    pub fn remember(&self, token: &str) {
        let mut tokens = self.by_folded.lock().expect("token cache lock");
        if tokens.len() >= Self::CAPACITY {
            tokens.clear();
        }
        tokens.insert(token.to_ascii_lowercase(), token.to_owned());
    }

    /// The accepted token that equals `token` ignoring ASCII case.
    pub fn lookup(&self, token: &str) -> Option<String> {
        let tokens = self.by_folded.lock().expect("token cache lock");
        tokens.get(&token.to_ascii_lowercase()).cloned()
    }

    pub fn clear(&self) {
        self.by_folded.lock().expect("token cache lock").clear();
    }
}
