//! Consent without a browser. A `consent` step is the user's answer to an
//! authorization request (RFC 6749 §4.1.1-§4.1.2): the target profile's
//! authorizer says how to give it. The default posts the request's
//! parameters plus `decision` to the authorization endpoint, as the
//! reference server's consent form does; a `command` authorizer hands the
//! request URL to a program that drives the target's own login and consent
//! and prints where the target redirected the browser.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::reply::Reply;
use crate::conform::scenario::Decision;

/// Standard output beyond this is not read (a redirect URL is short).
const STDOUT_MAX: u64 = 64 * 1024;

/// Runs `argv` for the authorization request `authorize_url` (the endpoint
/// with the request's parameters as its query) and turns the URL it prints
/// into the redirect the browser would have followed: a 303 with that
/// `Location`, judged like any other reply.
pub(crate) async fn run_command(
    argv: &[String],
    timeout: Duration,
    authorize_url: &url::Url,
    decision: Decision,
) -> Result<Reply, String> {
    let mut child = tokio::process::Command::new(&argv[0])
        .args(&argv[1..])
        .env("P11_AUTHORIZE_URL", authorize_url.as_str())
        .env("P11_DECISION", decision.as_str())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("cannot start the authorizer `{}`: {e}", argv[0]))?;
    let mut stdout = child.stdout.take().expect("stdout is piped").take(STDOUT_MAX);
    let mut stderr = child.stderr.take().expect("stderr is piped").take(STDOUT_MAX);
    let run = async {
        let (mut out, mut err) = (String::new(), String::new());
        let (o, e, status) = tokio::join!(
            stdout.read_to_string(&mut out),
            stderr.read_to_string(&mut err),
            child.wait()
        );
        o.and(e).map_err(|e| e.to_string())?;
        Ok::<_, String>((status.map_err(|e| e.to_string())?, out, err))
    };
    let (status, out, err) = tokio::time::timeout(timeout, run)
        .await
        .map_err(|_| format!("the authorizer `{}` took longer than {timeout:?}", argv[0]))??;
    if !status.success() {
        let tail: String = err.lines().rev().take(3).collect::<Vec<_>>().join(" / ");
        return Err(format!("the authorizer `{}` failed ({status}): {tail}", argv[0]));
    }
    let line = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim();
    let redirect = url::Url::parse(line).map_err(|e| {
        format!(
            "the authorizer `{}` printed no redirect URL on its last line ({e})",
            argv[0]
        )
    })?;
    Ok(Reply::new(
        303,
        vec![("location".into(), redirect.to_string())],
        String::new(),
        authorize_url,
    ))
}

/// The authorization request as a browser would arrive with it: the
/// endpoint with the step's form pairs as its query.
pub(crate) fn request_url(endpoint: &url::Url, form_body: Option<&str>) -> url::Url {
    let mut url = endpoint.clone();
    let pairs: Vec<(String, String)> = form_body
        .map(|b| url::form_urlencoded::parse(b.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    url
}
