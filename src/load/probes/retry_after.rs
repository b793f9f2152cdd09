//! Retry-After probes (LOAD-METRICS.md §4.4): exhaust the key, then follow
//! the 429 up in one of four ways and record what happened as an
//! [`RaSample`]. Each sample starts by exhausting the window it is in, so
//! consecutive samples need no wait between them.

use std::time::Duration;

use crate::load::metrics::retry_after::{RaSample, SampleKind};
use crate::load::observe::{Obs, Outcome, Phase};
use crate::load::probes::{PROBE_SPACING, Prober};

/// The 429 that ends an exhaustion, or None (no 429 came, or cancelled).
async fn exhausted(prober: &Prober, key: usize, phase: Phase) -> Option<Obs> {
    prober.exhaust(key, phase, prober.limit).await
}

/// ŝ of an observation as a run-clock offset.
fn s_hat(o: &Obs) -> Duration {
    (o.t_snd + o.t_rcv) / 2
}

fn sample(key: usize, kind: SampleKind, limited: &Obs) -> RaSample {
    RaSample {
        key,
        kind,
        t_rcv: limited.t_rcv,
        ra_s: limited.ra_secs(),
        rst: limited.resp.rst,
        rtt: limited.rtt(),
        early_probe_limited: None,
        honest: None,
        t_rec: None,
        t_rec_low: None,
    }
}

/// How long after a 429 to keep looking for recovery.
fn give_up_after(prober: &Prober, ra: Duration) -> Duration {
    ra + prober.window + Duration::from_secs(2)
}

/// Records a sample without a usable Retry-After, then waits for the next
/// window so the following sample starts clean.
async fn unusable(prober: &Prober, key: usize, mut s: RaSample) {
    s.ra_s = None;
    prober.push_sample(s);
    prober.wait_fresh_window(key).await;
}

/// An early probe at t_rcv + RA − 1 s − ε (when RA ≥ 2) that must get 429,
/// then a single probe at t_rcv + RA + ε that must be admitted.
pub async fn honesty(prober: &Prober, key: usize) {
    let Some(limited) = exhausted(prober, key, Phase::RetryAfter).await else {
        return;
    };
    let mut s = sample(key, SampleKind::Honesty, &limited);
    let Some(ra) = s.ra_s.map(Duration::from_secs_f64) else {
        return unusable(prober, key, s).await;
    };
    let eps = Prober::eps(&limited);
    let clock = prober.clock.as_ref();
    if ra >= Duration::from_secs(2) {
        if !prober
            .cancel
            .sleep_until(clock, limited.t_rcv + ra - Duration::from_secs(1) - eps)
            .await
        {
            return;
        }
        let early = prober.send(key, Phase::RetryAfter, true).await;
        s.early_probe_limited = Some(early.outcome() == Outcome::Limited);
    }
    if !prober.cancel.sleep_until(clock, limited.t_rcv + ra + eps).await {
        return;
    }
    let probe = prober.send(key, Phase::RetryAfter, false).await;
    s.honest = Some(probe.outcome() == Outcome::Admitted);
    if probe.outcome() != Outcome::Admitted {
        // Find recovery anyway, so the next sample starts from a known state.
        let until = limited.t_rcv + give_up_after(prober, ra);
        let found = prober
            .probe_until_admitted(key, Phase::RetryAfter, s_hat(&probe), clock.now(), until)
            .await;
        if found.is_none() {
            prober.wait_fresh_window(key).await;
        }
    }
    prober.push_sample(s);
}

/// Probes every δ from t_rcv + max(0, RA − 2 s) to find T_rec.
pub async fn recovery(prober: &Prober, key: usize) {
    let Some(limited) = exhausted(prober, key, Phase::RetryAfter).await else {
        return;
    };
    let mut s = sample(key, SampleKind::Recovery, &limited);
    let Some(ra) = s.ra_s.map(Duration::from_secs_f64) else {
        return unusable(prober, key, s).await;
    };
    let from = limited.t_rcv + ra.saturating_sub(Duration::from_secs(2));
    let until = limited.t_rcv + give_up_after(prober, ra);
    let recovery = prober
        .probe_until_admitted(key, Phase::RetryAfter, s_hat(&limited), from, until)
        .await;
    s.t_rec = recovery.map(|r| r.high);
    s.t_rec_low = recovery.map(|r| r.low);
    let recovered = recovery.is_some();
    prober.push_sample(s);
    if !recovered {
        prober.wait_fresh_window(key).await;
    }
}

/// T_rec with dense probing (every δ from t_rcv) and with a single probe at
/// t_rcv + RA (then every δ): a later dense recovery means rejected
/// requests consumed quota.
pub async fn penalty(prober: &Prober, key: usize) {
    for kind in [SampleKind::Dense, SampleKind::Sparse] {
        let Some(limited) = exhausted(prober, key, Phase::Penalty).await else {
            return;
        };
        let mut s = sample(key, kind, &limited);
        let Some(ra) = s.ra_s.map(Duration::from_secs_f64) else {
            return unusable(prober, key, s).await;
        };
        let from = match kind {
            SampleKind::Dense => limited.t_rcv + PROBE_SPACING,
            _ => limited.t_rcv + ra + Prober::eps(&limited),
        };
        let until = limited.t_rcv + give_up_after(prober, ra);
        let recovery = prober
            .probe_until_admitted(key, Phase::Penalty, s_hat(&limited), from, until)
            .await;
        s.t_rec = recovery.map(|r| r.high);
        s.t_rec_low = recovery.map(|r| r.low);
        let recovered = recovery.is_some();
        prober.push_sample(s);
        if !recovered {
            prober.wait_fresh_window(key).await;
        }
    }
}
