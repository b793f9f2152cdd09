//! Test doubles for the load harness: an exact fixed-window rate limiter
//! written with wiremock's `Respond`, and the faulty variants the issue
//! lists, each breaking one thing. The limiter reads the same clock as the
//! harness, so with a `ManualClock` a 60 s window costs no real time.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, UNIX_EPOCH};

use p11_harness::fixtures::Tier;
use p11_harness::http::Trust;
use p11_harness::load::clock::{Clock, ManualClock};
use p11_harness::load::config::{KeyRef, LoadConfig, PhaseKind, RemoteTarget, TargetSpec, TierKeys};
use p11_harness::load::{LoadOutcome, run};
use p11_harness::secret::Secret;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const STD_KEY: &str = "p11_test_StdStdStdStdStdStdStdStdStdStdStdStd0001";
pub const PRO_KEY: &str = "p11_test_ProProProProProProProProProProProPro0002";
pub const SPARE_KEY: &str = "p11_test_SpareSpareSpareSpareSpareSpareSpare0003";
pub const STD_LIMIT: u64 = 10;
pub const PRO_LIMIT: u64 = 20;
/// Manual-clock runs start here: a Unix time half a second into a minute.
pub const EPOCH: f64 = 1_700_000_040.5;

/// What a double gets wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// An exact fixed-window limiter.
    None,
    /// Admits 10% more than its limit per window.
    OverAdmit10,
    /// Remaining is one too high on every admitted response.
    RemainingOffByOne,
    /// Remaining comes from a count read outside the critical section:
    /// requests that overlap see the same value. Admission stays exact.
    RacyRemaining,
    /// 429 without Retry-After.
    NoRetryAfter,
    /// Retry-After: 0 while the key stays blocked until the window ends.
    RetryAfterZero,
    /// Retry-After two seconds shorter than the real wait.
    RetryAfterShort,
    /// X-RateLimit-Reset as seconds until the reset, not a timestamp.
    ResetDelta,
}

/// How long the racy double holds each response; a request arriving while
/// another's response is held overlaps it (a sequential client never does).
const RACY_HOLD: Duration = Duration::from_millis(3);

pub struct Limiter {
    clock: Arc<dyn Clock>,
    window: u64,
    limits: HashMap<String, u64>,
    fault: Fault,
    counts: Mutex<HashMap<(String, i64), u64>>,
    /// Racy double: respond times still being held, and the stale count.
    racy: Mutex<(Vec<Instant>, u64)>,
}

impl Limiter {
    pub fn new(clock: Arc<dyn Clock>, window: u64, fault: Fault) -> Self {
        let mut limits = HashMap::from([
            (STD_KEY.to_owned(), STD_LIMIT),
            (PRO_KEY.to_owned(), PRO_LIMIT),
            (SPARE_KEY.to_owned(), STD_LIMIT),
        ]);
        // The reference fixtures' keys too, at their tiers' limits, for
        // runs through the command line (which uses them by default).
        let fixtures = p11_harness::fixtures::Fixtures::builtin();
        for k in &fixtures.api_keys {
            limits.insert(k.key.expose().to_owned(), fixtures.tier_limit(k.tier));
        }
        Self {
            clock,
            window,
            limits,
            fault,
            counts: Mutex::default(),
            racy: Mutex::default(),
        }
    }

    /// Remaining as the racy double reports it: the count as of the start
    /// of the current burst of overlapping requests.
    fn racy_count(&self, admitted_before: u64) -> u64 {
        let mut racy = self.racy.lock().unwrap();
        let now = Instant::now();
        racy.0.retain(|t| *t + RACY_HOLD > now);
        if racy.0.is_empty() {
            racy.1 = admitted_before;
        }
        racy.0.push(now);
        racy.1
    }
}

impl Respond for Limiter {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let key = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let Some(&limit) = self.limits.get(key) else {
            return ResponseTemplate::new(401).insert_header("www-authenticate", "Bearer realm=\"point11\"");
        };
        let now = self.clock.now_unix();
        let w = self.window as f64;
        let index = (now / w).floor() as i64;
        let reset = (index + 1) * self.window as i64;
        let allowed = if self.fault == Fault::OverAdmit10 {
            limit + limit / 10
        } else {
            limit
        };
        let admitted_before = {
            let mut counts = self.counts.lock().unwrap();
            let c = counts.entry((key.to_owned(), index)).or_default();
            let before = *c;
            if before < allowed {
                *c += 1;
            }
            before
        };
        let admitted = admitted_before < allowed;
        let seen = if self.fault == Fault::RacyRemaining {
            self.racy_count(admitted_before)
        } else {
            admitted_before
        };
        let mut remaining = limit.saturating_sub(seen + 1);
        if self.fault == Fault::RemainingOffByOne && admitted {
            remaining += 1;
        }
        let left = reset as f64 - now;
        let reset_header = if self.fault == Fault::ResetDelta {
            left.ceil() as i64
        } else {
            reset
        };
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs_f64(now));
        let mut t = ResponseTemplate::new(if admitted { 200 } else { 429 })
            .insert_header("x-ratelimit-limit", limit.to_string().as_str())
            .insert_header(
                "x-ratelimit-remaining",
                if admitted { remaining } else { 0 }.to_string().as_str(),
            )
            .insert_header("x-ratelimit-reset", reset_header.to_string().as_str())
            .insert_header("date", date.as_str());
        if admitted {
            t = t.set_body_string("{\"environment\":\"test\",\"audits\":[]}");
        } else {
            let ra = match self.fault {
                Fault::NoRetryAfter => None,
                Fault::RetryAfterZero => Some(0),
                Fault::RetryAfterShort => Some((left.ceil() as i64 - 2).max(0)),
                _ => Some(left.ceil().max(1.0) as i64),
            };
            if let Some(ra) = ra {
                t = t.insert_header("retry-after", ra.to_string().as_str());
            }
        }
        if self.fault == Fault::RacyRemaining {
            t = t.set_delay(RACY_HOLD);
        }
        t
    }
}

/// A wiremock server with the double on GET /v1/audits.
pub async fn serve(limiter: Limiter) -> MockServer {
    let server = MockServer::builder().disable_request_recording().start().await;
    Mock::given(method("GET"))
        .and(path("/v1/audits"))
        .respond_with(limiter)
        .mount(&server)
        .await;
    server
}

fn key(name: &str, value: &str) -> KeyRef {
    KeyRef {
        name: name.to_owned(),
        secret: Secret::new(value),
    }
}

/// A target with the doubles' keys: standard (L = 10), professional
/// (L = 20) and a spare standard key for isolation.
pub fn target(base_url: &str) -> RemoteTarget {
    RemoteTarget {
        base_url: base_url.to_owned(),
        trust: Trust::System,
        path: "/v1/audits".into(),
        tiers: [
            (
                Tier::Standard,
                TierKeys {
                    limit: STD_LIMIT,
                    keys: vec![key("K_STD", STD_KEY)],
                },
            ),
            (
                Tier::Professional,
                TierKeys {
                    limit: PRO_LIMIT,
                    keys: vec![key("K_PRO", PRO_KEY)],
                },
            ),
        ]
        .into(),
        spare: vec![(Tier::Standard, key("K_SPARE", SPARE_KEY))],
    }
}

/// Runs the probe phases (no goose) against a double on a manual clock
/// with the contract's 60 s window; returns the outcome and the table.
pub async fn probe_run(fault: Fault, tiers: &[Tier], phases: &[PhaseKind], out_dir: &Path) -> (LoadOutcome, String) {
    let clock = ManualClock::starting_at(EPOCH);
    let server = serve(Limiter::new(clock.clone(), 60, fault)).await;
    let mut config = LoadConfig::new(TargetSpec::Remote(target(&server.uri())));
    config.clock = clock;
    config.window = Duration::from_secs(60);
    config.tiers = tiers.to_vec();
    config.phases = phases.iter().copied().collect();
    config.out_dir = out_dir.to_owned();
    let mut table = Vec::new();
    let outcome = run(config, &mut table).await.expect("the run completes");
    (outcome, String::from_utf8(table).unwrap())
}

/// Every phase but the goose load.
pub const PROBES: &[PhaseKind] = &[
    PhaseKind::First429,
    PhaseKind::Isolation,
    PhaseKind::RetryAfter,
    PhaseKind::Penalty,
    PhaseKind::Concurrency,
];

/// Checks a summary.json file against the published JSON Schema.
pub fn assert_matches_schema(summary_path: &Path) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/load-summary.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
    let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(summary_path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(&summary)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "summary.json does not match its schema:\n{}",
        errors.join("\n")
    );
}

/// Asserts that no file under `dir` contains any of the doubles' keys.
pub fn assert_no_secret_in(dir: &Path) {
    let mut secrets = vec![STD_KEY.to_owned(), PRO_KEY.to_owned(), SPARE_KEY.to_owned()];
    secrets.extend(
        p11_harness::fixtures::Fixtures::builtin()
            .api_keys
            .iter()
            .map(|k| k.key.expose().to_owned()),
    );
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for s in &secrets {
            assert!(!text.contains(s.as_str()), "{} contains an API key", path.display());
        }
    }
}
