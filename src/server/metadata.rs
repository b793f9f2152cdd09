//! Discovery: the JWK Set (RFC 7517) and the authorization server metadata
//! (RFC 8414).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::faults::Fault;

/// The current signing key and, after a rotation, the previous one.
pub async fn jwks(State(state): State<AppState>) -> Response {
    Json(state.signing.jwks()).into_response()
}

/// RFC 8414 §2. The `issuer` is the fixtures' issuer, the value tokens carry
/// in `iss`; the endpoints are absolute URLs of this server.
pub async fn authorization_server(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let base = base_url(&state, &headers, &uri);
    Json(json!({
        "issuer": state.fixtures.issuer,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "scopes_supported": state.fixtures.scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        // RFC 9700 §2.1.1: publish PKCE support; plain is refused.
        "code_challenge_methods_supported": if state.faults.breaks(Fault::PlainListedInMetadata) {
            json!(["S256", "plain"])
        } else {
            json!(["S256"])
        },
    }))
    .into_response()
}

/// The server's own URL once it listens; before that (handler tests), the
/// authority the request was sent to.
fn base_url(state: &AppState, headers: &HeaderMap, uri: &Uri) -> String {
    if let Some(base) = state.base_url.get() {
        return base.clone();
    }
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "localhost".into());
    format!("https://{authority}")
}
