//! Fixed-window rate limits: windows of `rate_window` seconds aligned to the
//! Unix epoch, read through the server's clock. Deciding and counting happen
//! under one lock, so the limit is exact under concurrency.
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
    windows: Mutex<HashMap<LimitKey, Window>>,
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
            windows: Mutex::new(HashMap::new()),
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
        self.windows.lock().expect("rate limiter lock").clear();
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
        let mut windows = self.windows.lock().expect("rate limiter lock");
        // Entries of past windows are dead weight: drop them now and then.
        if windows.len() > 1024 {
            windows.retain(|_, w| w.start_ms == start_ms);
        }
        let fresh = Window {
            start_ms,
            count: 0,
            refused: 0,
        };
        let window = windows.entry(key).or_insert(fresh);
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

    #[test]
    fn exact_under_concurrency() {
        let limiter = RateLimiter::new(Duration::from_secs(60));
        let allowed: usize = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        (0..50)
                            .filter(|_| limiter.hit(LimitKey::ApiKey("K".into()), 100, NOW_MS).allowed)
                            .count()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        });
        assert_eq!(allowed, 100);
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
