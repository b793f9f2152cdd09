//! Latency in HDR histograms, LOAD-METRICS.md §4.6: tier × outcome ×
//! metric, in microseconds, over the load phase's open-loop requests.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::fixtures::Tier;
use crate::load::observe::{Obs, Outcome, Phase};

/// Which time a histogram holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// t_rcv − t_snd (time to first byte, goose's definition).
    Service,
    /// t_rcv − t_int: from the intended start, free of coordinated omission.
    Response,
    /// t_snd − t_int: how late the generator was.
    Lateness,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Service, Metric::Response, Metric::Lateness];

    pub fn label(self) -> &'static str {
        match self {
            Metric::Service => "service",
            Metric::Response => "response",
            Metric::Lateness => "lateness",
        }
    }

    fn of(self, o: &Obs) -> Duration {
        match self {
            Metric::Service => o.t_rcv.saturating_sub(o.t_snd),
            Metric::Response => o.t_rcv.saturating_sub(o.t_int),
            Metric::Lateness => o.t_snd.saturating_sub(o.t_int),
        }
    }
}

/// One histogram cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub tier: Tier,
    pub outcome: Outcome,
    pub metric: Metric,
}

impl Cell {
    /// `standard.2xx.service`: the .hlog tag and, with `-` for `.`, the
    /// .hgrm file name.
    pub fn tag(&self) -> String {
        format!(
            "{}.{}.{}",
            self.tier.as_str(),
            self.outcome.label(),
            self.metric.label()
        )
    }
}

/// A new histogram for microsecond values: 1 µs to 1 h, 3 significant
/// digits, growing when needed.
pub fn new_histogram() -> Histogram<u64> {
    let mut h = Histogram::new_with_bounds(1, 3_600_000_000, 3).expect("valid HDR bounds");
    h.auto(true);
    h
}

fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).max(1)
}

/// Every cell with at least one value, over the load phase.
pub fn histograms(obs: &[Obs]) -> BTreeMap<Cell, Histogram<u64>> {
    let mut cells: BTreeMap<Cell, Histogram<u64>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.phase == Phase::Load) {
        for metric in Metric::ALL {
            let cell = Cell {
                tier: o.tier,
                outcome: o.outcome(),
                metric,
            };
            cells
                .entry(cell)
                .or_insert_with(new_histogram)
                .saturating_record(micros(metric.of(o)));
        }
    }
    cells
}

/// Per-second interval histograms for the .hlog, keyed by the interval's
/// start (run-clock offset, whole seconds).
pub fn intervals(obs: &[Obs]) -> BTreeMap<u64, BTreeMap<Cell, Histogram<u64>>> {
    let mut out: BTreeMap<u64, BTreeMap<Cell, Histogram<u64>>> = BTreeMap::new();
    for o in obs.iter().filter(|o| o.phase == Phase::Load) {
        let second = o.t_rcv.as_secs();
        for metric in Metric::ALL {
            let cell = Cell {
                tier: o.tier,
                outcome: o.outcome(),
                metric,
            };
            out.entry(second)
                .or_default()
                .entry(cell)
                .or_insert_with(new_histogram)
                .saturating_record(micros(metric.of(o)));
        }
    }
    out
}

/// The percentiles a report shows, in µs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    #[serde(serialize_with = "crate::load::observe::ser_tier")]
    pub tier: Tier,
    pub outcome: Outcome,
    pub metric: Metric,
    pub count: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    /// The .hgrm file holding the full distribution.
    pub file: String,
}

pub fn percentiles(cell: &Cell, h: &Histogram<u64>) -> Percentiles {
    Percentiles {
        tier: cell.tier,
        outcome: cell.outcome,
        metric: cell.metric,
        count: h.len(),
        p50_us: h.value_at_quantile(0.5),
        p90_us: h.value_at_quantile(0.9),
        p99_us: h.value_at_quantile(0.99),
        p999_us: h.value_at_quantile(0.999),
        max_us: h.max(),
        file: hgrm_file_name(&cell.tag()),
    }
}

pub fn hgrm_file_name(tag: &str) -> String {
    format!("{}.hgrm", tag.replace('.', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::metrics::windows::tests::obs;

    #[test]
    fn cells_split_by_outcome_and_metric() {
        let mut a = obs(1.0, 200, Some(1), None);
        a.t_int = Duration::from_millis(990);
        a.t_rcv = a.t_snd + Duration::from_millis(3);
        let b = obs(1.5, 429, Some(0), None);
        let cells = histograms(&[a, b]);
        assert_eq!(cells.len(), 6);
        let service = Cell {
            tier: Tier::Standard,
            outcome: Outcome::Admitted,
            metric: Metric::Service,
        };
        let h = &cells[&service];
        assert!((2990..=3010).contains(&h.value_at_quantile(0.5)));
        let late = Cell {
            metric: Metric::Lateness,
            ..service
        };
        assert!((9_990..=10_010).contains(&cells[&late].max()));
        assert_eq!(service.tag(), "standard.2xx.service");
        assert_eq!(hgrm_file_name(&service.tag()), "standard-2xx-service.hgrm");
    }
}
