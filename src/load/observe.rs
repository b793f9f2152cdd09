//! The observation record (LOAD-METRICS.md §4.1): one per request, captured
//! where the request is sent (a goose transaction or a probe), and the
//! shared recorder they are pushed into. Everything the metrics judge is
//! computed afterwards from these records alone.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::Serialize;

use crate::fixtures::Tier;

/// Which part of a run sent a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case", tag = "phase", content = "n")]
pub enum Phase {
    /// The goose open-loop load.
    Load,
    /// One request to learn where a key's window ends.
    Scout,
    /// Sequential requests from a fresh window to the first 429 (n₁).
    FirstLimit,
    /// n₁ on one key while a neighbour key is saturated.
    Isolation,
    /// Saturating the neighbour key during [`Phase::Isolation`].
    IsolationFlood,
    /// Exhaustion and probing for Retry-After honesty and slack.
    RetryAfter,
    /// Exhaustion and dense/sparse probing for the penalty extension.
    Penalty,
    /// A synchronized burst of N users on one key.
    Concurrency(u32),
}

/// What a response means for the limiter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Outcome {
    /// 2xx.
    #[serde(rename = "2xx")]
    Admitted,
    /// 429.
    #[serde(rename = "429")]
    Limited,
    /// Any other status, or a transport error.
    #[serde(rename = "other")]
    Other,
}

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Admitted, Outcome::Limited, Outcome::Other];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Admitted => "2xx",
            Outcome::Limited => "429",
            Outcome::Other => "other",
        }
    }

    pub fn of(status: Option<u16>) -> Self {
        match status {
            Some(s) if (200..300).contains(&s) => Outcome::Admitted,
            Some(429) => Outcome::Limited,
            _ => Outcome::Other,
        }
    }
}

/// `Retry-After` as received (RFC 9110 §10.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfter {
    /// delay-seconds.
    Seconds(u64),
    /// An HTTP-date, as Unix seconds.
    Date(i64),
    /// Present but neither form.
    Invalid,
}

impl RetryAfter {
    pub fn parse(value: &str) -> Self {
        let value = value.trim();
        if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            return value.parse().map_or(RetryAfter::Invalid, RetryAfter::Seconds);
        }
        match httpdate::parse_http_date(value) {
            Ok(t) => RetryAfter::Date(unix_secs(t)),
            Err(_) => RetryAfter::Invalid,
        }
    }

    /// The delay in seconds, measured from `date_unix` (the response's
    /// `Date`) for the HTTP-date form.
    pub fn delay_secs(self, date_unix: Option<i64>) -> Option<f64> {
        match self {
            RetryAfter::Seconds(s) => Some(s as f64),
            RetryAfter::Date(t) => date_unix.map(|d| (t - d).max(0) as f64),
            RetryAfter::Invalid => None,
        }
    }
}

/// The IETF draft's `RateLimit` / `RateLimit-Policy` parameters, if sent
/// (draft-ietf-httpapi-ratelimit-headers: `r` remaining, `t` reset,
/// `q` quota, `w` window).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DraftRateLimit {
    pub r: Option<i64>,
    pub t: Option<i64>,
    pub q: Option<i64>,
    pub w: Option<i64>,
}

/// The response fields a request's observation keeps.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Captured {
    pub status: Option<u16>,
    pub lim: Option<i64>,
    pub rem: Option<i64>,
    pub rst: Option<i64>,
    pub ra: Option<RetryAfter>,
    /// `Date`, Unix seconds.
    pub date: Option<i64>,
    pub draft: Option<DraftRateLimit>,
}

impl Captured {
    /// Reads the rate-limit headers of a response; a header that does not
    /// parse as an integer counts as absent (and so fails H2).
    pub fn from_response(status: u16, headers: &HeaderMap) -> Self {
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let int = |name: &str| text(name).and_then(|v| v.parse::<i64>().ok());
        let draft = parse_draft(text("ratelimit"), text("ratelimit-policy"));
        Self {
            status: Some(status),
            lim: int("x-ratelimit-limit"),
            rem: int("x-ratelimit-remaining"),
            rst: int("x-ratelimit-reset"),
            ra: text("retry-after").map(RetryAfter::parse),
            date: text("date")
                .and_then(|d| httpdate::parse_http_date(d).ok())
                .map(unix_secs),
            draft,
        }
    }

    /// A request that got no response.
    pub fn transport_error() -> Self {
        Self::default()
    }
}

fn parse_draft(ratelimit: Option<&str>, policy: Option<&str>) -> Option<DraftRateLimit> {
    if ratelimit.is_none() && policy.is_none() {
        return None;
    }
    let param = |field: Option<&str>, key: &str| {
        field?.split(';').find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            (k.trim() == key).then(|| v.trim().parse::<i64>().ok()).flatten()
        })
    };
    Some(DraftRateLimit {
        r: param(ratelimit, "r"),
        t: param(ratelimit, "t"),
        q: param(policy, "q"),
        w: param(policy, "w"),
    })
}

fn unix_secs(t: std::time::SystemTime) -> i64 {
    match t.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => -(e.duration().as_secs() as i64),
    }
}

/// One request, as LOAD-METRICS.md §4.1 defines it. Times are offsets from
/// the run clock's epoch; [`crate::load::clock::Clock::unix`] turns them
/// into wall-clock seconds. The key is an index into the run's key table,
/// never the key itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Obs {
    #[serde(serialize_with = "ser_tier")]
    pub tier: Tier,
    pub key: usize,
    pub user: u32,
    pub phase: Phase,
    /// Sent on purpose before a Retry-After expired (early or dense probes):
    /// left out of the harness's own compliance count.
    pub deliberate: bool,
    /// Intended send time (the open-loop schedule).
    pub t_int: Duration,
    /// Actual send time.
    pub t_snd: Duration,
    /// Time the response headers arrived.
    pub t_rcv: Duration,
    #[serde(flatten)]
    pub resp: Captured,
}

impl Obs {
    pub fn outcome(&self) -> Outcome {
        Outcome::of(self.resp.status)
    }

    /// ŝ: the server-time estimate, t_snd + (t_rcv − t_snd)/2 (+θ = 0 on one
    /// host), in Unix seconds.
    pub fn s_hat(&self, epoch_unix: f64) -> f64 {
        epoch_unix + (self.t_snd.as_secs_f64() + self.t_rcv.as_secs_f64()) / 2.0
    }

    pub fn rtt(&self) -> Duration {
        self.t_rcv.saturating_sub(self.t_snd)
    }

    /// The Retry-After delay in seconds, if it has one.
    pub fn ra_secs(&self) -> Option<f64> {
        self.resp.ra.and_then(|ra| ra.delay_secs(self.resp.date))
    }
}

/// Where senders push observations, and the live counts the progress
/// display reads.
#[derive(Debug, Default)]
pub struct Recorder {
    obs: Mutex<Vec<Obs>>,
    counts: [[AtomicU64; 3]; 3],
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&self, obs: Obs) {
        let tier = tier_index(obs.tier);
        let outcome = Outcome::ALL.iter().position(|o| *o == obs.outcome()).unwrap_or(2);
        self.counts[tier][outcome].fetch_add(1, Ordering::Relaxed);
        self.obs.lock().expect("recorder lock").push(obs);
    }

    /// Requests so far per outcome (2xx, 429, other) for a tier.
    pub fn counts(&self, tier: Tier) -> [u64; 3] {
        let c = &self.counts[tier_index(tier)];
        [0, 1, 2].map(|i| c[i].load(Ordering::Relaxed))
    }

    /// Every observation so far, in send order.
    pub fn snapshot(&self) -> Vec<Obs> {
        let mut all = self.obs.lock().expect("recorder lock").clone();
        all.sort_by_key(|o| o.t_snd);
        all
    }
}

/// Serialises a tier by its name (`standard`, …); `Tier` itself only
/// deserialises.
pub fn ser_tier<S: serde::Serializer>(tier: &Tier, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tier.as_str())
}

fn tier_index(tier: Tier) -> usize {
    Tier::ALL.iter().position(|t| *t == tier).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_forms() {
        assert_eq!(RetryAfter::parse("17"), RetryAfter::Seconds(17));
        assert_eq!(RetryAfter::parse("Thu, 01 Jan 1970 00:01:00 GMT"), RetryAfter::Date(60));
        assert_eq!(RetryAfter::parse("-1"), RetryAfter::Invalid);
        assert_eq!(RetryAfter::parse("1.5"), RetryAfter::Invalid);
        assert_eq!(RetryAfter::Date(70).delay_secs(Some(60)), Some(10.0));
    }

    #[test]
    fn captures_rate_limit_headers() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-limit", HeaderValue::from_static("100"));
        h.insert("x-ratelimit-remaining", HeaderValue::from_static(" 7 "));
        h.insert("x-ratelimit-reset", HeaderValue::from_static("1706140800"));
        h.insert("retry-after", HeaderValue::from_static("3"));
        h.insert("date", HeaderValue::from_static("Wed, 24 Jan 2024 23:59:57 GMT"));
        h.insert("ratelimit", HeaderValue::from_static("\"default\";r=0;t=3"));
        let c = Captured::from_response(429, &h);
        assert_eq!((c.lim, c.rem, c.rst), (Some(100), Some(7), Some(1_706_140_800)));
        assert_eq!(c.ra, Some(RetryAfter::Seconds(3)));
        assert_eq!(c.date, Some(1_706_140_797));
        assert_eq!(c.draft.unwrap().t, Some(3));
        assert_eq!(Outcome::of(c.status), Outcome::Limited);
    }
}
