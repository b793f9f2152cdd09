//! Admission accuracy, LOAD-METRICS.md §4.2, and the concurrency metrics of
//! §4.5, from per-window counts.

use serde::Serialize;

use crate::load::metrics::windows::{Ctx, KeyWindow};
use crate::load::observe::{Obs, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MinMeanMax {
    pub min: f64,
    pub mean: f64,
    pub max: f64,
}

/// n₁ against L + 1 (a fixed window, sliding log or counter).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FirstLimit {
    /// 1-based index of the first 429; None when none came.
    pub index: Option<u64>,
    pub expected: u64,
    pub delta: Option<i64>,
    /// Requests sent before giving up (when no 429 came).
    pub sent: u64,
}

impl FirstLimit {
    /// n₁ from one sequential run, in send order.
    pub fn from_run(obs: &[&Obs], limit: u64) -> Self {
        let index = obs
            .iter()
            .position(|o| o.outcome() == Outcome::Limited)
            .map(|i| i as u64 + 1);
        let expected = limit + 1;
        Self {
            index,
            expected,
            delta: index.map(|n| n as i64 - expected as i64),
            sent: obs.len() as u64,
        }
    }

    pub fn exact(&self) -> bool {
        self.delta == Some(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Isolation {
    /// The neighbour key's name.
    pub neighbour: String,
    pub first_429: FirstLimit,
    /// The neighbour key was saturated (it got a 429) during the run.
    pub neighbour_saturated: bool,
    pub isolated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LongRun {
    /// Admitted per window over the load phase.
    pub per_window: f64,
    /// The span T of the load phase, in windows.
    pub span_windows: f64,
    /// T ≥ 10 W, so the rate means something.
    pub judged: bool,
}

/// §4.2 for one tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Admission {
    pub windows: u64,
    pub saturated_windows: u64,
    /// α_w = A_w / L over saturated windows.
    pub ratio: Option<MinMeanMax>,
    /// 1 − max_w |α_w − 1| over saturated windows.
    pub accuracy: Option<f64>,
    /// O = Σ_w max(0, A_w − L), over every window with admissions.
    pub over_admission: u64,
    /// O / (L × windows that reached the limit), in ppm.
    pub over_admission_ppm: f64,
    /// F: 429s issued before their window's L-th admission.
    pub false_429: u64,
    /// Admitted responses whose Reset was not a plausible window end.
    pub implausible_attribution: u64,
    pub first_429: Option<FirstLimit>,
    pub isolation: Option<Isolation>,
    /// The most admissions in any interval of length W (not judged).
    pub sliding_peak: u64,
    pub long_run: Option<LongRun>,
    /// lim = L on every response and α = 1 on every saturated window.
    pub tier_mapping_ok: Option<bool>,
}

impl Admission {
    /// O / Σ L as a fraction.
    pub fn over_admission_rate(&self) -> f64 {
        self.over_admission_ppm / 1e6
    }
}

/// Fills the window-based fields of [`Admission`]. `judged` are the windows
/// α is judged on (the load phase); `all` every window of the tier.
pub fn from_windows(judged: &[KeyWindow], all: &[KeyWindow], ctx: &Ctx) -> Admission {
    let limit = ctx.limit as f64;
    let ratios: Vec<f64> = judged
        .iter()
        .filter(|w| w.saturated)
        .map(|w| w.admitted as f64 / limit)
        .collect();
    let ratio = (!ratios.is_empty()).then(|| MinMeanMax {
        min: ratios.iter().copied().fold(f64::INFINITY, f64::min),
        mean: ratios.iter().sum::<f64>() / ratios.len() as f64,
        max: ratios.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    });
    // Windows where the limiter was pushed to its limit; a window with a
    // handful of requests (a scout, a stray probe) says nothing about it.
    let exercised = all.iter().filter(|w| w.limited > 0 || w.admitted >= ctx.limit).count() as f64;
    let over: u64 = all.iter().map(|w| w.over).sum();
    Admission {
        windows: judged.len() as u64,
        saturated_windows: ratios.len() as u64,
        accuracy: ratio.map(|r| 1.0 - (r.max - 1.0).abs().max((1.0 - r.min).abs())),
        ratio,
        over_admission: over,
        over_admission_ppm: if exercised > 0.0 {
            1e6 * over as f64 / (limit * exercised)
        } else {
            0.0
        },
        false_429: all.iter().map(|w| w.false_429).sum(),
        ..Admission::default()
    }
}

/// The long-run rate of one key's load-phase admissions.
pub fn long_run(obs: &[&Obs], ctx: &Ctx) -> Option<LongRun> {
    let first = obs.iter().map(|o| o.t_snd).min()?;
    let last = obs.iter().map(|o| o.t_rcv).max()?;
    let span = (last - first).as_secs_f64() / ctx.window_s as f64;
    let admitted = obs.iter().filter(|o| o.outcome() == Outcome::Admitted).count() as f64;
    (span > 0.0).then(|| LongRun {
        per_window: admitted / span,
        span_windows: span,
        judged: span >= 10.0,
    })
}

/// §4.5 for one burst size N.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Concurrency {
    pub n: u32,
    pub requests: u64,
    pub admitted: u64,
    /// O(N): must be 0 for every N.
    pub over_admission: u64,
    /// dup(N): Remaining duplicates; must be 0.
    pub dup: u64,
    pub gap: u64,
    /// F(N): must be 0.
    pub false_429: u64,
    /// What the numbers say, when something is off.
    pub diagnosis: Option<&'static str>,
}

pub fn concurrency(n: u32, requests: u64, windows: &[KeyWindow]) -> Concurrency {
    let sum = |f: fn(&KeyWindow) -> u64| windows.iter().map(f).sum::<u64>();
    let over = sum(|w| w.over);
    let dup = sum(|w| w.rem.dup);
    let false_429 = sum(|w| w.false_429);
    let diagnosis = match (over > 0, dup > 0) {
        (true, _) => Some("the limiter itself races: it admits more than L under concurrency"),
        (false, true) => Some("Remaining is computed outside the limiter's critical section"),
        _ if false_429 > 0 => Some("429s before the window was full"),
        _ => None,
    };
    Concurrency {
        n,
        requests,
        admitted: sum(|w| w.admitted),
        over_admission: over,
        dup,
        gap: sum(|w| w.rem.gap),
        false_429,
        diagnosis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::windows::key_windows;
    use crate::load::metrics::windows::tests::{ctx, exact};

    #[test]
    fn exact_limiter_has_accuracy_one() {
        let all = exact(5, 60, 6.0);
        let refs: Vec<&Obs> = all.iter().collect();
        let ws = key_windows(0, &refs, &ctx(5));
        let a = from_windows(&ws, &ws, &ctx(5));
        assert_eq!(a.saturated_windows, 3);
        assert_eq!(a.accuracy, Some(1.0));
        assert_eq!((a.over_admission, a.false_429), (0, 0));
        let n1 = FirstLimit::from_run(&refs[..7], 5);
        assert_eq!((n1.index, n1.delta), (Some(6), Some(0)));
    }

    #[test]
    fn ten_percent_over_admission() {
        let all = exact(11, 80, 4.0);
        let refs: Vec<&Obs> = all.iter().collect();
        let ws = key_windows(0, &refs, &ctx(10));
        let a = from_windows(&ws, &ws, &ctx(10));
        assert_eq!(a.over_admission, 2);
        assert!((a.accuracy.unwrap() - 0.9).abs() < 1e-9);
        assert!((a.over_admission_ppm - 100_000.0).abs() < 1e-6);
        let c = concurrency(8, 80, &ws);
        assert!(c.diagnosis.unwrap().contains("races"));
    }
}
