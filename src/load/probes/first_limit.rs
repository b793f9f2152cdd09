//! n₁ (LOAD-METRICS.md §4.2): sequential requests from a fresh window to
//! the first 429, alone and while a neighbour key is saturated.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::load::observe::{Outcome, Phase};
use crate::load::probes::Prober;

/// Senders that saturate the neighbour key at once.
const FLOOD_WORKERS: usize = 8;

/// One sequential run to the first 429 in a fresh window.
pub async fn first_429(prober: &Prober, key: usize) {
    if prober.wait_fresh_window(key).await {
        prober.exhaust(key, Phase::FirstLimit, prober.limit).await;
    }
}

/// Saturates `neighbour` (limit `neighbour_limit`), then measures n₁ on
/// `key` in the same window.
pub async fn isolation(prober: &Prober, key: usize, neighbour: usize, neighbour_limit: u64) {
    if !prober.wait_fresh_window(key).await {
        return;
    }
    flood(prober, neighbour, neighbour_limit).await;
    prober.exhaust(key, Phase::Isolation, prober.limit).await;
}

/// Sends on `key` from several workers until one gets a 429, bounded by
/// 2L + 20 requests in all.
async fn flood(prober: &Prober, key: usize, limit: u64) {
    let budget = Arc::new(std::sync::atomic::AtomicU64::new(2 * limit + 20));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = JoinSet::new();
    for user in 0..FLOOD_WORKERS {
        let (prober, budget, done) = (prober.clone(), budget.clone(), done.clone());
        workers.spawn(async move {
            use std::sync::atomic::Ordering::SeqCst;
            while !done.load(SeqCst) && !prober.cancel.is_cancelled() {
                if budget.fetch_update(SeqCst, SeqCst, |b| b.checked_sub(1)).is_err() {
                    break;
                }
                let client = prober.client.clone();
                let o = prober
                    .send_with(&client, key, Phase::IsolationFlood, user as u32, false)
                    .await;
                if o.outcome() == Outcome::Limited {
                    done.store(true, SeqCst);
                }
            }
        });
    }
    while workers.join_next().await.is_some() {}
}
