//! The reference server's fixtures: clients, API keys, tiers and scopes
//! (`fixtures/reference.toml`). The same file tells the conformance runner
//! which credentials to use against the reference server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::Diagnostic;
use crate::secret::Secret;

/// The fixtures shipped with the repository, compiled in so that `conform`
/// and `serve` work from any directory.
pub const BUILTIN_REFERENCE: &str = include_str!("../fixtures/reference.toml");
pub const BUILTIN_REFERENCE_PATH: &str = "fixtures/reference.toml";

#[derive(Debug, thiserror::Error)]
pub enum FixturesError {
    #[error("cannot read fixtures file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Syntax(Box<Diagnostic>),
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    ClientCredentials,
    AuthorizationCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    Standard,
    Professional,
    Enterprise,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Standard, Tier::Professional, Tier::Enterprise];

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Standard => "standard",
            Tier::Professional => "professional",
            Tier::Enterprise => "enterprise",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Live,
    Test,
}

#[derive(Debug, Clone)]
pub struct Client {
    /// The fixture name, e.g. `C_BASIC`.
    pub name: String,
    pub id: String,
    /// `None` for a public client.
    pub secret: Option<Secret>,
    pub grants: Vec<Grant>,
    pub scopes: Vec<String>,
    pub redirect_uris: Vec<String>,
    pub tier: Tier,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct ApiKey {
    pub name: String,
    pub key: Secret,
    pub environment: Environment,
    pub scopes: Vec<String>,
    pub tier: Tier,
    /// Overrides the tier's limit (custom enterprise limits).
    pub limit: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Fixtures {
    pub realm: String,
    pub issuer: String,
    pub audience: String,
    pub scopes: Vec<String>,
    pub admin_secret: Secret,
    pub tiers: BTreeMap<Tier, u64>,
    pub clients: Vec<Client>,
    pub api_keys: Vec<ApiKey>,
}

impl Fixtures {
    /// The fixtures compiled into the binary.
    pub fn builtin() -> Self {
        Self::parse(Path::new(BUILTIN_REFERENCE_PATH), BUILTIN_REFERENCE, &std_env)
            .expect("the built-in fixtures are valid (checked by a unit test)")
    }

    pub fn load(path: &Path) -> Result<Self, FixturesError> {
        let source = std::fs::read_to_string(path).map_err(|source| FixturesError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &source, &std_env)
    }

    /// Parses and validates a fixtures file; `env` resolves `*_env` fields.
    pub fn parse(path: &Path, source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, FixturesError> {
        let raw: RawFixtures = toml::from_str(source)
            .map_err(|e| FixturesError::Syntax(Box::new(Diagnostic::from_toml(path, source, &e))))?;
        let invalid = |message: String| FixturesError::Invalid {
            path: path.to_owned(),
            message,
        };
        let resolve = |value: Option<String>, var: &Option<String>| var.as_deref().and_then(env).or(value);

        let admin_secret = resolve(raw.admin_secret, &raw.admin_secret_env)
            .ok_or_else(|| invalid("admin_secret (or admin_secret_env) is required".into()))?;
        let mut clients = Vec::new();
        for (name, c) in raw.clients {
            for s in &c.scopes {
                if !raw.scopes.contains(s) {
                    return Err(invalid(format!("client {name}: scope `{s}` is not in `scopes`")));
                }
            }
            clients.push(Client {
                secret: resolve(c.secret, &c.secret_env).map(Secret::new),
                name,
                id: c.id,
                grants: c.grants,
                scopes: c.scopes,
                redirect_uris: c.redirect_uris,
                tier: c.tier,
            });
        }
        let mut api_keys = Vec::new();
        for (name, k) in raw.api_keys {
            let key =
                resolve(k.key, &k.key_env).ok_or_else(|| invalid(format!("api key {name}: `key` is required")))?;
            let environment = match crate::apikey::classify(&key) {
                Some(env) => env,
                None => {
                    return Err(invalid(format!(
                        "api key {name}: a key is `p11_live_` or `p11_test_` followed by at least 32 of [A-Za-z0-9]"
                    )));
                }
            };
            api_keys.push(ApiKey {
                name,
                key: Secret::new(key),
                environment,
                scopes: k.scopes,
                tier: k.tier,
                limit: k.limit,
            });
        }
        for tier in Tier::ALL {
            if !raw.tiers.contains_key(&tier) {
                return Err(invalid(format!("[tiers] has no limit for `{}`", tier.as_str())));
            }
        }
        Ok(Self {
            realm: raw.realm,
            issuer: raw.issuer,
            audience: raw.audience,
            scopes: raw.scopes,
            admin_secret: Secret::new(admin_secret),
            tiers: raw.tiers,
            clients,
            api_keys,
        })
    }

    pub fn client(&self, name: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.name == name)
    }

    pub fn client_by_id(&self, id: &str) -> Option<&Client> {
        self.clients.iter().find(|c| c.id == id)
    }

    pub fn api_key(&self, name: &str) -> Option<&ApiKey> {
        self.api_keys.iter().find(|k| k.name == name)
    }

    pub fn tier_limit(&self, tier: Tier) -> u64 {
        self.tiers[&tier]
    }
}

fn std_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixtures {
    realm: String,
    issuer: String,
    audience: String,
    scopes: Vec<String>,
    admin_secret: Option<String>,
    admin_secret_env: Option<String>,
    tiers: BTreeMap<Tier, u64>,
    #[serde(default)]
    clients: BTreeMap<String, RawClient>,
    #[serde(default)]
    api_keys: BTreeMap<String, RawApiKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: String,
    secret: Option<String>,
    secret_env: Option<String>,
    grants: Vec<Grant>,
    scopes: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    tier: Tier,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawApiKey {
    key: Option<String>,
    key_env: Option<String>,
    scopes: Vec<String>,
    tier: Tier,
    limit: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_fixtures_parse() {
        let f = Fixtures::builtin();
        assert!(f.client("C_BASIC").is_some());
        assert!(f.client("C_PUB").unwrap().is_public());
        assert_eq!(f.tier_limit(Tier::Enterprise), 2000);
        assert_eq!(f.api_key("TEST_STD").unwrap().environment, Environment::Test);
    }

    #[test]
    fn env_overrides_secret() {
        let env = |name: &str| (name == "P11_C_BASIC_SECRET").then(|| "from-env".to_owned());
        let f = Fixtures::parse(Path::new("f.toml"), BUILTIN_REFERENCE, &env).unwrap();
        assert_eq!(
            f.client("C_BASIC").unwrap().secret.as_ref().unwrap().expose(),
            "from-env"
        );
    }

    #[test]
    fn unknown_key_names_line() {
        let src = BUILTIN_REFERENCE.replace("realm = ", "relm = ");
        let err = Fixtures::parse(Path::new("f.toml"), &src, &|_| None).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("f.toml:") && shown.contains("relm"), "{shown}");
    }
}
