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

Exit codes (conform): 0 all checks passed (warnings, skips and baselined failures
allowed), 1 a check failed that no baseline lists or a baseline entry is stale, 2 usage
or scenario/profile/baseline file error, 3 target unreachable or TLS failure, 130
interrupted (the reports hold what ran). `load`: see `p11-harness load --help`.")]
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
    /// Drive load at a target's rate limits (with goose) and measure how
    /// accurately it enforces them, how honest its Retry-After is, and its
    /// latency in HDR histograms.
    Load(Box<LoadArgs>),
    /// Work with reports of earlier runs.
    #[command(subcommand)]
    Report(ReportCommand),
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

    /// Stop the server's clock at start-up: it moves only through
    /// POST /_harness/clock/advance, so rate windows and token expiry happen
    /// exactly when a test says (what `conform`'s embedded server does).
    #[arg(long)]
    pub manual_clock: bool,

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

Exit codes: 0 all checks passed (warnings, skips and baselined failures allowed), 1 a
check failed that no baseline lists or a baseline entry is stale, 2 usage or
scenario/profile/baseline file error, 3 target unreachable, TLS failure or a target that
stopped answering, 130 interrupted (the reports hold what ran).

Examples:
  p11-harness conform
  p11-harness conform --junit reports/junit.xml --json reports/conformance.json
  p11-harness conform --filter RFC7636 --filter pkce
  p11-harness conform --list
  p11-harness conform --profile vendor.toml --write-baseline ci/baseline.toml
  p11-harness conform --profile vendor.toml --baseline ci/baseline.toml --junit reports/junit.xml
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

    /// Run only matching scenarios (repeatable: any may match): an id
    /// fragment, a tag, or a reference such as "RFC 7636" or "RFC 6750 §3.1".
    #[arg(long = "filter", value_name = "TEXT")]
    pub filters: Vec<String>,

    /// Print the catalogue (ids, levels, references, needs) and exit; with
    /// --filter, only what it selects. Nothing is started or sent.
    #[arg(long)]
    pub list: bool,

    /// How MUST* (derived) rows count: strict fails them, interop warns.
    /// Default: strict for the reference server, interop for --profile.
    #[arg(long, value_enum, value_name = "RULES")]
    pub strictness: Option<StrictnessArg>,

    /// Judge by the plain RFCs instead of the Point11 profile: PROFILE
    /// scenarios are skipped and PROFILE checks only noted.
    #[arg(long)]
    pub rfc_only: bool,

    /// Known failures (TOML, `known = ["ID", "ID#CHECK"]`): listed failures
    /// do not fail the gate, new ones do, and an entry that passes now is
    /// stale and fails it too.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,

    /// Write this run's failures as a baseline file (then gate with --baseline).
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,

    /// Scenarios run at a time; output keeps file order. Scenarios that move
    /// the server's clock or keys always run alone.
    #[arg(long, short = 'j', default_value_t = 1, value_name = "N", value_parser = parse_jobs)]
    pub jobs: usize,

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

/// `--strictness`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StrictnessArg {
    /// MUST* (derived) rows fail like MUST rows.
    Strict,
    /// MUST* rows warn: implementations legitimately differ there.
    Interop,
}

#[derive(Debug, Args)]
#[command(mut_args(hide_goose_arg), disable_version_flag = true)]
#[command(after_help = "\
Targets:
  (none)                  start an embedded reference server with a --window rate window
  --target URL            a server with the Point11 paths and the reference fixtures' keys
  --target URL --profile FILE
                          a target whose keys (from environment variables), limits and
                          window a profile names; see fixtures/targets/load-example.toml

TLS is always verified: the system's trust store, or only --ca-cert when given.

Phases, per tier: first-429 (n1 in a fresh window), isolation (needs a spare key),
retry-after (honesty, slack, reset truth), penalty (dense vs sparse probing),
concurrency (N users on one key in a synchronized burst) and load (goose, open loop,
polite about Retry-After unless --impolite). Skip any with --skip.

Reports go to <out>/load-<timestamp>/: summary.json, one .hgrm per latency histogram,
latency.hlog and report.html. Ctrl-C stops the run and still writes them.

Goose's own options (reports, logs, thresholds, ramp-up) are accepted; the ones the
harness sets itself (host, users, run time, scenarios, TLS, coordinated-omission
mitigation, controllers) are not.

Exit codes: 0 all gates passed, 1 a gate or a goose threshold failed, 2 usage error,
3 target unreachable or TLS failure, 130 interrupted (the reports hold what it measured).

Examples:
  p11-harness load --tier standard
  p11-harness load --target https://127.0.0.1:8443 --ca-cert .p11-harness/ca.pem --window 6s
                          (against `p11-harness serve --rate-window 6s`: --window must be the target's)
  p11-harness load --tier all --min-accuracy 0.99 --max-over-admission 0 --max-p99 250ms")]
pub struct LoadArgs {
    /// Which tier's keys to load.
    #[arg(long, value_enum, default_value = "all", value_name = "TIER")]
    pub tier: TierChoice,

    /// Base URL of the server to load (https://...); default: an embedded reference server.
    #[arg(long, value_name = "URL")]
    pub target: Option<String>,

    /// Target profile (TOML) naming the keys, limits and window per tier.
    #[arg(long, value_name = "FILE", requires = "target")]
    pub profile: Option<PathBuf>,

    /// Trust only this CA certificate (PEM) for the target's TLS.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,

    /// Accept an http:// target (for local doubles; never for a real API).
    #[arg(long)]
    pub allow_http: bool,

    /// How long the goose load phase runs [default: three windows].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<Duration>,

    /// goose users per tier, spread over the tier's keys.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub users_per_tier: usize,

    /// Offered load per key as a multiple of its limit per window.
    #[arg(long, default_value_t = 1.5, value_name = "X")]
    pub load_factor: f64,

    /// The target's rate-limit window, when it is shortened (whole seconds)
    /// [default: the profile's, else 60s].
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub window: Option<Duration>,

    /// The rate-limited resource to request [default: the profile's, else /v1/audits].
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,

    /// Keep sending on schedule after a 429 instead of waiting out Retry-After.
    #[arg(long)]
    pub impolite: bool,

    /// Skip a phase (repeatable).
    #[arg(long, value_enum, value_name = "PHASE")]
    pub skip: Vec<PhaseChoice>,

    /// How many 429s to sample for Retry-After honesty and slack.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub ra_samples: usize,

    /// Users on one key for the concurrency bursts.
    #[arg(long, value_delimiter = ',', default_value = "1,8,32,128", value_name = "LIST")]
    pub concurrency: Vec<usize>,

    /// Per-request timeout of the harness's own probes.
    #[arg(long, default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// Folder under which the run's reports/load-<timestamp>/ folder is made.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,

    /// Gate: fail unless every tier's admission accuracy (1 - max |α_w - 1|) is at least X.
    #[arg(long, value_name = "X", help_heading = "Gates")]
    pub min_accuracy: Option<f64>,

    /// Gate: fail when over-admission exceeds X of the limit (0.01 or 1%).
    #[arg(long, value_name = "X", value_parser = parse_fraction, help_heading = "Gates")]
    pub max_over_admission: Option<f64>,

    /// Gate: fail when a tier's p99 service time (2xx or 429) exceeds DURATION.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Gates")]
    pub max_p99: Option<Duration>,

    /// Don't show the progress display.
    #[arg(long)]
    pub no_progress: bool,

    #[command(flatten)]
    pub goose: goose::config::GooseConfiguration,
}

/// goose options the harness sets itself or that make no sense here: they
/// stay parseable (so a clear refusal can name them) but out of `--help`.
pub const GOOSE_ARGS_REFUSED: &[(&str, &str)] = &[
    ("host", "use --target"),
    ("users", "use --users-per-tier"),
    ("run_time", "use --duration"),
    ("iterations", "the load phase is timed; use --duration"),
    ("test_plan", "the load phase holds its users steady; use --duration"),
    ("scenarios", "use --tier"),
    (
        "throttle_requests",
        "the harness paces each user open-loop; use --load-factor",
    ),
    (
        "co_mitigation",
        "it backfills requests the harness deliberately did not send",
    ),
    ("accept_invalid_certs", "TLS verification stays on; use --ca-cert"),
    ("version", "use p11-harness --version"),
    ("list", "the scenarios are the tiers"),
    ("scenarios_list", "the scenarios are the tiers"),
    ("render_report", "it runs no load"),
    ("no_metrics", "the harness needs goose's run"),
    ("no_autostart", "nothing would start the run"),
    ("dashboard", "goose's dashboard feature is not built in"),
    ("dashboard_host", "goose's dashboard feature is not built in"),
    ("dashboard_port", "goose's dashboard feature is not built in"),
    ("dashboard_auth_token", "goose's dashboard feature is not built in"),
    ("dashboard_control", "goose's dashboard feature is not built in"),
    ("dashboard_no_auth", "goose's dashboard feature is not built in"),
    ("dashboard_max_clients", "goose's dashboard feature is not built in"),
    ("no_percentiles_over_time", "goose's dashboard feature is not built in"),
    ("telnet_host", "goose's controllers are off"),
    ("telnet_port", "goose's controllers are off"),
    ("no_telnet", "goose's controllers are off"),
    ("websocket", "goose's controllers are off"),
    ("no_websocket", "goose's controllers are off"),
    ("websocket_host", "goose's controllers are off"),
    ("websocket_port", "goose's controllers are off"),
    ("timeout", "use --request-timeout"),
    ("no_gzip", "the harness builds goose's HTTP client"),
    ("sticky_follow", "redirects are never followed"),
];

fn hide_goose_arg(arg: clap::Arg) -> clap::Arg {
    let id = arg.get_id().as_str();
    if GOOSE_ARGS_REFUSED.iter().any(|(refused, _)| *refused == id) {
        arg.hide(true)
    } else {
        arg
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TierChoice {
    Standard,
    Professional,
    Enterprise,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PhaseChoice {
    #[value(name = "first-429")]
    First429,
    Isolation,
    RetryAfter,
    Penalty,
    Concurrency,
    Load,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge HDR interval logs (.hlog) from several load workers into one set
    /// of percentiles and one .hgrm per histogram tag.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Histograms are merged by tag (tier.outcome.metric), losslessly. Writes one .hgrm per
tag and merged.hlog into --out, and prints the percentiles.

Example:
  p11-harness report merge host-a/latency.hlog host-b/latency.hlog --out reports/merged")]
pub struct MergeArgs {
    /// Interval logs written by `load` (latency.hlog).
    #[arg(required = true, value_name = "HLOG")]
    pub logs: Vec<PathBuf>,

    /// Folder for the merged .hgrm files and merged.hlog [default: reports/merge-<timestamp>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Parses a fraction: `0.01`, `1%` or `500ppm`.
pub fn parse_fraction(text: &str) -> Result<f64, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix('%') {
        (n, 100.0)
    } else if let Some(n) = text.strip_suffix("ppm") {
        (n, 1e6)
    } else {
        (text, 1.0)
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a fraction; write e.g. 0.01, 1% or 500ppm"))?;
    let value = value / scale;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("`{text}` is outside 0..1 (0%..100%)"));
    }
    Ok(value)
}

/// Parses `90`, `90s`, `1500ms`, `5m` or `1h`.
/// `--jobs`: 1 to 64 scenarios at a time.
fn parse_jobs(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n @ 1..=64) => Ok(n),
        _ => Err(format!("`{text}` is not a number of jobs from 1 to 64")),
    }
}

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

    #[test]
    fn fractions() {
        assert_eq!(parse_fraction("0.01"), Ok(0.01));
        assert_eq!(parse_fraction("1%"), Ok(0.01));
        assert_eq!(parse_fraction("500ppm"), Ok(0.0005));
        assert!(parse_fraction("2").is_err());
        assert!(parse_fraction("x").is_err());
    }

    #[test]
    fn load_parses_and_hides_goose_options_it_sets_itself() {
        let cli =
            Cli::try_parse_from(["p11-harness", "load", "--tier", "standard", "--report-file", "g.html"]).unwrap();
        let Command::Load(args) = cli.command else {
            panic!("not load")
        };
        assert_eq!(args.tier, TierChoice::Standard);
        assert_eq!(args.goose.report_file, vec!["g.html".to_owned()]);
        let mut cmd = Cli::command();
        let help = cmd.find_subcommand_mut("load").unwrap().render_long_help().to_string();
        assert!(help.contains("--report-file") && help.contains("--users-per-tier"));
        assert!(
            !help.contains("--accept-invalid-certs") && !help.contains("--co-mitigation"),
            "{help}"
        );
    }

    #[test]
    fn report_merge_parses() {
        let cli = Cli::try_parse_from(["p11-harness", "report", "merge", "a.hlog", "b.hlog"]).unwrap();
        let Command::Report(ReportCommand::Merge(args)) = cli.command else {
            panic!("not merge")
        };
        assert_eq!(args.logs.len(), 2);
    }
}
