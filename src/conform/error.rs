//! Why a conformance run could not produce results. A target that answers
//! wrongly is not an error: that is a FAIL inside [`super::RunSummary`].

use std::path::PathBuf;

use crate::diagnostic::Diagnostic;
use crate::http::HttpError;

#[derive(Debug, thiserror::Error)]
pub enum ConformError {
    #[error("invalid conform configuration: {0}")]
    Config(String),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// Every problem found in the scenario files; nothing was sent.
    #[error("{}", render_diagnostics(.0))]
    Scenarios(Vec<Diagnostic>),
    #[error("{0}")]
    Profile(Box<Diagnostic>),
    /// A `--baseline` file that does not parse or names no scenario.
    #[error("{0}\n  (baseline file; no request was sent)")]
    Baseline(Box<Diagnostic>),
    #[error(transparent)]
    Http(#[from] HttpError),
    #[error("cannot start the embedded reference server: {0}")]
    EmbeddedServer(String),
    /// The target did not answer before any scenario ran.
    #[error("target {url} is unreachable: {detail}\n  help: {hint}")]
    Unreachable { url: String, detail: String, hint: String },
    #[error("cannot write the {what} report: {source}")]
    Report { what: String, source: std::io::Error },
}

impl ConformError {
    /// 2 for usage, configuration and scenario-file errors; 3 when the
    /// target cannot be reached or its TLS cannot be trusted.
    pub fn exit_code(&self) -> u8 {
        match self {
            ConformError::Unreachable { .. } | ConformError::EmbeddedServer(_) => 3,
            ConformError::Config(_)
            | ConformError::Read { .. }
            | ConformError::Scenarios(_)
            | ConformError::Profile(_)
            | ConformError::Baseline(_)
            | ConformError::Http(_)
            | ConformError::Report { .. } => 2,
        }
    }
}

fn render_diagnostics(ds: &[Diagnostic]) -> String {
    let mut out: Vec<String> = ds.iter().map(ToString::to_string).collect();
    let n = ds.len();
    out.push(format!(
        "{n} problem{} in scenario files; no request was sent",
        if n == 1 { "" } else { "s" }
    ));
    out.join("\n\n")
}
