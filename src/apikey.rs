//! Point11 API keys: `p11_live_` or `p11_test_` followed by at least 32
//! characters of `[A-Za-z0-9]` (POINT11-API.md, "Decided here").

use crate::fixtures::Environment;

pub const LIVE_PREFIX: &str = "p11_live_";
pub const TEST_PREFIX: &str = "p11_test_";
pub const MIN_BODY_LEN: usize = 32;

/// The environment a key belongs to, or `None` when it is not a
/// well-formed Point11 key. Total over all inputs and never panics.
pub fn classify(candidate: &str) -> Option<Environment> {
    let (env, body) = if let Some(body) = candidate.strip_prefix(LIVE_PREFIX) {
        (Environment::Live, body)
    } else if let Some(body) = candidate.strip_prefix(TEST_PREFIX) {
        (Environment::Test, body)
    } else {
        return None;
    };
    (body.len() >= MIN_BODY_LEN && body.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(env)
}

/// Whether a bearer credential looks like an API key rather than a token:
/// anything with the `p11_` family prefix is judged as a key.
pub fn looks_like_key(credential: &str) -> bool {
    credential.starts_with("p11_")
}

/// Compares two keys without leaking, through timing, how long a prefix
/// they share.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_prefixes() {
        let body = "a".repeat(32);
        assert_eq!(classify(&format!("p11_live_{body}")), Some(Environment::Live));
        assert_eq!(classify(&format!("p11_test_{body}")), Some(Environment::Test));
        assert_eq!(classify(&format!("p11_prod_{body}")), None);
        assert_eq!(classify(&format!("p11_live_{}", &body[..31])), None);
        assert_eq!(classify(&format!("p11_live_{}-", &body)), None);
        assert_eq!(classify(""), None);
    }
}
