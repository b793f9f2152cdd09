//! `{{name}}` templates in scenario strings. They are parsed when the file
//! is loaded, so every variable can be checked before a request is sent, and
//! rendered per step against the variables bound so far.

use std::collections::BTreeMap;
use std::ops::Range;

/// A string with `{{variable}}` holes. Names are `[A-Za-z0-9_.-]+`;
/// whitespace inside the braces is allowed (`{{ state }}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    raw: String,
    parts: Vec<Part>,
    /// Where the string sits in its scenario file (byte range).
    span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Var(String),
}

/// Why a string is not a valid template, with the byte offset in the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub offset: usize,
    pub message: String,
}

impl Template {
    pub fn parse(raw: &str, span: Range<usize>) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = raw;
        let mut offset = 0;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Lit(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after.find("}}").ok_or_else(|| TemplateError {
                offset: offset + open,
                message: "`{{` is not closed by `}}`".into(),
            })?;
            let name = after[..close].trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b)) {
                return Err(TemplateError {
                    offset: offset + open,
                    message: format!(
                        "`{{{{{}}}}}` is not a variable name (letters, digits, `_`, `.`, `-`)",
                        name
                    ),
                });
            }
            parts.push(Part::Var(name.to_owned()));
            let consumed = open + 2 + close + 2;
            offset += consumed;
            rest = &rest[consumed..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_owned()));
        }
        Ok(Self {
            raw: raw.to_owned(),
            parts,
            span,
        })
    }

    /// A template with no holes, for values the harness builds itself.
    pub fn literal(text: &str) -> Self {
        Self {
            raw: text.to_owned(),
            parts: vec![Part::Lit(text.to_owned())],
            span: 0..0,
        }
    }

    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn span(&self) -> Range<usize> {
        self.span.clone()
    }

    /// The variables the template refers to, in order of appearance.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(name) => Some(name.as_str()),
            Part::Lit(_) => None,
        })
    }

    /// Fills the holes. Fails with the first variable that has no value.
    pub fn render(&self, vars: &Vars) -> Result<String, UnboundVar> {
        let mut out = String::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Lit(text) => out.push_str(text),
                Part::Var(name) => match vars.get(name) {
                    Some(Binding::Value { value, .. }) => out.push_str(value),
                    Some(Binding::Unset { reason }) => {
                        return Err(UnboundVar {
                            name: name.clone(),
                            reason: reason.clone(),
                        });
                    }
                    None => {
                        return Err(UnboundVar {
                            name: name.clone(),
                            reason: "not defined".into(),
                        });
                    }
                },
            }
        }
        Ok(out)
    }
}

/// A variable a template needed but the run could not supply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnboundVar {
    pub name: String,
    pub reason: String,
}

/// What a variable name is bound to. `Debug` masks secret values.
#[derive(Clone, PartialEq, Eq)]
pub enum Binding {
    /// A value; `secret` values are masked in every output.
    Value { value: String, secret: bool },
    /// Known to the profile but not configured (e.g. its `*_env` is unset);
    /// scenarios that need it are skipped with `reason`.
    Unset { reason: String },
}

impl std::fmt::Debug for Binding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Binding::Value { secret: true, .. } => f.write_str("Value(«redacted»)"),
            Binding::Value { value, .. } => f.debug_tuple("Value").field(value).finish(),
            Binding::Unset { reason } => f.debug_tuple("Unset").field(reason).finish(),
        }
    }
}

/// Variables by name: the target profile's, a scenario's generated values,
/// and captures from earlier steps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(BTreeMap<String, Binding>);

impl Vars {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>, secret: bool) {
        self.0.insert(
            name.into(),
            Binding::Value {
                value: value.into(),
                secret,
            },
        );
    }

    pub fn set_unset(&mut self, name: impl Into<String>, reason: impl Into<String>) {
        self.0.insert(name.into(), Binding::Unset { reason: reason.into() });
    }

    pub fn get(&self, name: &str) -> Option<&Binding> {
        self.0.get(name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        match self.0.get(name)? {
            Binding::Value { value, .. } => Some(value),
            Binding::Unset { .. } => None,
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// `(name, value)` of every secret value, for redaction.
    pub fn secrets(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().filter_map(|(name, b)| match b {
            Binding::Value { value, secret: true } => Some((name.as_str(), value.as_str())),
            _ => None,
        })
    }
}

/// The byte range of `{{name}}` inside the template's source text, so a
/// diagnostic can put its caret on the variable rather than the whole string.
pub fn var_span(source: &str, template: &Template, name: &str) -> Range<usize> {
    let span = template.span();
    let Some(text) = source.get(span.clone()) else {
        return span;
    };
    let mut search = 0;
    while let Some(at) = text[search..].find("{{") {
        let start = search + at;
        if let Some(len) = text[start..].find("}}") {
            if text[start + 2..start + len].trim() == name {
                return span.start + start..span.start + start + len + 2;
            }
            search = start + len;
        } else {
            break;
        }
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders() {
        let t = Template::parse("Bearer {{ token }}!{{a.b}}", 0..0).unwrap();
        assert_eq!(t.vars().collect::<Vec<_>>(), ["token", "a.b"]);
        let mut vars = Vars::new();
        vars.set("token", "T", true);
        vars.set("a.b", "x", false);
        assert_eq!(t.render(&vars).unwrap(), "Bearer T!x");
        assert_eq!(vars.secrets().collect::<Vec<_>>(), [("token", "T")]);
        vars.set("key", "p11_live_secretvalue", true);
        assert!(!format!("{vars:?}").contains("secretvalue"));
    }

    #[test]
    fn unset_and_missing_variables_fail_to_render() {
        let t = Template::parse("{{a}}", 0..0).unwrap();
        let mut vars = Vars::new();
        assert_eq!(t.render(&vars).unwrap_err().reason, "not defined");
        vars.set_unset("a", "P11_A is not set");
        assert_eq!(t.render(&vars).unwrap_err().reason, "P11_A is not set");
    }

    #[test]
    fn rejects_unclosed_and_bad_names() {
        assert_eq!(Template::parse("ab{{c", 0..0).unwrap_err().offset, 2);
        assert!(Template::parse("{{a b}}", 0..0).is_err());
        assert!(Template::parse("{{}}", 0..0).is_err());
    }

    #[test]
    fn var_span_narrows_to_the_hole() {
        let src = r#"url = "{{base}}/x/{{ nope }}""#;
        let t = Template::parse("{{base}}/x/{{ nope }}", 6..src.len()).unwrap();
        let r = var_span(src, &t, "nope");
        assert_eq!(&src[r], "{{ nope }}");
    }
}
