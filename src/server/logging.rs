//! One log line per request: method, route, status and latency. Never the
//! query string, headers or bodies, which may hold tokens, keys, secrets or
//! codes; and the route template rather than the raw path, since a client
//! can put anything into a path.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<no route>".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        target: "p11_harness::server",
        %method,
        route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use crate::server::test_support::*;

    /// Collects everything the subscriber writes.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn log_lines_hold_the_route_but_no_secrets() {
        // A process-wide subscriber, not a thread-local one: tests running
        // in parallel meet the same callsite, and one that met it with no
        // subscriber would cache "not interested" for every thread. This is
        // the only test in the binary that installs one; the other tests'
        // request lines land here too, and must hold no secret either.
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("no other test installs a subscriber");
        let state = state();
        let token = cc_token(&state, "C_BASIC", "audits:read").await;
        let key = state.fixtures.api_key("LIVE_STD").unwrap().key.expose().to_owned();
        send(&state, get(&format!("/v1/audits?access_token={token}"), None)).await;
        send(&state, get(&format!("/v1/audits/{key}"), None)).await;
        let secret = state.fixtures.client("C_BASIC").unwrap().secret.clone().unwrap();
        let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert!(
            log.contains("route=\"/oauth/token\"") || log.contains("route=/oauth/token"),
            "{log}"
        );
        assert!(log.contains("status=401"), "{log}");
        for leaked in [token.as_str(), key.as_str(), secret.expose(), "access_token"] {
            assert!(!log.contains(leaked), "the log holds {leaked}: {log}");
        }
    }
}
