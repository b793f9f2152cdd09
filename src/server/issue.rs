//! Issuing access tokens and the successful token response (RFC 6749
//! §5.1).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::faults::Fault;
use super::jwt::{self, AccessClaims, b64url};
use super::responses::no_store_json;
use crate::fixtures::{Client, Grant};

/// A signed access token and what it grants.
#[derive(Debug)]
pub struct Issued {
    pub access_token: String,
    pub jti: String,
    pub scope: String,
    /// Fixture name of the client it was issued to.
    pub client: String,
    pub public: bool,
    pub grant: Grant,
}

/// Signs a token for `client` with `scope`, valid for the token lifetime
/// from now (server clock).
pub fn access_token(
    state: &AppState,
    client: &Client,
    scope: &[String],
    grant: Grant,
) -> Result<Issued, jsonwebtoken::errors::Error> {
    let now = state.clock.now_secs();
    let faults = &state.faults;
    let lifetime = if faults.breaks_for(Fault::TokenLifetime7200, &client.name) {
        7200
    } else if faults.breaks_for(Fault::ExpiresInMismatch, &client.name) {
        state.token_ttl_secs() - 600
    } else {
        state.token_ttl_secs()
    };
    let claims = AccessClaims {
        iss: state.fixtures.issuer.clone(),
        aud: state.fixtures.audience.clone(),
        sub: client.id.clone(),
        client_id: client.id.clone(),
        scope: scope.join(" "),
        iat: now,
        exp: now + lifetime,
        nbf: None,
        jti: new_jti(),
        tier: client.tier.as_str().to_owned(),
    };
    let key = state.signing.current();
    let mut access_token = if faults.breaks_for(Fault::IssuedTypJwt, &client.name) {
        let mut header = jwt::header(&key.kid);
        header.typ = Some("JWT".into());
        jsonwebtoken::encode(&header, &claims, &key.encoding)?
    } else if faults.breaks_for(Fault::IssuedWithoutJti, &client.name) {
        let mut value = serde_json::to_value(&claims).expect("claims serialize");
        value.as_object_mut().map(|o| o.remove("jti"));
        jsonwebtoken::encode(&jwt::header(&key.kid), &value, &key.encoding)?
    } else {
        jwt::sign(&key, &claims)?
    };
    if faults.breaks_for(Fault::TokenWithIllegalChars, &client.name) {
        access_token.push_str("\"x");
    }
    Ok(Issued {
        access_token,
        jti: claims.jti,
        scope: claims.scope,
        client: client.name.clone(),
        public: client.is_public(),
        grant,
    })
}

/// 128 random bits, base64url.
pub fn new_jti() -> String {
    b64url(&rand::random::<[u8; 16]>())
}

/// RFC 6749 §5.1: 200, JSON members at top level, `expires_in` a number,
/// `scope` present unless `report_scope` is off, no refresh token,
/// `no-store`/`no-cache`.
pub fn success(state: &AppState, issued: &Issued, report_scope: bool) -> Response {
    let faults = &state.faults;
    let narrow = |fault| faults.breaks_for(fault, &issued.client);
    let mut body = json!({
        "access_token": if narrow(Fault::AccessTokenEmpty) { "" } else { issued.access_token.as_str() },
        "token_type": if narrow(Fault::TokenTypeMac) { "mac" } else { "Bearer" },
        "expires_in": if narrow(Fault::ExpiresInString) {
            json!(state.token_ttl_secs().to_string())
        } else {
            json!(state.token_ttl_secs())
        },
        "scope": if narrow(Fault::ScopeArray) {
            json!(issued.scope.split(' ').collect::<Vec<_>>())
        } else {
            json!(issued.scope)
        },
    });
    if !report_scope {
        body.as_object_mut().map(|o| o.remove("scope"));
    }
    let refresh = issued.grant == Grant::ClientCredentials && faults.breaks(Fault::CcRefreshToken)
        || issued.public && faults.breaks(Fault::PublicRefreshToken);
    if refresh {
        body["refresh_token"] = json!(new_jti());
    }
    if narrow(Fault::TokenResponseWrapped) {
        body = json!({ "data": body });
    }
    let status = if narrow(Fault::TokenStatus201) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut response = no_store_json(status, body);
    let headers = response.headers_mut();
    if narrow(Fault::TokenContentTypeText) {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    }
    if narrow(Fault::TokenCacheable) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("max-age=300"));
    }
    if narrow(Fault::TokenNoPragma) {
        headers.remove(header::PRAGMA);
    }
    response
}
