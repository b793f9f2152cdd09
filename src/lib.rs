//! p11-harness: a reference Point11 server, an OAuth 2.0 conformance runner
//! and a rate-limit load harness, in one library with a thin binary.

pub mod apikey;
pub mod cli;
pub mod conform;
pub mod diagnostic;
pub mod fixtures;
pub mod http;
pub mod load;
pub mod logging;
mod run;
pub mod secret;
pub mod server;
pub mod tls;

pub use run::{EXIT_CHECK_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, Error, run};
