//! The server under abuse, through the router: oversized bodies, slow
//! bodies, and floods of bad credentials. No timing assertions: where cost
//! matters, the key ring's count of signature checks shows what work ran.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{Request, StatusCode, header};

use super::forge::{ForgedAlg, MintRequest, Tamper, mint};
use super::limits::MAX_BODY_BYTES;
use super::test_support::*;
use super::token::AUTH_FAILURE_BUDGET;

fn form_of_len(len: usize) -> String {
    let mut body = String::from("grant_type=client_credentials&pad=");
    body.push_str(&"a".repeat(len - body.len()));
    body
}

/// RFC 9110 §15.5.14: a body over the limit is 413 before any handler
/// work; a body at the limit is read; the server keeps answering.
#[tokio::test]
async fn bodies_over_the_limit_get_413_and_the_server_still_answers() {
    let state = state();
    let auth = client_basic(&state, "C_BASIC");
    let over = send(
        &state,
        form("/oauth/token", &form_of_len(MAX_BODY_BYTES + 1), Some(&auth)),
    )
    .await;
    assert_eq!(over.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", over.text());
    let at = send(&state, form("/oauth/token", &form_of_len(MAX_BODY_BYTES), Some(&auth))).await;
    assert_eq!(at.status, StatusCode::OK, "{}", at.text());
    let json = Request::post("/v1/audits")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(vec![b' '; 4 * MAX_BODY_BYTES]))
        .unwrap();
    assert_eq!(send(&state, json).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    let authorize = form("/oauth/authorize", &form_of_len(MAX_BODY_BYTES + 1), None);
    assert_eq!(send(&state, authorize).await.status, StatusCode::PAYLOAD_TOO_LARGE);
    cc_token(&state, "C_BASIC", "audits:read").await;
}

/// RFC 9110 §15.5.9: a body that never finishes gets 408 once the request
/// timeout passes (shortened here), and the next request is served.
#[tokio::test]
async fn a_body_that_never_ends_gets_408() {
    let mut config = config();
    config.limits.request_timeout = Duration::from_millis(200);
    let state = state_with(&config);
    let first = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from_static(b"grant_type="))]);
    let stalled = Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()));
    let request = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, client_basic(&state, "C_BASIC"))
        .body(stalled)
        .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(10), send(&state, request))
        .await
        .expect("the timeout answers, the test does not hang");
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT, "{}", reply.text());
    cc_token(&state, "C_BASIC", "audits:read").await;
}

/// Tokens a flood might send: syntactic garbage, forged headers, and
/// tokens carrying C_BASIC's client_id that do not verify.
fn bad_tokens(state: &super::AppState) -> Vec<String> {
    let forged = |edit: fn(&mut MintRequest)| {
        let mut r = MintRequest {
            client: "C_BASIC".into(),
            ..Default::default()
        };
        edit(&mut r);
        mint(state, &r).unwrap()
    };
    vec![
        "garbage".into(),
        "a.b".into(),
        "a.b.c.d".into(),
        "e30.e30.AAAA".into(),
        "eyJhbGciOiJSUzI1NiJ9..AAAA".into(),
        "~~~.~~~.~~~".into(),
        "a".repeat(4096),
        forged(|r| r.alg = Some(ForgedAlg::None)),
        forged(|r| r.alg = Some(ForgedAlg::Hs256PublicKey)),
        forged(|r| r.kid = Some("not-a-key".into())),
        forged(|r| r.typ = Some("JWT".into())),
    ]
}

/// The cheap refusals come before the RSA verification: none of these
/// tokens reaches it, while a token with the right `kid` and a bad
/// signature does (it must: only the signature can tell).
#[tokio::test]
async fn the_bad_token_path_does_no_rsa_work_before_rejecting() {
    let state = state();
    let bad = bad_tokens(&state);
    let before = state.signing.verifications();
    for _ in 0..20 {
        for token in &bad {
            let reply = send(&state, get("/v1/audits", Some(&format!("Bearer {token}")))).await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}: {}", reply.text());
        }
    }
    assert_eq!(state.signing.verifications(), before, "no RSA verification ran");
    let tampered = mint(
        &state,
        &MintRequest {
            client: "C_BASIC".into(),
            tamper: Some(Tamper::Signature),
            ..Default::default()
        },
    )
    .unwrap();
    let reply = send(&state, get("/v1/audits", Some(&format!("Bearer {tampered}")))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(state.signing.verifications(), before + 1);
}

/// A flood of bad tokens, some naming C_BASIC, costs C_BASIC nothing: the
/// limiter counts a request only once its credential is authenticated.
#[tokio::test]
async fn bad_tokens_do_not_consume_a_clients_rate_limit() {
    let state = state();
    let good = cc_token(&state, "C_BASIC", "audits:read").await;
    let mut bad = bad_tokens(&state);
    bad.push(
        mint(
            &state,
            &MintRequest {
                client: "C_BASIC".into(),
                exp_offset_secs: Some(-1),
                ..Default::default()
            },
        )
        .unwrap(),
    );
    for _ in 0..20 {
        for token in &bad {
            send(&state, get("/v1/audits", Some(&format!("Bearer {token}")))).await;
        }
    }
    let reply = send(&state, get("/v1/audits", Some(&format!("Bearer {good}")))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let limit: u64 = reply.header("x-ratelimit-limit").parse().unwrap();
    assert_eq!(reply.header("x-ratelimit-remaining"), (limit - 1).to_string());
}

/// RFC 6749 §2.3.1 throttling is per client id: failures for ids we do not
/// know share one budget, and one client's failures do not lock out
/// another. (Failures for C_BASIC's own id do throttle C_BASIC: that is
/// the brute-force protection.)
#[tokio::test]
async fn failed_client_authentication_throttles_only_its_own_id() {
    let state = state();
    for i in 0..(3 * AUTH_FAILURE_BUDGET) {
        let wrong = basic(&format!("nobody-{i}"), "wrong");
        let reply = send(
            &state,
            form("/oauth/token", "grant_type=client_credentials", Some(&wrong)),
        )
        .await;
        assert!(reply.status.is_client_error(), "{}", reply.status);
        let wrong = basic("p11-post", "wrong");
        send(
            &state,
            form("/oauth/token", "grant_type=client_credentials", Some(&wrong)),
        )
        .await;
    }
    let throttled = send(
        &state,
        form(
            "/oauth/token",
            "grant_type=client_credentials",
            Some(&basic("p11-post", "x")),
        ),
    )
    .await;
    assert_eq!(
        throttled.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the flooded id is throttled"
    );
    cc_token(&state, "C_BASIC", "audits:read").await;
}
