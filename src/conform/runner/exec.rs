//! Runs one scenario: generate values, send each step, judge every
//! expectation, bind captures, and stop at the first failing step. The
//! result is redacted before it is returned.

use std::time::{Duration, Instant};

use super::authorizer;
use super::capture;
use super::reply::Reply;
use super::request;
use crate::conform::level::{Outcome, Policy};
use crate::conform::profile::Authorizer;
use crate::conform::redact::Redactor;
use crate::conform::report::clip;
use crate::conform::result::{
    CheckKind, CheckResult, Exchange, ResponseRecord, ScenarioResult, ScenarioStatus, StepResult, StepStatus,
};
use crate::conform::scenario::{Body, Expectation, Request, Scenario, Step};
use crate::conform::template::{Template, Vars};

/// Bytes of a response body kept in a transcript.
const BODY_KEEP: usize = 16 * 1024;

/// What every scenario of a run shares. Read-only, so scenarios could run
/// concurrently (those that move the target's clock would need to run alone).
pub(crate) struct Ctx<'a> {
    pub client: &'a reqwest::Client,
    pub authorizer: &'a Authorizer,
    pub vars: &'a Vars,
    pub policy: Policy,
    pub verbose: bool,
}

pub(crate) async fn run_scenario(s: &Scenario, ctx: &Ctx<'_>) -> ScenarioResult {
    let started = Instant::now();
    let mut vars = ctx.vars.clone();
    let mut redactor = Redactor::from_vars(&vars);
    for g in &s.generators {
        for (name, value, secret) in g.generate(&mut rand::rng()) {
            if secret {
                redactor.add(&name, &value);
            }
            vars.set(name, value, secret);
        }
    }
    let mut steps: Vec<StepResult> = Vec::new();
    for step in &s.steps {
        if steps
            .iter()
            .any(|r| matches!(r.status, StepStatus::Fail | StepStatus::Error))
        {
            steps.push(not_run(step));
            continue;
        }
        let mut run = StepRun {
            scenario: s,
            step,
            ctx,
            vars: &mut vars,
            redactor: &mut redactor,
        };
        steps.push(run.go().await);
    }
    let status = if let Some(e) = steps.iter().find_map(|r| r.error.clone()) {
        ScenarioStatus::Error { message: e }
    } else if steps.iter().any(|r| r.status == StepStatus::Fail) {
        ScenarioStatus::Fail
    } else if steps.iter().any(|r| r.status == StepStatus::Warn) {
        ScenarioStatus::Warn
    } else {
        ScenarioStatus::Pass
    };
    let mut result = ScenarioResult {
        id: s.id.clone(),
        title: s.title.clone(),
        reference: s.reference.clone(),
        level: s.level,
        tags: s.tags.clone(),
        file: s.source.path.clone(),
        status,
        duration: started.elapsed(),
        steps,
    };
    redactor.scenario(&mut result);
    result
}

/// A result for a scenario that did not run at all (skipped, interrupted).
pub(crate) fn unrun(s: &Scenario, status: ScenarioStatus) -> ScenarioResult {
    ScenarioResult {
        id: s.id.clone(),
        title: s.title.clone(),
        reference: s.reference.clone(),
        level: s.level,
        tags: s.tags.clone(),
        file: s.source.path.clone(),
        status,
        duration: Duration::ZERO,
        steps: s.steps.iter().map(not_run).collect(),
    }
}

fn not_run(step: &Step) -> StepResult {
    StepResult {
        index: step.index,
        name: step.name.clone(),
        status: StepStatus::NotRun,
        duration: Duration::ZERO,
        checks: Vec::new(),
        exchange: None,
        error: None,
    }
}

/// How much of an expected or actual value a check records.
const SHOW_MAX: usize = 300;

struct StepRun<'a, 'c> {
    scenario: &'a Scenario,
    step: &'a Step,
    ctx: &'a Ctx<'c>,
    vars: &'a mut Vars,
    redactor: &'a mut Redactor,
}

impl StepRun<'_, '_> {
    async fn go(&mut self) -> StepResult {
        if let Some(pause) = self.step.sleep {
            tokio::time::sleep(pause).await;
        }
        let started = Instant::now();
        let request = self.request();
        let built = match request::build(self.ctx.client, &request, self.vars) {
            Ok(b) => b,
            Err(message) => return self.errored(started, None, format!("cannot build the request: {message}")),
        };
        self.redactor.learn_request_headers(&built.record.headers);
        self.redactor
            .learn_request_fields(&built.url, built.record.body.as_deref());
        let mut exchange = Exchange {
            request: built.record,
            response: None,
        };
        let sent = match (self.step.consent, self.ctx.authorizer) {
            (Some(decision), Authorizer::Command { argv, timeout }) => {
                let url = authorizer::request_url(&built.url, exchange.request.body.as_deref());
                exchange.request.method = "GET".into();
                exchange.request.url = url.to_string();
                exchange.request.body = None;
                authorizer::run_command(argv, *timeout, &url, decision)
                    .await
                    .map(|r| vec![r])
            }
            _ => super::send::send(self.ctx.client, &self.step.send, built.request, &built.url).await,
        };
        let replies = match sent {
            Ok(replies) => replies,
            Err(message) if self.step.refused_ok => return self.refused(started, exchange, message),
            Err(message) => return self.errored(started, Some(exchange), message),
        };
        for r in &replies {
            self.redactor.learn_response(&r.body, r.location.as_ref());
        }
        let reply = super::send::primary(&replies);
        let mut checks: Vec<CheckResult> = self.step.expect.iter().map(|e| self.judge(e, &replies)).collect();
        checks.extend(self.capture(reply));
        let status = if checks.iter().any(|c| c.outcome == Outcome::Fail) {
            StepStatus::Fail
        } else if checks.iter().any(|c| c.outcome == Outcome::Warn) {
            StepStatus::Warn
        } else {
            StepStatus::Pass
        };
        exchange.response = Some(record(reply));
        StepResult {
            index: self.step.index,
            name: self.step.name.clone(),
            status,
            duration: started.elapsed(),
            checks,
            exchange: (status != StepStatus::Pass || self.ctx.verbose).then_some(exchange),
            error: None,
        }
    }

    /// The step's request; a `consent` step answered by form post carries
    /// the decision as the consent form would.
    fn request(&self) -> std::borrow::Cow<'_, Request> {
        let mut request = std::borrow::Cow::Borrowed(&self.step.request);
        if let (Some(decision), Authorizer::FormPost) = (self.step.consent, self.ctx.authorizer)
            && let Body::Form(pairs) = &mut request.to_mut().body
        {
            pairs.push((Template::literal("decision"), Template::literal(decision.as_str())));
        }
        request
    }

    fn errored(&self, started: Instant, exchange: Option<Exchange>, message: String) -> StepResult {
        StepResult {
            index: self.step.index,
            name: self.step.name.clone(),
            status: StepStatus::Error,
            duration: started.elapsed(),
            checks: Vec::new(),
            exchange,
            error: Some(format!("step {} ({}): {message}", self.step.index, self.step.name)),
        }
    }

    /// A `refused_ok` step that got no HTTP response: the expected outcome,
    /// recorded as one passing check (its expectations judge a response, and
    /// there is none to judge).
    fn refused(&self, started: Instant, exchange: Exchange, message: String) -> StepResult {
        let check = CheckResult {
            id: Some("no-http-response".into()),
            kind: CheckKind::Expect,
            subject: "connection".into(),
            expected: "no HTTP response, or one that meets the step's expectations".into(),
            actual: format!("no HTTP response ({message})"),
            outcome: Outcome::Pass,
            level: self.step.level.unwrap_or(self.scenario.level),
            setup: self.step.setup,
            reference: self.scenario.reference.clone(),
            location: self.scenario.source.location(&self.step.span),
            from_macro: None,
            note: None,
        };
        StepResult {
            index: self.step.index,
            name: self.step.name.clone(),
            status: StepStatus::Pass,
            duration: started.elapsed(),
            checks: vec![check],
            exchange: self.ctx.verbose.then_some(exchange),
            error: None,
        }
    }

    fn judge(&self, e: &Expectation, replies: &[Reply]) -> CheckResult {
        let j = super::send::judge(e, &self.step.send, replies, self.vars);
        let level = e.level.or(self.step.level).unwrap_or(self.scenario.level);
        let outcome = match (j.applicable, j.holds) {
            (false, _) => Outcome::NotApplicable,
            (true, true) => Outcome::Pass,
            (true, false) if self.step.setup => Outcome::Fail,
            (true, false) => level.when_violated(&self.ctx.policy),
        };
        CheckResult {
            id: e.id.clone(),
            kind: CheckKind::Expect,
            subject: j.subject,
            // Mask, then clip: a clipped secret would no longer match its mask.
            expected: clip(&self.redactor.text(&j.expected), SHOW_MAX),
            actual: clip(&self.redactor.text(&j.actual), SHOW_MAX),
            outcome,
            level,
            setup: self.step.setup,
            reference: self.scenario.reference.clone(),
            location: self.scenario.source.location(&e.span),
            from_macro: e.from_macro,
            note: e.note.clone(),
        }
    }

    /// Binds the step's captures; a capture with nothing to take is a
    /// failed check (the later steps cannot run without it).
    fn capture(&mut self, reply: &Reply) -> Vec<CheckResult> {
        let mut failed = Vec::new();
        for c in &self.step.capture {
            match capture::extract(c, reply).or_else(|why| c.default.clone().ok_or(why)) {
                Ok(value) => {
                    if c.redact {
                        self.redactor.add(&c.name, &value);
                    }
                    self.vars.set(c.name.clone(), value, c.redact);
                }
                Err(why) => failed.push(CheckResult {
                    id: Some(format!("capture.{}", c.name)),
                    kind: CheckKind::Capture,
                    subject: capture::describe(c),
                    expected: "a value".into(),
                    actual: format!("nothing ({why})"),
                    outcome: Outcome::Fail,
                    level: self.step.level.unwrap_or(self.scenario.level),
                    setup: self.step.setup,
                    reference: self.scenario.reference.clone(),
                    location: self.scenario.source.location(&c.span),
                    from_macro: None,
                    note: None,
                }),
            }
        }
        failed
    }
}

/// Sends a request and reads the whole reply. A transport failure (connect,
/// TLS, timeout, broken body) is returned as text for an ERROR.
pub(crate) async fn receive(client: &reqwest::Client, req: reqwest::Request, url: &url::Url) -> Result<Reply, String> {
    let resp = client.execute(req).await.map_err(|e| error_chain(&e))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = resp.bytes().await.map_err(|e| error_chain(&e))?;
    Ok(Reply::new(
        status,
        headers,
        String::from_utf8_lossy(&body).into_owned(),
        url,
    ))
}

fn record(reply: &Reply) -> ResponseRecord {
    let truncated = reply.body.len() > BODY_KEEP;
    let mut end = BODY_KEEP.min(reply.body.len());
    while !reply.body.is_char_boundary(end) {
        end -= 1;
    }
    ResponseRecord {
        status: reply.status,
        headers: reply.headers.clone(),
        body: reply.body[..end].to_owned(),
        body_truncated: truncated,
    }
}

/// An error and its causes on one line: reqwest's own message rarely names
/// the TLS or connect reason, its sources do.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
