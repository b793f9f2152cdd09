//! `report.html`: one self-contained page (inline SVG and CSS, no script,
//! no network) with the summary table, the gates, a latency-percentile
//! chart and a per-window admission chart. Every interpolated value is
//! HTML-escaped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use hdrhistogram::Histogram;
use html_escape::encode_text as esc;

use crate::load::latency::{Cell, Metric};
use crate::load::report::table;
use crate::load::summary::{Summary, TierSummary};

const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const W: f64 = 760.0;
const H: f64 = 320.0;
const PAD: f64 = 50.0;

pub fn write(w: &mut dyn Write, s: &Summary, histograms: &BTreeMap<Cell, Histogram<u64>>) -> io::Result<()> {
    let mut page = String::new();
    let verdict = match (s.gates.is_empty() && s.goose_thresholds_failed.is_empty(), s.passed) {
        (true, _) => "no gates set",
        (false, true) => "gates passed",
        (false, false) => "gates FAILED",
    };
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>p11-harness load report</title>\
         <style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}\
         td,th{{border:1px solid #ccc;padding:2px 8px;text-align:right}}th:first-child,td:first-child{{text-align:left}}\
         .fail{{color:#b00}}.pass{{color:#070}}</style></head><body>\n\
         <h1>Load run: {verdict}{}</h1>\n<p>Target {}{} ({}), window {} s, {} → {}</p>\n",
        if s.interrupted { " (interrupted)" } else { "" },
        esc(&s.target.base_url),
        esc(&s.target.path),
        esc(s.target.kind),
        s.config.window_s,
        esc(&s.started_at),
        esc(&s.finished_at),
    );
    summary_table(&mut page, s);
    gates(&mut page, s);
    page.push_str("<h2>Latency percentiles (service time)</h2>\n");
    latency_chart(&mut page, histograms);
    page.push_str("<h2>Admissions per window (load phase)</h2>\n");
    for tier in &s.tiers {
        admission_chart(&mut page, tier);
    }
    page.push_str("</body></html>\n");
    w.write_all(page.as_bytes())
}

fn summary_table(page: &mut String, s: &Summary) {
    page.push_str("<table><tr><th></th>");
    for t in &s.tiers {
        let _ = write!(page, "<th>{}</th>", esc(t.metrics.tier.as_str()));
    }
    page.push_str("</tr>\n");
    for (label, cells) in table::rows(s) {
        let _ = write!(page, "<tr><td>{}</td>", esc(label));
        for c in cells {
            let _ = write!(page, "<td>{}</td>", esc(&c));
        }
        page.push_str("</tr>\n");
    }
    page.push_str("</table>\n");
}

fn gates(page: &mut String, s: &Summary) {
    if s.gates.is_empty() && s.goose_thresholds_failed.is_empty() {
        return;
    }
    page.push_str("<h2>Gates</h2><ul>\n");
    for g in &s.gates {
        let (class, word) = if g.passed { ("pass", "PASS") } else { ("fail", "FAIL") };
        let reason = g.reason.as_deref().unwrap_or("");
        let _ = writeln!(
            page,
            "<li class=\"{class}\">{word} {} [{}] {}</li>",
            esc(g.gate),
            esc(&g.tier),
            esc(reason)
        );
    }
    for rule in &s.goose_thresholds_failed {
        let _ = writeln!(page, "<li class=\"fail\">FAIL goose threshold {}</li>", esc(rule));
    }
    page.push_str("</ul>\n");
}

/// x: log10(1/(1−q)) from p0 to p99.999; y: latency in ms.
fn latency_chart(page: &mut String, histograms: &BTreeMap<Cell, Histogram<u64>>) {
    let series: Vec<(&Cell, Vec<(f64, f64)>)> = histograms
        .iter()
        .filter(|(c, _)| c.metric == Metric::Service)
        .map(|(c, h)| {
            let points = h
                .iter_quantiles(5)
                .map(|v| {
                    let q = v.quantile_iterated_to().min(0.99999);
                    ((1.0 / (1.0 - q)).log10(), v.value_iterated_to() as f64 / 1000.0)
                })
                .collect();
            (c, points)
        })
        .collect();
    let y_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
        .fold(0.001, f64::max);
    svg_open(page, "latency percentiles");
    axes(page, &["p0", "p90", "p99", "p99.9", "p99.99", "p99.999"], y_max, "ms");
    for (i, (cell, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let coords: Vec<String> = points
            .iter()
            .map(|(x, y)| {
                format!(
                    "{:.1},{:.1}",
                    PAD + x / 5.0 * (W - 2.0 * PAD),
                    H - PAD - y / y_max * (H - 2.0 * PAD)
                )
            })
            .collect();
        let _ = writeln!(
            page,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>",
            coords.join(" ")
        );
        // The legend sits top left: percentile curves rise left to right,
        // so that corner stays clear (top right is where they end).
        let _ = writeln!(
            page,
            "<text x=\"{}\" y=\"{}\" fill=\"{color}\" font-size=\"11\">{}</text>",
            PAD + 10.0,
            PAD + 14.0 * i as f64,
            esc(&cell.tag())
        );
    }
    page.push_str("</svg>\n");
}

fn admission_chart(page: &mut String, tier: &TierSummary) {
    let limit = tier.metrics.limit as f64;
    let windows = &tier.load_windows;
    let _ = writeln!(
        page,
        "<h3>{} (L = {})</h3>",
        esc(tier.metrics.tier.as_str()),
        tier.metrics.limit
    );
    if windows.is_empty() {
        page.push_str("<p>No load-phase windows.</p>\n");
        return;
    }
    let y_max = windows.iter().map(|w| w.admitted as f64).fold(limit * 1.25, f64::max);
    svg_open(page, "admissions per window");
    axes(page, &[], y_max, "admitted");
    let slot = (W - 2.0 * PAD) / windows.len() as f64;
    let y = |v: f64| H - PAD - v / y_max * (H - 2.0 * PAD);
    for (i, win) in windows.iter().enumerate() {
        let x = PAD + slot * i as f64 + slot * 0.1;
        let (ok, over) = ((win.admitted as f64).min(limit), (win.admitted as f64 - limit).max(0.0));
        let fill = if win.saturated { "#1f77b4" } else { "#9ecae1" };
        let _ = writeln!(
            page,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{fill}\"><title>{} reset {}: {} admitted, {} limited, {} offered</title></rect>",
            y(ok),
            slot * 0.8,
            H - PAD - y(ok),
            esc(&win.key),
            win.reset,
            win.admitted,
            win.limited,
            win.offered
        );
        if over > 0.0 {
            let _ = writeln!(
                page,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#d62728\"/>",
                y(ok + over),
                slot * 0.8,
                y(ok) - y(ok + over)
            );
        }
    }
    let _ = writeln!(
        page,
        "<line x1=\"{PAD}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#000\" stroke-dasharray=\"4 3\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"11\">L</text>",
        W - PAD,
        y(limit),
        y(limit),
        W - PAD + 4.0,
        y(limit) + 4.0
    );
    page.push_str(
        "</svg>\n<p>Dark bars: saturated windows (judged); light: not saturated; red: admitted beyond L.</p>\n",
    );
}

fn svg_open(page: &mut String, label: &str) {
    let _ = writeln!(
        page,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" role=\"img\" aria-label=\"{}\">",
        html_escape::encode_double_quoted_attribute(label)
    );
}

fn axes(page: &mut String, x_labels: &[&str], y_max: f64, y_unit: &str) {
    let _ = writeln!(
        page,
        "<line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{0}\" stroke=\"#444\"/><line x1=\"{PAD}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#444\"/>",
        H - PAD,
        W - PAD
    );
    for i in 0..=4 {
        let v = y_max * i as f64 / 4.0;
        let y = H - PAD - (H - 2.0 * PAD) * i as f64 / 4.0;
        let _ = writeln!(
            page,
            "<text x=\"4\" y=\"{:.1}\" font-size=\"10\">{v:.1}</text>",
            y + 3.0
        );
    }
    let _ = writeln!(
        page,
        "<text x=\"4\" y=\"{}\" font-size=\"10\">{}</text>",
        PAD - 10.0,
        esc(y_unit)
    );
    for (i, label) in x_labels.iter().enumerate() {
        let x = PAD + (W - 2.0 * PAD) * i as f64 / (x_labels.len() - 1).max(1) as f64;
        let _ = writeln!(
            page,
            "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\">{}</text>",
            x - 10.0,
            H - PAD + 15.0,
            esc(label)
        );
    }
}
