//! Turning a [`TargetSpec`] into a server to talk to: either a running
//! remote target, or the embedded reference server started for the run and
//! stopped after it.

use crate::fixtures::{Fixtures, Tier};
use crate::load::LoadError;
use crate::load::clock::BoxFuture;
use crate::load::config::{KeyRef, RemoteTarget, TargetSpec};

/// Stops whatever was started for the run (the embedded server).
pub type Shutdown = Box<dyn FnOnce() -> BoxFuture<'static, ()> + Send>;

/// The target a run talks to, and how to stop it afterwards.
pub struct Resolved {
    pub remote: RemoteTarget,
    /// "embedded" or "remote", for the summary.
    pub kind: &'static str,
    pub shutdown: Option<Shutdown>,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("remote", &self.remote)
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl Resolved {
    pub async fn shutdown(self) {
        if let Some(stop) = self.shutdown {
            stop().await;
        }
    }
}

/// Resolves the spec; `window` is what the embedded server is told to use.
pub async fn resolve(spec: &TargetSpec, window: std::time::Duration) -> Result<Resolved, LoadError> {
    match spec {
        TargetSpec::Remote(remote) => Ok(Resolved {
            remote: remote.clone(),
            kind: "remote",
            shutdown: None,
        }),
        TargetSpec::Embedded { fixtures, path } => {
            let (mut remote, shutdown) = embedded_target(fixtures, window).await?;
            remote.path = path.clone();
            Ok(Resolved {
                remote,
                kind: "embedded",
                shutdown: Some(shutdown),
            })
        }
    }
}

/// Starts the embedded reference server with a `window` rate window.
pub async fn embedded_target(
    fixtures: &Fixtures,
    window: std::time::Duration,
) -> Result<(RemoteTarget, Shutdown), LoadError> {
    let mut config = crate::server::ServeConfig::new(fixtures.clone(), crate::server::TlsSetup::Ephemeral);
    config.bind = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    config.rate_window = window;
    config.validate().map_err(|e| LoadError::Target(e.to_string()))?;
    let server = crate::server::start(config)
        .await
        .map_err(|e| LoadError::Target(format!("cannot start the embedded reference server: {e}")))?;
    let ca = server
        .ca_pem
        .clone()
        .ok_or_else(|| LoadError::Target("the embedded server has no CA".into()))?;
    let remote = RemoteTarget::with_reference_keys(server.base_url.clone(), crate::http::Trust::Only(ca), fixtures);
    let shutdown: Shutdown = Box::new(move || {
        Box::pin(async move {
            let _ = server.shutdown().await;
        })
    });
    Ok((remote, shutdown))
}

/// The run's key table: every key a tier or the isolation phase may use,
/// indexed by position; observations refer to keys by this index.
#[derive(Debug, Clone)]
pub struct KeyTable {
    pub entries: Vec<(Tier, KeyRef)>,
}

impl KeyTable {
    pub fn new(remote: &RemoteTarget, tiers: &[Tier]) -> Self {
        let mut entries = Vec::new();
        for tier in tiers {
            for key in &remote.tiers[tier].keys {
                entries.push((*tier, key.clone()));
            }
        }
        for (tier, key) in &remote.spare {
            entries.push((*tier, key.clone()));
        }
        // Keys of tiers not selected are spare for isolation too.
        for (tier, t) in &remote.tiers {
            if !tiers.contains(tier) {
                for key in &t.keys {
                    entries.push((*tier, key.clone()));
                }
            }
        }
        Self { entries }
    }

    /// Indices of a selected tier's keys.
    pub fn of_tier(&self, tier: Tier, tiers: &[Tier], remote: &RemoteTarget) -> Vec<usize> {
        let mut start = 0;
        for t in tiers {
            let n = remote.tiers[t].keys.len();
            if *t == tier {
                return (start..start + n).collect();
            }
            start += n;
        }
        Vec::new()
    }

    /// A neighbour key for the isolation phase: the tier's second key, or
    /// a spare one (a key no selected tier loads). Tiers may share a spare:
    /// the neighbour only has to be saturated, and two floods saturate it
    /// as well as one.
    pub fn neighbour_for(&self, tiers: &[Tier], remote: &RemoteTarget, tier: Tier) -> Option<usize> {
        let own = self.of_tier(tier, tiers, remote);
        if own.len() > 1 {
            return Some(own[1]);
        }
        let used: usize = tiers.iter().map(|t| remote.tiers[t].keys.len()).sum();
        let spare = self.entries.len().saturating_sub(used);
        let position = tiers.iter().position(|t| *t == tier).unwrap_or(0);
        (spare > 0).then(|| used + position % spare)
    }

    pub fn name(&self, index: usize) -> &str {
        &self.entries[index].1.name
    }

    pub fn secret(&self, index: usize) -> &crate::secret::Secret {
        &self.entries[index].1.secret
    }
}
