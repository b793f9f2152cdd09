//! Each faulty double is caught by the metric that names its fault, and
//! the exact limiter passes them all. These run the probe phases on a
//! manual clock with the contract's 60 s window (LOAD-METRICS.md §4.7,
//! option 1): no test waits out real time.

mod load_support;

use load_support::{Fault, PROBES, probe_run};
use p11_harness::fixtures::Tier;
use p11_harness::load::config::PhaseKind;
use p11_harness::load::summary::TierSummary;

async fn standard(fault: Fault, phases: &[PhaseKind]) -> TierSummary {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, table) = probe_run(fault, &[Tier::Standard], phases, dir.path()).await;
    println!("--- {fault:?}\n{table}");
    outcome.summary.tiers.into_iter().next().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exact_limiter_passes_every_check() {
    let t = standard(Fault::None, PROBES).await;
    let m = &t.metrics;
    let a = &m.admission;
    assert_eq!((a.over_admission, a.false_429), (0, 0));
    assert_eq!(a.first_429.unwrap().delta, Some(0));
    let iso = a.isolation.as_ref().unwrap();
    assert!(iso.isolated && iso.neighbour_saturated, "{iso:?}");
    let h = &m.headers;
    for (name, rule) in [
        ("H1", h.H1_limit),
        ("H2", h.H2_presence.rule),
        ("H3", h.H3_range),
        ("H4", h.H4_remaining.rule),
        ("H5", h.H5_reset_form),
        ("H6", h.H6_reset_stability),
        ("H7", h.H7_reset_truth),
        ("H8", h.H8_retry_after_form),
        ("H9", h.H9_cross_consistency),
    ] {
        assert!(rule.passed(), "{name}: {rule:?}");
        assert!(rule.checked > 0 || name == "H8", "{name} was never checked");
    }
    assert_eq!(h.H4_remaining.order_violations, 0);
    let ra = &m.retry_after;
    assert_eq!((ra.sampled, ra.dishonest), (3, 0));
    assert_eq!(ra.early_probe.violations, 0);
    assert_eq!(ra.slack_ms.below_minus_eps, 0);
    let (min, max) = (ra.slack_ms.min.unwrap(), ra.slack_ms.max.unwrap());
    assert!(
        (0.0..1000.0).contains(&min) && max < 1000.0,
        "fixed window: σ in [0, 1) s, got {min}..{max}"
    );
    assert_eq!(ra.penalty.extended, Some(false));
    assert_eq!(m.compliance.violations, 0);
    assert_eq!(
        m.concurrency.iter().map(|c| c.n).collect::<Vec<_>>(),
        vec![1, 8, 32, 128]
    );
    for c in &m.concurrency {
        assert_eq!((c.over_admission, c.dup, c.false_429), (0, 0, 0), "{c:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_admitting_limiter_is_caught_by_over_admission() {
    let t = standard(Fault::OverAdmit10, &[PhaseKind::First429, PhaseKind::Concurrency]).await;
    let a = &t.metrics.admission;
    assert!(a.over_admission > 0, "{a:?}");
    assert!(
        (a.over_admission_ppm - 100_000.0).abs() < 1.0,
        "10% of L per window: {}",
        a.over_admission_ppm
    );
    assert_eq!(a.first_429.unwrap().delta, Some(1), "n1 = 1.1 L + 1");
    assert!(
        t.metrics.concurrency.iter().all(|c| c.over_admission == 1),
        "{:?}",
        t.metrics.concurrency
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remaining_off_by_one_is_caught_by_h4() {
    let t = standard(Fault::RemainingOffByOne, &[PhaseKind::First429]).await;
    let h4 = t.metrics.headers.H4_remaining;
    assert!(!h4.rule.passed());
    // One value too high and the last one missing, in every window.
    assert!(h4.out_of_set > 0 && h4.gap == h4.out_of_set && h4.dup == 0, "{h4:?}");
    assert_eq!(t.metrics.admission.over_admission, 0);
    assert!(
        t.metrics.headers.H3_range.passed(),
        "L itself is in range; only the accounting shows it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_remaining_under_concurrency_is_caught_by_dup() {
    let t = standard(Fault::RacyRemaining, &[PhaseKind::Concurrency]).await;
    let c = &t.metrics.concurrency;
    println!("{c:#?}");
    assert_eq!(c[0].n, 1);
    assert_eq!(c[0].dup, 0, "a sequential client sees no duplicate");
    assert!(c.iter().all(|c| c.over_admission == 0), "admission itself stays exact");
    let burst_dups: u64 = c.iter().filter(|c| c.n >= 8).map(|c| c.dup).sum();
    assert!(burst_dups > 0, "{c:?}");
    let racy = c.iter().find(|c| c.dup > 0).unwrap();
    assert!(
        racy.diagnosis
            .unwrap()
            .contains("outside the limiter's critical section")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_retry_after_is_caught_by_h2() {
    let t = standard(Fault::NoRetryAfter, &[PhaseKind::First429, PhaseKind::RetryAfter]).await;
    let h2 = t.metrics.headers.H2_presence;
    assert!(h2.retry_after_missing > 0 && h2.ratelimit_missing == 0, "{h2:?}");
    assert_eq!(h2.rule.violations, h2.retry_after_missing);
    assert_eq!(t.metrics.retry_after.sampled, 0);
    assert!(t.metrics.retry_after.unusable > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_zero_while_blocked_is_caught_by_honesty() {
    let t = standard(Fault::RetryAfterZero, &[PhaseKind::RetryAfter]).await;
    let ra = &t.metrics.retry_after;
    assert_eq!(ra.sampled, 3);
    assert_eq!((ra.dishonest, ra.zero_while_blocked), (3, 3), "{ra:?}");
    assert_eq!(ra.dishonest_pct, 100.0);
    assert!(!t.metrics.headers.H9_cross_consistency.passed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_retry_after_is_caught_by_slack_and_honesty() {
    let t = standard(Fault::RetryAfterShort, &[PhaseKind::RetryAfter]).await;
    let ra = &t.metrics.retry_after;
    assert_eq!((ra.sampled, ra.dishonest, ra.zero_while_blocked), (3, 3, 0), "{ra:?}");
    assert_eq!(ra.slack_ms.below_minus_eps, 3);
    assert!(ra.slack_ms.max.unwrap() < -1000.0, "σ ≈ −2 s: {:?}", ra.slack_ms);
    assert!(ra.early_probe.passed(), "the early probe is still refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_as_delta_is_caught_by_h5() {
    let t = standard(Fault::ResetDelta, &[PhaseKind::First429, PhaseKind::RetryAfter]).await;
    let h5 = t.metrics.headers.H5_reset_form;
    assert_eq!(h5.violations, h5.checked, "{h5:?}");
    assert!(h5.checked > 0);
    assert_eq!(
        t.metrics.admission.over_admission, 0,
        "attribution falls back to server time"
    );
    assert_eq!(t.metrics.admission.first_429.unwrap().delta, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tiers_map_to_their_limits() {
    let dir = tempfile::tempdir().unwrap();
    let (outcome, _) = probe_run(
        Fault::None,
        &[Tier::Standard, Tier::Professional],
        &[PhaseKind::First429],
        dir.path(),
    )
    .await;
    let tiers = &outcome.summary.tiers;
    assert_eq!(tiers.len(), 2);
    for t in tiers {
        let n1 = t.metrics.admission.first_429.unwrap();
        assert_eq!(n1.index, Some(t.metrics.limit + 1), "{}", t.metrics.tier.as_str());
        assert_eq!(t.metrics.admission.tier_mapping_ok, Some(true));
    }
}
