//! PKCE (RFC 7636): the syntax of challenges and verifiers and the S256
//! comparison. Point11 accepts S256 only.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::jwt::b64url;

/// RFC 7636 §4.1/§4.2: `43*128unreserved`, where unreserved is
/// `ALPHA / DIGIT / "-" / "." / "_" / "~"`.
fn is_43_to_128_unreserved(value: &str) -> bool {
    (43..=128).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// RFC 7636 §4.1 `code-verifier = 43*128unreserved`.
pub fn is_valid_verifier(verifier: &str) -> bool {
    is_43_to_128_unreserved(verifier)
}

/// An S256 challenge is BASE64URL-NOPAD of a 32-byte digest: exactly 43
/// characters of the base64url alphabet. Anything else (standard base64
/// with `+`/`/`, `=` padding, other lengths) can never match a verifier and
/// is refused at the authorization endpoint (RFC 7636 §4.2, §4.4.1).
pub fn is_valid_s256_challenge(challenge: &str) -> bool {
    is_43_to_128_unreserved(challenge)
        && challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
}

/// `BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))` (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

/// RFC 7636 §4.6, compared in constant time.
pub fn verifies(verifier: &str, challenge: &str) -> bool {
    let computed = s256(verifier);
    computed.len() == challenge.len() && bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_b_vector() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(s256(verifier), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(verifies(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!verifies(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="));
        assert!(!verifies(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn verifier_syntax() {
        assert!(!is_valid_verifier(&"a".repeat(42)));
        assert!(is_valid_verifier(&"a".repeat(43)));
        assert!(is_valid_verifier(&"a".repeat(128)));
        assert!(!is_valid_verifier(&"a".repeat(129)));
        assert!(is_valid_verifier(&format!("{}-._~", "a".repeat(60))));
        for bad in ["+", "/", "=", "%"] {
            assert!(!is_valid_verifier(&format!("{}{bad}", "a".repeat(49))), "{bad}");
        }
    }

    #[test]
    fn challenge_syntax() {
        assert!(is_valid_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(!is_valid_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM="));
        assert!(!is_valid_s256_challenge("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM"));
        assert!(!is_valid_s256_challenge(&"a".repeat(42)));
        assert!(!is_valid_s256_challenge(&"a".repeat(129)));
    }
}
