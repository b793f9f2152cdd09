//! `load` and `report merge` through the command line, in-process: exit
//! codes, the gate's reason on stdout, and merging two workers' logs.

mod load_support;

use clap::Parser;
use load_support::{Fault, Limiter, serve};
use p11_harness::cli::Cli;
use p11_harness::load::clock::SystemClock;

async fn run(argv: &[&str]) -> (Result<u8, p11_harness::Error>, String) {
    p11_harness::http::install_crypto_provider();
    let mut full = vec!["p11-harness"];
    full.extend_from_slice(argv);
    let mut out = Vec::new();
    let code = p11_harness::run(Cli::try_parse_from(full).unwrap(), &mut out).await;
    (code, String::from_utf8(out).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_gate_exits_1_with_the_reason() {
    let server = serve(Limiter::new(
        std::sync::Arc::new(SystemClock::new()),
        1,
        Fault::OverAdmit10,
    ))
    .await;
    let dir = tempfile::tempdir().unwrap();
    let uri = server.uri();
    let out = dir.path().to_str().unwrap();
    let (code, stdout) = run(&[
        "load",
        "--target",
        &uri,
        "--allow-http",
        "--tier",
        "standard",
        "--window",
        "1s",
        "--skip",
        "isolation",
        "--skip",
        "retry-after",
        "--skip",
        "penalty",
        "--skip",
        "concurrency",
        "--skip",
        "load",
        "--max-over-admission",
        "0",
        "--min-accuracy",
        "0.99",
        "--no-progress",
        "--out",
        out,
    ])
    .await;
    println!("{stdout}");
    assert_eq!(code.unwrap(), 1);
    assert!(stdout.contains("FAIL max-over-admission [standard]"), "{stdout}");
    assert!(stdout.contains("no saturated window to judge accuracy on"), "{stdout}");
    assert!(
        stdout.contains("first 429 n1 (n1-L-1)") && stdout.contains("111 (+10)"),
        "n1 = 1.1 L + 1 = 111: {stdout}"
    );
}

#[tokio::test]
async fn usage_and_unreachable_targets_are_errors() {
    let (code, _) = run(&["load", "--target", "http://127.0.0.1:9", "--skip", "load"]).await;
    assert_eq!(
        code.unwrap_err().exit_code(),
        p11_harness::EXIT_USAGE,
        "plain HTTP needs --allow-http"
    );
    let (code, _) = run(&[
        "load",
        "--target",
        "http://127.0.0.1:9",
        "--allow-http",
        "--skip",
        "load",
        "--no-progress",
    ])
    .await;
    let err = code.unwrap_err();
    assert_eq!(err.exit_code(), p11_harness::EXIT_RUNTIME, "{err}");
    assert!(err.to_string().contains("unreachable"), "{err}");
}

/// Without --target, `load` measures an embedded reference server (here
/// with a 2 s window): an exact limiter, so n1 = L + 1 and nothing fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_reference_server_limits_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout) = run(&[
        "load",
        "--tier",
        "standard",
        "--window",
        "2s",
        "--skip",
        "load",
        "--skip",
        "penalty",
        "--skip",
        "concurrency",
        "--no-progress",
        "--out",
        dir.path().to_str().unwrap(),
    ])
    .await;
    assert_eq!(code.unwrap(), 0, "{stdout}");
    assert!(
        stdout.contains("first 429 n1 (n1-L-1)") && stdout.contains("101 (+0)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("header rules failed") && stdout.contains("none"),
        "{stdout}"
    );
}

#[tokio::test]
async fn report_merge_adds_workers_histograms() {
    use p11_harness::fixtures::Tier;
    use p11_harness::load::latency::{Cell, Metric, new_histogram};
    use p11_harness::load::observe::Outcome;
    use std::collections::BTreeMap;

    let dir = tempfile::tempdir().unwrap();
    let cell = Cell {
        tier: Tier::Standard,
        outcome: Outcome::Admitted,
        metric: Metric::Service,
    };
    let mut paths = Vec::new();
    for (worker, base) in [(0u64, 1000u64), (1, 5000)] {
        let mut h = new_histogram();
        for v in 0..100 {
            h.record(base + v).unwrap();
        }
        let intervals = BTreeMap::from([(worker, BTreeMap::from([(cell, h)]))]);
        let path = dir.path().join(format!("worker{worker}.hlog"));
        let mut file = std::fs::File::create(&path).unwrap();
        p11_harness::load::report::hlog::write(&mut file, &intervals, 1_700_000_000.0).unwrap();
        paths.push(path.to_str().unwrap().to_owned());
    }
    let merged = dir.path().join("merged");
    let (code, stdout) = run(&[
        "report",
        "merge",
        &paths[0],
        &paths[1],
        "--out",
        merged.to_str().unwrap(),
    ])
    .await;
    println!("{stdout}");
    assert_eq!(code.unwrap(), 0);
    assert!(
        stdout.contains("standard.2xx.service") && stdout.contains("      200"),
        "{stdout}"
    );
    let hgrm = std::fs::read_to_string(merged.join("standard-2xx-service.hgrm")).unwrap();
    assert!(hgrm.contains("Total count    =          200]"), "{hgrm}");
    assert!(merged.join("merged.hlog").exists());
    let (code, _) = run(&[
        "report",
        "merge",
        dir.path().join("nope.hlog").to_str().unwrap(),
        "--out",
        merged.to_str().unwrap(),
    ])
    .await;
    assert_eq!(code.unwrap_err().exit_code(), p11_harness::EXIT_USAGE);
}
