//! How a step sends its request: once (the default), as `copies = N`
//! identical requests at the same moment (races such as concurrent code
//! redemption), or repeated one after another until a status comes back
//! (`repeat = { until_status = 429, max = 20 }`: rate limits, lockouts).

use serde::Deserialize;
use toml::Spanned;

use super::Diags;
use super::expect::statuses;

/// At most this many copies or repeats: conformance, not load.
pub const MAX_SENDS: u32 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SendMode {
    #[default]
    Once,
    /// N identical requests sent concurrently; per-reply expectations must
    /// hold for every reply, `statuses` sees them all.
    Copies(u32),
    /// Sent again until the status is one of `until`, at most `max` times;
    /// expectations are judged on the last reply.
    Repeat { until: Vec<u16>, max: u32 },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRepeat {
    until_status: Spanned<toml::Value>,
    max: Spanned<u32>,
}

pub(super) fn parse(d: &mut Diags, copies: Option<&Spanned<u32>>, repeat: Option<&Spanned<RawRepeat>>) -> SendMode {
    let bounded = |d: &mut Diags, n: &Spanned<u32>| {
        let ok = (1..=MAX_SENDS).contains(n.get_ref());
        if !ok {
            d.error(n.span(), format!("between 1 and {MAX_SENDS}"));
        }
        ok
    };
    match (copies, repeat) {
        (Some(c), Some(r)) => {
            d.error(r.span(), "a step sends `copies` or `repeat`, not both");
            let _ = c;
            SendMode::Once
        }
        (Some(c), None) if bounded(d, c) => SendMode::Copies(*c.get_ref()),
        (None, Some(r)) => {
            let r = r.get_ref();
            let until = statuses(d, &r.until_status);
            match until {
                Some(until) if bounded(d, &r.max) => SendMode::Repeat {
                    until,
                    max: *r.max.get_ref(),
                },
                _ => SendMode::Once,
            }
        }
        _ => SendMode::Once,
    }
}
