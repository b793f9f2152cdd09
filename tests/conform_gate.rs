//! The CI gate through the binary: baselines (known, new and stale
//! failures), strictness, `--list`, `--filter` by tag or reference, and
//! `--jobs`. Each run is the embedded server on a free loopback port,
//! filtered to a few scenarios.

mod cli_support;

use std::process::Output;

use cli_support::{harness, text};

fn stdout(out: &Output) -> String {
    text(&out.stdout)
}

fn stderr(out: &Output) -> String {
    text(&out.stderr)
}

const RS: &str = "RFC6750-3.1";

#[test]
fn a_baseline_lets_known_failures_pass_and_fails_new_and_stale_ones() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.toml");
    let b = baseline.to_str().unwrap();

    // The fault makes insufficient_scope answer 401: write it down.
    let fault = ["--server-fault", "insufficient-scope-401"];
    let out = harness(&[&["conform", "--filter", RS, "--write-baseline", b], &fault[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let written = std::fs::read_to_string(&baseline).unwrap();
    assert!(
        written.contains("\"RFC6750-3.1-insufficient_scope#status-403\","),
        "{written}"
    );

    // The same failure again: known, the gate passes.
    let out = harness(&[&["conform", "--filter", RS, "--baseline", b], &fault[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 failed (1 known)"), "{}", stdout(&out));

    // A different failure is new, and the listed one now passes: stale.
    let json = dir.path().join("report.json");
    let out = harness(&[
        "conform",
        "--filter",
        RS,
        "--baseline",
        b,
        "--server-fault",
        "garbage-token-invalid-request",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let shown = stdout(&out);
    assert!(shown.contains("new failures: RFC6750-3.1-invalid_token"), "{shown}");
    assert!(
        shown.contains(
            "stale entries (pass now; delete them from the baseline): RFC6750-3.1-insufficient_scope#status-403"
        ),
        "{shown}"
    );
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        report["baseline"]["stale"][0],
        "RFC6750-3.1-insufficient_scope#status-403"
    );
    assert_eq!(report["summary"]["known"], 0);
}

#[test]
fn a_baseline_naming_no_scenario_is_refused_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("baseline.toml");
    std::fs::write(&baseline, "known = [\n  \"RFC6750-3.1-insufficent_scope\",\n]\n").unwrap();
    let out = harness(&["conform", "--baseline", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("baseline.toml:2:3"), "{err}");
    assert!(err.contains("did you mean `RFC6750-3.1-insufficient_scope`?"), "{err}");
    let out = harness(&["conform", "--baseline", "a.toml", "--write-baseline", "b.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("do not go together"), "{}", stderr(&out));
}

#[test]
fn strictness_decides_whether_a_derived_must_fails_or_warns() {
    // MUST* row: Basic and a body secret at once must be refused.
    let args = [
        "conform",
        "--filter",
        "RFC6749-2.3-single-auth-method",
        "--server-fault",
        "two-auth-methods-accepted",
    ];
    let strict = harness(&args);
    assert_eq!(strict.status.code(), Some(1), "{}", stdout(&strict));
    assert!(
        stdout(&strict).contains("Checks not met (strict, Point11 profile): MUST* "),
        "{}",
        stdout(&strict)
    );
    let interop = harness(&[&args[..], &["--strictness", "interop"]].concat());
    assert_eq!(interop.status.code(), Some(0), "{}", stdout(&interop));
    assert!(
        stdout(&interop).contains("WARN   RFC6749-2.3-single-auth-method"),
        "{}",
        stdout(&interop)
    );
}

#[test]
fn list_prints_the_catalogue_and_filters_select_by_tag_or_reference() {
    let out = harness(&["conform", "--list"]);
    assert_eq!(out.status.code(), Some(0));
    let all = stdout(&out);
    assert!(
        all.contains("RFC7636-4.6-verifier-mismatch") && all.contains("MUST"),
        "{all}"
    );
    let total: usize = all
        .lines()
        .find_map(|l| l.split_once(" checks: ")?.0.parse().ok())
        .expect("a total line");
    assert!(total >= 130, "{all}");

    let out = harness(&["conform", "--list", "--filter", "RFC 7636 §4.6"]);
    let some = stdout(&out);
    assert!(some.contains("RFC7636-4.6-verifier-mismatch"), "{some}");
    assert!(!some.contains("RFC6749-"), "{some}");
    let out = harness(&["conform", "--list", "--filter", "no-such-thing"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("conform --list"), "{}", stderr(&out));
}

#[test]
fn jobs_run_concurrently_with_reports_in_file_order() {
    let out = harness(&["conform", "--filter", "rfc6749", "-j", "8"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let shown = stdout(&out);
    let ids: Vec<&str> = shown
        .lines()
        .filter_map(|l| l.strip_prefix("PASS   "))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(ids.len() > 50, "{ids:?}");
    let listed = harness(&["conform", "--list", "--filter", "rfc6749"]);
    let order: Vec<String> = stdout(&listed)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let level = words.next()?;
            let levels = ["MUST", "MUST*", "SHOULD", "MAY", "PROFILE", "ADVISORY"];
            levels.contains(&level).then(|| words.next().map(str::to_owned))?
        })
        .collect();
    assert_eq!(ids, order, "output follows file order");
    let out = harness(&["conform", "-j", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--jobs"), "{}", stderr(&out));
}
