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
        "--max-p99",
        "250ms",
        "--no-progress",
        "--out",
        out,
    ])
    .await;
    println!("{stdout}");
    assert_eq!(code.unwrap(), 1);
    assert!(stdout.contains("FAIL max-over-admission [standard]"), "{stdout}");
    assert!(stdout.contains("no saturated window to judge accuracy on"), "{stdout}");
    // The load phase was skipped, so nothing was timed: the p99 gate has
    // nothing to judge and must not pass.
    assert!(stdout.contains("no 2xx responses were timed"), "{stdout}");
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

/// Two workers' interval logs, merged by `report merge`, equal one
/// histogram that recorded every value of both: same count, min, max and
/// percentiles (HDR addition is lossless). Read back through hdrhistogram's
/// own interval-log reader, not the printed table.
#[tokio::test]
async fn report_merge_adds_workers_histograms() {
    use hdrhistogram::Histogram;
    use p11_harness::load::latency::new_histogram;

    let dir = tempfile::tempdir().unwrap();
    let mut single = new_histogram();
    let mut paths = Vec::new();
    // Overlapping ranges and overlapping seconds: worker 0 in seconds 0-2,
    // 100 µs to ~0.5 s; worker 1 in seconds 1-3, 2 ms to ~2 s.
    for (worker, base, span) in [(0u64, 100u64, 500_000u64), (1, 2_000, 2_000_000)] {
        let intervals = worker_intervals(worker, base, span, &mut single);
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
    assert!(merged.join("standard-2xx-service.hgrm").exists());
    let totals = read_hlog(&merged.join("merged.hlog"));
    assert_eq!(totals.keys().collect::<Vec<_>>(), ["standard.2xx.service"]);
    let m: &Histogram<u64> = &totals["standard.2xx.service"];
    assert_eq!((m.len(), m.min(), m.max()), (single.len(), single.min(), single.max()));
    assert_eq!(m.len(), 2 * 3 * 400);
    for q in [0.5, 0.9, 0.99, 0.999] {
        assert_eq!(m.value_at_quantile(q), single.value_at_quantile(q), "p{}", q * 100.0);
    }
    assert!(*m == single, "every bucket count equal");

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

type Intervals = std::collections::BTreeMap<
    u64,
    std::collections::BTreeMap<p11_harness::load::latency::Cell, hdrhistogram::Histogram<u64>>,
>;

/// One worker's log: 400 spread values per second for three seconds from
/// second `worker`, each also recorded into `single`.
fn worker_intervals(worker: u64, base: u64, span: u64, single: &mut hdrhistogram::Histogram<u64>) -> Intervals {
    use p11_harness::fixtures::Tier;
    use p11_harness::load::latency::{Cell, Metric, new_histogram};
    use p11_harness::load::observe::Outcome;
    let cell = Cell {
        tier: Tier::Standard,
        outcome: Outcome::Admitted,
        metric: Metric::Service,
    };
    (worker..worker + 3)
        .map(|second| {
            let mut h = new_histogram();
            for i in 0..400u64 {
                // A quadratic residue walk: spread over the span, not uniform.
                let v = base + (i * i * 7_919 + second * 104_729) % span;
                h.record(v).unwrap();
                single.record(v).unwrap();
            }
            (second, std::collections::BTreeMap::from([(cell, h)]))
        })
        .collect()
}

/// Every interval of an `.hlog`, summed per tag, through hdrhistogram.
fn read_hlog(path: &std::path::Path) -> std::collections::BTreeMap<String, hdrhistogram::Histogram<u64>> {
    use base64::Engine as _;
    use hdrhistogram::serialization::Deserializer;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    let bytes = std::fs::read(path).unwrap();
    let mut totals = std::collections::BTreeMap::new();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(i) = entry.unwrap() {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(i.encoded_histogram())
                .unwrap();
            let h: hdrhistogram::Histogram<u64> = deserializer.deserialize(&mut std::io::Cursor::new(raw)).unwrap();
            let tag = i.tag().unwrap().as_str().to_owned();
            totals
                .entry(tag)
                .or_insert_with(p11_harness::load::latency::new_histogram)
                .add(&h)
                .unwrap();
        }
    }
    totals
}
