//! Handler tests of the OAuth endpoints, through the router without sockets.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use serde_json::Value;

use super::test_support::*;

fn assert_token_error(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(reply.json()["error"], code, "{}", reply.text());
    assert!(reply.json().get("access_token").is_none());
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    let description = reply.json()["error_description"].as_str().unwrap().to_owned();
    assert!(
        description
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
        "{description}"
    );
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(reply.header(header::WWW_AUTHENTICATE), "Basic realm=\"point11\"");
    }
}

fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

#[tokio::test]
async fn client_credentials_happy_path() {
    let state = state();
    let body = "grant_type=client_credentials&scope=audits%3Aread&foo=bar";
    let reply = send(
        &state,
        form("/oauth/token", body, Some(&client_basic(&state, "C_BASIC"))),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert!(reply.header(header::CONTENT_TYPE).starts_with("application/json"));
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(reply.header(header::PRAGMA), "no-cache");
    let json = reply.json();
    assert_eq!(json["token_type"], "Bearer");
    assert_eq!(json["expires_in"], 3600);
    assert_eq!(json["scope"], "audits:read");
    assert!(json.get("refresh_token").is_none());
    let token = json["access_token"].as_str().unwrap();
    let header = jwt_part(token, 0);
    assert_eq!(
        (header["typ"].as_str(), header["alg"].as_str()),
        (Some("at+jwt"), Some("RS256"))
    );
    assert_eq!(header["kid"], state.signing.current().kid.as_str());
    let claims = jwt_part(token, 1);
    assert_eq!(claims["client_id"], "p11-basic");
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    for claim in ["iss", "aud", "sub", "jti", "tier"] {
        assert!(claims.get(claim).is_some(), "{claim}");
    }
}

#[tokio::test]
async fn basic_credentials_are_form_decoded_and_body_credentials_work() {
    let state = state();
    let special = basic("svc:reports", "p+q/r%s t");
    let reply = send(
        &state,
        form("/oauth/token", "grant_type=client_credentials", Some(&special)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let secret = state.fixtures.client("C_POST").unwrap().secret.clone().unwrap();
    let body = format!(
        "grant_type=client_credentials&client_id=p11-post&client_secret={}",
        secret.expose()
    );
    let reply = send(&state, form("/oauth/token", &body, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(
        reply.json()["scope"],
        "audits:read analytics:read",
        "omitted scope: the full set"
    );
}

#[tokio::test]
async fn client_authentication_failures_are_401_with_a_basic_challenge() {
    let state = state();
    let cc = "grant_type=client_credentials";
    for authorization in [
        basic("p11-basic", "wrong"),
        basic("nobody", "x"),
        "Basic %%%".into(),
        "Digest username=\"p11-basic\"".into(),
        "Bearer abc".into(),
    ] {
        let reply = send(&state, form("/oauth/token", cc, Some(&authorization))).await;
        assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let wrong_body = "grant_type=client_credentials&client_id=p11-post&client_secret=wrong";
    let reply = send(&state, form("/oauth/token", wrong_body, None)).await;
    assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
    let no_secret = "grant_type=client_credentials&client_id=p11-post";
    assert_token_error(
        &send(&state, form("/oauth/token", no_secret, None)).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    let none = send(&state, form("/oauth/token", cc, None)).await;
    assert_token_error(&none, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn malformed_token_requests_are_invalid_request() {
    let state = state();
    let auth = client_basic(&state, "C_BASIC");
    let secret = state.fixtures.client("C_BASIC").unwrap().secret.clone().unwrap();
    let both = format!("grant_type=client_credentials&client_secret={}", secret.expose());
    for body in [
        "grant_type=client_credentials&grant_type=client_credentials",
        "grant_type=client_credentials&scope=audits%3Aread&scope=audits%3Aread",
        "scope=audits%3Aread",
        both.as_str(),
    ] {
        let reply = send(&state, form("/oauth/token", body, Some(&auth))).await;
        assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    }
    let json = Request::post("/oauth/token")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, &auth)
        .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
        .unwrap();
    assert_token_error(&send(&state, json).await, StatusCode::BAD_REQUEST, "invalid_request");
    let in_uri = form(
        "/oauth/token?client_id=p11-basic&client_secret=x",
        "grant_type=client_credentials",
        None,
    );
    assert_token_error(&send(&state, in_uri).await, StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test]
async fn get_on_the_token_endpoint_is_405_allow_post() {
    let state = state();
    let reply = send(&state, get("/oauth/token?grant_type=client_credentials", None)).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.header(header::ALLOW), "POST");
    assert_eq!(reply.json()["error"], "invalid_request");
}

#[tokio::test]
async fn grant_and_scope_errors() {
    let state = state();
    let basic_auth = client_basic(&state, "C_BASIC");
    let cases = [
        (
            "grant_type=password&username=u&password=p",
            "C_BASIC",
            "unsupported_grant_type",
        ),
        ("grant_type=urn%3Ap11%3Aunknown", "C_BASIC", "unsupported_grant_type"),
        ("grant_type=client_credentials", "C_AC_ONLY", "unauthorized_client"),
        (
            "grant_type=client_credentials&scope=audits%3Aread+audits%3Awrite",
            "C_BASIC",
            "invalid_scope",
        ),
        (
            "grant_type=client_credentials&scope=AUDITS%3AREAD",
            "C_BASIC",
            "invalid_scope",
        ),
        (
            "grant_type=client_credentials&scope=audits%3Aread++analytics%3Aread",
            "C_BASIC",
            "invalid_scope",
        ),
        (
            "grant_type=client_credentials&scope=p11%3Anonexistent",
            "C_BASIC",
            "invalid_scope",
        ),
    ];
    for (body, client, code) in cases {
        let reply = send(&state, form("/oauth/token", body, Some(&client_basic(&state, client)))).await;
        assert_token_error(&reply, StatusCode::BAD_REQUEST, code);
    }
    let public = send(
        &state,
        form(
            "/oauth/token",
            "grant_type=client_credentials&client_id=p11-public",
            None,
        ),
    )
    .await;
    assert_token_error(&public, StatusCode::BAD_REQUEST, "unauthorized_client");
    let reordered = "grant_type=client_credentials&scope=analytics%3Aread+audits%3Aread&scope=";
    let reply = send(&state, form("/oauth/token", reordered, Some(&basic_auth))).await;
    assert_eq!(reply.json()["scope"], "audits:read analytics:read");
}

#[tokio::test]
async fn pkce_happy_path_keeps_the_redirect_query_and_state() {
    let state = state();
    let query = code_request("p11-basic", "https://client.test/cb2?tenant=a", "audits:read")
        .replace("state=S", &format!("state={}", encode("x y/+?&=%~")));
    let consent = send(&state, get(&format!("/oauth/authorize?{query}"), None)).await;
    assert_eq!(consent.status, StatusCode::OK);
    assert!(consent.text().contains("value=\"approve\""));
    let reply = approve(&state, &query).await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER);
    assert!(
        reply
            .header(header::LOCATION)
            .starts_with("https://client.test/cb2?tenant=a&code=")
    );
    let params = reply.location_params();
    assert_eq!(params.iter().filter(|(n, _)| n == "code").count(), 1);
    assert_eq!(reply.location_param("state").as_deref(), Some("x y/+?&=%~"));
    let code = reply.location_param("code").unwrap();
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}&code_challenge_method=plain",
        encode("https://client.test/cb2?tenant=a")
    );
    let token = send(
        &state,
        form("/oauth/token", &body, Some(&client_basic(&state, "C_BASIC"))),
    )
    .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text());
    assert_eq!(token.json()["scope"], "audits:read");
}

#[tokio::test]
async fn wrong_verifier_fails_and_consumes_the_code() {
    let state = state();
    let code = basic_code(&state).await;
    let other = "a".repeat(43);
    assert_token_error(
        &exchange(&state, &code, &other).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    assert_token_error(
        &exchange(&state, &code, VERIFIER).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    for bad in [
        CHALLENGE.to_owned(),
        "a".repeat(42),
        "a".repeat(129),
        format!("{}+", "a".repeat(49)),
    ] {
        let code = basic_code(&state).await;
        assert_token_error(
            &exchange(&state, &code, &bad).await,
            StatusCode::BAD_REQUEST,
            "invalid_grant",
        );
    }
    let code = basic_code(&state).await;
    let no_verifier = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}",
        encode("https://client.test/cb")
    );
    let reply = send(
        &state,
        form("/oauth/token", &no_verifier, Some(&client_basic(&state, "C_BASIC"))),
    )
    .await;
    assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test]
async fn replay_is_refused_and_revokes_the_first_token() {
    let state = state();
    let code = basic_code(&state).await;
    let first = exchange(&state, &code, VERIFIER).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());
    let token = first.json()["access_token"].as_str().unwrap().to_owned();
    let bearer = format!("Bearer {token}");
    assert_eq!(
        send(&state, get("/v1/audits", Some(&bearer))).await.status,
        StatusCode::OK
    );
    assert_token_error(
        &exchange(&state, &code, VERIFIER).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let after = send(&state, get("/v1/audits", Some(&bearer))).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert!(
        after
            .header(header::WWW_AUTHENTICATE)
            .contains("error=\"invalid_token\"")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_redemptions_yield_one_token() {
    let state = state();
    let code = basic_code(&state).await;
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (state, code) = (state.clone(), code.clone());
            tokio::spawn(async move { exchange(&state, &code, VERIFIER).await.status })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1);
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::BAD_REQUEST).count(), 19);
}

#[tokio::test]
async fn code_binding_expiry_and_redirect_uri_rules() {
    let state = state();
    let code = basic_code(&state).await;
    state.clock.advance(301);
    assert_token_error(
        &exchange(&state, &code, VERIFIER).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    state.clock.reset();
    let code = basic_code(&state).await;
    let other_client = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
        encode("https://client.test/cb")
    );
    let reply = send(
        &state,
        form("/oauth/token", &other_client, Some(&client_basic(&state, "C_B"))),
    )
    .await;
    assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_grant");
    let auth = client_basic(&state, "C_BASIC");
    let code = basic_code(&state).await;
    let missing = format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}");
    let reply = send(&state, form("/oauth/token", &missing, Some(&auth))).await;
    assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    let code = basic_code(&state).await;
    let mismatch = format!(
        "grant_type=authorization_code&code={code}&code_verifier={VERIFIER}&redirect_uri={}",
        encode("https://client.test/cb2?tenant=a")
    );
    let reply = send(&state, form("/oauth/token", &mismatch, Some(&auth))).await;
    assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_grant");
    let unknown_client = "grant_type=authorization_code&code=garbage&code_verifier=x";
    let reply = send(
        &state,
        form("/oauth/token", unknown_client, Some(&basic("nobody", "x"))),
    )
    .await;
    assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn public_and_confidential_clients_at_the_code_exchange() {
    let state = state();
    let query = code_request("p11-public", "https://client.test/pub/cb", "audits:read")
        .replace("&redirect_uri=https%3A%2F%2Fclient.test%2Fpub%2Fcb", "");
    let reply = approve(&state, &query).await;
    assert!(
        reply
            .header(header::LOCATION)
            .starts_with("https://client.test/pub/cb?code="),
        "single URI is the default"
    );
    let code = reply.location_param("code").unwrap();
    let without_id = format!("grant_type=authorization_code&code={code}&code_verifier={VERIFIER}");
    let reply = send(&state, form("/oauth/token", &without_id, None)).await;
    assert_token_error(&reply, StatusCode::BAD_REQUEST, "invalid_request");
    let reply = approve(&state, &query).await;
    let code = reply.location_param("code").unwrap();
    let with_id = format!("grant_type=authorization_code&client_id=p11-public&code={code}&code_verifier={VERIFIER}");
    let reply = send(&state, form("/oauth/token", &with_id, None)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let code = basic_code(&state).await;
    let id_only = format!(
        "grant_type=authorization_code&client_id=p11-basic&code={code}&code_verifier={VERIFIER}&redirect_uri={}",
        encode("https://client.test/cb")
    );
    let reply = send(&state, form("/oauth/token", &id_only, None)).await;
    assert_token_error(&reply, StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test]
async fn authorization_errors_that_must_not_redirect() {
    let state = state();
    let valid = code_request("p11-basic", "https://client.test/cb", "audits:read");
    let cases = [
        valid.replace("client_id=p11-basic", "client_id=unknown"),
        valid.replace("client_id=p11-basic&", ""),
        format!("{valid}&client_id=p11-basic"),
        valid.replace("cb&", "cb%23x&"),
        valid.replace("cb&", "cb%2F&"),
        valid.replace("https%3A%2F%2Fclient.test%2Fcb", "https%3A%2F%2Fevil.test%2Fcb"),
        valid.replace("&redirect_uri=https%3A%2F%2Fclient.test%2Fcb", ""),
        format!("{valid}&redirect_uri={}", encode("https://client.test/cb2?tenant=a")),
    ];
    for query in cases {
        let reply = send(&state, get(&format!("/oauth/authorize?{query}"), None)).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(reply.headers.get(header::LOCATION).is_none(), "{query}");
        assert!(reply.header(header::CONTENT_TYPE).starts_with("text/html"));
    }
}

#[tokio::test]
async fn authorization_errors_redirect_with_state_and_no_code() {
    let state = state();
    let valid = code_request("p11-basic", "https://client.test/cb", "audits:read");
    let cc_only = code_request("p11-cc-only", "https://client.test/cc/cb", "audits:read");
    let cases = [
        (format!("{valid}&scope=analytics%3Aread"), "invalid_request"),
        (valid.replace("response_type=code&", ""), "invalid_request"),
        (
            valid.replace("response_type=code", "response_type=token"),
            "unsupported_response_type",
        ),
        (
            valid.replace("scope=audits%3Aread", "scope=p11%3Anonexistent"),
            "invalid_scope",
        ),
        (
            valid.replace(&format!("code_challenge={CHALLENGE}&"), ""),
            "invalid_request",
        ),
        (valid.replace("S256", "plain"), "invalid_request"),
        (valid.replace("S256", "S512"), "invalid_request"),
        (valid.replace("&code_challenge_method=S256", ""), "invalid_request"),
        (valid.replace(CHALLENGE, &format!("{CHALLENGE}%3D")), "invalid_request"),
        (
            valid.replace(CHALLENGE, &CHALLENGE.replace('-', "%2B")),
            "invalid_request",
        ),
        (cc_only, "unauthorized_client"),
    ];
    for (query, code) in cases {
        let reply = send(&state, get(&format!("/oauth/authorize?{query}"), None)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{query}: {}", reply.text());
        assert_eq!(reply.location_param("error").as_deref(), Some(code), "{query}");
        assert_eq!(reply.location_param("state").as_deref(), Some("S"), "{query}");
        assert!(reply.location_param("code").is_none());
    }
    let denied = send(
        &state,
        form("/oauth/authorize", &format!("{valid}&decision=deny"), None),
    )
    .await;
    assert_eq!(denied.status, StatusCode::SEE_OTHER);
    assert_eq!(denied.location_param("error").as_deref(), Some("access_denied"));
    assert_eq!(denied.location_param("state").as_deref(), Some("S"));
}

#[tokio::test]
async fn failed_client_authentication_is_throttled_per_client() {
    let state = state();
    let wrong = basic("p11-basic", "wrong");
    for _ in 0..super::AUTH_FAILURE_BUDGET {
        let reply = send(
            &state,
            form("/oauth/token", "grant_type=client_credentials", Some(&wrong)),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    let blocked = send(
        &state,
        form("/oauth/token", "grant_type=client_credentials", Some(&wrong)),
    )
    .await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.header(header::RETRY_AFTER).parse::<u64>().unwrap() >= 1);
    let right = client_basic(&state, "C_BASIC");
    let reply = send(
        &state,
        form("/oauth/token", "grant_type=client_credentials", Some(&right)),
    )
    .await;
    assert_eq!(
        reply.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked until the window ends"
    );
    cc_token(&state, "C_POST", "audits:read").await;
    state.clock.advance(60);
    cc_token(&state, "C_BASIC", "audits:read").await;
}

#[tokio::test]
async fn discovery_documents() {
    let state = state();
    let request = Request::get("/.well-known/oauth-authorization-server")
        .header(header::HOST, "127.0.0.1:8443")
        .body(Body::empty())
        .unwrap();
    let metadata = send(&state, request).await.json();
    assert_eq!(metadata["token_endpoint"], "https://127.0.0.1:8443/oauth/token");
    assert_eq!(
        metadata["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(metadata["response_types_supported"], serde_json::json!(["code"]));
    let jwks = send(&state, get("/.well-known/jwks.json", None)).await.json();
    assert_eq!(jwks["keys"][0]["kid"], state.signing.current().kid.as_str());
}
