//! The JSON report (`schema_version` 1), described by
//! `reports-schema/conformance.schema.json`. The view structs below are the
//! contract; they are built from the results, never from other output.

use std::io::{self, Write};

use serde::Serialize;

use crate::conform::result::{
    CheckKind, CheckResult, Exchange, RunSummary, ScenarioResult, ScenarioStatus, StepResult,
};

pub const SCHEMA_VERSION: u32 = 1;

pub fn write(out: &mut dyn Write, summary: &RunSummary) -> io::Result<()> {
    let view = ReportView::from(summary);
    serde_json::to_writer_pretty(&mut *out, &view).map_err(io::Error::other)?;
    writeln!(out)
}

#[derive(Serialize)]
struct ReportView<'a> {
    schema_version: u32,
    tool: Tool,
    target: TargetView<'a>,
    started_at: String,
    duration_ms: u64,
    policy: PolicyView,
    interrupted: bool,
    exit_code: u8,
    summary: CountsView,
    #[serde(skip_serializing_if = "Option::is_none")]
    baseline: Option<BaselineView<'a>>,
    scenarios: Vec<ScenarioView<'a>>,
}

#[derive(Serialize)]
struct BaselineView<'a> {
    file: String,
    known: Vec<&'a str>,
    stale: &'a [String],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct TargetView<'a> {
    name: &'a str,
    base_url: &'a str,
}

#[derive(Serialize)]
struct PolicyView {
    strictness: &'static str,
    profile: &'static str,
}

#[derive(Serialize)]
struct CountsView {
    total: usize,
    passed: usize,
    warned: usize,
    failed: usize,
    known: usize,
    errored: usize,
    skipped: usize,
    not_run: usize,
}

#[derive(Serialize)]
struct ScenarioView<'a> {
    id: &'a str,
    title: &'a str,
    reference: &'a str,
    level: &'static str,
    tags: &'a [String],
    file: String,
    status: &'static str,
    /// A failure the baseline lists (it does not fail the gate).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    known_failure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    duration_ms: u64,
    steps: Vec<StepView<'a>>,
}

#[derive(Serialize)]
struct StepView<'a> {
    index: usize,
    name: &'a str,
    status: &'static str,
    duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    checks: Vec<CheckView<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transcript: Option<TranscriptView<'a>>,
}

#[derive(Serialize)]
struct CheckView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
    kind: &'static str,
    subject: &'a str,
    expected: &'a str,
    actual: &'a str,
    outcome: &'static str,
    level: &'static str,
    setup: bool,
    reference: &'a str,
    location: LocationView,
    #[serde(rename = "macro", skip_serializing_if = "Option::is_none")]
    from_macro: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
}

#[derive(Serialize)]
struct LocationView {
    file: String,
    line: usize,
    column: usize,
}

#[derive(Serialize)]
struct TranscriptView<'a> {
    request: RequestView<'a>,
    response: Option<ResponseView<'a>>,
}

#[derive(Serialize)]
struct RequestView<'a> {
    method: &'a str,
    url: &'a str,
    headers: Vec<[&'a str; 2]>,
    body: Option<&'a str>,
}

#[derive(Serialize)]
struct ResponseView<'a> {
    status: u16,
    headers: Vec<[&'a str; 2]>,
    body: &'a str,
    body_truncated: bool,
}

impl<'a> From<&'a RunSummary> for ReportView<'a> {
    fn from(s: &'a RunSummary) -> Self {
        let c = s.counts();
        let started_at = s
            .started_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        ReportView {
            schema_version: SCHEMA_VERSION,
            tool: Tool {
                name: env!("CARGO_PKG_NAME"),
                version: env!("CARGO_PKG_VERSION"),
            },
            target: TargetView {
                name: &s.target.name,
                base_url: &s.target.base_url,
            },
            started_at,
            duration_ms: ms(s.duration),
            policy: PolicyView {
                strictness: match s.policy.strictness {
                    crate::conform::level::Strictness::Strict => "strict",
                    crate::conform::level::Strictness::Interop => "interop",
                },
                profile: if s.policy.point11 { "point11" } else { "rfc" },
            },
            interrupted: s.interrupted,
            exit_code: s.exit_code(),
            summary: CountsView {
                total: c.total,
                passed: c.passed,
                warned: c.warned,
                failed: c.failed,
                known: c.known,
                errored: c.errored,
                skipped: c.skipped,
                not_run: c.not_run,
            },
            baseline: s.baseline.as_ref().map(|b| BaselineView {
                file: b.file.display().to_string(),
                known: b.known.iter().map(String::as_str).collect(),
                stale: &b.stale,
            }),
            scenarios: s
                .scenarios
                .iter()
                .map(|r| scenario(r, s.is_known_failure(&r.id)))
                .collect(),
        }
    }
}

fn scenario(r: &ScenarioResult, known_failure: bool) -> ScenarioView<'_> {
    let (status, reason) = match &r.status {
        ScenarioStatus::Pass => ("pass", None),
        ScenarioStatus::Warn => ("warn", None),
        ScenarioStatus::Fail => ("fail", None),
        ScenarioStatus::Error { message } => ("error", Some(message.as_str())),
        ScenarioStatus::Skip { reason } => ("skip", Some(reason.as_str())),
        ScenarioStatus::NotRun => ("not_run", None),
    };
    ScenarioView {
        id: &r.id,
        title: &r.title,
        reference: &r.reference,
        level: r.level.as_str(),
        tags: &r.tags,
        file: r.file.display().to_string(),
        status,
        known_failure,
        reason,
        duration_ms: ms(r.duration),
        steps: r.steps.iter().map(step).collect(),
    }
}

fn step(s: &StepResult) -> StepView<'_> {
    StepView {
        index: s.index,
        name: &s.name,
        status: s.status.as_str(),
        duration_ms: ms(s.duration),
        error: s.error.as_deref(),
        checks: s.checks.iter().map(check).collect(),
        transcript: s.exchange.as_ref().map(transcript),
    }
}

fn check(c: &CheckResult) -> CheckView<'_> {
    CheckView {
        id: c.id.as_deref(),
        kind: match c.kind {
            CheckKind::Expect => "expect",
            CheckKind::Capture => "capture",
        },
        subject: &c.subject,
        expected: &c.expected,
        actual: &c.actual,
        outcome: c.outcome.as_str(),
        level: c.level.as_str(),
        setup: c.setup,
        reference: &c.reference,
        location: LocationView {
            file: c.location.file.display().to_string(),
            line: c.location.line,
            column: c.location.column,
        },
        from_macro: c.from_macro,
        note: c.note.as_deref(),
    }
}

fn transcript(x: &Exchange) -> TranscriptView<'_> {
    TranscriptView {
        request: RequestView {
            method: &x.request.method,
            url: &x.request.url,
            headers: x
                .request
                .headers
                .iter()
                .map(|(k, v)| [k.as_str(), v.as_str()])
                .collect(),
            body: x.request.body.as_deref(),
        },
        response: x.response.as_ref().map(|r| ResponseView {
            status: r.status,
            headers: r.headers.iter().map(|(k, v)| [k.as_str(), v.as_str()]).collect(),
            body: &r.body,
            body_truncated: r.body_truncated,
        }),
    }
}

fn ms(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
