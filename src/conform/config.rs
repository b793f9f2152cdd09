//! The validated configuration of a conformance run. The CLI builds it (the
//! core never sees clap); [`ConformConfig::validate`] refuses anything that
//! cannot work before a file is read or a request sent.

use std::path::PathBuf;
use std::time::Duration;

use super::ConformError;
use super::level::{Policy, Strictness};
use super::profile::TargetProfile;
use crate::fixtures::Fixtures;
use crate::http::Trust;
use crate::server::ServeConfig;

#[derive(Debug, Clone)]
pub struct ConformConfig {
    /// Directories (searched recursively for `*.toml`) or single files.
    pub scenario_dirs: Vec<PathBuf>,
    pub target: Target,
    pub junit: Option<PathBuf>,
    pub json: Option<PathBuf>,
    /// Per request, connect included.
    pub timeout: Duration,
    /// Run only scenarios matching one of these (see [`ConformConfig::selects`]);
    /// empty runs them all.
    pub filters: Vec<String>,
    /// Print every step's checks and transcript, not only failures'.
    pub verbose: bool,
    /// `strict` fails MUST* rows, `interop` warns; `None` picks by target:
    /// strict for the reference server, interop for a third-party profile.
    pub strictness: Option<Strictness>,
    /// Judge by the plain RFCs: PROFILE scenarios skip, PROFILE checks are INFO.
    pub rfc_only: bool,
    /// Known failures that do not fail the gate (`baseline.rs`).
    pub baseline: Option<PathBuf>,
    /// Write the run's failures as a baseline here.
    pub write_baseline: Option<PathBuf>,
    /// Scenarios run at a time (at least 1); reports keep file order.
    pub jobs: usize,
}

impl ConformConfig {
    /// A run of every scenario in `scenario_dirs` against `target`, one at a
    /// time, no report files, Point11 rules.
    pub fn new(scenario_dirs: Vec<PathBuf>, target: Target) -> Self {
        Self {
            scenario_dirs,
            target,
            junit: None,
            json: None,
            timeout: Duration::from_secs(10),
            filters: Vec::new(),
            verbose: false,
            strictness: None,
            rfc_only: false,
            baseline: None,
            write_baseline: None,
            jobs: 1,
        }
    }

    /// The rules this run judges by.
    pub fn policy(&self) -> Policy {
        let third_party = matches!(self.target, Target::Profile { .. });
        Policy {
            strictness: self.strictness.unwrap_or(if third_party {
                Strictness::Interop
            } else {
                Strictness::Strict
            }),
            point11: !self.rfc_only,
        }
    }

    /// Whether `--filter` selects a scenario: a filter matches when the id
    /// contains it, a tag equals it, or the reference names it (`RFC7636`,
    /// `rfc 7636` and `RFC 7636 §4.6` all match "RFC 7636 §4.6").
    pub fn selects(&self, id: &str, tags: &[String], reference: &str) -> bool {
        let squash = |s: &str| s.to_ascii_lowercase().replace(' ', "");
        self.filters.is_empty()
            || self.filters.iter().any(|f| {
                id.contains(f.as_str())
                    || tags.iter().any(|t| t.eq_ignore_ascii_case(f))
                    || squash(reference).contains(&squash(f))
            })
    }
}

#[derive(Debug, Clone)]
pub enum Target {
    /// Start the reference server in-process on 127.0.0.1:0 with an
    /// ephemeral CA, trust only that CA, and stop it afterwards.
    /// The server's settings (fixtures, token TTL, windows) come from
    /// `server`; its `bind` and `tls` are replaced.
    Embedded { server: ServeConfig },
    /// A reference server already running (`p11-harness serve`) at
    /// `base_url`, with these fixtures. `allow_http` permits an `http://`
    /// URL (test doubles; the CLI's `--allow-http`).
    Url {
        base_url: String,
        trust: Trust,
        fixtures: Fixtures,
        allow_http: bool,
    },
    /// Any target described by a profile (`fixtures/targets/*.toml`).
    Profile { profile: TargetProfile, trust: Trust },
}

impl ConformConfig {
    pub fn validate(&self) -> Result<(), ConformError> {
        let bad = |m: String| Err(ConformError::Config(m));
        if self.scenario_dirs.is_empty() {
            return bad("no scenario directory given".into());
        }
        for dir in &self.scenario_dirs {
            if !dir.exists() {
                return bad(format!("scenario path {} does not exist", dir.display()));
            }
        }
        if self.timeout.is_zero() {
            return bad("the request timeout must be greater than zero".into());
        }
        if self.filters.iter().any(|f| f.trim().is_empty()) {
            return bad("a --filter is empty".into());
        }
        if self.jobs == 0 {
            return bad("--jobs must be at least 1".into());
        }
        if let Some(path) = self.baseline.as_ref().filter(|p| !p.is_file()) {
            return bad(format!(
                "the baseline {} does not exist (create one with --write-baseline)",
                path.display()
            ));
        }
        for (what, path) in [
            ("JUnit", &self.junit),
            ("JSON", &self.json),
            ("baseline", &self.write_baseline),
        ] {
            if let Some(parent) = path
                .as_ref()
                .and_then(|p| p.parent())
                .filter(|p| !p.as_os_str().is_empty())
                && !parent.is_dir()
            {
                return bad(format!(
                    "the {what} report's directory {} does not exist",
                    parent.display()
                ));
            }
        }
        if let Target::Url { trust, .. } | Target::Profile { trust, .. } = &self.target {
            check_trust(trust)?;
        }
        match &self.target {
            Target::Embedded { server } => server.validate().map_err(|e| ConformError::Config(e.to_string())),
            Target::Url {
                base_url, allow_http, ..
            } => check_base_url(base_url, *allow_http),
            Target::Profile { profile, .. } => check_base_url(&profile.base_url, false),
        }
    }
}

/// A CA bundle without a single certificate would make every TLS
/// handshake fail; say so instead of reporting the target unreachable.
fn check_trust(trust: &Trust) -> Result<(), ConformError> {
    match trust {
        Trust::System => Ok(()),
        Trust::Only(pem) => match reqwest::Certificate::from_pem_bundle(pem) {
            Ok(certs) if !certs.is_empty() => Ok(()),
            Ok(_) => Err(ConformError::Config(
                "the CA certificate file holds no PEM certificate".into(),
            )),
            Err(e) => Err(ConformError::Config(format!(
                "the CA certificate file is not usable: {e}"
            ))),
        },
    }
}

fn check_base_url(base_url: &str, allow_http: bool) -> Result<(), ConformError> {
    let url = url::Url::parse(base_url)
        .map_err(|e| ConformError::Config(format!("target URL `{base_url}` is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http => Ok(()),
        "http" => Err(ConformError::Config(format!(
            "target URL `{base_url}` is plain http; Point11 is HTTPS only (pass --allow-http for a test double)"
        ))),
        other => Err(ConformError::Config(format!(
            "target URL scheme `{other}` is not https"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(target: Target) -> ConformConfig {
        ConformConfig::new(
            vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")],
            target,
        )
    }

    #[test]
    fn http_needs_explicit_permission() {
        let url = |allow_http| Target::Url {
            base_url: "http://127.0.0.1:1".into(),
            trust: Trust::System,
            fixtures: Fixtures::builtin(),
            allow_http,
        };
        assert!(matches!(config(url(false)).validate(), Err(ConformError::Config(_))));
        assert!(config(url(true)).validate().is_ok());
    }

    #[test]
    fn filters_match_id_tag_or_reference() {
        let mut c = config(Target::Embedded {
            server: crate::server::ServeConfig::new(Fixtures::builtin(), crate::server::TlsSetup::Ephemeral),
        });
        let tags = ["pkce".to_owned()];
        let (id, reference) = ("RFC7636-4.6-verifier-mismatch", "RFC 7636 §4.6");
        assert!(c.selects(id, &tags, reference), "no filter selects all");
        for f in ["verifier-mismatch", "PKCE", "rfc7636", "RFC 7636 §4.6"] {
            c.filters = vec![f.into()];
            assert!(c.selects(id, &tags, reference), "{f}");
        }
        c.filters = vec!["RFC6750".into(), "token-endpoint".into()];
        assert!(!c.selects(id, &tags, reference));
    }

    #[test]
    fn strictness_defaults_by_target() {
        let embedded = config(Target::Embedded {
            server: crate::server::ServeConfig::new(Fixtures::builtin(), crate::server::TlsSetup::Ephemeral),
        });
        assert_eq!(embedded.policy().strictness, Strictness::Strict);
        let profile = TargetProfile::reference(&Fixtures::builtin(), "https://vendor.test");
        let mut third = config(Target::Profile {
            profile,
            trust: Trust::System,
        });
        assert_eq!(third.policy().strictness, Strictness::Interop);
        third.strictness = Some(Strictness::Strict);
        third.rfc_only = true;
        assert_eq!(third.policy().strictness, Strictness::Strict);
        assert!(!third.policy().point11);
    }

    #[test]
    fn rejects_zero_timeout_and_missing_dirs() {
        let mut c = config(Target::Embedded {
            server: crate::server::ServeConfig::new(Fixtures::builtin(), crate::server::TlsSetup::Ephemeral),
        });
        c.timeout = Duration::ZERO;
        assert_eq!(c.validate().unwrap_err().exit_code(), 2);
        c.timeout = Duration::from_secs(1);
        c.scenario_dirs = vec![PathBuf::from("/nonexistent/scenarios")];
        assert!(c.validate().is_err());
    }
}
