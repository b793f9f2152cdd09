//! The conformance run: load and check every scenario file, make the target
//! concrete, check it answers, run the scenarios in order, and hand the
//! results to the report writers.

mod capture;
mod exec;
mod expect;
mod jwt;
mod reply;
mod request;
mod send;
mod target;

use std::io::Write;
use std::pin::pin;
use std::time::Instant;

use super::ConformError;
use super::config::ConformConfig;
use super::level::{Level, Policy};
use super::profile::TargetProfile;
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
    let planned = target::planned_profile(&config.target);
    let mut scenarios = scenario::load_dirs(&config.scenario_dirs, &planned.known_var_names())?;
    if let Some(filter) = &config.filter {
        scenarios.retain(|s| s.id.contains(filter.as_str()));
        if scenarios.is_empty() {
            return Err(ConformError::Config(format!("no scenario id contains `{filter}`")));
        }
    }
    let live = LiveTarget::start(&config.target).await?;
    let result = run_scenarios(&config, &scenarios, &live, out, cancel).await;
    live.stop().await;
    let summary = result?;
    write_files(&config, &summary)?;
    Ok(summary)
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
    let policy = Policy::default();
    let vars = live.profile.vars();
    let ctx = exec::Ctx {
        client: &client,
        vars: &vars,
        policy,
        verbose: config.verbose,
    };
    let io = |source| ConformError::Report {
        what: "human".into(),
        source,
    };
    report::human::write_header(out, &live.info(), scenarios.len()).map_err(io)?;
    let mut cancel = pin!(cancel);
    let mut results: Vec<ScenarioResult> = Vec::new();
    let mut interrupted = false;
    for s in scenarios {
        let result = if interrupted {
            exec::unrun(s, ScenarioStatus::NotRun)
        } else if let Some(reason) = skip_reason(s, &live.profile, &vars, &policy) {
            exec::unrun(s, ScenarioStatus::Skip { reason })
        } else {
            tokio::select! {
                biased;
                () = &mut cancel => {
                    interrupted = true;
                    exec::unrun(s, ScenarioStatus::NotRun)
                }
                r = exec::run_scenario(s, &ctx) => r,
            }
        };
        report::human::write_scenario(out, &result, config.verbose).map_err(io)?;
        results.push(result);
    }
    let summary = RunSummary {
        target: live.info(),
        started_at,
        duration: clock.elapsed(),
        policy,
        scenarios: results,
        interrupted,
    };
    report::human::write_summary(out, &summary).map_err(io)?;
    Ok(summary)
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
    let create = |path: &std::path::Path, what: &str| {
        std::fs::File::create(path)
            .map(std::io::BufWriter::new)
            .map_err(|source| ConformError::Report {
                what: format!("{what} ({})", path.display()),
                source,
            })
    };
    if let Some(path) = &config.junit {
        let mut file = create(path, "JUnit")?;
        report::junit::write(&mut file, summary)
            .and_then(|()| file.flush())
            .map_err(|source| ConformError::Report {
                what: format!("JUnit ({})", path.display()),
                source,
            })?;
    }
    if let Some(path) = &config.json {
        let mut file = create(path, "JSON")?;
        report::json::write(&mut file, summary)
            .and_then(|()| file.flush())
            .map_err(|source| ConformError::Report {
                what: format!("JSON ({})", path.display()),
                source,
            })?;
    }
    Ok(())
}
