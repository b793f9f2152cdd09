//! The interval log (`.hlog`): one histogram per second per tag
//! (tier.outcome.metric), V2-compressed, through hdrhistogram's interval
//! log writer. Timestamps are absolute (Unix seconds) so logs from several
//! workers line up when merged.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hdrhistogram::Histogram;
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};

use crate::load::latency::Cell;

/// Writes `intervals` (per second offset from `epoch_unix`) to `w`.
/// Values are µs; the max column is shown in ms (divisor 1000).
pub fn write(
    w: &mut dyn Write,
    intervals: &BTreeMap<u64, BTreeMap<Cell, Histogram<u64>>>,
    epoch_unix: f64,
) -> io::Result<()> {
    let start = UNIX_EPOCH + Duration::from_secs_f64(epoch_unix);
    let tagged: BTreeMap<u64, Vec<(String, &Histogram<u64>)>> = intervals
        .iter()
        .map(|(s, cells)| (*s, cells.iter().map(|(c, h)| (c.tag(), h)).collect()))
        .collect();
    write_tagged(
        w,
        &tagged,
        start,
        epoch_unix,
        "p11-harness load: latency per second, values in µs",
    )
}

/// Writes already tagged histograms; `offsets` are seconds after `base_unix`.
pub fn write_tagged(
    w: &mut dyn Write,
    intervals: &BTreeMap<u64, Vec<(String, &Histogram<u64>)>>,
    start: SystemTime,
    base_unix: f64,
    comment: &str,
) -> io::Result<()> {
    let mut serializer = V2DeflateSerializer::new();
    let mut writer = w;
    let mut log = IntervalLogWriterBuilder::new()
        .add_comment(comment)
        .with_start_time(start)
        .with_max_value_divisor(1000.0)
        .begin_log_with(&mut writer, &mut serializer)?;
    for (second, cells) in intervals {
        let at = Duration::from_secs_f64(base_unix) + Duration::from_secs(*second);
        for (tag, h) in cells {
            log.write_histogram(h, at, Duration::from_secs(1), Tag::new(tag))
                .map_err(|e| io::Error::other(format!("{e:?}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::Tier;
    use crate::load::latency::{Metric, new_histogram};
    use crate::load::observe::Outcome;
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

    #[test]
    fn round_trips_through_the_interval_log_reader() {
        let cell = Cell {
            tier: Tier::Standard,
            outcome: Outcome::Admitted,
            metric: Metric::Service,
        };
        let mut h = new_histogram();
        h.record(1234).unwrap();
        let intervals = BTreeMap::from([(3u64, BTreeMap::from([(cell, h)]))]);
        let mut out = Vec::new();
        write(&mut out, &intervals, 1_700_000_000.0).unwrap();
        let entries: Vec<_> = IntervalLogIterator::new(&out).collect::<Result<_, _>>().unwrap();
        let hist = entries
            .iter()
            .find_map(|e| match e {
                LogEntry::Interval(i) => Some(i),
                _ => None,
            })
            .unwrap();
        assert_eq!(hist.tag().unwrap().as_str(), "standard.2xx.service");
        assert_eq!(hist.start_timestamp().as_secs(), 1_700_000_003);
    }
}
