//! Window attribution and per-window counts (LOAD-METRICS.md §4.1, §4.2,
//! §4.3-H4): which window each response belongs to, how many requests each
//! window was offered and admitted, and the Remaining accounting in it.

use std::collections::{BTreeMap, HashMap};

use crate::load::observe::{Obs, Outcome};

/// What the window computations need to know about the tier and the run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ctx {
    /// L: the tier's nominal limit per window.
    pub limit: u64,
    /// W in seconds.
    pub window_s: i64,
    /// The run clock's epoch, Unix seconds.
    pub epoch_unix: f64,
    /// ε in seconds: 50 ms plus the round-trip time.
    pub eps_s: f64,
    /// Whether the client waited out Retry-After (polite mode): then a
    /// window that saw a 429 counts as saturated, since a polite client
    /// stops offering once told to.
    pub polite: bool,
}

impl Ctx {
    /// The saturation threshold: ⌈1.2·L⌉ + 5 offered requests.
    pub fn saturation_threshold(&self) -> u64 {
        (self.limit * 6).div_ceil(5) + 5
    }

    /// The Reset value (end) of the window that contains Unix time `s`,
    /// given a known boundary `b0`.
    pub fn inferred_reset(&self, s: f64, b0: i64) -> i64 {
        let w = self.window_s as f64;
        b0 + (((s - b0 as f64) / w).floor() as i64 + 1) * self.window_s
    }

    /// Whether a response's Reset is a plausible end for the window it was
    /// served in: ŝ ∈ [rst − W − ε, rst + ε].
    pub fn plausible(&self, s_hat: f64, rst: i64) -> bool {
        let rst = rst as f64;
        s_hat >= rst - self.window_s as f64 - self.eps_s && s_hat <= rst + self.eps_s
    }
}

/// One key's counts in one window.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KeyWindow {
    pub key: usize,
    /// The window's Reset value (its end, Unix seconds).
    pub reset: i64,
    /// Requests whose ŝ falls in the window.
    pub offered: u64,
    /// A_w: admitted responses attributed to the window.
    pub admitted: u64,
    pub limited: u64,
    pub saturated: bool,
    /// max(0, A_w − L).
    pub over: u64,
    /// 429s issued before the window's L-th admission could have happened.
    pub false_429: u64,
    pub rem: RemAccounting,
}

/// §4.3-H4 for one window: the admitted `rem` values against
/// {L−1, L−2, …, L−A_w}.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemAccounting {
    /// Admitted responses that carried a Remaining value.
    pub checked: u64,
    /// Repeated values (two requests saw the same count).
    pub dup: u64,
    /// Expected values never returned.
    pub gap: u64,
    /// Values outside the expected set.
    pub out_of_set: u64,
}

impl RemAccounting {
    pub fn add(&mut self, other: RemAccounting) {
        self.checked += other.checked;
        self.dup += other.dup;
        self.gap += other.gap;
        self.out_of_set += other.out_of_set;
    }
}

/// The boundary a key's windows are aligned to: the most common plausible
/// Reset value, or the Unix epoch when the target sends none.
pub fn reference_boundary(obs: &[&Obs], ctx: &Ctx) -> i64 {
    let mut votes: HashMap<i64, u64> = HashMap::new();
    for o in obs {
        if let Some(rst) = o.resp.rst
            && ctx.plausible(o.s_hat(ctx.epoch_unix), rst)
        {
            *votes.entry(rst).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by_key(|(rst, n)| (*n, *rst))
        .map_or(0, |(rst, _)| rst)
}

/// The window a response is attributed to: its Reset when plausible,
/// otherwise the window its ŝ falls in. The flag says whether the Reset was
/// used.
pub fn attribute(o: &Obs, ctx: &Ctx, b0: i64) -> (i64, bool) {
    let s = o.s_hat(ctx.epoch_unix);
    match o.resp.rst {
        Some(rst) if ctx.plausible(s, rst) => (rst, true),
        _ => (ctx.inferred_reset(s, b0), false),
    }
}

/// Per-window counts for the observations of one key.
pub fn key_windows(key: usize, obs: &[&Obs], ctx: &Ctx) -> Vec<KeyWindow> {
    let b0 = reference_boundary(obs, ctx);
    let mut windows: BTreeMap<i64, KeyWindow> = BTreeMap::new();
    let mut admitted: BTreeMap<i64, Vec<&Obs>> = BTreeMap::new();
    let mut limited: BTreeMap<i64, Vec<&Obs>> = BTreeMap::new();
    for o in obs {
        let offered_in = ctx.inferred_reset(o.s_hat(ctx.epoch_unix), b0);
        window(&mut windows, key, offered_in).offered += 1;
        let (w, _) = attribute(o, ctx, b0);
        match o.outcome() {
            Outcome::Admitted => admitted.entry(w).or_default().push(o),
            Outcome::Limited => limited.entry(w).or_default().push(o),
            Outcome::Other => {}
        }
    }
    for (w, list) in &admitted {
        let win = window(&mut windows, key, *w);
        win.admitted = list.len() as u64;
        win.over = win.admitted.saturating_sub(ctx.limit);
        win.rem = rem_accounting(list, ctx.limit);
    }
    for (w, list) in &limited {
        let in_window = admitted.get(w).map(Vec::as_slice).unwrap_or(&[]);
        let win = window(&mut windows, key, *w);
        win.limited = list.len() as u64;
        win.false_429 = list.iter().filter(|l| is_false_429(l, in_window, ctx.limit)).count() as u64;
    }
    let threshold = ctx.saturation_threshold();
    for win in windows.values_mut() {
        win.saturated = win.offered >= threshold || (ctx.polite && win.limited > 0);
    }
    windows.into_values().collect()
}

fn window(windows: &mut BTreeMap<i64, KeyWindow>, key: usize, reset: i64) -> &mut KeyWindow {
    windows.entry(reset).or_insert_with(|| KeyWindow {
        key,
        reset,
        ..KeyWindow::default()
    })
}

/// A 429 is false when even counting every admission of its window that
/// could have been decided before it (sent by the time the 429 came back), the
/// window had not reached L. Exact for a sequential client, and never a
/// false alarm under concurrency.
fn is_false_429(limited: &Obs, admitted_in_window: &[&Obs], limit: u64) -> bool {
    let possible = admitted_in_window.iter().filter(|a| a.t_snd <= limited.t_rcv).count() as u64;
    possible < limit
}

/// H4 for one window's admitted responses.
pub fn rem_accounting(admitted: &[&Obs], limit: u64) -> RemAccounting {
    let a_w = admitted.len() as i64;
    let limit = limit as i64;
    let expected = (limit - a_w)..=(limit - 1);
    let mut seen: HashMap<i64, u64> = HashMap::new();
    let mut acc = RemAccounting::default();
    for o in admitted {
        if let Some(rem) = o.resp.rem {
            acc.checked += 1;
            *seen.entry(rem).or_default() += 1;
            if !expected.contains(&rem) {
                acc.out_of_set += 1;
            }
        }
    }
    acc.dup = seen.values().map(|n| n - 1).sum();
    if acc.checked > 0 {
        acc.gap = expected.filter(|v| !seen.contains_key(v)).count() as u64;
    }
    acc
}

/// For a single sequential client: in receive order, Remaining must fall by
/// exactly one per admitted response within a window. Counts the steps that
/// do not.
pub fn order_violations(obs: &[&Obs], ctx: &Ctx) -> u64 {
    let b0 = reference_boundary(obs, ctx);
    let mut by_window: BTreeMap<i64, Vec<&Obs>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.outcome() == Outcome::Admitted) {
        by_window.entry(attribute(o, ctx, b0).0).or_default().push(o);
    }
    let mut violations = 0;
    for list in by_window.values_mut() {
        list.sort_by_key(|o| o.t_rcv);
        for pair in list.windows(2) {
            if let (Some(a), Some(b)) = (pair[0].resp.rem, pair[1].resp.rem)
                && a - b != 1
            {
                violations += 1;
            }
        }
    }
    violations
}

/// The sliding peak P: the most admissions (by ŝ) in any interval of
/// length W.
pub fn sliding_peak(obs: &[&Obs], ctx: &Ctx) -> u64 {
    let mut times: Vec<f64> = obs
        .iter()
        .filter(|o| o.outcome() == Outcome::Admitted)
        .map(|o| o.s_hat(ctx.epoch_unix))
        .collect();
    times.sort_by(f64::total_cmp);
    let w = ctx.window_s as f64;
    let (mut lo, mut best) = (0, 0);
    for hi in 0..times.len() {
        while times[hi] - times[lo] >= w {
            lo += 1;
        }
        best = best.max(hi + 1 - lo);
    }
    best as u64
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::fixtures::Tier;
    use crate::load::observe::{Captured, Phase};
    use std::time::Duration;

    pub const EPOCH: f64 = 1_700_000_000.0;

    pub fn ctx(limit: u64) -> Ctx {
        Ctx {
            limit,
            window_s: 2,
            epoch_unix: EPOCH,
            eps_s: 0.05,
            polite: false,
        }
    }

    /// A response at `t` seconds after the epoch (zero RTT), on key 0.
    pub fn obs(t: f64, status: u16, rem: Option<i64>, rst: Option<i64>) -> Obs {
        let at = Duration::from_secs_f64(t);
        Obs {
            tier: Tier::Standard,
            key: 0,
            user: 0,
            phase: Phase::Load,
            deliberate: false,
            t_int: at,
            t_snd: at,
            t_rcv: at,
            resp: Captured {
                status: Some(status),
                lim: Some(5),
                rem,
                rst,
                ..Captured::default()
            },
        }
    }

    /// An exact fixed-window limiter (L per 2 s window) seen by a client
    /// sending `n` requests evenly over `secs` seconds.
    pub fn exact(limit: u64, n: usize, secs: f64) -> Vec<Obs> {
        let mut count: HashMap<i64, u64> = HashMap::new();
        (0..n)
            .map(|i| {
                let t = 0.001 + secs * i as f64 / n as f64;
                let reset = EPOCH as i64 + ((t / 2.0).floor() as i64 + 1) * 2;
                let c = count.entry(reset).or_default();
                *c += 1;
                if *c <= limit {
                    obs(t, 200, Some((limit - *c) as i64), Some(reset))
                } else {
                    obs(t, 429, Some(0), Some(reset))
                }
            })
            .collect()
    }

    #[test]
    fn exact_limiter_is_judged_exact() {
        let all = exact(5, 60, 6.0);
        let refs: Vec<&Obs> = all.iter().collect();
        let ws = key_windows(0, &refs, &ctx(5));
        assert_eq!(ws.len(), 3);
        for w in &ws {
            assert_eq!((w.offered, w.admitted, w.limited), (20, 5, 15));
            assert!(w.saturated);
            assert_eq!((w.over, w.false_429), (0, 0));
            assert_eq!(
                w.rem,
                RemAccounting {
                    checked: 5,
                    dup: 0,
                    gap: 0,
                    out_of_set: 0
                }
            );
        }
        assert_eq!(order_violations(&refs, &ctx(5)), 0);
        // Admissions bunch at each window start here, so no W-interval holds more than L.
        assert_eq!(sliding_peak(&refs, &ctx(5)), 5);
    }

    #[test]
    fn over_admission_and_false_429s_are_counted() {
        let mut all = exact(5, 20, 2.0);
        all[5].resp.status = Some(200); // a sixth admission
        all[5].resp.rem = Some(0);
        all[2].resp.status = Some(429); // a 429 before the fifth admission
        let refs: Vec<&Obs> = all.iter().collect();
        let ws = key_windows(0, &refs, &ctx(5));
        assert_eq!(ws[0].over, 0, "5 admitted: 4 + the sixth");
        assert_eq!(ws[0].false_429, 1);
        all[2].resp.status = Some(200);
        let refs: Vec<&Obs> = all.iter().collect();
        let ws = key_windows(0, &refs, &ctx(5));
        assert_eq!((ws[0].admitted, ws[0].over), (6, 1));
    }

    #[test]
    fn reset_given_as_a_delta_is_attributed_by_server_time() {
        let mut all = exact(5, 40, 4.0);
        for o in &mut all {
            o.resp.rst = Some(2); // "2 seconds from now"
        }
        let refs: Vec<&Obs> = all.iter().collect();
        let ws = key_windows(0, &refs, &ctx(5));
        assert_eq!(ws.len(), 2);
        assert!(ws.iter().all(|w| w.admitted == 5 && w.over == 0));
    }

    #[test]
    fn duplicate_and_off_by_one_remaining() {
        let mut all = exact(5, 10, 2.0);
        all[1].resp.rem = all[0].resp.rem; // a duplicate
        let refs: Vec<&Obs> = all.iter().collect();
        let rem = key_windows(0, &refs, &ctx(5))[0].rem;
        assert_eq!((rem.dup, rem.gap, rem.out_of_set), (1, 1, 0));
        let mut all = exact(5, 10, 2.0);
        for o in all.iter_mut().filter(|o| o.resp.status == Some(200)) {
            o.resp.rem = o.resp.rem.map(|r| r + 1);
        }
        let refs: Vec<&Obs> = all.iter().collect();
        let rem = key_windows(0, &refs, &ctx(5))[0].rem;
        assert_eq!((rem.dup, rem.gap, rem.out_of_set), (0, 1, 1));
    }
}
