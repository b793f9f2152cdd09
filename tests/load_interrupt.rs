//! Ctrl-C: a cancelled run stops the goose phase early and still writes
//! what it measured. Its own test binary, since cancelling trips goose's
//! process-wide killswitch.

mod load_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use load_support::{Fault, Limiter, serve, target};
use p11_harness::fixtures::Tier;
use p11_harness::load::clock::SystemClock;
use p11_harness::load::config::{LoadConfig, PhaseKind, TargetSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_run_writes_what_it_measured() {
    let clock = Arc::new(SystemClock::new());
    let server = serve(Limiter::new(clock.clone(), 2, Fault::None)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = LoadConfig::new(TargetSpec::Remote(target(&server.uri())));
    config.clock = clock;
    config.window = Duration::from_secs(2);
    config.duration = Duration::from_secs(60);
    config.tiers = vec![Tier::Standard];
    config.phases = [PhaseKind::First429, PhaseKind::Load].into();
    config.out_dir = dir.path().to_owned();
    let cancel = config.cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(4000)).await;
        cancel.cancel(); // what the Ctrl-C handler in run.rs does
    });
    let started = Instant::now();
    let mut table = Vec::new();
    let outcome = p11_harness::load::run(config, &mut table).await.unwrap();
    let took = started.elapsed();
    println!("{}\nstopped after {took:?}", String::from_utf8_lossy(&table));
    assert!(took < Duration::from_secs(15), "the 60 s run stopped early: {took:?}");
    let s = &outcome.summary;
    assert!(s.interrupted);
    assert!(!s.passed, "an interrupted run never passes");
    assert!(s.tiers[0].metrics.requests.total > 0);
    assert!(!s.tiers[0].latency.is_empty(), "the load phase's latencies are kept");
    assert!(outcome.dir.join("summary.json").exists() && outcome.dir.join("report.html").exists());
    goose::reset_killswitch();
}
