//! Property tests for the token rules: PKCE verifiers and S256 (RFC 7636
//! §4.1, §4.2, §4.6), JWT access tokens (RFC 7519, RFC 8725, RFC 9068) and
//! bearer credential parsing (RFC 6750 §2, §3.1).
//!
//! The oracles are written independently of the code under test: a regex
//! or a character-class model, and sha2 + base64 for S256. Case counts are
//! set per block; RSA signing dominates the JWT cases, so those blocks sign
//! once (or once per case) and vary the cheap part.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use sha2::{Digest, Sha256};

use super::bearer::{self, Carriers};
use super::forge::{ForgedAlg, MintRequest, mint};
use super::jwt::{self, AccessClaims, Expectations, Rejection};
use super::pkce;
use super::signing::KeyRing;
use super::test_support::{self, NO_FAULTS, NOW, expectations as expect};

/// RFC 7636 §4.1 `unreserved`.
const UNRESERVED: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

fn verifier_model(v: &str) -> bool {
    (43..=128).contains(&v.chars().count()) && v.chars().all(|c| UNRESERVED.contains(c))
}

/// A valid verifier: 43..=128 unreserved characters.
fn valid_verifier() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._~-]{43,128}"
}

/// Verifiers of every kind: valid, too short, too long, and valid ones
/// with one character swapped for any other ASCII or a non-ASCII char.
fn any_verifier() -> impl Strategy<Value = String> {
    let outsider = prop_oneof![
        (0u8..=127)
            .prop_filter("not unreserved", |b| !UNRESERVED.as_bytes().contains(b))
            .prop_map(char::from),
        any::<char>().prop_filter("non-ASCII", |c| !c.is_ascii()),
    ];
    prop_oneof![
        valid_verifier(),
        "[A-Za-z0-9._~-]{0,42}",
        "[A-Za-z0-9._~-]{129,200}",
        (valid_verifier(), any::<prop::sample::Index>(), outsider).prop_map(|(v, at, c)| {
            let mut chars: Vec<char> = v.chars().collect();
            let i = at.index(chars.len());
            chars[i] = c;
            chars.into_iter().collect()
        }),
    ]
}

/// `BASE64URL-ENCODE(SHA256(ASCII(verifier)))`, computed here on its own.
fn oracle_s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn pkce_verifier_syntax_is_exactly_43_to_128_unreserved(v in any_verifier()) {
        prop_assert_eq!(pkce::is_valid_verifier(&v), verifier_model(&v), "{:?}", v);
    }

    #[test]
    fn pkce_s256_is_unpadded_base64url_sha256(v in valid_verifier()) {
        let challenge = oracle_s256(&v);
        prop_assert_eq!(pkce::s256(&v), challenge.clone());
        prop_assert!(pkce::is_valid_s256_challenge(&challenge));
        prop_assert!(pkce::verifies(&v, &challenge));
    }

    /// RFC 7636 §4.6: only the verifier that made the challenge passes,
    /// including its own challenge string sent back (plain downgrade).
    #[test]
    fn pkce_any_other_verifier_is_refused(v in valid_verifier(), other in any_verifier()) {
        prop_assume!(v != other);
        let challenge = pkce::s256(&v);
        prop_assert!(!pkce::verifies(&other, &challenge));
        prop_assert!(!pkce::verifies(&challenge, &challenge));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// End to end (RFC 7636 §4.6): a code bound to S256(v) is refused with
    /// `invalid_grant` for any other verifier, valid syntax or not.
    #[test]
    fn pkce_token_endpoint_refuses_other_verifiers(v in valid_verifier(), other in any_verifier()) {
        prop_assume!(v != other);
        let state = test_support::state();
        let query = format!(
            "response_type=code&client_id=p11-basic&redirect_uri={}&scope=audits%3Aread&state=S&code_challenge={}&code_challenge_method=S256",
            test_support::encode("https://client.test/cb"),
            pkce::s256(&v),
        );
        let reply = runtime().block_on(async {
            let approved = test_support::approve(&state, &query).await;
            let code = approved.location_param("code").expect("a code");
            test_support::exchange(&state, &code, &other).await
        });
        prop_assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        let json = reply.json();
        let error = json["error"].as_str().unwrap_or_default();
        // §4.6 mismatch is invalid_grant; a malformed verifier may be
        // invalid_request (CHECKS.md RFC7636-4.1-verifier-len-42).
        prop_assert!(error == "invalid_grant" || (error == "invalid_request" && !verifier_model(&other)), "{}", error);
    }
}

#[test]
fn pkce_rfc7636_appendix_b() {
    let (verifier, challenge) = (
        "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    assert_eq!(oracle_s256(verifier), challenge);
    assert_eq!(pkce::s256(verifier), challenge);
    assert!(pkce::is_valid_verifier(verifier) && pkce::verifies(verifier, challenge));
}

fn ring() -> &'static KeyRing {
    static RING: OnceLock<KeyRing> = OnceLock::new();
    RING.get_or_init(|| KeyRing::new(test_support::signing_key()))
}

fn claims_strategy() -> impl Strategy<Value = AccessClaims> {
    (
        "[ -~]{1,40}",
        "[a-z:]{1,20}( [a-z:]{1,20}){0,3}",
        "[A-Za-z0-9-]{1,36}",
        1i64..=7200,
        prop::option::of(-600i64..=0),
    )
        .prop_map(|(sub, scope, jti, ttl, nbf)| AccessClaims {
            iss: "https://issuer.test".into(),
            aud: "https://api.test".into(),
            client_id: sub.clone(),
            sub,
            scope,
            iat: NOW,
            exp: NOW + ttl,
            nbf: nbf.map(|n| NOW + n),
            jti,
            tier: "standard".into(),
        })
}

/// One signed token for the tampering property (RSA signing is slow in a
/// debug build; verifying is cheap).
fn signed() -> &'static (AccessClaims, String) {
    static TOKEN: OnceLock<(AccessClaims, String)> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let claims = claims_strategy()
            .new_tree(&mut proptest::test_runner::TestRunner::deterministic())
            .unwrap()
            .current();
        let token = jwt::sign(&ring().current(), &claims).unwrap();
        (claims, token)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Issue then verify gives back the same claims. RFC 7519 §4.1.4 with
    /// the server's leeway of 0 s: accepted while `now < exp`, refused from
    /// the `exp` second on.
    #[test]
    fn jwt_round_trip_and_expiry(claims in claims_strategy(), elapsed in 0i64..=7300) {
        let token = jwt::sign(&ring().current(), &claims).unwrap();
        let now = NOW + elapsed;
        let verdict = jwt::verify(ring(), &expect(now), &token);
        if now < claims.exp {
            prop_assert_eq!(verdict, Ok(claims));
        } else {
            prop_assert_eq!(verdict, Err(Rejection::Expired));
        }
    }

    /// RFC 8725 §3.1, §2.1; RFC 7515 §4.1.4; RFC 9068 §4: forged tokens
    /// minted by forge.rs are refused, with the iss/aud/kid chosen at random.
    #[test]
    fn jwt_forgeries_are_refused(
        iss in "https://[a-z]{1,12}\\.test",
        aud in "https://[a-z]{1,12}\\.test",
        kid in "[A-Za-z0-9_-]{1,24}",
    ) {
        let state = forge_state();
        let fixtures = &state.fixtures;
        let check = |r: MintRequest| {
            let expect = Expectations {
                issuer: &fixtures.issuer,
                audience: &fixtures.audience,
                now_secs: state.clock.now_secs(),
                faults: &state.faults,
            };
            jwt::verify(&state.signing, &expect, &mint(state, &r).unwrap())
        };
        let base = || MintRequest { client: "C_BASIC".into(), ..Default::default() };
        prop_assert_eq!(check(MintRequest { alg: Some(ForgedAlg::None), ..base() }), Err(Rejection::Algorithm));
        prop_assert_eq!(
            check(MintRequest { alg: Some(ForgedAlg::Hs256PublicKey), ..base() }),
            Err(Rejection::Algorithm)
        );
        if kid != state.signing.current().kid {
            prop_assert_eq!(check(MintRequest { kid: Some(kid), ..base() }), Err(Rejection::UnknownKey));
        }
        if iss != fixtures.issuer {
            prop_assert_eq!(check(MintRequest { iss: Some(iss), ..base() }), Err(Rejection::Issuer));
        }
        if aud != fixtures.audience {
            prop_assert_eq!(check(MintRequest { aud: Some(aud), ..base() }), Err(Rejection::Audience));
        }
    }
}

fn forge_state() -> &'static super::AppState {
    static STATE: OnceLock<super::AppState> = OnceLock::new();
    STATE.get_or_init(test_support::state)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// RFC 7515 §5.2: one changed byte anywhere (header, payload,
    /// signature, or a dot) and the token is refused. Non-canonical base64
    /// in the last character of a segment is refused too: the decoder is
    /// strict about trailing bits.
    #[test]
    fn jwt_any_single_byte_change_is_refused(at in any::<prop::sample::Index>(), with in any::<char>()) {
        let (_, token) = signed();
        let i = at.index(token.len());
        let mut tampered = token.clone();
        tampered.replace_range(i..=i, with.encode_utf8(&mut [0; 4]));
        prop_assume!(&tampered != token);
        prop_assert!(jwt::verify(ring(), &expect(NOW), &tampered).is_err(), "byte {} -> {:?}", i, with);
    }
}

/// `^[A-Za-z0-9\-._~+/]+=*$` (RFC 6750 §2.1 b64token), as a regex.
fn b64token_oracle(token: &str) -> bool {
    static RE: OnceLock<regex::Regex> = OnceLock::new();
    RE.get_or_init(|| regex::Regex::new(r"^[A-Za-z0-9\-._~+/]+=*$").unwrap())
        .is_match(token)
}

/// `bearer` with each letter's case picked at random.
fn bearer_scheme() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<bool>(), 6).prop_map(|upper| {
        "bearer"
            .chars()
            .zip(upper)
            .map(|(c, u)| if u { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

fn extract(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Option<String>, &'static str> {
    let carriers = Carriers {
        headers,
        method: &Method::POST,
        query,
        body,
    };
    bearer::extract(&carriers, &NO_FAULTS).map(|c| c.map(|(token, _)| token))
}

fn auth_header(value: &str) -> Option<HeaderMap> {
    let value = HeaderValue::from_str(value).ok()?;
    Some(HeaderMap::from_iter([(header::AUTHORIZATION, value)]))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// RFC 9110 §11.1: any case of the scheme; `1*SP`; the b64token is
    /// returned unchanged, trailing `=` included.
    #[test]
    fn bearer_valid_credentials_are_taken_whole(
        scheme in bearer_scheme(),
        spaces in 1usize..4,
        token in "[A-Za-z0-9._~+/-]{1,60}={0,3}",
    ) {
        let headers = auth_header(&format!("{scheme}{}{token}", " ".repeat(spaces))).unwrap();
        prop_assert_eq!(extract(&headers, None, b""), Ok(Some(token)));
    }

    /// Anything after `Bearer ` is a credential exactly when it is a
    /// b64token; otherwise it is `invalid_request` (RFC 6750 §3.1).
    #[test]
    fn bearer_anything_else_is_malformed(scheme in bearer_scheme(), rest in "[ -~]{0,40}") {
        let Some(headers) = auth_header(&format!("{scheme} {rest}")) else { return Ok(()) };
        let token = rest.trim_start_matches(' ');
        match extract(&headers, None, b"") {
            Ok(Some(t)) => prop_assert!(b64token_oracle(token) && t == token),
            Ok(None) => prop_assert!(false, "a Bearer header is never 'no credential'"),
            Err(_) => prop_assert!(!b64token_oracle(token)),
        }
    }

    /// RFC 6750 §2: a token in the header and one in the query or body is
    /// more than one method: refused whatever the values.
    #[test]
    fn bearer_credentials_in_two_places_are_refused(
        token in "[A-Za-z0-9._~+/-]{1,40}",
        other in "[A-Za-z0-9]{1,20}",
        in_query in any::<bool>(),
    ) {
        let mut headers = auth_header(&format!("Bearer {token}")).unwrap();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
        let carried = format!("access_token={other}");
        let verdict = if in_query {
            extract(&headers, Some(&carried), b"")
        } else {
            extract(&headers, None, carried.as_bytes())
        };
        prop_assert!(verdict.is_err());
        let two = [&format!("Bearer {token}"), &format!("Bearer {other}")];
        let mut headers = HeaderMap::new();
        for v in two {
            headers.append(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        prop_assert!(extract(&headers, None, b"").is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Through the router: a malformed credential is 400 with
    /// `error="invalid_request"`; a well-formed unknown one is 401 with
    /// `error="invalid_token"` (RFC 6750 §3.1).
    #[test]
    fn bearer_statuses_through_the_resource_endpoint(rest in "[!-~]{1,40}( [!-~]{1,5})?") {
        let Some(_) = auth_header(&format!("Bearer {rest}")) else { return Ok(()) };
        let reply = runtime().block_on(test_support::send(
            forge_state(),
            test_support::get("/v1/audits", Some(&format!("Bearer {rest}"))),
        ));
        let challenge = reply.header(header::WWW_AUTHENTICATE).to_owned();
        if b64token_oracle(&rest) {
            prop_assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
            prop_assert!(challenge.contains("error=\"invalid_token\""), "{}", challenge);
        } else {
            prop_assert_eq!(reply.status, StatusCode::BAD_REQUEST);
            prop_assert!(challenge.contains("error=\"invalid_request\""), "{}", challenge);
        }
    }
}

pub(super) fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    })
}
