//! The validated configuration of a load run. Built from the command line
//! (`args.rs`) or directly by tests; nothing runs until
//! [`LoadConfig::validate`] has accepted it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::fixtures::{Fixtures, Tier};
use crate::http::Trust;
use crate::load::clock::{Cancel, Clock, SystemClock};
use crate::secret::Secret;

/// The parts of a run that can be skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhaseKind {
    #[serde(rename = "first-429")]
    First429,
    Isolation,
    RetryAfter,
    Penalty,
    Concurrency,
    Load,
}

impl PhaseKind {
    pub const ALL: [PhaseKind; 6] = [
        PhaseKind::First429,
        PhaseKind::Isolation,
        PhaseKind::RetryAfter,
        PhaseKind::Penalty,
        PhaseKind::Concurrency,
        PhaseKind::Load,
    ];
}

/// An API key the run may use, named for reports (a fixture name or the
/// environment variable it came from); the value itself never prints.
#[derive(Debug, Clone)]
pub struct KeyRef {
    pub name: String,
    pub secret: Secret,
}

/// A tier's nominal limit per window and the keys to load it with.
#[derive(Debug, Clone)]
pub struct TierKeys {
    pub limit: u64,
    pub keys: Vec<KeyRef>,
}

/// A running server to load: where it is, how to trust it, and its keys.
#[derive(Debug, Clone)]
pub struct RemoteTarget {
    pub base_url: String,
    pub trust: Trust,
    /// The rate-limited resource, e.g. `/v1/audits`.
    pub path: String,
    pub tiers: BTreeMap<Tier, TierKeys>,
    /// Keys no selected tier uses, for the isolation phase's neighbour.
    pub spare: Vec<(Tier, KeyRef)>,
}

impl RemoteTarget {
    /// A target with the reference fixtures' keys: each tier is loaded
    /// through its primary live key (LIVE_STD, LIVE_PRO, LIVE_ENT); the
    /// other keys without a custom limit are spare for the isolation phase,
    /// except LIVE_ROT, which the rotation scenarios revoke.
    pub fn with_reference_keys(base_url: impl Into<String>, trust: Trust, fixtures: &Fixtures) -> Self {
        const PRIMARY: [(Tier, &str); 3] = [
            (Tier::Standard, "LIVE_STD"),
            (Tier::Professional, "LIVE_PRO"),
            (Tier::Enterprise, "LIVE_ENT"),
        ];
        let key_ref = |k: &crate::fixtures::ApiKey| KeyRef {
            name: k.name.clone(),
            secret: k.key.clone(),
        };
        let mut tiers = BTreeMap::new();
        for (tier, name) in PRIMARY {
            let keys = fixtures.api_key(name).map(key_ref).into_iter().collect();
            let limit = fixtures.tier_limit(tier);
            tiers.insert(tier, TierKeys { limit, keys });
        }
        let mut spare: Vec<_> = fixtures
            .api_keys
            .iter()
            .filter(|k| k.limit.is_none() && k.name != "LIVE_ROT" && !PRIMARY.iter().any(|(_, n)| *n == k.name))
            .map(|k| (k.tier, key_ref(k)))
            .collect();
        spare.sort_by(|a, b| a.1.name.cmp(&b.1.name));
        Self {
            base_url: base_url.into(),
            trust,
            path: "/v1/audits".into(),
            tiers,
            spare,
        }
    }
}

/// What to load.
#[derive(Debug, Clone)]
pub enum TargetSpec {
    /// Start the reference server in-process (see `target::embedded_target`).
    Embedded { fixtures: Box<Fixtures>, path: String },
    /// A server that is already running.
    Remote(RemoteTarget),
}

/// CI gates; each one that is set must pass for exit code 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gates {
    /// Every tier's admission accuracy, 1 − max_w |α_w − 1|, at least this.
    pub min_accuracy: Option<f64>,
    /// Over-admission O / Σ L at most this fraction.
    pub max_over_admission: Option<f64>,
    /// p99 service time of 2xx and of 429 responses at most this.
    pub max_p99: Option<Duration>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// Everything a load run needs; see [`LoadConfig::new`] for the defaults.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub target: TargetSpec,
    pub tiers: Vec<Tier>,
    /// The target's rate-limit window W (whole seconds).
    pub window: Duration,
    /// The goose load phase's run time.
    pub duration: Duration,
    pub users_per_tier: usize,
    /// ρ: offered requests per window per key, as a multiple of the limit.
    pub load_factor: f64,
    /// Wait out Retry-After in the load phase (§4.8 polite mode).
    pub polite: bool,
    pub phases: BTreeSet<PhaseKind>,
    pub ra_samples: usize,
    pub concurrency: Vec<usize>,
    pub request_timeout: Duration,
    /// Reports go to `<out_dir>/load-<timestamp>/`.
    pub out_dir: PathBuf,
    pub gates: Gates,
    pub progress: bool,
    /// goose's own options (reports, logs, thresholds, ramp-up).
    pub goose: goose::config::GooseConfiguration,
    pub clock: Arc<dyn Clock>,
    pub cancel: Cancel,
}

impl LoadConfig {
    /// A configuration with the defaults: every tier, W = 60 s, three
    /// windows of load, 4 users per tier, ρ = 1.5, polite, every phase,
    /// 3 Retry-After samples, bursts of 1, 8, 32 and 128 users.
    pub fn new(target: TargetSpec) -> Self {
        Self {
            target,
            tiers: Tier::ALL.to_vec(),
            window: Duration::from_secs(60),
            duration: Duration::from_secs(180),
            users_per_tier: 4,
            load_factor: 1.5,
            polite: true,
            phases: PhaseKind::ALL.into_iter().collect(),
            ra_samples: 3,
            concurrency: vec![1, 8, 32, 128],
            request_timeout: Duration::from_secs(10),
            out_dir: PathBuf::from("reports"),
            gates: Gates::default(),
            progress: false,
            goose: goose::config::GooseConfiguration::default(),
            clock: Arc::new(SystemClock::new()),
            cancel: Cancel::new(),
        }
    }

    pub fn runs(&self, phase: PhaseKind) -> bool {
        self.phases.contains(&phase)
    }

    /// Checks the values against each other and against the target.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError(m));
        if self.window.subsec_nanos() != 0 || self.window.is_zero() {
            return bad(format!(
                "--window {:?}: Reset and Retry-After are whole seconds, so the window must be a whole number of seconds (at least 1s)",
                self.window
            ));
        }
        if self.tiers.is_empty() {
            return bad("no tier selected".into());
        }
        if !(1..=1000).contains(&self.users_per_tier) {
            return bad(format!("--users-per-tier {} is outside 1..=1000", self.users_per_tier));
        }
        if !(self.load_factor > 0.0 && self.load_factor <= 100.0) {
            return bad(format!("--load-factor {} is outside (0, 100]", self.load_factor));
        }
        if let Some(n) = self.concurrency.iter().find(|n| !(1..=1024).contains(*n)) {
            return bad(format!("--concurrency {n} is outside 1..=1024"));
        }
        if self.ra_samples > 100 {
            return bad(format!("--ra-samples {} is more than 100", self.ra_samples));
        }
        if let Some(a) = self.gates.min_accuracy
            && !(0.0..=1.0).contains(&a)
        {
            return bad(format!("--min-accuracy {a} is outside 0..=1"));
        }
        if self.runs(PhaseKind::Load) && self.clock.is_virtual() {
            return bad("the goose load phase runs in real time; skip it (--skip load) with a virtual clock".into());
        }
        if self.runs(PhaseKind::Load) && self.duration < Duration::from_secs(1) {
            return bad("--duration must be at least 1s".into());
        }
        if let TargetSpec::Remote(remote) = &self.target {
            self.validate_remote(remote)?;
        }
        Ok(())
    }

    fn validate_remote(&self, remote: &RemoteTarget) -> Result<(), ConfigError> {
        let url = url::Url::parse(&remote.base_url)
            .map_err(|e| ConfigError(format!("target `{}` is not a URL: {e}", remote.base_url)))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(ConfigError(format!("target `{}` is not http(s)", remote.base_url)));
        }
        if !remote.path.starts_with('/') {
            return Err(ConfigError(format!("--path `{}` must start with /", remote.path)));
        }
        for tier in &self.tiers {
            match remote.tiers.get(tier) {
                Some(t) if !t.keys.is_empty() && t.limit > 0 => {}
                _ => {
                    return Err(ConfigError(format!(
                        "the target has no key (or no limit) for tier {}; name one in the profile",
                        tier.as_str()
                    )));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote() -> LoadConfig {
        let target = RemoteTarget::with_reference_keys("https://127.0.0.1:1", Trust::System, &Fixtures::builtin());
        LoadConfig::new(TargetSpec::Remote(target))
    }

    #[test]
    fn defaults_validate() {
        remote().validate().unwrap();
    }

    #[test]
    fn reference_keys_use_the_primary_live_keys() {
        let t = RemoteTarget::with_reference_keys("https://x", Trust::System, &Fixtures::builtin());
        assert_eq!(t.tiers[&Tier::Standard].keys[0].name, "LIVE_STD");
        assert_eq!(t.tiers[&Tier::Enterprise].keys[0].name, "LIVE_ENT");
        assert_eq!(t.tiers[&Tier::Enterprise].limit, 2000);
        assert!(
            t.spare
                .iter()
                .all(|(_, k)| k.name != "LIVE_ROT" && k.name != "LIVE_STD")
        );
        assert!(!t.spare.is_empty());
    }

    #[test]
    fn refuses_fractional_window_and_bad_values() {
        let mut c = remote();
        c.window = Duration::from_millis(1500);
        assert!(c.validate().unwrap_err().0.contains("whole number of seconds"));
        let mut c = remote();
        c.load_factor = 0.0;
        assert!(c.validate().is_err());
        let mut c = remote();
        c.concurrency = vec![0];
        assert!(c.validate().is_err());
        let mut c = remote();
        c.clock = crate::load::clock::ManualClock::starting_at(0.0);
        assert!(c.validate().unwrap_err().0.contains("--skip load"));
    }
}
