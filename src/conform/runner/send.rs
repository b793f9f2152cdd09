//! Sending a step's request as its `SendMode` asks (once, `copies`
//! concurrently, or `repeat` until a status) and judging an expectation
//! over the replies: with copies every reply must satisfy it; otherwise the
//! last reply is judged. Each reply carries the statuses of all of them for
//! the `statuses` subject.

use super::exec::receive;
use super::expect::{Judged, evaluate};
use super::reply::Reply;
use crate::conform::scenario::{Expectation, SendMode};
use crate::conform::template::Vars;

pub(crate) async fn send(
    client: &reqwest::Client,
    mode: &SendMode,
    request: reqwest::Request,
    url: &url::Url,
) -> Result<Vec<Reply>, String> {
    let copy = |r: &reqwest::Request| r.try_clone().ok_or("the request body cannot be sent twice".to_owned());
    let mut replies = match mode {
        SendMode::Once => vec![receive(client, request, url).await?],
        SendMode::Copies(n) => {
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..*n {
                let (client, request, url) = (client.clone(), copy(&request)?, url.clone());
                set.spawn(async move { receive(&client, request, &url).await });
            }
            let mut replies = Vec::new();
            while let Some(joined) = set.join_next().await {
                replies.push(joined.map_err(|e| e.to_string())??);
            }
            replies
        }
        SendMode::Repeat { until, max } => {
            let mut replies = Vec::new();
            for _ in 0..*max {
                let reply = receive(client, copy(&request)?, url).await?;
                let done = until.contains(&reply.status);
                replies.push(reply);
                if done {
                    break;
                }
            }
            replies
        }
    };
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    for r in &mut replies {
        r.all_statuses = statuses.clone();
    }
    Ok(replies)
}

/// The reply that captures read and the transcript shows: the last one.
pub(crate) fn primary(replies: &[Reply]) -> &Reply {
    replies.last().expect("at least one reply")
}

pub(crate) fn judge(e: &Expectation, mode: &SendMode, replies: &[Reply], vars: &Vars) -> Judged {
    if !matches!(mode, SendMode::Copies(_)) {
        return evaluate(e, primary(replies), vars);
    }
    let n = replies.len();
    let judged: Vec<Judged> = replies.iter().map(|r| evaluate(e, r, vars)).collect();
    let failing = judged.iter().position(|j| j.applicable && !j.holds);
    let pick = failing
        .or_else(|| judged.iter().position(|j| j.applicable))
        .unwrap_or(0);
    let mut j = judged.into_iter().nth(pick).expect("at least one reply");
    if failing.is_some() {
        j.actual = format!("reply {} of {n}: {}", pick + 1, j.actual);
    }
    j
}
