//! Turning a run's observations into its [`Summary`] and writing the
//! reports, one writer per format, after timing has stopped:
//! `summary.json`, one `.hgrm` per histogram, `latency.hlog` and
//! `report.html` in `reports/load-<timestamp>/`; the table goes to stdout.

pub mod hgrm;
pub mod hlog;
pub mod html;
pub mod summary_json;
pub mod table;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use time::OffsetDateTime;

use crate::load::config::{LoadConfig, RemoteTarget};
use crate::load::gates;
use crate::load::latency::{self, Cell, Metric, Percentiles};
use crate::load::metrics::{self, Inputs, TierMetrics, retry_after::RaSample};
use crate::load::observe::{Obs, Outcome};
use crate::load::summary::{
    ConfigInfo, SCHEMA_ID, SCHEMA_VERSION, Skipped, Summary, TargetInfo, TierSummary, WindowRow,
};
use crate::load::target::KeyTable;

pub struct BuildInput<'a> {
    pub config: &'a LoadConfig,
    pub remote: &'a RemoteTarget,
    pub kind: &'static str,
    pub keys: &'a KeyTable,
    pub obs: Vec<Obs>,
    pub samples: Vec<RaSample>,
    pub skipped: Vec<Skipped>,
    pub goose_failed: Vec<String>,
    pub started: OffsetDateTime,
    pub finished: OffsetDateTime,
}

/// The summary and the histograms the files are written from.
pub struct Built {
    pub summary: Summary,
    pub histograms: BTreeMap<Cell, Histogram<u64>>,
    pub intervals: BTreeMap<u64, BTreeMap<Cell, Histogram<u64>>>,
    pub epoch_unix: f64,
}

pub fn build(input: BuildInput<'_>) -> Built {
    let c = input.config;
    let key_names: Vec<String> = input.keys.entries.iter().map(|(_, k)| k.name.clone()).collect();
    let epoch_unix = c.clock.epoch_unix();
    let tiers = c
        .tiers
        .iter()
        .map(|t| {
            (
                *t,
                input.remote.tiers[t].limit,
                input.keys.of_tier(*t, &c.tiers, input.remote),
            )
        })
        .collect();
    let tier_metrics = metrics::compute(&Inputs {
        obs: &input.obs,
        samples: &input.samples,
        key_names: &key_names,
        epoch_unix,
        window_s: c.window.as_secs() as i64,
        polite: c.polite,
        tiers,
    });
    let histograms = latency::histograms(&input.obs);
    let percentiles: Vec<_> = histograms
        .iter()
        .map(|(cell, h)| latency::percentiles(cell, h))
        .collect();
    let gate_results = gates::evaluate(&c.gates, &tier_metrics, &percentiles);
    // An interrupted run is incomplete: whatever it measured, it never passes.
    let passed = gate_results.iter().all(|g| g.passed) && input.goose_failed.is_empty() && !c.cancel.is_cancelled();
    let tiers = tier_metrics
        .into_iter()
        .map(|m| tier_summary(m, &percentiles, &key_names))
        .collect();
    let summary = Summary {
        schema: SCHEMA_ID,
        version: SCHEMA_VERSION,
        harness_version: env!("CARGO_PKG_VERSION"),
        started_at: rfc3339(input.started),
        finished_at: rfc3339(input.finished),
        interrupted: c.cancel.is_cancelled(),
        target: TargetInfo {
            kind: input.kind,
            base_url: input.remote.base_url.clone(),
            path: input.remote.path.clone(),
        },
        config: config_info(c),
        tiers,
        gates: gate_results,
        goose_thresholds_failed: input.goose_failed,
        skipped: input.skipped,
        passed,
    };
    Built {
        summary,
        intervals: latency::intervals(&input.obs),
        histograms,
        epoch_unix,
    }
}

fn tier_summary(m: TierMetrics, percentiles: &[Percentiles], key_names: &[String]) -> TierSummary {
    let latency: Vec<_> = percentiles.iter().filter(|p| p.tier == m.tier).cloned().collect();
    let p99 = |o: Outcome| {
        latency
            .iter()
            .find(|p| p.outcome == o && p.metric == Metric::Service)
            .map(|p| p.p99_us)
    };
    let rejections_cheap = match (p99(Outcome::Limited), p99(Outcome::Admitted)) {
        (Some(no), Some(yes)) => Some(no <= yes),
        _ => None,
    };
    let load_windows = m
        .load_windows
        .iter()
        .map(|w| WindowRow::from(w, &key_names[w.key]))
        .collect();
    TierSummary {
        metrics: m,
        load_windows,
        latency,
        rejections_cheap,
    }
}

fn config_info(c: &LoadConfig) -> ConfigInfo {
    ConfigInfo {
        window_s: c.window.as_secs(),
        duration_s: c.duration.as_secs_f64(),
        users_per_tier: c.users_per_tier,
        load_factor: c.load_factor,
        polite: c.polite,
        phases: c.phases.iter().copied().collect(),
        ra_samples: c.ra_samples,
        concurrency: c.concurrency.clone(),
        virtual_clock: c.clock.is_virtual(),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Creates `<out_dir>/load-<timestamp>/` (with a suffix when it exists) and
/// writes every report into it.
pub fn write_all(out_dir: &Path, started: OffsetDateTime, built: &Built) -> io::Result<PathBuf> {
    let dir = fresh_dir(out_dir, "load", started)?;
    let file = |name: &str| -> io::Result<BufWriter<File>> { Ok(BufWriter::new(File::create(dir.join(name))?)) };
    let mut w = file("summary.json")?;
    summary_json::write(&mut w, &built.summary)?;
    w.flush()?;
    for (cell, h) in &built.histograms {
        let mut w = file(&latency::hgrm_file_name(&cell.tag()))?;
        hgrm::write(&mut w, h, 1000.0)?;
        w.flush()?;
    }
    let mut w = file("latency.hlog")?;
    hlog::write(&mut w, &built.intervals, built.epoch_unix)?;
    w.flush()?;
    let mut w = file("report.html")?;
    html::write(&mut w, &built.summary, &built.histograms)?;
    w.flush()?;
    Ok(dir)
}

/// `<parent>/<prefix>-<UTC timestamp>`, or with `-2`, `-3`… when taken.
pub fn fresh_dir(parent: &Path, prefix: &str, at: OffsetDateTime) -> io::Result<PathBuf> {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        at.year(),
        at.month() as u8,
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    );
    std::fs::create_dir_all(parent)?;
    let base = parent.join(format!("{prefix}-{stamp}"));
    let mut dir = base.clone();
    let mut n = 2;
    loop {
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && n < 1000 => {
                dir = PathBuf::from(format!("{}-{n}", base.display()));
                n += 1;
            }
            Err(e) => return Err(e),
        }
    }
}
