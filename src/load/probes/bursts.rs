//! Concurrency bursts (LOAD-METRICS.md §4.5): N users on one key, each with
//! its own connection, held at a tokio `Barrier` until a fresh window
//! starts, then firing L + N requests in all as fast as they can.

use std::sync::Arc;

use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::load::observe::Phase;
use crate::load::probes::Prober;

pub async fn burst(prober: &Prober, key: usize, n: usize) {
    let clients: Vec<reqwest::Client> = (0..n).filter_map(|_| (prober.new_client)()).collect();
    if clients.len() != n {
        return;
    }
    // Open every connection before the window starts; an unauthenticated
    // request costs no key any quota.
    let mut warm = JoinSet::new();
    for client in &clients {
        let (client, url) = (client.clone(), prober.url.clone());
        warm.spawn(async move {
            if let Ok(r) = client.get(url).send().await {
                let _ = r.bytes().await;
            }
        });
    }
    while warm.join_next().await.is_some() {}
    if !prober.wait_fresh_window(key).await {
        return;
    }
    let per_user = (prober.limit as usize + n).div_ceil(n);
    let barrier = Arc::new(Barrier::new(n));
    let mut users = JoinSet::new();
    for (user, client) in clients.into_iter().enumerate() {
        let (prober, barrier) = (prober.clone(), barrier.clone());
        users.spawn(async move {
            barrier.wait().await;
            // A burst overloads the key on purpose, 429s or not: its
            // requests are deliberate and not judged for compliance.
            for _ in 0..per_user {
                if prober.cancel.is_cancelled() {
                    break;
                }
                prober
                    .send_with(&client, key, Phase::Concurrency(n as u32), user as u32, true)
                    .await;
            }
        });
    }
    while users.join_next().await.is_some() {}
}
