//! Fault injection: named ways for the reference server to break exactly one
//! rule of the contract, so that the conformance runner can be shown to catch
//! each (the mutation test, `tests/mutation.rs`).
//!
//! Every fault names the catalogue checks (CHECKS.md ids, the scenario ids)
//! that must trip when it is on; the mutation test holds the server to that
//! list both ways: those scenarios report the violation, every other one
//! passes as on a clean server. A fault is injected where its rule is
//! implemented (`if state.faults.breaks(Fault::X) { ... }`), never as a copy
//! of the code path.
//!
//! `p11-harness serve --list-faults` prints the catalogue below.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::diagnostic::suggest;

macro_rules! faults {
    ($( $variant:ident = $name:literal : $description:literal => [$($trip:literal),+ $(,)?]; )+) => {
        /// One way to break one rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $($variant,)+
        }

        impl Fault {
            /// Every fault, in catalogue order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)+];

            /// The name used by `--fault` and `--server-fault`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// What the server does wrong when this fault is on.
            pub fn description(self) -> &'static str {
                match self {
                    $(Fault::$variant => $description,)+
                }
            }

            /// The check ids (scenario ids) that must report this fault.
            pub fn trips(self) -> &'static [&'static str] {
                match self {
                    $(Fault::$variant => &[$($trip),+],)+
                }
            }
        }
    };
}

faults! {
    // RFC 6749 §2.3: client authentication.
    BasicNotFormDecoded = "basic-not-form-decoded":
        "HTTP Basic credentials are used as sent, without form-decoding the id and secret (RFC 6749 §2.3.1)"
        => ["RFC6749-2.3.1-basic-form-urlencoding"];
    TwoAuthMethodsAccepted = "two-auth-methods-accepted":
        "Basic credentials plus client_secret in the body are accepted (RFC 6749 §2.3)"
        => ["RFC6749-2.3-single-auth-method"];
    BodySecretNotChecked = "body-secret-not-checked":
        "client_secret in the body is not compared with the client's secret (RFC 6749 §2.3.1)"
        => ["RFC6749-5.2-invalid_client-body"];
    InvalidClient400 = "invalid-client-400":
        "A failed client authentication gets 400 without a challenge instead of 401 + WWW-Authenticate: Basic (RFC 6749 §5.2)"
        => ["RFC6749-5.2-invalid_client-basic-401"];

    // RFC 6749 §3.2 and §5.2: the token endpoint.
    TokenGetAccepted = "token-get-accepted":
        "GET on the token endpoint is processed like POST, with the parameters in the query (RFC 6749 §3.2)"
        => ["RFC6749-3.2-post-required"];
    DuplicateGrantTypeAccepted = "duplicate-grant-type-accepted":
        "A repeated grant_type is not refused (RFC 6749 §3.2)"
        => ["RFC6749-3.2-duplicate-grant_type"];
    MissingGrantTypeDefaults = "missing-grant-type-defaults":
        "A token request without grant_type is treated as client_credentials (RFC 6749 §5.2)"
        => ["RFC6749-5.2-missing-grant_type"];
    UnknownGrantInvalidRequest = "unknown-grant-invalid-request":
        "An unsupported grant_type gets invalid_request instead of unsupported_grant_type (RFC 6749 §5.2)"
        => ["RFC6749-5.2-unsupported_grant_type", "RFC9700-2.4-ropc-disabled"];
    UnknownScopeDropped = "unknown-scope-dropped":
        "Unknown scope tokens are dropped silently and the rest granted (RFC 6749 §5.2 invalid_scope)"
        => ["RFC6749-5.2-invalid_scope-unknown"];

    // RFC 6749 §4.4: client credentials.
    CcIgnoresRequestedScope = "cc-ignores-requested-scope":
        "The client credentials grant issues every scope the client may have, whatever it asked for (RFC 6749 §3.3, §4.4.2)"
        => ["RFC6749-4.4.2-happy", "RFC6749-5.2-invalid_scope-unknown", "RFC6750-3.1-insufficient_scope"];
    CcGrantNotChecked = "cc-grant-not-checked":
        "Clients not registered for client_credentials may use it (RFC 6749 §4.4, unauthorized_client)"
        => ["RFC6749-4.4-unauthorized_client"];

    // RFC 6749 §4.1: the authorization code.
    DenyApproves = "deny-approves":
        "A user's denial is treated as approval: the client gets a code (RFC 6749 §4.1.2.1 access_denied)"
        => ["RFC6749-4.1.2.1-access_denied"];
    CodeReusable = "code-reusable":
        "An authorization code can be redeemed more than once (RFC 6749 §4.1.2)"
        => ["RFC6749-4.1.2-code-reuse"];
    CodeScopeWidened = "code-scope-widened":
        "The code exchange grants the client's full scope, not the scope the user approved (RFC 6749 §3.3)"
        => ["RFC7636-4.2-s256-happy"];

    // RFC 7636: PKCE.
    PkceOptionalPublic = "pkce-optional-public":
        "A public client's authorization request without code_challenge is accepted (RFC 7636 §4.4.1)"
        => ["RFC7636-4.4.1-challenge-required"];
    VerifierNotChecked = "verifier-not-checked":
        "Any well-formed code_verifier is accepted without comparing it with the challenge (RFC 7636 §4.6)"
        => ["RFC7636-4.6-verifier-mismatch"];
    VerifierAlnumOnly = "verifier-alnum-only":
        "Verifiers holding - . _ or ~ are refused, as if only [A-Za-z0-9] were allowed (RFC 7636 §4.1, Appendix B)"
        => ["RFC7636-AppB-test-vector"];

    // RFC 6750: bearer tokens at the resource server.
    NoCredentialsNoChallenge = "no-credentials-no-challenge":
        "A request without credentials (or with another scheme) gets 401 without WWW-Authenticate (RFC 6750 §3)"
        => ["RFC6750-3-no-credentials", "RFC6750-3-unsupported-scheme"];
    OtherSchemeInvalidRequest = "other-scheme-invalid-request":
        "Authorization with another scheme (Basic) gets 400 invalid_request instead of a plain challenge (RFC 6750 §3)"
        => ["RFC6750-3-unsupported-scheme"];
    GarbageTokenInvalidRequest = "garbage-token-invalid-request":
        "A bearer token that is not a JWT gets 400 invalid_request instead of 401 invalid_token (RFC 6750 §3.1)"
        => ["RFC6750-3.1-invalid_token"];
    ExpiredTokenAccepted = "expired-token-accepted":
        "Access tokens are accepted after their exp (RFC 7519 §4.1.4, RFC 6750 §3.1)"
        => ["RFC6750-3.1-expired"];
    InsufficientScope401 = "insufficient-scope-401":
        "A valid token without the needed scope gets 401 instead of 403 (RFC 6750 §3.1)"
        => ["RFC6750-3.1-insufficient_scope"];

    // RFC 9700.
    PlainListedInMetadata = "plain-listed-in-metadata":
        "The metadata lists plain among code_challenge_methods_supported (RFC 9700 §2.1.1, Point11: S256 only)"
        => ["RFC9700-2.1.1-pkce-metadata"];
    PasswordGrantEnabled = "password-grant-enabled":
        "The resource owner password credentials grant issues tokens (RFC 9700 §2.4)"
        => ["RFC9700-2.4-ropc-disabled"];

    // Point11 API keys.
    TestKeyReadsLive = "test-key-reads-live":
        "A p11_test_ key reads production data (Point11: test keys see sandbox data only)"
        => ["P11-apikey-env-isolation"];
    TestKeyWritesLive = "test-key-writes-live":
        "A p11_test_ key holding audits:write can modify production (Point11)"
        => ["P11-testkey-no-prod-write"];
    MalformedKeyAccepted = "malformed-key-accepted":
        "A key with an unknown prefix or a truncated body is accepted as a live read-only key (Point11)"
        => ["P11-apikey-malformed"];
}

impl Fault {
    /// The fault called `name`.
    pub fn from_name(name: &str) -> Result<Fault, UnknownFault> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == name)
            .ok_or_else(|| UnknownFault {
                name: name.to_owned(),
                suggestion: suggest(name, Fault::ALL.iter().map(|f| f.name())).map(str::to_owned),
            })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::from_name(s)
    }
}

/// A `--fault` name that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFault {
    pub name: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown fault `{}`", self.name)?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        f.write_str(" (`p11-harness serve --list-faults` lists them)")
    }
}

impl std::error::Error for UnknownFault {}

/// The rules the server is told to break. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    broken: BTreeSet<Fault>,
}

impl Faults {
    pub const fn none() -> Self {
        Self {
            broken: BTreeSet::new(),
        }
    }

    pub fn breaks(&self, fault: Fault) -> bool {
        self.broken.contains(&fault)
    }

    pub fn is_empty(&self) -> bool {
        self.broken.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.broken.iter().copied()
    }
}

impl FromIterator<Fault> for Faults {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Self {
        Self {
            broken: iter.into_iter().collect(),
        }
    }
}

impl From<Fault> for Faults {
    fn from(fault: Fault) -> Self {
        std::iter::once(fault).collect()
    }
}

/// The catalogue as text: each fault, what it does, the checks it trips.
pub fn write_list(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{} faults (serve --fault NAME, conform --server-fault NAME):",
        Fault::ALL.len()
    )?;
    for fault in Fault::ALL {
        writeln!(out, "\n{}", fault.name())?;
        writeln!(out, "  {}", fault.description())?;
        writeln!(out, "  trips: {}", fault.trips().join(", "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut seen = BTreeSet::new();
        for &f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate fault name {}", f.name());
            assert!(
                f.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                f.name()
            );
            assert_eq!(Fault::from_name(f.name()), Ok(f));
            assert!(!f.trips().is_empty());
        }
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let e = Fault::from_name("code-reuseable").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("code-reusable"));
        assert!(e.to_string().contains("did you mean `code-reusable`?"), "{e}");
        assert!(
            Fault::from_name("zzzzzzzzzzzzzzzzzzzz")
                .unwrap_err()
                .suggestion
                .is_none()
        );
    }

    #[test]
    fn faults_set() {
        let faults: Faults = Fault::CodeReusable.into();
        assert!(faults.breaks(Fault::CodeReusable));
        assert!(!faults.breaks(Fault::DenyApproves));
        assert!(Faults::none().is_empty());
    }
}
