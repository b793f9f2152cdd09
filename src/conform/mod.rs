//! The conformance runner: scenario files (TOML, one per check of
//! CHECKS.md) run against a target described by a profile, with every
//! expectation recorded as data and reported as human text, JUnit XML and
//! JSON.
//!
//! - [`scenario`] parses and checks scenario files (diagnostics with
//!   file:line:column before anything is sent);
//! - [`profile`] describes targets; [`config`] is the validated run
//!   configuration;
//! - `runner` sends the steps and judges the expectations;
//! - [`result`] holds the outcome; [`report`] writes it.

pub mod baseline;
pub mod challenge;
pub mod config;
pub mod error;
pub mod level;
pub mod profile;
pub mod redact;
pub mod report;
pub mod result;
mod runner;
pub mod scenario;
pub mod template;

pub use baseline::{Baseline, BaselineVerdict};
pub use config::{ConformConfig, Target};
pub use error::ConformError;
pub use level::{Level, Outcome, Policy, Strictness};
pub use profile::{Authorizer, Capability, TargetProfile};
pub use result::{CheckResult, Counts, RunSummary, ScenarioResult, ScenarioStatus};
pub use runner::{list, run, run_until};
