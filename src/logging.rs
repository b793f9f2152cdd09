//! Diagnostic logging to stderr through `tracing`. Quiet by default
//! (warnings only); `RUST_LOG=p11_harness=info` shows one line per request
//! served. Nothing logged ever carries a secret: handlers log method, path
//! and status only.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
