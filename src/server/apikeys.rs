//! The API keys the server accepts, with rotation (old and new keys valid
//! side by side) and revocation (effective at once).
//!
//! Keys are found by their SHA-256 digest and then compared in constant
//! time, so neither the lookup nor the comparison leaks a shared prefix.

use std::collections::HashMap;
use std::sync::RwLock;

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

use super::faults::{Fault, Faults};
use crate::apikey::{self, LIVE_PREFIX, TEST_PREFIX};
use crate::fixtures::{Environment, Fixtures, Tier};
use crate::secret::Secret;

/// Length of the random part of a rotated key (the fixtures use 40).
const NEW_KEY_BODY_LEN: usize = 40;

/// What a valid key grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyGrant {
    /// The account (fixture name): rate limits are per account.
    pub name: String,
    pub environment: Environment,
    pub scopes: Vec<String>,
    pub tier: Tier,
    /// The tier's limit, or the key's custom one.
    pub limit: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRejection {
    /// Not `p11_live_`/`p11_test_` plus 32 or more of `[A-Za-z0-9]`.
    Malformed,
    Unknown,
    Revoked,
}

impl KeyRejection {
    pub fn description(self) -> &'static str {
        match self {
            KeyRejection::Malformed => "The API key is malformed",
            KeyRejection::Unknown => "The API key is not known",
            KeyRejection::Revoked => "The API key was revoked",
        }
    }
}

#[derive(Debug)]
pub struct ApiKeyRegistry {
    keys: RwLock<Keys>,
}

#[derive(Debug, Default)]
struct Keys {
    records: Vec<Record>,
    by_digest: HashMap<[u8; 32], usize>,
}

#[derive(Debug)]
struct Record {
    key: Secret,
    grant: KeyGrant,
    revoked: bool,
}

impl ApiKeyRegistry {
    pub fn from_fixtures(fixtures: &Fixtures) -> Self {
        Self {
            keys: RwLock::new(Keys::from_fixtures(fixtures)),
        }
    }

    /// Back to the keys of the fixtures (rotations and revocations undone).
    pub fn reset(&self, fixtures: &Fixtures) {
        *self.keys.write().expect("api key lock") = Keys::from_fixtures(fixtures);
    }

    /// The grant of a known, unrevoked, well-formed key. `faults` may break
    /// the revocation rule.
    pub fn authenticate(&self, candidate: &str, faults: &Faults) -> Result<KeyGrant, KeyRejection> {
        if apikey::classify(candidate).is_none() {
            return Err(KeyRejection::Malformed);
        }
        let keys = self.keys.read().expect("api key lock");
        let record = keys
            .by_digest
            .get(&digest(candidate))
            .map(|&i| &keys.records[i])
            .filter(|r| apikey::constant_time_eq(r.key.expose(), candidate))
            .ok_or(KeyRejection::Unknown)?;
        // Point11: a revoked key stops working at once.
        if record.revoked && !faults.breaks(Fault::RevokedKeyAccepted) {
            return Err(KeyRejection::Revoked);
        }
        Ok(record.grant.clone())
    }

    /// Issues a new key for the account `name`; its existing keys stay valid
    /// until revoked (overlapping validity, POINT11-API.md: rotation needs no
    /// downtime). `None` for an unknown account.
    pub fn rotate(&self, name: &str, faults: &Faults) -> Option<Secret> {
        let mut keys = self.keys.write().expect("api key lock");
        let grant = keys.records.iter().find(|r| r.grant.name == name)?.grant.clone();
        if faults.breaks(Fault::RotationRevokesOldKey) {
            for record in keys.records.iter_mut().filter(|r| r.grant.name == name) {
                record.revoked = true;
            }
        }
        let prefix = match grant.environment {
            Environment::Live => LIVE_PREFIX,
            Environment::Test => TEST_PREFIX,
        };
        let body: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(NEW_KEY_BODY_LEN)
            .map(char::from)
            .collect();
        let key = Secret::new(format!("{prefix}{body}"));
        keys.insert(key.clone(), grant);
        Some(key)
    }

    /// Revokes one key. Returns whether it was known.
    pub fn revoke_key(&self, key: &str) -> bool {
        let mut keys = self.keys.write().expect("api key lock");
        let Some(&i) = keys.by_digest.get(&digest(key)) else {
            return false;
        };
        let record = &mut keys.records[i];
        let matches = apikey::constant_time_eq(record.key.expose(), key);
        record.revoked |= matches;
        matches
    }

    /// Revokes every key of the account `name`; returns how many were valid.
    pub fn revoke_account(&self, name: &str) -> Option<usize> {
        let mut keys = self.keys.write().expect("api key lock");
        let mut found = false;
        let mut revoked = 0;
        for record in keys.records.iter_mut().filter(|r| r.grant.name == name) {
            found = true;
            revoked += usize::from(!record.revoked);
            record.revoked = true;
        }
        found.then_some(revoked)
    }
}

impl Keys {
    fn from_fixtures(fixtures: &Fixtures) -> Self {
        let mut keys = Keys::default();
        for k in &fixtures.api_keys {
            let grant = KeyGrant {
                name: k.name.clone(),
                environment: k.environment,
                scopes: k.scopes.clone(),
                tier: k.tier,
                limit: k.limit.unwrap_or_else(|| fixtures.tier_limit(k.tier)),
            };
            keys.insert(k.key.clone(), grant);
        }
        keys
    }

    fn insert(&mut self, key: Secret, grant: KeyGrant) {
        self.by_digest.insert(digest(key.expose()), self.records.len());
        self.records.push(Record {
            key,
            grant,
            revoked: false,
        });
    }
}

fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    static NONE: Faults = Faults::none();

    fn key_of(fixtures: &Fixtures, name: &str) -> String {
        fixtures.api_key(name).unwrap().key.expose().to_owned()
    }

    #[test]
    fn fixture_keys_authenticate_with_their_tier_limit() {
        let fixtures = Fixtures::builtin();
        let registry = ApiKeyRegistry::from_fixtures(&fixtures);
        let grant = registry.authenticate(&key_of(&fixtures, "LIVE_PRO"), &NONE).unwrap();
        assert_eq!((grant.environment, grant.limit), (Environment::Live, 500));
        let test = registry.authenticate(&key_of(&fixtures, "TEST_STD"), &NONE).unwrap();
        assert_eq!(test.environment, Environment::Test);
    }

    #[test]
    fn malformed_and_unknown_keys_are_refused() {
        let registry = ApiKeyRegistry::from_fixtures(&Fixtures::builtin());
        assert_eq!(registry.authenticate("p11_prod_x", &NONE), Err(KeyRejection::Malformed));
        assert_eq!(
            registry.authenticate(&format!("p11_live_{}", "a".repeat(40)), &NONE),
            Err(KeyRejection::Unknown)
        );
    }

    #[test]
    fn rotation_overlaps_and_revocation_is_immediate() {
        let fixtures = Fixtures::builtin();
        let registry = ApiKeyRegistry::from_fixtures(&fixtures);
        let old = key_of(&fixtures, "LIVE_ROT");
        let new = registry.rotate("LIVE_ROT", &NONE).unwrap();
        assert!(new.expose().starts_with("p11_live_") && new.expose() != old);
        assert!(registry.authenticate(&old, &NONE).is_ok() && registry.authenticate(new.expose(), &NONE).is_ok());
        assert!(registry.revoke_key(&old));
        assert_eq!(registry.authenticate(&old, &NONE), Err(KeyRejection::Revoked));
        assert_eq!(registry.authenticate(new.expose(), &NONE).unwrap().name, "LIVE_ROT");
        assert_eq!(registry.revoke_account("LIVE_ROT"), Some(1));
        assert_eq!(registry.authenticate(new.expose(), &NONE), Err(KeyRejection::Revoked));
        registry.reset(&fixtures);
        assert!(registry.authenticate(&old, &NONE).is_ok());
        assert_eq!(registry.rotate("NOPE", &NONE), None);
    }
}
