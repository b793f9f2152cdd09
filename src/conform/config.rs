//! The validated configuration of a conformance run. The CLI builds it (the
//! core never sees clap); [`ConformConfig::validate`] refuses anything that
//! cannot work before a file is read or a request sent.

use std::path::PathBuf;
use std::time::Duration;

use super::ConformError;
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
    /// Run only scenarios whose id contains this.
    pub filter: Option<String>,
    /// Print every step's checks and transcript, not only failures'.
    pub verbose: bool,
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
        if self.filter.as_deref().is_some_and(|f| f.trim().is_empty()) {
            return bad("the scenario filter is empty".into());
        }
        for (what, path) in [("JUnit", &self.junit), ("JSON", &self.json)] {
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
        ConformConfig {
            scenario_dirs: vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios")],
            target,
            junit: None,
            json: None,
            timeout: Duration::from_secs(5),
            filter: None,
            verbose: false,
        }
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
