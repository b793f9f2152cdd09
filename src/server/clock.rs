//! The server's clock: wall time (or a fixed instant, in tests) plus an offset
//! that the harness can advance, so token and code expiry and rate-limit
//! windows can be exercised without waiting. Every time read in the server
//! goes through it.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// About a thousand years, in milliseconds: far beyond any test's need.
pub const MAX_OFFSET_MS: i64 = 1000 * 366 * 86_400 * 1000;

#[derive(Debug)]
pub struct Clock {
    base: Base,
    offset_ms: AtomicI64,
}

#[derive(Debug, Clone, Copy)]
enum Base {
    System,
    /// A frozen instant in Unix milliseconds: deterministic tests.
    Fixed(i64),
}

impl Clock {
    /// Wall-clock time.
    pub fn system() -> Self {
        Self {
            base: Base::System,
            offset_ms: AtomicI64::new(0),
        }
    }

    /// A clock that stands still at `unix_secs` unless advanced.
    pub fn fixed(unix_secs: i64) -> Self {
        Self {
            base: Base::Fixed(unix_secs.saturating_mul(1000)),
            offset_ms: AtomicI64::new(0),
        }
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        let base = match self.base {
            Base::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Base::Fixed(ms) => ms,
        };
        base.saturating_add(self.offset_ms.load(Ordering::SeqCst))
    }

    /// Now, in whole Unix seconds (rounded down).
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    pub fn offset_secs(&self) -> i64 {
        self.offset_ms.load(Ordering::SeqCst).div_euclid(1000)
    }

    /// Moves the clock by `secs` (negative moves it back). The offset is
    /// kept within ±[`MAX_OFFSET_MS`], so that the arithmetic on times
    /// downstream (expiry, windows) cannot overflow whatever the harness
    /// asks for.
    pub fn advance(&self, secs: i64) {
        let step = secs.saturating_mul(1000);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |offset| {
                Some(offset.saturating_add(step).clamp(-MAX_OFFSET_MS, MAX_OFFSET_MS))
            });
    }

    /// Back to the base time.
    pub fn reset(&self) {
        self.offset_ms.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_advances_and_resets() {
        let clock = Clock::fixed(1_706_140_800);
        assert_eq!(clock.now_secs(), 1_706_140_800);
        clock.advance(3601);
        assert_eq!(clock.now_secs(), 1_706_144_401);
        assert_eq!(clock.offset_secs(), 3601);
        clock.reset();
        assert_eq!(clock.now_ms(), 1_706_140_800_000);
    }

    #[test]
    fn advancing_saturates_at_the_bound() {
        let clock = Clock::fixed(1_706_140_800);
        clock.advance(i64::MAX);
        clock.advance(i64::MAX);
        assert_eq!(clock.offset_secs(), MAX_OFFSET_MS / 1000);
        clock.advance(i64::MIN);
        assert_eq!(clock.offset_secs(), -MAX_OFFSET_MS / 1000);
    }

    #[test]
    fn system_clock_is_near_wall_time() {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        assert!((Clock::system().now_secs() - wall).abs() <= 1);
    }
}
