//! Turns the parsed command line into validated configs (the two-stage
//! configuration of STYLE.md) and runs the chosen job. Nothing below this
//! module sees clap.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{
    Cli, Command, ConformArgs, LoadArgs, MergeArgs, ReportCommand, ServeArgs, ServerTuning, StrictnessArg,
};
use crate::conform::{self, ConformConfig, ConformError, Strictness, Target, TargetProfile};
use crate::fixtures::{Fixtures, FixturesError};
use crate::http::{HttpError, Trust};
use crate::load;
use crate::server::{self, ServeConfig, ServeError, TlsSetup};

pub const EXIT_OK: u8 = 0;
pub const EXIT_CHECK_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_RUNTIME: u8 = 3;
/// Ctrl-C stopped the run; the reports hold what it measured.
pub const EXIT_INTERRUPTED: u8 = 130;

/// Why a command could not do its job (as opposed to a target failing a
/// check, which is an outcome with exit code 1).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Runtime(String),
    #[error(transparent)]
    Fixtures(#[from] FixturesError),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error(transparent)]
    Serve(#[from] ServeError),
    #[error(transparent)]
    Conform(#[from] ConformError),
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Fixtures(_) | Error::Http(_) => EXIT_USAGE,
            Error::Serve(ServeError::Config(_)) | Error::Serve(ServeError::Tls(_)) => EXIT_USAGE,
            Error::Serve(_) | Error::Output(_) | Error::Runtime(_) => EXIT_RUNTIME,
            Error::Conform(e) => e.exit_code(),
        }
    }

    /// Standard output was closed by its reader (`... | head`): not worth a
    /// message, as for any Unix filter.
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            Error::Output(e) => Some(e),
            Error::Conform(ConformError::Report { source, .. }) => Some(source),
            _ => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }
}

/// Runs one command; the returned value is the process exit code.
pub async fn run(cli: Cli, out: &mut (dyn Write + Send)) -> Result<u8, Error> {
    match cli.command {
        Command::Serve(args) if args.list_faults => {
            server::write_fault_list(out)?;
            Ok(EXIT_OK)
        }
        Command::Serve(args) => serve(serve_config(args)?, out).await,
        Command::Conform(args) if args.list => {
            conform::list(&conform_config(args)?, out)?;
            Ok(EXIT_OK)
        }
        Command::Conform(args) => {
            let config = conform_config(args)?;
            let summary = conform::run(config, out).await?;
            Ok(summary.exit_code())
        }
        Command::Load(args) => run_load(*args, out).await,
        Command::Report(ReportCommand::Merge(args)) => run_merge(args, out),
    }
}

async fn serve(config: ServeConfig, out: &mut (dyn Write + Send)) -> Result<u8, Error> {
    let faults = config.faults.clone();
    let server = server::start(config).await?;
    writeln!(out, "Point11 reference server listening on {}", server.base_url)?;
    for fault in faults.iter() {
        writeln!(out, "FAULT INJECTED: {} ({})", fault.name(), fault.description())?;
    }
    if let Some(ca) = &server.ca_path {
        writeln!(out, "CA certificate: {}", ca.display())?;
        writeln!(
            out,
            "  trust it explicitly: conform --target {} --ca-cert {}",
            server.base_url,
            ca.display()
        )?;
    }
    writeln!(
        out,
        "Admin controls: {}/_harness/ (header X-P11-Admin-Secret)",
        server.base_url
    )?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    let _ = tokio::signal::ctrl_c().await;
    writeln!(out, "Shutting down.")?;
    server.shutdown().await?;
    Ok(EXIT_OK)
}

fn serve_config(args: ServeArgs) -> Result<ServeConfig, Error> {
    let tls = match (args.tls_cert, args.tls_key) {
        (Some(cert), Some(key)) => TlsSetup::Files { cert, key },
        _ => TlsSetup::StateDir(args.state_dir),
    };
    let mut config = tuned(ServeConfig::new(fixtures(&args.server)?, tls), &args.server);
    config.bind = args.bind;
    config.faults = args.faults.into_iter().collect();
    config.manual_clock = args.manual_clock;
    config.validate()?;
    Ok(config)
}

fn tuned(mut config: ServeConfig, tuning: &ServerTuning) -> ServeConfig {
    config.token_ttl = tuning.token_ttl;
    config.code_ttl = tuning.code_ttl;
    config.rate_window = tuning.rate_window;
    config
}

fn fixtures(tuning: &ServerTuning) -> Result<Fixtures, Error> {
    Ok(match &tuning.fixtures {
        Some(path) => Fixtures::load(path)?,
        None => Fixtures::builtin(),
    })
}

fn conform_config(args: ConformArgs) -> Result<ConformConfig, Error> {
    let trust = match &args.ca_cert {
        Some(path) => Trust::from_pem_file(path)?,
        None => Trust::System,
    };
    if !args.server_faults.is_empty() && (args.profile.is_some() || args.target.is_some()) {
        return Err(Error::Usage(
            "--server-fault needs the embedded server: leave out --target and --profile".into(),
        ));
    }
    let target = match (&args.profile, &args.target) {
        (Some(path), url) => {
            let mut profile = TargetProfile::load(path)?;
            if let Some(url) = url {
                profile.base_url = url.trim_end_matches('/').to_owned();
            }
            Target::Profile { profile, trust }
        }
        (None, Some(url)) => Target::Url {
            base_url: url.trim_end_matches('/').to_owned(),
            trust,
            fixtures: fixtures(&args.server)?,
            allow_http: args.allow_http,
        },
        (None, None) => {
            if args.ca_cert.is_some() {
                return Err(Error::Usage(
                    "--ca-cert needs --target or --profile (the embedded server brings its own CA)".into(),
                ));
            }
            let mut server = tuned(
                ServeConfig::new(fixtures(&args.server)?, TlsSetup::Ephemeral),
                &args.server,
            );
            server.faults = args.server_faults.iter().copied().collect();
            Target::Embedded { server }
        }
    };
    if args.baseline.is_some() && args.write_baseline.is_some() {
        return Err(Error::Usage(
            "--baseline and --write-baseline do not go together: write one, then gate with it".into(),
        ));
    }
    let mut config = ConformConfig::new(scenario_dirs(args.scenario_dirs)?, target);
    config.junit = args.junit;
    config.json = args.json;
    config.timeout = args.timeout;
    config.filters = args.filters;
    config.verbose = args.verbose;
    config.strictness = args.strictness.map(|s| match s {
        StrictnessArg::Strict => Strictness::Strict,
        StrictnessArg::Interop => Strictness::Interop,
    });
    config.rfc_only = args.rfc_only;
    config.baseline = args.baseline;
    config.write_baseline = args.write_baseline;
    config.jobs = args.jobs;
    config.validate()?;
    Ok(config)
}

/// `--scenarios` as given; otherwise `./scenarios`, falling back to the
/// scenarios shipped beside this crate's sources so `cargo run` works from
/// anywhere in the checkout.
fn scenario_dirs(given: Vec<PathBuf>) -> Result<Vec<PathBuf>, Error> {
    if !given.is_empty() {
        return Ok(given);
    }
    let local = Path::new("scenarios");
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    [local.to_path_buf(), shipped]
        .into_iter()
        .find(|p| p.is_dir())
        .map(|p| vec![p])
        .ok_or_else(|| Error::Usage("no ./scenarios directory here; point at one with --scenarios DIR".into()))
}

/// `load`: exit 0 when every gate passed, 1 when one failed (the table says
/// which and why), 130 when Ctrl-C ended the run early (its reports are
/// still written).
async fn run_load(args: LoadArgs, out: &mut (dyn Write + Send)) -> Result<u8, Error> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let config = load::args::config_from_args(args, &env).map_err(|e| Error::Usage(e.to_string()))?;
    let cancel = config.cancel.clone();
    let ctrl_c = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
    let result = load::run(config, out).await;
    ctrl_c.abort();
    match result {
        Ok(outcome) if outcome.summary.interrupted => Ok(EXIT_INTERRUPTED),
        Ok(outcome) if outcome.passed() => Ok(EXIT_OK),
        Ok(_) => Ok(EXIT_CHECK_FAILED),
        Err(e) if e.is_usage() => Err(Error::Usage(e.to_string())),
        Err(e) => Err(Error::Runtime(e.to_string())),
    }
}

fn run_merge(args: MergeArgs, out: &mut (dyn Write + Send)) -> Result<u8, Error> {
    let out_dir = match args.out {
        Some(dir) => dir,
        None => load::report::fresh_dir("reports".as_ref(), "merge", time::OffsetDateTime::now_utc())
            .map_err(|e| Error::Runtime(e.to_string()))?,
    };
    let config = load::merge::MergeConfig {
        logs: args.logs,
        out_dir,
    };
    load::merge::merge(&config, out).map_err(|e| match e {
        load::merge::MergeError::Write(_) => Error::Runtime(e.to_string()),
        _ => Error::Usage(e.to_string()),
    })?;
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_closed_stdout_counts_as_a_broken_pipe() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(Error::Output(pipe()).is_broken_pipe());
        let report = ConformError::Report {
            what: "human".into(),
            source: pipe(),
        };
        assert!(Error::Conform(report).is_broken_pipe());
        assert!(!Error::Output(std::io::Error::from(std::io::ErrorKind::PermissionDenied)).is_broken_pipe());
        assert!(!Error::Usage("x".into()).is_broken_pipe());
    }
}
