//! RS256 JWT access tokens (RFC 9068 profile): signing and verification.
//!
//! Verification refuses anything but RS256 with a known `kid` and the
//! `at+jwt` type, checks `iss` and `aud`, and checks `exp`/`nbf` against the
//! server's clock with no leeway (0 s): a token is expired once `exp <= now`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};

use super::faults::{Fault, Faults};
use super::signing::{KeyRing, SigningKey};

/// RFC 9068 §2.1: `typ` is `at+jwt`; the full media type is accepted too.
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";
const ACCESS_TOKEN_MEDIA_TYPE: &str = "application/at+jwt";

/// RFC 9068 §2.2 claims, plus the Point11 `tier`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub client_id: String,
    /// Space-separated scope tokens (RFC 9068 §2.2.3).
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    pub jti: String,
    pub tier: String,
}

/// Why a token was refused; each maps to `invalid_token` (RFC 6750 §3.1)
/// with its own description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    Malformed,
    Algorithm,
    Type,
    UnknownKey,
    Signature,
    Issuer,
    Audience,
    MissingClaim,
    Expired,
    NotYetValid,
    Revoked,
    UnknownClient,
}

impl Rejection {
    pub fn description(self) -> &'static str {
        match self {
            Rejection::Malformed => "The access token is not a well-formed JWT",
            Rejection::Algorithm => "The access token must be signed with RS256",
            Rejection::Type => "The access token type must be at+jwt",
            Rejection::UnknownKey => "The access token names no known signing key",
            Rejection::Signature => "The access token signature is invalid",
            Rejection::Issuer => "The access token was issued by another issuer",
            Rejection::Audience => "The access token is meant for another audience",
            Rejection::MissingClaim => "The access token lacks a required claim",
            Rejection::Expired => "The access token expired",
            Rejection::NotYetValid => "The access token is not valid yet",
            Rejection::Revoked => "The access token was revoked",
            Rejection::UnknownClient => "The access token belongs to no known client",
        }
    }
}

/// Signs `claims` as an `at+jwt` with `key`.
pub fn sign(key: &SigningKey, claims: &AccessClaims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(&header(&key.kid), claims, &key.encoding)
}

/// The standard header: RS256, `typ: at+jwt`, the key id.
pub fn header(kid: &str) -> Header {
    let mut header = Header::new(Algorithm::RS256);
    header.typ = Some(ACCESS_TOKEN_TYP.into());
    header.kid = Some(kid.into());
    header
}

/// What a valid token must carry.
#[derive(Debug, Clone)]
pub struct Expectations<'a> {
    pub issuer: &'a str,
    pub audience: &'a str,
    pub now_secs: i64,
    /// Rules to break on purpose (`serve --fault`).
    pub faults: &'a Faults,
}

/// Verifies signature, header and claims. Revocation is the caller's check.
pub fn verify(ring: &KeyRing, expect: &Expectations<'_>, token: &str) -> Result<AccessClaims, Rejection> {
    // An unknown `alg` such as `none` fails here: jsonwebtoken has no such
    // algorithm, so such a token is never verified (RFC 8725 §3.1).
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
    if header.alg != Algorithm::RS256 {
        return Err(Rejection::Algorithm);
    }
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || t.eq_ignore_ascii_case(ACCESS_TOKEN_MEDIA_TYPE));
    if !typ_ok {
        return Err(Rejection::Type);
    }
    let key = header
        .kid
        .as_deref()
        .and_then(|kid| ring.find(kid))
        .ok_or(Rejection::UnknownKey)?;
    let data = jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &validation(expect)).map_err(|e| match e
        .kind()
    {
        ErrorKind::InvalidSignature => Rejection::Signature,
        ErrorKind::InvalidAlgorithm => Rejection::Algorithm,
        ErrorKind::InvalidIssuer => Rejection::Issuer,
        ErrorKind::InvalidAudience => Rejection::Audience,
        ErrorKind::MissingRequiredClaim(_) => Rejection::MissingClaim,
        _ => Rejection::Malformed,
    })?;
    let claims = data.claims;
    // RFC 7519 §4.1.4: not accepted on or after `exp`; no leeway.
    if claims.exp <= expect.now_secs && !expect.faults.breaks(Fault::ExpiredTokenAccepted) {
        return Err(Rejection::Expired);
    }
    // RFC 7519 §4.1.5: not accepted before `nbf`.
    if claims.nbf.is_some_and(|nbf| nbf > expect.now_secs) {
        return Err(Rejection::NotYetValid);
    }
    Ok(claims)
}

/// RS256 only; time claims are checked by `verify` against the server's
/// clock, not jsonwebtoken's wall clock.
fn validation(expect: &Expectations<'_>) -> Validation {
    let mut v = Validation::new(Algorithm::RS256);
    v.leeway = 0;
    v.validate_exp = false;
    v.validate_nbf = false;
    v.set_issuer(&[expect.issuer]);
    // RFC 6750 §5.3, RFC 9700 §2.2.1: tokens are audience-restricted.
    if expect.faults.breaks(Fault::AudienceNotChecked) {
        v.validate_aud = false;
    } else {
        v.set_audience(&[expect.audience]);
    }
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    v
}

/// Unpadded base64url, the JWS segment encoding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::signing_key;

    const NOW: i64 = 1_706_140_800;

    fn claims() -> AccessClaims {
        AccessClaims {
            iss: "https://issuer.test".into(),
            aud: "https://api.test".into(),
            sub: "client".into(),
            client_id: "client".into(),
            scope: "audits:read".into(),
            iat: NOW,
            exp: NOW + 3600,
            nbf: None,
            jti: "j1".into(),
            tier: "standard".into(),
        }
    }

    fn expect(now_secs: i64) -> Expectations<'static> {
        Expectations {
            issuer: "https://issuer.test",
            audience: "https://api.test",
            now_secs,
            faults: &NO_FAULTS,
        }
    }

    static NO_FAULTS: Faults = Faults::none();

    #[test]
    fn round_trip_and_expiry_without_leeway() {
        let key = signing_key();
        let ring = KeyRing::new(key.clone());
        let token = sign(&key, &claims()).unwrap();
        assert_eq!(verify(&ring, &expect(NOW), &token), Ok(claims()));
        assert_eq!(
            verify(&ring, &expect(NOW + 3599), &token).map(|c| c.jti),
            Ok("j1".into())
        );
        assert_eq!(verify(&ring, &expect(NOW + 3600), &token), Err(Rejection::Expired));
    }

    #[test]
    fn wrong_issuer_audience_and_nbf_are_refused() {
        let key = signing_key();
        let ring = KeyRing::new(key.clone());
        let mut c = claims();
        c.iss = "https://evil.test".into();
        assert_eq!(
            verify(&ring, &expect(NOW), &sign(&key, &c).unwrap()),
            Err(Rejection::Issuer)
        );
        let mut c = claims();
        c.aud = "https://other.test".into();
        assert_eq!(
            verify(&ring, &expect(NOW), &sign(&key, &c).unwrap()),
            Err(Rejection::Audience)
        );
        let mut c = claims();
        c.nbf = Some(NOW + 300);
        assert_eq!(
            verify(&ring, &expect(NOW), &sign(&key, &c).unwrap()),
            Err(Rejection::NotYetValid)
        );
    }

    #[test]
    fn header_rules_are_enforced() {
        let key = signing_key();
        let ring = KeyRing::new(key.clone());
        let mut h = header(&key.kid);
        h.typ = Some("JWT".into());
        let token = jsonwebtoken::encode(&h, &claims(), &key.encoding).unwrap();
        assert_eq!(verify(&ring, &expect(NOW), &token), Err(Rejection::Type));
        let token = jsonwebtoken::encode(&header("nope"), &claims(), &key.encoding).unwrap();
        assert_eq!(verify(&ring, &expect(NOW), &token), Err(Rejection::UnknownKey));
        let none = format!(
            "{}.{}.",
            b64url(br#"{"alg":"none","typ":"at+jwt"}"#),
            b64url(&serde_json::to_vec(&claims()).unwrap())
        );
        assert_eq!(verify(&ring, &expect(NOW), &none), Err(Rejection::Malformed));
    }
}
