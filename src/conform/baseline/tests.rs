use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::conform::level::Level;
use crate::conform::result::{CheckKind, CheckResult, StepResult, StepStatus};
use crate::conform::scenario::SourceLocation;

fn check(id: Option<&str>, outcome: Outcome) -> CheckResult {
    CheckResult {
        id: id.map(str::to_owned),
        kind: CheckKind::Expect,
        subject: "status".into(),
        expected: "= 403".into(),
        actual: "401".into(),
        outcome,
        level: Level::Must,
        setup: false,
        reference: "RFC 6750 §3.1".into(),
        location: SourceLocation {
            file: PathBuf::from("s.toml"),
            line: 1,
            column: 1,
        },
        from_macro: None,
        note: None,
    }
}

fn scenario(id: &str, status: ScenarioStatus, checks: Vec<CheckResult>) -> ScenarioResult {
    ScenarioResult {
        id: id.into(),
        title: "t".into(),
        reference: "r".into(),
        level: Level::Must,
        tags: Vec::new(),
        file: PathBuf::from("s.toml"),
        status,
        duration: Duration::ZERO,
        steps: vec![StepResult {
            index: 1,
            name: "step".into(),
            status: StepStatus::Pass,
            duration: Duration::ZERO,
            checks,
            exchange: None,
            error: None,
        }],
    }
}

/// Each scenario with the checks `status`, `challenge`, `gone` and `x`.
fn catalogue(ids: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let checks: BTreeSet<String> = ["status", "challenge", "gone", "x"].map(str::to_owned).into();
    ids.iter().map(|s| ((*s).to_owned(), checks.clone())).collect()
}

fn baseline(dir: &tempfile::TempDir, text: &str, ids: &[&str]) -> Result<Baseline, ConformError> {
    let path = dir.path().join("baseline.toml");
    std::fs::write(&path, text).unwrap();
    Baseline::load(&path, &catalogue(ids))
}

#[test]
fn listed_failures_are_known_new_ones_are_not_and_passing_entries_are_stale() {
    let dir = tempfile::tempdir().unwrap();
    let b = baseline(
        &dir,
        "known = [\"A\", \"B#status\", \"C\", \"D#gone\"]\n",
        &["A", "B", "C", "D", "E"],
    )
    .unwrap();
    let runs = vec![
        scenario("A", ScenarioStatus::Fail, vec![check(None, Outcome::Fail)]),
        // B fails a second, unlisted check: a new failure.
        scenario(
            "B",
            ScenarioStatus::Fail,
            vec![
                check(Some("status"), Outcome::Fail),
                check(Some("challenge"), Outcome::Fail),
            ],
        ),
        // C passes now: stale.
        scenario("C", ScenarioStatus::Pass, vec![check(None, Outcome::Pass)]),
        // D still fails, but not the listed check: the entry is stale and
        // the failure new.
        scenario("D", ScenarioStatus::Fail, vec![check(Some("other"), Outcome::Fail)]),
        scenario("E", ScenarioStatus::Fail, vec![check(Some("x"), Outcome::Fail)]),
    ];
    let v = b.judge(&runs);
    assert_eq!(v.known.iter().collect::<Vec<_>>(), ["A"]);
    assert_eq!(v.stale, ["C", "D#gone"]);
}

#[test]
fn a_skipped_or_erroring_scenario_proves_nothing_stale() {
    let dir = tempfile::tempdir().unwrap();
    let b = baseline(&dir, "known = [\"A\", \"B\"]\n", &["A", "B"]).unwrap();
    let runs = vec![
        scenario("A", ScenarioStatus::Skip { reason: "r".into() }, vec![]),
        scenario("B", ScenarioStatus::Error { message: "m".into() }, vec![]),
    ];
    let v = b.judge(&runs);
    assert!(v.known.is_empty() && v.stale.is_empty(), "{v:?}");
}

#[test]
fn unknown_ids_and_bad_files_are_refused_with_a_location() {
    let dir = tempfile::tempdir().unwrap();
    let err = baseline(
        &dir,
        "known = [\n  \"RFC6750-3.1-insufficent_scope\",\n]\n",
        &["RFC6750-3.1-insufficient_scope"],
    )
    .unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("baseline.toml:2:3"), "{shown}");
    assert!(
        shown.contains("did you mean `RFC6750-3.1-insufficient_scope`?"),
        "{shown}"
    );
    assert_eq!(err.exit_code(), 2);
    let err = baseline(&dir, "known = [\"A#stauts\"]\n", &["A"]).unwrap_err();
    let shown = err.to_string();
    assert!(shown.contains("scenario `A` has no check `stauts`"), "{shown}");
    assert!(shown.contains("did you mean `status`?"), "{shown}");
    let err = baseline(&dir, "knwon = []\n", &[]).unwrap_err();
    assert!(err.to_string().contains("baseline.toml:1:1"), "{err}");
}

#[test]
fn a_written_baseline_reads_back_and_covers_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let runs = vec![
        scenario(
            "A",
            ScenarioStatus::Fail,
            vec![check(Some("status"), Outcome::Fail), check(Some("s2"), Outcome::Pass)],
        ),
        scenario("B", ScenarioStatus::Fail, vec![check(None, Outcome::Fail)]),
        scenario("C", ScenarioStatus::Warn, vec![check(Some("w"), Outcome::Warn)]),
    ];
    let path = dir.path().join("written.toml");
    let written = Baseline::of_failures(&path, &runs);
    let mut text = Vec::new();
    written.write(&mut text).unwrap();
    std::fs::write(&path, &text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("\"A#status\",") && text.contains("\"B\",") && !text.contains("\"C"),
        "{text}"
    );
    let v = Baseline::load(&path, &catalogue(&["A", "B", "C"]))
        .unwrap()
        .judge(&runs);
    assert_eq!(v.known.len(), 2);
    assert!(v.stale.is_empty());
}
