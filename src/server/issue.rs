//! Issuing access tokens and the successful token response (RFC 6749
//! §5.1).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::jwt::{self, AccessClaims, b64url};
use super::responses::no_store_json;
use crate::fixtures::Client;

/// A signed access token and what it grants.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub jti: String,
    pub scope: String,
}

/// Signs a token for `client` with `scope`, valid for the token lifetime
/// from now (server clock).
pub fn access_token(
    state: &AppState,
    client: &Client,
    scope: &[String],
) -> Result<Issued, jsonwebtoken::errors::Error> {
    let now = state.clock.now_secs();
    let claims = AccessClaims {
        iss: state.fixtures.issuer.clone(),
        aud: state.fixtures.audience.clone(),
        sub: client.id.clone(),
        client_id: client.id.clone(),
        scope: scope.join(" "),
        iat: now,
        exp: now + state.token_ttl_secs(),
        nbf: None,
        jti: new_jti(),
        tier: client.tier.as_str().to_owned(),
    };
    let access_token = jwt::sign(&state.signing.current(), &claims)?;
    Ok(Issued {
        access_token,
        jti: claims.jti,
        scope: claims.scope,
    })
}

/// 128 random bits, base64url.
pub fn new_jti() -> String {
    b64url(&rand::random::<[u8; 16]>())
}

/// RFC 6749 §5.1: 200, JSON members at top level, `expires_in` a number,
/// `scope` always present, no refresh token, `no-store`/`no-cache`.
pub fn success(state: &AppState, issued: &Issued) -> Response {
    let body = json!({
        "access_token": issued.access_token,
        "token_type": "Bearer",
        "expires_in": state.token_ttl_secs(),
        "scope": issued.scope,
    });
    no_store_json(StatusCode::OK, body)
}
