//! Evaluates one expectation against a reply: what was expected, what was
//! there, and whether it holds. The verdict (FAIL/WARN/INFO) is decided by
//! the caller from the level.

use serde_json::Value as J;

use super::reply::{Observed, Reply};
use crate::conform::scenario::{Expectation, Predicate, Subject, Value};
use crate::conform::template::Vars;

/// Longest value shown in a report before it is cut.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judged {
    pub subject: String,
    pub expected: String,
    pub actual: String,
    pub holds: bool,
    /// False when `when_status` or `optional` made the check moot.
    pub applicable: bool,
}

pub(crate) fn evaluate(e: &Expectation, reply: &Reply, vars: &Vars) -> Judged {
    let subject = e.subject.to_string();
    let expected = match describe(&e.predicate, vars) {
        Ok(d) => d,
        Err(unbound) => {
            return Judged {
                subject,
                expected: format!("a value for `{{{{{unbound}}}}}`"),
                actual: "the variable has no value".into(),
                holds: false,
                applicable: true,
            };
        }
    };
    let judged = |actual: String, holds: bool, applicable: bool| Judged {
        subject: subject.clone(),
        expected: expected.clone(),
        actual,
        holds,
        applicable,
    };
    if let Some(codes) = &e.when_status
        && !codes.contains(&reply.status)
    {
        return judged(format!("not applicable (status {})", reply.status), true, false);
    }
    let lenient = !matches!(e.subject, Subject::Json(_));
    let observed = match &e.subject {
        Subject::Jwt { path, of } => super::jwt::observe(reply, path, of.as_ref(), vars),
        other => reply.observe(other),
    };
    match (&e.predicate, observed) {
        (Predicate::Exists(want), Observed::Absent(why)) => judged(format!("absent ({why})"), !want, true),
        (Predicate::Exists(want), Observed::One(v)) => judged(show(&v), *want, true),
        (Predicate::Exists(want), Observed::Many(vs)) => judged(show_many(&vs), *want, true),
        (Predicate::Unique, Observed::Many(vs)) => judged(show_many(&vs), false, true),
        (Predicate::Unique, Observed::One(v)) => judged(show(&v), true, true),
        (Predicate::Unique | Predicate::NotContains(_), Observed::Absent(why)) => {
            judged(format!("absent ({why})"), true, true)
        }
        (_, Observed::Absent(why)) if e.optional => judged(format!("absent ({why})"), true, false),
        (_, Observed::Absent(why)) => judged(format!("absent ({why})"), false, true),
        (_, Observed::Many(vs)) => judged(show_many(&vs), false, true),
        (p, Observed::One(v)) => match test(p, &v, vars, lenient) {
            Ok(holds) => judged(show(&v), holds, true),
            Err(unbound) => judged(format!("no value for `{unbound}`"), false, true),
        },
    }
}

/// Whether the predicate holds for a present value.
fn test(p: &Predicate, v: &J, vars: &Vars, lenient: bool) -> Result<bool, String> {
    let render = |t: &crate::conform::template::Template| t.render(vars).map_err(|u| u.name);
    Ok(match p {
        Predicate::Equals(exp) => equal(v, &value(exp, vars)?, lenient),
        Predicate::OneOf(exps) => {
            let mut any = false;
            for exp in exps {
                any |= equal(v, &value(exp, vars)?, lenient);
            }
            any
        }
        Predicate::EqualsIgnoreCase(t) => text(v).eq_ignore_ascii_case(&render(t)?),
        Predicate::Contains(t) => contains(v, &render(t)?),
        Predicate::NotContains(t) => !contains(v, &render(t)?),
        Predicate::Matches(re) => re.is_match(&text(v)),
        Predicate::StartsWith(t) => text(v).starts_with(&render(t)?),
        Predicate::MediaType(m) => text(v).split(';').next().unwrap_or("").trim().eq_ignore_ascii_case(m),
        Predicate::Type(t) => t.accepts(v),
        Predicate::Exists(want) => *want,
        Predicate::Unique => true,
    })
}

fn value(v: &Value, vars: &Vars) -> Result<J, String> {
    match v {
        Value::Text(t) => t.render(vars).map(J::String).map_err(|u| u.name),
        Value::Json(j) => Ok(j.clone()),
    }
}

/// JSON equality, numbers by value. `lenient` compares a text subject
/// (header, query parameter) with a non-string expectation by its text.
fn equal(actual: &J, expected: &J, lenient: bool) -> bool {
    match (actual, expected) {
        (J::Number(a), J::Number(b)) => a.as_f64() == b.as_f64(),
        (J::String(a), other) if lenient && !other.is_string() => a.as_str() == other.to_string().as_str(),
        (a, b) => a == b,
    }
}

fn contains(v: &J, needle: &str) -> bool {
    match v {
        J::Array(items) => items.iter().any(|i| i.as_str() == Some(needle)),
        other => text(other).contains(needle),
    }
}

fn text(v: &J) -> String {
    match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The whole value: the step masks secrets in it first and clips it after
/// (`exec.rs`), so that a clipped secret cannot escape the mask.
fn show(v: &J) -> String {
    v.to_string()
}

fn show_many(vs: &[J]) -> String {
    let shown: Vec<String> = vs.iter().map(show).collect();
    format!("{} values: {}", vs.len(), shown.join(", "))
}

/// The predicate in words, e.g. `contains "no-store"`.
fn describe(p: &Predicate, vars: &Vars) -> Result<String, String> {
    let t = |t: &crate::conform::template::Template| t.render(vars).map(|s| show(&J::String(s))).map_err(|u| u.name);
    Ok(match p {
        Predicate::Equals(v) => format!("= {}", show(&value(v, vars)?)),
        Predicate::OneOf(vs) => {
            let shown = vs
                .iter()
                .map(|v| value(v, vars).map(|j| show(&j)))
                .collect::<Result<Vec<_>, _>>()?;
            format!("one of [{}]", shown.join(", "))
        }
        Predicate::EqualsIgnoreCase(v) => format!("= {} (ignoring case)", t(v)?),
        Predicate::Contains(v) => format!("contains {}", t(v)?),
        Predicate::NotContains(v) => format!("does not contain {}", t(v)?),
        Predicate::Matches(re) => format!("matches /{}/", re.as_str()),
        Predicate::StartsWith(v) => format!("starts with {}", t(v)?),
        Predicate::MediaType(m) => format!("has media type {m}"),
        Predicate::Exists(true) => "present".into(),
        Predicate::Exists(false) => "absent".into(),
        Predicate::Type(ty) => format!("is a JSON {}", ty.as_str()),
        Predicate::Unique => "appears at most once".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conform::scenario::{JsonPath, JsonType};
    use crate::conform::template::Template;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Reply {
        let headers = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Reply::new(
            status,
            headers,
            body.into(),
            &url::Url::parse("https://t.test/x").unwrap(),
        )
    }

    fn exp(subject: Subject, predicate: Predicate) -> Expectation {
        Expectation {
            id: None,
            level: None,
            note: None,
            when_status: None,
            optional: false,
            subject,
            predicate,
            span: 0..0,
            from_macro: None,
        }
    }

    #[test]
    fn status_and_json_types_are_strict() {
        let r = reply(200, &[], r#"{"expires_in":"3600","n":3600}"#);
        let vars = Vars::new();
        let status = exp(Subject::Status, Predicate::Equals(Value::Json(403.into())));
        let j = evaluate(&status, &r, &vars);
        assert!(!j.holds);
        assert_eq!((j.expected.as_str(), j.actual.as_str()), ("= 403", "200"));
        let path = |p: &str| Subject::Json(JsonPath::parse(p).unwrap());
        assert!(!evaluate(&exp(path("expires_in"), Predicate::Type(JsonType::Number)), &r, &vars).holds);
        assert!(
            !evaluate(
                &exp(path("expires_in"), Predicate::Equals(Value::Json(3600.into()))),
                &r,
                &vars
            )
            .holds
        );
        assert!(evaluate(&exp(path("n"), Predicate::Equals(Value::Json(3600.into()))), &r, &vars).holds);
    }

    #[test]
    fn challenge_params_and_duplicates() {
        let r = reply(
            403,
            &[("WWW-Authenticate", r#"Bearer realm="p", error="a", error="b""#)],
            "",
        );
        let vars = Vars::new();
        let param = |p: &str| Subject::Challenge {
            scheme: "Bearer".into(),
            param: Some(p.into()),
        };
        let eq = Predicate::Equals(Value::Text(Template::literal("a")));
        let j = evaluate(&exp(param("error"), eq), &r, &vars);
        assert!(!j.holds && j.actual.starts_with("2 values"), "{j:?}");
        assert!(!evaluate(&exp(param("error"), Predicate::Unique), &r, &vars).holds);
        assert!(evaluate(&exp(param("scope"), Predicate::Exists(false)), &r, &vars).holds);
    }

    #[test]
    fn header_media_type_and_when_status() {
        let r = reply(400, &[("Content-Type", "application/json; charset=utf-8")], "{}");
        let vars = Vars::new();
        let mt = exp(
            Subject::Header("content-type".into()),
            Predicate::MediaType("application/json".into()),
        );
        assert!(evaluate(&mt, &r, &vars).holds);
        let mut www = exp(Subject::Header("WWW-Authenticate".into()), Predicate::Exists(true));
        www.when_status = Some(vec![401]);
        let j = evaluate(&www, &r, &vars);
        assert!(!j.applicable && j.holds);
    }
}
