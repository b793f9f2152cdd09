//! The response shorthands of CHECKS.md §1.3, expanded into ordinary
//! expectations so each part is recorded (and can be baselined) on its own:
//!
//! - `{ macro = "TOKEN_OK" }`
//! - `{ macro = "TOKEN_ERR", status = 400, error = "invalid_grant" }`
//!   (`status` and `error` may be lists of accepted alternatives)
//! - `{ macro = "RS_401", error = "invalid_token" }`, or without `error`.

use std::ops::Range;

use toml::Spanned;

use super::expect::{JsonPath, JsonType, Predicate, RawExpect, Subject, Value, statuses};
use super::{Diags, Expectation, Level};
use crate::conform::template::Template;
use crate::diagnostic::suggest;

const MACROS: [&str; 3] = ["TOKEN_OK", "TOKEN_ERR", "RS_401"];

/// RFC 6749 §5.2: `error` and `error_description` use %x20-21 / %x23-5B / %x5D-7E.
const ERROR_CHARSET: &str = r"^[\x20-\x21\x23-\x5B\x5D-\x7E]+$";
/// RFC 6749 §5.2: `error_uri` uses %x21 / %x23-5B / %x5D-7E.
const ERROR_URI_CHARSET: &str = r"^[\x21\x23-\x5B\x5D-\x7E]*$";
/// RFC 6750 §2.1: b64token.
const B64TOKEN: &str = r"^[A-Za-z0-9\-._~+/]+=*$";

/// Builds the expectations of one macro entry, sharing its id prefix,
/// level and note.
struct Expander<'a> {
    raw: &'a RawExpect,
    span: Range<usize>,
    name: &'static str,
    level: Option<Level>,
    out: Vec<Expectation>,
}

impl Expander<'_> {
    fn push(&mut self, suffix: &str, subject: Subject, predicate: Predicate) -> &mut Expectation {
        let id = match &self.raw.id {
            Some(prefix) => format!("{}.{suffix}", prefix.get_ref()),
            None => format!("{}.{suffix}", self.name.to_ascii_lowercase()),
        };
        self.out.push(Expectation {
            id: Some(id),
            level: self.level,
            note: self.raw.note.clone(),
            when_status: None,
            optional: false,
            subject,
            predicate,
            span: self.span.clone(),
            from_macro: Some(self.name),
        });
        self.out.last_mut().expect("just pushed")
    }

    fn header(&mut self, suffix: &str, name: &str, p: Predicate) -> &mut Expectation {
        self.push(suffix, Subject::Header(name.into()), p)
    }

    fn json(&mut self, suffix: &str, path: &str, p: Predicate) -> &mut Expectation {
        let path = JsonPath::parse(path).expect("macro paths are valid");
        self.push(suffix, Subject::Json(path), p)
    }

    fn bearer(&mut self, suffix: &str, param: Option<&str>, p: Predicate) -> &mut Expectation {
        let subject = Subject::Challenge {
            scheme: "Bearer".into(),
            param: param.map(str::to_owned),
        };
        self.push(suffix, subject, p)
    }
}

fn re(pattern: &str) -> Predicate {
    Predicate::Matches(regex::Regex::new(pattern).expect("macro patterns are valid"))
}

fn text(s: &str) -> Template {
    Template::literal(s)
}

pub(super) fn expand(d: &mut Diags, raw: &RawExpect, span: Range<usize>) -> Vec<Expectation> {
    let name_s = raw.macro_name.as_ref().expect("expand is called for macro entries");
    let Some(name) = MACROS.into_iter().find(|m| m == name_s.get_ref()) else {
        let hint = suggest(name_s.get_ref(), MACROS).map(|m| format!("did you mean `{m}`?"));
        d.error_hint(
            name_s.span(),
            format!("unknown macro; one of {}", MACROS.join(", ")),
            hint,
        );
        return Vec::new();
    };
    if let Some(at) = stray_key(raw) {
        d.error(
            at,
            "a macro entry takes only `id`, `level`, `note`, `status` and `error`",
        );
        return Vec::new();
    }
    let level = raw.level.as_ref().and_then(|l| d.level(l));
    let mut x = Expander {
        raw,
        span: span.clone(),
        name,
        level,
        out: Vec::new(),
    };
    let expanded = match name {
        "TOKEN_OK" => token_ok_params(d, raw).map(|()| token_ok(&mut x)),
        "TOKEN_ERR" => token_err_params(d, raw, &span).map(|(codes, errors)| token_err(&mut x, &codes, errors)),
        _ => rs_401_params(d, raw).map(|error| rs_401(&mut x, error.as_deref())),
    };
    if expanded.is_none() {
        return Vec::new();
    }
    x.out
}

fn token_ok_params(d: &mut Diags, raw: &RawExpect) -> Option<()> {
    match raw
        .status
        .as_ref()
        .map(Spanned::span)
        .or(raw.error.as_ref().map(Spanned::span))
    {
        Some(at) => {
            d.error(at, "TOKEN_OK takes no parameters");
            None
        }
        None => Some(()),
    }
}

fn token_err_params(d: &mut Diags, raw: &RawExpect, span: &Range<usize>) -> Option<(Vec<u16>, Vec<String>)> {
    let (Some(status), Some(error)) = (&raw.status, &raw.error) else {
        d.error(
            span.clone(),
            "TOKEN_ERR needs `status` and `error`, e.g. status = 400, error = \"invalid_grant\"",
        );
        return None;
    };
    Some((statuses(d, status)?, error_codes(d, error)?))
}

/// RS_401's optional `error`: one code.
fn rs_401_params(d: &mut Diags, raw: &RawExpect) -> Option<Option<String>> {
    if let Some(s) = &raw.status {
        d.error(s.span(), "RS_401 always expects status 401");
        return None;
    }
    match &raw.error {
        None => Some(None),
        Some(e) => match e.get_ref().as_str() {
            Some(code) => Some(Some(code.to_owned())),
            None => {
                d.error(e.span(), "RS_401's `error` is one error code");
                None
            }
        },
    }
}

fn stray_key(r: &RawExpect) -> Option<Range<usize>> {
    let spans = [
        r.header.as_ref().map(Spanned::span),
        r.json.as_ref().map(Spanned::span),
        r.challenge.as_ref().map(Spanned::span),
        r.param.as_ref().map(Spanned::span),
        r.location_query.as_ref().map(Spanned::span),
        r.body_contains.as_ref().map(Spanned::span),
        r.body_not_contains.as_ref().map(Spanned::span),
        r.body_matches.as_ref().map(Spanned::span),
        r.equals.as_ref().map(Spanned::span),
        r.equals_ignore_case.as_ref().map(Spanned::span),
        r.one_of.as_ref().map(Spanned::span),
        r.contains.as_ref().map(Spanned::span),
        r.not_contains.as_ref().map(Spanned::span),
        r.matches.as_ref().map(Spanned::span),
        r.starts_with.as_ref().map(Spanned::span),
        r.media_type.as_ref().map(Spanned::span),
        r.exists.as_ref().map(Spanned::span),
        r.json_type.as_ref().map(Spanned::span),
        r.when_status.as_ref().map(Spanned::span),
    ];
    spans.into_iter().flatten().next()
}

fn error_codes(d: &mut Diags, v: &Spanned<toml::Value>) -> Option<Vec<String>> {
    let codes = match v.get_ref() {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(a) => a.iter().map(|c| c.as_str().map(str::to_owned)).collect(),
        _ => None,
    };
    if codes.as_ref().is_none_or(Vec::is_empty) {
        d.error(v.span(), "`error` is an error code or a list of accepted codes");
    }
    codes
}

/// CHECKS.md §1.3 TOKEN_OK, with RFC 6749 §5.1's members.
fn token_ok(x: &mut Expander) {
    x.push("status", Subject::Status, Predicate::Equals(Value::Json(200.into())));
    x.header(
        "content-type",
        "Content-Type",
        Predicate::MediaType("application/json".into()),
    );
    x.header("cache-control", "Cache-Control", Predicate::Contains(text("no-store")));
    x.header("pragma", "Pragma", Predicate::Contains(text("no-cache")));
    x.json("object", "$", Predicate::Type(JsonType::Object));
    x.json("access_token", "access_token", Predicate::Type(JsonType::String));
    x.json("access_token-b64token", "access_token", re(B64TOKEN));
    x.json("token_type", "token_type", Predicate::EqualsIgnoreCase(text("Bearer")));
    x.json("expires_in", "expires_in", Predicate::Type(JsonType::Number))
        .optional = true;
    x.json("scope", "scope", Predicate::Type(JsonType::String)).optional = true;
}

/// CHECKS.md §1.3 TOKEN_ERR(s, code), RFC 6749 §5.2.
fn token_err(x: &mut Expander, codes: &[u16], errors: Vec<String>) {
    let status = match codes {
        [one] => Predicate::Equals(Value::Json((*one).into())),
        many => Predicate::OneOf(many.iter().map(|c| Value::Json((*c).into())).collect()),
    };
    x.push("status", Subject::Status, status);
    x.header(
        "content-type",
        "Content-Type",
        Predicate::MediaType("application/json".into()),
    );
    x.json("object", "$", Predicate::Type(JsonType::Object));
    let error = match errors.as_slice() {
        [one] => Predicate::Equals(Value::Text(text(one))),
        many => Predicate::OneOf(many.iter().map(|e| Value::Text(text(e))).collect()),
    };
    x.json("error", "error", error);
    x.json("error-charset", "error", re(ERROR_CHARSET));
    x.json("error_description-charset", "error_description", re(ERROR_CHARSET))
        .optional = true;
    x.json("error_uri-charset", "error_uri", re(ERROR_URI_CHARSET)).optional = true;
    x.json("no-access_token", "access_token", Predicate::Exists(false));
    // RFC 6749 §5.2 (Basic) and RFC 9110 §15.5.2: every 401 carries a challenge.
    x.header("www-authenticate", "WWW-Authenticate", Predicate::Exists(true))
        .when_status = Some(vec![401]);
    // Recommended, not required (CHECKS.md RFC6749-5.2-no-store-on-error).
    x.header("no-store", "Cache-Control", Predicate::Contains(text("no-store")))
        .level = Some(Level::Advisory);
}

/// CHECKS.md §1.3 RS_401(err?), RFC 6750 §3.
fn rs_401(x: &mut Expander, error: Option<&str>) {
    x.push("status", Subject::Status, Predicate::Equals(Value::Json(401.into())));
    x.bearer("challenge", None, Predicate::Exists(true));
    x.bearer("realm-once", Some("realm"), Predicate::Unique);
    match error {
        Some(code) => {
            x.bearer("error", Some("error"), Predicate::Equals(Value::Text(text(code))));
        }
        None => {
            // RFC 6750 §3: with no authentication information the challenge
            // SHOULD NOT carry an error code.
            x.bearer("no-error", Some("error"), Predicate::Exists(false)).level = Some(Level::Should);
        }
    }
    x.bearer("error-once", Some("error"), Predicate::Unique);
    x.bearer(
        "error_description-charset",
        Some("error_description"),
        re(ERROR_CHARSET),
    )
    .optional = true;
    x.bearer("scope-once", Some("scope"), Predicate::Unique);
}
