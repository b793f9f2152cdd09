//! Minting access tokens on the harness's request, valid or deliberately
//! broken (expired, not yet valid, wrong issuer or audience, wrong type,
//! unknown key, `alg: none`, HS256 keyed with the RSA public key, a flipped
//! signature bit), for the JWT negative checks (RFC 7519, RFC 8725,
//! RFC 9068).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::issue::new_jti;
use super::jwt::{self, ACCESS_TOKEN_TYP, AccessClaims, b64url};

/// `POST /_harness/tokens`. Omitted fields take the values a real token
/// would have.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    /// Fixture name, e.g. `C_BASIC`.
    pub client: String,
    /// Taken as given (not checked against the client's scopes).
    pub scope: Option<String>,
    /// `exp = now + exp_offset_secs` (default: the token lifetime).
    pub exp_offset_secs: Option<i64>,
    /// `nbf = now + nbf_offset_secs` (default: no `nbf`).
    pub nbf_offset_secs: Option<i64>,
    pub iss: Option<String>,
    pub aud: Option<String>,
    /// Header `typ`; an empty string leaves it out.
    pub typ: Option<String>,
    pub kid: Option<String>,
    pub alg: Option<ForgedAlg>,
    pub tamper: Option<Tamper>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ForgedAlg {
    /// Unsigned (RFC 8725 §3.1 says never accept it).
    #[serde(rename = "none")]
    None,
    /// HMAC keyed with the server's RSA public key PEM: the alg-confusion
    /// attack (RFC 8725 §2.1).
    #[serde(rename = "HS256-pubkey")]
    Hs256PublicKey,
    RS256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tamper {
    /// Flip one bit of the signature.
    Signature,
}

#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("no client fixture named {0}")]
    UnknownClient(String),
    #[error("cannot sign the token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

pub fn mint(state: &AppState, request: &MintRequest) -> Result<String, MintError> {
    let fixtures = &state.fixtures;
    let client = fixtures
        .client(&request.client)
        .ok_or_else(|| MintError::UnknownClient(request.client.clone()))?;
    let now = state.clock.now_secs();
    let claims = AccessClaims {
        iss: request.iss.clone().unwrap_or_else(|| fixtures.issuer.clone()),
        aud: request.aud.clone().unwrap_or_else(|| fixtures.audience.clone()),
        sub: client.id.clone(),
        client_id: client.id.clone(),
        scope: request.scope.clone().unwrap_or_else(|| client.scopes.join(" ")),
        iat: now,
        // Saturating: the offsets come from the harness's JSON as any i64.
        exp: now.saturating_add(request.exp_offset_secs.unwrap_or_else(|| state.token_ttl_secs())),
        nbf: request.nbf_offset_secs.map(|offset| now.saturating_add(offset)),
        jti: new_jti(),
        tier: client.tier.as_str().to_owned(),
    };
    let key = state.signing.current();
    let kid = request.kid.clone().unwrap_or_else(|| key.kid.clone());
    let typ = match request.typ.as_deref() {
        None => Some(ACCESS_TOKEN_TYP.to_owned()),
        Some("") => None,
        Some(typ) => Some(typ.to_owned()),
    };
    let mut header = jwt::header(&kid);
    header.typ = typ.clone();
    let token = match request.alg.unwrap_or(ForgedAlg::RS256) {
        ForgedAlg::RS256 => jsonwebtoken::encode(&header, &claims, &key.encoding)?,
        ForgedAlg::Hs256PublicKey => {
            header.alg = Algorithm::HS256;
            jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(key.public_pem.as_bytes()))?
        }
        ForgedAlg::None => unsigned(&claims, typ.as_deref(), &kid),
    };
    Ok(match request.tamper {
        Some(Tamper::Signature) => flip_signature_bit(&token),
        None => token,
    })
}

/// `alg: none` with an empty signature.
fn unsigned(claims: &AccessClaims, typ: Option<&str>, kid: &str) -> String {
    let mut header = json!({"alg": "none", "kid": kid});
    if let Some(typ) = typ {
        header["typ"] = json!(typ);
    }
    let payload = serde_json::to_vec(claims).expect("claims serialize");
    format!("{}.{}.", b64url(header.to_string().as_bytes()), b64url(&payload))
}

/// Flips the lowest bit of the signature's first byte (no-op when unsigned).
fn flip_signature_bit(token: &str) -> String {
    let Some((message, signature)) = token.rsplit_once('.') else {
        return token.to_owned();
    };
    match URL_SAFE_NO_PAD.decode(signature) {
        Ok(mut bytes) if !bytes.is_empty() => {
            bytes[0] ^= 1;
            format!("{message}.{}", b64url(&bytes))
        }
        _ => token.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::jwt::{Expectations, Rejection, verify};
    use crate::server::test_support::state;

    fn check(state: &AppState, request: MintRequest) -> Result<AccessClaims, Rejection> {
        let token = mint(state, &request).unwrap();
        let expect = Expectations {
            issuer: &state.fixtures.issuer,
            audience: &state.fixtures.audience,
            now_secs: state.clock.now_secs(),
            faults: &state.faults,
        };
        verify(&state.signing, &expect, &token)
    }

    fn request(f: impl FnOnce(&mut MintRequest)) -> MintRequest {
        let mut r = MintRequest {
            client: "C_BASIC".into(),
            ..Default::default()
        };
        f(&mut r);
        r
    }

    #[test]
    fn default_request_mints_a_valid_token() {
        let state = state();
        let claims = check(&state, request(|_| {})).unwrap();
        assert_eq!(claims.scope, "audits:read analytics:read");
        assert_eq!(claims.exp - claims.iat, 3600);
    }

    #[test]
    fn each_forgery_is_refused() {
        let state = state();
        type Case = (fn(&mut MintRequest), Rejection);
        let cases: [Case; 8] = [
            (|r| r.alg = Some(ForgedAlg::None), Rejection::Algorithm),
            (|r| r.alg = Some(ForgedAlg::Hs256PublicKey), Rejection::Algorithm),
            (|r| r.tamper = Some(Tamper::Signature), Rejection::Signature),
            (|r| r.kid = Some("unknown".into()), Rejection::UnknownKey),
            (|r| r.typ = Some("JWT".into()), Rejection::Type),
            (|r| r.iss = Some("https://evil.test".into()), Rejection::Issuer),
            (|r| r.exp_offset_secs = Some(-1), Rejection::Expired),
            (|r| r.nbf_offset_secs = Some(300), Rejection::NotYetValid),
        ];
        for (i, (edit, expected)) in cases.into_iter().enumerate() {
            assert_eq!(check(&state, request(edit)), Err(expected), "case {i}");
        }
    }
}
