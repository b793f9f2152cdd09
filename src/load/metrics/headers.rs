//! Header consistency, LOAD-METRICS.md §4.3: rules H1–H9 judged per
//! response and reported as the share of responses violating each rule.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::load::metrics::windows::{Ctx, RemAccounting, reference_boundary};
use crate::load::observe::{Obs, Outcome, RetryAfter};

/// How many responses a rule was checked on and how many broke it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rule {
    pub checked: u64,
    pub violations: u64,
    /// violations / checked, in percent (0 when nothing was checked).
    pub pct: f64,
}

impl Rule {
    fn judge(&mut self, violated: bool) {
        self.checked += 1;
        if violated {
            self.violations += 1;
        }
    }

    fn finish(mut self) -> Self {
        self.pct = if self.checked == 0 {
            0.0
        } else {
            100.0 * self.violations as f64 / self.checked as f64
        };
        self
    }

    pub fn passed(&self) -> bool {
        self.violations == 0
    }
}

/// H2 with its parts named, and what 401/403 responses carried (reported,
/// not judged: the contract says nothing about them).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Presence {
    #[serde(flatten)]
    pub rule: Rule,
    pub ratelimit_missing: u64,
    pub retry_after_missing: u64,
    pub unauthenticated_responses: u64,
    pub unauthenticated_with_ratelimit_headers: u64,
}

/// H4 across windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Accounting {
    #[serde(flatten)]
    pub rule: Rule,
    pub dup: u64,
    pub gap: u64,
    pub out_of_set: u64,
    /// Steps of a single sequential client where Remaining did not fall by one.
    pub order_violations: u64,
}

/// H1–H9 for one tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[allow(non_snake_case)]
pub struct HeaderRules {
    pub H1_limit: Rule,
    pub H2_presence: Presence,
    pub H3_range: Rule,
    pub H4_remaining: Accounting,
    pub H5_reset_form: Rule,
    pub H6_reset_stability: Rule,
    pub H7_reset_truth: Rule,
    pub H8_retry_after_form: Rule,
    pub H9_cross_consistency: Rule,
}

/// Judges H1–H3, H5, H8 and H9 per response, H6 per key window; H4 comes
/// from the window accounting and H7 from the Retry-After probes.
pub fn judge(obs: &[&Obs], ctx: &Ctx, h4: (RemAccounting, u64), h7: Rule) -> HeaderRules {
    let mut r = HeaderRules::default();
    for o in obs {
        judge_response(&mut r, o, ctx);
    }
    r.H6_reset_stability = reset_stability(obs, ctx);
    let (rem, order) = h4;
    r.H4_remaining = Accounting {
        rule: Rule {
            checked: rem.checked,
            violations: rem.dup + rem.out_of_set,
            pct: 0.0,
        }
        .finish(),
        dup: rem.dup,
        gap: rem.gap,
        out_of_set: rem.out_of_set,
        order_violations: order,
    };
    r.H1_limit = r.H1_limit.finish();
    r.H2_presence.rule = r.H2_presence.rule.finish();
    r.H3_range = r.H3_range.finish();
    r.H5_reset_form = r.H5_reset_form.finish();
    r.H7_reset_truth = h7.finish();
    r.H8_retry_after_form = r.H8_retry_after_form.finish();
    r.H9_cross_consistency = r.H9_cross_consistency.finish();
    r
}

/// H1–H3, H5, H8 and H9 for one response; 401/403 are only counted.
fn judge_response(r: &mut HeaderRules, o: &Obs, ctx: &Ctx) {
    let limit = ctx.limit as i64;
    let Some(status) = o.resp.status else { return };
    let limited = o.outcome() == Outcome::Limited;
    if status == 401 || status == 403 {
        r.H2_presence.unauthenticated_responses += 1;
        if o.resp.lim.is_some() || o.resp.rem.is_some() || o.resp.rst.is_some() {
            r.H2_presence.unauthenticated_with_ratelimit_headers += 1;
        }
        return;
    }
    let all_three = o.resp.lim.is_some() && o.resp.rem.is_some() && o.resp.rst.is_some();
    let ra_missing = limited && o.resp.ra.is_none();
    r.H2_presence.ratelimit_missing += u64::from(!all_three);
    r.H2_presence.retry_after_missing += u64::from(ra_missing);
    r.H2_presence.rule.judge(!all_three || ra_missing);
    if let Some(lim) = o.resp.lim {
        r.H1_limit.judge(lim != limit);
    }
    if let Some(rem) = o.resp.rem {
        r.H3_range.judge(rem < 0 || rem > limit || (limited && rem != 0));
    }
    let server_now = o.resp.date.map_or(o.s_hat(ctx.epoch_unix), |d| d as f64);
    if let Some(rst) = o.resp.rst {
        let ahead = rst as f64 - server_now;
        r.H5_reset_form
            .judge(rst <= 1_000_000_000 || ahead <= 0.0 || ahead > ctx.window_s as f64 + 1.0);
    }
    if let Some(ra) = o.resp.ra {
        r.H8_retry_after_form.judge(!matches!(ra, RetryAfter::Seconds(_)));
    }
    if limited && let (Some(ra), Some(rst)) = (o.ra_secs(), o.resp.rst) {
        let draft_off = o
            .resp
            .draft
            .and_then(|d| d.t)
            .is_some_and(|t| (t as f64 - ra).abs() > 1.0);
        r.H9_cross_consistency
            .judge(((rst as f64 - server_now) - ra).abs() > 1.0 || draft_off);
    }
}

/// H6 for a fixed window: within each window (by ŝ, leaving out responses
/// within ε of a boundary) every response carries the same Reset; and
/// consecutive distinct values differ by a multiple of W.
fn reset_stability(obs: &[&Obs], ctx: &Ctx) -> Rule {
    let mut rule = Rule::default();
    let mut per_key: BTreeMap<usize, Vec<&Obs>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.resp.rst.is_some()) {
        per_key.entry(o.key).or_default().push(o);
    }
    for list in per_key.values() {
        let b0 = reference_boundary(list, ctx);
        let mut windows: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for o in list {
            let s = o.s_hat(ctx.epoch_unix);
            let end = ctx.inferred_reset(s, b0);
            let near_edge = (end as f64 - s) < ctx.eps_s || (s - (end - ctx.window_s) as f64) < ctx.eps_s;
            if !near_edge && let Some(rst) = o.resp.rst {
                windows.entry(end).or_default().push(rst);
            }
        }
        let mut previous: Option<i64> = None;
        for values in windows.values() {
            let modal = modal(values);
            for v in values {
                rule.judge(*v != modal);
            }
            if let Some(p) = previous
                && modal != p
                && (modal - p) % ctx.window_s != 0
            {
                rule.checked += 1;
                rule.violations += 1;
            }
            previous = Some(modal);
        }
    }
    rule.finish()
}

fn modal(values: &[i64]) -> i64 {
    let mut counts: HashMap<i64, u64> = HashMap::new();
    for v in values {
        *counts.entry(*v).or_default() += 1;
    }
    counts.into_iter().max_by_key(|(v, n)| (*n, *v)).map_or(0, |(v, _)| v)
}

/// H7 for one recovery measurement: the recovery instant T_rec, known to
/// lie in (low, high] (Unix seconds), against the Reset the 429 announced:
/// −1 s < T_rec − rst ≤ ε. Violated only when the bounds rule it out.
pub fn reset_truth_violated(low_unix: f64, high_unix: f64, rst: i64, eps_s: f64) -> bool {
    let rst = rst as f64;
    high_unix - rst <= -1.0 || low_unix - rst > eps_s
}

pub fn rule_from(checked: u64, violations: u64) -> Rule {
    Rule {
        checked,
        violations,
        pct: 0.0,
    }
    .finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::windows::tests::{EPOCH, ctx, exact};

    fn rules(all: &[Obs]) -> HeaderRules {
        let refs: Vec<&Obs> = all.iter().collect();
        judge(&refs, &ctx(5), (RemAccounting::default(), 0), Rule::default())
    }

    fn with_ra(mut all: Vec<Obs>) -> Vec<Obs> {
        for o in all.iter_mut().filter(|o| o.resp.status == Some(429)) {
            let rst = o.resp.rst.unwrap() as f64;
            let left = rst - o.s_hat(EPOCH);
            o.resp.ra = Some(RetryAfter::Seconds(left.ceil() as u64));
        }
        all
    }

    #[test]
    fn exact_limiter_passes_every_rule() {
        let r = rules(&with_ra(exact(5, 60, 6.0)));
        assert!(r.H1_limit.passed() && r.H2_presence.rule.passed() && r.H3_range.passed());
        assert!(r.H5_reset_form.passed() && r.H6_reset_stability.passed());
        assert!(
            r.H8_retry_after_form.passed() && r.H9_cross_consistency.passed(),
            "{r:?}"
        );
        assert_eq!(r.H2_presence.rule.checked, 60);
    }

    #[test]
    fn missing_retry_after_fails_h2() {
        let r = rules(&exact(5, 20, 2.0));
        assert_eq!(r.H2_presence.retry_after_missing, 15);
        assert_eq!(r.H2_presence.rule.violations, 15);
    }

    #[test]
    fn reset_as_delta_fails_h5_and_h9() {
        let mut all = with_ra(exact(5, 20, 2.0));
        for o in &mut all {
            o.resp.rst = Some(2);
        }
        let r = rules(&all);
        assert_eq!(r.H5_reset_form.violations, 20);
        assert_eq!(r.H9_cross_consistency.violations, 15);
    }

    #[test]
    fn http_date_retry_after_is_flagged_and_a_wrong_limit_fails_h1() {
        let mut all = with_ra(exact(5, 20, 2.0));
        all[10].resp.ra = Some(RetryAfter::Date(EPOCH as i64 + 2));
        all[0].resp.lim = Some(6);
        let r = rules(&all);
        assert_eq!(r.H8_retry_after_form.violations, 1);
        assert_eq!(r.H1_limit.violations, 1);
    }

    #[test]
    fn reset_truth_window() {
        assert!(!reset_truth_violated(99.99, 100.01, 100, 0.05));
        assert!(
            !reset_truth_violated(99.98, 100.12, 100, 0.05),
            "within the probes' spacing"
        );
        assert!(reset_truth_violated(100.15, 100.2, 100, 0.05));
        assert!(!reset_truth_violated(99.45, 99.5, 100, 0.05));
        assert!(reset_truth_violated(98.8, 98.9, 100, 0.05));
    }
}
