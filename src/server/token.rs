//! The token endpoint, `POST /oauth/token` (RFC 6749 §3.2): request
//! parsing, client authentication with brute-force throttling, and the
//! client-credentials grant (§4.4). The authorization-code grant lives in
//! `code_exchange`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::client_auth::{self, Presented};
use super::code_exchange;
use super::faults::{Fault, Faults};
use super::issue;
use super::params::Params;
use super::ratelimit::{Decision, LimitKey};
use super::responses::{no_store_json, too_many_requests};
use super::scope;
use super::token_error::{TokenError, TokenErrorCode};
use crate::fixtures::{Client, Grant};

/// Failed client authentications per client id and rate window before the
/// token endpoint answers 429 to every attempt for that id (RFC 6749
/// §2.3.1: protect against brute force). Well below a 50-try burst.
pub const AUTH_FAILURE_BUDGET: u64 = 10;

/// Why a token request got no token.
#[derive(Debug)]
pub enum Refusal {
    Token(TokenError),
    Throttled(Decision),
    Internal,
}

impl From<TokenError> for Refusal {
    fn from(e: TokenError) -> Self {
        Refusal::Token(e)
    }
}

pub async fn token(State(state): State<AppState>, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    match handle(&state, &uri, &headers, &body) {
        Ok(response) => response,
        Err(Refusal::Token(e)) => e.into_response(&state.fixtures.realm, &state.faults),
        Err(Refusal::Throttled(decision)) => {
            too_many_requests(&decision, "Too many failed client authentications; retry later")
        }
        Err(Refusal::Internal) => no_store_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "server_error", "error_description": "The token could not be signed"}),
        ),
    }
}

/// RFC 6749 §3.2: the client MUST use POST. Any other method gets 405 with
/// `Allow: POST` and a JSON error.
pub async fn method_not_allowed(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    if state.faults.breaks(Fault::TokenGetAccepted) {
        // The query is read as if it were the form body.
        let mut headers = headers;
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        let query = Bytes::copy_from_slice(uri.query().unwrap_or_default().as_bytes());
        return token(State(state), Uri::from_static("/oauth/token"), headers, query).await;
    }
    let mut response = no_store_json(
        StatusCode::METHOD_NOT_ALLOWED,
        json!({"error": "invalid_request", "error_description": "The token endpoint accepts POST only"}),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

fn handle(state: &AppState, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Result<Response, Refusal> {
    let faults = &state.faults;
    let params = read_params(uri, headers, body, faults)?;
    let presented = client_auth::presented(headers, &params, faults)?;
    let grant_type = params.get("grant_type").or_else(|| {
        faults
            .breaks(Fault::MissingGrantTypeDefaults)
            .then_some("client_credentials")
    });
    // §5.2: the client is authenticated before the grant is looked at.
    let client = authenticate(state, &presented, grant_type)?;
    match grant_type {
        None => Err(TokenError::invalid_request("grant_type is required").into()),
        Some("client_credentials") => client_credentials(state, client, &params),
        Some("authorization_code") => code_exchange::exchange(state, client, &params),
        Some("password") if faults.breaks(Fault::PasswordGrantEnabled) => client_credentials(state, client, &params),
        Some(_) if faults.breaks(Fault::UnknownGrantInvalidRequest) => {
            Err(TokenError::invalid_request("This grant type is not supported").into())
        }
        // Includes `password`: RFC 9700 §2.4 says it MUST NOT be used.
        Some(_) => {
            Err(TokenError::new(TokenErrorCode::UnsupportedGrantType, "This grant type is not supported").into())
        }
    }
}

/// The form parameters, refusing what §2.3.1 and §3.2 forbid: credentials
/// in the URI, a body that is not form-encoded, repeated parameters.
fn read_params(uri: &Uri, headers: &HeaderMap, body: &[u8], faults: &Faults) -> Result<Params, TokenError> {
    let query = Params::parse(uri.query().unwrap_or_default().as_bytes());
    if query.get("client_id").is_some() || query.get("client_secret").is_some() {
        return Err(TokenError::invalid_request(
            "Client credentials must not be sent in the request URI",
        ));
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if media_type.as_deref() != Some("application/x-www-form-urlencoded") {
        return Err(TokenError::invalid_request(
            "The token request body must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(body);
    let tolerated = |name: &str| name == "grant_type" && faults.breaks(Fault::DuplicateGrantTypeAccepted);
    if params.repeated().into_iter().any(|name| !tolerated(name)) {
        return Err(TokenError::invalid_request("Request parameters must not be repeated"));
    }
    Ok(params)
}

/// Authenticates the client, refusing ids that failed too often lately.
fn authenticate<'s>(
    state: &'s AppState,
    presented: &Presented,
    grant_type: Option<&str>,
) -> Result<&'s Client, Refusal> {
    let Some(id) = presented.client_id.as_deref() else {
        // A public client identifies itself with client_id alone (§3.2.1),
        // so a code exchange without it is an incomplete request.
        return Err(match grant_type {
            Some("authorization_code") => TokenError::invalid_request("client_id is required"),
            _ => TokenError::invalid_client("Client authentication is required"),
        }
        .into());
    };
    let fixtures = &state.fixtures;
    let key = LimitKey::AuthFailures(fixtures.client_by_id(id).map(|c| c.id.clone()));
    let now_ms = state.clock.now_ms();
    let decision = state.limiter.check(key.clone(), AUTH_FAILURE_BUDGET, now_ms);
    if !decision.allowed {
        return Err(Refusal::Throttled(decision));
    }
    client_auth::authenticate(fixtures, presented, &state.faults).map_err(|e| {
        state.limiter.record(key, now_ms);
        e.into()
    })
}

/// RFC 6749 §4.4: confidential clients only, with the grant registered.
fn client_credentials(state: &AppState, client: &Client, params: &Params) -> Result<Response, Refusal> {
    if client.is_public() {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "A public client cannot use the client_credentials grant",
        )
        .into());
    }
    if !client.grants.contains(&Grant::ClientCredentials) && !state.faults.breaks(Fault::CcGrantNotChecked) {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "This client may not use the client_credentials grant",
        )
        .into());
    }
    let scope = if state.faults.breaks(Fault::CcIgnoresRequestedScope) {
        client.scopes.clone()
    } else {
        scope::resolve(params.get("scope"), &client.scopes, &state.faults)
            .map_err(|e| TokenError::new(TokenErrorCode::InvalidScope, e.description()))?
    };
    let issued = issue::access_token(state, client, &scope).map_err(|_| Refusal::Internal)?;
    Ok(issue::success(state, &issued))
}
