//! TLS for the reference server: a local certificate authority and a server
//! certificate it signs (kept in a state directory, or only in memory), or
//! certificate files the user brings.
//!
//! Point11 is HTTPS only, so the reference server speaks nothing but TLS; the
//! local CA lets the harness's clients verify certificates as a real client
//! must, instead of switching verification off.

use std::fs;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";
pub const SERVER_CERT_FILE: &str = "server.pem";
pub const SERVER_KEY_FILE: &str = "server-key.pem";

/// The names the server certificate is valid for: the server binds to
/// loopback addresses only in the harness's intended use.
const SERVER_NAMES: [&str; 1] = ["localhost"];
const SERVER_IPS: [IpAddr; 2] = [IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(Ipv6Addr::LOCALHOST)];
const CA_COMMON_NAME: &str = "p11-harness local CA";
const ORGANIZATION: &str = "p11-harness";
/// Ten years: a local test CA should not expire under a developer's feet.
const VALIDITY_DAYS: i64 = 3650;

/// Where the server's certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSetup {
    /// Create (first start) or reuse a local CA + server cert in this dir:
    /// `ca.pem`, `ca-key.pem`, `server.pem`, `server-key.pem`.
    StateDir(PathBuf),
    /// In-memory CA + cert, nothing written (embedded server for `conform`, tests).
    Ephemeral,
    /// User-provided cert chain + key PEM files (no CA known to us).
    Files { cert: PathBuf, key: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {what} {path}: {source}; check the path and its permissions")]
    Read {
        what: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    #[error("cannot write {path}: {source}; make the directory writable or choose another state directory")]
    Write { path: PathBuf, source: io::Error },
    #[error("{path} holds no PEM certificate (expected a `-----BEGIN CERTIFICATE-----` block)")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no usable PEM private key (PKCS#8, PKCS#1 or SEC1 expected): {detail}")]
    BadKey { path: PathBuf, detail: String },
    #[error("{path} is missing while {other} exists; delete {dir} to create a new local CA")]
    Incomplete {
        path: PathBuf,
        other: PathBuf,
        dir: PathBuf,
    },
    #[error("cannot generate the local CA or server certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error(
        "the certificate and key do not form a usable TLS configuration ({0}); check that the key belongs to the certificate"
    )]
    Config(rustls::Error),
}

/// A loaded certificate chain and key, plus the CA that clients should trust
/// when we know it.
pub struct TlsMaterial {
    pub cert_chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    /// PEM of the local CA; `None` for user-provided files.
    pub ca_pem: Option<Vec<u8>>,
    /// Where the CA certificate is stored; `None` when it lives only in memory.
    pub ca_path: Option<PathBuf>,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("cert_chain", &self.cert_chain.len())
            .field("key", &"«redacted»")
            .field("ca_path", &self.ca_path)
            .finish()
    }
}

impl TlsSetup {
    /// Loads (or creates) the certificate material this setup describes.
    pub fn load(&self) -> Result<TlsMaterial, TlsError> {
        match self {
            TlsSetup::Ephemeral => {
                let ca = LocalCa::generate()?;
                let (cert_pem, key_pem) = ca.issue_server_cert()?;
                material_from_pem(
                    cert_pem.as_bytes(),
                    key_pem.as_bytes(),
                    Path::new("<memory>"),
                    Some(ca),
                    None,
                )
            }
            TlsSetup::StateDir(dir) => load_state_dir(dir),
            TlsSetup::Files { cert, key } => {
                let cert_pem = read(cert, "certificate file")?;
                let key_pem = read(key, "private key file")?;
                let chain = parse_chain(&cert_pem, cert)?;
                let key_der = parse_key(&key_pem, key)?;
                Ok(TlsMaterial {
                    cert_chain: chain,
                    key: key_der,
                    ca_pem: None,
                    ca_path: None,
                })
            }
        }
    }
}

impl TlsMaterial {
    /// A rustls server configuration offering HTTP/2 and HTTP/1.1 over TLS
    /// 1.2/1.3 with the aws-lc-rs provider.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(TlsError::Config)?
            .with_no_client_auth()
            .with_single_cert(self.cert_chain.clone(), self.key.clone_key())
            .map_err(TlsError::Config)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Arc::new(config))
    }
}

/// A certificate authority that exists only for this harness.
struct LocalCa {
    cert_pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl LocalCa {
    fn generate() -> Result<Self, TlsError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let params = ca_params()?;
        let cert_pem = params.self_signed(&key)?.pem();
        Ok(Self {
            cert_pem,
            issuer: Issuer::new(params, key),
        })
    }

    /// Rebuilds the issuer from a stored CA. The subject is rebuilt from the
    /// same parameters that created the CA (rcgen parses no certificates
    /// without its x509-parser feature), so the issued certificates chain to
    /// the stored `ca.pem`.
    fn load(cert_pem: String, key_pem: &str, key_path: &Path) -> Result<Self, TlsError> {
        let key = KeyPair::from_pem(key_pem).map_err(|e| TlsError::BadKey {
            path: key_path.to_owned(),
            detail: e.to_string(),
        })?;
        Ok(Self {
            cert_pem,
            issuer: Issuer::new(ca_params()?, key),
        })
    }

    /// A fresh server key and a certificate for it, as PEM (cert, key).
    fn issue_server_cert(&self) -> Result<(String, String), TlsError> {
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let mut params = CertificateParams::new(SERVER_NAMES.map(String::from).to_vec())?;
        params.subject_alt_names.extend(SERVER_IPS.map(SanType::IpAddress));
        params
            .distinguished_name
            .push(DnType::CommonName, "p11-harness reference server");
        params.distinguished_name.push(DnType::OrganizationName, ORGANIZATION);
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        set_validity(&mut params);
        let cert = params.signed_by(&key, &self.issuer)?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

fn ca_params() -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, CA_COMMON_NAME);
    params.distinguished_name.push(DnType::OrganizationName, ORGANIZATION);
    // It signs only the server certificate: no intermediate CAs below it.
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    set_validity(&mut params);
    Ok(params)
}

fn set_validity(params: &mut CertificateParams) {
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALIDITY_DAYS);
}

/// Reuses the CA in `dir`, or creates one. The server certificate is reused
/// when present and re-issued when missing or when the CA is new.
fn load_state_dir(dir: &Path) -> Result<TlsMaterial, TlsError> {
    fs::create_dir_all(dir).map_err(|source| TlsError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let [ca_cert, ca_key, server_cert, server_key] =
        [CA_CERT_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE].map(|f| dir.join(f));
    let (ca, ca_is_new) = match (ca_cert.exists(), ca_key.exists()) {
        (true, true) => {
            let cert_pem = String::from_utf8_lossy(&read(&ca_cert, "CA certificate")?).into_owned();
            parse_chain(cert_pem.as_bytes(), &ca_cert)?;
            let key_pem = String::from_utf8_lossy(&read(&ca_key, "CA key")?).into_owned();
            (LocalCa::load(cert_pem, &key_pem, &ca_key)?, false)
        }
        (false, false) => {
            let ca = LocalCa::generate()?;
            write(&ca_key, ca.issuer.key().serialize_pem().as_bytes(), true)?;
            write(&ca_cert, ca.cert_pem.as_bytes(), false)?;
            (ca, true)
        }
        (has_cert, _) => {
            let (path, other) = if has_cert { (ca_key, ca_cert) } else { (ca_cert, ca_key) };
            return Err(TlsError::Incomplete {
                path,
                other,
                dir: dir.to_owned(),
            });
        }
    };
    if ca_is_new || !server_cert.exists() || !server_key.exists() {
        let (cert_pem, key_pem) = ca.issue_server_cert()?;
        write(&server_key, key_pem.as_bytes(), true)?;
        write(&server_cert, cert_pem.as_bytes(), false)?;
    }
    let cert_pem = read(&server_cert, "server certificate")?;
    let key_pem = read(&server_key, "server key")?;
    material_from_pem(&cert_pem, &key_pem, &server_cert, Some(ca), Some(ca_cert))
}

fn material_from_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    path: &Path,
    ca: Option<LocalCa>,
    ca_path: Option<PathBuf>,
) -> Result<TlsMaterial, TlsError> {
    Ok(TlsMaterial {
        cert_chain: parse_chain(cert_pem, path)?,
        key: parse_key(key_pem, path)?,
        ca_pem: ca.map(|ca| ca.cert_pem.into_bytes()),
        ca_path,
    })
}

fn parse_chain(pem: &[u8], path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain: Vec<_> = CertificateDer::pem_slice_iter(pem).filter_map(Result::ok).collect();
    if chain.is_empty() {
        return Err(TlsError::NoCertificate { path: path.to_owned() });
    }
    Ok(chain)
}

fn parse_key(pem: &[u8], path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsError::BadKey {
        path: path.to_owned(),
        detail: e.to_string(),
    })
}

fn read(path: &Path, what: &'static str) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| TlsError::Read {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Writes a file; private keys are readable by their owner only.
fn write(path: &Path, contents: &[u8], private: bool) -> Result<(), TlsError> {
    let err = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(err)?;
    io::Write::write_all(&mut file, contents).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ephemeral_material_builds_a_server_config() {
        let material = TlsSetup::Ephemeral.load().unwrap();
        assert!(material.ca_pem.is_some());
        assert!(material.ca_path.is_none());
        material.server_config().unwrap();
        assert!(!format!("{material:?}").contains("PRIVATE"));
    }

    #[test]
    fn state_dir_is_created_then_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = TlsSetup::StateDir(dir.path().to_owned()).load().unwrap();
        for f in [CA_CERT_FILE, CA_KEY_FILE, SERVER_CERT_FILE, SERVER_KEY_FILE] {
            assert!(dir.path().join(f).exists(), "{f}");
        }
        let second = TlsSetup::StateDir(dir.path().to_owned()).load().unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_eq!(first.cert_chain, second.cert_chain);
        assert_eq!(second.ca_path.as_deref(), Some(dir.path().join(CA_CERT_FILE).as_path()));
    }

    #[test]
    fn missing_server_cert_is_reissued_by_the_stored_ca() {
        let dir = tempfile::tempdir().unwrap();
        let first = TlsSetup::StateDir(dir.path().to_owned()).load().unwrap();
        fs::remove_file(dir.path().join(SERVER_CERT_FILE)).unwrap();
        let second = TlsSetup::StateDir(dir.path().to_owned()).load().unwrap();
        assert_eq!(first.ca_pem, second.ca_pem);
        assert_ne!(first.cert_chain, second.cert_chain);
    }

    #[test]
    fn half_a_ca_is_an_error_naming_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        TlsSetup::StateDir(dir.path().to_owned()).load().unwrap();
        fs::remove_file(dir.path().join(CA_KEY_FILE)).unwrap();
        let err = TlsSetup::StateDir(dir.path().to_owned()).load().unwrap_err();
        assert!(err.to_string().contains("ca-key.pem"), "{err}");
    }

    #[test]
    fn missing_files_are_reported_with_their_path() {
        let setup = TlsSetup::Files {
            cert: PathBuf::from("/nonexistent/cert.pem"),
            key: PathBuf::from("/nonexistent/key.pem"),
        };
        let err = setup.load().unwrap_err();
        assert!(err.to_string().contains("/nonexistent/cert.pem"), "{err}");
    }
}
