//! CI gates: each set gate judged per tier, recorded with its threshold,
//! the actual value and, when it fails, the reason. Results are data; the
//! exit code follows from them.

use serde::Serialize;

use crate::load::config::Gates;
use crate::load::latency::{Metric, Percentiles};
use crate::load::metrics::TierMetrics;
use crate::load::observe::Outcome;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GateResult {
    pub gate: &'static str,
    pub tier: String,
    pub threshold: f64,
    pub actual: Option<f64>,
    pub passed: bool,
    pub reason: Option<String>,
}

pub fn evaluate(gates: &Gates, tiers: &[TierMetrics], latency: &[Percentiles]) -> Vec<GateResult> {
    let mut out = Vec::new();
    for t in tiers {
        let tier = t.tier.as_str().to_owned();
        if let Some(min) = gates.min_accuracy {
            let actual = t.admission.accuracy;
            let reason = match actual {
                None => Some("no saturated window to judge accuracy on (run longer or raise --load-factor)".to_owned()),
                Some(a) if a < min => Some(format!(
                    "accuracy {a:.4} < {min}: admission ratio ranged {:.4}..{:.4} over {} saturated windows",
                    t.admission.ratio.map_or(0.0, |r| r.min),
                    t.admission.ratio.map_or(0.0, |r| r.max),
                    t.admission.saturated_windows
                )),
                Some(_) => None,
            };
            out.push(result("min-accuracy", &tier, min, actual, reason));
        }
        if let Some(max) = gates.max_over_admission {
            let rate = t.admission.over_admission_rate();
            let reason = (rate > max).then(|| {
                format!(
                    "over-admission {} requests ({:.0} ppm of the limit) > {max}",
                    t.admission.over_admission, t.admission.over_admission_ppm
                )
            });
            out.push(result("max-over-admission", &tier, max, Some(rate), reason));
        }
        if let Some(max) = gates.max_p99 {
            let max_us = max.as_micros() as f64;
            for outcome in [Outcome::Admitted, Outcome::Limited] {
                let cell = latency
                    .iter()
                    .find(|p| p.tier == t.tier && p.outcome == outcome && p.metric == Metric::Service);
                let actual = cell.map(|p| p.p99_us as f64);
                // A gate with nothing to judge does not pass: a run that
                // measured no such response proves nothing about its p99.
                let reason = match actual {
                    None => Some(format!(
                        "no {} responses were timed (run the load phase, or longer)",
                        outcome.label()
                    )),
                    Some(a) if a > max_us => Some(format!(
                        "p99 service time of {} responses {:.1} ms > {:.1} ms",
                        outcome.label(),
                        a / 1000.0,
                        max_us / 1000.0
                    )),
                    Some(_) => None,
                };
                out.push(result(p99_gate(outcome), &tier, max_us, actual, reason));
            }
        }
    }
    out
}

fn p99_gate(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Limited => "max-p99 (429, µs)",
        _ => "max-p99 (2xx, µs)",
    }
}

fn result(gate: &'static str, tier: &str, threshold: f64, actual: Option<f64>, reason: Option<String>) -> GateResult {
    GateResult {
        gate,
        tier: tier.to_owned(),
        threshold,
        actual,
        passed: reason.is_none(),
        reason,
    }
}
