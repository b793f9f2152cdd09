//! Report writers, one per format, each writing to any `Write` from its own
//! view of a [`super::RunSummary`]. Results reach them already redacted.

pub mod human;
pub mod json;
pub mod junit;
pub mod list;

use super::result::Exchange;

/// A transcript as text lines: `> ` for the request, `< ` for the response.
/// Shared by the human and JUnit writers so they show the same thing.
pub(crate) fn transcript_lines(x: &Exchange, body_limit: usize) -> Vec<String> {
    let mut lines = vec![format!("> {} {}", x.request.method, x.request.url)];
    lines.extend(x.request.headers.iter().map(|(k, v)| format!("> {k}: {v}")));
    if let Some(body) = &x.request.body {
        lines.push(">".into());
        lines.extend(clip(body, body_limit).lines().map(|l| format!("> {l}")));
    }
    match &x.response {
        None => lines.push("< (no response)".into()),
        Some(r) => {
            lines.push(format!("< {}", r.status));
            lines.extend(r.headers.iter().map(|(k, v)| format!("< {k}: {v}")));
            if !r.body.is_empty() {
                lines.push("<".into());
                lines.extend(clip(&r.body, body_limit).lines().map(|l| format!("< {l}")));
                if r.body_truncated {
                    lines.push("< … (body truncated)".into());
                }
            }
        }
    }
    lines
}

/// At most `limit` bytes of `s`, cut at a character boundary, with a note of
/// what was cut.
pub(crate) fn clip(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut end = limit;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} more bytes)", &s[..end], s.len() - end)
}
