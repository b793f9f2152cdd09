//! What a `jwt` subject sees: a compact JWS decoded without verifying it
//! (the harness judges what a target issued, it does not trust it).
//!
//! The view is a JSON object:
//! - `header`, `claims`: the decoded JOSE header and claims, when the value
//!   has three segments that decode to JSON objects;
//! - `lifetime`: `claims.exp - claims.iat`, when both are numbers;
//! - `segments`: how many `.`-separated segments the value has;
//! - `decoded`: every segment base64url-decoded as text (lossy), joined by
//!   spaces, so that `not_contains` can look inside any base64url value
//!   (e.g. that an authorization code does not carry the PKCE challenge).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value as J, json};

use super::reply::{Observed, Reply};
use crate::conform::scenario::{JsonPath, Subject};
use crate::conform::template::{Template, Vars};

/// The view of `token`.
pub(crate) fn view(token: &str) -> J {
    let segments: Vec<&str> = token.split('.').collect();
    let decode = |s: &str| URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok();
    let decoded: Vec<String> = segments
        .iter()
        .filter_map(|s| decode(s))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect();
    let mut out = json!({"segments": segments.len(), "decoded": decoded.join(" ")});
    let object = |s: &str| {
        decode(s)
            .and_then(|b| serde_json::from_slice::<J>(&b).ok())
            .filter(J::is_object)
    };
    if let [h, c, _] = segments.as_slice()
        && let (Some(header), Some(claims)) = (object(h), object(c))
    {
        if let (Some(exp), Some(iat)) = (claims["exp"].as_i64(), claims["iat"].as_i64()) {
            out["lifetime"] = json!(exp - iat);
        }
        out["header"] = header;
        out["claims"] = claims;
    }
    out
}

/// The subject's value: the token is `of` rendered, or the reply's JSON
/// member `access_token`.
pub(crate) fn observe(reply: &Reply, path: &JsonPath, of: Option<&Template>, vars: &Vars) -> Observed {
    let token = match of {
        Some(t) => match t.render(vars) {
            Ok(token) => token,
            Err(u) => return Observed::Absent(format!("no value for `{}`", u.name)),
        },
        None => match reply.observe(&Subject::Json(JsonPath(vec!["access_token".into()]))) {
            Observed::One(J::String(token)) => token,
            _ => return Observed::Absent("no string access_token in the body".into()),
        },
    };
    match path.lookup(&view(&token)) {
        Some(v) => Observed::One(v.clone()),
        None => Observed::Absent(format!("the decoded token has no `{path}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn decodes_header_claims_and_lifetime() {
        let token = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"RS256","typ":"at+jwt"}"#),
            b64(r#"{"iat":100,"exp":3700,"scope":"a b"}"#)
        );
        let v = view(&token);
        assert_eq!(v["header"]["typ"], "at+jwt");
        assert_eq!(v["claims"]["scope"], "a b");
        assert_eq!(v["lifetime"], 3600);
        assert_eq!(v["segments"], 3);
    }

    #[test]
    fn opaque_values_are_decoded_as_text() {
        let v = view(&b64(r#"{"challenge":"E9Mel"}"#));
        assert!(v["decoded"].as_str().unwrap().contains("E9Mel"));
        assert!(v.get("claims").is_none());
    }
}
