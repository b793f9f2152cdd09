//! Checks that need more than one file or the target's variables: duplicate
//! scenario ids, and every `{{variable}}` defined by the time it is used.

use std::collections::{BTreeMap, BTreeSet};

use super::{Scenario, unknown_var};
use crate::diagnostic::Diagnostic;

/// Every problem across `scenarios`; `known` holds the variable names a
/// target profile may bind.
pub fn validate(scenarios: &[Scenario], known: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut seen: BTreeMap<&str, &Scenario> = BTreeMap::new();
    for s in scenarios {
        if let Some(first) = seen.get(s.id.as_str()) {
            let d = s
                .source
                .diagnostic(s.id_span.clone(), format!("duplicate scenario id `{}`", s.id));
            let loc = first.source.location(&first.id_span);
            out.push(d.with_hint(format!("first defined at {loc}")));
        } else {
            seen.insert(&s.id, s);
        }
        out.extend(check_scope(s, known));
    }
    out
}

/// Walks the steps in order: a capture is visible from the next step on.
fn check_scope(s: &Scenario, known: &BTreeSet<String>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut scope: BTreeSet<String> = known.clone();
    for g in &s.generators {
        for name in g.var_names() {
            if known.contains(&name) {
                out.push(
                    s.source
                        .diagnostic(g.span.clone(), format!("`{name}` is already a target variable")),
                );
            }
            scope.insert(name);
        }
    }
    for step in &s.steps {
        for t in step.templates() {
            for var in t.vars() {
                if scope.contains(var) {
                    continue;
                }
                let mut d = unknown_var(&s.source, t, var, &scope);
                if step.capture.iter().any(|c| c.name == var) {
                    d = d.with_hint(format!(
                        "`{var}` is captured by this step; it can be used from the next step on"
                    ));
                }
                out.push(d);
            }
        }
        for c in &step.capture {
            if known.contains(&c.name) || s.generators.iter().any(|g| g.var_names().contains(&c.name)) {
                out.push(
                    s.source
                        .diagnostic(c.span.clone(), format!("capture `{}` would shadow a variable", c.name)),
                );
            }
            scope.insert(c.name.clone());
        }
    }
    out
}
