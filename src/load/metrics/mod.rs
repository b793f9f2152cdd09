//! LOAD-METRICS.md §4.2–4.5 as pure functions over a run's observations
//! and Retry-After samples. [`compute`] assembles them per tier.

pub mod admission;
pub mod headers;
pub mod retry_after;
pub mod windows;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use crate::fixtures::Tier;
use crate::load::observe::{Obs, Outcome, Phase};
use admission::{Admission, Concurrency, FirstLimit, Isolation};
use headers::HeaderRules;
use retry_after::{RaSample, RetryAfterMetrics};
use windows::{Ctx, KeyWindow, RemAccounting};

/// What [`compute`] needs besides the observations.
#[derive(Debug, Clone)]
pub struct Inputs<'a> {
    pub obs: &'a [Obs],
    pub samples: &'a [RaSample],
    /// Key names by key index.
    pub key_names: &'a [String],
    pub epoch_unix: f64,
    pub window_s: i64,
    pub polite: bool,
    /// Per tier: L and the indices of its keys.
    pub tiers: Vec<(Tier, u64, Vec<usize>)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Counts {
    pub total: u64,
    pub admitted: u64,
    pub limited: u64,
    pub other: u64,
}

impl Counts {
    pub fn of<'a>(obs: impl IntoIterator<Item = &'a Obs>) -> Self {
        let mut c = Counts::default();
        for o in obs {
            c.total += 1;
            match o.outcome() {
                Outcome::Admitted => c.admitted += 1,
                Outcome::Limited => c.limited += 1,
                Outcome::Other => c.other += 1,
            }
        }
        c
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Compliance {
    /// Whether the load phase waited out Retry-After (its requests are
    /// judged only then).
    pub polite: bool,
    pub checked: u64,
    /// Requests sent before a Retry-After expired; must be 0.
    pub violations: u64,
}

/// Everything §4.2–4.5 says about one tier.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TierMetrics {
    #[serde(serialize_with = "crate::load::observe::ser_tier")]
    pub tier: Tier,
    pub limit: u64,
    pub keys: Vec<String>,
    pub requests: Counts,
    /// ε used for this tier, ms: 50 ms plus the median round trip.
    pub eps_ms: f64,
    pub admission: Admission,
    pub headers: HeaderRules,
    pub retry_after: RetryAfterMetrics,
    pub compliance: Compliance,
    pub concurrency: Vec<Concurrency>,
    /// The load phase's windows (for the admission chart).
    #[serde(skip)]
    pub load_windows: Vec<KeyWindow>,
}

/// Computes the metrics of every tier in `inputs`.
pub fn compute(inputs: &Inputs<'_>) -> Vec<TierMetrics> {
    inputs
        .tiers
        .iter()
        .map(|(tier, limit, keys)| tier_metrics(inputs, *tier, *limit, keys))
        .collect()
}

fn tier_metrics(inputs: &Inputs<'_>, tier: Tier, limit: u64, keys: &[usize]) -> TierMetrics {
    let obs: Vec<&Obs> = inputs
        .obs
        .iter()
        .filter(|o| keys.contains(&o.key) && o.phase != Phase::IsolationFlood)
        .collect();
    let ctx = Ctx {
        limit,
        window_s: inputs.window_s,
        epoch_unix: inputs.epoch_unix,
        eps_s: 0.05 + median_rtt(&obs).as_secs_f64(),
        polite: inputs.polite,
    };
    let all_windows = per_key_windows(&obs, &ctx, |_| true);
    let load_windows = per_key_windows(&obs, &ctx, |o| o.phase == Phase::Load);
    let mut admission = admission::from_windows(&load_windows, &all_windows, &ctx);
    fill_admission(&mut admission, inputs, &obs, &ctx, keys);

    let mut rem = RemAccounting::default();
    all_windows.iter().for_each(|w| rem.add(w.rem));
    let order = sequential_order_violations(&obs, &ctx);
    let samples: Vec<RaSample> = inputs
        .samples
        .iter()
        .filter(|s| keys.contains(&s.key))
        .cloned()
        .collect();
    let (retry_after, h7) = retry_after::judge(&samples, inputs.epoch_unix);
    let headers = headers::judge(&obs, &ctx, (rem, order), h7);
    admission.tier_mapping_ok = (headers.H1_limit.checked > 0)
        .then(|| headers.H1_limit.passed() && admission.ratio.is_none_or(|r| r.min == 1.0 && r.max == 1.0));

    let judged: Vec<&Obs> = obs
        .iter()
        .copied()
        .filter(|o| inputs.polite || o.phase != Phase::Load)
        .collect();
    let (checked, violations) = retry_after::compliance(&judged);
    TierMetrics {
        tier,
        limit,
        keys: keys.iter().map(|k| inputs.key_names[*k].clone()).collect(),
        requests: Counts::of(obs.iter().copied()),
        eps_ms: ctx.eps_s * 1000.0,
        admission,
        headers,
        retry_after,
        compliance: Compliance {
            polite: inputs.polite,
            checked,
            violations,
        },
        concurrency: concurrency_metrics(&obs, &ctx),
        load_windows,
    }
}

fn fill_admission(a: &mut Admission, inputs: &Inputs<'_>, obs: &[&Obs], ctx: &Ctx, keys: &[usize]) {
    let phase = |p: Phase| obs.iter().copied().filter(move |o| o.phase == p);
    let first: Vec<&Obs> = phase(Phase::FirstLimit).collect();
    a.first_429 = (!first.is_empty()).then(|| FirstLimit::from_run(&first, ctx.limit));
    let own: Vec<&Obs> = phase(Phase::Isolation).collect();
    if !own.is_empty() {
        let flood: Vec<&Obs> = inputs
            .obs
            .iter()
            .filter(|o| o.phase == Phase::IsolationFlood && !keys.contains(&o.key))
            .collect();
        let n1 = FirstLimit::from_run(&own, ctx.limit);
        let saturated = flood.iter().any(|o| o.outcome() == Outcome::Limited);
        a.isolation = Some(Isolation {
            neighbour: flood
                .first()
                .map_or_else(String::new, |o| inputs.key_names[o.key].clone()),
            isolated: n1.exact() && saturated,
            first_429: n1,
            neighbour_saturated: saturated,
        });
    }
    a.implausible_attribution = obs
        .iter()
        .filter(|o| o.outcome() == Outcome::Admitted)
        .filter(|o| {
            o.resp
                .rst
                .is_some_and(|rst| !ctx.plausible(o.s_hat(ctx.epoch_unix), rst))
        })
        .count() as u64;
    let load: Vec<&Obs> = phase(Phase::Load).collect();
    let mut busiest: Option<(usize, Vec<&Obs>)> = None;
    for key in keys {
        let of_key: Vec<&Obs> = load.iter().copied().filter(|o| o.key == *key).collect();
        a.sliding_peak = a.sliding_peak.max(windows::sliding_peak(&of_key, ctx));
        if busiest.as_ref().is_none_or(|(n, _)| of_key.len() > *n) {
            busiest = Some((of_key.len(), of_key));
        }
    }
    a.long_run = busiest.and_then(|(_, of_key)| admission::long_run(&of_key, ctx));
}

/// Windows of every key, over the observations `keep` selects.
fn per_key_windows(obs: &[&Obs], ctx: &Ctx, keep: impl Fn(&Obs) -> bool) -> Vec<KeyWindow> {
    let mut by_key: BTreeMap<usize, Vec<&Obs>> = BTreeMap::new();
    for o in obs.iter().copied().filter(|o| keep(o)) {
        by_key.entry(o.key).or_default().push(o);
    }
    by_key
        .iter()
        .flat_map(|(key, list)| windows::key_windows(*key, list, ctx))
        .collect()
}

/// H4's sequential rule, over the phases where one client sends one request
/// at a time on a key.
fn sequential_order_violations(obs: &[&Obs], ctx: &Ctx) -> u64 {
    let sequential = [
        Phase::FirstLimit,
        Phase::Isolation,
        Phase::RetryAfter,
        Phase::Penalty,
        Phase::Concurrency(1),
    ];
    let mut total = 0;
    for phase in sequential {
        let mut by_key: BTreeMap<usize, Vec<&Obs>> = BTreeMap::new();
        for o in obs.iter().copied().filter(|o| o.phase == phase) {
            by_key.entry(o.key).or_default().push(o);
        }
        total += by_key
            .values()
            .map(|list| windows::order_violations(list, ctx))
            .sum::<u64>();
    }
    total
}

fn concurrency_metrics(obs: &[&Obs], ctx: &Ctx) -> Vec<Concurrency> {
    let mut ns: Vec<u32> = obs
        .iter()
        .filter_map(|o| match o.phase {
            Phase::Concurrency(n) => Some(n),
            _ => None,
        })
        .collect();
    ns.sort_unstable();
    ns.dedup();
    ns.into_iter()
        .map(|n| {
            let of_n: Vec<&Obs> = obs
                .iter()
                .copied()
                .filter(|o| o.phase == Phase::Concurrency(n))
                .collect();
            let windows = per_key_windows(&of_n, ctx, |_| true);
            admission::concurrency(n, of_n.len() as u64, &windows)
        })
        .collect()
}

fn median_rtt(obs: &[&Obs]) -> Duration {
    let mut rtts: Vec<Duration> = obs
        .iter()
        .filter(|o| o.resp.status.is_some())
        .map(|o| o.rtt())
        .collect();
    if rtts.is_empty() {
        return Duration::ZERO;
    }
    rtts.sort_unstable();
    rtts[rtts.len() / 2]
}
