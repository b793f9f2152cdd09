//! Handler tests of the protected resources and the harness controls,
//! through the router without sockets.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};

use super::ADMIN_SECRET_HEADER;
use super::test_support::*;
use crate::fixtures::Tier;

fn key(state: &super::AppState, name: &str) -> String {
    state.fixtures.api_key(name).unwrap().key.expose().to_owned()
}

fn bearer(credential: &str) -> String {
    format!("Bearer {credential}")
}

fn assert_rs_error(reply: &Reply, status: StatusCode, error: Option<&str>) {
    assert_eq!(reply.status, status, "{}", reply.text());
    let challenge = reply.header(header::WWW_AUTHENTICATE);
    assert!(challenge.starts_with("Bearer realm=\"point11\""), "{challenge}");
    // Attribute values: %x20-21 / %x23-5B / %x5D-7E between the quotes.
    for value in challenge.split('"').skip(1).step_by(2) {
        assert!(
            value
                .bytes()
                .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
            "{challenge}"
        );
    }
    match error {
        Some(code) => assert!(challenge.contains(&format!("error=\"{code}\"")), "{challenge}"),
        None => assert!(!challenge.contains("error="), "{challenge}"),
    }
}

fn admin(method: &str, path: &str, body: Value, secret: &str) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(ADMIN_SECRET_HEADER, secret)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

async fn admin_ok(state: &super::AppState, method: &str, path: &str, body: Value) -> Value {
    let secret = state.fixtures.admin_secret.expose().to_owned();
    let reply = send(state, admin(method, path, body, &secret)).await;
    assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.text());
    reply.json()
}

#[tokio::test]
async fn no_credentials_is_401_without_error_and_missing_scope_is_403() {
    let state = state();
    assert_rs_error(
        &send(&state, get("/v1/audits", None)).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    assert_rs_error(
        &send(&state, get("/v1/audits", Some("Basic eDp5"))).await,
        StatusCode::UNAUTHORIZED,
        None,
    );
    let token = cc_token(&state, "C_BASIC", "analytics:read").await;
    let reply = send(&state, get("/v1/audits", Some(&bearer(&token)))).await;
    assert_rs_error(&reply, StatusCode::FORBIDDEN, Some("insufficient_scope"));
    assert!(
        reply
            .header(header::WWW_AUTHENTICATE)
            .ends_with("scope=\"audits:read\"")
    );
    assert_eq!(reply.header("x-ratelimit-limit"), "100");
    let reply = send(&state, get("/v1/analytics", Some(&format!("bEaReR  {token}")))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["environment"], "live");
    assert_eq!(reply.header("x-ratelimit-remaining"), "98");
    assert_eq!(reply.header("x-ratelimit-reset"), (NOW + 60).to_string());
}

#[tokio::test]
async fn malformed_requests_are_400_and_query_credentials_401() {
    let state = state();
    let token = cc_token(&state, "C_BASIC", "audits:read").await;
    for value in ["Bearer", "Bearer abc def", "Bearer \"abc\"", "Bearer abc,def"] {
        let reply = send(&state, get("/v1/audits", Some(value))).await;
        assert_rs_error(&reply, StatusCode::BAD_REQUEST, Some("invalid_request"));
    }
    let two = Request::get("/v1/audits")
        .header(header::AUTHORIZATION, bearer(&token))
        .header(header::AUTHORIZATION, bearer(&token))
        .body(Body::empty())
        .unwrap();
    assert_rs_error(
        &send(&state, two).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    let mixed = get(&format!("/v1/audits?access_token={token}"), Some(&bearer(&token)));
    assert_rs_error(
        &send(&state, mixed).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    let in_body = form("/v1/audits", &format!("access_token={token}"), Some(&bearer(&token)));
    assert_rs_error(
        &send(&state, in_body).await,
        StatusCode::BAD_REQUEST,
        Some("invalid_request"),
    );
    let query_only = get(&format!("/v1/audits?access_token={token}"), None);
    assert_rs_error(&send(&state, query_only).await, StatusCode::UNAUTHORIZED, None);
    let api_key_query = get(&format!("/v1/audits?api_key={}", key(&state, "LIVE_STD")), None);
    assert_rs_error(&send(&state, api_key_query).await, StatusCode::UNAUTHORIZED, None);
}

#[tokio::test]
async fn invalid_tokens_and_keys_are_401_invalid_token() {
    let state = state();
    let token = cc_token(&state, "C_BASIC", "audits:read").await;
    // One character's case flipped, in the claims segment.
    let at = token.find('.').unwrap() + 1;
    let mut flipped = token.clone().into_bytes();
    flipped[at] ^= 0x20;
    let flipped = String::from_utf8(flipped).unwrap();
    let live = key(&state, "LIVE_STD");
    let candidates = [
        "random-string".to_owned(),
        flipped,
        "p11_prod_lg9Vmoz00EXl80Wu2kKFDO7JnSt0NrXMRLzSUdt4".to_owned(),
        live[..30].to_owned(),
        format!("p11_live_{}", "A".repeat(40)),
    ];
    for credential in candidates {
        let reply = send(&state, get("/v1/audits", Some(&bearer(&credential)))).await;
        assert_rs_error(&reply, StatusCode::UNAUTHORIZED, Some("invalid_token"));
        assert!(!reply.text().contains(&credential), "never echo the credential");
    }
}

#[tokio::test]
async fn tokens_expire_with_the_clock() {
    let state = state();
    let token = cc_token(&state, "C_BASIC", "audits:read").await;
    state.clock.advance(3599);
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(&token)))).await.status,
        StatusCode::OK
    );
    let body = json!({"seconds": 1});
    let now = admin_ok(&state, "POST", "/_harness/clock/advance", body).await;
    assert_eq!(now["now"], NOW + 3600);
    let reply = send(&state, get("/v1/audits", Some(&bearer(&token)))).await;
    assert_rs_error(&reply, StatusCode::UNAUTHORIZED, Some("invalid_token"));
}

#[tokio::test]
async fn api_keys_choose_the_environment_and_test_keys_never_write() {
    let state = state();
    let test = send(&state, get("/v1/audits", Some(&bearer(&key(&state, "TEST_STD"))))).await;
    assert_eq!(test.json()["environment"], "test");
    assert!(!test.text().contains("p11_test_"));
    let live_key = key(&state, "LIVE_STD");
    let live = send(&state, get("/v1/audits", Some(&bearer(&live_key)))).await;
    assert_eq!(live.json()["environment"], "live");
    let before = live.json()["audits"].as_array().unwrap().len();
    let post = |credential: String| {
        Request::post("/v1/audits")
            .header(header::AUTHORIZATION, bearer(&credential))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"title":"from a test"}"#))
            .unwrap()
    };
    let refused = send(&state, post(key(&state, "TEST_WRITE"))).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.json()["error"], "test_key_read_only");
    assert!(refused.headers.contains_key("x-ratelimit-remaining"));
    let after = send(&state, get("/v1/audits", Some(&bearer(&live_key)))).await;
    assert_eq!(after.json()["audits"].as_array().unwrap().len(), before);
    let created = send(&state, post(live_key.clone())).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let after = send(&state, get("/v1/audits", Some(&bearer(&live_key)))).await;
    assert_eq!(after.json()["audits"].as_array().unwrap().len(), before + 1);
}

/// Issue 4, through the handlers: 256 concurrent requests on one key admit
/// exactly the limit and no two admitted responses carry the same
/// Remaining, so the header is computed inside the limiter's critical
/// section (LOAD-METRICS.md §4.5).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratelimit_is_exact_for_256_concurrent_requests() {
    const N: usize = 256;
    let mut config = config();
    config.fixtures.tiers.insert(Tier::Standard, 100);
    let state = state_with(&config);
    let live = bearer(&key(&state, "LIVE_STD"));
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(N));
    let tasks: Vec<_> = (0..N)
        .map(|_| {
            let (state, live, start) = (state.clone(), live.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                send(&state, get("/v1/audits", Some(&live))).await
            })
        })
        .collect();
    let mut remaining = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        if reply.status == StatusCode::OK {
            remaining.push(reply.header("x-ratelimit-remaining").parse::<u64>().unwrap());
        } else {
            assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
        }
    }
    remaining.sort_unstable();
    assert_eq!(remaining, (0..100).collect::<Vec<u64>>());
}

#[tokio::test]
async fn rate_limit_answers_429_after_the_limit() {
    let mut config = config();
    config.fixtures.tiers.insert(Tier::Standard, 3);
    let state = state_with(&config);
    let live = bearer(&key(&state, "LIVE_STD"));
    for remaining in ["2", "1", "0"] {
        let reply = send(&state, get("/v1/audits", Some(&live))).await;
        assert_eq!(
            (reply.status, reply.header("x-ratelimit-remaining")),
            (StatusCode::OK, remaining)
        );
    }
    state.clock.advance(20);
    let blocked = send(&state, get("/v1/audits", Some(&live))).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(blocked.header(header::RETRY_AFTER), "40");
    assert_eq!(blocked.header("x-ratelimit-remaining"), "0");
    assert_eq!(blocked.header("x-ratelimit-limit"), "3");
    assert_eq!(blocked.json()["error"], "rate_limited");
    let other = send(&state, get("/v1/audits", Some(&bearer(&key(&state, "TEST_STD"))))).await;
    assert_eq!(other.status, StatusCode::OK, "another key has its own budget");
    state.clock.advance(40);
    assert_eq!(
        send(&state, get("/v1/audits", Some(&live))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn admin_controls_need_the_secret() {
    let state = state();
    let reply = send(&state, admin("GET", "/_harness/clock", json!({}), "wrong")).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert!(reply.headers.contains_key(header::WWW_AUTHENTICATE));
    let clock = admin_ok(&state, "GET", "/_harness/clock", json!({})).await;
    assert_eq!(clock, json!({"now": NOW, "offset_secs": 0}));
}

#[tokio::test]
async fn api_key_rotation_overlaps_and_revocation_is_immediate() {
    let state = state();
    let old = key(&state, "LIVE_ROT");
    let rotated = admin_ok(&state, "POST", "/_harness/api-keys/LIVE_ROT/rotate", json!({})).await;
    let new = rotated["key"].as_str().unwrap().to_owned();
    for k in [&old, &new] {
        assert_eq!(
            send(&state, get("/v1/audits", Some(&bearer(k)))).await.status,
            StatusCode::OK
        );
    }
    admin_ok(&state, "POST", "/_harness/api-keys/revoke", json!({"key": old})).await;
    let reply = send(&state, get("/v1/audits", Some(&bearer(&old)))).await;
    assert_rs_error(&reply, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(&new)))).await.status,
        StatusCode::OK
    );
    admin_ok(&state, "POST", "/_harness/api-keys/LIVE_ROT/revoke", json!({})).await;
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(&new)))).await.status,
        StatusCode::UNAUTHORIZED
    );
    admin_ok(&state, "POST", "/_harness/reset", json!({})).await;
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(&old)))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn signing_key_rotation_keeps_old_tokens_valid() {
    let state = state();
    let old_token = cc_token(&state, "C_BASIC", "audits:read").await;
    let rotated = admin_ok(&state, "POST", "/_harness/signing-keys/rotate", json!({})).await;
    assert_ne!(rotated["kid"], rotated["previous_kid"]);
    let jwks = send(&state, get("/.well-known/jwks.json", None)).await.json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(&old_token)))).await.status,
        StatusCode::OK
    );
    let new_token = cc_token(&state, "C_BASIC", "audits:read").await;
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(&new_token)))).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn forged_tokens_from_the_admin_endpoint_are_refused() {
    let state = state();
    let valid = admin_ok(
        &state,
        "POST",
        "/_harness/tokens",
        json!({"client": "C_BASIC", "scope": "audits:read"}),
    )
    .await;
    let token = valid["access_token"].as_str().unwrap();
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer(token)))).await.status,
        StatusCode::OK
    );
    for forged in [
        json!({"client": "C_BASIC", "alg": "none"}),
        json!({"client": "C_BASIC", "alg": "HS256-pubkey"}),
        json!({"client": "C_BASIC", "tamper": "signature"}),
        json!({"client": "C_BASIC", "aud": "https://other.test"}),
        json!({"client": "C_BASIC", "exp_offset_secs": -1}),
    ] {
        let minted = admin_ok(&state, "POST", "/_harness/tokens", forged.clone()).await;
        let reply = send(
            &state,
            get("/v1/audits", Some(&bearer(minted["access_token"].as_str().unwrap()))),
        )
        .await;
        assert_rs_error(&reply, StatusCode::UNAUTHORIZED, Some("invalid_token"));
    }
}
