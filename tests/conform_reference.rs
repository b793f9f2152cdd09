//! Every shipped scenario, run through `conform::run` against the embedded
//! reference server over real TLS, must pass; the JUnit report must parse as
//! XML with one testcase per scenario, and the JSON report must match its
//! schema.

use std::path::{Path, PathBuf};
use std::time::Duration;

use p11_harness::conform::{ConformConfig, ScenarioStatus, Target, run};
use p11_harness::fixtures::Fixtures;
use p11_harness::server::{ServeConfig, TlsSetup};
use quick_xml::events::Event;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Counts elements by local name in an XML document, failing on malformed XML.
fn count_elements(xml: &str, name: &str) -> usize {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut n = 0;
    loop {
        match reader.read_event().expect("the JUnit report is well-formed XML") {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == name.as_bytes() => n += 1,
            Event::Eof => return n,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scenario_passes_against_the_embedded_reference_server() {
    p11_harness::http::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let mut config = ConformConfig::new(
        vec![scenarios_dir()],
        Target::Embedded {
            server: ServeConfig::new(Fixtures::builtin(), TlsSetup::Ephemeral),
        },
    );
    config.junit = Some(junit.clone());
    config.json = Some(json.clone());
    config.timeout = Duration::from_secs(20);
    let mut out = Vec::new();
    let summary = run(config, &mut out).await.expect("the run completes");
    let human = String::from_utf8(out).unwrap();

    assert!(summary.scenarios.len() >= 15, "{human}");
    for s in &summary.scenarios {
        assert_eq!(s.status, ScenarioStatus::Pass, "{} did not pass:\n{human}", s.id);
    }
    assert_eq!(summary.exit_code(), 0);
    assert!(!summary.interrupted);
    assert!(human.contains("PASS   RFC6750-3.1-insufficient_scope"), "{human}");
    assert!(
        human.contains(&format!("{} passed, 0 failed", summary.scenarios.len())),
        "{human}"
    );

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(count_elements(&xml, "testcase"), summary.scenarios.len(), "{xml}");
    assert_eq!(
        count_elements(&xml, "failure") + count_elements(&xml, "error"),
        0,
        "{xml}"
    );
    assert!(
        count_elements(&xml, "testsuite") >= 4,
        "one suite per spec group: {xml}"
    );

    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports-schema/conformance.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(report["summary"]["passed"], summary.scenarios.len());
}
