//! The goose load phase (LOAD-METRICS.md §4.8): one attack, one scenario
//! per tier weighted by its users. Each user's on-start transaction picks
//! its key and installs an HTTP client that trusts the target's CA and
//! carries the key as a default header (so goose's logs never see it); the
//! main transaction paces the user open-loop, times each request itself in
//! microseconds and captures the rate-limit headers goose does not keep.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goose::config::{GooseDefault, GooseDefaultType};
use goose::prelude::{
    GooseAttack, GooseMethod, GooseRequest, GooseUser, Scenario, Transaction, TransactionError, TransactionResult,
};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

use crate::fixtures::Tier;
use crate::http::{Trust, client_builder};
use crate::load::clock::Clock;
use crate::load::observe::{Captured, Obs, Outcome, Phase, Recorder};
use crate::load::pacer;
use crate::load::target::KeyTable;

/// A transaction never sleeps longer than this at once, so goose can stop
/// its users promptly when the run time is up.
const MAX_SLEEP: Duration = Duration::from_millis(200);

/// One tier's share of the attack.
#[derive(Debug)]
pub struct TierPlan {
    pub tier: Tier,
    pub limit: u64,
    pub keys: Vec<usize>,
    pub users: usize,
    assigned: AtomicUsize,
}

impl TierPlan {
    pub fn new(tier: Tier, limit: u64, keys: Vec<usize>, users: usize) -> Self {
        Self {
            tier,
            limit,
            keys,
            users,
            assigned: AtomicUsize::new(0),
        }
    }
}

/// What every goose user shares.
#[derive(Debug)]
pub struct Shared {
    pub recorder: Arc<Recorder>,
    pub clock: Arc<dyn Clock>,
    pub keys: Arc<KeyTable>,
    pub trust: Trust,
    pub timeout: Duration,
    pub path: String,
    pub window: Duration,
    pub load_factor: f64,
    pub polite: bool,
    /// Per key, when its first window starts (from the probes), so the load
    /// enters each key at a window boundary.
    pub start_at: HashMap<usize, Duration>,
    /// Per key, until when the last 429's Retry-After holds (polite mode).
    pub blocked: Mutex<HashMap<usize, Duration>>,
}

/// A goose user's place in the schedule.
#[derive(Debug, Clone)]
struct UserState {
    key: usize,
    user: u32,
    period: Duration,
    next: Duration,
    name: String,
}

/// How the goose attack ended.
#[derive(Debug, Default, Clone)]
pub struct GooseOutcome {
    /// Rules of goose's own `--threshold` that failed.
    pub thresholds_failed: Vec<String>,
}

/// Runs the attack for `duration`; returns when goose has stopped.
pub async fn run(
    shared: Arc<Shared>,
    plans: Vec<Arc<TierPlan>>,
    base_url: &str,
    duration: Duration,
    goose: goose::config::GooseConfiguration,
) -> Result<GooseOutcome, String> {
    let total: usize = plans.iter().map(|p| p.users).sum();
    let mut attack = GooseAttack::initialize_with_config(goose).map_err(|e| e.to_string())?;
    for plan in &plans {
        attack = attack.register_scenario(scenario(shared.clone(), plan.clone())?);
    }
    let attack = configure(attack, base_url, total, duration).map_err(|e| e.to_string())?;
    match attack.execute().await {
        Ok(_) => Ok(GooseOutcome::default()),
        Err(goose::GooseError::ThresholdsFailed { failed, .. }) => Ok(GooseOutcome {
            thresholds_failed: failed
                .iter()
                .filter(|r| !r.passed)
                .map(|r| format!("{} (observed {})", r.rule, r.observed))
                .collect(),
        }),
        Err(e) => Err(format!("goose: {e}")),
    }
}

/// The harness's defaults; goose options given on the command line win.
fn configure(
    attack: GooseAttack,
    host: &str,
    users: usize,
    duration: Duration,
) -> Result<GooseAttack, goose::GooseError> {
    let rate = (users * 10).to_string();
    Ok(*attack
        .set_default(GooseDefault::Host, host)?
        .set_default(GooseDefault::Users, users)?
        .set_default(GooseDefault::IncreaseRate, rate.as_str())?
        .set_default(GooseDefault::RunTime, duration.as_secs().max(1) as usize)?
        .set_default(GooseDefault::NoResetMetrics, true)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::Quiet, 1)?)
}

fn scenario(shared: Arc<Shared>, plan: Arc<TierPlan>) -> Result<Scenario, String> {
    let on_start = {
        let (shared, plan) = (shared.clone(), plan.clone());
        Transaction::new(Arc::new(move |user: &mut GooseUser| {
            let (shared, plan) = (shared.clone(), plan.clone());
            Box::pin(async move { start_user(user, &shared, &plan).await })
        }))
        .set_on_start()
        .set_name("connect")
    };
    let paced = Transaction::new(Arc::new(move |user: &mut GooseUser| {
        let shared = shared.clone();
        Box::pin(async move { paced_request(user, &shared).await })
    }))
    .set_name("paced");
    Scenario::new(plan.tier.as_str())
        .set_weight(plan.users)
        .map_err(|e| e.to_string())
        .map(|s| s.register_transaction(on_start).register_transaction(paced))
}

/// Deals the user a key and a slot in its schedule, and installs its client.
async fn start_user(user: &mut GooseUser, shared: &Shared, plan: &TierPlan) -> TransactionResult {
    let n = plan.assigned.fetch_add(1, Ordering::SeqCst);
    let nkeys = plan.keys.len();
    let key = plan.keys[n % nkeys];
    let on_key = pacer::users_on_key(plan.users, nkeys, n % nkeys);
    let schedule = pacer::schedule(plan.limit, shared.window, shared.load_factor, on_key, n / nkeys);
    let begin = shared
        .start_at
        .get(&key)
        .copied()
        .unwrap_or_default()
        .max(shared.clock.now());

    let custom = |m: &str| Box::new(TransactionError::Custom(m.to_owned()));
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", shared.keys.secret(key).expose()))
        .map_err(|_| custom("the API key is not a valid header value"))?;
    auth.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, auth);
    let builder = client_builder(&shared.trust, shared.timeout)
        .map_err(|e| custom(&e.to_string()))?
        .default_headers(headers);
    user.set_client_builder(builder).await?;
    user.set_session_data(UserState {
        key,
        user: user.weighted_users_index as u32,
        period: schedule.period,
        next: begin + schedule.offset,
        name: format!("{} GET {}", plan.tier.as_str(), shared.path),
    });
    Ok(())
}

/// Sleeps (in short slices) towards the user's next intended send, or, when
/// it is due, sends and records one request.
async fn paced_request(user: &mut GooseUser, shared: &Shared) -> TransactionResult {
    let Some(mut state) = user.get_session_data::<UserState>().cloned() else {
        return Ok(());
    };
    if shared.polite {
        let blocked = shared.blocked.lock().expect("blocked lock").get(&state.key).copied();
        state.next = pacer::next_slot(state.next, Duration::ZERO, blocked);
    }
    let now = shared.clock.now();
    if now < state.next {
        // Sleep, then let goose call again: the Retry-After check above
        // must run right before a send, since another user of the key may
        // have drawn a 429 meanwhile.
        shared.clock.sleep_until(state.next.min(now + MAX_SLEEP)).await;
        user.set_session_data(state);
        return Ok(());
    }
    let t_int = state.next;
    let builder = user.get_request_builder(&GooseMethod::Get, &shared.path)?;
    let request = GooseRequest::builder()
        .set_request_builder(builder)
        .name(state.name.as_str())
        .build();
    let t_snd = shared.clock.now();
    let mut goose = user.request(request).await?;
    let t_rcv = shared.clock.now();
    let resp = match &goose.response {
        Ok(r) => Captured::from_response(r.status().as_u16(), r.headers()),
        Err(_) => Captured::transport_error(),
    };
    if Outcome::of(resp.status) == Outcome::Limited {
        // An expected 429: goose's error rate then shows only surprises.
        user.set_success(&mut goose.request)?;
    }
    if let Ok(r) = goose.response {
        let _ = tokio::time::timeout(Duration::from_secs(5), r.bytes()).await;
    }
    let obs = Obs {
        tier: shared.keys.entries[state.key].0,
        key: state.key,
        user: state.user,
        phase: Phase::Load,
        deliberate: false,
        t_int,
        t_snd,
        t_rcv,
        resp,
    };
    let blocked = note_retry_after(shared, &obs);
    shared.recorder.push(obs);
    state.next = pacer::next_slot(t_int, state.period, blocked);
    user.set_session_data(state);
    Ok(())
}

/// In polite mode a 429 holds the key until its Retry-After expires, for
/// every user of the key. Returns the key's hold, if this response set one.
fn note_retry_after(shared: &Shared, obs: &Obs) -> Option<Duration> {
    let ra = obs
        .ra_secs()
        .filter(|_| shared.polite && obs.outcome() == Outcome::Limited)?;
    let until = obs.t_rcv + Duration::from_secs_f64(ra);
    let mut map = shared.blocked.lock().expect("blocked lock");
    let entry = map.entry(obs.key).or_default();
    *entry = (*entry).max(until);
    Some(*entry)
}
