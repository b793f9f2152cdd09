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
use super::authorize_pkce;
use super::codes::{CodeGrant, CodeShape};
use super::consent::{self, CARRIED_PARAMS};
use super::faults::{Fault, Faults};
use super::params::Params;
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
    pkce: authorize_pkce::Bound,
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
    let params = parse(&state, uri.query().unwrap_or_default().as_bytes());
    respond(&state, &params, false)
}

/// §3.1: parameters sent without a value are treated as omitted.
fn parse(state: &AppState, raw: &[u8]) -> Params {
    if state.faults.breaks(Fault::AuthorizeEmptyParamKept) {
        Params::parse_keeping_empty(raw)
    } else {
        Params::parse(raw)
    }
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
    respond(&state, &parse(&state, &body), true)
}

fn respond(state: &AppState, params: &Params, is_post: bool) -> Response {
    let target = match target(state, params) {
        Ok(target) => target,
        Err(message) => {
            return unsafe_redirect(state, params).unwrap_or_else(|| consent::error_page(message));
        }
    };
    let client_state = params.get("state");
    let approved = match validate(params, target.client, &state.faults) {
        Ok(approved) => approved,
        Err(e) => return redirect_error(&target, &e, client_state, &state.faults),
    };
    let faults = &state.faults;
    // A decision only counts on POST: a GET link must not approve anything.
    match params.get("decision").filter(|_| is_post) {
        None if !is_post && faults.breaks(Fault::AuthorizeGetRefused) => {
            consent::page_with_status(StatusCode::METHOD_NOT_ALLOWED, "Use POST for authorization requests")
        }
        None if is_post && faults.breaks(Fault::AuthorizePostRefused) => {
            consent::page_with_status(StatusCode::METHOD_NOT_ALLOWED, "Use GET for authorization requests")
        }
        None => {
            let hidden: Vec<(&str, &str)> = CARRIED_PARAMS
                .iter()
                .filter_map(|name| params.get(name).map(|value| (*name, value)))
                .collect();
            consent::consent_page(target.client, &approved.scope, &hidden)
        }
        Some("approve") => approve(state, &target, approved, client_state),
        Some("deny") if faults.breaks(Fault::DenyApproves) => approve(state, &target, approved, client_state),
        Some("deny") => {
            let denied = RedirectError::new("access_denied", "The user denied the request");
            let mut response = redirect_error(&target, &denied, client_state, faults);
            if faults.breaks(Fault::CodeWithError) {
                response = approve(state, &target, approved, client_state);
                append_error(&mut response, &denied);
            }
            response
        }
        Some(_) => {
            let description = if faults.breaks(Fault::AuthorizeErrorCharset) {
                "decision must be \u{201c}approve\u{201d} or \u{201c}deny\u{201d}"
            } else {
                "decision must be approve or deny"
            };
            redirect_error(
                &target,
                &RedirectError::new("invalid_request", description),
                client_state,
                faults,
            )
        }
    }
}

/// Under the `unknown-client-redirects` and `missing-client-redirects`
/// faults: the error goes to the offered redirect URI, an open redirector.
fn unsafe_redirect(state: &AppState, params: &Params) -> Option<Response> {
    let faults = &state.faults;
    let uri = params.get("redirect_uri")?;
    let open = match params.get("client_id") {
        None => faults.breaks(Fault::MissingClientRedirects),
        Some(id) => state.fixtures.client_by_id(id).is_none() && faults.breaks(Fault::UnknownClientRedirects),
    };
    let mut pairs = vec![("error", "unauthorized_client")];
    pairs.extend(params.get("state").map(|s| ("state", s)));
    open.then(|| redirect(uri, &pairs, false, StatusCode::SEE_OTHER))
}

/// Adds `error` to a redirect's Location (the `code-with-error` fault).
fn append_error(response: &mut Response, error: &RedirectError) {
    let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
    if let Some(mut url) = location.and_then(|l| url::Url::parse(l).ok()) {
        url.query_pairs_mut().append_pair("error", error.code);
        if let Ok(value) = HeaderValue::from_str(url.as_str()) {
            response.headers_mut().insert(header::LOCATION, value);
        }
    }
}

/// The client and the redirect URI, or the message of an error page.
fn target<'s>(state: &'s AppState, params: &Params) -> Result<Target<'s>, &'static str> {
    let faults = &state.faults;
    if params.count("client_id") > 1 {
        return Err("client_id must not be repeated");
    }
    let id = params.get("client_id").ok_or("client_id is required")?;
    let client = state.fixtures.client_by_id(id).ok_or("Unknown client_id")?;
    if params.count("redirect_uri") > 1 && !faults.breaks(Fault::DuplicateRedirectFirstWins) {
        return Err("redirect_uri must not be repeated");
    }
    let found = |uri: &str| Target {
        client,
        redirect_uri: uri.to_owned(),
        sent: true,
    };
    match params.get("redirect_uri") {
        Some(uri) if uri.contains('#') && faults.breaks(Fault::RedirectFragmentStripped) => {
            let stripped = uri.split('#').next().unwrap_or_default();
            client
                .redirect_uris
                .iter()
                .any(|r| r == stripped)
                .then(|| found(stripped))
                .ok_or("redirect_uri is not registered for this client")
        }
        // §3.1.2: the redirection endpoint URI MUST NOT include a fragment.
        Some(uri) if uri.contains('#') => Err("redirect_uri must not contain a fragment"),
        // RFC 9700 §2.1: exact string matching against the registered URIs.
        Some(uri) if client.redirect_uris.iter().any(|r| r == uri) => Ok(found(uri)),
        Some(uri)
            if faults.breaks(Fault::RedirectPrefixMatch)
                && client.redirect_uris.iter().any(|r| uri.starts_with(r.as_str())) =>
        {
            Ok(found(uri))
        }
        Some(_) => Err("redirect_uri is not registered for this client"),
        // §3.1.2.3: it may be omitted only when exactly one is registered.
        None => match client.redirect_uris.as_slice() {
            [_] if faults.breaks(Fault::SingleRedirectRequired) => Err("redirect_uri is required"),
            [only] => Ok(Target {
                client,
                redirect_uri: only.clone(),
                sent: false,
            }),
            [first, ..] if faults.breaks(Fault::DefaultRedirectFirst) => Ok(Target {
                client,
                redirect_uri: first.clone(),
                sent: false,
            }),
            _ => Err("redirect_uri is required for this client"),
        },
    }
}

/// A parameter this server reads: the request's own, which the consent form
/// carries, and the user's `decision`.
fn known_param(name: &str) -> bool {
    CARRIED_PARAMS.contains(&name) || name == "decision"
}

fn validate(params: &Params, client: &Client, faults: &Faults) -> Result<Approved, RedirectError> {
    let invalid = |description| RedirectError::new("invalid_request", description);
    // §3.1: request parameters MUST NOT be included more than once.
    if params.first_duplicate().is_some() && !faults.breaks(Fault::AuthorizeDuplicateAccepted) {
        return Err(invalid("Request parameters must not be repeated"));
    }
    // §3.1: unknown parameters MUST be ignored.
    if faults.breaks(Fault::UnknownAuthorizeParamRefused) && params.names().any(|n| !known_param(n)) {
        return Err(invalid("Unknown request parameter"));
    }
    match params.get("response_type") {
        None if faults.breaks(Fault::MissingResponseTypeDefaultsCode) => {}
        None => return Err(invalid("response_type is required")),
        Some("code") => {}
        Some("token") if faults.breaks(Fault::ImplicitEnabled) => {}
        Some(_) if faults.breaks(Fault::UnknownResponseTypeInvalidRequest) => {
            return Err(invalid("response_type must be code"));
        }
        // Includes `token`: the implicit grant is off (RFC 9700 §2.1.2).
        Some(_) => {
            return Err(RedirectError::new(
                "unsupported_response_type",
                "Only response_type=code is supported",
            ));
        }
    }
    if !client.grants.contains(&Grant::AuthorizationCode) && !faults.breaks(Fault::AcGrantNotChecked) {
        return Err(RedirectError::new(
            "unauthorized_client",
            "This client may not use the authorization code grant",
        ));
    }
    let scope = scope::resolve(params.get("scope"), &client.scopes, faults)
        .map_err(|e| RedirectError::new("invalid_scope", e.description()))?;
    let pkce = authorize_pkce::challenge(params, client, faults).map_err(invalid)?;
    Ok(Approved { scope, pkce })
}

fn approve(state: &AppState, target: &Target<'_>, approved: Approved, client_state: Option<&str>) -> Response {
    let faults = &state.faults;
    let now_ms = state.clock.now_ms();
    let grant = CodeGrant {
        client_id: target.client.id.clone(),
        redirect_uri: target.redirect_uri.clone(),
        redirect_uri_sent: target.sent,
        scope: approved.scope,
        code_challenge: approved.pkce.challenge,
        plain: approved.pkce.plain,
        expires_at_ms: now_ms.saturating_add(state.code_ttl_ms()),
    };
    // RFC 6749 §10.10: 256 random bits; RFC 7636 §4.4: nothing recoverable.
    let shape = if faults.breaks(Fault::ShortCodes) {
        CodeShape::Random(8)
    } else if faults.breaks(Fault::CodeEmbedsChallenge) {
        CodeShape::EmbedsChallenge
    } else {
        CodeShape::Random(32)
    };
    let code = state.codes.issue_shaped(grant, now_ms, state.token_ttl_ms(), shape);
    let mut pairs = vec![("code", code.as_str())];
    if faults.breaks(Fault::CodeDuplicated) {
        pairs.push(("code", code.as_str()));
    }
    pairs.extend(client_state.map(|s| ("state", s)));
    // RFC 9700 §4.12: never 307 (it would re-post the form, credentials included).
    let status = if target.client.name == "C_AC_ONLY" && faults.breaks(Fault::Consent307) {
        StatusCode::TEMPORARY_REDIRECT
    } else {
        StatusCode::SEE_OTHER
    };
    let response = redirect(
        &target.redirect_uri,
        &pairs,
        faults.breaks(Fault::RedirectQueryDropped),
        status,
    );
    if faults.breaks(Fault::StateNotEncoded) {
        with_raw_state(response, client_state)
    } else {
        response
    }
}

fn redirect_error(target: &Target<'_>, error: &RedirectError, client_state: Option<&str>, faults: &Faults) -> Response {
    let mut pairs = vec![("error", error.code), ("error_description", error.description)];
    let drop_state = error.code == "invalid_scope" && faults.breaks(Fault::ErrorDropsState);
    pairs.extend(client_state.filter(|_| !drop_state).map(|s| ("state", s)));
    redirect(&target.redirect_uri, &pairs, false, StatusCode::SEE_OTHER)
}

/// A redirect to `redirect_uri`, keeping its own query (unless
/// `drop_query`, a fault) and adding `pairs` (form-encoded, so `state`
/// comes back byte for byte). 303 See Other; never 307 (RFC 9700 §4.12: a
/// 307 would re-post the form).
fn redirect(redirect_uri: &str, pairs: &[(&str, &str)], drop_query: bool, status: StatusCode) -> Response {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return consent::error_page("The registered redirect_uri is not a valid URL");
    };
    if drop_query {
        url.set_query(None);
    }
    url.query_pairs_mut().extend_pairs(pairs);
    let mut response = status.into_response();
    if let Ok(location) = HeaderValue::from_str(url.as_str()) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Re-appends `state` to the Location without encoding it (the
/// `state-not-encoded` fault).
fn with_raw_state(mut response: Response, client_state: Option<&str>) -> Response {
    let (Some(state), Some(location)) = (
        client_state,
        response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok()),
    ) else {
        return response;
    };
    let Ok(mut url) = url::Url::parse(location) else {
        return response;
    };
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "state")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let raw = format!("{}&state={state}", url.as_str());
    if let Ok(value) = HeaderValue::from_str(&raw) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}
