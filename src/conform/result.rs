//! Results as data: every evaluated expectation with expected and actual
//! values, its place in the scenario file, the RFC reference and level, and
//! the (redacted) transcript of the steps that went wrong. Reports are
//! written from these afterwards.

use std::path::PathBuf;
use std::time::Duration;

use super::baseline::BaselineVerdict;
use super::level::{Level, Outcome, Policy};
use super::scenario::SourceLocation;

#[derive(Debug, Clone)]
pub struct RunSummary {
    pub target: TargetInfo,
    pub started_at: time::OffsetDateTime,
    pub duration: Duration,
    pub policy: Policy,
    /// In run order (sorted by scenario file path).
    pub scenarios: Vec<ScenarioResult>,
    /// Ctrl-C stopped the run; unfinished scenarios are [`ScenarioStatus::NotRun`].
    pub interrupted: bool,
    /// What `--baseline` (or `--write-baseline`) made of the failures.
    pub baseline: Option<BaselineVerdict>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    pub name: String,
    pub base_url: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: usize,
    pub passed: usize,
    pub warned: usize,
    pub failed: usize,
    /// Of `failed`, those the baseline lists: they do not fail the gate.
    pub known: usize,
    pub errored: usize,
    pub skipped: usize,
    pub not_run: usize,
}

impl RunSummary {
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            total: self.scenarios.len(),
            ..Counts::default()
        };
        for s in &self.scenarios {
            match s.status {
                ScenarioStatus::Pass => c.passed += 1,
                ScenarioStatus::Warn => c.warned += 1,
                ScenarioStatus::Fail => {
                    c.failed += 1;
                    if self.is_known_failure(&s.id) {
                        c.known += 1;
                    }
                }
                ScenarioStatus::Error { .. } => c.errored += 1,
                ScenarioStatus::Skip { .. } => c.skipped += 1,
                ScenarioStatus::NotRun => c.not_run += 1,
            }
        }
        c
    }

    /// A failure the baseline lists.
    pub fn is_known_failure(&self, id: &str) -> bool {
        self.baseline.as_ref().is_some_and(|b| b.known.contains(id))
    }

    /// Baseline entries that pass now (each fails the gate).
    pub fn stale_baseline(&self) -> &[String] {
        self.baseline.as_ref().map_or(&[], |b| b.stale.as_slice())
    }

    /// The process exit status for this run: 0 when nothing failed (skips,
    /// warnings and baselined failures allowed), 1 when a check failed that
    /// the baseline does not list or a baseline entry is stale, 3 when the
    /// target could not be reached mid-run (a scenario ERROR), 130 when
    /// Ctrl-C stopped the run. Usage and scenario-file errors never produce
    /// a summary; see [`super::ConformError::exit_code`].
    pub fn exit_code(&self) -> u8 {
        let c = self.counts();
        if self.interrupted {
            130
        } else if c.errored > 0 {
            3
        } else if c.failed > c.known || !self.stale_baseline().is_empty() {
            1
        } else {
            0
        }
    }

    pub fn all_passed(&self) -> bool {
        self.exit_code() == 0
    }
}

#[derive(Debug, Clone)]
pub struct ScenarioResult {
    pub id: String,
    pub title: String,
    pub reference: String,
    pub level: Level,
    pub tags: Vec<String>,
    pub file: PathBuf,
    pub status: ScenarioStatus,
    pub duration: Duration,
    pub steps: Vec<StepResult>,
}

impl ScenarioResult {
    pub fn checks(&self) -> impl Iterator<Item = &CheckResult> {
        self.steps.iter().flat_map(|s| s.checks.iter())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioStatus {
    Pass,
    /// Passed, with SHOULD-level (or interop MUST*) deviations.
    Warn,
    /// An expectation failed: the target answered wrongly.
    Fail,
    /// The scenario could not run: transport or TLS failure mid-scenario.
    Error {
        message: String,
    },
    /// Not applicable to this target (missing capability or credential).
    Skip {
        reason: String,
    },
    /// Ctrl-C came first.
    NotRun,
}

impl ScenarioStatus {
    pub fn label(&self) -> &'static str {
        match self {
            ScenarioStatus::Pass => "PASS",
            ScenarioStatus::Warn => "WARN",
            ScenarioStatus::Fail => "FAIL",
            ScenarioStatus::Error { .. } => "ERROR",
            ScenarioStatus::Skip { .. } => "SKIP",
            ScenarioStatus::NotRun => "NOT RUN",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    Pass,
    Warn,
    Fail,
    Error,
    /// An earlier step failed, or the run was interrupted.
    NotRun,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Pass => "pass",
            StepStatus::Warn => "warn",
            StepStatus::Fail => "fail",
            StepStatus::Error => "error",
            StepStatus::NotRun => "not_run",
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub index: usize,
    pub name: String,
    pub status: StepStatus,
    pub duration: Duration,
    pub checks: Vec<CheckResult>,
    /// Kept for steps that did not pass (all steps with `verbose`).
    pub exchange: Option<Exchange>,
    /// Transport failure, or a value that could not be rendered.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    Expect,
    Capture,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckResult {
    pub id: Option<String>,
    pub kind: CheckKind,
    /// What was looked at, e.g. `header Cache-Control`.
    pub subject: String,
    /// E.g. `contains "no-store"`.
    pub expected: String,
    /// E.g. `"no-cache"`, or `absent (no Cache-Control header)`.
    pub actual: String,
    pub outcome: Outcome,
    pub level: Level,
    /// A precondition of a `setup` step.
    pub setup: bool,
    pub reference: String,
    pub location: SourceLocation,
    pub from_macro: Option<&'static str>,
    pub note: Option<String>,
}

impl CheckResult {
    /// One line in the catalogue's words: "RFC 6749 §5.2, MUST: expected
    /// status equals 401, got 400".
    pub fn sentence(&self) -> String {
        let level = if self.setup {
            "setup".to_owned()
        } else {
            self.level.to_string()
        };
        format!(
            "{}, {level}: expected {} {}, got {}",
            self.reference, self.subject, self.expected, self.actual
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    pub request: RequestRecord,
    pub response: Option<ResponseRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRecord {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body was longer than the transcript keeps.
    pub body_truncated: bool,
}
