//! The terminal report: one line per scenario as it finishes, the checks
//! that did not pass with their transcript under it, and a summary line.
//! No colour: the output reads the same in a terminal, a pipe and CI logs.

use std::io::{self, Write};
use std::time::Duration;

use super::transcript_lines;
use crate::conform::level::{Level, Outcome, Strictness};
use crate::conform::result::{CheckResult, RunSummary, ScenarioResult, ScenarioStatus, StepResult, TargetInfo};

const BODY_LIMIT: usize = 2000;
const INDENT: &str = "       ";

pub fn write_header(out: &mut dyn Write, target: &TargetInfo, scenarios: usize) -> io::Result<()> {
    writeln!(
        out,
        "p11-harness conform: {scenarios} scenario{} against {} ({})\n",
        if scenarios == 1 { "" } else { "s" },
        target.name,
        target.base_url
    )
}

pub fn write_scenario(out: &mut dyn Write, r: &ScenarioResult, verbose: bool) -> io::Result<()> {
    let ms = if matches!(r.status, ScenarioStatus::Skip { .. } | ScenarioStatus::NotRun) {
        String::new()
    } else {
        format!("  {}", millis(r.duration))
    };
    writeln!(
        out,
        "{:<6} {}  {}  ({}, {}){ms}",
        r.status.label(),
        r.id,
        r.title,
        r.reference,
        r.level
    )?;
    match &r.status {
        ScenarioStatus::Skip { reason } => writeln!(out, "{INDENT}skipped: {reason}")?,
        ScenarioStatus::Error { message } => writeln!(out, "{INDENT}error: {message}")?,
        _ => {}
    }
    let show_all = verbose || matches!(r.status, ScenarioStatus::Fail | ScenarioStatus::Error { .. });
    for step in &r.steps {
        let interesting: Vec<&CheckResult> = step.checks.iter().filter(|c| verbose || noteworthy(c)).collect();
        if interesting.is_empty() && step.exchange.is_none() {
            continue;
        }
        if !show_all && interesting.is_empty() {
            continue;
        }
        write_step(out, step, &interesting, show_all)?;
    }
    Ok(())
}

fn noteworthy(c: &CheckResult) -> bool {
    matches!(c.outcome, Outcome::Fail | Outcome::Warn | Outcome::Info)
}

fn write_step(out: &mut dyn Write, step: &StepResult, checks: &[&CheckResult], transcript: bool) -> io::Result<()> {
    writeln!(
        out,
        "{INDENT}step {} \"{}\": {}",
        step.index,
        step.name,
        step.status.as_str()
    )?;
    for c in checks {
        let mark = match c.outcome {
            Outcome::Fail => "FAIL",
            Outcome::Warn => "WARN",
            Outcome::Info => "INFO",
            Outcome::Pass => "ok",
            Outcome::NotApplicable => "n/a",
        };
        writeln!(out, "{INDENT}  {mark:<4} {}", c.sentence())?;
        let id = c.id.as_deref().map(|i| format!("  [{i}]")).unwrap_or_default();
        writeln!(out, "{INDENT}       at {}{id}", c.location)?;
        if let Some(note) = &c.note {
            writeln!(out, "{INDENT}       note: {note}")?;
        }
    }
    if let (true, Some(x)) = (transcript, &step.exchange) {
        for line in transcript_lines(x, BODY_LIMIT) {
            writeln!(out, "{INDENT}  {line}")?;
        }
    }
    Ok(())
}

pub fn write_summary(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    let c = s.counts();
    let mut parts = vec![
        format!("{} passed", c.passed),
        match c.known {
            0 => format!("{} failed", c.failed),
            known => format!("{} failed ({known} known)", c.failed),
        },
        format!("{} errors", c.errored),
        format!("{} skipped", c.skipped),
    ];
    if c.warned > 0 {
        parts.insert(1, format!("{} warned", c.warned));
    }
    if c.not_run > 0 {
        parts.push(format!("{} not run", c.not_run));
    }
    writeln!(out)?;
    if s.interrupted {
        writeln!(out, "Interrupted: the remaining scenarios were not run.")?;
    }
    write_by_level(out, s)?;
    write_baseline(out, s)?;
    writeln!(
        out,
        "{} scenario{}: {} in {:.2} s",
        c.total,
        if c.total == 1 { "" } else { "s" },
        parts.join(", "),
        s.duration.as_secs_f64()
    )
}

/// The checks not met, counted by level and verdict: how a MUST failure,
/// a MUST* under interop, a SHOULD warning and a MAY note differ.
fn write_by_level(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    let mut counts: std::collections::BTreeMap<(Level, Outcome), usize> = Default::default();
    for c in s.scenarios.iter().flat_map(|r| r.checks()) {
        if noteworthy(c) {
            *counts.entry((c.level, c.outcome)).or_default() += 1;
        }
    }
    let rules = match (s.policy.strictness, s.policy.point11) {
        (Strictness::Strict, true) => "strict, Point11 profile",
        (Strictness::Interop, true) => "interop, Point11 profile",
        (Strictness::Strict, false) => "strict, plain RFC profile",
        (Strictness::Interop, false) => "interop, plain RFC profile",
    };
    if counts.is_empty() {
        return writeln!(out, "Checks not met: none ({rules}).");
    }
    let shown: Vec<String> = counts
        .iter()
        .map(|((level, outcome), n)| format!("{level} {n} {}", outcome.as_str()))
        .collect();
    writeln!(out, "Checks not met ({rules}): {}.", shown.join(", "))
}

fn write_baseline(out: &mut dyn Write, s: &RunSummary) -> io::Result<()> {
    let Some(b) = &s.baseline else {
        return Ok(());
    };
    let new: Vec<&str> = s
        .scenarios
        .iter()
        .filter(|r| r.status == ScenarioStatus::Fail && !b.known.contains(&r.id))
        .map(|r| r.id.as_str())
        .collect();
    writeln!(out, "Baseline {}:", b.file.display())?;
    let list = |ids: Vec<&str>| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    writeln!(
        out,
        "  known failures (do not fail the gate): {}",
        list(b.known.iter().map(String::as_str).collect())
    )?;
    writeln!(out, "  new failures: {}", list(new))?;
    writeln!(
        out,
        "  stale entries (pass now; delete them from the baseline): {}",
        list(b.stale.iter().map(String::as_str).collect())
    )
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
