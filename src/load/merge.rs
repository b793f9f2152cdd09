//! `report merge`: combines the interval logs of several load workers
//! (goose has no distributed mode since 0.17, so one runs a process per
//! host) into one histogram per tag — losslessly, HDR addition — and writes
//! a `.hgrm` per tag plus a merged `.hlog`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};

use crate::load::latency::{hgrm_file_name, new_histogram};
use crate::load::report::{hgrm, hlog};

#[derive(Debug, Clone)]
pub struct MergeConfig {
    pub logs: Vec<PathBuf>,
    /// The folder to write into; created if missing.
    pub out_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path}: not an HDR interval log: {detail}")]
    Parse { path: PathBuf, detail: String },
    #[error("{0}: holds no histogram")]
    Empty(PathBuf),
    #[error("cannot write the merged report: {0}")]
    Write(#[from] io::Error),
}

/// One merged tag.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedTag {
    pub tag: String,
    pub count: u64,
    /// p50, p90, p99, p99.9 and max, µs.
    pub percentiles_us: [u64; 5],
}

#[derive(Debug)]
pub struct MergeOutcome {
    pub dir: PathBuf,
    pub tags: Vec<MergedTag>,
}

/// Histograms of all logs: per tag in total, and per (second, tag).
type Merged = (
    BTreeMap<String, Histogram<u64>>,
    BTreeMap<u64, BTreeMap<String, Histogram<u64>>>,
);

pub fn merge(config: &MergeConfig, out: &mut dyn Write) -> Result<MergeOutcome, MergeError> {
    let (totals, per_second) = read_all(&config.logs)?;
    std::fs::create_dir_all(&config.out_dir)?;
    let mut tags = Vec::new();
    for (tag, h) in &totals {
        let mut file = io::BufWriter::new(std::fs::File::create(config.out_dir.join(hgrm_file_name(tag)))?);
        hgrm::write(&mut file, h, 1000.0)?;
        file.flush()?;
        let q = |q: f64| h.value_at_quantile(q);
        tags.push(MergedTag {
            tag: tag.clone(),
            count: h.len(),
            percentiles_us: [q(0.5), q(0.9), q(0.99), q(0.999), h.max()],
        });
    }
    let mut file = io::BufWriter::new(std::fs::File::create(config.out_dir.join("merged.hlog"))?);
    let first = per_second.keys().next().copied().unwrap_or(0);
    let borrowed: BTreeMap<u64, Vec<(String, &Histogram<u64>)>> = per_second
        .iter()
        .map(|(s, cells)| (s - first, cells.iter().map(|(t, h)| (t.clone(), h)).collect()))
        .collect();
    let start = UNIX_EPOCH + Duration::from_secs(first);
    hlog::write_tagged(&mut file, &borrowed, start, first as f64, "p11-harness report merge")?;
    file.flush()?;
    print_table(out, &tags, &config.out_dir)?;
    Ok(MergeOutcome {
        dir: config.out_dir.clone(),
        tags,
    })
}

fn read_all(paths: &[PathBuf]) -> Result<Merged, MergeError> {
    let mut totals: BTreeMap<String, Histogram<u64>> = BTreeMap::new();
    let mut per_second: BTreeMap<u64, BTreeMap<String, Histogram<u64>>> = BTreeMap::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|source| MergeError::Read {
            path: path.clone(),
            source,
        })?;
        let mut found = false;
        for (second, tag, h) in histograms_in(path, &bytes)? {
            found = true;
            add(totals.entry(tag.clone()).or_insert_with(new_histogram), &h, path)?;
            add(
                per_second
                    .entry(second)
                    .or_default()
                    .entry(tag)
                    .or_insert_with(new_histogram),
                &h,
                path,
            )?;
        }
        if !found {
            return Err(MergeError::Empty(path.clone()));
        }
    }
    Ok((totals, per_second))
}

fn add(into: &mut Histogram<u64>, h: &Histogram<u64>, path: &Path) -> Result<(), MergeError> {
    into.add(h).map_err(|e| MergeError::Parse {
        path: path.to_owned(),
        detail: format!("{e:?}"),
    })
}

/// (absolute second, tag, histogram) for every interval in one log.
fn histograms_in(path: &Path, bytes: &[u8]) -> Result<Vec<(u64, String, Histogram<u64>)>, MergeError> {
    let parse = |detail: String| MergeError::Parse {
        path: path.to_owned(),
        detail,
    };
    let mut base = 0.0;
    let mut out = Vec::new();
    let mut deserializer = Deserializer::new();
    for entry in IntervalLogIterator::new(bytes) {
        match entry.map_err(|e| parse(format!("{e:?}")))? {
            LogEntry::BaseTime(t) => base = t.as_secs_f64(),
            LogEntry::StartTime(_) => {}
            LogEntry::Interval(i) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(i.encoded_histogram())
                    .map_err(|e| parse(e.to_string()))?;
                let h: Histogram<u64> = deserializer
                    .deserialize(&mut io::Cursor::new(raw))
                    .map_err(|e| parse(format!("{e:?}")))?;
                let tag = i.tag().map_or_else(|| "untagged".to_owned(), |t| t.as_str().to_owned());
                let second = (base + i.start_timestamp().as_secs_f64()).floor() as u64;
                out.push((second, tag, h));
            }
        }
    }
    Ok(out)
}

fn print_table(out: &mut dyn Write, tags: &[MergedTag], dir: &Path) -> io::Result<()> {
    writeln!(
        out,
        "{:<34} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "tag (ms)", "count", "p50", "p90", "p99", "p99.9", "max"
    )?;
    for t in tags {
        write!(out, "{:<34} {:>9}", t.tag, t.count)?;
        for v in t.percentiles_us {
            write!(out, " {:>9.3}", v as f64 / 1000.0)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "merged into: {}", dir.display())
}
