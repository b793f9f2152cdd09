//! The terminal report: one line per scenario as it finishes, the checks
//! that did not pass with their transcript under it, and a summary line.
//! No colour: the output reads the same in a terminal, a pipe and CI logs.

use std::io::{self, Write};
use std::time::Duration;

use super::transcript_lines;
use crate::conform::level::Outcome;
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
        "{:<7}{}  {}  ({}, {}){ms}",
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
        format!("{} failed", c.failed),
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
    writeln!(
        out,
        "{} scenario{}: {} in {:.2} s",
        c.total,
        if c.total == 1 { "" } else { "s" },
        parts.join(", "),
        s.duration.as_secs_f64()
    )
}

fn millis(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}
