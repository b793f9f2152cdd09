//! The conformance run: load and check every scenario file, make the target
//! concrete, check it answers, run the scenarios in order, and hand the
//! results to the report writers.

mod authorizer;
mod capture;
mod exec;
mod expect;
mod jwt;
mod reply;
mod request;
mod send;
mod target;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::pin::pin;
use std::time::Instant;

use futures::StreamExt;
use futures::future::Either;
use futures::stream::FuturesOrdered;
use tokio_util::sync::CancellationToken;

use super::ConformError;
use super::baseline::Baseline;
use super::config::ConformConfig;
use super::level::{Level, Policy};
use super::profile::{Capability, TargetProfile};
use super::report;
use super::result::{RunSummary, ScenarioResult, ScenarioStatus};
use super::scenario::{self, Scenario};
use super::template::{Binding, Vars};
use target::LiveTarget;

/// Runs the conformance scenarios; Ctrl-C stops the run early (the reports
/// are still written, with unfinished scenarios marked not run).
pub async fn run(config: ConformConfig, out: &mut (dyn Write + Send)) -> Result<RunSummary, ConformError> {
    run_until(config, out, ctrl_c()).await
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handling here: never interrupt.
        std::future::pending::<()>().await;
    }
}

/// [`run`], stopped early when `cancel` resolves instead of on Ctrl-C.
pub async fn run_until(
    config: ConformConfig,
    out: &mut (dyn Write + Send),
    cancel: impl Future<Output = ()>,
) -> Result<RunSummary, ConformError> {
    config.validate()?;
    let (checks, scenarios) = load_selected(&config)?;
    let baseline = config
        .baseline
        .as_ref()
        .map(|path| Baseline::load(path, &checks))
        .transpose()?;
    let live = LiveTarget::start(&config.target).await?;
    let result = run_scenarios(&config, &scenarios, &live, out, cancel).await;
    live.stop().await;
    let mut summary = result?;
    let baseline = match &config.write_baseline {
        Some(path) => {
            let written = Baseline::of_failures(path, &summary.scenarios);
            write_report(path, "baseline", |w| written.write(w))?;
            Some(written)
        }
        None => baseline,
    };
    summary.baseline = baseline.map(|b| b.judge(&summary.scenarios));
    report::human::write_summary(out, &summary).map_err(human_io)?;
    write_files(&config, &summary)?;
    Ok(summary)
}

/// Every scenario id with the ids of its checks (for the baseline to check
/// against) and the scenarios the filters select, in file order.
type CheckIds = BTreeMap<String, BTreeSet<String>>;

fn load_selected(config: &ConformConfig) -> Result<(CheckIds, Vec<Scenario>), ConformError> {
    let planned = target::planned_profile(&config.target);
    let mut scenarios = scenario::load_dirs(&config.scenario_dirs, &planned.known_var_names())?;
    if scenarios.is_empty() {
        let dirs: Vec<String> = config.scenario_dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(ConformError::Config(format!(
            "no scenario files (*.toml) under {}",
            dirs.join(", ")
        )));
    }
    let checks = scenarios.iter().map(|s| (s.id.clone(), check_ids(s))).collect();
    scenarios.retain(|s| config.selects(&s.id, &s.tags, &s.reference));
    if scenarios.is_empty() {
        return Err(ConformError::Config(format!(
            "no scenario matches --filter {} (conform --list shows ids, tags and references)",
            config.filters.join(", ")
        )));
    }
    Ok((checks, scenarios))
}

/// The ids a scenario's checks are reported under: its expectations' (macro
/// parts included), `capture.NAME`, and `no-http-response` (`exec.rs`).
fn check_ids(s: &Scenario) -> BTreeSet<String> {
    let mut ids: BTreeSet<String> = s
        .steps
        .iter()
        .flat_map(|step| {
            let expect = step.expect.iter().filter_map(|e| e.id.clone());
            let capture = step.capture.iter().map(|c| format!("capture.{}", c.name));
            expect.chain(capture)
        })
        .collect();
    ids.insert("no-http-response".into());
    ids
}

/// `conform --list`: the selected scenarios with level, reference, tags and
/// what they need of a target; nothing is started or sent.
pub fn list(config: &ConformConfig, out: &mut dyn Write) -> Result<(), ConformError> {
    config.validate()?;
    let (_, scenarios) = load_selected(config)?;
    report::list::write(out, &scenarios).map_err(human_io)
}

fn human_io(source: std::io::Error) -> ConformError {
    ConformError::Report {
        what: "human".into(),
        source,
    }
}

async fn run_scenarios(
    config: &ConformConfig,
    scenarios: &[Scenario],
    live: &LiveTarget,
    out: &mut (dyn Write + Send),
    cancel: impl Future<Output = ()>,
) -> Result<RunSummary, ConformError> {
    let started_at = time::OffsetDateTime::now_utc();
    let clock = Instant::now();
    let client = crate::http::client(&live.trust, config.timeout)?;
    target::check_reachable(&client, &live.profile).await?;
    let policy = config.policy();
    let vars = live.profile.vars();
    let ctx = exec::Ctx {
        client: &client,
        authorizer: &live.profile.authorizer,
        vars: &vars,
        policy,
        verbose: config.verbose,
    };
    report::human::write_header(out, &live.info(), scenarios.len()).map_err(human_io)?;
    let stop = CancellationToken::new();
    let work = pin!(run_batches(config.jobs, scenarios, &ctx, &live.profile, &stop, out));
    let watcher = pin!(async {
        cancel.await;
        stop.cancel();
    });
    let results = match futures::future::select(work, watcher).await {
        Either::Left((results, _)) => results,
        Either::Right(((), work)) => work.await,
    }?;
    Ok(RunSummary {
        target: live.info(),
        started_at,
        duration: clock.elapsed(),
        policy,
        scenarios: results,
        interrupted: stop.is_cancelled(),
        baseline: None,
    })
}

/// Runs up to `jobs` scenarios at a time, printing each result in file
/// order as soon as it and those before it are done. A scenario that moves
/// state every other one depends on (the server's clock, its signing key,
/// its API keys) runs alone, between batches.
async fn run_batches(
    jobs: usize,
    scenarios: &[Scenario],
    ctx: &exec::Ctx<'_>,
    profile: &TargetProfile,
    stop: &CancellationToken,
    out: &mut (dyn Write + Send),
) -> Result<Vec<ScenarioResult>, ConformError> {
    let mut results = Vec::with_capacity(scenarios.len());
    for batch in scenarios.chunk_by(|a, b| !exclusive(a) && !exclusive(b)) {
        let mut waiting = batch.iter();
        let mut running = FuturesOrdered::new();
        for s in waiting.by_ref().take(jobs) {
            running.push_back(run_one(s, ctx, profile, stop));
        }
        while let Some(result) = running.next().await {
            if let Some(s) = waiting.next() {
                running.push_back(run_one(s, ctx, profile, stop));
            }
            report::human::write_scenario(out, &result, ctx.verbose).map_err(human_io)?;
            results.push(result);
        }
    }
    Ok(results)
}

fn exclusive(s: &Scenario) -> bool {
    s.requires.iter().any(|c| {
        matches!(
            c,
            Capability::AdminClock | Capability::AdminSigningKeys | Capability::AdminApiKeys
        )
    })
}

async fn run_one(
    s: &Scenario,
    ctx: &exec::Ctx<'_>,
    profile: &TargetProfile,
    stop: &CancellationToken,
) -> ScenarioResult {
    if stop.is_cancelled() {
        return exec::unrun(s, ScenarioStatus::NotRun);
    }
    if let Some(reason) = skip_reason(s, profile, ctx.vars, &ctx.policy) {
        return exec::unrun(s, ScenarioStatus::Skip { reason });
    }
    tokio::select! {
        biased;
        () = stop.cancelled() => exec::unrun(s, ScenarioStatus::NotRun),
        r = exec::run_scenario(s, ctx) => r,
    }
}

/// Why a scenario cannot run against this target, if it cannot.
fn skip_reason(s: &Scenario, profile: &TargetProfile, vars: &Vars, policy: &Policy) -> Option<String> {
    let missing: Vec<String> = s
        .requires
        .iter()
        .filter(|c| !profile.capabilities.contains(c))
        .map(|c| format!("{} ({})", c.as_str(), c.description()))
        .collect();
    if !missing.is_empty() {
        return Some(format!("the target lacks {}", missing.join("; ")));
    }
    if s.level == Level::Profile && !policy.point11 {
        return Some("a PROFILE scenario; it runs only under the Point11 profile".into());
    }
    s.profile_vars().into_iter().find_map(|name| match vars.get(&name) {
        Some(Binding::Value { .. }) => None,
        Some(Binding::Unset { reason }) => Some(format!("`{name}` has no value: {reason}")),
        None => Some(format!("the target profile does not configure `{name}`")),
    })
}

fn write_files(config: &ConformConfig, summary: &RunSummary) -> Result<(), ConformError> {
    if let Some(path) = &config.junit {
        write_report(path, "JUnit", |w| report::junit::write(w, summary))?;
    }
    if let Some(path) = &config.json {
        write_report(path, "JSON", |w| report::json::write(w, summary))?;
    }
    Ok(())
}

/// Creates `path` and writes one report into it through a buffer.
fn write_report(
    path: &std::path::Path,
    what: &str,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), ConformError> {
    let failed = |source| ConformError::Report {
        what: format!("{what} ({})", path.display()),
        source,
    };
    let mut file = std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(failed)?;
    write(&mut file).and_then(|()| file.flush()).map_err(failed)
}
