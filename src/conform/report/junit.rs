//! JUnit XML through quick-junit: one `testsuite` per specification group
//! (the id prefix: RFC6749, RFC7636, RFC6750, P11, ...), one `testcase` per
//! scenario. A wrong answer is a `failure`, a scenario that could not run is
//! an `error`, a skip (or an interrupted run's remainder) is `skipped`.

use std::collections::BTreeMap;
use std::io::{self, Write};

use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};

use super::transcript_lines;
use crate::conform::level::Outcome;
use crate::conform::result::{RunSummary, ScenarioResult, ScenarioStatus};

const BODY_LIMIT: usize = 4000;

pub fn write(out: &mut dyn Write, summary: &RunSummary) -> io::Result<()> {
    let mut report = Report::new("p11-harness conform");
    report.set_time(summary.duration);
    let mut suites: BTreeMap<&str, TestSuite> = BTreeMap::new();
    for r in &summary.scenarios {
        let group = group(&r.id);
        let suite = suites.entry(group).or_insert_with(|| {
            let mut s = TestSuite::new(group);
            s.add_property(Property::new("target", summary.target.base_url.as_str()));
            s
        });
        suite.add_test_case(test_case(group, r, summary));
    }
    for (_, mut suite) in suites {
        let time = suite.test_cases.iter().filter_map(|t| t.time).sum();
        suite.set_time(time);
        report.add_test_suite(suite);
    }
    report.serialize(out).map_err(io::Error::other)
}

/// `RFC6749-5.2-x` → `RFC6749`.
fn group(id: &str) -> &str {
    id.split('-').next().unwrap_or(id)
}

fn test_case(group: &str, r: &ScenarioResult, summary: &RunSummary) -> TestCase {
    let stale: Vec<&str> = summary
        .stale_baseline()
        .iter()
        .filter(|e| e.split('#').next() == Some(r.id.as_str()))
        .map(String::as_str)
        .collect();
    let status = match &r.status {
        _ if !stale.is_empty() => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(format!(
                "stale baseline entry {}: it passes now; delete it from the baseline",
                stale.join(", ")
            ));
            s.set_type("baseline");
            s
        }
        ScenarioStatus::Pass | ScenarioStatus::Warn => TestCaseStatus::success(),
        ScenarioStatus::Fail if summary.is_known_failure(&r.id) => {
            let first = r.checks().find(|c| c.outcome == Outcome::Fail);
            let mut s = TestCaseStatus::skipped();
            s.set_message(format!(
                "known failure, listed in the baseline: {}",
                first.map_or_else(|| "a check failed".into(), |c| c.sentence())
            ));
            s.set_description(details(r));
            s
        }
        ScenarioStatus::Fail => {
            let first = r.checks().find(|c| c.outcome == Outcome::Fail);
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
            s.set_message(first.map_or_else(|| "a check failed".into(), |c| c.sentence()));
            s.set_type(first.map_or(r.level, |c| c.level).as_str());
            s.set_description(details(r));
            s
        }
        ScenarioStatus::Error { message } => {
            let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
            s.set_message(message.as_str());
            s.set_type("transport");
            s.set_description(details(r));
            s
        }
        ScenarioStatus::Skip { reason } => {
            let mut s = TestCaseStatus::skipped();
            s.set_message(reason.as_str());
            s
        }
        ScenarioStatus::NotRun => {
            let mut s = TestCaseStatus::skipped();
            s.set_message("not run: the run was interrupted");
            s
        }
    };
    let mut tc = TestCase::new(r.id.as_str(), status);
    tc.set_classname(group);
    tc.set_time(r.duration);
    tc.set_assertions(r.checks().count());
    tc.add_property(Property::new("title", r.title.as_str()));
    tc.add_property(Property::new("reference", r.reference.as_str()));
    tc.add_property(Property::new("level", r.level.as_str()));
    tc.add_property(Property::new("file", r.file.display().to_string()));
    if r.status == ScenarioStatus::Warn {
        tc.set_system_out(details(r));
    }
    tc
}

/// The checks that did not pass, each with its location, and the
/// transcripts of the steps that kept one.
fn details(r: &ScenarioResult) -> String {
    let mut lines = Vec::new();
    for step in &r.steps {
        let bad: Vec<_> = step
            .checks
            .iter()
            .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn | Outcome::Info))
            .collect();
        if bad.is_empty() && step.exchange.is_none() && step.error.is_none() {
            continue;
        }
        lines.push(format!(
            "step {} \"{}\": {}",
            step.index,
            step.name,
            step.status.as_str()
        ));
        if let Some(e) = &step.error {
            lines.push(format!("  error: {e}"));
        }
        for c in bad {
            lines.push(format!("  {}: {}", c.outcome.as_str().to_uppercase(), c.sentence()));
            lines.push(format!("    at {}", c.location));
        }
        if let Some(x) = &step.exchange {
            lines.extend(transcript_lines(x, BODY_LIMIT).into_iter().map(|l| format!("  {l}")));
        }
    }
    lines.join("\n")
}
