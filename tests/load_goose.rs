//! The goose load phase end to end, in real time with a 2 s window: an
//! exact limiter passes the accuracy gates, a 10%-over-admitting one fails
//! them with the reason; the reports are written, match their schema and
//! hold no API key. One test, so the two goose attacks never overlap in
//! the process (goose keeps its Ctrl-C state in a global).

mod load_support;

use std::time::Duration;

use load_support::{Fault, Limiter, assert_matches_schema, assert_no_secret_in, serve, target};
use p11_harness::fixtures::Tier;
use p11_harness::load::clock::SystemClock;
use p11_harness::load::config::{Gates, LoadConfig, PhaseKind, TargetSpec};
use p11_harness::load::latency::Metric;
use p11_harness::load::observe::Outcome;
use p11_harness::load::{LoadOutcome, run};

async fn goose_run(fault: Fault, out: &std::path::Path) -> (LoadOutcome, String) {
    let clock = std::sync::Arc::new(SystemClock::new());
    let server = serve(Limiter::new(clock.clone(), 2, fault)).await;
    let mut config = LoadConfig::new(TargetSpec::Remote(target(&server.uri())));
    config.clock = clock;
    config.window = Duration::from_secs(2);
    config.duration = Duration::from_secs(5);
    config.users_per_tier = 3;
    config.tiers = vec![Tier::Standard, Tier::Professional];
    config.phases = [PhaseKind::Load].into();
    config.out_dir = out.to_owned();
    config.gates = Gates {
        min_accuracy: Some(0.99),
        max_over_admission: Some(0.0),
        max_p99: Some(Duration::from_secs(2)),
    };
    let mut table = Vec::new();
    let outcome = run(config, &mut table).await.expect("the run completes");
    let table = String::from_utf8(table).unwrap();
    println!("--- {fault:?}\n{table}");
    (outcome, table)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goose_load_judges_accuracy_and_writes_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (exact, _) = goose_run(Fault::None, dir.path()).await;
    for t in &exact.summary.tiers {
        let a = &t.metrics.admission;
        assert!(a.saturated_windows >= 1, "{}: {a:?}", t.metrics.tier.as_str());
        assert_eq!(a.accuracy, Some(1.0), "{}: {a:?}", t.metrics.tier.as_str());
        assert_eq!((a.over_admission, a.false_429), (0, 0));
        assert!(t.metrics.compliance.polite && t.metrics.compliance.checked > 0);
        assert_eq!(t.metrics.compliance.violations, 0, "the harness waits out Retry-After");
        let cells: Vec<(Outcome, Metric)> = t.latency.iter().map(|p| (p.outcome, p.metric)).collect();
        for metric in [Metric::Service, Metric::Response, Metric::Lateness] {
            assert!(cells.contains(&(Outcome::Admitted, metric)) && cells.contains(&(Outcome::Limited, metric)));
        }
    }
    assert!(exact.passed(), "{:?}", exact.summary.gates);

    let files: Vec<String> = std::fs::read_dir(&exact.dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for needed in [
        "summary.json",
        "latency.hlog",
        "report.html",
        "standard-2xx-service.hgrm",
        "professional-429-lateness.hgrm",
    ] {
        assert!(files.iter().any(|f| f == needed), "{needed} missing from {files:?}");
    }
    let html = std::fs::read_to_string(exact.dir.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("<script") && !html.contains("http://cdn"));
    assert_matches_schema(&exact.dir.join("summary.json"));
    assert_no_secret_in(&exact.dir);

    let (over, table) = goose_run(Fault::OverAdmit10, dir.path()).await;
    assert!(!over.passed());
    let std_tier = &over.summary.tiers[0];
    let accuracy = std_tier.metrics.admission.accuracy.unwrap();
    assert!((accuracy - 0.9).abs() < 1e-9, "admits 11 of 10: {accuracy}");
    let failed: Vec<_> = over
        .summary
        .gates
        .iter()
        .filter(|g| !g.passed)
        .map(|g| g.gate)
        .collect();
    assert!(
        failed.contains(&"min-accuracy") && failed.contains(&"max-over-admission"),
        "{failed:?}"
    );
    assert!(table.contains("FAIL min-accuracy [standard]") && table.contains("admission ratio ranged"));
}
