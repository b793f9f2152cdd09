//! Captures: values taken from a response and bound as variables for the
//! steps after it (`capture.token = { json = "access_token" }`). Captured
//! values are masked in every output unless `redact = false`.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::Diags;
use super::expect::{JsonPath, regex};

#[derive(Debug, Clone)]
pub struct Capture {
    pub name: String,
    pub source: CaptureSource,
    pub redact: bool,
    /// Bound when the source has nothing to take (instead of failing), so
    /// that a later step can probe what happens without it.
    pub default: Option<String>,
    pub span: Range<usize>,
}

#[derive(Debug, Clone)]
pub enum CaptureSource {
    Json(JsonPath),
    Header(String),
    LocationQuery(String),
    /// The first capture group, or the whole match when there is none.
    BodyRegex(regex::Regex),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCapture {
    json: Option<Spanned<String>>,
    header: Option<Spanned<String>>,
    location_query: Option<Spanned<String>>,
    body_regex: Option<Spanned<String>>,
    #[serde(default = "yes")]
    redact: bool,
    default: Option<String>,
}

fn yes() -> bool {
    true
}

pub(super) fn parse(d: &mut Diags, name: &Spanned<String>, raw: &Spanned<RawCapture>) -> Option<Capture> {
    let r = raw.get_ref();
    if !is_var_name(name.get_ref()) {
        d.error(name.span(), "a capture name is letters, digits, `_`, `.` and `-`");
        return None;
    }
    let mut sources = Vec::new();
    if let Some(j) = &r.json {
        match JsonPath::parse(j.get_ref()) {
            Some(p) => sources.push((j.span(), CaptureSource::Json(p))),
            None => d.error(
                j.span(),
                "a JSON path is `$` or dotted member names, e.g. `access_token`",
            ),
        }
    }
    if let Some(h) = &r.header {
        sources.push((h.span(), CaptureSource::Header(h.get_ref().clone())));
    }
    if let Some(q) = &r.location_query {
        sources.push((q.span(), CaptureSource::LocationQuery(q.get_ref().clone())));
    }
    if let Some(b) = &r.body_regex {
        sources.push((b.span(), CaptureSource::BodyRegex(regex(d, b)?)));
    }
    match sources.len() {
        0 => {
            d.error(
                raw.span(),
                "a capture needs one source: json, header, location_query or body_regex",
            );
            None
        }
        1 => sources.pop().map(|(_, source)| Capture {
            name: name.get_ref().clone(),
            source,
            redact: r.redact,
            default: r.default.clone(),
            span: name.span(),
        }),
        _ => {
            d.error(sources[1].0.clone(), "one source per capture");
            None
        }
    }
}

pub(super) fn is_var_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}
