//! Target profiles: what a conformance run needs to know about a target
//! (endpoints, realm, capabilities, configured clients and keys, optional
//! harness admin controls). A vendor describes its differences here, not in
//! code. Files live under `fixtures/targets/`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::ConformError;
use super::template::Vars;
use crate::diagnostic::{Diagnostic, suggest};
use crate::fixtures::Fixtures;
use crate::secret::Secret;

/// Something a scenario may need from a target (`requires = [...]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Capability {
    BasicAuth,
    ClientSecretPost,
    ClientCredentials,
    AuthorizationCode,
    PublicClient,
    ScriptedConsent,
    ConsentFormPost,
    ApiKeys,
    AdminClock,
    AdminTokens,
    AdminApiKeys,
    AdminSigningKeys,
    PlainHttpOrigin,
}

impl Capability {
    pub const ALL: [Capability; 13] = [
        Capability::BasicAuth,
        Capability::ClientSecretPost,
        Capability::ClientCredentials,
        Capability::AuthorizationCode,
        Capability::PublicClient,
        Capability::ScriptedConsent,
        Capability::ConsentFormPost,
        Capability::ApiKeys,
        Capability::AdminClock,
        Capability::AdminTokens,
        Capability::AdminApiKeys,
        Capability::AdminSigningKeys,
        Capability::PlainHttpOrigin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Capability::BasicAuth => "basic_auth",
            Capability::ClientSecretPost => "client_secret_post",
            Capability::ClientCredentials => "client_credentials",
            Capability::AuthorizationCode => "authorization_code",
            Capability::PublicClient => "public_client",
            Capability::ScriptedConsent => "scripted_consent",
            Capability::ConsentFormPost => "consent_form_post",
            Capability::ApiKeys => "api_keys",
            Capability::AdminClock => "admin_clock",
            Capability::AdminTokens => "admin_tokens",
            Capability::AdminApiKeys => "admin_api_keys",
            Capability::AdminSigningKeys => "admin_signing_keys",
            Capability::PlainHttpOrigin => "plain_http_origin",
        }
    }

    /// What a target must offer to claim the capability.
    pub fn description(self) -> &'static str {
        match self {
            Capability::BasicAuth => "the token endpoint accepts client_secret_basic (RFC 6749 §2.3.1)",
            Capability::ClientSecretPost => "the token endpoint accepts client_id/client_secret in the body",
            Capability::ClientCredentials => "the client credentials grant (RFC 6749 §4.4)",
            Capability::AuthorizationCode => "the authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636)",
            Capability::PublicClient => "public clients (no secret) for the authorization code grant",
            Capability::ScriptedConsent => {
                "the user's consent can be obtained without a browser: the profile's [authorizer] \
                 (a form post with decision=approve|deny, or a command)"
            }
            Capability::ConsentFormPost => {
                "POST {authorize} with decision=... is how the user answers (the reference server's \
                 consent form), so odd decisions can be posted too"
            }
            Capability::ApiKeys => "Point11 API keys (p11_live_ / p11_test_) on the resource endpoints",
            Capability::AdminClock => "harness control POST {admin}/clock/advance",
            Capability::AdminTokens => "harness control POST {admin}/tokens (mint tokens with chosen claims)",
            Capability::AdminApiKeys => "harness controls to rotate and revoke API keys",
            Capability::AdminSigningKeys => "harness control to rotate the token signing key",
            Capability::PlainHttpOrigin => {
                "a plain http:// origin to probe ({{http_base_url}}: the profile's `http_base_url`, \
                 or base_url with http://)"
            }
        }
    }

    pub fn parse(s: &str) -> Option<Capability> {
        Capability::ALL.into_iter().find(|c| c.as_str() == s)
    }

    fn needs_admin(self) -> bool {
        matches!(
            self,
            Capability::AdminClock | Capability::AdminTokens | Capability::AdminApiKeys | Capability::AdminSigningKeys
        )
    }
}

/// Endpoint locations: paths joined to `base_url`, or absolute URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub token: String,
    pub authorize: String,
    /// Prefix of the resource endpoints (`{{api_base}}/v1/audits`).
    pub api_base: String,
    pub jwks: String,
    pub metadata: String,
}

impl Default for Endpoints {
    /// The Point11 paths (POINT11-API.md, "Decided here").
    fn default() -> Self {
        Self {
            token: "/oauth/token".into(),
            authorize: "/oauth/authorize".into(),
            api_base: String::new(),
            jwks: "/.well-known/jwks.json".into(),
            metadata: "/.well-known/oauth-authorization-server".into(),
        }
    }
}

/// A credential the profile names: given, or expected from an unset variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    Given(Secret),
    /// Neither a value nor a set environment variable.
    Missing {
        env: Option<String>,
    },
}

impl Credential {
    fn resolve(value: Option<String>, env_name: Option<String>, env: &dyn Fn(&str) -> Option<String>) -> Self {
        match env_name.as_deref().and_then(env).or(value) {
            Some(v) => Credential::Given(Secret::new(v)),
            None => Credential::Missing { env: env_name },
        }
    }

    fn bind(&self, vars: &mut Vars, name: String) {
        match self {
            Credential::Given(s) => vars.set(name, s.expose(), true),
            Credential::Missing { env: Some(env) } => {
                vars.set_unset(name, format!("environment variable {env} is not set"))
            }
            Credential::Missing { env: None } => vars.set_unset(name, "no value in the target profile"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileClient {
    pub id: String,
    /// `None` for a public client.
    pub secret: Option<Credential>,
    pub redirect_uris: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    /// Prefix of the harness controls, e.g. `/_harness`.
    pub path: String,
    pub secret: Credential,
}

/// Everything a run needs to know about one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetProfile {
    pub name: String,
    pub base_url: String,
    pub endpoints: Endpoints,
    pub realm: String,
    pub capabilities: BTreeSet<Capability>,
    /// By fixture name (`C_BASIC`, ...).
    pub clients: BTreeMap<String, ProfileClient>,
    /// By fixture name (`LIVE_STD`, ...).
    pub api_keys: BTreeMap<String, Credential>,
    pub admin: Option<Admin>,
    /// How a `consent` step obtains the user's decision.
    pub authorizer: Authorizer,
    /// Where the HTTPS-only checks send their plain-HTTP probe. By default
    /// `base_url` with the `http` scheme, same host and port: "is plain HTTP
    /// answered on the API's own port?"
    pub http_base_url: String,
}

/// How the harness gets a user's answer to an authorization request from a
/// target without a browser.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Authorizer {
    /// POST the request's parameters plus `decision=approve|deny` to the
    /// authorization endpoint, as the reference server's consent form does.
    #[default]
    FormPost,
    /// Run a program that drives the target's login and consent: it gets
    /// the authorization request URL in `P11_AUTHORIZE_URL` and the answer
    /// in `P11_DECISION`, and prints the URL the target redirected to as
    /// the last line of its standard output.
    Command { argv: Vec<String>, timeout: Duration },
}

/// `https://host:port/path` as `http://host:port/path`; an `http://` URL
/// (a test double under `--allow-http`) is its own plain origin.
fn plain_http_of(base_url: &str) -> String {
    match base_url.strip_prefix("https://") {
        Some(rest) => format!("http://{rest}"),
        None => base_url.to_owned(),
    }
}

impl TargetProfile {
    /// The profile of a reference server built from `fixtures`, listening at
    /// `base_url`: Point11 paths, every capability, every fixture credential.
    pub fn reference(fixtures: &Fixtures, base_url: &str) -> Self {
        let clients = fixtures
            .clients
            .iter()
            .map(|c| {
                let client = ProfileClient {
                    id: c.id.clone(),
                    secret: c.secret.clone().map(Credential::Given),
                    redirect_uris: c.redirect_uris.clone(),
                };
                (c.name.clone(), client)
            })
            .collect();
        let api_keys = fixtures
            .api_keys
            .iter()
            .map(|k| (k.name.clone(), Credential::Given(k.key.clone())))
            .collect();
        Self {
            name: "Point11 reference server".into(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            endpoints: Endpoints::default(),
            realm: fixtures.realm.clone(),
            capabilities: Capability::ALL.into_iter().collect(),
            clients,
            api_keys,
            admin: Some(Admin {
                path: "/_harness".into(),
                secret: Credential::Given(fixtures.admin_secret.clone()),
            }),
            http_base_url: plain_http_of(base_url.trim_end_matches('/')),
            authorizer: Authorizer::FormPost,
        }
    }

    pub fn load(path: &Path) -> Result<Self, ConformError> {
        let source = std::fs::read_to_string(path).map_err(|source| ConformError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(path, &source, &|name| {
            std::env::var(name).ok().filter(|v| !v.is_empty())
        })
    }

    /// Parses a profile; `env` resolves the `*_env` fields.
    pub fn parse(path: &Path, source: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Self, ConformError> {
        let diag = |d: Diagnostic| ConformError::Profile(Box::new(d));
        let raw: RawProfile = toml::from_str(source).map_err(|e| diag(Diagnostic::from_toml(path, source, &e)))?;
        let base = raw.base_url.get_ref();
        let problem = match url::Url::parse(base) {
            Ok(u) if u.scheme() == "https" => None,
            Ok(_) => Some("`base_url` must be an https:// URL".to_owned()),
            Err(e) => Some(format!("`base_url` is not a URL: {e}")),
        };
        if let Some(message) = problem {
            return Err(diag(Diagnostic::new(path, source, Some(raw.base_url.span()), message)));
        }
        fixture_names(&raw, path, source).map_err(diag)?;
        let mut capabilities = capabilities(&raw, path, source).map_err(diag)?;
        let authorizer = authorizer(&raw, path, source).map_err(diag)?;
        if matches!(authorizer, Authorizer::Command { .. }) {
            capabilities.insert(Capability::ScriptedConsent);
        }
        let mut profile = Self::from_raw(raw, capabilities, env);
        profile.authorizer = authorizer;
        Ok(profile)
    }

    fn from_raw(raw: RawProfile, capabilities: BTreeSet<Capability>, env: &dyn Fn(&str) -> Option<String>) -> Self {
        let defaults = Endpoints::default();
        let e = raw.endpoints.unwrap_or_default();
        let client = |c: RawClient| {
            let secret = (c.secret.is_some() || c.secret_env.is_some())
                .then(|| Credential::resolve(c.secret, c.secret_env, env));
            ProfileClient {
                id: c.id,
                secret,
                redirect_uris: c.redirect_uris,
            }
        };
        let base_url = raw.base_url.get_ref().trim_end_matches('/').to_owned();
        Self {
            name: raw.name,
            http_base_url: raw
                .http_base_url
                .map_or_else(|| plain_http_of(&base_url), |u| u.trim_end_matches('/').to_owned()),
            base_url,
            endpoints: Endpoints {
                token: e.token.unwrap_or(defaults.token),
                authorize: e.authorize.unwrap_or(defaults.authorize),
                api_base: e.api_base.unwrap_or(defaults.api_base),
                jwks: e.jwks.unwrap_or(defaults.jwks),
                metadata: e.metadata.unwrap_or(defaults.metadata),
            },
            realm: raw.realm,
            capabilities,
            clients: raw
                .clients
                .into_iter()
                .map(|(name, c)| (name.into_inner(), client(c)))
                .collect(),
            api_keys: raw
                .api_keys
                .into_iter()
                .map(|(name, k)| (name.into_inner(), Credential::resolve(k.key, k.key_env, env)))
                .collect(),
            authorizer: Authorizer::FormPost,
            admin: raw.admin.map(|a| Admin {
                path: a.path,
                secret: Credential::resolve(a.secret, a.secret_env, env),
            }),
        }
    }

    /// An endpoint as an absolute URL.
    pub fn url(&self, endpoint: &str) -> String {
        if endpoint.starts_with("https://") || endpoint.starts_with("http://") {
            endpoint.trim_end_matches('/').to_owned()
        } else {
            format!("{}{}", self.base_url, endpoint.trim_end_matches('/'))
        }
    }

    /// The variables scenarios may use against this target.
    pub fn vars(&self) -> Vars {
        let mut vars = Vars::new();
        vars.set("base_url", &self.base_url, false);
        vars.set("token_url", self.url(&self.endpoints.token), false);
        vars.set("authorize_url", self.url(&self.endpoints.authorize), false);
        vars.set("api_base", self.url(&self.endpoints.api_base), false);
        vars.set("jwks_url", self.url(&self.endpoints.jwks), false);
        vars.set("metadata_url", self.url(&self.endpoints.metadata), false);
        vars.set("realm", &self.realm, false);
        vars.set("http_base_url", &self.http_base_url, false);
        match &self.admin {
            Some(admin) => {
                vars.set("admin_url", self.url(&admin.path), false);
                admin.secret.bind(&mut vars, "admin_secret".into());
            }
            None => {
                vars.set_unset("admin_url", "the target profile has no [admin] controls");
                vars.set_unset("admin_secret", "the target profile has no [admin] controls");
            }
        }
        for (name, c) in &self.clients {
            vars.set(format!("clients.{name}.id"), &c.id, false);
            match &c.secret {
                Some(secret) => secret.bind(&mut vars, format!("clients.{name}.secret")),
                None => vars.set_unset(format!("clients.{name}.secret"), format!("{name} is a public client")),
            }
            for (i, uri) in c.redirect_uris.iter().enumerate() {
                if i == 0 {
                    vars.set(format!("clients.{name}.redirect_uri"), uri, false);
                }
                vars.set(format!("clients.{name}.redirect_uris.{i}"), uri, false);
            }
        }
        for (name, key) in &self.api_keys {
            key.bind(&mut vars, format!("keys.{name}"));
        }
        vars
    }

    /// Every variable name scenarios may use with any target: the built-in
    /// reference fixtures' names plus this profile's own. A name outside this
    /// set is a typo in the scenario; a name inside it that this target does
    /// not configure makes the scenario skip.
    pub fn known_var_names(&self) -> BTreeSet<String> {
        let reference = Self::reference(&Fixtures::builtin(), "https://reference.invalid").vars();
        let mine = self.vars();
        reference.names().chain(mine.names()).map(str::to_owned).collect()
    }
}

/// The `capabilities` list, each known and, for admin ones, backed by an
/// `[admin]` table.
/// Longest an authorizer command may take unless the profile says otherwise.
const AUTHORIZER_TIMEOUT: Duration = Duration::from_secs(60);

fn authorizer(raw: &RawProfile, path: &Path, source: &str) -> Result<Authorizer, Diagnostic> {
    let Some(a) = &raw.authorizer else {
        return Ok(Authorizer::FormPost);
    };
    match &a.get_ref().command {
        Some(argv) if !argv.is_empty() && !argv[0].is_empty() => Ok(Authorizer::Command {
            argv: argv.clone(),
            timeout: a.get_ref().timeout_secs.map_or(AUTHORIZER_TIMEOUT, Duration::from_secs),
        }),
        _ => Err(Diagnostic::new(
            path,
            source,
            Some(a.span()),
            "[authorizer] needs `command = [\"program\", \"arg\", ...]` (leave the table out for the \
             default form post)",
        )),
    }
}

/// Clients and keys go under the catalogue's fixture names (CHECKS.md §1.4,
/// as `fixtures/reference.toml` defines them): a misspelt one would leave
/// every scenario that needs the real name skipped, and a gate green.
fn fixture_names(raw: &RawProfile, path: &Path, source: &str) -> Result<(), Diagnostic> {
    let builtin = Fixtures::builtin();
    let clients: Vec<&str> = builtin.clients.iter().map(|c| c.name.as_str()).collect();
    let keys: Vec<&str> = builtin.api_keys.iter().map(|k| k.name.as_str()).collect();
    let named = raw.clients.keys().map(|n| (n, &clients, "clients"));
    for (name, known, table) in named.chain(raw.api_keys.keys().map(|n| (n, &keys, "api_keys"))) {
        if known.contains(&name.get_ref().as_str()) {
            continue;
        }
        let d = Diagnostic::new(
            path,
            source,
            Some(name.span()),
            format!(
                "no scenario uses [{table}.{}]; the fixture names are {}",
                name.get_ref(),
                known.join(", ")
            ),
        );
        return Err(match suggest(name.get_ref(), known.iter().copied()) {
            Some(s) => d.with_hint(format!("did you mean `{s}`?")),
            None => d,
        });
    }
    Ok(())
}

fn capabilities(raw: &RawProfile, path: &Path, source: &str) -> Result<BTreeSet<Capability>, Diagnostic> {
    let mut out = BTreeSet::new();
    for cap in &raw.capabilities {
        let Some(c) = Capability::parse(cap.get_ref()) else {
            let d = Diagnostic::new(
                path,
                source,
                Some(cap.span()),
                format!("unknown capability `{}`", cap.get_ref()),
            );
            return Err(match suggest(cap.get_ref(), Capability::ALL.map(Capability::as_str)) {
                Some(s) => d.with_hint(format!("did you mean `{s}`?")),
                None => d,
            });
        };
        if c.needs_admin() && raw.admin.is_none() {
            let message = format!("capability `{}` needs an [admin] table", c.as_str());
            return Err(Diagnostic::new(path, source, Some(cap.span()), message));
        }
        out.insert(c);
    }
    Ok(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    name: String,
    base_url: Spanned<String>,
    http_base_url: Option<String>,
    realm: String,
    #[serde(default)]
    capabilities: Vec<Spanned<String>>,
    endpoints: Option<RawEndpoints>,
    #[serde(default)]
    clients: BTreeMap<Spanned<String>, RawClient>,
    #[serde(default)]
    api_keys: BTreeMap<Spanned<String>, RawKey>,
    admin: Option<RawAdmin>,
    authorizer: Option<Spanned<RawAuthorizer>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuthorizer {
    command: Option<Vec<String>>,
    timeout_secs: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawEndpoints {
    token: Option<String>,
    authorize: Option<String>,
    api_base: Option<String>,
    jwks: Option<String>,
    metadata: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    id: String,
    secret: Option<String>,
    secret_env: Option<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    key: Option<String>,
    key_env: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdmin {
    path: String,
    secret: Option<String>,
    secret_env: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_profile_binds_fixture_credentials() {
        let f = Fixtures::builtin();
        let p = TargetProfile::reference(&f, "https://127.0.0.1:9/");
        let vars = p.vars();
        assert_eq!(vars.value("token_url"), Some("https://127.0.0.1:9/oauth/token"));
        assert_eq!(vars.value("clients.C_BASIC.id"), Some("p11-basic"));
        assert_eq!(
            vars.value("clients.C_BASIC.redirect_uris.1"),
            Some("https://client.test/cb2?tenant=a")
        );
        assert!(vars.value("clients.C_PUB.secret").is_none());
        assert!(vars.secrets().any(|(n, _)| n == "keys.LIVE_STD"));
        assert_eq!(vars.value("admin_url"), Some("https://127.0.0.1:9/_harness"));
    }

    #[test]
    fn shipped_profiles_parse() {
        for file in ["reference.toml", "example-vendor.toml"] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("fixtures/targets")
                .join(file);
            let p = TargetProfile::load(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(!p.clients.is_empty(), "{file}");
        }
    }

    #[test]
    fn a_misspelt_fixture_name_is_refused_where_it_stands() {
        let src = "name = \"v\"\nbase_url = \"https://v.example\"\nrealm = \"v\"\n[clients.C_BASCI]\nid = \"a\"\n";
        let err = TargetProfile::parse(Path::new("v.toml"), src, &|_| None).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("v.toml:4:10"), "{shown}");
        assert!(shown.contains("did you mean `C_BASIC`?"), "{shown}");
        let src = "name = \"v\"\nbase_url = \"https://v.example\"\nrealm = \"v\"\n[api_keys.LIVE_STANDARD]\nkey_env = \"K\"\n";
        let err = TargetProfile::parse(Path::new("v.toml"), src, &|_| None).unwrap_err();
        assert!(
            err.to_string().contains("no scenario uses [api_keys.LIVE_STANDARD]"),
            "{err}"
        );
    }

    #[test]
    fn an_authorizer_command_implies_scripted_consent() {
        let src = "name = \"v\"\nbase_url = \"https://v.example:8443\"\nrealm = \"v\"\n\
                   [authorizer]\ncommand = [\"./consent.sh\", \"--user\", \"t\"]\ntimeout_secs = 5\n";
        let p = TargetProfile::parse(Path::new("v.toml"), src, &|_| None).unwrap();
        assert!(p.capabilities.contains(&Capability::ScriptedConsent));
        assert!(!p.capabilities.contains(&Capability::ConsentFormPost));
        assert_eq!(
            p.authorizer,
            Authorizer::Command {
                argv: vec!["./consent.sh".into(), "--user".into(), "t".into()],
                timeout: Duration::from_secs(5),
            }
        );
        assert_eq!(p.vars().value("http_base_url"), Some("http://v.example:8443"));
        let empty = "name = \"v\"\nbase_url = \"https://v.example\"\nrealm = \"v\"\n[authorizer]\ncommand = []\n";
        let err = TargetProfile::parse(Path::new("v.toml"), empty, &|_| None).unwrap_err();
        assert!(err.to_string().contains("v.toml:4:1"), "{err}");
        assert!(err.to_string().contains("needs `command"), "{err}");
    }

    /// The shipped profile of `serve` is a hand-written copy of the
    /// fixtures: it must not fall behind them (or behind the capabilities),
    /// or scenarios skip against the very server it describes.
    #[test]
    fn the_reference_profile_covers_every_fixture_and_capability() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/targets/reference.toml");
        let profile = TargetProfile::load(&path).unwrap();
        let builtin = TargetProfile::reference(&Fixtures::builtin(), "https://127.0.0.1:8443");
        assert_eq!(profile.capabilities, builtin.capabilities);
        assert_eq!(profile.clients, builtin.clients);
        assert_eq!(profile.api_keys, builtin.api_keys);
    }

    #[test]
    fn env_wins_and_missing_env_is_unset() {
        let src = r#"
name = "v"
base_url = "https://v.example"
realm = "v"
[clients.C_BASIC]
id = "a"
secret_env = "V_SECRET"
[api_keys.LIVE_STD]
key_env = "V_KEY"
"#;
        let env = |n: &str| (n == "V_SECRET").then(|| "s3cret".to_owned());
        let p = TargetProfile::parse(Path::new("v.toml"), src, &env).unwrap();
        let vars = p.vars();
        assert_eq!(vars.value("clients.C_BASIC.secret"), Some("s3cret"));
        assert!(vars.value("keys.LIVE_STD").is_none());
        assert!(matches!(
            vars.get("admin_url"),
            Some(super::super::template::Binding::Unset { .. })
        ));
    }

    #[test]
    fn unknown_capability_is_a_diagnostic_with_a_hint() {
        let src = "name = \"v\"\nbase_url = \"https://v.example\"\nrealm = \"v\"\ncapabilities = [\"basic_auht\"]\n";
        let Err(ConformError::Profile(d)) = TargetProfile::parse(Path::new("v.toml"), src, &|_| None) else {
            panic!("expected a profile diagnostic");
        };
        assert_eq!((d.line, d.column), (4, 17));
        assert_eq!(d.hint.as_deref(), Some("did you mean `basic_auth`?"));
    }
}
