//! The HTML pages of the authorization endpoint: the consent form and the
//! error page shown when the server must not redirect. Every value from the
//! request is HTML-escaped.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use crate::fixtures::Client;

/// The parameters of the authorization request that the consent form
/// carries to `POST /oauth/authorize` (unknown ones are dropped).
pub const CARRIED_PARAMS: [&str; 7] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
];

/// 200: who asks for what, with approve and deny buttons. The form repeats
/// the request's parameters as hidden fields.
pub fn consent_page(client: &Client, scope: &[String], hidden: &[(&str, &str)]) -> Response {
    let scopes: String = scope
        .iter()
        .map(|s| format!("      <li><code>{}</code></li>\n", text(s)))
        .collect();
    let fields: String = hidden
        .iter()
        .map(|(name, value)| {
            format!(
                "    <input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                attr(name),
                attr(value)
            )
        })
        .collect();
    let body = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize {id}</title></head>
<body>
  <h1>Authorize access</h1>
  <p>The client <strong>{id}</strong> asks for:</p>
  <ul>
{scopes}  </ul>
  <form method="post" action="/oauth/authorize">
{fields}    <button type="submit" name="decision" value="approve">Approve</button>
    <button type="submit" name="decision" value="deny">Deny</button>
  </form>
</body>
</html>
"#,
        id = text(&client.id),
    );
    page(StatusCode::OK, body)
}

/// 400: the request cannot be answered by redirecting (RFC 6749 §4.1.2.1:
/// the client or the redirect URI is invalid), so the user sees the error.
pub fn error_page(message: &str) -> Response {
    page_with_status(StatusCode::BAD_REQUEST, message)
}

/// An error page with another status (faults that refuse a method).
pub fn page_with_status(status: StatusCode, message: &str) -> Response {
    let body = format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorization error</title></head>
<body>
  <h1>Authorization error</h1>
  <p>invalid_request: {}</p>
</body>
</html>
"#,
        text(message)
    );
    page(status, body)
}

/// HTML that is neither cached nor framed (RFC 6749 §10.13: clickjacking).
fn page(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Fixtures;

    async fn body_of(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn consent_escapes_request_values() {
        let fixtures = Fixtures::builtin();
        let client = fixtures.client("C_BASIC").unwrap();
        let page = consent_page(client, &["audits:read".into()], &[("state", "\"><script>x</script>")]);
        let html = body_of(page).await;
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("name=\"decision\" value=\"approve\""));
        assert!(html.contains("name=\"decision\" value=\"deny\""));
    }

    #[tokio::test]
    async fn error_page_is_400_html() {
        let page = error_page("<b>bad</b>");
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert!(!body_of(page).await.contains("<b>"));
    }
}
