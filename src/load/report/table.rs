//! The human table on stdout: one column per tier, one row per metric,
//! then the gates and where the reports are.

use std::io::{self, Write};
use std::path::Path;

use crate::load::latency::Metric;
use crate::load::observe::Outcome;
use crate::load::summary::{Summary, TierSummary};

type Row = (&'static str, fn(&TierSummary) -> String);

const ROWS: &[Row] = &[
    ("limit per window", |t| t.metrics.limit.to_string()),
    ("requests 2xx/429/other", |t| {
        let r = t.metrics.requests;
        format!("{}/{}/{}", r.admitted, r.limited, r.other)
    }),
    ("saturated windows", |t| {
        let a = &t.metrics.admission;
        format!("{}/{}", a.saturated_windows, a.windows)
    }),
    ("admission ratio min..max", |t| {
        t.metrics
            .admission
            .ratio
            .map_or("-".into(), |r| format!("{:.3}..{:.3}", r.min, r.max))
    }),
    ("accuracy", |t| {
        opt(t.metrics.admission.accuracy.map(|a| format!("{a:.4}")))
    }),
    ("over-admission O (ppm)", |t| {
        let a = &t.metrics.admission;
        format!("{} ({:.0})", a.over_admission, a.over_admission_ppm)
    }),
    ("false 429s F", |t| t.metrics.admission.false_429.to_string()),
    ("first 429 n1 (n1-L-1)", |t| {
        opt(t.metrics.admission.first_429.map(|f| match (f.index, f.delta) {
            (Some(i), Some(d)) => format!("{i} ({d:+})"),
            _ => format!("none in {}", f.sent),
        }))
    }),
    ("isolation", |t| {
        opt(t
            .metrics
            .admission
            .isolation
            .as_ref()
            .map(|i| if i.isolated { "yes".into() } else { "NO".into() }))
    }),
    ("header rules failed", header_failures),
    ("Retry-After dishonest", |t| {
        let r = &t.metrics.retry_after;
        format!("{}/{}", r.dishonest, r.sampled)
    }),
    ("slack σ min/p50 ms", |t| {
        let s = &t.metrics.retry_after.slack_ms;
        match (s.min, s.p50) {
            (Some(min), Some(p50)) => format!("{min:.0}/{p50:.0}"),
            _ => "-".into(),
        }
    }),
    ("penalty Δ ms", |t| {
        opt(t.metrics.retry_after.penalty.delta_ms.map(|d| format!("{d:.0}")))
    }),
    ("compliance violations", |t| {
        let c = t.metrics.compliance;
        format!("{} of {}", c.violations, c.checked)
    }),
    ("concurrency O/dup/F", |t| {
        let parts: Vec<String> = t
            .metrics
            .concurrency
            .iter()
            .map(|c| format!("{}:{}/{}/{}", c.n, c.over_admission, c.dup, c.false_429))
            .collect();
        if parts.is_empty() { "-".into() } else { parts.join(" ") }
    }),
    ("p99 service 2xx/429 ms", |t| {
        let p99 = |o: Outcome| {
            t.latency
                .iter()
                .find(|p| p.outcome == o && p.metric == Metric::Service)
                .map_or("-".into(), |p| format!("{:.1}", p.p99_us as f64 / 1000.0))
        };
        format!("{}/{}", p99(Outcome::Admitted), p99(Outcome::Limited))
    }),
    ("p99 lateness ms", |t| {
        opt(t
            .latency
            .iter()
            .filter(|p| p.metric == Metric::Lateness)
            .map(|p| p.p99_us)
            .max()
            .map(|us| format!("{:.1}", us as f64 / 1000.0)))
    }),
];

/// A gate value: whole numbers as such, others to four decimals.
fn num(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

fn opt(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".into())
}

fn header_failures(t: &TierSummary) -> String {
    let h = &t.metrics.headers;
    let rules = [
        ("H1", h.H1_limit),
        ("H2", h.H2_presence.rule),
        ("H3", h.H3_range),
        ("H4", h.H4_remaining.rule),
        ("H5", h.H5_reset_form),
        ("H6", h.H6_reset_stability),
        ("H7", h.H7_reset_truth),
        ("H8", h.H8_retry_after_form),
        ("H9", h.H9_cross_consistency),
    ];
    let failed: Vec<String> = rules
        .iter()
        .filter(|(_, r)| !r.passed())
        .map(|(n, r)| format!("{n} {:.1}%", r.pct))
        .collect();
    if failed.is_empty() {
        "none".into()
    } else {
        failed.join(", ")
    }
}

/// The table as labelled rows of cells, one cell per tier (the HTML report
/// shows the same rows).
pub fn rows(s: &Summary) -> Vec<(&'static str, Vec<String>)> {
    ROWS.iter()
        .map(|(label, f)| (*label, s.tiers.iter().map(f).collect()))
        .collect()
}

pub fn write(w: &mut dyn Write, s: &Summary, dir: &Path) -> io::Result<()> {
    let interrupted = if s.interrupted { " (interrupted)" } else { "" };
    writeln!(
        w,
        "p11-harness load: {}{} — window {}s{interrupted}",
        s.target.base_url, s.target.path, s.config.window_s
    )?;
    let rows = rows(s);
    let cells: Vec<&Vec<String>> = rows.iter().map(|(_, c)| c).collect();
    let widths: Vec<usize> = (0..s.tiers.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([s.tiers[i].metrics.tier.as_str().len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    write!(w, "{:<26}", "")?;
    for (t, width) in s.tiers.iter().zip(&widths) {
        write!(w, "  {:>width$}", t.metrics.tier.as_str())?;
    }
    writeln!(w)?;
    for (label, row) in &rows {
        write!(w, "{label:<26}")?;
        for (cell, width) in row.iter().zip(&widths) {
            write!(w, "  {cell:>width$}")?;
        }
        writeln!(w)?;
    }
    for skipped in &s.skipped {
        writeln!(
            w,
            "skipped {:?} for {}: {}",
            skipped.phase, skipped.tier, skipped.reason
        )?;
    }
    for g in &s.gates {
        let verdict = if g.passed { "PASS" } else { "FAIL" };
        let actual = g.actual.map_or("-".into(), num);
        write!(
            w,
            "{verdict} {} [{}]: actual {actual}, limit {}",
            g.gate,
            g.tier,
            num(g.threshold)
        )?;
        match &g.reason {
            Some(reason) => writeln!(w, " — {reason}")?,
            None => writeln!(w)?,
        }
    }
    for rule in &s.goose_thresholds_failed {
        writeln!(w, "FAIL goose threshold: {rule}")?;
    }
    writeln!(w, "reports: {}", dir.display())
}
