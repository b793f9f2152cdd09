//! Generated values, fresh for every run of a scenario: PKCE pairs
//! (RFC 7636 §4.1-4.2) and random strings such as `state`.
//!
//! ```toml
//! [generate]
//! pkce = { kind = "pkce_s256" }                 # {{pkce.verifier}} {{pkce.challenge}} {{pkce.method}}
//! state = { kind = "random", length = 24 }      # {{state}}
//! ```

use std::ops::Range;

use base64::Engine;
use rand::Rng;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use toml::Spanned;

use super::Diags;
use super::capture::is_var_name;
use crate::diagnostic::suggest;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    pub name: String,
    pub kind: GeneratorKind,
    pub span: Range<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GeneratorKind {
    /// A code verifier and its S256 challenge. `verifier` fixes the value
    /// (e.g. the RFC 7636 Appendix B vector); `length` may lie outside
    /// 43..=128 on purpose, to test that a server refuses it.
    PkceS256 {
        length: usize,
        alphabet: Alphabet,
        verifier: Option<String>,
    },
    Random {
        length: usize,
        alphabet: Alphabet,
        secret: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alphabet {
    /// `[A-Za-z0-9]`
    Alnum,
    /// RFC 3986 unreserved: `[A-Za-z0-9-._~]` (the PKCE verifier set).
    Unreserved,
    /// `[A-Za-z0-9-_]`
    Base64Url,
    Hex,
}

impl Alphabet {
    const NAMES: [&str; 4] = ["alnum", "unreserved", "base64url", "hex"];

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "alnum" => Alphabet::Alnum,
            "unreserved" => Alphabet::Unreserved,
            "base64url" => Alphabet::Base64Url,
            "hex" => Alphabet::Hex,
            _ => return None,
        })
    }

    fn chars(self) -> &'static [u8] {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        match self {
            Alphabet::Alnum => ALNUM,
            Alphabet::Unreserved => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~",
            Alphabet::Base64Url => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
            Alphabet::Hex => b"0123456789abcdef",
        }
    }

    fn random(self, len: usize, rng: &mut impl Rng) -> String {
        let chars = self.chars();
        (0..len)
            .map(|_| chars[rng.random_range(0..chars.len())] as char)
            .collect()
    }
}

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`, RFC 7636 §4.2.
pub fn s256_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A generated value: variable name, value, and whether to mask it.
pub type Generated = (String, String, bool);

impl Generator {
    pub fn var_names(&self) -> Vec<String> {
        match &self.kind {
            GeneratorKind::PkceS256 { .. } => ["verifier", "challenge", "method"]
                .iter()
                .map(|f| format!("{}.{f}", self.name))
                .collect(),
            GeneratorKind::Random { .. } => vec![self.name.clone()],
        }
    }

    pub fn generate(&self, rng: &mut impl Rng) -> Vec<Generated> {
        match &self.kind {
            GeneratorKind::PkceS256 {
                length,
                alphabet,
                verifier,
            } => {
                let v = verifier.clone().unwrap_or_else(|| alphabet.random(*length, rng));
                vec![
                    (format!("{}.challenge", self.name), s256_challenge(&v), false),
                    (format!("{}.method", self.name), "S256".into(), false),
                    (format!("{}.verifier", self.name), v, true),
                ]
            }
            GeneratorKind::Random {
                length,
                alphabet,
                secret,
            } => vec![(self.name.clone(), alphabet.random(*length, rng), *secret)],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGenerator {
    kind: Spanned<String>,
    length: Option<Spanned<usize>>,
    alphabet: Option<Spanned<String>>,
    verifier: Option<Spanned<String>>,
    #[serde(default)]
    secret: bool,
}

const KINDS: [&str; 2] = ["pkce_s256", "random"];

pub(super) fn parse(d: &mut Diags, name: &Spanned<String>, raw: &Spanned<RawGenerator>) -> Option<Generator> {
    let r = raw.get_ref();
    if !is_var_name(name.get_ref()) {
        d.error(name.span(), "a generator name is letters, digits, `_`, `.` and `-`");
        return None;
    }
    let alphabet = match &r.alphabet {
        None => None,
        Some(a) => Some(alphabet(d, a)?),
    };
    if let Some(l) = &r.length
        && !(1..=4096).contains(l.get_ref())
    {
        d.error(l.span(), "`length` is between 1 and 4096");
        return None;
    }
    let length = r.length.as_ref().map(|l| *l.get_ref());
    let kind = match r.kind.get_ref().as_str() {
        "pkce_s256" => GeneratorKind::PkceS256 {
            length: length.unwrap_or(64),
            alphabet: alphabet.unwrap_or(Alphabet::Unreserved),
            verifier: r.verifier.as_ref().map(|v| v.get_ref().clone()),
        },
        "random" => {
            if let Some(v) = &r.verifier {
                d.error(v.span(), "`verifier` belongs to kind = \"pkce_s256\"");
                return None;
            }
            GeneratorKind::Random {
                length: length.unwrap_or(32),
                alphabet: alphabet.unwrap_or(Alphabet::Alnum),
                secret: r.secret,
            }
        }
        other => {
            let hint = suggest(other, KINDS).map(|s| format!("did you mean `{s}`?"));
            d.error_hint(
                r.kind.span(),
                format!("unknown generator kind; one of {}", KINDS.join(", ")),
                hint,
            );
            return None;
        }
    };
    Some(Generator {
        name: name.get_ref().clone(),
        kind,
        span: name.span(),
    })
}

fn alphabet(d: &mut Diags, a: &Spanned<String>) -> Option<Alphabet> {
    let parsed = Alphabet::parse(a.get_ref());
    if parsed.is_none() {
        let hint = suggest(a.get_ref(), Alphabet::NAMES).map(|s| format!("did you mean `{s}`?"));
        d.error_hint(
            a.span(),
            format!("unknown alphabet; one of {}", Alphabet::NAMES.join(", ")),
            hint,
        );
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b_vector() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn pkce_generator_makes_a_matching_pair() {
        let g = Generator {
            name: "pkce".into(),
            kind: GeneratorKind::PkceS256 {
                length: 43,
                alphabet: Alphabet::Unreserved,
                verifier: None,
            },
            span: 0..0,
        };
        let vals = g.generate(&mut rand::rng());
        let get = |n: &str| vals.iter().find(|(k, _, _)| k == n).unwrap();
        let (_, verifier, secret) = get("pkce.verifier");
        assert!(*secret);
        assert_eq!(verifier.len(), 43);
        assert_eq!(get("pkce.challenge").1, s256_challenge(verifier));
    }
}
