//! The reference Point11 server: an OAuth 2.0 authorization server (client
//! credentials, authorization code with PKCE), protected resources with API
//! keys and rate limits, and harness-only controls. It implements the
//! contract in POINT11-API.md and passes the checks in CHECKS.md.
//!
//! [`app`] builds the router (handlers testable without sockets); [`run`]
//! serves it over TLS on a bound listener until a shutdown future resolves;
//! [`start`] does both from a [`ServeConfig`] and hands back a
//! [`RunningServer`].

mod admin;
mod apikeys;
mod authorize;
mod authorize_pkce;
mod bearer;
mod client_auth;
mod clock;
mod code_exchange;
mod codes;
mod consent;
mod data;
mod faults;
mod forge;
mod issue;
mod jwt;
mod limits;
mod listen;
mod logging;
mod metadata;
mod params;
mod pkce;
mod ratelimit;
mod resource;
mod resource_auth;
mod resource_error;
mod responses;
mod scope;
mod signing;
mod state;
mod token;
mod token_error;

#[cfg(test)]
pub(crate) mod test_support;
#[cfg(test)]
mod tests_limits;
#[cfg(test)]
mod tests_oauth;
#[cfg(test)]
mod tests_props_limits;
#[cfg(test)]
mod tests_props_tokens;
#[cfg(test)]
mod tests_resource;

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;

pub use self::admin::ADMIN_SECRET_HEADER;
pub use self::clock::Clock;
pub use self::faults::{Fault, Faults, UnknownFault, write_list as write_fault_list};
pub use self::forge::{ForgedAlg, MintRequest, Tamper};
pub use self::limits::{Limits, MAX_BODY_BYTES, MAX_HEADERS};
pub use self::signing::SigningKey;
pub use self::state::AppState;
pub use self::token::AUTH_FAILURE_BUDGET;
use crate::fixtures::Fixtures;
use crate::secret::Secret;
pub use crate::tls::{TlsError, TlsSetup};

/// How long open connections may finish after shutdown is asked for.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A validated description of one server.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Port 0 picks a free port.
    pub bind: SocketAddr,
    pub tls: TlsSetup,
    pub fixtures: Fixtures,
    /// Access token lifetime (Point11: 3600 s).
    pub token_ttl: Duration,
    /// Authorization code lifetime; RFC 6749 §4.1.2 recommends at most 10 min.
    pub code_ttl: Duration,
    /// Rate-limit window (Point11: one minute).
    pub rate_window: Duration,
    /// Rules to break on purpose (`serve --fault`); none by default.
    pub faults: Faults,
    /// The clock stands at the start time and moves only when advanced
    /// (`POST /_harness/clock/advance`), so no rate window rolls over and
    /// no token expires by itself: what a conformance run needs. Load runs
    /// need wall time and leave it off.
    pub manual_clock: bool,
    /// Connection cap and request timeout (`limits.rs`).
    pub limits: Limits,
}

impl ServeConfig {
    pub const DEFAULT_BIND: SocketAddr = SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 8443);

    /// Defaults: 127.0.0.1:8443, tokens 3600 s, codes 300 s, windows 60 s.
    pub fn new(fixtures: Fixtures, tls: TlsSetup) -> Self {
        Self {
            bind: Self::DEFAULT_BIND,
            tls,
            fixtures,
            token_ttl: Duration::from_secs(3600),
            code_ttl: Duration::from_secs(300),
            rate_window: Duration::from_secs(60),
            faults: Faults::none(),
            manual_clock: false,
            limits: Limits::default(),
        }
    }

    pub fn validate(&self) -> Result<(), ServeError> {
        let whole_seconds = |name: &str, d: Duration| {
            if d.as_secs() == 0 || d.subsec_nanos() != 0 {
                Err(ServeError::Config(format!(
                    "{name} must be a whole number of seconds, at least 1"
                )))
            } else {
                Ok(())
            }
        };
        whole_seconds("token_ttl", self.token_ttl)?;
        whole_seconds("code_ttl", self.code_ttl)?;
        whole_seconds("rate_window", self.rate_window)?;
        if self.code_ttl > Duration::from_secs(600) {
            return Err(ServeError::Config(
                "code_ttl must be at most 600 s (RFC 6749 §4.1.2: codes expire shortly, 10 minutes at most)".into(),
            ));
        }
        for client in &self.fixtures.clients {
            for uri in &client.redirect_uris {
                // RFC 6749 §3.1.2: absolute, without a fragment.
                let parsed = url::Url::parse(uri).ok().filter(|u| u.fragment().is_none());
                if parsed.is_none() {
                    return Err(ServeError::Config(format!(
                        "client {}: redirect URI {uri} must be an absolute URL without a fragment",
                        client.name
                    )));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(
        "cannot listen on {addr}: {source}. Another process may hold the port: \
         use --bind 127.0.0.1:0 for any free port, or choose another port"
    )]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("invalid server configuration: {0}")]
    Config(String),
    #[error("cannot create the token signing key: {0}")]
    SigningKey(String),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

/// A server serving in the background. Dropping it shuts it down too.
#[derive(Debug)]
pub struct RunningServer {
    pub local_addr: SocketAddr,
    /// `https://127.0.0.1:PORT` (or `https://[::1]:PORT`).
    pub base_url: String,
    /// The local CA that signed the server certificate, when we made it.
    pub ca_pem: Option<Vec<u8>>,
    pub ca_path: Option<PathBuf>,
    pub admin_secret: Secret,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Stops accepting, lets open requests finish (a few seconds at most)
    /// and waits for the server task.
    pub async fn shutdown(self) -> Result<(), ServeError> {
        let _ = self.shutdown.send(());
        match self.task.await {
            Ok(result) => result.map_err(ServeError::Serve),
            Err(join) => Err(ServeError::Serve(std::io::Error::other(join))),
        }
    }
}

/// Validates `config`, loads or creates its TLS material, binds and starts
/// serving. Returns once the socket listens.
pub async fn start(config: ServeConfig) -> Result<RunningServer, ServeError> {
    config.validate()?;
    let tls_setup = config.tls.clone();
    let material = tokio::task::spawn_blocking(move || tls_setup.load())
        .await
        .map_err(|e| ServeError::Serve(std::io::Error::other(e)))??;
    let tls = RustlsConfig::from_config(material.server_config()?);
    let listener = TcpListener::bind(config.bind).map_err(|source| ServeError::Bind {
        addr: config.bind,
        source,
    })?;
    let local_addr = listener.local_addr().map_err(ServeError::Serve)?;
    let base_url = base_url(local_addr);
    let admin_secret = config.fixtures.admin_secret.clone();
    let faults = config.faults.clone();
    let clock = if config.manual_clock {
        Clock::fixed(Clock::system().now_secs())
    } else {
        Clock::system()
    };
    let state = tokio::task::spawn_blocking(move || AppState::new(&config, clock))
        .await
        .map_err(|e| ServeError::Serve(std::io::Error::other(e)))??;
    let _ = state.base_url.set(base_url.clone());
    let (shutdown, signal) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(run(listener, tls, state, async {
        // A dropped sender (the RunningServer was dropped) also stops it.
        let _ = signal.await;
    }));
    tracing::info!(target: "p11_harness::server", %base_url, "listening");
    for fault in faults.iter() {
        tracing::warn!(target: "p11_harness::server", fault = fault.name(), "fault injected: {}", fault.description());
    }
    Ok(RunningServer {
        local_addr,
        base_url,
        ca_pem: material.ca_pem,
        ca_path: material.ca_path,
        admin_secret,
        shutdown,
        task,
    })
}

/// Serves `app(state)` over TLS only (plain HTTP gets no HTTP response, see
/// `listen.rs`) until `shutdown` resolves, then drains gracefully.
pub async fn run(
    listener: TcpListener,
    tls: RustlsConfig,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let handle = Handle::new();
    let trigger = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        trigger.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    let acceptor = listen::SniffingAcceptor::new(
        axum_server::tls_rustls::RustlsAcceptor::new(tls),
        state.faults.breaks(Fault::PlainHttpServed),
        limits::ConnectionCap::new(state.limits.max_connections),
    );
    let mut server = axum_server::from_tcp(listener)?.acceptor(acceptor).handle(handle);
    let builder = server.http_builder();
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits::HEADER_READ_TIMEOUT)
        .max_buf_size(limits::MAX_HEAD_BYTES)
        .max_headers(limits::MAX_HEADERS);
    builder
        .http2()
        .timer(hyper_util::rt::TokioTimer::new())
        .max_header_list_size(limits::MAX_HEADER_LIST_BYTES);
    server.serve(app(state).into_make_service()).await
}

/// The router: OAuth endpoints, discovery, resources and harness controls.
pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/oauth/token", post(token::token).fallback(token::method_not_allowed))
        .route("/oauth/authorize", get(authorize::get).post(authorize::post))
        .route("/.well-known/jwks.json", get(metadata::jwks))
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::authorization_server),
        )
        .route("/v1/audits", get(resource::list_audits).post(resource::create_audit))
        .route("/v1/analytics", get(resource::get_analytics))
        .nest("/_harness", admin::routes(state.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.request_timeout,
            limits::request_timeout,
        ))
        .layer(axum::middleware::from_fn(logging::log_request))
        .with_state(state)
}

/// Clients reach a loopback server by its loopback address, the one the
/// certificate names.
fn base_url(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(_) => format!("https://127.0.0.1:{}", addr.port()),
        SocketAddr::V6(_) => format!("https://[::1]:{}", addr.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_validate() {
        let config = test_support::config();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8443");
        assert_eq!(config.token_ttl, Duration::from_secs(3600));
        config.validate().unwrap();
    }

    #[test]
    fn bad_durations_are_refused() {
        let mut config = test_support::config();
        config.rate_window = Duration::from_millis(1500);
        assert!(config.validate().is_err());
        let mut config = test_support::config();
        config.code_ttl = Duration::from_secs(601);
        assert!(config.validate().unwrap_err().to_string().contains("600"));
    }

    #[test]
    fn base_url_uses_loopback() {
        assert_eq!(base_url("0.0.0.0:8443".parse().unwrap()), "https://127.0.0.1:8443");
        assert_eq!(base_url("[::]:9000".parse().unwrap()), "https://[::1]:9000");
    }
}
