//! The runner against targets that answer wrongly, cannot be reached, or are
//! described incompletely; malformed scenario files; Ctrl-C; and proof that
//! no output carries a secret.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use p11_harness::conform::{
    Capability, ConformConfig, ConformError, Outcome, RunSummary, ScenarioStatus, Target, TargetProfile, run_until,
};
use p11_harness::fixtures::Fixtures;
use p11_harness::http::Trust;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Respond, ResponseTemplate};

const TOKEN: &str = "tok.eyJzdWIiOiJkb3VibGUifQ.c2lnbmF0dXJlLW9mLXRoZS1kb3VibGU";
const CODE: &str = "code-from-the-double-0123456789abcdef";

/// Longer than the 300 bytes a check records of a value: masking must come
/// before clipping, or the clipped prefix escapes the mask.
fn long_token() -> String {
    format!("eyJsb25nIjoidG9rZW4ifQ.{}.c2ln", "QUJD".repeat(120))
}

fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

fn config(target: Target, filter: Option<&str>, reports: Option<&Path>) -> ConformConfig {
    let mut config = ConformConfig::new(vec![scenarios_dir()], target);
    config.junit = reports.map(|d| d.join("junit.xml"));
    config.json = reports.map(|d| d.join("report.json"));
    config.filters = filter.map(str::to_owned).into_iter().collect();
    config
}

fn double(base_url: String) -> Target {
    Target::Url {
        base_url,
        trust: Trust::System,
        fixtures: Fixtures::builtin(),
        allow_http: true,
    }
}

/// Runs without Ctrl-C handling; returns the summary and the human output.
async fn run(config: ConformConfig) -> (Result<RunSummary, ConformError>, String) {
    p11_harness::http::install_crypto_provider();
    let mut out = Vec::new();
    let result = run_until(config, &mut out, std::future::pending()).await;
    (result, String::from_utf8(out).unwrap())
}

/// The JSON report must match its published schema, failures included.
fn assert_schema_valid(report: &str) {
    let report: serde_json::Value = serde_json::from_str(report).unwrap();
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports-schema/conformance.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn token_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("Cache-Control", "no-store")
        .insert_header("Pragma", "no-cache")
        .set_body_json(serde_json::json!({
            "access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600, "scope": "analytics:read"
        }))
}

#[tokio::test]
async fn a_401_where_403_belongs_fails_insufficient_scope() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_ok())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/audits"))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", r#"Bearer realm="point11", error="invalid_token""#)
                .set_body_json(serde_json::json!({"error": "invalid_token"})),
        )
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let id = "RFC6750-3.1-insufficient_scope";
    let (result, human) = run(config(double(server.uri()), Some(id), Some(dir.path()))).await;
    let summary = result.unwrap();

    // The filter is a substring: it also picks RFC6750-3.1-insufficient_scope-scope-attr.
    let s = summary
        .scenarios
        .iter()
        .find(|s| s.id == id)
        .unwrap_or_else(|| panic!("{id} ran: {human}"));
    assert_eq!(s.status, ScenarioStatus::Fail, "{human}");
    assert_eq!(summary.exit_code(), 1);
    let failed: Vec<_> = s.checks().filter(|c| c.outcome == Outcome::Fail).collect();
    let status = failed
        .iter()
        .find(|c| c.id.as_deref() == Some("status-403"))
        .unwrap_or_else(|| panic!("no failed status check: {failed:#?}"));
    assert_eq!((status.expected.as_str(), status.actual.as_str()), ("= 403", "401"));
    assert_eq!(
        status.location.file,
        scenarios_dir().join("rfc6750/insufficient-scope.toml")
    );
    assert!(human.contains(&format!("FAIL   {id}")), "{human}");
    assert!(
        human.contains("RFC 6750 §3.1, PROFILE: expected status = 403, got 401"),
        "{human}"
    );
    assert!(
        human.contains("< 401"),
        "the failing step's transcript is shown: {human}"
    );
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains("<failure") && junit.contains("expected status = 403, got 401"),
        "{junit}"
    );
}

/// Answers everything and remembers every credential it was sent.
#[derive(Clone, Default)]
struct Echo {
    seen: Arc<Mutex<Vec<String>>>,
}

impl Respond for Echo {
    fn respond(&self, req: &wiremock::Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&req.body).into_owned();
        let mut seen = self.seen.lock().unwrap();
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()).chain(req.url.query_pairs()) {
            if ["code_verifier", "client_secret", "code"].contains(&k.as_ref()) {
                seen.push(v.into_owned());
            }
        }
        let auth: Vec<String> = req
            .headers
            .get_all("authorization")
            .iter()
            .chain(req.headers.get_all("x-p11-admin-secret").iter())
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        // A bare scheme (`Authorization: Bearer`, RFC6750-2.1-empty-token)
        // carries no credential.
        seen.extend(
            auth.iter()
                .map(|a| a.split_once(' ').map_or(a.as_str(), |(_, c)| c).to_owned())
                .filter(|c| !c.eq_ignore_ascii_case("bearer")),
        );
        let echo = serde_json::json!({"you_sent": {"headers": auth, "body": body, "query": req.url.query()}});
        match req.url.path() {
            "/oauth/token" => {
                let mut ok: serde_json::Value = serde_json::json!({
                    "access_token": long_token(), "token_type": "Bearer", "expires_in": 3600, "scope": "audits:read"
                });
                ok["echo"] = echo;
                ResponseTemplate::new(200)
                    .insert_header("Cache-Control", "no-store")
                    .set_body_json(ok)
            }
            "/oauth/authorize" if req.method.as_str() == "POST" => ResponseTemplate::new(303)
                .insert_header(
                    "Location",
                    format!("https://client.test/cb?code={CODE}&state=x").as_str(),
                )
                .set_body_json(echo),
            _ => ResponseTemplate::new(500)
                .insert_header(
                    "WWW-Authenticate",
                    format!("Bearer error=\"{}\"", auth.join(" ")).as_str(),
                )
                .set_body_json(echo),
        }
    }
}

#[tokio::test]
async fn failing_reports_carry_no_secret() {
    let server = MockServer::start().await;
    let echo = Echo::default();
    Mock::given(any()).respond_with(echo.clone()).mount(&server).await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(double(server.uri()), None, Some(dir.path()));
    cfg.verbose = true;
    let (result, human) = run(cfg).await;
    let summary = result.unwrap();
    // An echo answers most checks wrongly, so most transcripts are failures
    // (the ones that pass, e.g. "no refresh_token", are shown by --verbose).
    let failed = summary
        .scenarios
        .iter()
        .filter(|s| s.status == ScenarioStatus::Fail)
        .count();
    assert!(failed * 2 > summary.scenarios.len(), "{failed} failed:\n{human}");

    let fixtures = Fixtures::builtin();
    let mut secrets: Vec<String> = vec![long_token(), CODE.into(), fixtures.admin_secret.expose().into()];
    secrets.extend(
        fixtures
            .clients
            .iter()
            .filter_map(|c| c.secret.as_ref())
            .map(|s| s.expose().to_owned()),
    );
    secrets.extend(fixtures.api_keys.iter().map(|k| k.key.expose().to_owned()));
    secrets.extend(echo.seen.lock().unwrap().iter().cloned());
    assert!(secrets.len() > 20, "the double saw the credentials: {}", secrets.len());
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    let json = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    for (name, text) in [("human", &human), ("JUnit", &junit), ("JSON", &json)] {
        for secret in secrets.iter().filter(|s| s.len() >= 4) {
            assert!(
                !text.contains(secret.as_str()),
                "{name} output holds a secret ({secret}):\n{text}"
            );
            // A clipped value must not leak the start of a secret either.
            let prefix = secret.get(..24).unwrap_or(secret);
            assert!(
                !text.contains(prefix),
                "{name} output holds the start of a secret ({prefix}…):\n{text}"
            );
        }
        assert!(text.contains("«"), "{name} output shows masks");
    }
    assert!(human.contains("authorization: Bearer «redacted»"), "{human}");
    assert_schema_valid(&json);
}

#[tokio::test]
async fn a_transport_failure_mid_scenario_is_an_error_not_a_failure() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .respond_with(token_ok().set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(double(server.uri()), Some("RFC6749-4.4.2-happy"), Some(dir.path()));
    cfg.timeout = Duration::from_millis(500);
    let (result, human) = run(cfg).await;
    let summary = result.unwrap();
    let ScenarioStatus::Error { message } = &summary.scenarios[0].status else {
        panic!("expected an ERROR:\n{human}");
    };
    assert!(message.contains("step 1"), "{message}");
    assert_eq!(summary.exit_code(), 3);
    assert!(human.contains("ERROR  RFC6749-4.4.2-happy"), "{human}");
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("<error") && !junit.contains("<failure"), "{junit}");
    assert_schema_valid(&std::fs::read_to_string(dir.path().join("report.json")).unwrap());
}

/// Every scenario must be able to fail: each one reports a violation (at its
/// level: FAIL, or WARN for SHOULD, INFO for MAY) against a double that says
/// yes to everything or against one that says no to everything. The
/// mutation test (`tests/mutation.rs`) shows each against its own fault.
#[tokio::test]
async fn every_scenario_can_fail() {
    let yes = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            token_ok()
                .insert_header("Content-Type", "application/json")
                .set_body_json(serde_json::json!({
                    "access_token": TOKEN, "token_type": "Bearer", "expires_in": 3600,
                    "scope": "audits:read", "environment": "live", "audits": []
                })),
        )
        .mount(&yes)
        .await;
    let no = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .mount(&no)
        .await;
    let (yes_run, yes_out) = run(config(double(yes.uri()), None, None)).await;
    let (no_run, no_out) = run(config(double(no.uri()), None, None)).await;
    let (yes_run, no_run) = (yes_run.unwrap(), no_run.unwrap());
    for (a, b) in yes_run.scenarios.iter().zip(&no_run.scenarios) {
        assert_eq!(a.id, b.id);
        let violated = |s: &p11_harness::conform::ScenarioResult| {
            matches!(s.status, ScenarioStatus::Fail | ScenarioStatus::Warn)
                || s.checks().any(|c| c.outcome == Outcome::Info)
        };
        assert!(
            violated(a) || violated(b),
            "{} fails against neither double:\n{yes_out}\n{no_out}",
            a.id
        );
    }
}

#[tokio::test]
async fn an_unreachable_target_is_exit_3() {
    // Nothing listens on the discard port of loopback in the test sandbox.
    let (result, _) = run(config(double("https://127.0.0.1:9".into()), None, None)).await;
    let err = result.unwrap_err();
    assert!(matches!(err, ConformError::Unreachable { .. }), "{err}");
    assert_eq!(err.exit_code(), 3);
    assert!(err.to_string().contains("check --target"), "{err}");
}

#[tokio::test]
async fn an_untrusted_certificate_is_unreachable_with_a_ca_hint() {
    p11_harness::http::install_crypto_provider();
    let mut serve =
        p11_harness::server::ServeConfig::new(Fixtures::builtin(), p11_harness::server::TlsSetup::Ephemeral);
    serve.bind = "127.0.0.1:0".parse().unwrap();
    let server = p11_harness::server::start(serve).await.unwrap();
    let target = Target::Url {
        base_url: server.base_url.clone(),
        trust: Trust::Only(include_bytes!("../fixtures/reference.toml").to_vec()),
        fixtures: Fixtures::builtin(),
        allow_http: false,
    };
    // A CA file with no certificate in it is a usage error (exit 2).
    let (result, _) = run(config(target, None, None)).await;
    let err = result.unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");

    let other_ca = p11_harness::server::TlsSetup::Ephemeral.load().unwrap().ca_pem.unwrap();
    let target = Target::Url {
        base_url: server.base_url.clone(),
        trust: Trust::Only(other_ca),
        fixtures: Fixtures::builtin(),
        allow_http: false,
    };
    let (result, _) = run(config(target, None, None)).await;
    let err = result.unwrap_err();
    assert_eq!(err.exit_code(), 3, "{err}");
    assert!(err.to_string().contains("--ca-cert"), "{err}");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_malformed_scenario_file_is_refused_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "id = \"X-1-bad\"\ntitle = \"t\"\nlevle = \"MUST\"\nreference = \"r\"\n[[steps]]\nmethod = \"GET\"\nurl = \"{{base_url}}/\"\n",
    )
    .unwrap();
    let mut cfg = config(double(server.uri()), None, None);
    cfg.scenario_dirs.push(dir.path().to_owned());
    let (result, _) = run(cfg).await;
    let err = result.unwrap_err();
    assert_eq!(err.exit_code(), 2);
    let ConformError::Scenarios(diagnostics) = &err else {
        panic!("expected scenario diagnostics, got {err}");
    };
    assert_eq!(diagnostics.len(), 1, "{err}");
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("{}:3:1: unknown field `levle`", bad.display())),
        "{shown}"
    );
    assert!(shown.contains("did you mean `level`?"), "{shown}");
    assert!(shown.contains("no request was sent"), "{shown}");
}

#[tokio::test]
async fn ctrl_c_stops_the_run_and_still_writes_the_reports() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500).set_delay(Duration::from_millis(150)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    p11_harness::http::install_crypto_provider();
    let mut out = Vec::new();
    // Ctrl-C once the run is well under way (the double has answered a
    // dozen requests: the first scenarios are done, most are not), however
    // slow the machine.
    let progress = &server;
    let cancel = async move {
        while progress.received_requests().await.map_or(0, |r| r.len()) < 12 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let summary = run_until(config(double(server.uri()), None, Some(dir.path())), &mut out, cancel)
        .await
        .unwrap();
    let human = String::from_utf8(out).unwrap();
    assert!(summary.interrupted, "{human}");
    assert_eq!(summary.exit_code(), 130);
    let counts = summary.counts();
    assert!(
        counts.not_run > 0 && counts.not_run < counts.total,
        "{counts:?}\n{human}"
    );
    assert!(human.contains("Interrupted"), "{human}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(json["interrupted"], true);
    assert_eq!(json["summary"]["not_run"], counts.not_run);
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    assert!(junit.contains("not run: the run was interrupted"), "{junit}");
    assert_schema_valid(&std::fs::read_to_string(dir.path().join("report.json")).unwrap());
}

#[tokio::test]
async fn a_target_without_a_capability_or_credential_skips_never_passes() {
    p11_harness::http::install_crypto_provider();
    let fixtures = Fixtures::builtin();
    let mut serve = p11_harness::server::ServeConfig::new(fixtures.clone(), p11_harness::server::TlsSetup::Ephemeral);
    serve.bind = "127.0.0.1:0".parse().unwrap();
    let server = p11_harness::server::start(serve).await.unwrap();
    let mut profile = TargetProfile::reference(&fixtures, &server.base_url);
    profile.capabilities.remove(&Capability::AdminClock);
    profile.api_keys.remove("TEST_WRITE");
    let target = Target::Profile {
        profile,
        trust: Trust::Only(server.ca_pem.clone().unwrap()),
    };
    let (result, human) = run(config(target, None, None)).await;
    let summary = result.unwrap();
    let status = |id: &str| summary.scenarios.iter().find(|s| s.id == id).unwrap().status.clone();
    let ScenarioStatus::Skip { reason } = status("RFC6750-3.1-expired") else {
        panic!("expired should skip:\n{human}");
    };
    assert!(reason.contains("admin_clock"), "{reason}");
    let ScenarioStatus::Skip { reason } = status("P11-testkey-no-prod-write") else {
        panic!("no-prod-write should skip:\n{human}");
    };
    assert!(reason.contains("keys.TEST_WRITE"), "{reason}");
    // Everything else the server can do still runs, and passes: every skip
    // is for one of the two things taken away.
    for s in &summary.scenarios {
        match &s.status {
            ScenarioStatus::Skip { reason } => assert!(
                reason.contains("admin_clock") || reason.contains("keys.TEST_WRITE"),
                "{} skipped for another reason: {reason}",
                s.id
            ),
            other => assert_eq!(*other, ScenarioStatus::Pass, "{}:\n{human}", s.id),
        }
    }
    assert_eq!(summary.exit_code(), 0, "skips are allowed:\n{human}");
    assert!(human.contains("SKIP   RFC6750-3.1-expired"), "{human}");
    server.shutdown().await.unwrap();
}
