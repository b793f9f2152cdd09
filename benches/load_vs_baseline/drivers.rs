//! The two load generators the benchmark compares, each run on a
//! single-threaded tokio runtime of its own thread so that thread's CPU
//! time is the generator's whole cost:
//!
//! - `goose`: the `load` subcommand's load phase (`load::goose_run`), with
//!   its open-loop pacer, per-request µs timing and header capture;
//! - `baseline`: a tight tokio + reqwest loop with the same number of
//!   connections, the same trust and the same API key.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use p11_harness::fixtures::Tier;
use p11_harness::load::clock::SystemClock;
use p11_harness::load::config::RemoteTarget;
use p11_harness::load::goose_run::{self, Shared, TierPlan};
use p11_harness::load::observe::{Outcome, Recorder};
use p11_harness::load::target::KeyTable;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::cpu;

const TIMEOUT: Duration = Duration::from_secs(10);

/// What one generator did in its phase.
#[derive(Debug, Clone, Copy)]
pub struct Phase {
    pub admitted: u64,
    pub other: u64,
    /// From the first send to the last response.
    pub busy: Duration,
    /// CPU of the generator's thread over the whole phase (start-up and
    /// shut-down included: they are part of what a generator costs).
    pub client_cpu: Duration,
    /// CPU of the whole process over the phase: client plus server.
    pub process_cpu: Duration,
}

impl Phase {
    pub fn requests(&self) -> u64 {
        self.admitted + self.other
    }

    pub fn per_second(&self) -> f64 {
        self.requests() as f64 / self.busy.as_secs_f64().max(1e-9)
    }

    pub fn client_us_per_request(&self) -> f64 {
        self.client_cpu.as_secs_f64() * 1e6 / self.requests().max(1) as f64
    }

    pub fn process_us_per_request(&self) -> f64 {
        self.process_cpu.as_secs_f64() * 1e6 / self.requests().max(1) as f64
    }
}

/// Runs `drive` on a fresh thread with a current-thread runtime and
/// measures the CPU around it, on that thread and for the process.
fn on_own_thread<F, Fut>(drive: F) -> Phase
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: Future<Output = (u64, u64, Duration)>,
{
    std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let (thread0, process0) = (cpu::this_thread(), cpu::process());
            let (admitted, other, busy) = rt.block_on(drive());
            drop(rt);
            Phase {
                admitted,
                other,
                busy,
                client_cpu: cpu::this_thread() - thread0,
                process_cpu: cpu::process() - process0,
            }
        })
        .unwrap()
        .join()
        .unwrap()
}

/// The `load` machinery: goose with the harness's scenario, `users` users
/// on the target's enterprise key, offered far above what they can send
/// (ρ = 100 of a huge limit), so the pacer never waits: closed loop.
pub fn goose(remote: &RemoteTarget, users: usize, duration: Duration) -> Phase {
    let remote = remote.clone();
    on_own_thread(move || async move {
        goose::reset_killswitch();
        let recorder = Arc::new(Recorder::new());
        let tiers = [Tier::Enterprise];
        let keys = Arc::new(KeyTable::new(&remote, &tiers));
        let limit = remote.tiers[&Tier::Enterprise].limit;
        let shared = Arc::new(Shared {
            recorder: recorder.clone(),
            clock: Arc::new(SystemClock::new()),
            trust: remote.trust.clone(),
            timeout: TIMEOUT,
            path: remote.path.clone(),
            window: Duration::from_secs(60),
            load_factor: 100.0,
            polite: true,
            start_at: HashMap::new(),
            blocked: Default::default(),
            keys: keys.clone(),
        });
        let plan = Arc::new(TierPlan::new(
            Tier::Enterprise,
            limit,
            keys.of_tier(Tier::Enterprise, &tiers, &remote),
            users,
        ));
        let config = goose::config::GooseConfiguration::default();
        goose_run::run(shared, vec![plan], &remote.base_url, duration, config)
            .await
            .expect("the goose phase runs");
        let obs = recorder.snapshot();
        let admitted = obs.iter().filter(|o| o.outcome() == Outcome::Admitted).count() as u64;
        let busy = match (obs.first(), obs.iter().map(|o| o.t_rcv).max()) {
            (Some(first), Some(last)) => last.saturating_sub(first.t_snd),
            _ => Duration::ZERO,
        };
        (admitted, obs.len() as u64 - admitted, busy)
    })
}

/// The plain generator: `users` tasks, each with its own client (one
/// connection, as each goose user has), sending back to back for
/// `duration`.
pub fn baseline(remote: &RemoteTarget, users: usize, duration: Duration) -> Phase {
    let remote = remote.clone();
    on_own_thread(move || async move {
        let url = format!("{}{}", remote.base_url, remote.path);
        let secret = remote.tiers[&Tier::Enterprise].keys[0].secret.expose().to_owned();
        let started = Instant::now();
        let stop = started + duration;
        let tasks: Vec<_> = (0..users)
            .map(|_| tokio::spawn(send_until(client(&remote, &secret), url.clone(), stop)))
            .collect();
        let (mut admitted, mut other) = (0, 0);
        for task in tasks {
            let (a, o) = task.await.unwrap();
            (admitted, other) = (admitted + a, other + o);
        }
        (admitted, other, started.elapsed())
    })
}

fn client(remote: &RemoteTarget, secret: &str) -> reqwest::Client {
    let mut auth = HeaderValue::from_str(&format!("Bearer {secret}")).unwrap();
    auth.set_sensitive(true);
    let headers = HeaderMap::from_iter([(AUTHORIZATION, auth)]);
    p11_harness::http::client_builder(&remote.trust, TIMEOUT)
        .unwrap()
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn send_until(client: reqwest::Client, url: String, stop: Instant) -> (u64, u64) {
    let (mut admitted, mut other) = (0, 0);
    while Instant::now() < stop {
        match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                admitted += 1;
            }
            _ => other += 1,
        }
    }
    (admitted, other)
}
