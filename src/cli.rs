//! Command-line surface: clap structs only. `crate::run` turns them into the
//! validated configs the rest of the library takes; nothing else imports
//! clap.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::server::Fault;

/// Checks that an OAuth 2.0-protected Point11 API behaves as RFC 6749, RFC 7636,
/// RFC 6750 and the Point11 contract say, and runs a reference server to
/// develop against.
#[derive(Debug, Parser)]
#[command(name = "p11-harness", version, propagate_version = true, max_term_width = 100)]
#[command(after_help = "\
Quick start:
  p11-harness conform                      check the embedded reference server (no set-up)
  p11-harness serve                        run the reference server on https://127.0.0.1:8443
  p11-harness conform --target https://127.0.0.1:8443 --ca-cert .p11-harness/ca.pem

Exit codes (conform): 0 all checks passed, 1 a check failed, 2 usage or scenario
file error, 3 target unreachable or TLS failure.")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTPS reference Point11 server (OAuth 2.0 token and authorize
    /// endpoints, JWKS, /v1 resources, API keys, rate limits, admin controls).
    Serve(ServeArgs),
    /// Run the conformance scenarios against a target (by default an embedded
    /// reference server started on a free port) and report pass/fail per check.
    Conform(ConformArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
On first start the server creates a local CA and a certificate for
127.0.0.1, ::1 and localhost in --state-dir and prints the CA's path: give
that file to clients (`conform --ca-cert`, curl --cacert) so they can verify
the server. Plain HTTP is never served.

Examples:
  p11-harness serve
  p11-harness serve --bind 127.0.0.1:0 --token-ttl 30s --rate-window 6s
  P11_ADMIN_SECRET=... p11-harness serve --fixtures my-fixtures.toml")]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8443", value_name = "ADDR")]
    pub bind: SocketAddr,

    /// Where the generated CA and server certificate are kept between runs.
    #[arg(long, default_value = ".p11-harness", value_name = "DIR")]
    pub state_dir: PathBuf,

    /// Serve this certificate chain (PEM) instead of a generated one; needs --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Private key (PEM) for --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Break this rule on purpose (repeatable), to show that a conformance
    /// run catches it; --list-faults names them.
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,

    /// Print every fault with the checks it must trip, and exit.
    #[arg(long)]
    pub list_faults: bool,

    #[command(flatten)]
    pub server: ServerTuning,
}

/// Settings of a reference server, shared by `serve` and the embedded server
/// that `conform` starts.
#[derive(Debug, Args, Clone)]
pub struct ServerTuning {
    /// Clients, API keys, tiers and scopes (TOML). Defaults to the built-in
    /// fixtures/reference.toml. Secrets may come from the *_env variables it names.
    #[arg(long, value_name = "FILE")]
    pub fixtures: Option<PathBuf>,

    /// Access-token lifetime (e.g. 3600, 90s, 5m, 1h).
    #[arg(long, default_value = "1h", value_name = "DURATION", value_parser = parse_duration)]
    pub token_ttl: Duration,

    /// Authorization-code lifetime.
    #[arg(long, default_value = "5m", value_name = "DURATION", value_parser = parse_duration)]
    pub code_ttl: Duration,

    /// Rate-limit window (the contract's is one minute; shorten it for tests).
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = parse_duration)]
    pub rate_window: Duration,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Targets:
  (none)                       start an embedded reference server on a free port
  --target URL                 a server with the Point11 paths and the reference
                               fixtures' credentials (e.g. `p11-harness serve`)
  --profile FILE               a target profile: endpoints, client ids, secrets (from
                               environment variables) and capabilities; see
                               fixtures/targets/example-vendor.toml

TLS is always verified: the system's trust store, or only --ca-cert when given.

Examples:
  p11-harness conform
  p11-harness conform --junit reports/junit.xml --json reports/conformance.json
  p11-harness conform --filter RFC7636
  p11-harness conform --target https://127.0.0.1:8443 --ca-cert .p11-harness/ca.pem")]
pub struct ConformArgs {
    /// Base URL of the server to check (https://...).
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Target profile (TOML); overrides what --target assumes.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Trust only this CA certificate (PEM) for the target's TLS.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Accept an http:// target (the HTTPS-only checks then fail).
    #[arg(long)]
    pub allow_http: bool,

    /// Scenario directory (repeatable). Default: ./scenarios.
    #[arg(long = "scenarios", value_name = "DIR")]
    pub scenario_dirs: Vec<PathBuf>,

    /// Run only scenarios whose id contains this text.
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,

    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,

    /// Write a JSON report here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,

    /// Per-request timeout; a target slower than this is an error, not a failure.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Show every check, not only failures.
    #[arg(short, long)]
    pub verbose: bool,

    /// Start the embedded server with this fault injected (repeatable; not
    /// with --target or --profile). `serve --list-faults` names them.
    #[arg(long = "server-fault", value_name = "NAME")]
    pub server_faults: Vec<Fault>,

    #[command(flatten)]
    pub server: ServerTuning,
}

/// Parses `90`, `90s`, `1500ms`, `5m` or `1h`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; write e.g. 90s, 1500ms, 5m or 1h"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("unknown unit `{unit}` in `{text}`; use ms, s, m or h")),
    };
    if d.is_zero() {
        return Err("a duration must be greater than zero".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }
}
