//! The binary as a user meets it: flags, exit codes and error messages.
//! Every run is bounded (embedded server on a free loopback port, or a
//! closed port for the unreachable case).

mod cli_support;

use cli_support::{harness, text};

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_bad_flag_is_a_usage_error_that_names_it() {
    let out = harness(&["conform", "--no-such-flag"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--no-such-flag"), "{}", text(&out.stderr));
}

#[test]
fn a_bad_duration_says_how_to_write_one() {
    let out = harness(&["conform", "--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("--timeout") && err.contains("90s"), "{err}");
}

#[test]
fn help_teaches_with_examples_and_exit_codes() {
    let out = harness(&["conform", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    for needle in [
        "--target",
        "--ca-cert",
        "--junit",
        "Examples:",
        "p11-harness conform --target",
    ] {
        assert!(help.contains(needle), "conform --help lacks {needle}:\n{help}");
    }
    let top = text(&harness(&["--help"]).stdout);
    assert!(top.contains("Exit codes"), "{top}");
}

#[test]
fn a_malformed_scenario_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, "id = \"X-1\"\ntitle = \"t\"\nlevle = \"MUST\"\n").unwrap();
    let out = harness(&["conform", "--scenarios", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("broken.toml:3:1"), "{err}");
    assert!(err.contains("did you mean `level`?"), "{err}");
}

#[test]
fn an_unreachable_target_is_an_error_not_a_failed_check() {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let out = harness(&["conform", "--target", "https://127.0.0.1:1", "--timeout", "3s"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("unreachable"), "{}", text(&out.stderr));
    assert!(!text(&out.stdout).contains("FAIL"), "{}", text(&out.stdout));
}

#[test]
fn ca_cert_without_a_target_is_refused() {
    let out = harness(&["conform", "--ca-cert", "Cargo.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[test]
fn conform_against_the_embedded_server_writes_both_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("conformance.json"));
    let out = harness(&[
        "conform",
        "--filter",
        "RFC6749-4.4.2-happy",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
    assert!(text(&out.stdout).contains("PASS"), "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["scenarios"].as_array().map(Vec::len), Some(1), "{report}");
    assert!(std::fs::read_to_string(&junit).unwrap().contains("RFC6749-4.4.2-happy"));
}

#[test]
fn serve_prints_its_url_and_ca_and_answers_over_tls() {
    let state = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_p11-harness"))
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--state-dir",
            state.path().to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut url = None;
    while url.is_none() && Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        url = line
            .strip_prefix("Point11 reference server listening on ")
            .map(str::to_owned);
    }
    let url = url.expect("serve prints the URL it listens on");
    let ca = state.path().join("ca.pem");
    assert!(ca.is_file(), "the CA is written to the state directory");

    // The printed CA is all a client needs: run one scenario against it.
    let out = harness(&[
        "conform",
        "--target",
        &url,
        "--ca-cert",
        ca.to_str().unwrap(),
        "--filter",
        "RFC6750-3-no-credentials",
    ]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(out.status.code(), Some(0), "{}{}", text(&out.stdout), text(&out.stderr));
}
