//! Helpers for the server's unit tests: one RSA key for all of them, a state
//! on a frozen clock, and requests sent through the router without sockets.

use std::sync::OnceLock;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine;
use serde_json::Value;
use tower::ServiceExt;

use super::{AppState, Clock, ServeConfig, SigningKey, TlsSetup, app};
use crate::fixtures::Fixtures;

/// 2024-01-25T00:00:00Z, a multiple of 60 s: rate windows start here.
pub const NOW: i64 = 1_706_140_800;

/// A server that breaks no rule, for code that takes the fault set.
pub static NO_FAULTS: super::Faults = super::Faults::none();

/// What the resource server expects of a token in the JWT unit tests.
pub fn expectations(now_secs: i64) -> super::jwt::Expectations<'static> {
    super::jwt::Expectations {
        issuer: "https://issuer.test",
        audience: "https://api.test",
        now_secs,
        faults: &NO_FAULTS,
    }
}

/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn signing_key() -> SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate().expect("RSA key generation"))
        .clone()
}

pub fn config() -> ServeConfig {
    ServeConfig::new(Fixtures::builtin(), TlsSetup::Ephemeral)
}

pub fn state_with(config: &ServeConfig) -> AppState {
    AppState::with_signing_key(config, Clock::fixed(NOW), signing_key())
}

pub fn state() -> AppState {
    state_with(&config())
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: impl header::AsHeaderName) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    /// The query parameters of the `Location` header.
    pub fn location_params(&self) -> Vec<(String, String)> {
        let url = url::Url::parse(self.header(header::LOCATION)).unwrap();
        url.query_pairs().into_owned().collect()
    }

    pub fn location_param(&self, name: &str) -> Option<String> {
        self.location_params()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }
}

pub async fn send(state: &AppState, request: Request<Body>) -> Reply {
    let router: Router = app(state.clone());
    let response = router.oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    Reply {
        status,
        headers,
        body: body.to_vec(),
    }
}

/// `Authorization: Basic` per RFC 6749 §2.3.1: each half form-encoded.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let raw = format!("{}:{}", enc(id), enc(secret));
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw))
}

pub fn client_basic(state: &AppState, name: &str) -> String {
    let client = state.fixtures.client(name).unwrap();
    basic(&client.id, client.secret.as_ref().unwrap().expose())
}

/// A form POST to `path`, optionally with an `Authorization` header.
pub fn form(path: &str, body: &str, authorization: Option<&str>) -> Request<Body> {
    let mut builder = Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder.body(Body::from(body.to_owned())).unwrap()
}

/// A GET with an optional `Authorization` header.
pub fn get(path: &str, authorization: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(path);
    if let Some(value) = authorization {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder.body(Body::empty()).unwrap()
}

/// A client-credentials token for the fixture client `name`.
pub async fn cc_token(state: &AppState, name: &str, scope: &str) -> String {
    let body = format!("grant_type=client_credentials&scope={}", encode(scope));
    let reply = send(state, form("/oauth/token", &body, Some(&client_basic(state, name)))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    reply.json()["access_token"].as_str().unwrap().to_owned()
}

/// Approves an authorization request (the consent form's POST) and returns
/// the redirect. `query` holds the request's parameters.
pub async fn approve(state: &AppState, query: &str) -> Reply {
    send(
        state,
        form("/oauth/authorize", &format!("{query}&decision=approve"), None),
    )
    .await
}

/// A code for C_BASIC to `https://client.test/cb` with the Appendix B
/// challenge and `audits:read`.
pub async fn basic_code(state: &AppState) -> String {
    let reply = approve(
        state,
        &code_request("p11-basic", "https://client.test/cb", "audits:read"),
    )
    .await;
    assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.text());
    reply.location_param("code").expect("a code")
}

/// The parameters of a valid authorization request.
pub fn code_request(client_id: &str, redirect_uri: &str, scope: &str) -> String {
    format!(
        "response_type=code&client_id={}&redirect_uri={}&scope={}&state=S&code_challenge={CHALLENGE}&code_challenge_method=S256",
        encode(client_id),
        encode(redirect_uri),
        encode(scope)
    )
}

pub fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// Exchanges `code` as C_BASIC with `verifier`.
pub async fn exchange(state: &AppState, code: &str, verifier: &str) -> Reply {
    let body = format!(
        "grant_type=authorization_code&code={}&redirect_uri={}&code_verifier={}",
        encode(code),
        encode("https://client.test/cb"),
        encode(verifier)
    );
    send(
        state,
        form("/oauth/token", &body, Some(&client_basic(state, "C_BASIC"))),
    )
    .await
}
