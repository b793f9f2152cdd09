//! The fault-injection flags as a user meets them: `serve --list-faults`,
//! a misspelt `--fault`, `conform --server-fault` against the embedded
//! server (the named check fails) and next to `--target` (refused).

mod cli_support;

use cli_support::{harness, text};

use p11_harness::server::Fault;

#[test]
fn list_faults_names_every_fault_with_its_checks() {
    let out = harness(&["serve", "--list-faults"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let list = text(&out.stdout);
    for fault in Fault::ALL {
        assert!(list.contains(fault.name()), "{} missing:\n{list}", fault.name());
        for check in fault.trips() {
            assert!(list.contains(check), "{check} missing:\n{list}");
        }
    }
}

#[test]
fn a_misspelt_fault_gets_a_suggestion() {
    let out = harness(&["serve", "--fault", "code-reuseable"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("did you mean `code-reusable`?"), "{err}");
}

#[test]
fn server_fault_needs_the_embedded_server() {
    let out = harness(&[
        "conform",
        "--server-fault",
        "code-reusable",
        "--target",
        "https://127.0.0.1:1",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--server-fault"), "{}", text(&out.stderr));
}

#[test]
fn an_injected_fault_fails_its_check() {
    let args = [
        "conform",
        "--server-fault",
        "code-reusable",
        "--filter",
        "RFC6749-4.1.2-code-reuse",
    ];
    let out = harness(&args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("FAIL"), "{}", text(&out.stdout));
}
