//! A step: one HTTP request, its expectations and its captures.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::capture::{self, Capture, RawCapture};
use super::expect::{self, Expectation, RawExpect};
use super::{Diags, Level};
use crate::conform::template::{Template, UnboundVar, Vars};

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

#[derive(Debug, Clone)]
pub struct Step {
    /// 1-based position in the scenario.
    pub index: usize,
    pub name: String,
    /// A precondition step (e.g. obtaining a token): any violated expectation
    /// FAILs the scenario, whatever its level.
    pub setup: bool,
    /// Overrides the scenario's level for this step's expectations.
    pub level: Option<Level>,
    pub sleep: Option<Duration>,
    /// Once, `copies = N` at the same moment, or `repeat` until a status.
    pub send: super::SendMode,
    /// No HTTP response at all (refused, reset, closed) is an acceptable
    /// outcome of this step, as when probing plain HTTP on an HTTPS-only
    /// server; otherwise a transport failure is an ERROR.
    pub refused_ok: bool,
    /// The step is the user's answer to an authorization request (its form
    /// holds the request's parameters): the target's authorizer obtains it
    /// (`runner/authorizer.rs`).
    pub consent: Option<Decision>,
    pub request: Request,
    pub expect: Vec<Expectation>,
    pub capture: Vec<Capture>,
    pub span: Range<usize>,
}

impl Step {
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.request
            .templates()
            .into_iter()
            .chain(self.expect.iter().flat_map(Expectation::templates))
    }
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub url: Template,
    /// Sent in order; a name may repeat.
    pub headers: Vec<(String, Template)>,
    pub query: Vec<(Template, Template)>,
    pub body: Body,
    pub basic_auth: Option<BasicAuth>,
    /// Shorthand for `Authorization: Bearer <value>`.
    pub bearer: Option<Template>,
}

/// The user's answer on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Deny,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Deny => "deny",
        }
    }
}

/// HTTP Basic credentials. With `encode`, the id and secret are each
/// form-urlencoded before joining with `:` (RFC 6749 §2.3.1).
#[derive(Debug, Clone)]
pub struct BasicAuth {
    pub id: Template,
    pub secret: Template,
    pub encode: bool,
}

#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    /// `application/x-www-form-urlencoded`, pairs in order (duplicates kept).
    Form(Vec<(Template, Template)>),
    Json(JsonTemplate),
    Raw {
        text: Template,
        content_type: Option<Template>,
    },
}

/// A JSON body whose strings may hold `{{variables}}`.
#[derive(Debug, Clone)]
pub enum JsonTemplate {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(Template),
    Array(Vec<JsonTemplate>),
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    fn from_toml(v: &toml::Value, span: &Range<usize>) -> Result<Self, String> {
        Ok(match v {
            toml::Value::String(s) => JsonTemplate::String(Template::parse(s, span.clone()).map_err(|e| e.message)?),
            toml::Value::Integer(i) => JsonTemplate::Number((*i).into()),
            toml::Value::Float(f) => {
                JsonTemplate::Number(serde_json::Number::from_f64(*f).ok_or("JSON has no NaN or infinity")?)
            }
            toml::Value::Boolean(b) => JsonTemplate::Bool(*b),
            toml::Value::Datetime(d) => JsonTemplate::String(Template::literal(&d.to_string())),
            toml::Value::Array(a) => {
                JsonTemplate::Array(a.iter().map(|v| Self::from_toml(v, span)).collect::<Result<_, _>>()?)
            }
            toml::Value::Table(t) => JsonTemplate::Object(
                t.iter()
                    .map(|(k, v)| Ok((k.clone(), Self::from_toml(v, span)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Template>) {
        match self {
            JsonTemplate::String(t) => out.push(t),
            JsonTemplate::Array(a) => a.iter().for_each(|v| v.collect(out)),
            JsonTemplate::Object(o) => o.iter().for_each(|(_, v)| v.collect(out)),
            JsonTemplate::Null | JsonTemplate::Bool(_) | JsonTemplate::Number(_) => {}
        }
    }

    pub fn render(&self, vars: &Vars) -> Result<serde_json::Value, UnboundVar> {
        use serde_json::Value as J;
        Ok(match self {
            JsonTemplate::Null => J::Null,
            JsonTemplate::Bool(b) => J::Bool(*b),
            JsonTemplate::Number(n) => J::Number(n.clone()),
            JsonTemplate::String(t) => J::String(t.render(vars)?),
            JsonTemplate::Array(a) => J::Array(a.iter().map(|v| v.render(vars)).collect::<Result<_, _>>()?),
            JsonTemplate::Object(o) => J::Object(
                o.iter()
                    .map(|(k, v)| Ok((k.clone(), v.render(vars)?)))
                    .collect::<Result<_, UnboundVar>>()?,
            ),
        })
    }
}

impl Request {
    pub fn templates(&self) -> Vec<&Template> {
        let mut out = vec![&self.url];
        out.extend(self.headers.iter().map(|(_, v)| v));
        out.extend(self.query.iter().flat_map(|(k, v)| [k, v]));
        match &self.body {
            Body::Empty => {}
            Body::Form(pairs) => out.extend(pairs.iter().flat_map(|(k, v)| [k, v])),
            Body::Json(j) => j.collect(&mut out),
            Body::Raw { text, content_type } => out.extend(std::iter::once(text).chain(content_type)),
        }
        if let Some(b) = &self.basic_auth {
            out.extend([&b.id, &b.secret]);
        }
        out.extend(&self.bearer);
        out
    }
}

/// Name/value pairs written either as a table (`{ a = "1" }`, sent in key
/// order) or as a list of pairs (`[["a", "1"], ["a", "2"]]`, sent as
/// written, duplicates included).
#[derive(Debug)]
pub(super) struct Pairs(Vec<(Spanned<String>, Spanned<String>)>);

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table of strings or a list of [name, value] pairs")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = seq.next_element()? {
                    out.push(pair);
                }
                Ok(Pairs(out))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut out = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    out.push(pair);
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStep {
    name: Option<String>,
    #[serde(default)]
    setup: bool,
    level: Option<Spanned<String>>,
    sleep_ms: Option<u64>,
    copies: Option<Spanned<u32>>,
    repeat: Option<Spanned<super::send::RawRepeat>>,
    #[serde(default)]
    refused_ok: bool,
    consent: Option<Spanned<String>>,
    method: Spanned<String>,
    url: Spanned<String>,
    headers: Option<Spanned<Pairs>>,
    query: Option<Spanned<Pairs>>,
    form: Option<Spanned<Pairs>>,
    json: Option<Spanned<toml::Value>>,
    body: Option<Spanned<String>>,
    content_type: Option<Spanned<String>>,
    basic_auth: Option<Spanned<RawBasic>>,
    bearer: Option<Spanned<String>>,
    #[serde(default)]
    expect: Vec<Spanned<RawExpect>>,
    #[serde(default)]
    capture: BTreeMap<Spanned<String>, Spanned<RawCapture>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBasic {
    id: Spanned<String>,
    secret: Spanned<String>,
    #[serde(default = "yes")]
    encode: bool,
}

fn yes() -> bool {
    true
}

pub(super) fn parse_step(d: &mut Diags, index: usize, raw: &Spanned<RawStep>) -> Step {
    let span = raw.span();
    let raw = raw.get_ref();
    let method = raw.method.get_ref().to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        d.error(
            raw.method.span(),
            format!("unknown HTTP method; one of {}", METHODS.join(", ")),
        );
    }
    let url = d.template(&raw.url);
    let headers = raw.headers.as_ref().map_or_else(Vec::new, |h| {
        h.get_ref()
            .0
            .iter()
            .map(|(k, v)| (k.get_ref().clone(), d.template(v)))
            .collect()
    });
    let query = pairs(d, raw.query.as_ref());
    let body = body(d, raw);
    let (basic_auth, bearer) = credentials(d, raw);
    let level = raw.level.as_ref().and_then(|l| d.level(l));
    let expect = raw.expect.iter().flat_map(|e| expect::parse(d, e)).collect();
    let capture = raw
        .capture
        .iter()
        .filter_map(|(k, v)| capture::parse(d, k, v))
        .collect();
    let name = raw
        .name
        .clone()
        .unwrap_or_else(|| format!("{method} {}", raw.url.get_ref()));
    Step {
        index,
        name,
        setup: raw.setup,
        level,
        sleep: raw.sleep_ms.map(Duration::from_millis),
        send: super::send::parse(d, raw.copies.as_ref(), raw.repeat.as_ref()),
        refused_ok: raw.refused_ok,
        consent: consent(d, raw),
        request: Request {
            method,
            url,
            headers,
            query,
            body,
            basic_auth,
            bearer,
        },
        expect,
        capture,
        span,
    }
}

/// `consent = "approve"` or `"deny"`, on a POST whose form carries the
/// authorization request's parameters (without `decision`).
fn consent(d: &mut Diags, raw: &RawStep) -> Option<Decision> {
    let c = raw.consent.as_ref()?;
    let decision = match c.get_ref().as_str() {
        "approve" => Decision::Approve,
        "deny" => Decision::Deny,
        _ => {
            d.error(c.span(), "`consent` is \"approve\" or \"deny\"");
            return None;
        }
    };
    if !raw.method.get_ref().eq_ignore_ascii_case("POST") || raw.form.is_none() {
        d.error(
            c.span(),
            "a `consent` step is a POST whose `form` holds the authorization request's parameters",
        );
    }
    Some(decision)
}

fn credentials(d: &mut Diags, raw: &RawStep) -> (Option<BasicAuth>, Option<Template>) {
    if let (Some(b), Some(_)) = (&raw.basic_auth, &raw.bearer) {
        d.error(
            b.span(),
            "a step sends `basic_auth` or `bearer`, not both (set `headers` to send two)",
        );
    }
    let basic = raw.basic_auth.as_ref().map(|b| {
        let b = b.get_ref();
        BasicAuth {
            id: d.template(&b.id),
            secret: d.template(&b.secret),
            encode: b.encode,
        }
    });
    (basic, raw.bearer.as_ref().map(|b| d.template(b)))
}

fn pairs(d: &mut Diags, p: Option<&Spanned<Pairs>>) -> Vec<(Template, Template)> {
    p.map_or_else(Vec::new, |p| {
        p.get_ref()
            .0
            .iter()
            .map(|(k, v)| (d.template(k), d.template(v)))
            .collect()
    })
}

fn body(d: &mut Diags, raw: &RawStep) -> Body {
    let given: Vec<Range<usize>> = [
        raw.form.as_ref().map(Spanned::span),
        raw.json.as_ref().map(Spanned::span),
        raw.body.as_ref().map(Spanned::span),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() > 1 {
        d.error(given[1].clone(), "a step sends one body: `form`, `json` or `body`");
    }
    if let (Some(ct), None) = (&raw.content_type, &raw.body) {
        d.error(
            ct.span(),
            "`content_type` goes with a raw `body` (use `headers` to override others)",
        );
    }
    if let Some(form) = &raw.form {
        Body::Form(pairs(d, Some(form)))
    } else if let Some(json) = &raw.json {
        match JsonTemplate::from_toml(json.get_ref(), &json.span()) {
            Ok(j) => Body::Json(j),
            Err(message) => {
                d.error(json.span(), message);
                Body::Empty
            }
        }
    } else if let Some(text) = &raw.body {
        Body::Raw {
            text: d.template(text),
            content_type: raw.content_type.as_ref().map(|c| d.template(c)),
        }
    } else {
        Body::Empty
    }
}
