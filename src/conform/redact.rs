//! Masking for everything a run records. Every client secret, API key,
//! admin secret, captured value, generated secret (PKCE verifier) and
//! credential-bearing header is replaced before results leave the runner, so
//! no report can print one.

use super::result::{Exchange, ScenarioResult, ScenarioStatus};
use super::template::Vars;
use crate::secret::redact_all;

/// Headers whose whole value is a credential. `Authorization` keeps its
/// scheme so transcripts stay readable (`Bearer «redacted»`).
const CREDENTIAL_HEADERS: [&str; 6] = [
    "authorization",
    "proxy-authorization",
    "x-p11-admin-secret",
    "cookie",
    "set-cookie",
    "x-api-key",
];

/// JSON members and query parameters whose values are credentials even when
/// no step captured them (an issued token in a failing transcript).
const CREDENTIAL_FIELDS: [&str; 8] = [
    "access_token",
    "refresh_token",
    "id_token",
    "code",
    "client_secret",
    "code_verifier",
    "key",
    "api_key",
];

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    entries: Vec<(String, String)>,
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every secret binding of `vars`.
    pub fn from_vars(vars: &Vars) -> Self {
        let mut r = Self::new();
        for (name, value) in vars.secrets() {
            r.add(name, value);
        }
        r
    }

    /// Masks `value` as `«label»`, also in the encodings it travels in
    /// (form-urlencoded, percent-encoded, JSON-escaped).
    pub fn add(&mut self, label: &str, value: &str) {
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.trim_matches('"').to_owned();
        let pct = form.replace('+', "%20");
        for v in [value.to_owned(), form, pct, json] {
            if !self.entries.iter().any(|(_, e)| *e == v) {
                self.entries.push((label.to_owned(), v));
            }
        }
    }

    pub fn text(&self, s: &str) -> String {
        redact_all(s, self.entries.iter().map(|(l, v)| (l.as_str(), v.as_str())))
    }

    /// A header value as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if !CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
            return self.text(value);
        }
        match value.split_once(' ') {
            Some((scheme, _)) if name.eq_ignore_ascii_case("authorization") => format!("{scheme} «redacted»"),
            _ => "«redacted»".into(),
        }
    }

    /// Learns the credentials a request carries in its headers, so an echo
    /// of them anywhere else is masked too.
    pub fn learn_request_headers(&mut self, headers: &[(String, String)]) {
        for (name, value) in headers {
            if CREDENTIAL_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                let credential = value.split_once(' ').map_or(value.as_str(), |(_, c)| c).trim();
                self.add(&name.to_ascii_lowercase(), credential);
            }
        }
    }

    /// Learns credentials a request carries in a form body or a query
    /// (`client_secret`, `code_verifier`, `code`, ...), even literal ones
    /// written in a scenario: a "wrong" secret may be another client's.
    pub fn learn_request_fields(&mut self, url: &url::Url, body: Option<&str>) {
        let form = body.map(|b| url::form_urlencoded::parse(b.as_bytes()));
        for (k, v) in url.query_pairs().chain(form.into_iter().flatten()) {
            if CREDENTIAL_FIELDS.contains(&k.as_ref()) {
                self.add(&k, &v);
            }
        }
    }

    /// Learns credentials found in a response: token-like JSON members at the
    /// top level and `code`/`access_token` in a `Location` query.
    pub fn learn_response(&mut self, body: &str, location: Option<&url::Url>) {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) {
            for field in CREDENTIAL_FIELDS {
                if let Some(serde_json::Value::String(v)) = map.get(field) {
                    self.add(field, v);
                }
            }
        }
        if let Some(loc) = location {
            for (k, v) in loc.query_pairs().chain(fragment_pairs(loc)) {
                if CREDENTIAL_FIELDS.contains(&k.as_ref()) {
                    self.add(&k, &v);
                }
            }
        }
    }

    /// Applies the mask to every string of a finished scenario result.
    pub fn scenario(&self, r: &mut ScenarioResult) {
        if let ScenarioStatus::Error { message } = &mut r.status {
            *message = self.text(message);
        }
        for step in &mut r.steps {
            step.name = self.text(&step.name);
            if let Some(e) = &mut step.error {
                *e = self.text(e);
            }
            for c in &mut step.checks {
                c.expected = self.text(&c.expected);
                c.actual = self.text(&c.actual);
                c.subject = self.text(&c.subject);
            }
            if let Some(x) = &mut step.exchange {
                self.exchange(x);
            }
        }
    }

    fn exchange(&self, x: &mut Exchange) {
        x.request.url = self.text(&x.request.url);
        for (name, value) in &mut x.request.headers {
            *value = self.header(name, value);
        }
        if let Some(b) = &mut x.request.body {
            *b = self.text(b);
        }
        if let Some(resp) = &mut x.response {
            for (name, value) in &mut resp.headers {
                *value = self.header(name, value);
            }
            resp.body = self.text(&resp.body);
        }
    }
}

/// Implicit-style responses put parameters in the fragment.
fn fragment_pairs(u: &url::Url) -> Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> {
    u.fragment()
        .map_or_else(Vec::new, |f| url::form_urlencoded::parse(f.as_bytes()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_encoded_forms_and_credential_headers() {
        let mut r = Redactor::new();
        r.add("clients.C_SPECIAL.secret", "p+q/r%s t");
        let body = "client_secret=p%2Bq%2Fr%25s+t&x=1";
        assert_eq!(r.text(body), "client_secret=«clients.C_SPECIAL.secret»&x=1");
        assert_eq!(r.header("Authorization", "Basic abcdef=="), "Basic «redacted»");
        assert_eq!(r.header("X-P11-Admin-Secret", "zzzzzzzz"), "«redacted»");
    }

    #[test]
    fn learns_tokens_from_responses() {
        let mut r = Redactor::new();
        let loc = url::Url::parse("https://client.test/cb?code=abcdefgh1234&state=s").unwrap();
        r.learn_response(r#"{"access_token":"eyJhbGciOi.x.y","token_type":"Bearer"}"#, Some(&loc));
        assert!(!r.text("got eyJhbGciOi.x.y").contains("eyJhbGciOi"));
        assert!(!r.text("code=abcdefgh1234").contains("abcdefgh1234"));
    }
}
