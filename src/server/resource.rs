//! The protected resources (POINT11-API.md): `GET /v1/audits`
//! (`audits:read`), `POST /v1/audits` (`audits:write`, JSON body) and
//! `GET /v1/analytics` (`analytics:read`). The credential decides the
//! environment: live keys and access tokens see production, test keys the
//! sandbox, and test keys never write to production.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::AppState;
use super::bearer::{Carriers, Via, media_type_is};
use super::data::{analytics, environment_name};
use super::faults::Fault;
use super::ratelimit::Decision;
use super::resource_auth::{self, Principal};
use super::responses::add_rate_limit_headers;
use crate::fixtures::Environment;

pub async fn list_audits(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let request = carriers(&method, &headers, &uri, &body);
    guarded(&state, &request, "audits:read", |principal| {
        let env = match principal.environment {
            Environment::Test if state.faults.breaks(Fault::TestKeyReadsLive) => Environment::Live,
            env => env,
        };
        ok(json!({"environment": environment_name(env), "audits": state.audits.list(env)}))
    })
}

pub async fn get_analytics(
    State(state): State<AppState>,
    method: Method,
    mut headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    if state.faults.breaks(Fault::AnalyticsHeaderIgnored) {
        headers.remove(header::AUTHORIZATION);
    }
    let request = carriers(&method, &headers, &uri, &body);
    guarded(&state, &request, "analytics:read", |principal| {
        let env = principal.environment;
        ok(json!({"environment": environment_name(env), "analytics": analytics(env)}))
    })
}

pub async fn create_audit(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    uri: Uri,
    body: Bytes,
) -> Response {
    let request = carriers(&method, &headers, &uri, &body);
    guarded(&state, &request, "audits:write", |principal| {
        // Point11: test keys reach sandbox data only and cannot modify
        // production resources, whatever scopes they hold.
        if principal.environment == Environment::Test && !state.faults.breaks(Fault::TestKeyWritesLive) {
            return error(
                StatusCode::FORBIDDEN,
                "test_key_read_only",
                "Test keys cannot modify production resources",
            );
        }
        let Some(fields) = json_object(&headers, &body) else {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "The body must be a JSON object sent as application/json",
            );
        };
        let audit = state.audits.append_live(fields, state.clock.now_secs());
        (
            StatusCode::CREATED,
            Json(json!({"environment": "live", "audit": audit})),
        )
            .into_response()
    })
}

fn carriers<'a>(method: &'a Method, headers: &'a HeaderMap, uri: &'a Uri, body: &'a [u8]) -> Carriers<'a> {
    Carriers {
        headers,
        method,
        query: uri.query(),
        body,
    }
}

/// Authorizes the request for `needed`, runs `handler`, and adds the
/// rate-limit headers to whatever it answers (2xx and 403 alike).
fn guarded(
    state: &AppState,
    request: &Carriers<'_>,
    needed: &'static str,
    handler: impl FnOnce(&Principal) -> Response,
) -> Response {
    match resource_auth::authorize(state, request, needed) {
        Ok((principal, decision, via)) => {
            let mut response = handler(&principal);
            let headers = response.headers_mut();
            add_rate_limit_headers(headers, &faulty(state, decision));
            // RFC 6750 §2.3: a 2xx answer to a token in the URI SHOULD say
            // Cache-Control: private. (Only reached under a fault: Point11
            // does not accept the query method.)
            if via == Via::Query && !state.faults.breaks(Fault::QueryTokenCacheable) {
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
            }
            response
        }
        Err(e) => e.into_response(&state.fixtures.realm, &state.faults),
    }
}

/// The decision as the rate-limit faults misreport it (POINT11-API.md:
/// Remaining is what is left after this request; Reset is Unix seconds).
fn faulty(state: &AppState, mut decision: Decision) -> Decision {
    if state.faults.breaks(Fault::RateLimitRemainingStale) {
        decision.remaining = decision.limit;
    }
    if state.faults.breaks(Fault::RateLimitResetMillis) {
        decision.reset_secs = decision.reset_secs.saturating_mul(1000);
    }
    decision
}

fn json_object(headers: &HeaderMap, body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    if !media_type_is(headers, "application/json") {
        return None;
    }
    match serde_json::from_slice(body).ok()? {
        Value::Object(mut fields) => {
            // The server assigns these.
            fields.remove("id");
            fields.remove("created_at");
            Some(fields)
        }
        _ => None,
    }
}

fn ok(body: Value) -> Response {
    (StatusCode::OK, Json(body)).into_response()
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (status, Json(json!({"error": code, "error_description": description}))).into_response()
}
