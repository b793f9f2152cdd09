//! The results of a load run as data: what `summary.json` serialises and
//! what the table and the HTML report are drawn from. The schema is
//! versioned (`schemas/load-summary.schema.json`); bump [`SCHEMA_VERSION`]
//! on any incompatible change.

use serde::Serialize;

use crate::load::gates::GateResult;
use crate::load::latency::Percentiles;
use crate::load::metrics::TierMetrics;
use crate::load::metrics::windows::KeyWindow;

pub const SCHEMA_ID: &str = "p11-harness/load-summary";
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub schema: &'static str,
    pub version: u32,
    pub harness_version: &'static str,
    /// RFC 3339.
    pub started_at: String,
    pub finished_at: String,
    /// Stopped early (Ctrl-C): what was measured until then.
    pub interrupted: bool,
    pub target: TargetInfo,
    pub config: ConfigInfo,
    pub tiers: Vec<TierSummary>,
    pub gates: Vec<GateResult>,
    /// Rules of goose's own `--threshold` that failed.
    pub goose_thresholds_failed: Vec<String>,
    /// Phases that were asked for but could not run, with why.
    pub skipped: Vec<Skipped>,
    /// All gates (and goose thresholds) passed, on a run that finished.
    pub passed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TargetInfo {
    /// "embedded" or "remote".
    pub kind: &'static str,
    pub base_url: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigInfo {
    pub window_s: u64,
    pub duration_s: f64,
    pub users_per_tier: usize,
    pub load_factor: f64,
    pub polite: bool,
    pub phases: Vec<crate::load::config::PhaseKind>,
    pub ra_samples: usize,
    pub concurrency: Vec<usize>,
    /// The run clock is virtual (a test clock): times are not wall-clock.
    pub virtual_clock: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub tier: String,
    pub phase: crate::load::config::PhaseKind,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct TierSummary {
    #[serde(flatten)]
    pub metrics: TierMetrics,
    /// Load-phase windows per key, for the admission chart.
    pub load_windows: Vec<WindowRow>,
    pub latency: Vec<Percentiles>,
    /// p99(429) ≤ p99(2xx) for service time: a limiter slow to say no is a
    /// DoS risk. None when either is missing.
    pub rejections_cheap: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowRow {
    pub key: String,
    pub reset: i64,
    pub offered: u64,
    pub admitted: u64,
    pub limited: u64,
    pub saturated: bool,
}

impl WindowRow {
    pub fn from(w: &KeyWindow, key_name: &str) -> Self {
        Self {
            key: key_name.to_owned(),
            reset: w.reset,
            offered: w.offered,
            admitted: w.admitted,
            limited: w.limited,
            saturated: w.saturated,
        }
    }
}
