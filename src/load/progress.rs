//! The progress display on stderr while a run runs: the phase, the time,
//! and per tier the responses so far (2xx / 429 / other). indicatif hides
//! it when stderr is not a terminal.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::fixtures::Tier;
use crate::load::observe::Recorder;

pub struct Progress {
    bar: ProgressBar,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Progress {
    pub fn new(enabled: bool, recorder: Arc<Recorder>, tiers: Vec<Tier>) -> Self {
        if !enabled {
            return Self {
                bar: ProgressBar::hidden(),
                ticker: None,
            };
        }
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{elapsed_precise}] {prefix} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let shown = bar.clone();
        let ticker = tokio::spawn(async move {
            loop {
                let counts: Vec<String> = tiers
                    .iter()
                    .map(|t| {
                        let [ok, limited, other] = recorder.counts(*t);
                        format!("{} {ok}/{limited}/{other}", t.as_str())
                    })
                    .collect();
                shown.set_message(format!("2xx/429/other: {}", counts.join("  ")));
                shown.tick();
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        Self {
            bar,
            ticker: Some(ticker),
        }
    }

    pub fn phase(&self, phase: &str) {
        self.bar.set_prefix(phase.to_owned());
    }

    pub fn finish(self) {
        if let Some(t) = self.ticker {
            t.abort();
        }
        self.bar.finish_and_clear();
    }
}
