//! Consent through a profile's `[authorizer] command` instead of the
//! reference server's form post: every authorization-code scenario still
//! passes with `fixtures/authorizers/form_post.py` doing the consent, and an
//! authorizer that prints no redirect is an ERROR, not a failed check.

use std::path::{Path, PathBuf};
use std::time::Duration;

use p11_harness::conform::{
    Authorizer, Capability, ConformConfig, RunSummary, ScenarioStatus, Target, TargetProfile, run_until,
};
use p11_harness::fixtures::Fixtures;
use p11_harness::http::Trust;
use p11_harness::server::{RunningServer, ServeConfig, TlsSetup};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

async fn server(state: &Path) -> RunningServer {
    p11_harness::http::install_crypto_provider();
    let mut config = ServeConfig::new(Fixtures::builtin(), TlsSetup::StateDir(state.to_owned()));
    config.bind = "127.0.0.1:0".parse().unwrap();
    p11_harness::server::start(config).await.unwrap()
}

async fn run_with(server: &RunningServer, argv: Vec<String>, filters: &[&str]) -> (RunSummary, String) {
    let mut profile = TargetProfile::reference(&Fixtures::builtin(), &server.base_url);
    profile.admin.as_mut().unwrap().secret =
        p11_harness::conform::profile::Credential::Given(server.admin_secret.clone());
    profile.capabilities.remove(&Capability::ConsentFormPost);
    profile.authorizer = Authorizer::Command {
        argv,
        timeout: Duration::from_secs(30),
    };
    let target = Target::Profile {
        profile,
        trust: Trust::Only(server.ca_pem.clone().unwrap()),
    };
    let mut config = ConformConfig::new(vec![root().join("scenarios")], target);
    config.filters = filters.iter().map(|f| (*f).to_owned()).collect();
    let mut out = Vec::new();
    let summary = run_until(config, &mut out, std::future::pending()).await.unwrap();
    (summary, String::from_utf8(out).unwrap())
}

fn python_authorizer(ca: &Path) -> Vec<String> {
    let script: PathBuf = root().join("fixtures/authorizers/form_post.py");
    vec![
        "python3".into(),
        script.display().to_string(),
        "--ca".into(),
        ca.display().to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_authorizer_obtains_consent_for_every_code_scenario() {
    let state = tempfile::tempdir().unwrap();
    let server = server(state.path()).await;
    let ca = server.ca_path.clone().expect("the state directory holds the CA");
    let (summary, human) = run_with(
        &server,
        python_authorizer(&ca),
        &["authorization-code", "access_denied"],
    )
    .await;
    assert!(summary.scenarios.len() >= 20, "{human}");
    for s in &summary.scenarios {
        assert!(
            matches!(s.status, ScenarioStatus::Pass | ScenarioStatus::Skip { .. }),
            "{} did not pass through the authorizer:\n{human}",
            s.id
        );
    }
    let denied = summary
        .scenarios
        .iter()
        .find(|s| s.id == "RFC6749-4.1.2.1-access_denied")
        .expect("the deny scenario ran");
    assert_eq!(
        denied.status,
        ScenarioStatus::Pass,
        "P11_DECISION=deny reached the form:\n{human}"
    );
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorizer_that_prints_no_redirect_is_an_error() {
    let state = tempfile::tempdir().unwrap();
    let server = server(state.path()).await;
    let argv = vec!["sh".into(), "-c".into(), "echo logging in; echo 'not a url'".into()];
    let (summary, human) = run_with(&server, argv, &["RFC6749-4.1.3-happy"]).await;
    let ScenarioStatus::Error { message } = &summary.scenarios[0].status else {
        panic!("expected an ERROR:\n{human}");
    };
    assert!(message.contains("printed no redirect URL"), "{message}");
    assert_eq!(summary.exit_code(), 3);
    let argv = vec!["sh".into(), "-c".into(), "echo 'login refused' >&2; exit 4".into()];
    let (summary, human) = run_with(&server, argv, &["RFC6749-4.1.3-happy"]).await;
    let ScenarioStatus::Error { message } = &summary.scenarios[0].status else {
        panic!("expected an ERROR:\n{human}");
    };
    assert!(message.contains("login refused"), "{message}");
    server.shutdown().await.unwrap();
}
