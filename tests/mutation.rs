//! The mutation test: every fault of the reference server's catalogue
//! (`serve --list-faults`) is injected in turn into an embedded server, the
//! whole scenario catalogue runs against it, and
//!
//! - every scenario the fault names must report the violation (FAIL, or the
//!   verdict its level gives: WARN for SHOULD, INFO for MAY/ADVISORY), and
//! - every other scenario must come out exactly as on a clean server: a
//!   fault breaks one rule, not the server.
//!
//! It prints `mutation score: caught/total`. Every scenario must be named by
//! at least one fault, so the score covers the catalogue.
//!
//! `P11_MUTATION_FAULTS=name,name` runs only those faults (for development).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use p11_harness::conform::{ConformConfig, Outcome, RunSummary, ScenarioResult, ScenarioStatus, Target, run_until};
use p11_harness::fixtures::Fixtures;
use p11_harness::server::{Fault, Faults, ServeConfig, TlsSetup};

/// Catalogue runs at a time: enough to overlap the scenarios' waits, few
/// enough for a 2-core CI runner.
const CONCURRENCY: usize = 4;

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

async fn run_catalogue(faults: Faults) -> RunSummary {
    let mut server = ServeConfig::new(Fixtures::builtin(), TlsSetup::Ephemeral);
    server.faults = faults;
    let mut config = ConformConfig::new(vec![scenarios_dir()], Target::Embedded { server });
    config.timeout = Duration::from_secs(30);
    let mut out = Vec::new();
    let summary = run_until(config, &mut out, std::future::pending()).await;
    summary.unwrap_or_else(|e| panic!("the run completes: {e}\n{}", String::from_utf8_lossy(&out)))
}

/// The checks that did not hold, in words.
fn violations(s: &ScenarioResult) -> Vec<String> {
    s.checks()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn | Outcome::Info))
        .map(|c| {
            format!(
                "[{}] {} {}: expected {}, got {}",
                c.outcome.as_str(),
                c.id.as_deref().unwrap_or("-"),
                c.subject,
                c.expected,
                c.actual
            )
        })
        .collect()
}

/// The scenario reported a violation at its level.
fn detected(s: &ScenarioResult) -> bool {
    matches!(s.status, ScenarioStatus::Fail | ScenarioStatus::Warn) || !violations(s).is_empty()
}

fn describe(s: &ScenarioResult) -> String {
    let status = match &s.status {
        ScenarioStatus::Error { message } => format!("ERROR {message}"),
        ScenarioStatus::Skip { reason } => format!("SKIP {reason}"),
        other => format!("{other:?}"),
    };
    let mut text = format!("{} -> {status}", s.id);
    for v in violations(s) {
        text.push_str(&format!("\n      {v}"));
    }
    text
}

fn selected_faults() -> Vec<Fault> {
    match std::env::var("P11_MUTATION_FAULTS") {
        Ok(names) if !names.trim().is_empty() => names
            .split(',')
            .map(|n| Fault::from_name(n.trim()).unwrap_or_else(|e| panic!("{e}")))
            .collect(),
        _ => Fault::ALL.to_vec(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_trips_its_checks_and_only_those() {
    p11_harness::http::install_crypto_provider();
    let started = Instant::now();

    let clean = run_catalogue(Faults::none()).await;
    let baseline: BTreeMap<String, ScenarioResult> =
        clean.scenarios.iter().map(|s| (s.id.clone(), s.clone())).collect();
    for s in baseline.values() {
        let ok = matches!(s.status, ScenarioStatus::Pass | ScenarioStatus::Skip { .. }) && violations(s).is_empty();
        assert!(ok, "the clean server must pass every scenario: {}", describe(s));
    }

    // Static coverage: each scenario that runs here is named by a fault, and
    // each name is a scenario. Scenarios the reference server cannot run
    // (they skip, with the reason) are listed.
    let ids: BTreeSet<&str> = baseline.keys().map(String::as_str).collect();
    let runnable: BTreeSet<&str> = baseline
        .values()
        .filter(|s| !matches!(s.status, ScenarioStatus::Skip { .. }))
        .map(|s| s.id.as_str())
        .collect();
    for s in baseline.values() {
        if let ScenarioStatus::Skip { reason } = &s.status {
            println!("skipped {}: {reason}", s.id);
        }
    }
    let named: BTreeSet<&str> = Fault::ALL.iter().flat_map(|f| f.trips().iter().copied()).collect();
    let uncovered: Vec<&&str> = runnable.difference(&named).collect();
    let listed: BTreeSet<&str> = Fault::ALL
        .iter()
        .flat_map(|f| f.trips().iter().chain(f.collateral()).copied())
        .collect();
    let unknown: Vec<&&str> = listed.difference(&ids).collect();
    assert!(uncovered.is_empty(), "scenarios no fault trips: {uncovered:?}");
    assert!(
        unknown.is_empty(),
        "faults name checks that have no scenario: {unknown:?}"
    );

    let faults = selected_faults();
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let runs: Vec<_> = faults
        .iter()
        .map(|&fault| {
            let permits = permits.clone();
            tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.expect("the semaphore stays open");
                let t = Instant::now();
                (fault, run_catalogue(fault.into()).await, t.elapsed())
            })
        })
        .collect();

    let mut caught = 0;
    let mut problems = Vec::new();
    for run in runs {
        let (fault, summary, took) = run.await.expect("the fault run does not panic");
        let trips: BTreeSet<&str> = fault.trips().iter().copied().collect();
        let may_change: BTreeSet<&str> = fault.collateral().iter().copied().collect();
        let mut missed = Vec::new();
        let mut collateral = Vec::new();
        for s in &summary.scenarios {
            if trips.contains(s.id.as_str()) {
                if !detected(s) {
                    missed.push(describe(s));
                }
            } else if !may_change.contains(s.id.as_str()) {
                let before = &baseline[&s.id];
                if s.status != before.status || !violations(s).is_empty() {
                    collateral.push(describe(s));
                }
            }
        }
        let verdict = if missed.is_empty() { "caught" } else { "MISSED" };
        println!(
            "{verdict:7} {:40} {:>5.1}s  trips {}",
            fault.name(),
            took.as_secs_f64(),
            trips.len()
        );
        if missed.is_empty() {
            caught += 1;
        } else {
            problems.push(format!(
                "fault {}: not detected by\n    {}",
                fault.name(),
                missed.join("\n    ")
            ));
        }
        if !collateral.is_empty() {
            problems.push(format!(
                "fault {}: also changed (narrow the fault, or list them as collateral when they stand on the broken behaviour)\n    {}",
                fault.name(),
                collateral.join("\n    ")
            ));
        }
    }
    println!(
        "mutation score: {caught}/{} ({} scenarios, {:.1}s)",
        faults.len(),
        baseline.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
