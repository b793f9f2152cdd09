//! Targets that misbehave below the level of a wrong answer: a server that
//! hangs up mid-scenario (an ERROR, exit 3, never a FAIL) and one whose
//! errors are not JSON (a FAIL that says what came back, never a crash).
//! A slow target is `conform_negative::a_transport_failure_mid_scenario...`.

use std::path::Path;

use p11_harness::conform::{ConformConfig, Outcome, RunSummary, ScenarioStatus, Target, run_until};
use p11_harness::fixtures::Fixtures;
use p11_harness::http::Trust;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(base_url: String, filter: &str) -> ConformConfig {
    let scenarios = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let target = Target::Url {
        base_url,
        trust: Trust::System,
        fixtures: Fixtures::builtin(),
        allow_http: true,
    };
    let mut config = ConformConfig::new(vec![scenarios], target);
    config.filters = vec![filter.to_owned()];
    config
}

async fn run(config: ConformConfig) -> (RunSummary, String) {
    p11_harness::http::install_crypto_provider();
    let mut out = Vec::new();
    let summary = run_until(config, &mut out, std::future::pending()).await.unwrap();
    (summary, String::from_utf8(out).unwrap())
}

/// Answers `GET /` (the reachability probe) and closes every other
/// connection as soon as the request has arrived, without a byte back.
async fn hang_up_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        // Bounded: a handful of connections is all one scenario makes.
        for _ in 0..32 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                if buf[..n].starts_with(b"GET / ") {
                    let reply = "HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
                    let _ = socket.write_all(reply.as_bytes()).await;
                }
                // Dropped: the connection closes.
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_target_that_hangs_up_mid_scenario_is_an_error_not_a_failure() {
    let (summary, human) = run(config(hang_up_server().await, "RFC6749-4.4.2-happy")).await;
    let s = &summary.scenarios[0];
    let ScenarioStatus::Error { message } = &s.status else {
        panic!("expected an ERROR:\n{human}");
    };
    assert!(message.contains("step 1"), "{message}");
    assert!(
        !s.checks().any(|c| c.outcome == Outcome::Fail),
        "no check is judged without a reply"
    );
    assert_eq!(summary.exit_code(), 3, "{human}");
}

#[tokio::test]
async fn a_non_json_error_body_fails_with_what_came_back() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_raw("<html><body>Bad Request</body></html>", "text/html"))
        .mount(&server)
        .await;
    let (summary, human) = run(config(server.uri(), "RFC6749-5.2-unsupported_grant_type")).await;
    let s = &summary.scenarios[0];
    assert_eq!(s.status, ScenarioStatus::Fail, "{human}");
    let failed: Vec<String> = s
        .checks()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| format!("{} {}: {}", c.subject, c.expected, c.actual))
        .collect();
    assert!(
        failed
            .iter()
            .any(|f| f.contains("Content-Type") && f.contains("text/html")),
        "the media type is reported: {failed:#?}"
    );
    assert!(
        failed.iter().any(|f| f.contains("the body is not JSON")),
        "the missing JSON member is reported: {failed:#?}"
    );
    assert!(
        human.contains("<html><body>Bad Request"),
        "the transcript shows the body:\n{human}"
    );
    assert_eq!(summary.exit_code(), 1);
}
