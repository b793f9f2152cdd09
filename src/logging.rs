//! Diagnostic logging to stderr through `tracing`. Quiet by default
//! (the harness's own warnings only: a dependency's view of a TLS failure
//! would repeat what the error message already says); `RUST_LOG=p11_harness=info` shows one line per request
//! served. Nothing logged ever carries a secret: handlers log method, path
//! and status only.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("p11_harness=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
