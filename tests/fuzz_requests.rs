//! No panic is reachable from a request: a proptest-driven fuzzer sends
//! arbitrary methods, paths, queries, headers and bodies through
//! `server::app(state)` (no sockets) and requires a well-formed answer with
//! a status below 500. The seed corpus in `tests/corpus/requests/` is
//! replayed on every run.
//!
//! Budget: `FUZZ_CASES` cases per run (override with `P11_FUZZ_CASES` for a
//! longer local session); each case is one request on a fresh router.

mod fuzz_support;

use std::path::Path;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, Method, Request, Uri};
use base64::Engine;
use p11_harness::fixtures::Fixtures;
use p11_harness::server::{AppState, Clock, ServeConfig, SigningKey, TlsSetup, app};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tower::ServiceExt;

/// Cases per CI run; about 10 s in a debug build on two cores (sequences
/// get a tenth of it, each up to 6 requests on one state).
const FUZZ_CASES: u32 = 4000;

/// 2024-01-25T00:00:00Z.
const NOW: i64 = 1_706_140_800;

fn state() -> AppState {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    let key = KEY.get_or_init(|| SigningKey::generate().unwrap()).clone();
    let config = ServeConfig::new(Fixtures::builtin(), TlsSetup::Ephemeral);
    AppState::with_signing_key(&config, Clock::fixed(NOW), key)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One fuzzed request, kept as raw parts so a failure prints readably.
#[derive(Debug, Clone)]
struct RawRequest {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl RawRequest {
    /// `None` when the parts are not even an HTTP request (hyper would
    /// refuse them before the router).
    fn build(&self) -> Option<Request<Body>> {
        let method = Method::from_bytes(self.method.as_bytes()).ok()?;
        let uri: Uri = self.target.parse().ok()?;
        let mut request = Request::builder().method(method).uri(uri);
        for (name, value) in &self.headers {
            let name = HeaderName::from_bytes(name.as_bytes()).ok()?;
            request = request.header(name, HeaderValue::from_bytes(value).ok()?);
        }
        request.body(Body::from(self.body.clone())).ok()
    }
}

/// Every route but `/_harness/signing-keys/rotate`, whose RSA key
/// generation would dominate the budget (and needs the admin secret).
const PATHS: [&str; 14] = [
    "/oauth/token",
    "/oauth/authorize",
    "/v1/audits",
    "/v1/analytics",
    "/.well-known/jwks.json",
    "/.well-known/oauth-authorization-server",
    "/_harness/clock",
    "/_harness/clock/advance",
    "/_harness/tokens",
    "/_harness/api-keys/revoke",
    "/_harness/api-keys/LIVE_ROT/rotate",
    "/_harness/api-keys/LIVE_ROT/revoke",
    "/_harness/rate-limits/reset",
    "/_harness/reset",
];

const PARAM_NAMES: [&str; 14] = [
    "grant_type",
    "scope",
    "code",
    "redirect_uri",
    "code_verifier",
    "code_challenge",
    "code_challenge_method",
    "client_id",
    "client_secret",
    "response_type",
    "state",
    "access_token",
    "decision",
    "api_key",
];

/// A form/query string: known names with values that are sometimes right.
fn params() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        Just("client_credentials".to_owned()),
        Just("authorization_code".to_owned()),
        Just("code".to_owned()),
        Just("approve".to_owned()),
        Just("S256".to_owned()),
        Just("p11-basic".to_owned()),
        Just("https://client.test/cb".to_owned()),
        Just("audits:read".to_owned()),
        Just("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_owned()),
        "[ -~]{0,40}",
        "(%[0-9A-Fa-f]{0,2}|\\+|&|=|[a-z]){0,20}",
    ];
    prop::collection::vec((prop::sample::select(PARAM_NAMES.to_vec()), value), 0..8).prop_map(|pairs| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (n, v) in &pairs {
            s.append_pair(n, v);
        }
        s.finish()
    })
}

fn authorization() -> impl Strategy<Value = Vec<u8>> {
    let fixtures = Fixtures::builtin();
    let basic = fixtures
        .clients
        .iter()
        .filter_map(|c| Some(format!("{}:{}", c.id, c.secret.as_ref()?.expose())))
        .map(|raw| format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(raw)))
        .collect::<Vec<_>>();
    let keys = fixtures
        .api_keys
        .iter()
        .map(|k| format!("Bearer {}", k.key.expose()))
        .collect::<Vec<_>>();
    prop_oneof![
        prop::sample::select(basic).prop_map(String::into_bytes),
        prop::sample::select(keys).prop_map(String::into_bytes),
        "(Bearer|bearer|Basic|Token) ?[ -~]{0,60}".prop_map(String::into_bytes),
        "Basic [A-Za-z0-9+/=]{0,40}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..80),
    ]
}

fn headers() -> impl Strategy<Value = Vec<(String, Vec<u8>)>> {
    let content_type = prop_oneof![
        Just(b"application/x-www-form-urlencoded".to_vec()),
        Just(b"application/json".to_vec()),
        Just(b"multipart/form-data; boundary=x".to_vec()),
        prop::collection::vec(any::<u8>(), 0..40),
    ];
    let admin = Just(Fixtures::builtin().admin_secret.expose().as_bytes().to_vec());
    let one = prop_oneof![
        authorization().prop_map(|v| ("authorization".to_owned(), v)),
        content_type.prop_map(|v| ("content-type".to_owned(), v)),
        prop_oneof![admin, prop::collection::vec(any::<u8>(), 0..40)]
            .prop_map(|v| ("x-p11-admin-secret".to_owned(), v)),
        ("[a-z-]{1,12}", prop::collection::vec(any::<u8>(), 0..40)),
    ];
    prop::collection::vec(one, 0..5)
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        params().prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..512),
        "\\{\"[a-z_]{1,12}\": ?(\"[ -~]{0,30}\"|-?[0-9]{1,20}|null|true|\\[\\])\\}".prop_map(String::into_bytes),
        admin_json(),
    ]
}

/// Bodies the harness controls accept, with extreme numbers: the clock and
/// the minted claims do arithmetic on them.
fn admin_json() -> impl Strategy<Value = Vec<u8>> {
    let number = prop_oneof![any::<i64>(), Just(i64::MAX), Just(i64::MIN), -5000i64..5000];
    let field = prop::sample::select(vec!["exp_offset_secs", "nbf_offset_secs"]);
    prop_oneof![
        number.clone().prop_map(|n| format!("{{\"seconds\": {n}}}")),
        (field, number).prop_map(|(f, n)| format!("{{\"client\": \"C_BASIC\", \"{f}\": {n}}}")),
        "\\{\"client\": \"C_[A-Z]{1,8}\", \"alg\": \"(none|HS256-pubkey|RS256|x)\"\\}",
    ]
    .prop_map(String::into_bytes)
}

fn request() -> impl Strategy<Value = RawRequest> {
    let method = prop_oneof![
        prop::sample::select(vec!["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]).prop_map(String::from),
        "[A-Z]{1,8}",
    ];
    let path = prop_oneof![
        4 => prop::sample::select(PATHS.to_vec()).prop_map(String::from),
        1 => "/[!-~]{0,30}",
    ];
    let query = prop_oneof![
        Just(String::new()),
        params().prop_map(|q| format!("?{q}")),
        "\\?[!-~]{0,40}"
    ];
    (method, path, query, headers(), body()).prop_map(|(method, path, query, headers, body)| RawRequest {
        method,
        target: format!("{path}{query}"),
        headers,
        body,
    })
}

/// Sends one request; Err describes what is wrong with the answer.
async fn check(state: &AppState, request: Request<Body>) -> Result<(), String> {
    // hyper drops a HEAD response's body on the wire; the router does not.
    let head = request.method() == Method::HEAD;
    let response = app(state.clone())
        .oneshot(request)
        .await
        .map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let json = response
        .headers()
        .get("content-type")
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .map_err(|e| format!("body: {e}"))?;
    if status.as_u16() >= 500 {
        return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
    }
    if json && !head && serde_json::from_slice::<serde_json::Value>(&body).is_err() {
        return Err(format!("{status}: a JSON content type with a body that is not JSON"));
    }
    Ok(())
}

fn cases() -> u32 {
    fuzz_support::cases(FUZZ_CASES)
}

#[test]
fn no_request_makes_the_server_fail() {
    let rt = runtime();
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&request(), |raw| {
        let Some(request) = raw.build() else { return Ok(()) };
        rt.block_on(check(&state(), request)).map_err(TestCaseError::fail)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// State carried from request to request (a clock moved to the far future,
/// rotated or revoked keys, spent codes) must not set up a panic either.
#[test]
fn no_request_sequence_makes_the_server_fail() {
    let rt = runtime();
    let mut runner = TestRunner::new(Config {
        cases: (cases() / 10).max(1),
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&prop::collection::vec(request(), 1..=6), |raws| {
        let state = state();
        for request in raws.iter().filter_map(RawRequest::build) {
            rt.block_on(check(&state, request)).map_err(TestCaseError::fail)?;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// Parses a corpus file: `METHOD target`, header lines, a blank line, the
/// body (kept byte for byte).
fn parse_corpus(bytes: &[u8]) -> RawRequest {
    let split = bytes.windows(2).position(|w| w == b"\n\n").unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let body = bytes.get(split + 2..).unwrap_or_default().to_vec();
    let mut lines = head.lines().filter(|l| !l.starts_with('#'));
    let (method, target) = lines.next().unwrap().split_once(' ').unwrap();
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(':').unwrap();
            (n.trim().to_owned(), v.trim_start().as_bytes().to_vec())
        })
        .collect();
    RawRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body,
    }
}

#[test]
fn corpus_requests_are_answered_below_500() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/requests");
    let rt = runtime();
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let raw = parse_corpus(&std::fs::read(&path).unwrap());
        let request = raw
            .build()
            .unwrap_or_else(|| panic!("{} is not a request", path.display()));
        if let Err(e) = rt.block_on(check(&state(), request)) {
            panic!("{}: {e}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 5, "the corpus is there: {seen}");
}
