//! The `p11-harness` binary: parse the command line, run, map the outcome
//! to an exit code. Everything else lives in the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    p11_harness::http::install_crypto_provider();
    let cli = p11_harness::cli::Cli::parse();
    p11_harness::logging::init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(p11_harness::EXIT_RUNTIME);
        }
    };
    let mut stdout = std::io::stdout();
    match runtime.block_on(p11_harness::run(cli, &mut stdout)) {
        Ok(code) => ExitCode::from(code),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
