//! Property tests for API keys (POINT11-API.md), scopes (RFC 6749 §3.3),
//! the fixed-window rate limiter on a simulated clock, and the token
//! endpoint's form/query decoding (RFC 6749 §3.1, §3.2).

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use proptest::prelude::*;

use super::apikeys::ApiKeyRegistry;
use super::params::Params;
use super::ratelimit::{LimitKey, RateLimiter};
use super::scope::{self, ScopeError};
use super::test_support::{self, NO_FAULTS};
use super::tests_props_tokens::runtime;
use crate::apikey;
use crate::fixtures::{Environment, Fixtures};

/// `p11_live_`/`p11_test_` + at least 32 of `[A-Za-z0-9]`, modelled here.
fn key_model(candidate: &str) -> Option<Environment> {
    let body_ok = |b: &str| b.len() >= 32 && b.chars().all(|c| c.is_ascii_alphanumeric());
    match candidate.get(..9) {
        Some("p11_live_") if body_ok(&candidate[9..]) => Some(Environment::Live),
        Some("p11_test_") if body_ok(&candidate[9..]) => Some(Environment::Test),
        _ => None,
    }
}

/// Key-like strings (right and wrong prefixes, short and long bodies, odd
/// characters) and arbitrary ones.
fn key_candidate() -> impl Strategy<Value = String> {
    prop_oneof![
        "p11_(live|test|prod|LIVE)_[A-Za-z0-9]{0,48}",
        "p11_(live|test)_[A-Za-z0-9]{28,40}[^A-Za-z0-9]?[A-Za-z0-9]{0,4}",
        any::<String>(),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Classification is total: every input is live, test or rejected, as
    /// the model says, and nothing panics (the registry lookup included).
    #[test]
    fn apikey_classification_is_total(candidate in key_candidate()) {
        prop_assert_eq!(apikey::classify(&candidate), key_model(&candidate));
        let registry = registry();
        let verdict = registry.authenticate(&candidate, &NO_FAULTS);
        prop_assert!(verdict.is_err() || key_model(&candidate).is_some());
    }

    /// `apikey::constant_time_eq` is `subtle::ConstantTimeEq::ct_eq` over
    /// the bytes after a length check (the length is not secret: every
    /// fixture key has a public format). Timing is shown by that code, not
    /// measured; this pins its semantics to plain equality.
    #[test]
    fn apikey_comparison_is_equality(a in key_candidate(), b in key_candidate(), same in any::<bool>()) {
        let b = if same { a.clone() } else { b };
        prop_assert_eq!(apikey::constant_time_eq(&a, &b), a == b);
    }
}

fn registry() -> &'static ApiKeyRegistry {
    static REGISTRY: std::sync::OnceLock<ApiKeyRegistry> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| ApiKeyRegistry::from_fixtures(&Fixtures::builtin()))
}

#[test]
fn fixture_keys_are_classified_by_their_environment() {
    for k in &Fixtures::builtin().api_keys {
        assert_eq!(apikey::classify(k.key.expose()), Some(k.environment), "{}", k.name);
    }
}

/// RFC 6749 §3.3 `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn scope_token_model(t: &str) -> bool {
    !t.is_empty()
        && t.bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

const POOL: [&str; 5] = ["audits:read", "audits:write", "analytics:read", "admin", "x"];

fn allowed_set() -> impl Strategy<Value = Vec<String>> {
    prop::sample::subsequence(POOL.to_vec(), 0..=POOL.len()).prop_map(|v| v.into_iter().map(String::from).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Order and repetition do not change the grant.
    #[test]
    fn scope_order_and_duplicates_do_not_matter(
        allowed in allowed_set(),
        picks in prop::collection::vec(any::<prop::sample::Index>(), 1..6),
        shuffle in any::<u64>(),
    ) {
        prop_assume!(!allowed.is_empty());
        let tokens: Vec<&str> = picks.iter().map(|i| allowed[i.index(allowed.len())].as_str()).collect();
        let mut shuffled = tokens.clone();
        shuffled.extend(tokens.iter().take((shuffle % 3) as usize));
        let turn = (shuffle as usize) % shuffled.len();
        shuffled.rotate_left(turn);
        let a = scope::resolve(Some(&tokens.join(" ")), &allowed, &NO_FAULTS).unwrap();
        let b = scope::resolve(Some(&shuffled.join(" ")), &allowed, &NO_FAULTS).unwrap();
        prop_assert_eq!(a, b);
    }

    /// The grammar is enforced (single spaces, §3.3 characters), and a grant
    /// is never wider than requested ∩ allowed; an unknown token fails the
    /// whole request rather than being dropped.
    #[test]
    fn scope_grammar_and_narrowing(
        allowed in allowed_set(),
        requested in prop_oneof!["[ -~]{0,30}", "(audits:read|analytics:read|x|admin| )*", any::<String>()],
    ) {
        let verdict = scope::resolve(Some(&requested), &allowed, &NO_FAULTS);
        let tokens: Vec<&str> = requested.split(' ').collect();
        let asked: BTreeSet<&str> = tokens.iter().copied().collect();
        let allowed_set: BTreeSet<&str> = allowed.iter().map(String::as_str).collect();
        if !tokens.iter().all(|t| scope_token_model(t)) {
            prop_assert_eq!(verdict, Err(ScopeError::Malformed));
        } else if !asked.is_subset(&allowed_set) {
            prop_assert_eq!(verdict, Err(ScopeError::NotAllowed));
        } else {
            let granted = verdict.unwrap();
            let granted_set: BTreeSet<&str> = granted.iter().map(String::as_str).collect();
            prop_assert_eq!(granted_set, asked);
        }
    }
}

/// One arrival: milliseconds since the previous one, and which key.
fn arrivals() -> impl Strategy<Value = Vec<(i64, usize)>> {
    prop::collection::vec((prop_oneof![0i64..50, 0i64..3000], 0usize..3), 0..200)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// For any arrival sequence on a simulated clock: per key and window
    /// (aligned to the epoch), exactly the first `limit` are admitted, no
    /// refusal while capacity remains, and Remaining is `limit − admitted`.
    #[test]
    fn ratelimit_admits_exactly_the_limit_per_window(
        limit in 0u64..6,
        window_ms in prop_oneof![Just(1000i64), Just(60_000i64), 1i64..5000],
        start in 0i64..10_000_000,
        sequence in arrivals(),
    ) {
        let limiter = RateLimiter::new(std::time::Duration::from_millis(window_ms as u64));
        let mut model: HashMap<(usize, i64), u64> = HashMap::new();
        let mut now = start;
        for (dt, key) in sequence {
            now += dt;
            let window = now.div_euclid(window_ms);
            let admitted = model.entry((key, window)).or_default();
            let peek = limiter.check(LimitKey::Client(key.to_string()), limit, now);
            prop_assert_eq!(peek.allowed, *admitted < limit, "check agrees and counts nothing");
            let d = limiter.hit(LimitKey::Client(key.to_string()), limit, now);
            prop_assert_eq!(d.allowed, *admitted < limit);
            if d.allowed {
                *admitted += 1;
                prop_assert_eq!(d.remaining, limit - *admitted);
            } else {
                prop_assert_eq!(d.remaining, 0);
            }
            prop_assert!(*admitted <= limit);
            prop_assert_eq!(d.reset_secs, ((window + 1) * window_ms + 999).div_euclid(1000));
            prop_assert!(d.retry_after_secs >= 1);
        }
    }
}

/// A form body from name/value pairs, names from a small set so that
/// repeats are common.
fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    prop::collection::vec(("(grant_type|scope|client_id|code|zz)", "[a-z%+=&]{0,6}"), 0..6)
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (n, v) in pairs {
        out.append_pair(n, v);
    }
    out.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Decoding never panics on arbitrary bytes, and every parameter it
    /// returns came from a non-empty value (§3.1: empty means omitted).
    #[test]
    fn params_decoding_never_panics(raw in prop::collection::vec(any::<u8>(), 0..256)) {
        let params = Params::parse(&raw);
        for name in params.names() {
            prop_assert!(params.get(name).is_some_and(|v| !v.is_empty()));
        }
        let _ = params.repeated();
        let _ = Params::parse_keeping_empty(&raw).first_duplicate();
        let _ = super::params::form_decode(&String::from_utf8_lossy(&raw));
    }

    /// `repeated` finds exactly the names sent more than once with a value.
    #[test]
    fn params_repeats_are_found(pairs in pairs()) {
        let params = Params::parse(encode_pairs(&pairs).as_bytes());
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for (n, v) in &pairs {
            *counts.entry(n.as_str()).or_default() += usize::from(!v.is_empty());
        }
        let mut expected: Vec<&str> = counts.into_iter().filter(|(_, c)| *c > 1).map(|(n, _)| n).collect();
        expected.sort_unstable();
        prop_assert_eq!(params.repeated(), expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Through the token endpoint: a repeated parameter is `invalid_request`
    /// before any client authentication (RFC 6749 §3.2); arbitrary bodies
    /// never give a 5xx.
    #[test]
    fn token_endpoint_refuses_repeats(pairs in pairs(), raw in prop::collection::vec(any::<u8>(), 0..128)) {
        let state = test_support::state();
        let body = encode_pairs(&pairs);
        let repeated = !Params::parse(body.as_bytes()).repeated().is_empty();
        let reply = runtime().block_on(test_support::send(&state, test_support::form("/oauth/token", &body, None)));
        if repeated {
            prop_assert_eq!(reply.status, StatusCode::BAD_REQUEST);
            let json = reply.json();
            prop_assert_eq!(json["error"].as_str(), Some("invalid_request"));
        }
        let raw = axum::http::Request::post("/oauth/token")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(raw))
            .unwrap();
        let reply = runtime().block_on(test_support::send(&state, raw));
        prop_assert!(reply.status.is_client_error(), "{}", reply.status);
    }
}
