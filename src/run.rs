//! Turns the parsed command line into validated configs and runs the chosen
//! job. (Being written: the serve and conform wiring lands with those modules.)

use std::io::Write;

use crate::cli::{Cli, Command};

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

pub async fn run(cli: Cli, _out: &mut (dyn Write + Send)) -> Result<u8, Error> {
    match cli.command {
        Command::Serve(_) | Command::Conform(_) => Err(Error::Runtime("not wired yet".into())),
    }
}
