//! Finding the credential of a resource request (RFC 6750 §2).
//!
//! Point11 accepts the `Authorization: Bearer` header only. A token in the
//! query (§2.3) or a form body (§2.2) is not a credential here, but sending
//! one together with the header is a malformed request (§2: clients MUST
//! NOT use more than one method). The other methods exist below only as
//! faults (`serve --fault`), so the checks that guard them can be shown to
//! fail.

use axum::http::{HeaderMap, Method, header};
use serde_json::Value;

use super::faults::{Fault, Faults};
use super::params::Params;

/// Why a bearer credential is empty (RFC 6750 §3.1 `invalid_request`).
pub const EMPTY_CREDENTIAL: &str = "The Bearer credential is empty";

/// The parts of a request that may carry an access token (RFC 6750 §2).
#[derive(Debug, Clone, Copy)]
pub struct Carriers<'a> {
    pub headers: &'a HeaderMap,
    pub method: &'a Method,
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// How the credential travelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Header,
    /// §2.3, only under a fault.
    Query,
    /// §2.2, only under a fault.
    Body,
}

/// The credential in the `Authorization` header, `None` when there is none
/// (no header, or a scheme other than Bearer), or the reason the request is
/// malformed (RFC 6750 §3.1 `invalid_request`).
pub fn extract(request: &Carriers<'_>, faults: &Faults) -> Result<Option<(String, Via)>, &'static str> {
    let header_token = header_token(request.headers, faults)?;
    let query = Params::parse(request.query.unwrap_or_default().as_bytes());
    let form = media_type_is(request.headers, "application/x-www-form-urlencoded").then(|| Params::parse(request.body));
    let body_token = form.as_ref().and_then(|f| f.get("access_token"));
    if let Some(token) = header_token {
        // RFC 6750 §2: one method per request; §3.1: otherwise invalid_request.
        let in_query = query.count("access_token") > 0 && !faults.breaks(Fault::QueryBesideHeaderIgnored);
        let in_body = body_token.is_some() && !faults.breaks(Fault::BodyBesideHeaderIgnored);
        if in_query || in_body {
            return Err("Send the access token in one place only, the Authorization header");
        }
        return Ok(Some((token, Via::Header)));
    }
    // RFC 6750 §2.3 (MAY) is refused: RFC 9700 §4.3.2 bars clients from it.
    if let Some(token) = query.get("access_token")
        && (faults.breaks(Fault::QueryTokenAccepted) || faults.breaks(Fault::QueryTokenCacheable))
    {
        return Ok(Some((token.to_owned(), Via::Query)));
    }
    // RFC 6750 §2.2 (MAY) is not supported: a body token is no credential.
    if let Some(token) = body_token {
        if request.method == Method::GET && faults.breaks(Fault::FormBodyTokenOnGet) {
            return Ok(Some((token.to_owned(), Via::Body)));
        }
        if faults.breaks(Fault::BodyTokenInvalidRequest) {
            return Err("Send the access token in the Authorization header, not in the body");
        }
    }
    if faults.breaks(Fault::JsonBodyTokenAccepted)
        && media_type_is(request.headers, "application/json")
        && let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(request.body)
        && let Some(Value::String(token)) = fields.get("access_token")
    {
        return Ok(Some((token.clone(), Via::Body)));
    }
    Ok(None)
}

/// The token of the one `Authorization: Bearer` header, if there is one.
fn header_token(headers: &HeaderMap, faults: &Faults) -> Result<Option<String>, &'static str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let value = match (values.next(), values.next()) {
        (None, _) => return Ok(None),
        // RFC 6750 §3.1: a repeated parameter is invalid_request.
        (Some(_), Some(_)) if !faults.breaks(Fault::DuplicateAuthorizationFirstWins) => {
            return Err("Send one Authorization header, not several");
        }
        (Some(value), _) => value,
    };
    let value = value
        .to_str()
        .map_err(|_| "The Authorization header is not visible ASCII")?;
    parse_bearer(value, faults)
}

/// `credentials = "Bearer" 1*SP b64token`, the scheme case-insensitive
/// (RFC 9110 §11.1). Another scheme yields `None`.
fn parse_bearer(value: &str, faults: &Faults) -> Result<Option<String>, &'static str> {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let is_bearer = if faults.breaks(Fault::SchemeCaseSensitive) {
        scheme == "Bearer"
    } else {
        scheme.eq_ignore_ascii_case("bearer")
    };
    if !is_bearer {
        return Ok(None);
    }
    let mut token = if faults.breaks(Fault::SingleSpaceOnly) {
        rest
    } else {
        rest.trim_start_matches(' ')
    };
    if faults.breaks(Fault::BearerTokenLaxParse) {
        token = token.trim_matches('"').split([' ', ',']).next().unwrap_or_default();
    }
    if token.is_empty() {
        return Err(EMPTY_CREDENTIAL);
    }
    if !is_b64token(token) {
        return Err("The Bearer credential is not a b64token");
    }
    Ok(Some(token.to_owned()))
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`
pub fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/'))
}

/// Whether the request's `Content-Type` has this media type.
pub fn media_type_is(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_auth(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(header::AUTHORIZATION, HeaderValue::from_static(v));
        }
        headers
    }

    fn run(headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Result<Option<String>, &'static str> {
        run_with(&Faults::none(), headers, query, body)
    }

    fn run_with(
        faults: &Faults,
        headers: &HeaderMap,
        query: Option<&str>,
        body: &[u8],
    ) -> Result<Option<String>, &'static str> {
        let mut headers = headers.clone();
        if !body.is_empty() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            );
        }
        let request = Carriers {
            headers: &headers,
            method: &Method::POST,
            query,
            body,
        };
        extract(&request, faults).map(|c| c.map(|(token, _)| token))
    }

    #[test]
    fn scheme_is_case_insensitive_and_spaces_are_tolerated() {
        for v in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR  abc"] {
            assert_eq!(run(&with_auth(&[v]), None, b""), Ok(Some("abc".into())), "{v}");
        }
    }

    #[test]
    fn malformed_credentials() {
        for v in [
            "Bearer",
            "Bearer abc def",
            "Bearer \"abc\"",
            "Bearer abc,def",
            "Bearer ===",
        ] {
            assert!(run(&with_auth(&[v]), None, b"").is_err(), "{v}");
        }
        assert!(run(&with_auth(&["Bearer a", "Bearer b"]), None, b"").is_err());
        assert!(run(&with_auth(&["Bearer a"]), Some("access_token=a"), b"").is_err());
        assert!(run(&with_auth(&["Bearer a"]), None, b"access_token=a").is_err());
    }

    #[test]
    fn other_schemes_and_query_or_body_tokens_are_no_credential() {
        assert_eq!(run(&with_auth(&["Basic eDp5"]), None, b""), Ok(None));
        assert_eq!(run(&HeaderMap::new(), Some("access_token=abc"), b""), Ok(None));
        assert_eq!(run(&HeaderMap::new(), Some("api_key=p11_live_x"), b""), Ok(None));
        assert_eq!(run(&HeaderMap::new(), None, b"access_token=abc"), Ok(None));
    }

    #[test]
    fn parse_faults_break_only_their_rule() {
        let ok = |v| Ok(Some(String::from(v)));
        let lax = Faults::from(Fault::BearerTokenLaxParse);
        for v in ["Bearer abc def", "Bearer \"abc\"", "Bearer abc,def"] {
            assert_eq!(run_with(&lax, &with_auth(&[v]), None, b""), ok("abc"), "{v}");
        }
        let exact = Faults::from(Fault::SchemeCaseSensitive);
        assert_eq!(run_with(&exact, &with_auth(&["bearer abc"]), None, b""), Ok(None));
        assert_eq!(run_with(&exact, &with_auth(&["Bearer abc"]), None, b""), ok("abc"));
        let one_space = Faults::from(Fault::SingleSpaceOnly);
        assert!(run_with(&one_space, &with_auth(&["Bearer  abc"]), None, b"").is_err());
        let first = Faults::from(Fault::DuplicateAuthorizationFirstWins);
        assert_eq!(
            run_with(&first, &with_auth(&["Bearer a", "Bearer b"]), None, b""),
            ok("a")
        );
        let query = Faults::from(Fault::QueryTokenAccepted);
        assert_eq!(
            run_with(&query, &HeaderMap::new(), Some("access_token=q"), b""),
            ok("q")
        );
    }
}
