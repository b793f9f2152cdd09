//! Turns the parsed command line into validated configs and runs the chosen
//! job. (Being written: the serve and conform wiring lands with those modules.)

use std::io::Write;

use crate::cli::{Cli, Command, LoadArgs, MergeArgs, ReportCommand};
use crate::load;

pub const EXIT_OK: u8 = 0;
pub const EXIT_CHECK_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_RUNTIME: u8 = 3;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Runtime(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => EXIT_USAGE,
            Error::Runtime(_) => EXIT_RUNTIME,
        }
    }
}

pub async fn run(cli: Cli, out: &mut (dyn Write + Send)) -> Result<u8, Error> {
    match cli.command {
        Command::Serve(_) | Command::Conform(_) => Err(Error::Runtime("not wired yet".into())),
        Command::Load(args) => run_load(*args, out).await,
        Command::Report(ReportCommand::Merge(args)) => run_merge(args, out),
    }
}

/// `load`: exit 0 when every gate passed, 1 when one failed (the table says
/// which and why). Ctrl-C ends the run early; its reports are still written.
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
