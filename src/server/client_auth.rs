//! Client authentication at the token endpoint (RFC 6749 §2.3): HTTP Basic
//! (§2.3.1) or `client_id`/`client_secret` in the form body, never both;
//! public clients identify themselves with `client_id` alone.

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use super::faults::{Fault, Faults};
use super::params::{Params, form_decode};
use super::token_error::TokenError;
use crate::apikey::constant_time_eq;
use crate::fixtures::{Client, Fixtures};
use crate::secret::Secret;

/// Standard base64; padding optional, since clients differ on it.
const BASIC_B64: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The refusal of an `Authorization: Basic` value that does not decode.
pub const MALFORMED_BASIC: TokenError =
    TokenError::invalid_client("The Authorization header must hold valid HTTP Basic client credentials");

/// The refusal of a body `client_secret` without `client_id`.
pub const ORPHAN_SECRET: TokenError = TokenError::invalid_request("client_secret was sent without client_id");

/// Who the request says it comes from, before any check of the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub client_id: Option<String>,
    pub secret: Option<Secret>,
    /// The credentials came in an HTTP Basic header (not the body).
    pub basic: bool,
}

/// Reads the credentials from the `Authorization` header and the body.
pub fn presented(headers: &HeaderMap, params: &Params, faults: &Faults) -> Result<Presented, TokenError> {
    let mut authorizations = headers.get_all(header::AUTHORIZATION).iter();
    let (Some(value), None) = (authorizations.next(), authorizations.next()) else {
        if headers.contains_key(header::AUTHORIZATION) {
            return Err(TokenError::invalid_request(
                "Send one Authorization header, not several",
            ));
        }
        return from_body(params);
    };
    let value = value.to_str().ok();
    let basic = value.and_then(|v| parse_basic(v, !faults.breaks(Fault::BasicNotFormDecoded)));
    let Some((id, secret)) = basic else {
        let basic_scheme = value.is_some_and(|v| v.split(' ').next().is_some_and(|s| s.eq_ignore_ascii_case("basic")));
        return Err(if basic_scheme {
            MALFORMED_BASIC
        } else if faults.breaks(Fault::TokenOtherSchemeInvalidRequest) {
            TokenError::invalid_request("Only HTTP Basic is accepted in the Authorization header")
        } else {
            TokenError::invalid_client("Client authentication must use HTTP Basic or the request body")
        });
    };
    // §2.3.1: the client MUST NOT use more than one authentication method.
    if params.get("client_secret").is_some() && !faults.breaks(Fault::TwoAuthMethodsAccepted) {
        return Err(TokenError::invalid_request(
            "Use one client authentication method: HTTP Basic or client_secret in the body, not both",
        ));
    }
    if params.get("client_id").is_some_and(|body_id| body_id != id) {
        return Err(TokenError::invalid_request(
            "The body client_id differs from the HTTP Basic client",
        ));
    }
    Ok(Presented {
        client_id: Some(id),
        secret: Some(Secret::new(secret)),
        basic: true,
    })
}

fn from_body(params: &Params) -> Result<Presented, TokenError> {
    let client_id = params.get("client_id").map(str::to_owned);
    let secret = params.get("client_secret").map(Secret::new);
    if client_id.is_none() && secret.is_some() {
        return Err(ORPHAN_SECRET);
    }
    Ok(Presented {
        client_id,
        secret,
        basic: false,
    })
}

/// `Basic <base64(form-urlencode(id) ":" form-urlencode(secret))>`: the
/// scheme is case-insensitive (RFC 9110 §11.1); the decoded value splits on
/// its first colon and both halves are form-decoded (RFC 6749 §2.3.1).
/// `form_decode = false` is the `basic-not-form-decoded` fault.
fn parse_basic(value: &str, form_decoded: bool) -> Option<(String, String)> {
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = BASIC_B64.decode(rest.trim_start_matches(' ')).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |s: &str| if form_decoded { form_decode(s) } else { s.to_owned() };
    let id = decode(id);
    (!id.is_empty()).then(|| (id, decode(secret)))
}

/// Checks the presented credentials against the registered clients.
/// A presentation without any `client_id` is the caller's to judge.
pub fn authenticate<'f>(
    fixtures: &'f Fixtures,
    presented: &Presented,
    faults: &Faults,
) -> Result<&'f Client, TokenError> {
    let failed = || TokenError::invalid_client("Client authentication failed");
    let id = presented.client_id.as_deref().ok_or_else(failed)?;
    let client = match fixtures.client_by_id(id) {
        Some(client) => client,
        None if faults.breaks(Fault::UnknownClientInvalidRequest) => {
            return Err(TokenError::invalid_request("Unknown client_id"));
        }
        None => return Err(failed()),
    };
    if !presented.basic && presented.secret.is_some() && faults.breaks(Fault::BodyCredentialsRefused) {
        return Err(TokenError::invalid_client("client_secret_post is not supported"));
    }
    let sent = presented.secret.as_ref().map(Secret::expose).filter(|s| !s.is_empty());
    match (&client.secret, sent) {
        (Some(expected), Some(sent)) if constant_time_eq(expected.expose(), sent) => Ok(client),
        (Some(_), Some(_)) if !presented.basic && faults.breaks(Fault::BodySecretNotChecked) => Ok(client),
        // §3.2.1: a confidential client must authenticate.
        (Some(_), None) if faults.breaks(Fault::ConfidentialWithoutSecret) => Ok(client),
        (Some(_), None) => Err(TokenError::invalid_client(
            "This client must authenticate with its secret",
        )),
        (Some(_), Some(_)) => Err(failed()),
        (None, None) => Ok(client),
        (None, Some(_)) => Err(TokenError::invalid_client("A public client has no secret to send")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn basic(raw: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
        headers
    }

    #[test]
    fn basic_halves_are_form_decoded() {
        let fixtures = Fixtures::builtin();
        let p = presented(
            &basic("svc%3Areports:p%2Bq%2Fr%25s+t"),
            &Params::default(),
            &Faults::none(),
        )
        .unwrap();
        assert_eq!(p.client_id.as_deref(), Some("svc:reports"));
        assert_eq!(authenticate(&fixtures, &p, &Faults::none()).unwrap().name, "C_SPECIAL");
    }

    #[test]
    fn two_methods_at_once_are_invalid_request() {
        let params = Params::parse(b"client_secret=x");
        let err = presented(&basic("p11-basic:x"), &params, &Faults::none()).unwrap_err();
        assert_eq!(err.code.as_str(), "invalid_request");
    }

    #[test]
    fn unsupported_schemes_and_garbage_are_invalid_client() {
        for value in ["Digest username=\"x\"", "Bearer abc", "Basic %%%", "Basic bm9jb2xvbg=="] {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(value));
            let err = presented(&headers, &Params::default(), &Faults::none()).unwrap_err();
            assert_eq!(err.code.as_str(), "invalid_client", "{value}");
        }
    }

    #[test]
    fn confidential_client_without_secret_fails() {
        let fixtures = Fixtures::builtin();
        let p = presented(
            &HeaderMap::new(),
            &Params::parse(b"client_id=p11-basic"),
            &Faults::none(),
        )
        .unwrap();
        assert_eq!(
            authenticate(&fixtures, &p, &Faults::none()).unwrap_err().code.as_str(),
            "invalid_client"
        );
        let p = presented(
            &HeaderMap::new(),
            &Params::parse(b"client_id=p11-public"),
            &Faults::none(),
        )
        .unwrap();
        assert!(authenticate(&fixtures, &p, &Faults::none()).unwrap().is_public());
    }
}
