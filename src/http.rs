//! The one way the harness builds HTTP clients: reqwest 0.13 over rustls,
//! certificate verification always on, redirects never followed (scenarios
//! inspect `Location` themselves).

use std::path::Path;
use std::time::Duration;

/// Which certificate authorities a client trusts.
#[derive(Debug, Clone)]
pub enum Trust {
    /// The operating system's store (through rustls-platform-verifier).
    System,
    /// Only these PEM certificates, e.g. the reference server's local CA.
    Only(Vec<u8>),
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot read CA certificate {path}: {source}")]
    ReadCa { path: String, source: std::io::Error },
    #[error("CA certificate {path} holds no usable PEM certificate: {source}")]
    BadCa { path: String, source: reqwest::Error },
    #[error("cannot build the HTTP client: {0}")]
    Build(reqwest::Error),
}

impl Trust {
    /// Trust exactly the certificates in a PEM file (`--ca-cert`).
    pub fn from_pem_file(path: &Path) -> Result<Self, HttpError> {
        let pem = std::fs::read(path).map_err(|source| HttpError::ReadCa {
            path: path.display().to_string(),
            source,
        })?;
        reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| HttpError::BadCa {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Trust::Only(pem))
    }
}

/// A client builder with the harness's defaults; callers add what they need
/// (goose's users add default headers, for example).
pub fn client_builder(trust: &Trust, timeout: Duration) -> Result<reqwest::ClientBuilder, HttpError> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .timeout(timeout)
        .user_agent(concat!("p11-harness/", env!("CARGO_PKG_VERSION")));
    Ok(match trust {
        Trust::System => builder,
        Trust::Only(pem) => {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|source| HttpError::BadCa {
                path: "<in memory>".into(),
                source,
            })?;
            builder.tls_certs_only(certs)
        }
    })
}

/// A ready client with the harness's defaults.
pub fn client(trust: &Trust, timeout: Duration) -> Result<reqwest::Client, HttpError> {
    client_builder(trust, timeout)?.build().map_err(HttpError::Build)
}

/// Whether a reqwest error means the target could not be reached or its TLS
/// could not be trusted (an error), as opposed to a reply we can judge.
pub fn is_transport_failure(err: &reqwest::Error) -> bool {
    err.is_connect() || err.is_timeout() || err.is_request() || err.is_body() || err.is_decode()
}

/// Installs aws-lc-rs as rustls's process-wide crypto provider. Safe to call
/// more than once (tests call it from every entry point).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
