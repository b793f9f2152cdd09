//! The `load` subcommand: drives load at a target's rate limits and judges
//! how accurately it enforces them, how honest its Retry-After is, and how
//! fast it answers, as LOAD-METRICS.md defines.
//!
//! A run resolves its target, runs the deterministic probes per tier
//! (`probes`), then the goose load phase (`goose_run`), all recording into
//! one [`observe::Recorder`]. After timing stops, `metrics` and `latency`
//! turn the observations into a [`summary::Summary`], the gates judge it,
//! and `report` writes it out. Ctrl-C ([`clock::Cancel`]) ends the running
//! phase early; what was measured is still judged and written.

pub mod args;
pub mod clock;
pub mod config;
pub mod gates;
pub mod goose_run;
pub mod latency;
pub mod merge;
pub mod metrics;
pub mod observe;
pub mod pacer;
pub mod probes;
pub mod progress;
pub mod report;
pub mod summary;
pub mod target;

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::fixtures::Tier;
use crate::load::config::{ConfigError, LoadConfig, PhaseKind, RemoteTarget};
use crate::load::metrics::retry_after::RaSample;
use crate::load::observe::Recorder;
use crate::load::probes::Prober;
use crate::load::progress::Progress;
use crate::load::summary::{Skipped, Summary};
use crate::load::target::KeyTable;

pub use config::{Gates, LoadConfig as Config, TargetSpec};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Target(String),
    #[error("target unreachable: {0}")]
    Unreachable(String),
    #[error("cannot write the report: {0}")]
    Io(String),
    #[error("{0}")]
    Goose(String),
}

impl LoadError {
    /// Whether the user asked for something impossible (exit 2) rather than
    /// something failing at run time (exit 3).
    pub fn is_usage(&self) -> bool {
        matches!(self, LoadError::Config(_))
    }
}

/// The result of a run: the summary and where its reports are.
#[derive(Debug)]
pub struct LoadOutcome {
    pub summary: Summary,
    pub dir: PathBuf,
}

impl LoadOutcome {
    pub fn passed(&self) -> bool {
        self.summary.passed
    }
}

/// Runs a load run and writes its reports; prints the table to `out`.
pub async fn run(config: LoadConfig, out: &mut (dyn Write + Send)) -> Result<LoadOutcome, LoadError> {
    config.validate()?;
    goose::reset_killswitch();
    let resolved = target::resolve(&config.target, config.window).await?;
    let result = run_against(&config, &resolved.remote, resolved.kind, out).await;
    resolved.shutdown().await;
    result
}

/// What the measuring part of a run produced.
struct Measured {
    samples: Vec<RaSample>,
    skipped: Vec<Skipped>,
    goose_failed: Vec<String>,
}

async fn run_against(
    config: &LoadConfig,
    remote: &RemoteTarget,
    kind: &'static str,
    out: &mut (dyn Write + Send),
) -> Result<LoadOutcome, LoadError> {
    let started = time::OffsetDateTime::now_utc();
    let client =
        crate::http::client(&remote.trust, config.request_timeout).map_err(|e| LoadError::Target(e.to_string()))?;
    let url = format!("{}{}", remote.base_url.trim_end_matches('/'), remote.path);
    preflight(&client, &url).await?;
    let keys = Arc::new(KeyTable::new(remote, &config.tiers));
    let recorder = Arc::new(Recorder::new());
    let progress = Progress::new(config.progress, recorder.clone(), config.tiers.clone());
    let measured = measure(config, remote, &client, &url, &keys, &recorder, &progress).await;
    progress.finish();
    let measured = measured?;
    let finished = time::OffsetDateTime::now_utc();
    let built = report::build(report::BuildInput {
        config,
        remote,
        kind,
        keys: &keys,
        obs: recorder.snapshot(),
        samples: measured.samples,
        skipped: measured.skipped,
        goose_failed: measured.goose_failed,
        started,
        finished,
    });
    let dir = report::write_all(&config.out_dir, started, &built).map_err(|e| LoadError::Io(e.to_string()))?;
    report::table::write(out, &built.summary, &dir).map_err(|e| LoadError::Io(e.to_string()))?;
    Ok(LoadOutcome {
        summary: built.summary,
        dir,
    })
}

/// One unauthenticated request: a target that cannot be reached (or whose
/// TLS cannot be trusted) is an error before any load is sent.
async fn preflight(client: &reqwest::Client, url: &str) -> Result<(), LoadError> {
    match client.get(url).send().await {
        Ok(r) => {
            let _ = r.bytes().await;
            Ok(())
        }
        Err(e) => Err(LoadError::Unreachable(format!("{url}: {}", error_chain(&e)))),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn measure(
    config: &LoadConfig,
    remote: &RemoteTarget,
    client: &reqwest::Client,
    url: &str,
    keys: &Arc<KeyTable>,
    recorder: &Arc<Recorder>,
    progress: &Progress,
) -> Result<Measured, LoadError> {
    let (samples, skipped, boundaries) = run_probes(config, remote, client, url, keys, recorder, progress).await;
    let mut goose_failed = Vec::new();
    if config.runs(PhaseKind::Load) && !config.cancel.is_cancelled() {
        progress.phase("load (goose)");
        let shared = Arc::new(goose_run::Shared {
            recorder: recorder.clone(),
            clock: config.clock.clone(),
            keys: keys.clone(),
            trust: remote.trust.clone(),
            timeout: config.request_timeout,
            path: remote.path.clone(),
            window: config.window,
            load_factor: config.load_factor,
            polite: config.polite,
            start_at: boundaries
                .into_iter()
                .map(|(k, b)| (k, b + Duration::from_millis(20)))
                .collect(),
            blocked: Default::default(),
        });
        let plans = config
            .tiers
            .iter()
            .map(|t| {
                let k = keys.of_tier(*t, &config.tiers, remote);
                Arc::new(goose_run::TierPlan::new(
                    *t,
                    remote.tiers[t].limit,
                    k,
                    config.users_per_tier,
                ))
            })
            .collect();
        let outcome = goose_run::run(shared, plans, &remote.base_url, config.duration, config.goose.clone())
            .await
            .map_err(LoadError::Goose)?;
        goose_failed = outcome.thresholds_failed;
    }
    Ok(Measured {
        samples,
        skipped,
        goose_failed,
    })
}

type ProbeResults = (Vec<RaSample>, Vec<Skipped>, HashMap<usize, Duration>);

/// Runs each tier's probes, concurrently on a real clock (each tier has its
/// own key) and one tier after another on a virtual one (sleeping moves the
/// shared clock for everyone).
async fn run_probes(
    config: &LoadConfig,
    remote: &RemoteTarget,
    client: &reqwest::Client,
    url: &str,
    keys: &Arc<KeyTable>,
    recorder: &Arc<Recorder>,
    progress: &Progress,
) -> ProbeResults {
    let (trust, timeout) = (remote.trust.clone(), config.request_timeout);
    let new_client: Arc<dyn Fn(usize) -> Option<reqwest::Client> + Send + Sync> = Arc::new(move |n| {
        let builder = crate::http::client_builder(&trust, timeout).ok()?;
        builder.http1_only().pool_max_idle_per_host(n).build().ok()
    });
    let say = |m: &str| progress.phase(m);
    let tier_run = |tier: Tier| {
        let prober = Prober::new(
            client.clone(),
            url.to_owned(),
            keys.clone(),
            config.clock.clone(),
            config.cancel.clone(),
            recorder.clone(),
            config.window,
            tier,
            remote.tiers[&tier].limit,
            new_client.clone(),
        );
        let own = keys.of_tier(tier, &config.tiers, remote);
        let neighbour = keys
            .neighbour_for(&config.tiers, remote, tier)
            .map(|nb| (nb, remote.tiers.get(&keys.entries[nb].0).map_or(1, |t| t.limit)));
        let say = &say;
        async move {
            let output = probes::run_tier(&prober, config, own[0], neighbour, say).await;
            (tier, output, probes::boundaries(&prober))
        }
    };
    let results = if config.clock.is_virtual() {
        let mut all = Vec::new();
        for tier in &config.tiers {
            all.push(tier_run(*tier).await);
        }
        all
    } else {
        futures::future::join_all(config.tiers.iter().map(|t| tier_run(*t))).await
    };
    let (mut samples, mut skipped, mut boundaries) = (Vec::new(), Vec::new(), HashMap::new());
    for (tier, output, b) in results {
        samples.extend(output.samples);
        skipped.extend(output.skipped.into_iter().map(|(phase, reason)| Skipped {
            tier: tier.as_str().to_owned(),
            phase,
            reason,
        }));
        boundaries.extend(b);
    }
    (samples, skipped, boundaries)
}
