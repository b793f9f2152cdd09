//! Fault injection: named ways for the reference server to break exactly one
//! rule of the contract, so that the conformance runner can be shown to catch
//! each (the mutation test, `tests/mutation.rs`).
//!
//! Every fault names the catalogue checks (CHECKS.md ids, the scenario ids)
//! that must trip when it is on; the mutation test holds the server to that
//! list both ways: those scenarios report the violation, every other one
//! passes as on a clean server. A fault is injected where its rule is
//! implemented (`if state.faults.breaks(Fault::X) { ... }`), never as a copy
//! of the code path.
//!
//! `p11-harness serve --list-faults` prints the catalogue below.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use crate::diagnostic::suggest;

mod catalogue;

pub use catalogue::Fault;

impl Fault {
    /// The fault called `name`.
    pub fn from_name(name: &str) -> Result<Fault, UnknownFault> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == name)
            .ok_or_else(|| UnknownFault {
                name: name.to_owned(),
                suggestion: suggest(name, Fault::ALL.iter().map(|f| f.name())).map(str::to_owned),
            })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::from_name(s)
    }
}

/// A `--fault` name that is not in the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownFault {
    pub name: String,
    pub suggestion: Option<String>,
}

impl fmt::Display for UnknownFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown fault `{}`", self.name)?;
        if let Some(s) = &self.suggestion {
            write!(f, "; did you mean `{s}`?")?;
        }
        f.write_str(" (`p11-harness serve --list-faults` lists them)")
    }
}

impl std::error::Error for UnknownFault {}

/// The fixture client that per-client faults act on (see [`Faults::breaks_for`]).
pub const NARROW_CLIENT: &str = "C_B";

/// The rules the server is told to break. Empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Faults {
    broken: BTreeSet<Fault>,
}

impl Faults {
    pub const fn none() -> Self {
        Self {
            broken: BTreeSet::new(),
        }
    }

    pub fn breaks(&self, fault: Fault) -> bool {
        self.broken.contains(&fault)
    }

    /// Whether `fault` is on for the client with this fixture name. Faults
    /// on rules that every token response shares (RFC 6749 §5.1, the JWT
    /// profile) act on [`NARROW_CLIENT`] only: the scenario dedicated to the
    /// rule uses that client, and the rest of the catalogue keeps working.
    pub fn breaks_for(&self, fault: Fault, client_name: &str) -> bool {
        client_name == NARROW_CLIENT && self.breaks(fault)
    }

    pub fn is_empty(&self) -> bool {
        self.broken.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Fault> + '_ {
        self.broken.iter().copied()
    }
}

impl FromIterator<Fault> for Faults {
    fn from_iter<I: IntoIterator<Item = Fault>>(iter: I) -> Self {
        Self {
            broken: iter.into_iter().collect(),
        }
    }
}

impl From<Fault> for Faults {
    fn from(fault: Fault) -> Self {
        std::iter::once(fault).collect()
    }
}

/// The catalogue as text: each fault, what it does, the checks it trips.
pub fn write_list(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{} faults (serve --fault NAME, conform --server-fault NAME):",
        Fault::ALL.len()
    )?;
    for fault in Fault::ALL {
        writeln!(out, "\n{}", fault.name())?;
        writeln!(out, "  {}", fault.description())?;
        writeln!(out, "  trips: {}", fault.trips().join(", "))?;
        if !fault.collateral().is_empty() {
            writeln!(out, "  may also change: {}", fault.collateral().join(", "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_kebab_case_and_round_trip() {
        let mut seen = BTreeSet::new();
        for &f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate fault name {}", f.name());
            assert!(
                f.name()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                f.name()
            );
            assert_eq!(Fault::from_name(f.name()), Ok(f));
            assert!(!f.trips().is_empty());
        }
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let e = Fault::from_name("code-reuseable").unwrap_err();
        assert_eq!(e.suggestion.as_deref(), Some("code-reusable"));
        assert!(e.to_string().contains("did you mean `code-reusable`?"), "{e}");
        assert!(
            Fault::from_name("zzzzzzzzzzzzzzzzzzzz")
                .unwrap_err()
                .suggestion
                .is_none()
        );
    }

    #[test]
    fn faults_set() {
        let faults: Faults = Fault::CodeReusable.into();
        assert!(faults.breaks(Fault::CodeReusable));
        assert!(!faults.breaks(Fault::DenyApproves));
        assert!(Faults::none().is_empty());
    }
}
