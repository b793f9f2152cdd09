//! Known failures for CI (`conform --baseline FILE`). A baseline lists the
//! checks a target is known to fail, as a whole scenario (`ID`) or one check
//! of it (`ID#CHECK`, the check ids shown in reports). A failure it lists does
//! not fail the gate; a new one does; and an entry that now passes is stale
//! and fails the gate too, so the file only ever shrinks as the target
//! improves. `--write-baseline FILE` writes one from a run's failures.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::ConformError;
use super::level::Outcome;
use super::result::{ScenarioResult, ScenarioStatus};
use crate::diagnostic::{Diagnostic, suggest};

#[derive(Debug, Clone)]
pub struct Baseline {
    path: PathBuf,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    scenario: String,
    check: Option<String>,
}

impl Entry {
    fn parse(text: &str) -> Self {
        match text.split_once('#') {
            Some((scenario, check)) => Self {
                scenario: scenario.to_owned(),
                check: Some(check.to_owned()),
            },
            None => Self {
                scenario: text.to_owned(),
                check: None,
            },
        }
    }

    fn text(&self) -> String {
        match &self.check {
            Some(check) => format!("{}#{check}", self.scenario),
            None => self.scenario.clone(),
        }
    }

    /// Whether this entry covers a failed check of `scenario`.
    fn covers(&self, scenario: &str, check: Option<&str>) -> bool {
        self.scenario == scenario && self.check.as_deref().is_none_or(|c| Some(c) == check)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseline {
    known: Vec<Spanned<String>>,
}

/// What a baseline made of a run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineVerdict {
    pub file: PathBuf,
    /// Failed scenarios whose every failed check the baseline lists.
    pub known: BTreeSet<String>,
    /// Entries whose scenario ran and no longer fails that way.
    pub stale: Vec<String>,
}

impl Baseline {
    /// Reads `path`; every entry must name a scenario of `checks` (scenario
    /// id to the ids of its checks), and an `ID#CHECK` entry one of that
    /// scenario's checks: a typo would otherwise baseline nothing, or read
    /// as a stale entry.
    pub fn load(path: &Path, checks: &BTreeMap<String, BTreeSet<String>>) -> Result<Self, ConformError> {
        let source = std::fs::read_to_string(path).map_err(|source| ConformError::Read {
            path: path.to_owned(),
            source,
        })?;
        let diag = |d: Diagnostic| ConformError::Baseline(Box::new(d));
        let raw: RawBaseline = toml::from_str(&source).map_err(|e| diag(Diagnostic::from_toml(path, &source, &e)))?;
        let mut entries = Vec::new();
        for item in &raw.known {
            let entry = Entry::parse(item.get_ref());
            let unknown = |what: String, word: &str, candidates: Vec<&str>| {
                let span: Range<usize> = item.span();
                let d = Diagnostic::new(path, &source, Some(span), what);
                diag(match suggest(word, candidates) {
                    Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                    None => d,
                })
            };
            let Some(known) = checks.get(&entry.scenario) else {
                return Err(unknown(
                    format!("no scenario has the id `{}`", entry.scenario),
                    &entry.scenario,
                    checks.keys().map(String::as_str).collect(),
                ));
            };
            if let Some(check) = entry.check.as_deref().filter(|c| !known.contains(*c)) {
                return Err(unknown(
                    format!("scenario `{}` has no check `{check}`", entry.scenario),
                    check,
                    known.iter().map(String::as_str).collect(),
                ));
            }
            entries.push(entry);
        }
        Ok(Self {
            path: path.to_owned(),
            entries,
        })
    }

    /// A baseline of exactly the failures of `scenarios`.
    pub fn of_failures(path: &Path, scenarios: &[ScenarioResult]) -> Self {
        Self {
            path: path.to_owned(),
            entries: failures(scenarios),
        }
    }

    pub fn judge(&self, scenarios: &[ScenarioResult]) -> BaselineVerdict {
        let mut verdict = BaselineVerdict {
            file: self.path.clone(),
            ..BaselineVerdict::default()
        };
        for s in scenarios {
            let listed: Vec<&Entry> = self.entries.iter().filter(|e| e.scenario == s.id).collect();
            if listed.is_empty() {
                continue;
            }
            let failed: Vec<Option<&str>> = s
                .checks()
                .filter(|c| c.outcome == Outcome::Fail)
                .map(|c| c.id.as_deref())
                .collect();
            if s.status == ScenarioStatus::Fail
                && failed
                    .iter()
                    .all(|check| listed.iter().any(|e| e.covers(&s.id, *check)))
            {
                verdict.known.insert(s.id.clone());
            }
            // Only a scenario that ran can show an entry stale; a skip, an
            // error or an interrupted run proves nothing either way.
            if matches!(
                s.status,
                ScenarioStatus::Pass | ScenarioStatus::Warn | ScenarioStatus::Fail
            ) {
                verdict.stale.extend(
                    listed
                        .iter()
                        .filter(|e| !failed.iter().any(|check| e.covers(&s.id, *check)))
                        .map(|e| e.text()),
                );
            }
        }
        verdict
    }

    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "# p11-harness conformance baseline: known failures that do not fail"
        )?;
        writeln!(
            out,
            "# `conform --baseline FILE`. `ID` lists a whole scenario, `ID#CHECK` one"
        )?;
        writeln!(
            out,
            "# check of it. An entry that passes again is stale and fails the gate:"
        )?;
        writeln!(out, "# delete it. Written by `conform --write-baseline`.")?;
        writeln!(out, "known = [")?;
        for e in &self.entries {
            // A TOML basic string: ids are plain ASCII, but escape anyway.
            writeln!(out, "  {},", toml::Value::String(e.text()))?;
        }
        writeln!(out, "]")
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One entry per failed check that has an id, or the whole scenario when a
/// failed check has none.
fn failures(scenarios: &[ScenarioResult]) -> Vec<Entry> {
    let mut out = Vec::new();
    for s in scenarios.iter().filter(|s| s.status == ScenarioStatus::Fail) {
        let failed: Vec<Option<&str>> = s
            .checks()
            .filter(|c| c.outcome == Outcome::Fail)
            .map(|c| c.id.as_deref())
            .collect();
        if failed.iter().any(Option::is_none) {
            out.push(Entry::parse(&s.id));
            continue;
        }
        let unique: BTreeSet<&str> = failed.into_iter().flatten().collect();
        out.extend(unique.into_iter().map(|check| Entry {
            scenario: s.id.clone(),
            check: Some(check.to_owned()),
        }));
    }
    out
}

#[cfg(test)]
mod tests;
