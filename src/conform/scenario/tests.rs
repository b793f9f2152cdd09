use std::collections::BTreeSet;
use std::path::Path;

use super::*;
use crate::conform::profile::TargetProfile;
use crate::fixtures::Fixtures;

fn known() -> BTreeSet<String> {
    TargetProfile::reference(&Fixtures::builtin(), "https://x.test").known_var_names()
}

const GOOD: &str = r#"
id = "RFC6750-3.1-insufficient_scope"
title = "t"
reference = "RFC 6750 §3.1"
level = "SHOULD"
tags = ["rfc6750"]
requires = ["client_credentials"]

[generate]
pkce = { kind = "pkce_s256" }

[[steps]]
name = "token"
setup = true
method = "POST"
url = "{{token_url}}"
basic_auth = { id = "{{clients.C_BASIC.id}}", secret = "{{clients.C_BASIC.secret}}" }
form = [["grant_type", "client_credentials"], ["scope", "analytics:read"]]
expect = [{ macro = "TOKEN_OK" }]
capture.token = { json = "access_token" }

[[steps]]
method = "GET"
url = "{{api_base}}/v1/audits"
bearer = "{{token}}"
expect = [
  { status = 403, id = "status-403", level = "PROFILE" },
  { challenge = "Bearer", param = "error", equals = "insufficient_scope" },
  { header = "Content-Type", media_type = "application/json", optional = true },
]
"#;

fn parse_one(src: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let s = parse(Path::new("s.toml"), src)?;
    let ds = validate(std::slice::from_ref(&s), &known());
    if ds.is_empty() { Ok(s) } else { Err(ds) }
}

fn first_error(src: &str) -> Diagnostic {
    parse_one(src).unwrap_err().remove(0)
}

#[test]
fn a_good_scenario_parses() {
    let s = parse_one(GOOD).unwrap();
    assert_eq!(s.steps.len(), 2);
    assert_eq!(s.steps[0].expect.len(), 10, "TOKEN_OK expands to ten checks");
    assert_eq!(s.steps[1].expect[0].id.as_deref(), Some("status-403"));
    assert!(s.profile_vars().contains("clients.C_BASIC.secret"));
    assert!(!s.profile_vars().contains("token"));
}

#[test]
fn misspelt_key_points_at_it_with_a_hint() {
    let src = GOOD.replace("bearer = ", "baerer = ");
    let d = first_error(&src);
    assert_eq!(d.path, Path::new("s.toml"));
    let line = src.lines().position(|l| l.starts_with("baerer")).unwrap() + 1;
    assert_eq!((d.line, d.column), (line, 1));
    assert_eq!(d.hint.as_deref(), Some("did you mean `bearer`?"));
    let shown = d.to_string();
    assert!(
        shown.starts_with(&format!("s.toml:{line}:1: unknown field `baerer`")),
        "{shown}"
    );
    assert!(shown.contains("^^^^^^"), "{shown}");
}

#[test]
fn undefined_variable_is_refused_with_its_column() {
    let src = GOOD.replace("{{api_base}}/v1/audits", "{{api_bsae}}/v1/audits");
    let d = first_error(&src);
    assert_eq!(d.message, "undefined variable `api_bsae`");
    assert_eq!(d.hint.as_deref(), Some("did you mean `api_base`?"));
    let line = src.lines().position(|l| l.contains("api_bsae")).unwrap();
    assert_eq!((d.line, d.column), (line + 1, 8));
}

#[test]
fn capture_is_visible_only_from_the_next_step() {
    let src = GOOD.replace(
        "form = [[\"grant_type\"",
        "bearer = \"{{token}}\"\nform = [[\"grant_type\"",
    );
    let src = src.replace(
        "basic_auth = { id = \"{{clients.C_BASIC.id}}\", secret = \"{{clients.C_BASIC.secret}}\" }\n",
        "",
    );
    let d = first_error(&src);
    assert!(d.message.contains("`token`"), "{d}");
    assert!(d.hint.unwrap().contains("from the next step on"));
}

#[test]
fn unknown_capture_source_wrong_type_and_bad_level() {
    let d = first_error(&GOOD.replace("{ json = \"access_token\" }", "{ jsn = \"access_token\" }"));
    assert_eq!(d.hint.as_deref(), Some("did you mean `json`?"));
    let d = first_error(&GOOD.replace("status = 403,", "status = \"403\","));
    assert!(d.message.contains("HTTP status"), "{d}");
    let d = first_error(&GOOD.replace("level = \"SHOULD\"", "level = \"SHOLD\""));
    assert_eq!(d.hint.as_deref(), Some("did you mean `SHOULD`?"));
    let d = first_error(&GOOD.replace("tags = [\"rfc6750\"]", "tags = \"rfc6750\""));
    assert!(d.message.contains("invalid type"), "{d}");
}

#[test]
fn unknown_capability_and_macro_get_hints() {
    let d = first_error(&GOOD.replace("requires = [\"client_credentials\"]", "requires = [\"admin_clok\"]"));
    assert_eq!(d.hint.as_deref(), Some("did you mean `admin_clock`?"));
    let d = first_error(&GOOD.replace("TOKEN_OK", "TOKEN_KO"));
    assert!(d.message.starts_with("unknown macro"), "{d}");
}

#[test]
fn two_subjects_or_predicates_are_refused() {
    let src = GOOD.replace(
        "{ challenge = \"Bearer\", param = \"error\", equals = \"insufficient_scope\" }",
        "{ challenge = \"Bearer\", param = \"error\", equals = \"a\", contains = \"b\" }",
    );
    assert!(first_error(&src).message.contains("one predicate"));
    let src = GOOD.replace("{ status = 403,", "{ status = 403, header = \"X\",");
    assert!(first_error(&src).message.contains("one subject"));
}

#[test]
fn duplicate_ids_across_files_are_refused() {
    let a = parse(Path::new("a.toml"), GOOD).unwrap();
    let b = parse(Path::new("b.toml"), GOOD).unwrap();
    let ds = validate(&[a, b], &known());
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0].path, Path::new("b.toml"));
    assert!(ds[0].hint.as_deref().unwrap().starts_with("first defined at a.toml:2:"));
}

#[test]
fn shipped_scenarios_are_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let scenarios = load_dirs(&[dir], &known()).unwrap_or_else(|e| panic!("{e}"));
    assert!(scenarios.len() >= 15, "{} scenarios", scenarios.len());
}
