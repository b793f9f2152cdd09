//! No secret survives into any output of a full run against the reference
//! server: a whole `conform` catalogue (verbose human output, JUnit, JSON)
//! and a short `load` run (its report directory and table) are scanned for
//! every fixture client secret, API key and the admin secret, and for every
//! token, code, verifier and rotated key the run used.
//!
//! `conform_negative::failing_reports_carry_no_secret` does this against an
//! echoing double, where every check fails; this test covers the other
//! half, a real server where checks pass and real tokens flow. The dynamic
//! values are recorded server-side: the reference router (`server::app`) is
//! served here behind a middleware that notes every credential it receives
//! or hands out.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use axum_server::tls_rustls::RustlsConfig;
use p11_harness::conform::{ConformConfig, ScenarioStatus, Target};
use p11_harness::fixtures::{Fixtures, Tier};
use p11_harness::http::Trust;
use p11_harness::load::config::{LoadConfig, PhaseKind, TargetSpec};
use p11_harness::server::{AppState, Clock, ServeConfig, TlsSetup, app};

/// Parameter and JSON member names whose values are credentials.
const SECRET_NAMES: [&str; 8] = [
    "code",
    "code_verifier",
    "client_secret",
    "access_token",
    "refresh_token",
    "api_key",
    "key",
    "password",
];

/// Shorter values (`x`, `abc`) are test inputs, not credentials, and would
/// match by accident.
const MIN_LEN: usize = 8;

type Seen = Arc<Mutex<Vec<String>>>;

fn note(seen: &Seen, value: &str) {
    if value.len() >= MIN_LEN {
        seen.lock().unwrap().push(value.to_owned());
    }
}

fn note_params(seen: &Seen, raw: &[u8]) {
    for (name, value) in url::form_urlencoded::parse(raw) {
        if SECRET_NAMES.contains(&name.as_ref()) {
            note(seen, &value);
        }
    }
}

fn note_json(seen: &Seen, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(members) => {
            for (name, v) in members {
                match v.as_str() {
                    Some(s) if SECRET_NAMES.contains(&name.as_str()) => note(seen, s),
                    _ => note_json(seen, v),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| note_json(seen, v)),
        _ => {}
    }
}

/// Notes the credentials of a request and of its response.
async fn record(seen: Seen, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    note_params(&seen, parts.uri.query().unwrap_or_default().as_bytes());
    note_params(&seen, &body);
    for name in ["authorization", "x-p11-admin-secret"] {
        for value in parts.headers.get_all(name) {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let credential = value.split_once(' ').map_or(value.as_str(), |(_, c)| c.trim());
            note(&seen, credential);
        }
    }
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    if let Ok(json) = serde_json::from_slice(&body) {
        note_json(&seen, &json);
    }
    if let Some(location) = parts.headers.get("location").and_then(|l| l.to_str().ok())
        && let Ok(url) = url::Url::parse(location)
    {
        note_params(&seen, url.query().unwrap_or_default().as_bytes());
    }
    Response::from_parts(parts, Body::from(body))
}

/// The reference router over TLS on a loopback port, recording into `seen`.
async fn recording_server(seen: Seen) -> (String, Vec<u8>) {
    let config = ServeConfig::new(Fixtures::builtin(), TlsSetup::Ephemeral);
    let material = TlsSetup::Ephemeral.load().unwrap();
    let tls = RustlsConfig::from_config(material.server_config().unwrap());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base_url = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let state = AppState::new(&config, Clock::system()).unwrap();
    let _ = state.base_url.set(base_url.clone());
    let router = app(state).layer(axum::middleware::from_fn(move |request, next| {
        record(seen.clone(), request, next)
    }));
    let server = axum_server::from_tcp_rustls(listener, tls).unwrap();
    tokio::spawn(async move { server.serve(router.into_make_service()).await });
    (base_url, material.ca_pem.unwrap())
}

/// Every static secret of the fixtures.
fn fixture_secrets() -> Vec<String> {
    let fixtures = Fixtures::builtin();
    let mut secrets = vec![fixtures.admin_secret.expose().to_owned()];
    secrets.extend(
        fixtures
            .clients
            .iter()
            .filter_map(|c| Some(c.secret.as_ref()?.expose().to_owned())),
    );
    secrets.extend(fixtures.api_keys.iter().map(|k| k.key.expose().to_owned()));
    secrets
}

/// Fails naming the output and the secret (its start only).
fn assert_clean(name: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        // A clipped value must not leak the start of a secret either.
        let prefix = secret.get(..24).unwrap_or(secret);
        assert!(
            !text.contains(prefix),
            "{name} holds a secret starting {}…",
            secret.get(..6).unwrap_or(secret)
        );
    }
}

/// Every file under `dir`, recursively, as text.
fn files_under(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            out.push((path.display().to_string(), text));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_conform_run_reports_no_secret() {
    p11_harness::http::install_crypto_provider();
    let seen = Seen::default();
    let (base_url, ca) = recording_server(seen.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let target = Target::Url {
        base_url,
        trust: Trust::Only(ca),
        fixtures: Fixtures::builtin(),
        allow_http: false,
    };
    let mut config = ConformConfig::new(vec![scenarios], target);
    config.verbose = true;
    config.junit = Some(dir.path().join("junit.xml"));
    config.json = Some(dir.path().join("report.json"));
    config.timeout = Duration::from_secs(20);
    let mut out = Vec::new();
    let summary = p11_harness::conform::run(config, &mut out).await.unwrap();
    let human = String::from_utf8(out).unwrap();
    assert!(
        summary.scenarios.iter().all(|s| s.status == ScenarioStatus::Pass),
        "the run is the passing one: {human}"
    );

    let mut secrets = fixture_secrets();
    let dynamic = seen.lock().unwrap().clone();
    let tokens = dynamic.iter().filter(|v| v.starts_with("eyJ")).count();
    assert!(
        tokens > 20 && dynamic.len() > 100,
        "the run's credentials were recorded"
    );
    secrets.extend(dynamic);
    secrets.sort();
    secrets.dedup();
    assert_clean("the human output", &human, &secrets);
    for (name, text) in files_under(dir.path()) {
        assert_clean(&name, &text, &secrets);
    }
    assert!(
        human.contains("authorization: Bearer «redacted»"),
        "verbose transcripts are shown, masked"
    );
    // The scan itself finds a recorded value when one is there.
    let probe = format!("…{}…", secrets.iter().find(|s| s.starts_with("eyJ")).unwrap());
    assert!(std::panic::catch_unwind(|| assert_clean("probe", &probe, &secrets)).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_load_run_reports_no_secret() {
    p11_harness::http::install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let mut config = LoadConfig::new(TargetSpec::Embedded {
        fixtures: Box::new(Fixtures::builtin()),
        path: "/v1/audits".into(),
    });
    config.window = Duration::from_secs(2);
    config.duration = Duration::from_secs(3);
    config.users_per_tier = 2;
    config.tiers = vec![Tier::Standard];
    config.phases = [PhaseKind::First429, PhaseKind::Isolation, PhaseKind::Load].into();
    config.progress = false;
    config.out_dir = dir.path().to_owned();
    let mut table = Vec::new();
    p11_harness::load::run(config, &mut table)
        .await
        .expect("the run completes");
    let table = String::from_utf8(table).unwrap();
    let secrets = fixture_secrets();
    assert_clean("the load table", &table, &secrets);
    let files = files_under(dir.path());
    assert!(files.len() >= 2, "the reports were written: {files:?}");
    for (name, text) in &files {
        assert_clean(name, text, &secrets);
    }
}
