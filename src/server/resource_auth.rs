//! Authenticating and authorizing a resource request: bearer access tokens
//! and API keys, the per-key / per-client rate limit, and scope. Errors are
//! RFC 6750 §3 challenges.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::AppState;
use super::apikeys::{KeyGrant, KeyRejection};
use super::bearer;
use super::faults::{Fault, Faults};
use super::jwt::{self, Expectations, Rejection};
use super::params::Params;
use super::ratelimit::{Decision, LimitKey};
use super::responses::{add_rate_limit_headers, too_many_requests};
use super::scope;
use super::token_error::challenge_safe;
use crate::apikey;
use crate::fixtures::{Environment, Tier};

/// Who is calling, as far as the resource server cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub environment: Environment,
    /// Space-separated granted scopes.
    pub scope: String,
    pub limit_key: LimitKey,
    pub limit: u64,
}

/// A refused resource request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceError {
    /// §3: no credentials (or another scheme): a challenge without `error`.
    NoCredentials,
    /// §3.1 `invalid_request`, 400.
    Malformed(&'static str),
    /// §3.1 `invalid_token`, 401.
    InvalidToken(&'static str),
    /// §3.1 `insufficient_scope`, 403, with the scope that is needed.
    InsufficientScope {
        needed: &'static str,
        decision: Decision,
    },
    RateLimited(Decision),
}

/// Finds the credential, authenticates it, counts the request against its
/// rate limit and checks that it holds `needed`.
pub fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    query: Option<&str>,
    form_body: Option<&[u8]>,
    needed: &'static str,
) -> Result<(Principal, Decision), ResourceError> {
    let credential = bearer::extract(headers, query, form_body).map_err(ResourceError::Malformed)?;
    let credential = credential.or_else(|| query_key(state, query));
    let Some(credential) = credential else {
        if headers.contains_key(header::AUTHORIZATION) && state.faults.breaks(Fault::OtherSchemeInvalidRequest) {
            return Err(ResourceError::Malformed("Only the Bearer scheme is accepted"));
        }
        return Err(ResourceError::NoCredentials);
    };
    let principal = authenticate(state, &credential)?;
    let carry_refusals = state.faults.breaks(Fault::RetryAfterTooShort);
    let decision = state.limiter.hit_with(
        principal.limit_key.clone(),
        principal.limit,
        state.clock.now_ms(),
        carry_refusals,
    );
    if !decision.allowed {
        return Err(ResourceError::RateLimited(decision));
    }
    if !scope::holds(&principal.scope, needed) {
        return Err(ResourceError::InsufficientScope { needed, decision });
    }
    Ok((principal, decision))
}

/// Point11 takes API keys in the Authorization header only: a key in the
/// URL leaks into logs and histories (the reasoning of RFC 9700 §4.3.2).
/// Only the `apikey-query-accepted` fault reads `?api_key=`.
fn query_key(state: &AppState, query: Option<&str>) -> Option<String> {
    if !state.faults.breaks(Fault::ApiKeyQueryAccepted) {
        return None;
    }
    Params::parse(query?.as_bytes()).get("api_key").map(str::to_owned)
}

/// API keys are told apart by their `p11_` prefix; anything else must be a
/// JWT access token.
fn authenticate(state: &AppState, credential: &str) -> Result<Principal, ResourceError> {
    let faults = &state.faults;
    if apikey::looks_like_key(credential) {
        let grant = match state.api_keys.authenticate(credential, faults) {
            Ok(grant) => grant,
            Err(KeyRejection::Malformed) if faults.breaks(Fault::MalformedKeyAccepted) => KeyGrant {
                name: "malformed".into(),
                environment: Environment::Live,
                scopes: vec!["audits:read".into()],
                tier: Tier::Standard,
                limit: state.fixtures.tier_limit(Tier::Standard),
            },
            Err(r) => return Err(ResourceError::InvalidToken(r.description())),
        };
        // POINT11-API.md: the limit is the key's tier's (or its custom one).
        let limit = if grant.tier == Tier::Professional && faults.breaks(Fault::ProTierAsStandard) {
            state.fixtures.tier_limit(Tier::Standard)
        } else {
            grant.limit
        };
        return Ok(Principal {
            environment: grant.environment,
            scope: grant.scopes.join(" "),
            limit_key: LimitKey::ApiKey(grant.name),
            limit,
        });
    }
    let fixtures = &state.fixtures;
    let expect = Expectations {
        issuer: &fixtures.issuer,
        audience: &fixtures.audience,
        now_secs: state.clock.now_secs(),
        faults,
    };
    let claims = jwt::verify(&state.signing, &expect, credential).map_err(|r| match r {
        Rejection::Malformed if faults.breaks(Fault::GarbageTokenInvalidRequest) => {
            ResourceError::Malformed(r.description())
        }
        r => ResourceError::InvalidToken(r.description()),
    })?;
    if state.revoked.is_revoked(&claims.jti) {
        return Err(ResourceError::InvalidToken(Rejection::Revoked.description()));
    }
    let client = fixtures
        .client_by_id(&claims.client_id)
        .ok_or(ResourceError::InvalidToken(Rejection::UnknownClient.description()))?;
    Ok(Principal {
        environment: Environment::Live,
        scope: claims.scope,
        limit_key: LimitKey::Client(client.id.clone()),
        limit: fixtures.tier_limit(client.tier),
    })
}

impl ResourceError {
    pub fn into_response(self, realm: &str, faults: &Faults) -> Response {
        let realm = challenge_safe(realm);
        let (mut status, challenge, body) = match &self {
            ResourceError::NoCredentials => (
                StatusCode::UNAUTHORIZED,
                format!("Bearer realm=\"{realm}\""),
                json!({"error_description": "Authentication required: send Authorization: Bearer with a token or API key"}),
            ),
            ResourceError::Malformed(d) => error_parts(StatusCode::BAD_REQUEST, &realm, "invalid_request", d, None),
            ResourceError::InvalidToken(d) => error_parts(StatusCode::UNAUTHORIZED, &realm, "invalid_token", d, None),
            ResourceError::InsufficientScope { needed, .. } => error_parts(
                StatusCode::FORBIDDEN,
                &realm,
                "insufficient_scope",
                "The credential lacks the scope this resource needs",
                Some(needed),
            ),
            ResourceError::RateLimited(decision) => return rate_limited(decision, faults),
        };
        if matches!(self, ResourceError::InsufficientScope { .. }) && faults.breaks(Fault::InsufficientScope401) {
            status = StatusCode::UNAUTHORIZED;
        }
        let mut response = (status, Json(body)).into_response();
        let challenge_dropped =
            matches!(self, ResourceError::NoCredentials) && faults.breaks(Fault::NoCredentialsNoChallenge);
        if let Ok(value) = HeaderValue::from_str(&challenge)
            && !challenge_dropped
        {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        if let ResourceError::InsufficientScope { decision, .. } = &self {
            add_rate_limit_headers(response.headers_mut(), decision);
        }
        response
    }
}

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

/// Status, challenge and JSON body of an error with a code. The texts are
/// fixed ASCII without `"` or `\` (§3: the allowed characters).
fn error_parts(
    status: StatusCode,
    realm: &str,
    code: &str,
    description: &str,
    scope: Option<&str>,
) -> (StatusCode, String, serde_json::Value) {
    let mut challenge = format!("Bearer realm=\"{realm}\", error=\"{code}\", error_description=\"{description}\"");
    let mut body = json!({"error": code, "error_description": description});
    if let Some(scope) = scope {
        challenge.push_str(&format!(", scope=\"{scope}\""));
        body["scope"] = json!(scope);
    }
    (status, challenge, body)
}
