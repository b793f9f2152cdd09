//! Scenario files: one TOML file per scenario, parsed into a checked model
//! before anything is sent. Every problem becomes a [`Diagnostic`] pointing
//! at the file, line and column (with a did-you-mean hint for misspelt
//! keys).
//!
//! The format is documented in `scenarios/README.md`.

mod capture;
mod expect;
mod expect_more;
mod generate;
mod macros;
mod request;
mod send;
mod validate;

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

pub use capture::{Capture, CaptureSource};
pub use expect::{Expectation, JsonPath, JsonType, Predicate, Subject, Value};
pub use generate::{Alphabet, Generator, GeneratorKind};
pub use request::{BasicAuth, Body, Decision, JsonTemplate, Request, Step};
pub use send::SendMode;
pub use validate::validate;

use super::ConformError;
use super::level::Level;
use super::profile::Capability;
use super::template::{Template, var_span};
use crate::diagnostic::{Diagnostic, suggest};

/// A scenario file's path and text, kept for diagnostics and locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// `file:line:column` of something in a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

impl SourceFile {
    pub fn location(&self, span: &Range<usize>) -> SourceLocation {
        let d = self.diagnostic(span.clone(), "");
        SourceLocation {
            file: self.path.clone(),
            line: d.line,
            column: d.column,
        }
    }

    pub fn diagnostic(&self, span: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic::new(&self.path, &self.text, Some(span), message)
    }
}

/// One parsed, checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub id: String,
    pub title: String,
    pub reference: String,
    pub level: Level,
    pub tags: Vec<String>,
    pub requires: Vec<Capability>,
    pub description: Option<String>,
    pub generators: Vec<Generator>,
    pub steps: Vec<Step>,
    pub source: Arc<SourceFile>,
    pub id_span: Range<usize>,
}

impl Scenario {
    /// Names the scenario binds itself: generated values and captures.
    pub fn local_names(&self) -> BTreeSet<String> {
        let generated = self.generators.iter().flat_map(Generator::var_names);
        let captured = self.steps.iter().flat_map(|s| s.capture.iter().map(|c| c.name.clone()));
        generated.chain(captured).collect()
    }

    /// Every template in the scenario, in file order per step.
    pub fn templates(&self) -> impl Iterator<Item = &Template> {
        self.steps.iter().flat_map(Step::templates)
    }

    /// The variables this scenario needs from the target profile.
    pub fn profile_vars(&self) -> BTreeSet<String> {
        let local = self.local_names();
        self.templates()
            .flat_map(Template::vars)
            .filter(|v| !local.contains(*v))
            .map(str::to_owned)
            .collect()
    }
}

/// Collects diagnostics for one file so that a single pass reports as many
/// problems as it can.
pub(crate) struct Diags<'a> {
    pub file: &'a SourceFile,
    pub list: Vec<Diagnostic>,
}

impl<'a> Diags<'a> {
    fn new(file: &'a SourceFile) -> Self {
        Self { file, list: Vec::new() }
    }

    pub fn error(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.list.push(self.file.diagnostic(span, message));
    }

    pub fn error_hint(&mut self, span: Range<usize>, message: impl Into<String>, hint: Option<String>) {
        let d = self.file.diagnostic(span, message);
        self.list.push(match hint {
            Some(h) => d.with_hint(h),
            None => d,
        });
    }

    /// Parses a template; on error records a diagnostic pointing into the
    /// string and returns the text as a literal so parsing can go on.
    pub fn template(&mut self, s: &Spanned<String>) -> Template {
        match Template::parse(s.get_ref(), s.span()) {
            Ok(t) => t,
            Err(e) => {
                let span = s.span();
                let quote = self.file.text.get(span.clone()).map_or(1, |t| {
                    if t.starts_with("\"\"\"") || t.starts_with("'''") {
                        3
                    } else {
                        1
                    }
                });
                let at = span.start + quote + e.offset;
                self.error(at..at + 2, e.message);
                Template::literal(s.get_ref())
            }
        }
    }

    pub fn level(&mut self, s: &Spanned<String>) -> Option<Level> {
        let level = Level::parse(s.get_ref());
        if level.is_none() {
            let hint = suggest(s.get_ref(), Level::ALL.map(Level::as_str)).map(|l| format!("did you mean `{l}`?"));
            let all = Level::ALL.map(Level::as_str).join(", ");
            self.error_hint(s.span(), format!("unknown level `{}`; one of {all}", s.get_ref()), hint);
        }
        level
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: Spanned<String>,
    title: String,
    reference: String,
    level: Spanned<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    requires: Vec<Spanned<String>>,
    description: Option<String>,
    #[serde(default)]
    generate: BTreeMap<Spanned<String>, Spanned<generate::RawGenerator>>,
    steps: Spanned<Vec<Spanned<request::RawStep>>>,
}

/// Parses one scenario file. All problems found are returned together.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let file = Arc::new(SourceFile {
        path: path.to_owned(),
        text: text.to_owned(),
    });
    let raw: RawScenario = toml::from_str(text).map_err(|e| vec![Diagnostic::from_toml(path, text, &e)])?;
    let mut d = Diags::new(&file);
    let id = raw.id.get_ref();
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-*".contains(&b)) {
        d.error(
            raw.id.span(),
            "a scenario id is letters, digits and `.`, `_`, `:`, `-` (CHECKS.md §1.1)",
        );
    }
    let level = d.level(&raw.level);
    let requires = raw.requires.iter().filter_map(|r| capability(&mut d, r)).collect();
    let generators: Vec<Generator> = raw
        .generate
        .iter()
        .filter_map(|(k, v)| generate::parse(&mut d, k, v))
        .collect();
    if raw.steps.get_ref().is_empty() {
        d.error(raw.steps.span(), "a scenario needs at least one step");
    }
    let steps: Vec<Step> = raw
        .steps
        .get_ref()
        .iter()
        .enumerate()
        .map(|(i, s)| request::parse_step(&mut d, i + 1, s))
        .collect();
    let list = std::mem::take(&mut d.list);
    match level {
        Some(level) if list.is_empty() => Ok(Scenario {
            id: id.clone(),
            title: raw.title,
            reference: raw.reference,
            level,
            tags: raw.tags,
            requires,
            description: raw.description,
            generators,
            steps,
            id_span: raw.id.span(),
            source: file,
        }),
        _ => Err(list),
    }
}

fn capability(d: &mut Diags, r: &Spanned<String>) -> Option<Capability> {
    let c = Capability::parse(r.get_ref());
    if c.is_none() {
        let hint =
            suggest(r.get_ref(), Capability::ALL.map(Capability::as_str)).map(|s| format!("did you mean `{s}`?"));
        d.error_hint(r.span(), format!("unknown capability `{}`", r.get_ref()), hint);
    }
    c
}

/// Loads every `*.toml` under the given directories (recursively), sorted by
/// path, and checks them against the variables a target may supply. Nothing
/// is returned unless every file is valid.
pub fn load_dirs(dirs: &[PathBuf], known_vars: &BTreeSet<String>) -> Result<Vec<Scenario>, ConformError> {
    let mut files = Vec::new();
    for dir in dirs {
        collect_toml(dir, &mut files)?;
    }
    files.sort();
    files.dedup();
    let mut scenarios = Vec::new();
    let mut diagnostics = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).map_err(|source| ConformError::Read {
            path: path.clone(),
            source,
        })?;
        match parse(&path, &text) {
            Ok(s) => scenarios.push(s),
            Err(mut ds) => diagnostics.append(&mut ds),
        }
    }
    diagnostics.extend(validate(&scenarios, known_vars));
    if diagnostics.is_empty() {
        Ok(scenarios)
    } else {
        Err(ConformError::Scenarios(diagnostics))
    }
}

fn collect_toml(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ConformError> {
    let read_err = |source| ConformError::Read {
        path: dir.to_owned(),
        source,
    };
    if dir.is_file() {
        out.push(dir.to_owned());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let path = entry.map_err(read_err)?.path();
        if path.is_dir() {
            collect_toml(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}

/// An "unknown variable" diagnostic with a hint drawn from `scope`.
pub(crate) fn unknown_var(file: &SourceFile, t: &Template, name: &str, scope: &BTreeSet<String>) -> Diagnostic {
    let span = var_span(&file.text, t, name);
    let d = file.diagnostic(span, format!("undefined variable `{name}`"));
    match suggest(name, scope.iter().map(String::as_str)) {
        Some(s) => d.with_hint(format!("did you mean `{s}`?")),
        None => d.with_hint("variables come from the target profile, `[generate]`, or `capture` of an earlier step"),
    }
}

#[cfg(test)]
mod tests;
