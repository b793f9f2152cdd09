//! `conform --list`: the catalogue as the scenario files define it, grouped
//! by specification, with each check's level, reference and what it needs of
//! a target, and the count per level. Nothing runs.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::conform::level::Level;
use crate::conform::scenario::Scenario;

pub fn write(out: &mut dyn Write, scenarios: &[Scenario]) -> io::Result<()> {
    let mut groups: BTreeMap<&str, Vec<&Scenario>> = BTreeMap::new();
    for s in scenarios {
        groups
            .entry(s.id.split('-').next().unwrap_or(&s.id))
            .or_default()
            .push(s);
    }
    let width = scenarios.iter().map(|s| s.id.len()).max().unwrap_or(0);
    for (group, members) in &groups {
        writeln!(out, "{group} ({} checks)", members.len())?;
        for s in members {
            writeln!(
                out,
                "  {:<8} {:<width$}  {}  {}",
                s.level.as_str(),
                s.id,
                s.reference,
                s.title
            )?;
            let needs: Vec<&str> = s.requires.iter().map(|c| c.as_str()).collect();
            if !needs.is_empty() {
                writeln!(out, "  {:<8} {:<width$}  needs: {}", "", "", needs.join(", "))?;
            }
        }
        writeln!(out)?;
    }
    let per_level: Vec<String> = Level::ALL
        .iter()
        .map(|l| (l, scenarios.iter().filter(|s| s.level == *l).count()))
        .filter(|(_, n)| *n > 0)
        .map(|(l, n)| format!("{n} {l}"))
        .collect();
    writeln!(out, "{} checks: {}", scenarios.len(), per_level.join(", "))?;
    writeln!(
        out,
        "Select with --filter (an id fragment, a tag such as pkce, or a reference such as \"RFC 7636\")."
    )
}
