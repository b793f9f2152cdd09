//! The token endpoint, `POST /oauth/token` (RFC 6749 §3.2): request
//! parsing, client authentication with brute-force throttling, and the
//! client-credentials grant (§4.4). The authorization-code grant lives in
//! `code_exchange`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
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
        Err(Refusal::Token(e)) if e == client_auth::ORPHAN_SECRET => orphan_secret(&state, e),
        Err(Refusal::Token(e)) => e.into_response(&state.fixtures.realm, &state.faults),
        Err(Refusal::Throttled(decision)) => {
            let mut response = too_many_requests(&decision, "Too many failed client authentications; retry later");
            if state.faults.breaks(Fault::Auth429WithoutRetryAfter) {
                response.headers_mut().remove(header::RETRY_AFTER);
            }
            response
        }
        Err(Refusal::Internal) => no_store_json(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"error": "server_error", "error_description": "The token could not be signed"}),
        ),
    }
}

/// The error for a body secret without `client_id`, which only the
/// catalogue's §5.2 format checks send: the faults on every token error's
/// format (status, JSON body, character set, no-store) break this one.
fn orphan_secret(state: &AppState, e: TokenError) -> Response {
    let faults = &state.faults;
    if faults.breaks(Fault::ErrorDescriptionQuote) {
        let body =
            json!({"error": e.code.as_str(), "error_description": "client_secret was sent without \"client_id\""});
        return no_store_json(StatusCode::BAD_REQUEST, body);
    }
    let mut response = e.into_response(&state.fixtures.realm, faults);
    if faults.breaks(Fault::ErrorStatus422) {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    if faults.breaks(Fault::ErrorBodyText) {
        response = (
            StatusCode::BAD_REQUEST,
            "invalid_request: client_secret was sent without client_id",
        )
            .into_response();
    }
    if faults.breaks(Fault::ErrorCacheable) {
        response.headers_mut().remove(header::CACHE_CONTROL);
    }
    response
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
    let presented = client_auth::presented(headers, &params, faults).map_err(|e| {
        if e == client_auth::MALFORMED_BASIC && faults.breaks(Fault::MalformedBasic500) {
            Refusal::Internal
        } else {
            e.into()
        }
    })?;
    let grant_type = params.get("grant_type").or_else(|| {
        faults
            .breaks(Fault::MissingGrantTypeDefaults)
            .then_some("client_credentials")
    });
    if grant_type == Some("authorization_code")
        && faults.breaks(Fault::GrantBeforeClient)
        && params.get("code").is_none_or(|c| state.codes.client_of(c).is_none())
    {
        return Err(TokenError::invalid_grant("The authorization code is invalid").into());
    }
    // §5.2: the client is authenticated before the grant is looked at.
    let client = authenticate(state, &presented, grant_type, &params)?;
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
    let in_uri = query.get("client_id").is_some() || query.get("client_secret").is_some();
    if in_uri && !faults.breaks(Fault::UriCredentialsAccepted) {
        return Err(TokenError::invalid_request(
            "Client credentials must not be sent in the request URI",
        ));
    }
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    let mut params = match media_type.as_deref() {
        Some("application/x-www-form-urlencoded") if faults.breaks(Fault::TokenEmptyParamKept) => {
            Params::parse_keeping_empty(body)
        }
        Some("application/x-www-form-urlencoded") => Params::parse(body),
        Some("application/json") if faults.breaks(Fault::JsonTokenRequestAccepted) => json_params(body),
        _ => {
            return Err(TokenError::invalid_request(
                "The token request body must be application/x-www-form-urlencoded",
            ));
        }
    };
    if in_uri {
        params.extend(query);
    }
    let tolerated = |name: &str| match name {
        "grant_type" => faults.breaks(Fault::DuplicateGrantTypeAccepted),
        "scope" => faults.breaks(Fault::DuplicateScopeAccepted),
        "client_id" => faults.breaks(Fault::DuplicateClientIdAccepted),
        _ => false,
    };
    if params.repeated().into_iter().any(|name| !tolerated(name)) {
        return Err(TokenError::invalid_request("Request parameters must not be repeated"));
    }
    // §3.2: unknown parameters MUST be ignored.
    if faults.breaks(Fault::UnknownTokenParamRefused) && params.names().any(|n| !KNOWN_PARAMS.contains(&n)) {
        return Err(TokenError::invalid_request("Unknown request parameter"));
    }
    Ok(params)
}

/// The parameters this server reads at the token endpoint.
const KNOWN_PARAMS: [&str; 9] = [
    "grant_type",
    "scope",
    "code",
    "redirect_uri",
    "code_verifier",
    "client_id",
    "client_secret",
    "username",
    "password",
];

/// A JSON object's string members as parameters (`json-token-request-accepted`).
fn json_params(body: &[u8]) -> Params {
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).unwrap_or_default();
    Params::from_pairs(
        object
            .into_iter()
            .filter_map(|(k, v)| v.as_str().map(|v| (k, v.to_owned())))
            .collect(),
    )
}

/// Authenticates the client, refusing ids that failed too often lately.
fn authenticate<'s>(
    state: &'s AppState,
    presented: &Presented,
    grant_type: Option<&str>,
    params: &Params,
) -> Result<&'s Client, Refusal> {
    let faults = &state.faults;
    let fixtures = &state.fixtures;
    let Some(id) = presented.client_id.as_deref() else {
        match grant_type {
            Some("client_credentials") if faults.breaks(Fault::CcAnonymousAllowed) => {
                return fixtures.client("C_BASIC").ok_or(Refusal::Internal);
            }
            Some("authorization_code") if faults.breaks(Fault::PublicExchangeWithoutClientId) => {
                let owner = params.get("code").and_then(|c| state.codes.client_of(c));
                if let Some(client) = owner
                    .and_then(|id| fixtures.client_by_id(&id))
                    .filter(|c| c.is_public())
                {
                    return Ok(client);
                }
            }
            _ => {}
        }
        // A public client identifies itself with client_id alone (§3.2.1),
        // so a code exchange without it is an incomplete request.
        return Err(match grant_type {
            Some("authorization_code") => TokenError::invalid_request("client_id is required"),
            _ => TokenError::invalid_client("Client authentication is required"),
        }
        .into());
    };
    let key = LimitKey::AuthFailures(fixtures.client_by_id(id).map(|c| c.id.clone()));
    let now_ms = state.clock.now_ms();
    let decision = state.limiter.check(key.clone(), AUTH_FAILURE_BUDGET, now_ms);
    if !decision.allowed && !faults.breaks(Fault::NoAuthThrottling) {
        return Err(Refusal::Throttled(decision));
    }
    let without_secret = presented.secret.is_none() && grant_type == Some("authorization_code");
    if without_secret
        && faults.breaks(Fault::CodeExchangeWithoutSecret)
        && let Some(client) = fixtures.client_by_id(id)
    {
        return Ok(client);
    }
    client_auth::authenticate(fixtures, presented, &state.faults).map_err(|e| {
        state.limiter.record(key, now_ms);
        e.into()
    })
}

/// RFC 6749 §4.4: confidential clients only, with the grant registered.
fn client_credentials(state: &AppState, client: &Client, params: &Params) -> Result<Response, Refusal> {
    let faults = &state.faults;
    let public_allowed = client.is_public() && faults.breaks(Fault::PublicCcAllowed);
    if client.is_public() && !public_allowed {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "A public client cannot use the client_credentials grant",
        )
        .into());
    }
    if !client.grants.contains(&Grant::ClientCredentials) && !faults.breaks(Fault::CcGrantNotChecked) && !public_allowed
    {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "This client may not use the client_credentials grant",
        )
        .into());
    }
    let requested = params.get("scope");
    let mut report_scope = true;
    let scope = if faults.breaks(Fault::CcIgnoresRequestedScope) {
        client.scopes.clone()
    } else {
        match scope::resolve(requested, &client.scopes, faults) {
            Ok(scope) => scope,
            // §3.3: a narrowed grant MUST be reported in `scope`.
            Err(scope::ScopeError::NotAllowed) if faults.breaks(Fault::NarrowedScopeUnreported) => {
                report_scope = false;
                scope::narrowed(requested.unwrap_or_default(), &client.scopes)
            }
            Err(e) => return Err(TokenError::new(TokenErrorCode::InvalidScope, e.description()).into()),
        }
    };
    let issued = issue::access_token(state, client, &scope, Grant::ClientCredentials).map_err(|_| Refusal::Internal)?;
    Ok(issue::success(state, &issued, report_scope))
}
