//! summary.json's output contract: a run's summary matches the published
//! JSON Schema, and the schema names the version the code writes.

mod load_support;

use load_support::{Fault, PROBES, assert_matches_schema, assert_no_secret_in, probe_run};
use p11_harness::fixtures::Tier;
use p11_harness::load::summary::{SCHEMA_ID, SCHEMA_VERSION};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    // A faulty double, so that nullable and failing fields are exercised too.
    let (outcome, _) = probe_run(
        Fault::RetryAfterShort,
        &[Tier::Standard, Tier::Professional],
        PROBES,
        dir.path(),
    )
    .await;
    assert_matches_schema(&outcome.dir.join("summary.json"));
    assert_no_secret_in(&outcome.dir);
}

#[test]
fn schema_names_the_version_the_code_writes() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/load-summary.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(schema["properties"]["schema"]["const"], SCHEMA_ID);
    assert_eq!(schema["properties"]["version"]["const"], SCHEMA_VERSION);
}
