//! `cargo bench --bench load_vs_baseline`: how much the `load` machinery
//! (goose plus the harness's pacing, timing and header capture) costs
//! against a plain tokio + reqwest loop, on the same target in the same
//! run (issue 4, "Benchmark"; LOAD-METRICS.md quotes ~68 µs of client CPU
//! per request for goose and ~22 µs for oha).
//!
//! The target is the reference server in-process on 127.0.0.1:0 over TLS,
//! on a runtime of its own, loaded through LIVE_ENT with a custom limit no
//! run can reach. Each generator runs for a few seconds on one thread;
//! the figures are printed, never asserted.

mod cpu;
mod drivers;

use std::time::Duration;

use p11_harness::fixtures::{Fixtures, Tier};
use p11_harness::load::config::RemoteTarget;
use p11_harness::load::target::{Shutdown, embedded_target};

/// Connections (goose users, baseline tasks) per generator.
const USERS: usize = 16;
const DURATION: Duration = Duration::from_secs(4);
/// LIVE_ENT's custom limit per window: far above what 2 × 4 s can send.
const LIMIT: u64 = 1_000_000_000;

fn main() {
    p11_harness::http::install_crypto_provider();
    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-server")
        .enable_all()
        .build()
        .unwrap();
    let (remote, shutdown) = server_rt.block_on(start_server());
    println!(
        "target: {}{} (in-process, TLS), {USERS} connections, {DURATION:?} per generator",
        remote.base_url, remote.path
    );

    let load = drivers::goose(&remote, USERS, DURATION);
    let baseline = drivers::baseline(&remote, USERS, DURATION);
    print_table(&load, &baseline);

    server_rt.block_on(shutdown());
}

/// The embedded reference server with LIVE_ENT's limit raised out of the
/// way, and the target description that names it.
async fn start_server() -> (RemoteTarget, Shutdown) {
    let mut fixtures = Fixtures::builtin();
    let ent = fixtures
        .api_keys
        .iter_mut()
        .find(|k| k.name == "LIVE_ENT")
        .expect("LIVE_ENT");
    ent.limit = Some(LIMIT);
    let (mut remote, shutdown) = embedded_target(&fixtures, Duration::from_secs(60))
        .await
        .expect("the server starts");
    remote.tiers.get_mut(&Tier::Enterprise).expect("enterprise").limit = LIMIT;
    (remote, shutdown)
}

fn print_table(load: &drivers::Phase, baseline: &drivers::Phase) {
    println!(
        "{:<10} {:>9} {:>7} {:>10} {:>14} {:>15}",
        "generator", "requests", "non-2xx", "req/s", "client µs/req", "process µs/req"
    );
    for (name, p) in [("load", load), ("baseline", baseline)] {
        println!(
            "{:<10} {:>9} {:>7} {:>10.0} {:>14.1} {:>15.1}",
            name,
            p.requests(),
            p.other,
            p.per_second(),
            p.client_us_per_request(),
            p.process_us_per_request()
        );
    }
    println!(
        "ratio load/baseline: req/s {:.2}, client CPU per request {:.2}",
        load.per_second() / baseline.per_second().max(1e-9),
        load.client_us_per_request() / baseline.client_us_per_request().max(1e-9)
    );
    println!("(client: the generator's own thread; process: client + in-process server)");
}
