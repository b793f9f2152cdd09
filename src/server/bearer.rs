//! Finding the credential of a resource request (RFC 6750 §2).
//!
//! Point11 accepts the `Authorization: Bearer` header only. A token in the
//! query (§2.3) or a form body (§2.2) is not a credential here, but sending
//! one together with the header is a malformed request (§2: clients MUST
//! NOT use more than one method).

use axum::http::{HeaderMap, header};

use super::params::Params;

/// The credential in the `Authorization` header, `None` when there is none
/// (no header, or a scheme other than Bearer), or the reason the request is
/// malformed (RFC 6750 §3.1 `invalid_request`).
pub fn extract(
    headers: &HeaderMap,
    query: Option<&str>,
    form_body: Option<&[u8]>,
) -> Result<Option<String>, &'static str> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let header_token = match (values.next(), values.next()) {
        (None, _) => None,
        (Some(_), Some(_)) => return Err("Send one Authorization header, not several"),
        (Some(value), None) => {
            let value = value
                .to_str()
                .map_err(|_| "The Authorization header is not visible ASCII")?;
            parse_bearer(value)?
        }
    };
    let in_query = Params::parse(query.unwrap_or_default().as_bytes()).count("access_token") > 0;
    let in_body = form_body.is_some_and(|body| Params::parse(body).count("access_token") > 0);
    if header_token.is_some() && (in_query || in_body) {
        return Err("Send the access token in one place only, the Authorization header");
    }
    Ok(header_token)
}

/// `credentials = "Bearer" 1*SP b64token`, the scheme case-insensitive
/// (RFC 9110 §11.1). Another scheme yields `None`.
fn parse_bearer(value: &str) -> Result<Option<String>, &'static str> {
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err("The Bearer credential is empty");
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

    #[test]
    fn scheme_is_case_insensitive_and_spaces_are_tolerated() {
        for v in ["Bearer abc", "bearer abc", "BEARER abc", "bEaReR  abc"] {
            assert_eq!(extract(&with_auth(&[v]), None, None), Ok(Some("abc".into())), "{v}");
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
            assert!(extract(&with_auth(&[v]), None, None).is_err(), "{v}");
        }
        assert!(extract(&with_auth(&["Bearer a", "Bearer b"]), None, None).is_err());
        assert!(extract(&with_auth(&["Bearer a"]), Some("access_token=a"), None).is_err());
        assert!(extract(&with_auth(&["Bearer a"]), None, Some(b"access_token=a")).is_err());
    }

    #[test]
    fn other_schemes_and_query_tokens_are_no_credential() {
        assert_eq!(extract(&with_auth(&["Basic eDp5"]), None, None), Ok(None));
        assert_eq!(extract(&HeaderMap::new(), Some("access_token=abc"), None), Ok(None));
        assert_eq!(extract(&HeaderMap::new(), Some("api_key=p11_live_x"), None), Ok(None));
    }
}
