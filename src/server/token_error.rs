//! Token endpoint error responses (RFC 6749 §5.2): a JSON object with one
//! `error` code and an `error_description`, status 400, except
//! `invalid_client`, which is 401 with an HTTP Basic challenge.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::faults::{Fault, Faults};
use super::responses::no_store_json;

/// The §5.2 error codes the server uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
}

impl TokenErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenErrorCode::InvalidRequest => "invalid_request",
            TokenErrorCode::InvalidClient => "invalid_client",
            TokenErrorCode::InvalidGrant => "invalid_grant",
            TokenErrorCode::UnauthorizedClient => "unauthorized_client",
            TokenErrorCode::UnsupportedGrantType => "unsupported_grant_type",
            TokenErrorCode::InvalidScope => "invalid_scope",
        }
    }
}

/// A refused token request. Descriptions are fixed ASCII text without `"`
/// or `\` (§5.2: %x20-21 / %x23-5B / %x5D-7E).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenError {
    pub code: TokenErrorCode,
    pub description: &'static str,
}

impl TokenError {
    pub const fn new(code: TokenErrorCode, description: &'static str) -> Self {
        Self { code, description }
    }

    pub const fn invalid_request(description: &'static str) -> Self {
        Self::new(TokenErrorCode::InvalidRequest, description)
    }

    pub const fn invalid_client(description: &'static str) -> Self {
        Self::new(TokenErrorCode::InvalidClient, description)
    }

    pub fn invalid_grant(description: &'static str) -> Self {
        Self::new(TokenErrorCode::InvalidGrant, description)
    }

    pub fn status(&self) -> StatusCode {
        match self.code {
            TokenErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The response. A 401 carries `WWW-Authenticate: Basic realm=...`: §5.2
    /// requires it when the client used Basic, and RFC 9110 §15.5.2 requires
    /// a challenge on every 401, so body-credential failures get it too.
    pub fn into_response(self, realm: &str, faults: &Faults) -> Response {
        let body = json!({"error": self.code.as_str(), "error_description": self.description});
        let status = match self.status() {
            StatusCode::UNAUTHORIZED if faults.breaks(Fault::InvalidClient400) => StatusCode::BAD_REQUEST,
            status => status,
        };
        let mut response = no_store_json(status, body);
        if status == StatusCode::UNAUTHORIZED {
            let challenge = format!("Basic realm=\"{}\"", challenge_safe(realm));
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// Drops characters that would break a quoted-string (`"`, `\`, controls).
pub fn challenge_safe(value: &str) -> String {
    value
        .chars()
        .filter(|c| matches!(*c as u32, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_401_with_a_basic_challenge() {
        let response =
            TokenError::invalid_client("Client authentication failed").into_response("point11", &Faults::none());
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Basic realm=\"point11\"");
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[test]
    fn other_errors_are_400_without_challenge() {
        let response = TokenError::invalid_grant("x").into_response("point11", &Faults::none());
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::WWW_AUTHENTICATE).is_none());
    }
}
