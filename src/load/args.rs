//! From the command line's `load` arguments to a validated [`LoadConfig`]:
//! the target (embedded, reference keys, or a profile), the goose options
//! the harness refuses, and the defaults that depend on other values.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::cli::{GOOSE_ARGS_REFUSED, LoadArgs, PhaseChoice, TierChoice};
use crate::fixtures::{Fixtures, Tier};
use crate::http::Trust;
use crate::load::config::{ConfigError, Gates, KeyRef, LoadConfig, PhaseKind, RemoteTarget, TargetSpec, TierKeys};
use crate::secret::Secret;

const DEFAULT_PATH: &str = "/v1/audits";

/// Builds and validates the configuration `load` runs with.
pub fn config_from_args(args: LoadArgs, env: &dyn Fn(&str) -> Option<String>) -> Result<LoadConfig, ConfigError> {
    refuse_goose_options(&args.goose)?;
    let profile = args.profile.as_deref().map(|p| LoadProfile::read(p, env)).transpose()?;
    let window = args
        .window
        .or_else(|| profile.as_ref().and_then(|p| p.window))
        .unwrap_or(Duration::from_secs(60));
    let path = args
        .path
        .clone()
        .or_else(|| profile.as_ref().and_then(|p| p.path.clone()))
        .unwrap_or_else(|| DEFAULT_PATH.to_owned());
    let target = target(&args, profile, path)?;
    let mut config = LoadConfig::new(target);
    config.tiers = match args.tier {
        TierChoice::Standard => vec![Tier::Standard],
        TierChoice::Professional => vec![Tier::Professional],
        TierChoice::Enterprise => vec![Tier::Enterprise],
        TierChoice::All => Tier::ALL.to_vec(),
    };
    config.window = window;
    config.duration = args.duration.unwrap_or(window * 3);
    config.users_per_tier = args.users_per_tier;
    config.load_factor = args.load_factor;
    config.polite = !args.impolite;
    config.phases = PhaseKind::ALL
        .into_iter()
        .filter(|p| !args.skip.iter().any(|s| phase_of(*s) == *p))
        .collect();
    config.ra_samples = args.ra_samples;
    config.concurrency = args.concurrency;
    config.request_timeout = args.request_timeout;
    config.out_dir = args.out;
    config.gates = Gates {
        min_accuracy: args.min_accuracy,
        max_over_admission: args.max_over_admission,
        max_p99: args.max_p99,
    };
    config.progress = !args.no_progress && args.goose.quiet == 0;
    config.goose = args.goose;
    config.validate()?;
    Ok(config)
}

fn phase_of(choice: PhaseChoice) -> PhaseKind {
    match choice {
        PhaseChoice::First429 => PhaseKind::First429,
        PhaseChoice::Isolation => PhaseKind::Isolation,
        PhaseChoice::RetryAfter => PhaseKind::RetryAfter,
        PhaseChoice::Penalty => PhaseKind::Penalty,
        PhaseChoice::Concurrency => PhaseKind::Concurrency,
        PhaseChoice::Load => PhaseKind::Load,
    }
}

fn target(args: &LoadArgs, profile: Option<LoadProfile>, path: String) -> Result<TargetSpec, ConfigError> {
    let Some(url) = &args.target else {
        if args.ca_cert.is_some() {
            return Err(ConfigError(
                "--ca-cert needs --target (the embedded server brings its own CA)".into(),
            ));
        }
        return Ok(TargetSpec::Embedded {
            fixtures: Box::new(Fixtures::builtin()),
            path,
        });
    };
    if url.starts_with("http://") && !args.allow_http {
        return Err(ConfigError(format!(
            "{url}: plain HTTP is refused; give https:// (or --allow-http for a local double)"
        )));
    }
    let trust = match &args.ca_cert {
        Some(p) => Trust::from_pem_file(p).map_err(|e| ConfigError(e.to_string()))?,
        None => Trust::System,
    };
    let mut remote = match profile {
        Some(p) => RemoteTarget {
            base_url: url.clone(),
            trust,
            path: String::new(),
            tiers: p.tiers,
            spare: p.spare,
        },
        None => RemoteTarget::with_reference_keys(url.clone(), trust, &Fixtures::builtin()),
    };
    remote.path = path;
    Ok(TargetSpec::Remote(remote))
}

/// goose options the harness sets itself are refused by name. The check
/// reads goose's configuration through serde so it also sees fields goose
/// keeps crate-private (such as `test_plan`).
fn refuse_goose_options(goose: &goose::config::GooseConfiguration) -> Result<(), ConfigError> {
    let value = serde_json::to_value(goose).map_err(|e| ConfigError(e.to_string()))?;
    for (field, instead) in GOOSE_ARGS_REFUSED {
        let set = match value.get(*field) {
            None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) => false,
            Some(serde_json::Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        if set {
            return Err(ConfigError(format!(
                "goose's --{} is not available under `load`: {instead}",
                field.replace('_', "-")
            )));
        }
    }
    Ok(())
}

/// A target profile's `[load]` table; other tables (conform's) are ignored.
#[derive(Debug)]
struct LoadProfile {
    path: Option<String>,
    window: Option<Duration>,
    tiers: BTreeMap<Tier, TierKeys>,
    spare: Vec<(Tier, KeyRef)>,
}

#[derive(Deserialize)]
struct RawProfile {
    load: RawLoad,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLoad {
    path: Option<String>,
    window: Option<String>,
    #[serde(default)]
    tiers: BTreeMap<Tier, RawTier>,
    #[serde(default)]
    spare: Vec<RawSpare>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    limit: u64,
    keys_env: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpare {
    tier: Tier,
    key_env: String,
}

impl LoadProfile {
    fn read(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let source = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read profile {}: {e}", path.display())))?;
        let raw: RawProfile = toml::from_str(&source).map_err(|e| {
            let d = crate::diagnostic::Diagnostic::from_toml(path, &source, &e);
            ConfigError(d.to_string())
        })?;
        let key = |var: &str| -> Result<KeyRef, ConfigError> {
            let value = env(var).ok_or_else(|| {
                ConfigError(format!(
                    "{}: environment variable {var} (an API key) is not set",
                    path.display()
                ))
            })?;
            Ok(KeyRef {
                name: var.to_owned(),
                secret: Secret::new(value),
            })
        };
        let mut tiers = BTreeMap::new();
        for (tier, t) in raw.load.tiers {
            let keys = t.keys_env.iter().map(|v| key(v)).collect::<Result<_, _>>()?;
            tiers.insert(tier, TierKeys { limit: t.limit, keys });
        }
        let spare = raw
            .load
            .spare
            .iter()
            .map(|s| Ok((s.tier, key(&s.key_env)?)))
            .collect::<Result<_, ConfigError>>()?;
        let window = raw
            .load
            .window
            .as_deref()
            .map(crate::cli::parse_duration)
            .transpose()
            .map_err(|e| ConfigError(format!("{}: [load] window: {e}", path.display())))?;
        Ok(Self {
            path: raw.load.path,
            window,
            tiers,
            spare,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn parse(argv: &[&str]) -> Result<LoadConfig, ConfigError> {
        let mut full = vec!["p11-harness", "load"];
        full.extend_from_slice(argv);
        let Command::Load(args) = Cli::try_parse_from(full).unwrap().command else {
            panic!()
        };
        config_from_args(*args, &|v| (v == "VENDOR_STD").then(|| "p11_live_x".to_owned()))
    }

    #[test]
    fn defaults_are_the_embedded_server_and_three_windows() {
        let c = parse(&["--window", "6s"]).unwrap();
        assert!(matches!(c.target, TargetSpec::Embedded { .. }));
        assert_eq!(c.duration, Duration::from_secs(18));
        assert_eq!(c.tiers.len(), 3);
        assert!(c.polite);
    }

    #[test]
    fn refuses_goose_options_the_harness_sets() {
        let e = parse(&["--co-mitigation", "average"]).unwrap_err();
        assert!(e.0.contains("--co-mitigation"), "{e}");
        let e = parse(&["--accept-invalid-certs"]).unwrap_err();
        assert!(e.0.contains("TLS verification stays on"), "{e}");
        let e = parse(&["-u", "3"]).unwrap_err();
        assert!(e.0.contains("--users-per-tier"), "{e}");
        let e = parse(&["--test-plan", "10,1m"]).unwrap_err();
        assert!(e.0.contains("--test-plan"), "{e}");
    }

    #[test]
    fn refuses_plain_http_unless_allowed() {
        assert!(
            parse(&["--target", "http://127.0.0.1:1"])
                .unwrap_err()
                .0
                .contains("plain HTTP")
        );
        let c = parse(&["--target", "http://127.0.0.1:1", "--allow-http", "--skip", "load"]).unwrap();
        assert!(!c.runs(PhaseKind::Load));
    }

    #[test]
    fn profile_names_keys_by_environment_variable() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("vendor.toml");
        std::fs::write(
            &p,
            "[conform]\nanything = 1\n[load]\nwindow = \"10s\"\n[load.tiers.standard]\nlimit = 50\nkeys_env = [\"VENDOR_STD\"]\n",
        )
        .unwrap();
        let c = parse(&[
            "--target",
            "https://127.0.0.1:1",
            "--profile",
            p.to_str().unwrap(),
            "--tier",
            "standard",
        ])
        .unwrap();
        assert_eq!(c.window, Duration::from_secs(10));
        let TargetSpec::Remote(r) = &c.target else { panic!() };
        assert_eq!(r.tiers[&Tier::Standard].limit, 50);
        assert_eq!(r.tiers[&Tier::Standard].keys[0].name, "VENDOR_STD");
        std::fs::write(&p, "[load.tiers.standard]\nlimit = 50\nkeys_env = [\"MISSING\"]\n").unwrap();
        let e = parse(&["--target", "https://127.0.0.1:1", "--profile", p.to_str().unwrap()]).unwrap_err();
        assert!(e.0.contains("MISSING"), "{e}");
    }
}
