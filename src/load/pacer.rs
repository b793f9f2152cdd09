//! The per-user open-loop schedule of the load phase (LOAD-METRICS.md
//! §4.8): each user sends at fixed intended times, independent of how long
//! responses take, so lateness and response time from the intended start
//! are measurable. In polite mode a 429's Retry-After pushes the key's next
//! send past it; the slots it covers are dropped, not backfilled.

use std::time::Duration;

/// How the users of one key share its offered load.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeySchedule {
    /// Time between one user's intended sends.
    pub period: Duration,
    /// Offset of this user's first send within a period.
    pub offset: Duration,
}

/// The schedule of the `slot`-th of `users_on_key` users on a key whose
/// limit is `limit` per `window`, offered `load_factor` × the limit.
pub fn schedule(limit: u64, window: Duration, load_factor: f64, users_on_key: usize, slot: usize) -> KeySchedule {
    let per_key_rate = load_factor * limit as f64 / window.as_secs_f64();
    let users = users_on_key.max(1) as f64;
    let period = Duration::from_secs_f64(users / per_key_rate);
    KeySchedule {
        period,
        offset: period.mul_f64(slot as f64 / users),
    }
}

/// How many of `users` users, dealt round-robin over `keys` keys, land on
/// key number `key`.
pub fn users_on_key(users: usize, keys: usize, key: usize) -> usize {
    users / keys + usize::from(key < users % keys)
}

/// The next intended send after one at `sent_slot`: one period on, but in
/// polite mode never before the key's Retry-After expires.
pub fn next_slot(sent_slot: Duration, period: Duration, blocked_until: Option<Duration>) -> Duration {
    let next = sent_slot + period;
    blocked_until.map_or(next, |b| next.max(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offered_load_is_the_factor_times_the_limit() {
        // 100 per 60 s at 1.5× over 4 users: 2.5 req/s, each user every 1.6 s.
        let s = schedule(100, Duration::from_secs(60), 1.5, 4, 1);
        assert_eq!(s.period, Duration::from_millis(1600));
        assert_eq!(s.offset, Duration::from_millis(400));
    }

    #[test]
    fn users_are_dealt_over_keys() {
        assert_eq!((0..3).map(|k| users_on_key(7, 3, k)).collect::<Vec<_>>(), vec![3, 2, 2]);
    }

    #[test]
    fn polite_mode_waits_out_retry_after() {
        let p = Duration::from_millis(100);
        assert_eq!(next_slot(Duration::from_secs(1), p, None), Duration::from_millis(1100));
        let blocked = Some(Duration::from_secs(3));
        assert_eq!(next_slot(Duration::from_secs(1), p, blocked), Duration::from_secs(3));
    }
}
