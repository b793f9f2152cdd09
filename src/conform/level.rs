//! Requirement levels (CHECKS.md §1.2) and the policy that turns a violated
//! expectation into a verdict.

use std::fmt;

/// How strongly a document asks for a behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The RFC states the server-side requirement directly.
    Must,
    /// Derived from a MUST plus an error definition or ABNF (`MUST*`).
    MustDerived,
    Should,
    May,
    /// A Point11 product requirement, or a tightened RFC option.
    Profile,
    /// Not normative; seen in the wild.
    Advisory,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Must,
        Level::MustDerived,
        Level::Should,
        Level::May,
        Level::Profile,
        Level::Advisory,
    ];

    /// The spelling used in scenario files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::MustDerived => "MUST*",
            Level::Should => "SHOULD",
            Level::May => "MAY",
            Level::Profile => "PROFILE",
            Level::Advisory => "ADVISORY",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The verdict for an expectation of this level that did not hold
    /// (CHECKS.md §1.2, "Default harness verdict when violated").
    pub fn when_violated(self, policy: &Policy) -> Outcome {
        match self {
            Level::Must => Outcome::Fail,
            Level::MustDerived => match policy.strictness {
                Strictness::Strict => Outcome::Fail,
                Strictness::Interop => Outcome::Warn,
            },
            Level::Should => Outcome::Warn,
            Level::May | Level::Advisory => Outcome::Info,
            Level::Profile if policy.point11 => Outcome::Fail,
            Level::Profile => Outcome::Info,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one evaluated expectation came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Pass,
    /// The expectation's condition (e.g. `when_status`) did not apply.
    NotApplicable,
    /// Violated, but the level only asks for a note (MAY, ADVISORY).
    Info,
    /// Violated at SHOULD (or MUST* under `interop`).
    Warn,
    Fail,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::NotApplicable => "n/a",
            Outcome::Info => "info",
            Outcome::Warn => "warn",
            Outcome::Fail => "fail",
        }
    }
}

/// `strict` fails on MUST* rows, `interop` warns on them (CHECKS.md design notes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strictness {
    #[default]
    Strict,
    Interop,
}

/// The rules a run judges by. The CLI does not expose them yet; the default
/// is what Point11 asks for: `strict`, with PROFILE rows enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub strictness: Strictness,
    /// Judge by the Point11 profile (PROFILE rows FAIL) rather than the plain
    /// RFC profile (PROFILE scenarios are skipped, PROFILE checks are INFO).
    pub point11: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            strictness: Strictness::Strict,
            point11: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_round_trip_and_map_to_verdicts() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.as_str()), Some(l));
        }
        let strict = Policy::default();
        let interop = Policy {
            strictness: Strictness::Interop,
            point11: false,
        };
        assert_eq!(Level::MustDerived.when_violated(&strict), Outcome::Fail);
        assert_eq!(Level::MustDerived.when_violated(&interop), Outcome::Warn);
        assert_eq!(Level::Should.when_violated(&strict), Outcome::Warn);
        assert_eq!(Level::Profile.when_violated(&strict), Outcome::Fail);
        assert_eq!(Level::Profile.when_violated(&interop), Outcome::Info);
    }
}
