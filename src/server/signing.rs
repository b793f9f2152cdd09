//! The RS256 keys that sign access tokens, their JWKS, and rotation: after a
//! rotation the previous key stays published and valid (one overlap period),
//! so tokens already issued keep working.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("cannot generate an RSA key: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot use the generated RSA key: {0}")]
    Jwt(#[from] jsonwebtoken::errors::Error),
}

/// One RSA 2048 key pair with its key id (the RFC 7638 thumbprint).
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub jwk: Jwk,
    /// The public key as SPKI PEM; the HS256 alg-confusion token uses it as
    /// an HMAC secret.
    pub public_pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Generates a fresh RSA 2048 key (aws-lc-rs through rcgen): about
    /// 200 ms in debug builds, so unit tests share one key.
    pub fn generate() -> Result<Self, SigningError> {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
        let encoding = EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes())?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256);
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let decoding = DecodingKey::from_jwk(&jwk)?;
        Ok(Self {
            kid,
            encoding,
            decoding,
            jwk,
            public_pem: pair.public_key_pem(),
        })
    }
}

#[derive(Debug)]
pub struct KeyRing {
    keys: RwLock<Keys>,
    /// Signature checks run so far: lets a test show that a token refused on
    /// its syntax, header or `kid` never reached the RSA verification.
    verifications: AtomicU64,
}

#[derive(Debug)]
struct Keys {
    current: Arc<SigningKey>,
    previous: Option<Arc<SigningKey>>,
}

impl KeyRing {
    pub fn new(key: SigningKey) -> Self {
        Self {
            keys: RwLock::new(Keys {
                current: Arc::new(key),
                previous: None,
            }),
            verifications: AtomicU64::new(0),
        }
    }

    /// Called right before a signature is checked.
    pub fn note_verification(&self) {
        self.verifications.fetch_add(1, Ordering::Relaxed);
    }

    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// The key new tokens are signed with.
    pub fn current(&self) -> Arc<SigningKey> {
        self.keys.read().expect("key ring lock").current.clone()
    }

    /// A key that verifies tokens: the current one or the previous one.
    pub fn find(&self, kid: &str) -> Option<Arc<SigningKey>> {
        let keys = self.keys.read().expect("key ring lock");
        std::iter::once(&keys.current)
            .chain(keys.previous.as_ref())
            .find(|k| k.kid == kid)
            .cloned()
    }

    /// Makes `key` current; the old current key becomes the previous one and
    /// the one before it is dropped (tokens it signed stop verifying).
    /// Returns the previous key's id.
    pub fn rotate(&self, key: SigningKey) -> String {
        let mut keys = self.keys.write().expect("key ring lock");
        let old = std::mem::replace(&mut keys.current, Arc::new(key));
        let old_kid = old.kid.clone();
        keys.previous = Some(old);
        old_kid
    }

    /// RFC 7517 JWK Set of every key that verifies tokens.
    pub fn jwks(&self) -> JwkSet {
        let keys = self.keys.read().expect("key ring lock");
        JwkSet {
            keys: std::iter::once(&keys.current)
                .chain(keys.previous.as_ref())
                .map(|k| k.jwk.clone())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::signing_key;

    #[test]
    fn jwks_lists_rs256_signing_keys() {
        let ring = KeyRing::new(signing_key());
        let json = serde_json::to_value(ring.jwks()).unwrap();
        let key = &json["keys"][0];
        assert_eq!(key["kty"], "RSA");
        assert_eq!(key["alg"], "RS256");
        assert_eq!(key["use"], "sig");
        assert_eq!(key["kid"], ring.current().kid.as_str());
        assert_eq!(key["e"], "AQAB");
        assert!(key["n"].as_str().unwrap().len() > 300);
    }

    #[test]
    fn rotation_keeps_the_previous_key() {
        let first = signing_key();
        let ring = KeyRing::new(first.clone());
        let mut second = first.clone();
        second.kid = "second".into();
        assert_eq!(ring.rotate(second), first.kid);
        assert_eq!(ring.current().kid, "second");
        assert!(ring.find(&first.kid).is_some());
        assert_eq!(ring.jwks().keys.len(), 2);
    }
}
