//! `WWW-Authenticate` parsing (RFC 9110 §11.6.1): a comma-separated list of
//! challenges, each a scheme followed by a token68 or by auth-params whose
//! values are tokens or quoted strings.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    /// Parameter names lower-cased (they are case-insensitive); repeats kept
    /// so that "appears at most once" can be checked.
    pub params: Vec<(String, String)>,
    pub token68: Option<String>,
}

impl Challenge {
    pub fn param_values(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Parses every challenge of every given header value. Unparseable pieces
/// are skipped rather than failing: the checks then report what is missing.
pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<Challenge> {
    let mut out: Vec<Challenge> = Vec::new();
    for value in values {
        let mut current: Option<Challenge> = None;
        for element in split_elements(value) {
            let element = element.trim();
            if element.is_empty() {
                continue;
            }
            let (first, rest) = take_token(element);
            let after = rest.trim_start();
            if first.is_empty() {
                continue;
            }
            if let Some(value) = after
                .strip_prefix('=')
                .filter(|v| !v.trim().is_empty() && !is_padding(v))
            {
                // `name = value`: a parameter of the current challenge.
                if let Some(c) = current.as_mut() {
                    c.params.push((first.to_ascii_lowercase(), unquote(value.trim())));
                }
                continue;
            }
            out.extend(current.take());
            let mut c = Challenge {
                scheme: first.to_owned(),
                params: Vec::new(),
                token68: None,
            };
            if !after.is_empty() {
                let (name, tail) = take_token(after);
                let tail = tail.trim_start();
                match tail
                    .strip_prefix('=')
                    .filter(|v| !v.trim().is_empty() && !is_padding(v))
                {
                    Some(v) => c.params.push((name.to_ascii_lowercase(), unquote(v.trim()))),
                    None => c.token68 = Some(after.to_owned()),
                }
            }
            current = Some(c);
        }
        out.extend(current);
    }
    out
}

fn is_padding(s: &str) -> bool {
    s.chars().all(|c| c == '=')
}

/// Splits on commas that are not inside a quoted string.
fn split_elements(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A `token` (RFC 9110 §5.6.2) at the start of `s`, and the rest.
fn take_token(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~/".contains(c)))
        .unwrap_or(s.len());
    s.split_at(end)
}

fn unquote(v: &str) -> String {
    let Some(inner) = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return v.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_with_params() {
        let c = parse([r#"Bearer realm="point11", error="insufficient_scope", scope="audits:read""#]);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].param_values("error"), ["insufficient_scope"]);
        assert_eq!(c[0].param_values("scope"), ["audits:read"]);
    }

    #[test]
    fn several_challenges_and_token68() {
        let c = parse([
            r#"Basic realm="a, b", Bearer"#,
            "Negotiate abc==",
            r#"Bearer error="x",error="y""#,
        ]);
        let schemes: Vec<_> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Negotiate", "Bearer"]);
        assert_eq!(c[0].param_values("realm"), ["a, b"]);
        assert_eq!(c[2].token68.as_deref(), Some("abc=="));
        assert_eq!(c[3].param_values("error"), ["x", "y"]);
    }

    #[test]
    fn quoted_escapes_and_case() {
        let c = parse([r#"bearer Realm="p\"11""#]);
        assert_eq!(c[0].param_values("realm"), ["p\"11"]);
    }
}
