//! Parameters of the OAuth endpoints, from a query string or a
//! `application/x-www-form-urlencoded` body, in the order sent.
//!
//! RFC 6749 §3.1/§3.2: parameters sent without a value are treated as if
//! they were omitted, and request parameters must not be included more than
//! once. Unknown parameters are kept here and ignored by the endpoints.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

impl Params {
    /// Decodes `name=value&...` (`+` is a space, `%XX` a byte), dropping
    /// parameters whose value is empty.
    pub fn parse(raw: &[u8]) -> Self {
        let pairs = url::form_urlencoded::parse(raw)
            .filter(|(_, value)| !value.is_empty())
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { pairs }
    }

    /// Like [`Params::parse`], but keeping parameters sent without a value
    /// (the `*-empty-param-kept` faults).
    pub fn parse_keeping_empty(raw: &[u8]) -> Self {
        let pairs = url::form_urlencoded::parse(raw)
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        Self { pairs }
    }

    /// Parameters from name/value pairs (a JSON body, under a fault).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self { pairs }
    }

    /// Appends `other`'s parameters.
    pub fn extend(&mut self, other: Params) {
        self.pairs.extend(other.pairs);
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(n, _)| n.as_str())
    }

    /// The value of `name`, if sent (the first one, if repeated).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn count(&self, name: &str) -> usize {
        self.pairs.iter().filter(|(n, _)| n == name).count()
    }

    /// Every parameter name that appears more than once, once each.
    pub fn repeated(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .pairs
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| self.count(n) > 1)
            .collect();
        names.dedup();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// The first parameter name that appears more than once.
    pub fn first_duplicate(&self) -> Option<&str> {
        self.pairs
            .iter()
            .enumerate()
            .find(|(i, (name, _))| self.pairs[..*i].iter().any(|(n, _)| n == name))
            .map(|(_, (name, _))| name.as_str())
    }
}

/// Decodes one `application/x-www-form-urlencoded` component: `+` is a
/// space and `%XX` a byte; a `%` not followed by two hex digits stays as it
/// is. Used for the halves of an HTTP Basic credential (RFC 6749 §2.3.1).
pub fn form_decode(component: &str) -> String {
    let bytes = component.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3).and_then(|h| hex_pair(h[0], h[1])) {
                Some(byte) => {
                    out.push(byte);
                    i += 2;
                }
                None => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(hi)? * 16 + digit(lo)?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_values_count_as_omitted() {
        let p = Params::parse(b"scope=&grant_type=client_credentials&scope=audits%3Aread");
        assert_eq!(p.get("scope"), Some("audits:read"));
        assert_eq!(p.first_duplicate(), None);
    }

    #[test]
    fn duplicates_are_found() {
        let p = Params::parse(b"a=1&b=2&a=3");
        assert_eq!(p.first_duplicate(), Some("a"));
        assert_eq!(p.count("a"), 2);
    }

    #[test]
    fn form_decode_handles_reserved_characters() {
        assert_eq!(form_decode("svc%3Areports"), "svc:reports");
        assert_eq!(form_decode("p%2Bq%2Fr%25s+t"), "p+q/r%s t");
        assert_eq!(form_decode("100%"), "100%");
        assert_eq!(form_decode("%zz"), "%zz");
    }
}
