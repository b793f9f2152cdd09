//! A received response, and what a subject of an expectation or capture
//! observes in it.

use serde_json::Value as J;

use crate::conform::challenge;
use crate::conform::scenario::{JsonPath, Subject};

pub(crate) struct Reply {
    pub status: u16,
    /// Names lower-cased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: String,
    json: Option<J>,
    /// `Location`, resolved against the request URL.
    pub location: Option<url::Url>,
    /// The statuses of every reply of the step, sorted (`send.rs`).
    pub all_statuses: Vec<u16>,
}

/// What a subject found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Observed {
    /// Not there; the text says what is missing, for the report.
    Absent(String),
    One(J),
    /// A parameter that appears more than once.
    Many(Vec<J>),
}

impl Reply {
    pub fn new(status: u16, headers: Vec<(String, String)>, body: String, request_url: &url::Url) -> Self {
        let json = serde_json::from_str(&body).ok();
        let location = headers
            .iter()
            .find(|(k, _)| k == "location")
            .and_then(|(_, v)| request_url.join(v).ok());
        Self {
            status,
            headers,
            body,
            json,
            location,
            all_statuses: vec![status],
        }
    }

    pub fn header_values(&self, name: &str) -> Vec<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn observe(&self, subject: &Subject) -> Observed {
        match subject {
            Subject::Status => Observed::One(self.status.into()),
            Subject::Body => Observed::One(J::String(self.body.clone())),
            Subject::Header(name) => match self.header_values(name).as_slice() {
                [] => Observed::Absent(format!("no {name} header")),
                values => Observed::One(J::String(values.join(", "))),
            },
            Subject::Json(path) => self.json_at(path),
            Subject::Challenge { scheme, param } => self.challenge(scheme, param.as_deref()),
            Subject::LocationQuery(name) => self.location_query(name),
            Subject::Jwt { path, of: None } => super::jwt::observe(self, path, None, &Default::default()),
            Subject::Jwt { of: Some(_), .. } => {
                Observed::Absent("a `jwt_of` token needs the scenario's variables".into())
            }
            Subject::Statuses => Observed::One(self.all_statuses.clone().into()),
        }
    }

    fn json_at(&self, path: &JsonPath) -> Observed {
        let Some(json) = &self.json else {
            return Observed::Absent("the body is not JSON".into());
        };
        match path.lookup(json) {
            Some(v) => Observed::One(v.clone()),
            None => Observed::Absent(format!("no member `{path}`")),
        }
    }

    fn challenge(&self, scheme: &str, param: Option<&str>) -> Observed {
        let values = self.header_values("www-authenticate");
        if values.is_empty() {
            return Observed::Absent("no WWW-Authenticate header".into());
        }
        let all = challenge::parse(values.iter().copied());
        let Some(c) = all.iter().find(|c| c.scheme.eq_ignore_ascii_case(scheme)) else {
            return Observed::Absent(format!(
                "no {scheme} challenge in WWW-Authenticate: {}",
                values.join(", ")
            ));
        };
        let Some(param) = param else {
            return Observed::One(J::String(values.join(", ")));
        };
        many(c.param_values(param).into_iter().map(str::to_owned).collect(), || {
            format!(
                "the {scheme} challenge has no `{param}` (WWW-Authenticate: {})",
                values.join(", ")
            )
        })
    }

    fn location_query(&self, name: &str) -> Observed {
        let Some(loc) = &self.location else {
            return Observed::Absent("no Location header".into());
        };
        let found = loc
            .query_pairs()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .collect();
        many(found, || format!("Location {loc} has no `{name}` query parameter"))
    }
}

fn many(values: Vec<String>, absent: impl FnOnce() -> String) -> Observed {
    let mut values: Vec<J> = values.into_iter().map(J::String).collect();
    match values.len() {
        0 => Observed::Absent(absent()),
        1 => Observed::One(values.remove(0)),
        _ => Observed::Many(values),
    }
}
