//! The reference server on a real socket: TLS with the local CA, a token and
//! a resource call, plain HTTP refused, the state directory, bind errors and
//! graceful shutdown.

use std::time::Duration;

use p11_harness::fixtures::Fixtures;
use p11_harness::http::{self, Trust};
use p11_harness::server::{self, RunningServer, ServeConfig, ServeError, TlsSetup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config(tls: TlsSetup) -> ServeConfig {
    let mut config = ServeConfig::new(Fixtures::builtin(), tls);
    config.bind = "127.0.0.1:0".parse().unwrap();
    config
}

async fn start(tls: TlsSetup) -> RunningServer {
    http::install_crypto_provider();
    server::start(config(tls)).await.expect("server starts")
}

fn client_for(server: &RunningServer) -> reqwest::Client {
    let ca = server.ca_pem.clone().expect("a local CA");
    http::client(&Trust::Only(ca), Duration::from_secs(10)).unwrap()
}

#[tokio::test]
async fn token_and_resource_over_tls() {
    let server = start(TlsSetup::Ephemeral).await;
    assert!(server.base_url.starts_with("https://127.0.0.1:"));
    assert_eq!(
        server.local_addr.port().to_string(),
        server.base_url.rsplit(':').next().unwrap()
    );
    let client = client_for(&server);
    let fixtures = Fixtures::builtin();
    let c_basic = fixtures.client("C_BASIC").unwrap();
    let reply = client
        .post(format!("{}/oauth/token", server.base_url))
        .basic_auth(&c_basic.id, Some(c_basic.secret.as_ref().unwrap().expose()))
        .form(&[("grant_type", "client_credentials"), ("scope", "audits:read")])
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 200);
    assert_eq!(reply.version(), reqwest::Version::HTTP_2, "ALPN offers h2");
    assert_eq!(reply.headers()["cache-control"], "no-store");
    let body: serde_json::Value = reply.json().await.unwrap();
    assert_eq!(body["expires_in"], 3600);
    let token = body["access_token"].as_str().unwrap();
    let audits = client
        .get(format!("{}/v1/audits", server.base_url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(audits.status(), 200);
    assert_eq!(audits.headers()["x-ratelimit-limit"], "100");
    assert_eq!(audits.headers()["x-ratelimit-remaining"], "99");
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn plain_http_gets_no_http_response() {
    let server = start(TlsSetup::Ephemeral).await;
    let mut stream = tokio::net::TcpStream::connect(server.local_addr).await.unwrap();
    let request =
        b"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 29\r\n\r\ngrant_type=client_credentials";
    stream.write_all(request).await.unwrap();
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply)).await;
    assert!(read.is_ok(), "the server closes the connection");
    assert!(
        !reply.starts_with(b"HTTP/"),
        "got an HTTP response: {:?}",
        String::from_utf8_lossy(&reply)
    );
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn state_dir_ca_is_written_and_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(TlsSetup::StateDir(dir.path().to_owned())).await;
    let ca_path = server.ca_path.clone().expect("the CA path");
    assert_eq!(ca_path, dir.path().join("ca.pem"));
    let trust = Trust::from_pem_file(&ca_path).unwrap();
    let client = http::client(&trust, Duration::from_secs(10)).unwrap();
    let jwks = client
        .get(format!("{}/.well-known/jwks.json", server.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_taken_port_is_a_bind_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = config(TlsSetup::Ephemeral);
    config.bind = taken.local_addr().unwrap();
    http::install_crypto_provider();
    let err = server::start(config).await.unwrap_err();
    assert!(matches!(err, ServeError::Bind { .. }), "{err}");
    assert!(err.to_string().contains("--bind 127.0.0.1:0"), "{err}");
}

#[tokio::test]
async fn shutdown_stops_listening() {
    let server = start(TlsSetup::Ephemeral).await;
    let addr = server.local_addr;
    server.shutdown().await.unwrap();
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
