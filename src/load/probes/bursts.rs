//! Concurrency bursts (LOAD-METRICS.md §4.5): N users on one key, each with
//! its own connection, held at a tokio `Barrier` until a fresh window
//! starts, then firing L + N requests in all as fast as they can.
//!
//! The users share one HTTP/1.1-only client whose pool holds N connections,
//! opened by N concurrent requests before the window starts: HTTP/1.1
//! cannot multiplex, so N requests in flight are on N connections, as with
//! N clients, without building N TLS configurations.

use std::sync::Arc;

use tokio::sync::Barrier;
use tokio::task::JoinSet;

use crate::load::observe::Phase;
use crate::load::probes::Prober;

pub async fn burst(prober: &Prober, key: usize, n: usize) {
    let Some(client) = (prober.new_client)(n) else { return };
    // Open every connection before the window starts; an unauthenticated
    // request costs no key any quota.
    let mut warm = JoinSet::new();
    for _ in 0..n {
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
    for user in 0..n {
        let (prober, barrier, client) = (prober.clone(), barrier.clone(), client.clone());
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
