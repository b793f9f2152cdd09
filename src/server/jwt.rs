//! RS256 JWT access tokens (RFC 9068 profile): signing and verification.
//!
//! Verification refuses anything but RS256 with a known `kid` and the
//! `at+jwt` type, checks `iss` and `aud`, and checks `exp`/`nbf` against the
//! server's clock with no leeway (0 s): a token is expired once `exp <= now`.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
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
    let faults = expect.faults;
    // RFC 8725 §3.1, RFC 9068 §4: an Unsecured JWT (`alg: none`, RFC 7519
    // §6) is never accepted. It is well-formed; its algorithm is the reason.
    if unsecured(token) {
        if !faults.breaks(Fault::AlgNoneAccepted) {
            return Err(Rejection::Algorithm);
        }
        let claims = unverified_claims(token)?;
        check_issuer_audience(&claims, expect)?;
        return check_times(claims, expect);
    }
    // Cheap syntax first (RFC 7515 §7.1 compact form): a flood of garbage
    // is refused before any JSON parsing or RSA work.
    if !is_compact_jws(token) {
        return Err(Rejection::Malformed);
    }
    // Any other algorithm jsonwebtoken does not know fails here.
    let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Malformed)?;
    // RFC 8725 §2.1: HS256 keyed with the public key is the alg-confusion
    // attack; only RS256 is accepted.
    let confused = header.alg == Algorithm::HS256 && faults.breaks(Fault::Hs256PublicKeyAccepted);
    if header.alg != Algorithm::RS256 && !confused {
        return Err(Rejection::Algorithm);
    }
    // RFC 9068 §4: reject any `typ` but at+jwt / application/at+jwt.
    let typ_ok = header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(ACCESS_TOKEN_TYP) || t.eq_ignore_ascii_case(ACCESS_TOKEN_MEDIA_TYPE));
    if !typ_ok && !faults.breaks(Fault::TypNotEnforced) {
        return Err(Rejection::Type);
    }
    let key = signing_key(ring, header.kid.as_deref(), faults)?;
    let hmac_key;
    let decoding = if confused {
        hmac_key = DecodingKey::from_secret(key.public_pem.as_bytes());
        &hmac_key
    } else {
        &key.decoding
    };
    // Everything above is cheap; the RSA verification is the first costly
    // step, and only a token with a known `kid` gets there.
    ring.note_verification();
    let data =
        jsonwebtoken::decode::<AccessClaims>(token, decoding, &validation(expect, header.alg)).map_err(|e| match e
            .kind()
        {
            ErrorKind::InvalidSignature => Rejection::Signature,
            ErrorKind::InvalidAlgorithm => Rejection::Algorithm,
            ErrorKind::InvalidIssuer => Rejection::Issuer,
            ErrorKind::InvalidAudience => Rejection::Audience,
            ErrorKind::MissingRequiredClaim(_) => Rejection::MissingClaim,
            _ => Rejection::Malformed,
        })?;
    check_times(data.claims, expect)
}

/// The key the token's `kid` names. RFC 7515 §4.1.4: the `kid` picks the
/// key; a `kid` the JWKS does not hold verifies nothing.
fn signing_key(ring: &KeyRing, kid: Option<&str>, faults: &Faults) -> Result<Arc<SigningKey>, Rejection> {
    match kid.and_then(|kid| ring.find(kid)) {
        Some(key) => Ok(key),
        None if faults.breaks(Fault::UnknownKidFallback) => Ok(ring.current()),
        None => Err(Rejection::UnknownKey),
    }
}

/// `exp` and `nbf` against the server's clock.
fn check_times(claims: AccessClaims, expect: &Expectations<'_>) -> Result<AccessClaims, Rejection> {
    let faults = expect.faults;
    let now = expect.now_secs;
    // RFC 7519 §4.1.4: not accepted on or after `exp`. The RFC allows "some
    // small leeway"; this server allows none.
    let leeway = if faults.breaks(Fault::ExpLeewayHour) {
        3600
    } else if faults.breaks(Fault::ExpLeeway120) {
        120
    } else {
        0
    };
    if claims.exp.saturating_add(leeway) <= now && !faults.breaks(Fault::ExpiredTokenAccepted) {
        return Err(Rejection::Expired);
    }
    // RFC 7519 §4.1.5: not accepted before `nbf`.
    if claims.nbf.is_some_and(|nbf| nbf > now) && !faults.breaks(Fault::NbfIgnored) {
        return Err(Rejection::NotYetValid);
    }
    Ok(claims)
}

/// Three non-empty base64url segments: `header.payload.signature`.
fn is_compact_jws(token: &str) -> bool {
    let mut segments = 0;
    let all_ok = token.split('.').all(|segment| {
        segments += 1;
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    all_ok && segments == 3
}

/// Whether the JOSE header says `alg: none` (in any case).
fn unsecured(token: &str) -> bool {
    let header = token.split('.').next().unwrap_or_default();
    URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .and_then(|h| {
            h.get("alg")
                .and_then(|a| a.as_str())
                .map(|a| a.eq_ignore_ascii_case("none"))
        })
        .unwrap_or(false)
}

/// The payload of an unsecured token, read without any verification (only
/// with the `alg-none-accepted` fault).
fn unverified_claims(token: &str) -> Result<AccessClaims, Rejection> {
    let payload = token.split('.').nth(1).ok_or(Rejection::Malformed)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).map_err(|_| Rejection::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| Rejection::Malformed)
}

/// RFC 9068 §4: `iss` exactly the issuer, `aud` the resource server.
fn check_issuer_audience(claims: &AccessClaims, expect: &Expectations<'_>) -> Result<(), Rejection> {
    if claims.iss != expect.issuer && !expect.faults.breaks(Fault::IssuerNotChecked) {
        return Err(Rejection::Issuer);
    }
    if claims.aud != expect.audience && !expect.faults.breaks(Fault::AudienceNotChecked) {
        return Err(Rejection::Audience);
    }
    Ok(())
}

/// `alg` only (RS256, or HS256 under the alg-confusion fault); time claims
/// are checked by `check_times` against the server's clock, not
/// jsonwebtoken's wall clock.
fn validation(expect: &Expectations<'_>, alg: Algorithm) -> Validation {
    let faults = expect.faults;
    let mut v = Validation::new(alg);
    v.leeway = 0;
    v.validate_exp = false;
    v.validate_nbf = false;
    // RFC 9068 §4: the resource server MUST validate `iss` and `aud`.
    if !faults.breaks(Fault::IssuerNotChecked) {
        v.set_issuer(&[expect.issuer]);
    }
    if faults.breaks(Fault::AudienceNotChecked) {
        v.validate_aud = false;
    } else {
        v.set_audience(&[expect.audience]);
    }
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
    // RFC 7515 §5.2: a JWS whose signature does not validate is refused.
    // The fault keeps every other check of this path, so it uses the
    // (deprecated) switch rather than `dangerous::insecure_decode`.
    if faults.breaks(Fault::SignatureNotVerified) {
        #[allow(deprecated)]
        v.insecure_disable_signature_validation();
    }
    v
}

/// Unpadded base64url, the JWS segment encoding (RFC 7515 §2).
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::test_support::{expectations as expect, signing_key};

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
        assert_eq!(verify(&ring, &expect(NOW), &none), Err(Rejection::Algorithm));
    }
}
