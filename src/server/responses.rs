//! Response pieces shared by the endpoints: no-store JSON and the Point11
//! rate-limit headers.

use axum::Json;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ratelimit::Decision;

pub const X_RATELIMIT_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const X_RATELIMIT_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const X_RATELIMIT_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// JSON that no cache may keep (RFC 6749 §5.1: `Cache-Control: no-store`
/// and `Pragma: no-cache` on responses holding tokens or credentials).
pub fn no_store_json(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// `X-RateLimit-Limit`, `-Remaining` (never negative) and `-Reset` (Unix
/// seconds of the window's end).
pub fn add_rate_limit_headers(headers: &mut HeaderMap, decision: &Decision) {
    headers.insert(X_RATELIMIT_LIMIT, HeaderValue::from(decision.limit));
    headers.insert(X_RATELIMIT_REMAINING, HeaderValue::from(decision.remaining));
    headers.insert(X_RATELIMIT_RESET, HeaderValue::from(decision.reset_secs));
}

/// RFC 6585 §4: 429 with `Retry-After` in whole seconds (RFC 9110 §10.2.3),
/// the rate-limit headers and a JSON error.
pub fn too_many_requests(decision: &Decision, description: &'static str) -> Response {
    let mut response = no_store_json(
        StatusCode::TOO_MANY_REQUESTS,
        json!({"error": "rate_limited", "error_description": description}),
    );
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(decision.retry_after_secs));
    add_rate_limit_headers(headers, decision);
    response
}
