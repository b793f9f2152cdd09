//! Harness-only controls under `/_harness/`: the clock, API key rotation and
//! revocation, signing key rotation, minting test tokens, and resets. Every
//! request needs `X-P11-Admin-Secret` (compared in constant time). A real
//! Point11 target has none of this.
//!
//! These responses may hold secrets (new keys, tokens); they are control
//! endpoints. Nothing here logs them.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::AppState;
use super::forge::{self, MintError, MintRequest};
use super::responses::no_store_json;
use super::signing::SigningKey;
use crate::apikey::constant_time_eq;

pub const ADMIN_SECRET_HEADER: HeaderName = HeaderName::from_static("x-p11-admin-secret");

/// The `/_harness` routes, guarded by the admin secret.
pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/api-keys/revoke", post(revoke_key))
        .route("/api-keys/{name}/rotate", post(rotate_key))
        .route("/api-keys/{name}/revoke", post(revoke_account))
        .route("/signing-keys/rotate", post(rotate_signing_key))
        .route("/tokens", post(mint_token))
        .route("/rate-limits/reset", post(reset_rate_limits))
        .route("/reset", post(reset))
        .route_layer(middleware::from_fn_with_state(state, require_admin_secret))
}

async fn require_admin_secret(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let expected = state.fixtures.admin_secret.expose();
    let sent = request.headers().get(ADMIN_SECRET_HEADER).and_then(|v| v.to_str().ok());
    if sent.is_some_and(|sent| constant_time_eq(sent, expected)) {
        return next.run(request).await;
    }
    let mut response = error(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "X-P11-Admin-Secret is missing or wrong",
    );
    // RFC 9110 §15.5.2: a 401 carries a challenge.
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("X-P11-Admin-Secret realm=\"p11-harness\""),
    );
    response
}

async fn clock(State(state): State<AppState>) -> Response {
    ok(clock_json(&state))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

async fn advance_clock(State(state): State<AppState>, body: Bytes) -> Response {
    match parse::<Advance>(&body) {
        Ok(advance) => {
            state.clock.advance(advance.seconds);
            ok(clock_json(&state))
        }
        Err(e) => bad_json(&e),
    }
}

fn clock_json(state: &AppState) -> Value {
    json!({"now": state.clock.now_secs(), "offset_secs": state.clock.offset_secs()})
}

async fn rotate_key(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.api_keys.rotate(&name, &state.faults) {
        Some(key) => ok(json!({"name": name, "key": key.expose()})),
        None => unknown_key_name(),
    }
}

async fn revoke_account(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    match state.api_keys.revoke_account(&name) {
        Some(revoked) => ok(json!({"name": name, "revoked": revoked})),
        None => unknown_key_name(),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RevokeKey {
    key: String,
}

async fn revoke_key(State(state): State<AppState>, body: Bytes) -> Response {
    match parse::<RevokeKey>(&body) {
        Ok(request) if state.api_keys.revoke_key(&request.key) => ok(json!({"revoked": 1})),
        Ok(_) => error(StatusCode::NOT_FOUND, "unknown_api_key", "No such API key"),
        Err(e) => bad_json(&e),
    }
}

/// A new current key; the previous one stays in the JWKS and keeps
/// verifying the tokens it signed.
async fn rotate_signing_key(State(state): State<AppState>) -> Response {
    match tokio::task::spawn_blocking(SigningKey::generate).await {
        Ok(Ok(key)) => {
            let kid = key.kid.clone();
            let previous_kid = state.signing.rotate(key);
            ok(json!({"kid": kid, "previous_kid": previous_kid}))
        }
        _ => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Cannot generate a signing key",
        ),
    }
}

async fn mint_token(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match parse::<MintRequest>(&body) {
        Ok(request) => request,
        Err(e) => return bad_json(&e),
    };
    match forge::mint(&state, &request) {
        Ok(token) => ok(json!({"access_token": token})),
        Err(MintError::UnknownClient(_)) => error(StatusCode::NOT_FOUND, "unknown_client", "No such client fixture"),
        Err(MintError::Sign(_)) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "Cannot sign the token",
        ),
    }
}

async fn reset_rate_limits(State(state): State<AppState>) -> Response {
    state.limiter.clear();
    ok(json!({"reset": "rate-limits"}))
}

/// Clock offset, API keys, rate limits, codes, revocations and live audits
/// back to their start (signing keys stay).
async fn reset(State(state): State<AppState>) -> Response {
    state.reset();
    ok(json!({"reset": "all"}))
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, serde_json::Error> {
    serde_json::from_slice(body)
}

/// 400 whose `detail` names what serde disliked.
fn bad_json(e: &serde_json::Error) -> Response {
    no_store_json(
        StatusCode::BAD_REQUEST,
        json!({"error": "invalid_request", "error_description": "The body is not the expected JSON", "detail": e.to_string()}),
    )
}

fn unknown_key_name() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "unknown_api_key",
        "No API key fixture with this name",
    )
}

fn ok(body: Value) -> Response {
    no_store_json(StatusCode::OK, body)
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    no_store_json(status, json!({"error": code, "error_description": description}))
}
