//! Fixed-window rate limits: windows of `rate_window` seconds aligned to the
//! Unix epoch, read through the server's clock. Deciding and counting happen
//! under one lock, so the limit is exact under concurrency.
//!
//! State is bounded: the first request of each new window sweeps out the
//! windows that have ended, so the map holds only keys seen in the current
//! window (plus, for the `retry-after-too-short` fault, keys refused in the
//! previous one). A flood of distinct keys costs memory for one window, and
//! the sweep is O(entries) once per window: amortised O(1) per request.
//!
//! Point11: limits apply per API key and per OAuth client; the token
//! endpoint also throttles failed client authentication (RFC 6749 §2.3.1
//! asks for protection against brute force).

use std::collections::HashMap;
use std::sync::Mutex;

/// What a limit counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LimitKey {
    /// An API key account (fixture name): rotated keys share the account's
    /// budget, so rotation cannot double it.
    ApiKey(String),
    /// The access tokens of one OAuth client.
    Client(String),
    /// Failed authentications of one client id at the token endpoint
    /// (`None`: ids we do not know, which share one budget).
    AuthFailures(Option<String>),
}

/// The verdict on one request, and what the rate-limit headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    /// Left in this window after this request; 0 when blocked.
    pub remaining: u64,
    /// Unix seconds at which the window ends.
    pub reset_secs: i64,
    /// Whole seconds until the window ends, rounded up, at least 1.
    pub retry_after_secs: u64,
    /// Requests refused in this window so far, this one included.
    pub refused: u64,
}

#[derive(Debug)]
pub struct RateLimiter {
    window_ms: i64,
    state: Mutex<State>,
}

/// Everything behind the one lock.
#[derive(Debug, Default)]
struct State {
    windows: HashMap<LimitKey, Window>,
    /// Start of the window the last sweep was for.
    swept_for_ms: Option<i64>,
}

impl State {
    /// Drops windows that ended before `start_ms`, once per window. Kept:
    /// windows of `start_ms` itself (their counts are live), and refused
    /// keys of the window just before, which `carry_refusals` reads.
    fn sweep(&mut self, start_ms: i64, window_ms: i64) {
        if self.swept_for_ms == Some(start_ms) {
            return;
        }
        self.swept_for_ms = Some(start_ms);
        self.windows
            .retain(|_, w| w.start_ms == start_ms || (w.refused > 0 && w.start_ms == start_ms - window_ms));
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    start_ms: i64,
    count: u64,
    refused: u64,
}

impl RateLimiter {
    pub fn new(window: std::time::Duration) -> Self {
        Self {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1),
            state: Mutex::default(),
        }
    }

    /// Counts one request against `key` if it is within `limit`.
    pub fn hit(&self, key: LimitKey, limit: u64, now_ms: i64) -> Decision {
        self.hit_with(key, limit, now_ms, false)
    }

    /// [`Self::hit`]. With `carry_refusals` (only the `retry-after-too-short`
    /// fault), a key refused in the window that just ended starts this one
    /// exhausted, so the Retry-After it was given was too short.
    pub fn hit_with(&self, key: LimitKey, limit: u64, now_ms: i64, carry_refusals: bool) -> Decision {
        self.with_window(key, limit, now_ms, carry_refusals, |w| {
            let allowed = w.count < limit;
            if allowed {
                w.count += 1;
            } else {
                w.refused = w.refused.saturating_add(1);
            }
            allowed
        })
    }

    /// Whether `key` is still within `limit` in this window, without counting.
    pub fn check(&self, key: LimitKey, limit: u64, now_ms: i64) -> Decision {
        self.with_window(key, limit, now_ms, false, |w| w.count < limit)
    }

    /// Counts one event against `key` (failed authentications).
    pub fn record(&self, key: LimitKey, now_ms: i64) {
        self.with_window(key, u64::MAX, now_ms, false, |w| {
            w.count = w.count.saturating_add(1);
            true
        });
    }

    pub fn clear(&self) {
        self.state.lock().expect("rate limiter lock").windows.clear();
    }

    /// How many keys hold state (tests of the eviction).
    #[cfg(test)]
    fn tracked(&self) -> usize {
        self.state.lock().expect("rate limiter lock").windows.len()
    }

    /// Runs `decide` on the current window of `key` under the lock.
    fn with_window(
        &self,
        key: LimitKey,
        limit: u64,
        now_ms: i64,
        carry_refusals: bool,
        decide: impl FnOnce(&mut Window) -> bool,
    ) -> Decision {
        let start_ms = now_ms - now_ms.rem_euclid(self.window_ms);
        let mut state = self.state.lock().expect("rate limiter lock");
        state.sweep(start_ms, self.window_ms);
        let fresh = Window {
            start_ms,
            count: 0,
            refused: 0,
        };
        let window = state.windows.entry(key).or_insert(fresh);
        if window.start_ms != start_ms {
            let carried = carry_refusals && window.refused > 0 && window.start_ms == start_ms - self.window_ms;
            *window = Window {
                count: if carried { limit } else { 0 },
                ..fresh
            };
        }
        let allowed = decide(window);
        let end_ms = start_ms + self.window_ms;
        Decision {
            allowed,
            limit,
            remaining: if allowed { limit.saturating_sub(window.count) } else { 0 },
            // Rounded up, so that the reset is never before the window ends.
            reset_secs: (end_ms + 999).div_euclid(1000),
            retry_after_secs: u64::try_from((end_ms - now_ms + 999) / 1000).unwrap_or(1).max(1),
            refused: window.refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const NOW_MS: i64 = 1_706_140_800_000; // a multiple of 60 s

    #[test]
    fn counts_down_then_blocks_until_the_window_ends() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let key = || LimitKey::ApiKey("K".into());
        let first = limiter.hit(key(), 3, NOW_MS + 500);
        assert_eq!(
            (first.allowed, first.remaining, first.reset_secs),
            (true, 2, 1_706_140_860)
        );
        limiter.hit(key(), 3, NOW_MS + 600);
        assert_eq!(limiter.hit(key(), 3, NOW_MS + 700).remaining, 0);
        let blocked = limiter.hit(key(), 3, NOW_MS + 59_001);
        assert_eq!(
            (blocked.allowed, blocked.remaining, blocked.retry_after_secs),
            (false, 0, 1)
        );
        let blocked = limiter.hit(key(), 3, NOW_MS + 1_000);
        assert_eq!(blocked.retry_after_secs, 59);
        assert!(limiter.hit(key(), 3, NOW_MS + 60_000).allowed, "a new window");
    }

    #[test]
    fn refusals_are_counted_and_carried_only_when_asked() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let key = || LimitKey::ApiKey("K".into());
        assert!(limiter.hit_with(key(), 1, NOW_MS, true).allowed);
        assert_eq!(limiter.hit_with(key(), 1, NOW_MS, true).refused, 1);
        assert_eq!(limiter.hit_with(key(), 1, NOW_MS, true).refused, 2);
        assert!(!limiter.hit_with(key(), 1, NOW_MS + 60_000, true).allowed, "carried");
        assert!(limiter.hit(key(), 1, NOW_MS + 180_000).allowed, "not carried");
    }

    #[test]
    fn keys_are_independent() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        assert!(limiter.hit(LimitKey::Client("a".into()), 1, NOW_MS).allowed);
        assert!(!limiter.hit(LimitKey::Client("a".into()), 1, NOW_MS).allowed);
        assert!(limiter.hit(LimitKey::Client("b".into()), 1, NOW_MS).allowed);
    }

    /// Issue 4: 256 concurrent requests on one key admit exactly the limit,
    /// and no two admitted ones share a Remaining (LOAD-METRICS.md §4.5).
    #[test]
    fn exact_under_concurrency() {
        const N: usize = 256;
        const LIMIT: u64 = 100;
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let start = std::sync::Barrier::new(N);
        let decisions: Vec<Decision> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..N)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        limiter.hit(LimitKey::ApiKey("K".into()), LIMIT, NOW_MS)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut remaining: Vec<u64> = decisions.iter().filter(|d| d.allowed).map(|d| d.remaining).collect();
        remaining.sort_unstable();
        // §4.3-H4: the admitted Remainings are exactly {L-1, ..., 0}.
        assert_eq!(remaining, (0..LIMIT).collect::<Vec<_>>());
        assert!(decisions.iter().filter(|d| !d.allowed).all(|d| d.remaining == 0));
    }

    #[test]
    fn a_flood_of_distinct_keys_is_evicted_once_its_window_ends() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        // Fewer than any size trigger would notice: eviction is by window.
        for i in 0..1_000 {
            limiter.hit(LimitKey::Client(format!("flood-{i}")), 5, NOW_MS + 1_000);
        }
        assert_eq!(limiter.tracked(), 1_000, "all active in this window: kept");
        let next = NOW_MS + 60_000;
        limiter.hit(LimitKey::Client("a".into()), 5, next);
        limiter.hit(LimitKey::Client("b".into()), 5, next + 10);
        assert_eq!(limiter.tracked(), 2, "only the keys active in the new window");
    }

    #[test]
    fn a_key_active_in_the_current_window_keeps_its_count() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let key = || LimitKey::ApiKey("K".into());
        let next = NOW_MS + 60_000;
        limiter.hit(LimitKey::Client("old".into()), 5, NOW_MS);
        limiter.hit(key(), 3, next);
        limiter.hit(key(), 3, next + 1);
        // Another sweep trigger in the same window must not touch K: a
        // flood of new keys arriving later in the window.
        for i in 0..2_000 {
            limiter.hit(LimitKey::Client(format!("flood-{i}")), 5, next + 2);
        }
        assert_eq!(limiter.hit(key(), 3, next + 59_999).remaining, 0, "its third hit");
        assert!(!limiter.hit(key(), 3, next + 59_999).allowed);
        assert_eq!(limiter.tracked(), 2_001, "the old window's key is gone");
    }

    #[test]
    fn refusals_survive_one_sweep_for_the_carry_fault_then_go() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let key = || LimitKey::ApiKey("K".into());
        limiter.hit_with(key(), 1, NOW_MS, true);
        limiter.hit_with(key(), 1, NOW_MS, true);
        limiter.hit(LimitKey::Client("x".into()), 1, NOW_MS + 60_000);
        assert_eq!(limiter.tracked(), 2, "K was refused last window: kept");
        limiter.hit(LimitKey::Client("x".into()), 1, NOW_MS + 120_000);
        assert_eq!(limiter.tracked(), 1);
    }

    #[test]
    fn failures_are_checked_without_counting() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let key = || LimitKey::AuthFailures(Some("c".into()));
        limiter.record(key(), NOW_MS);
        assert!(limiter.check(key(), 2, NOW_MS).allowed);
        limiter.record(key(), NOW_MS);
        assert!(!limiter.check(key(), 2, NOW_MS).allowed);
    }
}
