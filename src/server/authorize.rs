//! The authorization endpoint (RFC 6749 §3.1, §4.1.1, §4.1.2) with PKCE
//! (RFC 7636 §4.3, §4.4): `GET /oauth/authorize` shows the consent page,
//! `POST /oauth/authorize` takes the same parameters as a form and, with
//! `decision=approve` or `decision=deny`, answers the client by redirect.
//!
//! The client and the redirect URI are checked first: while either is in
//! doubt the server shows an error page and never redirects (§4.1.2.1,
//! RFC 9700 §2.1 exact matching). Every later error goes back to the client
//! as a 303 redirect with `error` and `state`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use super::codes::CodeGrant;
use super::consent::{self, CARRIED_PARAMS};
use super::faults::{Fault, Faults};
use super::params::Params;
use super::pkce;
use super::scope;
use crate::fixtures::{Client, Grant};

/// Where the answer goes once client and redirect URI are trusted.
struct Target<'s> {
    client: &'s Client,
    redirect_uri: String,
    /// Whether the request carried `redirect_uri` (§4.1.3 binds it).
    sent: bool,
}

/// A validated authorization request.
struct Approved {
    scope: Vec<String>,
    code_challenge: String,
}

/// An error reported to the client by redirect (§4.1.2.1).
struct RedirectError {
    code: &'static str,
    description: &'static str,
}

impl RedirectError {
    fn new(code: &'static str, description: &'static str) -> Self {
        Self { code, description }
    }
}

pub async fn get(State(state): State<AppState>, uri: Uri) -> Response {
    let params = Params::parse(uri.query().unwrap_or_default().as_bytes());
    respond(&state, &params, false)
}

/// §3.1: the server MAY support POST; here it is also how the consent form
/// answers.
pub async fn post(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !form {
        return consent::error_page("The authorization request must be a form (application/x-www-form-urlencoded)");
    }
    respond(&state, &Params::parse(&body), true)
}

fn respond(state: &AppState, params: &Params, is_post: bool) -> Response {
    let target = match target(state, params) {
        Ok(target) => target,
        Err(message) => return consent::error_page(message),
    };
    let client_state = params.get("state");
    let approved = match validate(params, target.client, &state.faults) {
        Ok(approved) => approved,
        Err(e) => return redirect_error(&target, &e, client_state),
    };
    // A decision only counts on POST: a GET link must not approve anything.
    match params.get("decision").filter(|_| is_post) {
        None => {
            let hidden: Vec<(&str, &str)> = CARRIED_PARAMS
                .iter()
                .filter_map(|name| params.get(name).map(|value| (*name, value)))
                .collect();
            consent::consent_page(target.client, &approved.scope, &hidden)
        }
        Some("approve") => approve(state, &target, approved, client_state),
        Some("deny") if state.faults.breaks(Fault::DenyApproves) => approve(state, &target, approved, client_state),
        Some("deny") => redirect_error(
            &target,
            &RedirectError::new("access_denied", "The user denied the request"),
            client_state,
        ),
        Some(_) => redirect_error(
            &target,
            &RedirectError::new("invalid_request", "decision must be approve or deny"),
            client_state,
        ),
    }
}

/// The client and the redirect URI, or the message of an error page.
fn target<'s>(state: &'s AppState, params: &Params) -> Result<Target<'s>, &'static str> {
    if params.count("client_id") > 1 {
        return Err("client_id must not be repeated");
    }
    let id = params.get("client_id").ok_or("client_id is required")?;
    let client = state.fixtures.client_by_id(id).ok_or("Unknown client_id")?;
    if params.count("redirect_uri") > 1 {
        return Err("redirect_uri must not be repeated");
    }
    match params.get("redirect_uri") {
        // §3.1.2: the redirection endpoint URI MUST NOT include a fragment.
        Some(uri) if uri.contains('#') => Err("redirect_uri must not contain a fragment"),
        // RFC 9700 §2.1: exact string matching against the registered URIs.
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => Ok(Target {
            client,
            redirect_uri: uri.to_owned(),
            sent: true,
        }),
        Some(_) => Err("redirect_uri is not registered for this client"),
        // §3.1.2.3: it may be omitted only when exactly one is registered.
        None => match client.redirect_uris.as_slice() {
            [only] => Ok(Target {
                client,
                redirect_uri: only.clone(),
                sent: false,
            }),
            _ => Err("redirect_uri is required for this client"),
        },
    }
}

fn validate(params: &Params, client: &Client, faults: &Faults) -> Result<Approved, RedirectError> {
    let invalid = |description| RedirectError::new("invalid_request", description);
    // §3.1: request parameters MUST NOT be included more than once.
    if params.first_duplicate().is_some() {
        return Err(invalid("Request parameters must not be repeated"));
    }
    match params.get("response_type") {
        None => return Err(invalid("response_type is required")),
        Some("code") => {}
        // Includes `token`: the implicit grant is off (RFC 9700 §2.1.2).
        Some(_) => {
            return Err(RedirectError::new(
                "unsupported_response_type",
                "Only response_type=code is supported",
            ));
        }
    }
    if !client.grants.contains(&Grant::AuthorizationCode) {
        return Err(RedirectError::new(
            "unauthorized_client",
            "This client may not use the authorization code grant",
        ));
    }
    let scope = scope::resolve(params.get("scope"), &client.scopes, faults)
        .map_err(|e| RedirectError::new("invalid_scope", e.description()))?;
    let code_challenge = pkce_challenge(params, client, faults)?.to_owned();
    Ok(Approved { scope, code_challenge })
}

/// Point11 requires PKCE with S256 for every client. RFC 7636 §4.3: an
/// omitted method means `plain`, which Point11 refuses like any other
/// method but S256 (§4.4.1: `invalid_request`).
fn pkce_challenge<'p>(params: &'p Params, client: &Client, faults: &Faults) -> Result<&'p str, RedirectError> {
    let invalid = |description| RedirectError::new("invalid_request", description);
    if params.get("code_challenge").is_none() && client.is_public() && faults.breaks(Fault::PkceOptionalPublic) {
        // No challenge bound: no verifier can match it later.
        return Ok("");
    }
    let challenge = params
        .get("code_challenge")
        .ok_or(invalid("code_challenge is required: PKCE with S256"))?;
    match params.get("code_challenge_method") {
        Some("S256") => {}
        None | Some("plain") => return Err(invalid("code_challenge_method must be S256; plain is not accepted")),
        Some(_) => return Err(invalid("code_challenge_method must be S256")),
    }
    if !pkce::is_valid_s256_challenge(challenge) {
        return Err(invalid(
            "code_challenge must be the unpadded base64url SHA-256 of the verifier",
        ));
    }
    Ok(challenge)
}

fn approve(state: &AppState, target: &Target<'_>, approved: Approved, client_state: Option<&str>) -> Response {
    let now_ms = state.clock.now_ms();
    let grant = CodeGrant {
        client_id: target.client.id.clone(),
        redirect_uri: target.redirect_uri.clone(),
        redirect_uri_sent: target.sent,
        scope: approved.scope,
        code_challenge: approved.code_challenge,
        expires_at_ms: now_ms.saturating_add(state.code_ttl_ms()),
    };
    let code = state.codes.issue(grant, now_ms, state.token_ttl_ms());
    let mut pairs = vec![("code", code.as_str())];
    pairs.extend(client_state.map(|s| ("state", s)));
    redirect(&target.redirect_uri, &pairs)
}

fn redirect_error(target: &Target<'_>, error: &RedirectError, client_state: Option<&str>) -> Response {
    let mut pairs = vec![("error", error.code), ("error_description", error.description)];
    pairs.extend(client_state.map(|s| ("state", s)));
    redirect(&target.redirect_uri, &pairs)
}

/// 303 See Other to the registered URI, keeping its own query and adding
/// `pairs` (form-encoded, so `state` comes back byte for byte). Never 307:
/// RFC 9700 §4.12 (a 307 would re-post the form).
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)]) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return consent::error_page("The registered redirect_uri is not a valid URL");
    };
    url.query_pairs_mut().extend_pairs(pairs);
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
