//! The clock a load run measures and waits with, and the run's cancellation.
//!
//! Every time the harness records is an offset from the clock's epoch (a
//! monotonic `Duration`), paired with the epoch's wall-clock time so offsets
//! convert to Unix seconds (LOAD-METRICS.md §4.1). Tests inject a
//! [`ManualClock`]: sleeping advances it at once, so Retry-After probing at a
//! 60 s window takes milliseconds (§4.7, option 1).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::Notify;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A source of time for measuring and for waiting.
pub trait Clock: Send + Sync + fmt::Debug {
    /// Time since the clock's epoch; never goes backwards.
    fn now(&self) -> Duration;
    /// The epoch as Unix seconds (the wall clock at offset zero).
    fn epoch_unix(&self) -> f64;
    /// Waits until `now() >= at`.
    fn sleep_until(&self, at: Duration) -> BoxFuture<'_, ()>;
    /// Whether time only moves when someone sleeps (a test clock).
    fn is_virtual(&self) -> bool {
        false
    }
    /// Unix seconds of an offset from this clock's epoch.
    fn unix(&self, at: Duration) -> f64 {
        self.epoch_unix() + at.as_secs_f64()
    }
    /// The current wall-clock time in Unix seconds.
    fn now_unix(&self) -> f64 {
        self.unix(self.now())
    }
}

/// The real clock: `Instant` for offsets, `SystemTime` once for the epoch.
#[derive(Debug, Clone)]
pub struct SystemClock {
    start: Instant,
    epoch_unix: f64,
}

impl SystemClock {
    pub fn new() -> Self {
        let epoch_unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64();
        Self {
            start: Instant::now(),
            epoch_unix,
        }
    }

    /// The offset of an `Instant` taken after this clock was made.
    pub fn offset_of(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.start)
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        self.start.elapsed()
    }
    fn epoch_unix(&self) -> f64 {
        self.epoch_unix
    }
    fn sleep_until(&self, at: Duration) -> BoxFuture<'_, ()> {
        let deadline = self.start + at;
        Box::pin(tokio::time::sleep_until(deadline.into()))
    }
}

/// A clock that stands still until someone sleeps; sleeping moves it
/// forward to the deadline at once. Share one between the harness and a
/// test double so both read the same virtual time.
#[derive(Debug)]
pub struct ManualClock {
    epoch_unix: f64,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock whose epoch is `epoch_unix` (Unix seconds).
    pub fn starting_at(epoch_unix: f64) -> Arc<Self> {
        Arc::new(Self {
            epoch_unix,
            offset: Mutex::new(Duration::ZERO),
        })
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().expect("clock lock") += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Duration {
        *self.offset.lock().expect("clock lock")
    }
    fn epoch_unix(&self) -> f64 {
        self.epoch_unix
    }
    fn sleep_until(&self, at: Duration) -> BoxFuture<'_, ()> {
        {
            let mut offset = self.offset.lock().expect("clock lock");
            if *offset < at {
                *offset = at;
            }
        }
        Box::pin(tokio::task::yield_now())
    }
    fn is_virtual(&self) -> bool {
        true
    }
}

/// Stops a run early (Ctrl-C). Cancelling also trips goose's killswitch so
/// a running goose attack ends and returns what it measured; goose's own
/// Ctrl-C handler trips the same killswitch, which this type also reads.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Debug, Default)]
struct CancelInner {
    flag: AtomicBool,
    notify: Notify,
}

impl Cancel {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn cancel(&self) {
        self.0.flag.store(true, Ordering::SeqCst);
        goose::trigger_killswitch("p11-harness load: interrupted");
        self.0.notify.notify_waiters();
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.flag.load(Ordering::SeqCst) || goose::is_killswitch_triggered()
    }

    /// Sleeps until `at` on `clock`, waking early when cancelled. Returns
    /// false when cancelled. Real sleeps are cut into short slices so that
    /// goose's killswitch (which has no waker) is noticed promptly.
    pub async fn sleep_until(&self, clock: &dyn Clock, at: Duration) -> bool {
        const SLICE: Duration = Duration::from_millis(100);
        while !self.is_cancelled() {
            let now = clock.now();
            if now >= at {
                return true;
            }
            let step = if clock.is_virtual() { at } else { (now + SLICE).min(at) };
            tokio::select! {
                _ = clock.sleep_until(step) => {}
                _ = self.0.notify.notified() => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_jumps_when_slept() {
        let clock = ManualClock::starting_at(1_700_000_000.0);
        assert_eq!(clock.now(), Duration::ZERO);
        let cancel = Cancel::new();
        assert!(cancel.sleep_until(clock.as_ref(), Duration::from_secs(60)).await);
        assert_eq!(clock.now(), Duration::from_secs(60));
        assert_eq!(clock.now_unix(), 1_700_000_060.0);
    }

    #[tokio::test]
    async fn system_clock_sleeps() {
        let clock = SystemClock::new();
        let cancel = Cancel::new();
        let at = clock.now() + Duration::from_millis(20);
        assert!(cancel.sleep_until(&clock, at).await);
        assert!(clock.now() >= at);
    }
}
