//! Authenticating and authorizing a resource request: bearer access tokens
//! and API keys, the per-key / per-client rate limit, and scope. Errors are
//! RFC 6750 §3 challenges.

use axum::http::header;

use super::AppState;
use super::apikeys::{KeyGrant, KeyRejection};
use super::bearer::{self, Carriers, Via};
use super::faults::Fault;
use super::jwt::{self, Expectations, Rejection};
use super::params::Params;
use super::ratelimit::{Decision, LimitKey};
pub use super::resource_error::ResourceError;
use super::scope;
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

/// Finds the credential, authenticates it, counts the request against its
/// rate limit and checks that it holds `needed`.
pub fn authorize(
    state: &AppState,
    request: &Carriers<'_>,
    needed: &'static str,
) -> Result<(Principal, Decision, Via), ResourceError> {
    let credential = bearer::extract(request, &state.faults).map_err(ResourceError::Malformed)?;
    let credential = credential.or_else(|| query_key(state, request.query).map(|k| (k, Via::Query)));
    let Some((credential, via)) = credential else {
        if request.headers.contains_key(header::AUTHORIZATION) && state.faults.breaks(Fault::OtherSchemeInvalidRequest)
        {
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
    Ok((principal, decision, via))
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
    if apikey::looks_like_key(credential) {
        return authenticate_key(state, credential);
    }
    if !state.faults.breaks(Fault::TokenCaseInsensitive) {
        return authenticate_jwt(state, credential);
    }
    // The fault: a cache keyed by the lower-cased token, as a
    // case-insensitive store would be (RFC 6750 §2.1: tokens are
    // case-sensitive b64token).
    let cached = state.accepted_tokens.lookup(credential);
    let principal = authenticate_jwt(state, cached.as_deref().unwrap_or(credential))?;
    state.accepted_tokens.remember(credential);
    Ok(principal)
}

fn authenticate_key(state: &AppState, credential: &str) -> Result<Principal, ResourceError> {
    let faults = &state.faults;
    let grant = match state.api_keys.authenticate(credential, faults) {
        Ok(grant) => grant,
        Err(KeyRejection::Malformed) if faults.breaks(Fault::MalformedKeyAccepted) => KeyGrant {
            name: "malformed".into(),
            environment: Environment::Live,
            scopes: vec!["audits:read".into()],
            tier: Tier::Standard,
            limit: state.fixtures.tier_limit(Tier::Standard),
        },
        Err(r) => return Err(ResourceError::InvalidKey(r)),
    };
    // POINT11-API.md: the limit is the key's tier's (or its custom one).
    let limit = if grant.tier == Tier::Professional && faults.breaks(Fault::ProTierAsStandard) {
        state.fixtures.tier_limit(Tier::Standard)
    } else {
        grant.limit
    };
    Ok(Principal {
        environment: grant.environment,
        scope: grant.scopes.join(" "),
        limit_key: LimitKey::ApiKey(grant.name),
        limit,
    })
}

fn authenticate_jwt(state: &AppState, credential: &str) -> Result<Principal, ResourceError> {
    let (fixtures, faults) = (&state.fixtures, &state.faults);
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
