//! Over HTTPS: the probes' client and goose's users (through
//! `GooseUser::set_client_builder`) trust exactly the target's CA, with
//! verification on; without that CA the target is unreachable (exit 3).

mod load_support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use load_support::{STD_KEY, STD_LIMIT, target};
use p11_harness::fixtures::Tier;
use p11_harness::http::Trust;
use p11_harness::load::config::{LoadConfig, PhaseKind, TargetSpec};
use p11_harness::load::{LoadError, run};

const WINDOW: u64 = 2;

type Counts = Arc<Mutex<HashMap<i64, u64>>>;

/// An exact fixed-window limiter for the standard test key.
async fn audits(State(counts): State<Counts>, headers: HeaderMap) -> impl IntoResponse {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {STD_KEY}")) {
        return (StatusCode::UNAUTHORIZED, HeaderMap::new());
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let index = (now / WINDOW as f64).floor() as i64;
    let reset = (index + 1) * WINDOW as i64;
    let before = {
        let mut counts = counts.lock().unwrap();
        let c = counts.entry(index).or_default();
        let before = *c;
        *c += u64::from(before < STD_LIMIT);
        before
    };
    let mut out = HeaderMap::new();
    let admitted = before < STD_LIMIT;
    let remaining = if admitted { STD_LIMIT - before - 1 } else { 0 };
    out.insert("x-ratelimit-limit", STD_LIMIT.into());
    out.insert("x-ratelimit-remaining", remaining.into());
    out.insert("x-ratelimit-reset", reset.into());
    if !admitted {
        out.insert("retry-after", ((reset as f64 - now).ceil().max(1.0) as u64).into());
        return (StatusCode::TOO_MANY_REQUESTS, out);
    }
    (StatusCode::OK, out)
}

/// Starts the limiter over TLS with a fresh self-signed certificate for
/// 127.0.0.1; returns its URL and the certificate (PEM) to trust.
async fn tls_server() -> (String, Vec<u8>) {
    p11_harness::http::install_crypto_provider();
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.signing_key.serialize_pem());
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem.clone().into_bytes(), key_pem.into_bytes())
        .await
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = axum::Router::new()
        .route("/v1/audits", get(audits))
        .with_state(Counts::default());
    let server = axum_server::from_tcp_rustls(listener, config).unwrap();
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    (format!("https://127.0.0.1:{port}"), cert_pem.into_bytes())
}

fn config(base_url: &str, trust: Trust, out: &std::path::Path) -> LoadConfig {
    let mut remote = target(base_url);
    remote.trust = trust;
    let mut config = LoadConfig::new(TargetSpec::Remote(remote));
    config.window = Duration::from_secs(WINDOW);
    config.duration = Duration::from_secs(3);
    config.users_per_tier = 2;
    config.tiers = vec![Tier::Standard];
    config.phases = [PhaseKind::First429, PhaseKind::Load].into();
    config.out_dir = out.to_owned();
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_goose_trust_only_the_targets_ca() {
    let (url, ca) = tls_server().await;
    let dir = tempfile::tempdir().unwrap();

    let err = run(config(&url, Trust::System, dir.path()), &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, LoadError::Unreachable(_)), "{err}");
    assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");

    let outcome = run(config(&url, Trust::Only(ca), dir.path()), &mut Vec::new())
        .await
        .unwrap();
    let t = &outcome.summary.tiers[0];
    assert_eq!(t.metrics.admission.first_429.unwrap().delta, Some(0));
    assert_eq!(t.metrics.requests.other, 0, "every request got a response over TLS");
    let load_admitted: u64 = t.load_windows.iter().map(|w| w.admitted).sum();
    assert!(
        load_admitted > 0,
        "goose's users reached the target through the CA: {:?}",
        t.load_windows
    );
}
