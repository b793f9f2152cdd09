//! The HdrHistogram percentile distribution text (`.hgrm`), as Java
//! HdrHistogram's `outputPercentileDistribution` writes it and its plotter
//! reads it: Value, Percentile, TotalCount, 1/(1-Percentile), then the
//! Mean/Max/Buckets footer. The Rust crate has no writer for it, so this
//! one walks the histogram's quantile iterator (5 ticks per half distance,
//! as Java's default).

use std::io::{self, Write};

use hdrhistogram::Histogram;

/// Writes `h` with values divided by `scale` (1000 turns µs into ms).
pub fn write(w: &mut dyn Write, h: &Histogram<u64>, scale: f64) -> io::Result<()> {
    let digits = h.sigfig() as usize;
    writeln!(
        w,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    )?;
    let mut total = 0u64;
    if h.is_empty() {
        writeln!(w, "{:12.digits$} {:2.12} {:10}", 0.0, 1.0, 0)?;
    }
    for v in h.iter_quantiles(5) {
        total += v.count_since_last_iteration();
        let value = v.value_iterated_to() as f64 / scale;
        let q = v.quantile_iterated_to();
        if q < 1.0 {
            writeln!(w, "{value:12.digits$} {q:2.12} {total:10} {:14.2}", 1.0 / (1.0 - q))?;
        } else {
            writeln!(w, "{value:12.digits$} {q:2.12} {total:10}")?;
        }
    }
    let (mean, stdev, max) = if h.is_empty() {
        (0.0, 0.0, 0.0)
    } else {
        (h.mean() / scale, h.stdev() / scale, h.max() as f64 / scale)
    };
    writeln!(w, "#[Mean    = {mean:12.digits$}, StdDeviation   = {stdev:12.digits$}]")?;
    writeln!(w, "#[Max     = {max:12.digits$}, Total count    = {:12}]", h.len())?;
    writeln!(
        w,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_buckets(h.sigfig())
    )
}

/// Java's subBucketCount: 2^⌈log₂(2·10^sigfig)⌉.
fn sub_buckets(sigfig: u8) -> u64 {
    (2 * 10u64.pow(sigfig as u32)).next_power_of_two()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_standard_layout() {
        let mut h = crate::load::latency::new_histogram();
        for v in 1..=1000u64 {
            h.record(v * 100).unwrap();
        }
        let mut out = Vec::new();
        write(&mut out, &h, 1000.0).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "       Value     Percentile TotalCount 1/(1-Percentile)");
        assert_eq!(lines[1], "");
        assert!(
            lines[2]
                .trim_start()
                .starts_with("0.100 0.000000000000          1           1.00"),
            "{}",
            lines[2]
        );
        let last_row = lines[lines.len() - 4];
        assert!(last_row.contains("1.000000000000       1000"), "{last_row}");
        assert!(
            lines[lines.len() - 3].starts_with("#[Mean    =       50.0"),
            "{}",
            lines[lines.len() - 3]
        );
        assert!(lines[lines.len() - 2].contains("Total count    =         1000]"));
        assert!(lines[lines.len() - 1].contains("SubBuckets     =         2048]"));
    }
}
