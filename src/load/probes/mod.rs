//! The deterministic probe driver (LOAD-METRICS.md §4.8, last point): a
//! small tokio + reqwest client that runs the conformance probes on one
//! tier's key — n₁, isolation, Retry-After honesty and slack, the penalty
//! extension and the concurrency bursts — recording into the same
//! [`Recorder`] the goose load phase uses.
//!
//! Every loop here is bounded by a request count and by time, and stops
//! when the run is cancelled.

pub mod bursts;
pub mod first_limit;
pub mod retry_after;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::fixtures::Tier;
use crate::load::clock::{Cancel, Clock};
use crate::load::config::{LoadConfig, PhaseKind};
use crate::load::metrics::retry_after::RaSample;
use crate::load::observe::{Captured, Obs, Outcome, Phase, Recorder};
use crate::load::target::KeyTable;

/// δ: the spacing of recovery probes.
pub const PROBE_SPACING: Duration = Duration::from_millis(50);
/// How long after a window's Reset instant a "fresh window" probe starts.
const FRESH_MARGIN: Duration = Duration::from_millis(20);

/// Everything the probes of one tier share.
#[derive(Clone)]
pub struct Prober {
    pub client: reqwest::Client,
    pub url: String,
    pub keys: Arc<KeyTable>,
    pub clock: Arc<dyn Clock>,
    pub cancel: Cancel,
    pub recorder: Arc<Recorder>,
    pub window: Duration,
    pub tier: Tier,
    pub limit: u64,
    /// Builds an HTTP/1.1 client whose pool keeps N connections (the
    /// concurrency bursts).
    pub new_client: Arc<dyn Fn(usize) -> Option<reqwest::Client> + Send + Sync>,
    /// Per key: the run-clock offset of the latest known window end.
    boundaries: Arc<Mutex<HashMap<usize, Duration>>>,
    /// Per key: until when the last polite request's 429 says to wait.
    blocked: Arc<Mutex<HashMap<usize, Duration>>>,
    samples: Arc<Mutex<Vec<RaSample>>>,
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("url", &self.url)
            .field("tier", &self.tier)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

/// When a key recovered (T_rec), known to lie in (low, high]: between the
/// last refused probe and the first admitted one (run-clock ŝ offsets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    pub low: Duration,
    pub high: Duration,
}

/// What the tier's probes found besides observations.
#[derive(Debug, Default)]
pub struct ProbeOutput {
    pub samples: Vec<RaSample>,
    /// Why a phase did not run, if it was skipped.
    pub skipped: Vec<(PhaseKind, String)>,
}

impl Prober {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: reqwest::Client,
        url: String,
        keys: Arc<KeyTable>,
        clock: Arc<dyn Clock>,
        cancel: Cancel,
        recorder: Arc<Recorder>,
        window: Duration,
        tier: Tier,
        limit: u64,
        new_client: Arc<dyn Fn(usize) -> Option<reqwest::Client> + Send + Sync>,
    ) -> Self {
        Self {
            client,
            url,
            keys,
            clock,
            cancel,
            recorder,
            window,
            tier,
            limit,
            new_client,
            boundaries: Arc::default(),
            blocked: Arc::default(),
            samples: Arc::default(),
        }
    }

    /// Sends one request on `key` with `client`, records it and returns it.
    pub async fn send_with(
        &self,
        client: &reqwest::Client,
        key: usize,
        phase: Phase,
        user: u32,
        deliberate: bool,
    ) -> Obs {
        let t_snd = self.clock.now();
        let response = client
            .get(&self.url)
            .bearer_auth(self.keys.secret(key).expose())
            .send()
            .await;
        let t_rcv = self.clock.now();
        let resp = match response {
            Ok(r) => {
                let captured = Captured::from_response(r.status().as_u16(), r.headers());
                let _ = tokio::time::timeout(Duration::from_secs(5), r.bytes()).await;
                captured
            }
            Err(_) => Captured::transport_error(),
        };
        let obs = Obs {
            tier: self.keys.entries[key].0,
            key,
            user,
            phase,
            deliberate,
            t_int: t_snd,
            t_snd,
            t_rcv,
            resp,
        };
        self.note_boundary(&obs);
        self.note_retry_after(&obs);
        self.recorder.push(obs.clone());
        obs
    }

    pub async fn send(&self, key: usize, phase: Phase, deliberate: bool) -> Obs {
        self.send_with(&self.client, key, phase, 0, deliberate).await
    }

    /// Remembers where the key's current window ends, from its Reset: a
    /// timestamp, or (a non-conforming target) a delta in seconds.
    fn note_boundary(&self, o: &Obs) {
        let Some(rst) = o.resp.rst else { return };
        let epoch = self.clock.epoch_unix();
        let s_hat = o.s_hat(epoch);
        let end_unix = if rst > 1_000_000_000 {
            rst as f64
        } else {
            s_hat + rst as f64
        };
        if end_unix > s_hat && end_unix - s_hat <= self.window.as_secs_f64() + 2.0 {
            let offset = Duration::from_secs_f64((end_unix - epoch).max(0.0));
            self.boundaries.lock().expect("boundaries lock").insert(o.key, offset);
        }
    }

    /// A polite request's 429 starts a wait; any admission ends it.
    fn note_retry_after(&self, o: &Obs) {
        let mut blocked = self.blocked.lock().expect("blocked lock");
        match o.outcome() {
            Outcome::Admitted => {
                blocked.remove(&o.key);
            }
            Outcome::Limited if !o.deliberate => {
                if let Some(ra) = o.ra_secs() {
                    let until = o.t_rcv + Duration::from_secs_f64(ra);
                    let entry = blocked.entry(o.key).or_default();
                    *entry = (*entry).max(until);
                }
            }
            _ => {}
        }
    }

    /// Waits out the key's current Retry-After, if any (the harness never
    /// sends a polite request before it expires). False when cancelled.
    pub async fn wait_polite(&self, key: usize) -> bool {
        let until = self.blocked.lock().expect("blocked lock").get(&key).copied();
        match until {
            Some(until) => self.cancel.sleep_until(self.clock.as_ref(), until).await,
            None => !self.cancel.is_cancelled(),
        }
    }

    /// Waits until just after the key's current window ends; sends one
    /// scout request first when the window end is unknown. Returns false
    /// when cancelled.
    pub async fn wait_fresh_window(&self, key: usize) -> bool {
        let now = self.clock.now();
        let known = self.boundaries.lock().expect("boundaries lock").get(&key).copied();
        let end = match known {
            Some(end) if end > now => end,
            _ => {
                self.send(key, Phase::Scout, false).await;
                let known = self.boundaries.lock().expect("boundaries lock").get(&key).copied();
                known
                    .filter(|end| *end > self.clock.now())
                    .unwrap_or_else(|| self.epoch_aligned_end())
            }
        };
        self.cancel.sleep_until(self.clock.as_ref(), end + FRESH_MARGIN).await
    }

    /// The next multiple of W in Unix time, for a target that sends no Reset.
    fn epoch_aligned_end(&self) -> Duration {
        let w = self.window.as_secs_f64();
        let now = self.clock.now_unix();
        let end = ((now / w).floor() + 1.0) * w;
        Duration::from_secs_f64(end - self.clock.epoch_unix())
    }

    /// Sends sequentially until the first 429 (bounded by 2L + 20 requests
    /// and a window plus a second). Returns the 429.
    pub async fn exhaust(&self, key: usize, phase: Phase, limit: u64) -> Option<Obs> {
        if !self.wait_polite(key).await {
            return None;
        }
        let deadline = self.clock.now() + self.window + Duration::from_secs(1);
        for _ in 0..(2 * limit + 20) {
            if self.cancel.is_cancelled() || self.clock.now() > deadline {
                return None;
            }
            let o = self.send(key, phase, false).await;
            if o.outcome() == Outcome::Limited {
                return Some(o);
            }
        }
        None
    }

    /// Probes every δ from `from` until a request is admitted, giving up at
    /// `until`. Every probe is deliberate: probing through a Retry-After is
    /// the measurement. Returns when recovery happened, as ŝ bounds: after
    /// the last refused probe (or `refused_at`) and by the admitted one.
    pub async fn probe_until_admitted(
        &self,
        key: usize,
        phase: Phase,
        refused_at: Duration,
        from: Duration,
        until: Duration,
    ) -> Option<Recovery> {
        let (mut at, mut low) = (from, refused_at);
        while at <= until {
            if !self.cancel.sleep_until(self.clock.as_ref(), at).await {
                return None;
            }
            let o = self.send(key, phase, true).await;
            let s_hat = (o.t_snd + o.t_rcv) / 2;
            if o.outcome() == Outcome::Admitted {
                return Some(Recovery { low, high: s_hat });
            }
            low = s_hat;
            at = self.clock.now().max(at + PROBE_SPACING);
        }
        None
    }

    pub fn push_sample(&self, sample: RaSample) {
        self.samples.lock().expect("samples lock").push(sample);
    }

    pub fn take_samples(&self) -> Vec<RaSample> {
        std::mem::take(&mut *self.samples.lock().expect("samples lock"))
    }

    /// ε for probes timed off a 429: 50 ms plus its round trip.
    pub fn eps(o: &Obs) -> Duration {
        Duration::from_millis(50) + o.rtt()
    }
}

/// The order a tier's probe phases run in, each from a fresh window.
pub async fn run_tier(
    prober: &Prober,
    config: &LoadConfig,
    key: usize,
    neighbour: Option<(usize, u64)>,
    progress: &dyn Fn(&str),
) -> ProbeOutput {
    let mut out = ProbeOutput::default();
    let tier = prober.tier.as_str();
    if config.runs(PhaseKind::First429) && !prober.cancel.is_cancelled() {
        progress(&format!("{tier}: first 429"));
        first_limit::first_429(prober, key).await;
    }
    if config.runs(PhaseKind::Isolation) && !prober.cancel.is_cancelled() {
        match neighbour {
            Some((nb, nb_limit)) => {
                progress(&format!("{tier}: isolation"));
                first_limit::isolation(prober, key, nb, nb_limit).await;
            }
            None => out.skipped.push((
                PhaseKind::Isolation,
                "needs a second key of the tier or a spare key (name one in the profile)".into(),
            )),
        }
    }
    if config.runs(PhaseKind::RetryAfter) && !prober.cancel.is_cancelled() {
        for i in 0..config.ra_samples {
            progress(&format!("{tier}: retry-after {}/{}", i + 1, config.ra_samples));
            retry_after::honesty(prober, key).await;
            retry_after::recovery(prober, key).await;
        }
    }
    if config.runs(PhaseKind::Penalty) && !prober.cancel.is_cancelled() {
        progress(&format!("{tier}: penalty"));
        retry_after::penalty(prober, key).await;
    }
    if config.runs(PhaseKind::Concurrency) && !prober.cancel.is_cancelled() {
        for n in &config.concurrency {
            progress(&format!("{tier}: concurrency N={n}"));
            bursts::burst(prober, key, *n).await;
        }
    }
    out.samples = prober.take_samples();
    out
}

/// The end of each key's current window, as far as the probes saw.
pub fn boundaries(prober: &Prober) -> HashMap<usize, Duration> {
    prober.boundaries.lock().expect("boundaries lock").clone()
}
