//! A refused resource request and its answer: the RFC 6750 §3 challenge
//! (`WWW-Authenticate: Bearer realm="...", error="...", ...`), the status
//! of §3.1, and a JSON body saying the same.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::apikeys::KeyRejection;
use super::bearer;
use super::faults::{Fault, Faults};
use super::ratelimit::Decision;
use super::responses::{add_rate_limit_headers, too_many_requests};
use super::token_error::challenge_safe;

/// A refused resource request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceError {
    /// §3: no credentials (or another scheme): a challenge without `error`.
    NoCredentials,
    /// §3.1 `invalid_request`, 400.
    Malformed(&'static str),
    /// §3.1 `invalid_token`, 401.
    InvalidToken(&'static str),
    /// §3.1 `invalid_token`, 401: an API key that is not accepted.
    InvalidKey(KeyRejection),
    /// §3.1 `insufficient_scope`, 403, with the scope that is needed.
    InsufficientScope {
        needed: &'static str,
        decision: Decision,
    },
    RateLimited(Decision),
}

/// Status, challenge (`None`: no `WWW-Authenticate`, only under a fault)
/// and body of a refusal.
struct Refusal {
    status: StatusCode,
    challenge: Option<String>,
    body: Value,
}

impl ResourceError {
    pub fn into_response(self, realm: &str, faults: &Faults) -> Response {
        let realm = challenge_safe(realm);
        let refusal = match &self {
            ResourceError::NoCredentials => no_credentials(&realm, faults),
            ResourceError::Malformed(d) => malformed(&realm, d, faults),
            ResourceError::InvalidToken(d) => invalid_token(&realm, d),
            ResourceError::InvalidKey(r) => invalid_key(&realm, *r, faults),
            ResourceError::InsufficientScope { needed, .. } => insufficient_scope(&realm, needed, faults),
            ResourceError::RateLimited(decision) => return rate_limited(decision, faults),
        };
        let mut response = (refusal.status, Json(refusal.body)).into_response();
        if let Some(value) = refusal.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if let ResourceError::InsufficientScope { decision, .. } = &self {
            add_rate_limit_headers(response.headers_mut(), decision);
        }
        response
    }
}

/// `scheme name="value", ...`. Values are fixed ASCII without `"` or `\`
/// unless a fault says otherwise (§3: the allowed characters).
/// RFC 6585 §4: over the limit is 429 (not 503: the server is not
/// overloaded, this client is), with Retry-After (RFC 9110 §10.2.3), which
/// Point11 requires.
fn rate_limited(decision: &Decision, faults: &Faults) -> Response {
    let mut response = too_many_requests(decision, "Rate limit exceeded; retry after the time in Retry-After");
    if decision.refused > 1 && faults.breaks(Fault::OverLimit503) {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    if faults.breaks(Fault::Resource429WithoutRetryAfter) {
        response.headers_mut().remove(header::RETRY_AFTER);
    }
    response
}

fn challenge(scheme: &str, attrs: &[(&str, &str)]) -> String {
    let attrs: Vec<String> = attrs.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    format!("{scheme} {}", attrs.join(", "))
}

fn coded(code: &str, description: &str) -> Value {
    json!({"error": code, "error_description": description})
}

/// RFC 6750 §3: a challenge, and no error code.
fn no_credentials(realm: &str, faults: &Faults) -> Refusal {
    Refusal {
        status: StatusCode::UNAUTHORIZED,
        challenge: (!faults.breaks(Fault::NoCredentialsNoChallenge)).then(|| challenge("Bearer", &[("realm", realm)])),
        body: json!({"error_description": "Authentication required: send Authorization: Bearer with a token or API key"}),
    }
}

/// RFC 6750 §3.1 `invalid_request`: 400, with a challenge (§3).
fn malformed(realm: &str, description: &str, faults: &Faults) -> Refusal {
    let status = if faults.breaks(Fault::Malformed401) {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut attrs = vec![
        ("realm", realm),
        ("error", "invalid_request"),
        ("error_description", description),
    ];
    if faults.breaks(Fault::MalformedDescriptionTwice) {
        attrs.push(("error_description", "The request is malformed"));
    }
    let bare = description == bearer::EMPTY_CREDENTIAL && faults.breaks(Fault::EmptyBearerBare400);
    Refusal {
        status,
        challenge: (!bare).then(|| challenge("Bearer", &attrs)),
        body: coded("invalid_request", description),
    }
}

/// RFC 6750 §3.1 `invalid_token`: 401.
fn invalid_token(realm: &str, description: &str) -> Refusal {
    let attrs = [
        ("realm", realm),
        ("error", "invalid_token"),
        ("error_description", description),
    ];
    Refusal {
        status: StatusCode::UNAUTHORIZED,
        challenge: Some(challenge("Bearer", &attrs)),
        body: coded("invalid_token", description),
    }
}

/// An API key is refused like any bearer token (§3.1 `invalid_token`). The
/// faults on this answer act on unknown keys only, so the malformed-key
/// checks keep their own fault.
fn invalid_key(realm: &str, rejection: KeyRejection, faults: &Faults) -> Refusal {
    let broken = |fault| rejection == KeyRejection::Unknown && faults.breaks(fault);
    let mut refusal = invalid_token(realm, rejection.description());
    if broken(Fault::UnknownKey403) {
        refusal.status = StatusCode::FORBIDDEN;
    }
    let scheme = if broken(Fault::UnknownKeyChallengeScheme) {
        "ApiKey"
    } else {
        "Bearer"
    };
    refusal.challenge = if broken(Fault::UnknownKeyNoChallenge) {
        None
    } else if broken(Fault::UnknownKeyNoError) {
        Some(challenge(scheme, &[("realm", realm)]))
    } else {
        let attrs = [
            ("realm", realm),
            ("error", "invalid_token"),
            ("error_description", rejection.description()),
        ];
        Some(challenge(scheme, &attrs))
    };
    refusal
}

/// RFC 6750 §3.1 `insufficient_scope`: 403, naming the scope needed (§3
/// MAY; Point11 always does).
fn insufficient_scope(realm: &str, needed: &str, faults: &Faults) -> Refusal {
    let plain = "The credential lacks the scope this resource needs";
    let quoted = format!("The credential lacks the scope \\\"{needed}\\\"");
    let description = if faults.breaks(Fault::ScopeDescriptionQuoted) {
        quoted.as_str()
    } else {
        plain
    };
    let mut attrs = vec![
        ("realm", realm),
        ("error", "insufficient_scope"),
        ("error_description", description),
    ];
    if !faults.breaks(Fault::ScopeChallengeNoScope) {
        attrs.push(("scope", needed));
    }
    if faults.breaks(Fault::ScopeChallengeRealmTwice) {
        attrs.push(("realm", realm));
    }
    let status = if faults.breaks(Fault::InsufficientScope401) {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::FORBIDDEN
    };
    let mut body = coded("insufficient_scope", plain);
    body["scope"] = json!(needed);
    Refusal {
        status,
        challenge: Some(challenge("Bearer", &attrs)),
        body,
    }
}
