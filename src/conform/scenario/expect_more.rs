//! The subjects added for the catalogue's multi-reply and JWT checks:
//! `jwt = "claims.exp"` (with an optional `jwt_of = "{{token}}"`) and
//! `statuses = [200, 400, ...]`. Kept apart from `expect.rs` so that file
//! stays about the core subjects.

use toml::Spanned;

use super::Diags;
use super::expect::{Found, JsonPath, Predicate, RawExpect, Subject, Value};

/// `None` when the entry has no `jwt`; `Some(None)` after a diagnostic.
pub(super) fn jwt_subject(d: &mut Diags, r: &RawExpect) -> Option<Option<Found>> {
    let Some(j) = &r.jwt else {
        if let Some(of) = &r.jwt_of {
            d.error(of.span(), "`jwt_of` names the token of a `jwt` subject");
            return Some(None);
        }
        return None;
    };
    let Some(path) = JsonPath::parse(j.get_ref()) else {
        d.error(
            j.span(),
            "a JWT path is `header.<name>`, `claims.<name>`, `lifetime` or `decoded`",
        );
        return Some(None);
    };
    let of = r.jwt_of.as_ref().map(|t| d.template(t));
    Some(Some((j.span(), Subject::Jwt { path, of }, None)))
}

/// `statuses = [200, 400]`: the sorted statuses of every reply equal these.
pub(super) fn statuses_subject(s: &Spanned<Vec<u16>>) -> Found {
    let mut expected = s.get_ref().clone();
    expected.sort_unstable();
    let value = Value::Json(expected.into());
    (s.span(), Subject::Statuses, Some(Predicate::Equals(value)))
}
