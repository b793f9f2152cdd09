//! The server's limits on a real TLS socket (loopback only): oversized
//! request heads, too many header fields, and the connection cap. Each
//! refusal is a clean 4xx or a closed connection, and a normal request is
//! served afterwards. Bounded: every wait has a timeout.

use std::time::{Duration, Instant};

use p11_harness::fixtures::Fixtures;
use p11_harness::http::{self, Trust};
use p11_harness::server::{self, MAX_BODY_BYTES, MAX_HEADERS, RunningServer, ServeConfig, TlsSetup};

async fn start(max_connections: Option<usize>) -> RunningServer {
    http::install_crypto_provider();
    let mut config = ServeConfig::new(Fixtures::builtin(), TlsSetup::Ephemeral);
    config.bind = "127.0.0.1:0".parse().unwrap();
    if let Some(max) = max_connections {
        config.limits.max_connections = max;
    }
    server::start(config).await.expect("server starts")
}

/// HTTP/1.1 only, so hyper's HTTP/1 limits apply; or the default (h2 by
/// ALPN).
fn client(server: &RunningServer, http1: bool) -> reqwest::Client {
    let trust = Trust::Only(server.ca_pem.clone().unwrap());
    let builder = http::client_builder(&trust, Duration::from_secs(10)).unwrap();
    let builder = if http1 { builder.http1_only() } else { builder };
    builder.build().unwrap()
}

/// The discovery document: a normal request that needs no credential.
async fn normal_request(client: &reqwest::Client, server: &RunningServer) -> reqwest::Result<u16> {
    let url = format!("{}/.well-known/oauth-authorization-server", server.base_url);
    Ok(client.get(url).send().await?.status().as_u16())
}

/// A refused request: a 4xx, or the connection closed. Never a 5xx.
fn assert_refused(result: reqwest::Result<reqwest::Response>, what: &str) {
    match result {
        Ok(reply) => assert!(reply.status().is_client_error(), "{what}: {}", reply.status()),
        Err(e) => assert!(!e.is_timeout(), "{what}: the server hung: {e}"),
    }
}

#[tokio::test]
async fn oversized_heads_and_bodies_are_refused_and_the_server_stays_up() {
    let server = start(None).await;
    for http1 in [true, false] {
        let client = client(&server, http1);
        let url = format!("{}/v1/audits", server.base_url);
        let huge = "a".repeat(64 * 1024);
        let reply = client.get(&url).header("x-filler", &huge).send().await;
        if http1 {
            // RFC 6585 §5: hyper answers 431 once the head outgrows its buffer.
            assert_eq!(reply.as_ref().map(|r| r.status().as_u16()).ok(), Some(431), "{reply:?}");
        }
        assert_refused(reply, "a 64 KiB header");
        let body = vec![b'a'; MAX_BODY_BYTES + 1];
        let reply = client
            .post(format!("{}/oauth/token", server.base_url))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), 413, "http1: {http1}");
        assert_eq!(normal_request(&client, &server).await.unwrap(), 200, "http1: {http1}");
    }
    server.shutdown().await.unwrap();
}

#[tokio::test]
async fn too_many_header_fields_get_431() {
    let server = start(None).await;
    let client = client(&server, true);
    let mut request = client.get(format!("{}/v1/audits", server.base_url));
    for i in 0..MAX_HEADERS + 8 {
        request = request.header(format!("x-h{i}"), "1");
    }
    let reply = request.send().await.unwrap();
    assert_eq!(reply.status().as_u16(), 431);
    assert_eq!(normal_request(&client, &server).await.unwrap(), 200);
    server.shutdown().await.unwrap();
}

/// Over the cap, a connection is closed at accept; once the idle ones go
/// away, requests are served again.
#[tokio::test]
async fn connections_over_the_cap_are_closed_at_once() {
    let server = start(Some(2)).await;
    let idle: Vec<_> = futures::future::join_all((0..2).map(|_| tokio::net::TcpStream::connect(server.local_addr)))
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    // Let the server accept both before the third arrives.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = normal_request(&client(&server, true), &server).await;
    let err = refused.expect_err("a third connection is refused");
    assert!(!err.is_timeout(), "closed, not left waiting: {err}");
    drop(idle);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match normal_request(&client(&server, true), &server).await {
            Ok(status) => {
                assert_eq!(status, 200);
                break;
            }
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the server did not recover: {e}"),
        }
    }
    server.shutdown().await.unwrap();
}
