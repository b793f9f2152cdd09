//! Retry-After behaviour, LOAD-METRICS.md §4.4: honesty, slack, the early
//! probe, the penalty extension, Reset truth (H7) and the harness's own
//! compliance. The probes record what happened as [`RaSample`]s; this
//! module only judges them.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::load::metrics::headers::{Rule, reset_truth_violated, rule_from};
use crate::load::observe::{Obs, Outcome};

/// How a 429 was followed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleKind {
    /// An early probe at t_rcv + RA − 1 s − ε (when RA ≥ 2), then a single
    /// probe at t_rcv + RA + ε.
    Honesty,
    /// Probes every δ from t_rcv + max(0, RA − 2 s) to find T_rec.
    Recovery,
    /// Probes every δ from t_rcv on (penalty, dense).
    Dense,
    /// A single probe at t_rcv + RA, then every δ (penalty, sparse).
    Sparse,
}

/// One exhausting 429 and what the probes after it saw. Times are run-clock
/// offsets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaSample {
    pub key: usize,
    pub kind: SampleKind,
    /// When the 429 arrived.
    pub t_rcv: Duration,
    /// Its Retry-After in seconds (None: absent or unparseable).
    pub ra_s: Option<f64>,
    pub rst: Option<i64>,
    /// Round-trip time of the 429.
    pub rtt: Duration,
    /// Whether the early probe got 429, as it should (None: not sent).
    pub early_probe_limited: Option<bool>,
    /// Whether the single probe at t_rcv + RA + ε was admitted (Honesty).
    pub honest: Option<bool>,
    /// ŝ of the first admitted probe, as a run-clock offset: T_rec is at
    /// most this.
    pub t_rec: Option<Duration>,
    /// ŝ of the last refused probe (or of the 429) before it: T_rec is
    /// after this. Probes are δ apart, so the two bound T_rec within δ.
    pub t_rec_low: Option<Duration>,
}

/// Nearest-rank summary of σ in milliseconds. σ can be negative (a
/// dishonest Retry-After), which an HDR histogram cannot hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SlackMs {
    pub count: u64,
    pub min: Option<f64>,
    pub p50: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
    /// σ < −ε: the Retry-After ended before the key recovered.
    pub below_minus_eps: u64,
    /// σ ≥ 1 s: honest but loose (the server did not round up tightly).
    pub loose: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Penalty {
    /// Δ = (T_rec − t_rcv) with dense probing − the same with a single probe.
    pub delta_ms: Option<f64>,
    /// Δ > 1 s + ε: rejected requests consumed quota (a lock-out).
    pub extended: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RetryAfterMetrics {
    /// 429s followed by a single probe at t_rcv + RA + ε.
    pub sampled: u64,
    /// Of those, probes that got 429 again.
    pub dishonest: u64,
    pub dishonest_pct: f64,
    /// Dishonest samples whose Retry-After was 0: "go now" while blocked.
    pub zero_while_blocked: u64,
    /// 429s that had no usable Retry-After to probe with.
    pub unusable: u64,
    pub early_probe: Rule,
    pub slack_ms: SlackMs,
    pub penalty: Penalty,
}

/// Judges the samples; `eps` is 50 ms (the RTT is added per sample).
pub fn judge(samples: &[RaSample], epoch_unix: f64) -> (RetryAfterMetrics, Rule) {
    let eps = |s: &RaSample| 0.05 + s.rtt.as_secs_f64();
    let mut m = RetryAfterMetrics::default();
    let (mut early_checked, mut early_bad) = (0, 0);
    let mut sigmas = Vec::new();
    let (mut h7_checked, mut h7_bad) = (0, 0);
    for s in samples {
        let Some(ra) = s.ra_s else {
            m.unusable += 1;
            continue;
        };
        if let Some(limited) = s.early_probe_limited {
            early_checked += 1;
            early_bad += u64::from(!limited);
        }
        if s.kind == SampleKind::Honesty
            && let Some(honest) = s.honest
        {
            m.sampled += 1;
            if !honest {
                m.dishonest += 1;
                m.zero_while_blocked += u64::from(ra == 0.0);
            }
        }
        if let Some(high) = s.t_rec
            && matches!(s.kind, SampleKind::Recovery | SampleKind::Dense)
        {
            let high = high.as_secs_f64();
            let low = s.t_rec_low.map_or(high, |l| l.as_secs_f64());
            let promised = s.t_rcv.as_secs_f64() + ra;
            if s.kind == SampleKind::Recovery {
                // Judged on the bound that favours the target: a fault is
                // one the probes' spacing cannot explain.
                m.slack_ms.below_minus_eps += u64::from(promised < low - eps(s));
                m.slack_ms.loose += u64::from(promised - high >= 1.0);
                sigmas.push((promised - (low + high) / 2.0) * 1000.0);
            }
            if let Some(rst) = s.rst {
                h7_checked += 1;
                h7_bad += u64::from(reset_truth_violated(epoch_unix + low, epoch_unix + high, rst, eps(s)));
            }
        }
    }
    m.dishonest_pct = if m.sampled == 0 {
        0.0
    } else {
        100.0 * m.dishonest as f64 / m.sampled as f64
    };
    m.early_probe = rule_from(early_checked, early_bad);
    m.slack_ms = slack(sigmas, m.slack_ms);
    m.penalty = penalty(samples);
    (m, rule_from(h7_checked, h7_bad))
}

fn slack(mut sigmas: Vec<f64>, counts: SlackMs) -> SlackMs {
    sigmas.sort_by(f64::total_cmp);
    let rank = |q: f64| -> Option<f64> {
        let n = sigmas.len();
        (n > 0).then(|| sigmas[((q * n as f64).ceil() as usize).clamp(1, n) - 1])
    };
    SlackMs {
        count: sigmas.len() as u64,
        min: sigmas.first().copied(),
        p50: rank(0.5),
        p99: rank(0.99),
        max: sigmas.last().copied(),
        ..counts
    }
}

fn penalty(samples: &[RaSample]) -> Penalty {
    let lag = |kind: SampleKind| -> Option<f64> {
        let lags: Vec<f64> = samples
            .iter()
            .filter(|s| s.kind == kind)
            // The admitted probe's time: the sparse probe only bounds T_rec
            // from above, so both sides are compared on that bound.
            .filter_map(|s| Some(s.t_rec?.as_secs_f64() - s.t_rcv.as_secs_f64()))
            .collect();
        (!lags.is_empty()).then(|| lags.iter().sum::<f64>() / lags.len() as f64)
    };
    match (lag(SampleKind::Dense), lag(SampleKind::Sparse)) {
        (Some(dense), Some(sparse)) => {
            let delta = dense - sparse;
            Penalty {
                delta_ms: Some(delta * 1000.0),
                extended: Some(delta > 1.05),
            }
        }
        _ => Penalty::default(),
    }
}

/// The harness's own compliance (§4.4): requests sent on a key after a 429
/// arrived and before its Retry-After expired. Probes sent on purpose
/// (early and dense recovery probes, bursts) are left out, and so are the
/// Retry-Afters of the 429s they drew; a deliberate probe that is admitted
/// ends the wait (the key has recovered). Returns (checked, violations).
pub fn compliance(obs: &[&Obs]) -> (u64, u64) {
    let mut per_key: BTreeMap<usize, Vec<&Obs>> = BTreeMap::new();
    for o in obs {
        per_key.entry(o.key).or_default().push(o);
    }
    let (mut checked, mut violations) = (0, 0);
    for list in per_key.values() {
        let (c, v) = key_compliance(list);
        checked += c;
        violations += v;
    }
    (checked, violations)
}

/// What happens on a key's timeline, in the order it is swept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// A deliberate probe that was sent at `.0` came back admitted.
    Clear(Duration),
    /// A request is sent (checked against the current wait).
    Send,
    /// A 429 arrived; its Retry-After holds until `.0`.
    Block(Duration),
}

fn key_compliance(list: &[&Obs]) -> (u64, u64) {
    let mut timeline: Vec<(Duration, Event)> = Vec::new();
    for o in list {
        if o.deliberate {
            if o.outcome() == Outcome::Admitted {
                timeline.push((o.t_rcv, Event::Clear(o.t_snd)));
            }
            continue;
        }
        timeline.push((o.t_snd, Event::Send));
        if o.outcome() == Outcome::Limited
            && let Some(ra) = o.ra_secs()
        {
            timeline.push((o.t_rcv, Event::Block(o.t_rcv + Duration::from_secs_f64(ra))));
        }
    }
    // At equal times a recovery counts before a send, and a send before a
    // 429: a 429 that arrives as a request leaves did not hold it back.
    timeline.sort();
    let (mut checked, mut violations) = (0, 0);
    let (mut blocked_from, mut blocked_until) = (Duration::ZERO, Duration::ZERO);
    for (at, event) in timeline {
        match event {
            Event::Send => {
                checked += 1;
                violations += u64::from(at < blocked_until);
            }
            Event::Block(until) => {
                if at >= blocked_until {
                    blocked_from = at;
                }
                blocked_until = blocked_until.max(until);
            }
            Event::Clear(sent) if sent >= blocked_from => blocked_until = Duration::ZERO,
            Event::Clear(_) => {}
        }
    }
    (checked, violations)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::windows::tests::{EPOCH, obs};
    use crate::load::observe::RetryAfter;

    fn sample(kind: SampleKind, ra: f64, t_rec: Option<f64>, honest: Option<bool>) -> RaSample {
        RaSample {
            key: 0,
            kind,
            t_rcv: Duration::from_secs_f64(0.3),
            ra_s: Some(ra),
            rst: Some(EPOCH as i64 + 2),
            rtt: Duration::ZERO,
            early_probe_limited: None,
            honest,
            t_rec: t_rec.map(Duration::from_secs_f64),
            t_rec_low: t_rec.map(|t| Duration::from_secs_f64(t - 0.01)),
        }
    }

    #[test]
    fn honest_fixed_window() {
        let samples = [
            sample(SampleKind::Honesty, 2.0, None, Some(true)),
            sample(SampleKind::Recovery, 2.0, Some(2.0), None),
            sample(SampleKind::Dense, 2.0, Some(2.01), None),
            sample(SampleKind::Sparse, 2.0, Some(2.3), None),
        ];
        let (m, h7) = judge(&samples, EPOCH);
        assert_eq!((m.sampled, m.dishonest), (1, 0));
        assert_eq!(m.slack_ms.count, 1);
        assert!(
            (m.slack_ms.p50.unwrap() - 305.0).abs() < 1e-6,
            "σ from the middle of (1.99, 2.0]"
        );
        assert_eq!(m.slack_ms.below_minus_eps, 0);
        assert_eq!(m.penalty.extended, Some(false));
        assert_eq!((h7.checked, h7.violations), (2, 0));
    }

    #[test]
    fn zero_and_short_retry_after_are_dishonest() {
        let samples = [
            sample(SampleKind::Honesty, 0.0, None, Some(false)),
            sample(SampleKind::Recovery, 1.0, Some(2.0), None),
        ];
        let (m, _) = judge(&samples, EPOCH);
        assert_eq!((m.dishonest, m.zero_while_blocked), (1, 1));
        assert_eq!(m.slack_ms.below_minus_eps, 1);
        assert!(m.slack_ms.min.unwrap() < -600.0);
    }

    #[test]
    fn compliance_counts_sends_inside_retry_after() {
        let mut limited = obs(1.0, 429, Some(0), None);
        limited.resp.ra = Some(RetryAfter::Seconds(1));
        let early = obs(1.5, 200, Some(4), None);
        let mut deliberate = obs(1.6, 429, Some(0), None);
        deliberate.deliberate = true;
        deliberate.resp.ra = Some(RetryAfter::Seconds(5));
        let late = obs(2.1, 200, Some(3), None);
        let all = [limited.clone(), early, deliberate, late];
        let refs: Vec<&Obs> = all.iter().collect();
        assert_eq!(compliance(&refs), (3, 1));
        // A deliberate probe that is admitted ends the wait.
        let mut recovered = obs(1.2, 200, Some(4), None);
        recovered.deliberate = true;
        let after = obs(1.3, 200, Some(3), None);
        let all = [limited, recovered, after];
        let refs: Vec<&Obs> = all.iter().collect();
        assert_eq!(compliance(&refs), (2, 0));
    }
}
