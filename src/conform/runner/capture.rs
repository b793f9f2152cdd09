//! Takes a capture's value out of a reply.

use serde_json::Value as J;

use super::reply::{Observed, Reply};
use crate::conform::scenario::{Capture, CaptureSource, Subject};

/// Where a capture reads from, in words for the report.
pub(crate) fn describe(c: &Capture) -> String {
    match &c.source {
        CaptureSource::Json(p) => format!("capture `{}` from JSON {p}", c.name),
        CaptureSource::Header(h) => format!("capture `{}` from header {h}", c.name),
        CaptureSource::LocationQuery(q) => format!("capture `{}` from Location query `{q}`", c.name),
        CaptureSource::BodyRegex(r) => format!("capture `{}` from body /{}/", c.name, r.as_str()),
    }
}

/// The captured text, or why there is none.
pub(crate) fn extract(c: &Capture, reply: &Reply) -> Result<String, String> {
    let observed = match &c.source {
        CaptureSource::Json(p) => reply.observe(&Subject::Json(p.clone())),
        CaptureSource::Header(h) => match reply.header_values(h).first() {
            Some(v) => Observed::One(J::String((*v).to_owned())),
            None => Observed::Absent(format!("no {h} header")),
        },
        CaptureSource::LocationQuery(q) => reply.observe(&Subject::LocationQuery(q.clone())),
        CaptureSource::BodyRegex(re) => {
            return re
                .captures(&reply.body)
                .and_then(|caps| caps.get(1).or_else(|| caps.get(0)))
                .map(|m| m.as_str().to_owned())
                .ok_or_else(|| "the body does not match".to_owned());
        }
    };
    match observed {
        Observed::One(J::String(s)) => Ok(s),
        Observed::One(other) => Ok(other.to_string()),
        Observed::Many(vs) => Err(format!("appears {} times", vs.len())),
        Observed::Absent(why) => Err(why),
    }
}
