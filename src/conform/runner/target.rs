//! The target of a run, made concrete: its profile, the certificates to
//! trust, and (for [`Target::Embedded`]) the reference server we started.

use crate::conform::ConformError;
use crate::conform::config::Target;
use crate::conform::profile::TargetProfile;
use crate::conform::result::TargetInfo;
use crate::http::Trust;
use crate::secret::Secret;
use crate::server::{RunningServer, ServeConfig, TlsSetup};

pub(crate) struct LiveTarget {
    pub profile: TargetProfile,
    pub trust: Trust,
    server: Option<RunningServer>,
}

/// The profile a target will have, before anything is started: enough to
/// check the scenario files' variables.
pub(crate) fn planned_profile(target: &Target) -> TargetProfile {
    match target {
        Target::Embedded { server } => TargetProfile::reference(&server.fixtures, "https://127.0.0.1:0"),
        Target::Url { base_url, fixtures, .. } => TargetProfile::reference(fixtures, base_url),
        Target::Profile { profile, .. } => profile.clone(),
    }
}

impl LiveTarget {
    pub async fn start(target: &Target) -> Result<Self, ConformError> {
        match target {
            Target::Embedded { server } => {
                // The caller's tuning (token TTL, windows) and fixtures; always
                // a free loopback port and an in-memory CA.
                let mut config: ServeConfig = server.clone();
                config.tls = TlsSetup::Ephemeral;
                config.bind = "127.0.0.1:0".parse().expect("a valid socket address");
                // A conformance run judges single requests and short bursts:
                // a rate window that rolled over mid-burst, or a token that
                // expired by itself, would fail a correct server. Time moves
                // only when a scenario advances it.
                config.manual_clock = true;
                let fixtures = config.fixtures.clone();
                let server = crate::server::start(config)
                    .await
                    .map_err(|e| ConformError::EmbeddedServer(e.to_string()))?;
                let ca = server
                    .ca_pem
                    .clone()
                    .ok_or_else(|| ConformError::EmbeddedServer("the ephemeral server has no CA".into()))?;
                let mut fixtures = fixtures;
                fixtures.admin_secret = Secret::new(server.admin_secret.expose());
                Ok(Self {
                    profile: TargetProfile::reference(&fixtures, &server.base_url),
                    trust: Trust::Only(ca),
                    server: Some(server),
                })
            }
            Target::Url {
                base_url,
                trust,
                fixtures,
                ..
            } => Ok(Self {
                profile: TargetProfile::reference(fixtures, base_url),
                trust: trust.clone(),
                server: None,
            }),
            Target::Profile { profile, trust } => Ok(Self {
                profile: profile.clone(),
                trust: trust.clone(),
                server: None,
            }),
        }
    }

    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            name: self.profile.name.clone(),
            base_url: self.profile.base_url.clone(),
        }
    }

    /// Stops the embedded server, if we started one. A failure to stop
    /// cleanly does not change the run's results.
    pub async fn stop(self) {
        if let Some(server) = self.server
            && let Err(e) = server.shutdown().await
        {
            tracing::warn!(target: "p11_harness::conform", "embedded server shutdown: {e}");
        }
    }
}

/// One request to the base URL: any HTTP answer means reachable.
pub(crate) async fn check_reachable(client: &reqwest::Client, profile: &TargetProfile) -> Result<(), ConformError> {
    let url = format!("{}/", profile.base_url);
    match client.get(&url).send().await {
        Ok(_) => Ok(()),
        Err(e) => {
            let detail = super::exec::error_chain(&e);
            let lower = detail.to_ascii_lowercase();
            let hint = if ["certificate", "tls", "handshake", "unknownissuer"]
                .iter()
                .any(|w| lower.contains(w))
            {
                "the server's certificate is not trusted: pass --ca-cert with the CA that signed it \
                 (for `p11-harness serve`, the ca.pem in its state directory), and check --target"
            } else {
                "check --target (scheme, host, port) and that the server is running"
            };
            Err(ConformError::Unreachable {
                url: profile.base_url.clone(),
                detail,
                hint: hint.into(),
            })
        }
    }
}
