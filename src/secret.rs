//! Secrets that must never print: client secrets, API keys, tokens, PKCE
//! verifiers and the admin secret.
//!
//! `Debug` and `Display` redact; the value is reachable only through
//! [`Secret::expose`], so every place that uses one is greppable.

use std::fmt;

use serde::{Deserialize, Deserializer};

/// A string that redacts itself when formatted.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value itself. Use it only to put it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(«redacted»)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("«redacted»")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Replaces every occurrence of the given secret values in `text`.
///
/// Longer values are replaced first so that a secret containing another one
/// is masked whole. Values shorter than 4 characters are skipped: masking
/// them would shred ordinary text without protecting anything.
pub fn redact_all<'a>(text: &str, secrets: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = secrets.into_iter().filter(|(_, v)| v.len() >= 4).collect();
    pairs.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let mut out = text.to_owned();
    for (label, value) in pairs {
        if out.contains(value) {
            out = out.replace(value, &format!("«{label}»"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        // Built at run time so that no key-shaped literal sits in source.
        let key = format!("p11_live_{}", "abcdef".repeat(6));
        let s = Secret::new(key.clone());
        assert!(!format!("{s:?}").contains("abcdef"));
        assert!(!format!("{s}").contains("abcdef"));
        assert_eq!(s.expose(), key);
    }

    #[test]
    fn redact_all_masks_longest_first() {
        let text = "token=abcd1234 and abcd1234xyz";
        let out = redact_all(text, [("short", "abcd1234"), ("long", "abcd1234xyz")]);
        assert_eq!(out, "token=«short» and «long»");
    }
}
