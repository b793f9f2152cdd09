//! Expectations: one subject of the response (status, a header, a JSON
//! member, a `WWW-Authenticate` challenge parameter, a `Location` query
//! parameter, the body) and one predicate on it. Evaluated by
//! `runner/expect.rs`.

use std::fmt;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{Diags, Level, macros};
use crate::conform::template::Template;

#[derive(Debug, Clone)]
pub struct Expectation {
    /// A short name so a baseline can refer to this one check.
    pub id: Option<String>,
    /// Overrides the step's and scenario's level.
    pub level: Option<Level>,
    pub note: Option<String>,
    /// Only judged when the response status is one of these.
    pub when_status: Option<Vec<u16>>,
    /// An absent subject passes ("if present, ...").
    pub optional: bool,
    pub subject: Subject,
    pub predicate: Predicate,
    pub span: Range<usize>,
    /// The CHECKS.md §1.3 macro this came from, if any.
    pub from_macro: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Status,
    Header(String),
    Json(JsonPath),
    /// A `WWW-Authenticate` challenge by scheme, or one of its parameters.
    Challenge {
        scheme: String,
        param: Option<String>,
    },
    LocationQuery(String),
    Body,
    /// A member of a decoded JWT (`header.typ`, `claims.exp`, `lifetime`;
    /// see `runner/jwt.rs`): the token is `jwt_of` (a template) or the
    /// response's `access_token`.
    Jwt {
        path: JsonPath,
        of: Option<Template>,
    },
    /// The statuses of every reply of the step (`copies`, `repeat`),
    /// sorted, as a JSON array.
    Statuses,
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Status => f.write_str("status"),
            Subject::Header(h) => write!(f, "header {h}"),
            Subject::Json(p) => write!(f, "JSON {p}"),
            Subject::Challenge { scheme, param: None } => write!(f, "WWW-Authenticate {scheme} challenge"),
            Subject::Challenge { scheme, param: Some(p) } => write!(f, "WWW-Authenticate {scheme} `{p}`"),
            Subject::LocationQuery(q) => write!(f, "Location query `{q}`"),
            Subject::Body => f.write_str("body"),
            Subject::Jwt { path, of: None } => write!(f, "JWT access_token {path}"),
            Subject::Jwt { path, of: Some(t) } => write!(f, "JWT {} {path}", t.raw()),
            Subject::Statuses => f.write_str("statuses of all replies"),
        }
    }
}

/// A dotted path into the JSON body: `access_token`, `items.0.id`; `$` is
/// the body itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPath(pub Vec<String>);

impl JsonPath {
    pub fn parse(s: &str) -> Option<Self> {
        let rest = s
            .strip_prefix('$')
            .map(|r| r.strip_prefix('.').unwrap_or(r))
            .unwrap_or(s);
        if rest.is_empty() {
            return s.starts_with('$').then(|| JsonPath(Vec::new()));
        }
        let parts: Vec<String> = rest.split('.').map(str::to_owned).collect();
        (!parts.iter().any(String::is_empty)).then_some(JsonPath(parts))
    }

    pub fn lookup<'a>(&self, mut v: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        for part in &self.0 {
            v = match v {
                serde_json::Value::Object(m) => m.get(part)?,
                serde_json::Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(v)
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("$")
        } else {
            f.write_str(&self.0.join("."))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Object,
    Array,
    Null,
}

impl JsonType {
    pub fn of(v: &serde_json::Value) -> JsonType {
        use serde_json::Value as J;
        match v {
            J::String(_) => JsonType::String,
            J::Number(n) if n.is_f64() => JsonType::Number,
            J::Number(_) => JsonType::Integer,
            J::Bool(_) => JsonType::Boolean,
            J::Object(_) => JsonType::Object,
            J::Array(_) => JsonType::Array,
            J::Null => JsonType::Null,
        }
    }

    pub fn accepts(self, v: &serde_json::Value) -> bool {
        let actual = JsonType::of(v);
        actual == self || (self == JsonType::Number && actual == JsonType::Integer)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Object => "object",
            JsonType::Array => "array",
            JsonType::Null => "null",
        }
    }
}

/// An expected value: text (templated) or any other JSON value.
#[derive(Debug, Clone)]
pub enum Value {
    Text(Template),
    Json(serde_json::Value),
}

#[derive(Debug, Clone)]
pub enum Predicate {
    Equals(Value),
    EqualsIgnoreCase(Template),
    OneOf(Vec<Value>),
    Contains(Template),
    NotContains(Template),
    Matches(regex::Regex),
    StartsWith(Template),
    /// The media type before any `;` parameters, compared case-insensitively.
    MediaType(String),
    Exists(bool),
    Type(JsonType),
    /// Appears at most once.
    Unique,
}

impl Expectation {
    pub fn templates(&self) -> Vec<&Template> {
        fn value(v: &Value) -> Option<&Template> {
            match v {
                Value::Text(t) => Some(t),
                Value::Json(_) => None,
            }
        }
        let of = match &self.subject {
            Subject::Jwt { of: Some(t), .. } => Some(t),
            _ => None,
        };
        let mut out: Vec<&Template> = of.into_iter().collect();
        out.extend(match &self.predicate {
            Predicate::Equals(v) => value(v).into_iter().collect(),
            Predicate::OneOf(vs) => vs.iter().filter_map(value).collect(),
            Predicate::EqualsIgnoreCase(t)
            | Predicate::Contains(t)
            | Predicate::NotContains(t)
            | Predicate::StartsWith(t) => vec![t],
            _ => Vec::new(),
        });
        out
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpect {
    pub id: Option<Spanned<String>>,
    pub level: Option<Spanned<String>>,
    pub note: Option<String>,
    pub when_status: Option<Spanned<toml::Value>>,
    #[serde(default)]
    pub optional: bool,
    // Subjects.
    pub status: Option<Spanned<toml::Value>>,
    pub header: Option<Spanned<String>>,
    pub json: Option<Spanned<String>>,
    pub challenge: Option<Spanned<String>>,
    pub param: Option<Spanned<String>>,
    pub location_query: Option<Spanned<String>>,
    pub body_contains: Option<Spanned<String>>,
    pub body_not_contains: Option<Spanned<String>>,
    pub body_matches: Option<Spanned<String>>,
    pub jwt: Option<Spanned<String>>,
    pub jwt_of: Option<Spanned<String>>,
    pub statuses: Option<Spanned<Vec<u16>>>,
    // Predicates.
    pub equals: Option<Spanned<toml::Value>>,
    pub equals_ignore_case: Option<Spanned<String>>,
    pub one_of: Option<Spanned<Vec<toml::Value>>>,
    pub contains: Option<Spanned<String>>,
    pub not_contains: Option<Spanned<String>>,
    pub matches: Option<Spanned<String>>,
    pub starts_with: Option<Spanned<String>>,
    pub media_type: Option<Spanned<String>>,
    pub exists: Option<Spanned<bool>>,
    #[serde(rename = "type")]
    pub json_type: Option<Spanned<JsonType>>,
    #[serde(default)]
    pub unique: bool,
    // Macros (CHECKS.md §1.3).
    #[serde(rename = "macro")]
    pub macro_name: Option<Spanned<String>>,
    pub error: Option<Spanned<toml::Value>>,
}

/// Turns one `expect` entry into expectations (a macro gives several).
pub(super) fn parse(d: &mut Diags, raw: &Spanned<RawExpect>) -> Vec<Expectation> {
    let span = raw.span();
    let r = raw.get_ref();
    if r.macro_name.is_some() {
        return macros::expand(d, r, span);
    }
    if let Some(e) = &r.error {
        d.error(
            e.span(),
            "`error` is a macro parameter (TOKEN_ERR, RS_401); use `json = \"error\"`",
        );
    }
    let Some((subject, predicate)) = subject_and_predicate(d, r, &span) else {
        return Vec::new();
    };
    let when_status = r.when_status.as_ref().and_then(|w| statuses(d, w));
    vec![Expectation {
        id: r.id.as_ref().map(|i| i.get_ref().clone()),
        level: r.level.as_ref().and_then(|l| d.level(l)),
        note: r.note.clone(),
        when_status,
        optional: r.optional,
        subject,
        predicate,
        span,
        from_macro: None,
    }]
}

/// `403` or `[400, 401]` as status codes.
pub(super) fn statuses(d: &mut Diags, v: &Spanned<toml::Value>) -> Option<Vec<u16>> {
    let one = |v: &toml::Value| {
        v.as_integer()
            .and_then(|i| u16::try_from(i).ok())
            .filter(|s| (100..600).contains(s))
    };
    let out = match v.get_ref() {
        toml::Value::Array(a) => a.iter().map(one).collect::<Option<Vec<_>>>(),
        other => one(other).map(|s| vec![s]),
    };
    if out.as_ref().is_none_or(Vec::is_empty) {
        d.error(v.span(), "expected an HTTP status (100-599) or a list of them");
    }
    out
}

pub(super) type Found = (Range<usize>, Subject, Option<Predicate>);

fn subject_and_predicate(d: &mut Diags, r: &RawExpect, span: &Range<usize>) -> Option<(Subject, Predicate)> {
    let mut subjects = subjects(d, r)?;
    let (subject, builtin) = match subjects.len() {
        0 => {
            d.error(
                span.clone(),
                "an expectation needs one subject: status, header, json, challenge, location_query, \
                 body_contains, body_not_contains, body_matches or macro",
            );
            return None;
        }
        1 => subjects.pop().map(|(_, s, p)| (s, p))?,
        _ => {
            d.error(
                subjects[1].0.clone(),
                "one subject per expectation; split this into two entries",
            );
            return None;
        }
    };
    let predicate = match (builtin, predicates(d, r, span)?) {
        (Some(p), None) => p,
        (Some(_), Some((at, _))) => {
            d.error(at, "this subject carries its own value; no other predicate is allowed");
            return None;
        }
        (None, Some((at, p))) if !allowed(&subject, &p) => {
            d.error(at, format!("this predicate does not apply to {subject}"));
            return None;
        }
        (None, Some((_, p))) => p,
        (None, None) => Predicate::Exists(true),
    };
    Some((subject, predicate))
}

/// Every subject key the entry sets; `status` and the `body_*` keys carry
/// their predicate with them.
fn subjects(d: &mut Diags, r: &RawExpect) -> Option<Vec<Found>> {
    let mut found: Vec<Found> = Vec::new();
    if let Some(s) = &r.status {
        let codes = statuses(d, s)?;
        let value = |c: &u16| Value::Json((*c).into());
        let p = match codes.as_slice() {
            [one] => Predicate::Equals(value(one)),
            many => Predicate::OneOf(many.iter().map(value).collect()),
        };
        found.push((s.span(), Subject::Status, Some(p)));
    }
    if let Some(h) = &r.header {
        found.push((h.span(), Subject::Header(h.get_ref().clone()), None));
    }
    if let Some(j) = &r.json {
        let Some(path) = JsonPath::parse(j.get_ref()) else {
            d.error(
                j.span(),
                "a JSON path is `$` or dotted member names, e.g. `error` or `items.0.id`",
            );
            return None;
        };
        found.push((j.span(), Subject::Json(path), None));
    }
    if let Some(c) = &r.challenge {
        let param = r.param.as_ref().map(|p| p.get_ref().to_ascii_lowercase());
        found.push((
            c.span(),
            Subject::Challenge {
                scheme: c.get_ref().clone(),
                param,
            },
            None,
        ));
    } else if let Some(p) = &r.param {
        d.error(p.span(), "`param` names a parameter of a `challenge`");
    }
    if let Some(q) = &r.location_query {
        found.push((q.span(), Subject::LocationQuery(q.get_ref().clone()), None));
    }
    if let Some(found_jwt) = super::expect_more::jwt_subject(d, r) {
        found.push(found_jwt?);
    }
    if let Some(s) = &r.statuses {
        found.push(super::expect_more::statuses_subject(s));
    }
    for (field, make) in [
        (&r.body_contains, Predicate::Contains as fn(Template) -> Predicate),
        (&r.body_not_contains, Predicate::NotContains),
    ] {
        if let Some(b) = field {
            found.push((b.span(), Subject::Body, Some(make(d.template(b)))));
        }
    }
    if let Some(b) = &r.body_matches {
        found.push((b.span(), Subject::Body, Some(Predicate::Matches(regex(d, b)?))));
    }
    Some(found)
}

fn predicates(d: &mut Diags, r: &RawExpect, span: &Range<usize>) -> Option<Option<(Range<usize>, Predicate)>> {
    let mut found: Vec<(Range<usize>, Predicate)> = Vec::new();
    if let Some(v) = &r.equals {
        found.push((v.span(), Predicate::Equals(value(d, v)?)));
    }
    if let Some(v) = &r.equals_ignore_case {
        found.push((v.span(), Predicate::EqualsIgnoreCase(d.template(v))));
    }
    if let Some(vs) = &r.one_of {
        let span = vs.span();
        let values = vs
            .get_ref()
            .iter()
            .map(|v| value(d, &Spanned::new(span.clone(), v.clone())))
            .collect::<Option<Vec<_>>>()?;
        found.push((span, Predicate::OneOf(values)));
    }
    for (field, make) in [
        (&r.contains, Predicate::Contains as fn(Template) -> Predicate),
        (&r.not_contains, Predicate::NotContains),
        (&r.starts_with, Predicate::StartsWith),
    ] {
        if let Some(v) = field {
            found.push((v.span(), make(d.template(v))));
        }
    }
    if let Some(v) = &r.matches {
        found.push((v.span(), Predicate::Matches(regex(d, v)?)));
    }
    if let Some(v) = &r.media_type {
        found.push((v.span(), Predicate::MediaType(v.get_ref().to_ascii_lowercase())));
    }
    if let Some(v) = &r.exists {
        found.push((v.span(), Predicate::Exists(*v.get_ref())));
    }
    if let Some(v) = &r.json_type {
        found.push((v.span(), Predicate::Type(*v.get_ref())));
    }
    if r.unique {
        found.push((span.clone(), Predicate::Unique));
    }
    if found.len() > 1 {
        d.error(
            found[1].0.clone(),
            "one predicate per expectation; split this into two entries",
        );
        return None;
    }
    Some(found.pop())
}

fn allowed(subject: &Subject, p: &Predicate) -> bool {
    use Predicate as P;
    match subject {
        Subject::Status => false,
        Subject::Header(_) => !matches!(p, P::Type(_) | P::Unique),
        Subject::Json(_) | Subject::Jwt { .. } => !matches!(p, P::MediaType(_) | P::Unique),
        Subject::Statuses => false,
        Subject::Challenge { param: None, .. } => matches!(p, P::Exists(_)),
        Subject::Challenge { param: Some(_), .. } | Subject::LocationQuery(_) => {
            !matches!(p, P::MediaType(_) | P::Type(_))
        }
        Subject::Body => matches!(p, P::Contains(_) | P::NotContains(_) | P::Matches(_)),
    }
}

pub(super) fn value(d: &mut Diags, v: &Spanned<toml::Value>) -> Option<Value> {
    match v.get_ref() {
        toml::Value::String(s) => Some(Value::Text(d.template(&Spanned::new(v.span(), s.clone())))),
        other => match serde_json::to_value(other) {
            Ok(j) => Some(Value::Json(j)),
            Err(e) => {
                d.error(v.span(), format!("not a JSON value: {e}"));
                None
            }
        },
    }
}

pub(super) fn regex(d: &mut Diags, s: &Spanned<String>) -> Option<regex::Regex> {
    match regex::Regex::new(s.get_ref()) {
        Ok(r) => Some(r),
        Err(e) => {
            d.error(s.span(), format!("invalid regular expression: {e}"));
            None
        }
    }
}
