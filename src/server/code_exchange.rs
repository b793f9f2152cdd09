//! The authorization-code grant at the token endpoint (RFC 6749 §4.1.3)
//! with PKCE (RFC 7636 §4.5, §4.6).
//!
//! The code is consumed before anything else is checked: a failed attempt
//! (a wrong verifier, say) uses it up, and a second use is refused and
//! revokes the tokens issued from it (§4.1.2, §10.5).

use axum::response::Response;

use super::AppState;
use super::codes::{CodeGrant, Redemption};
use super::faults::Fault;
use super::issue;
use super::params::Params;
use super::pkce;
use super::token::Refusal;
use super::token_error::{TokenError, TokenErrorCode};
use crate::fixtures::{Client, Grant};

pub fn exchange(state: &AppState, client: &Client, params: &Params) -> Result<Response, Refusal> {
    if !client.grants.contains(&Grant::AuthorizationCode) {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "This client may not use the authorization_code grant",
        )
        .into());
    }
    let code = params
        .get("code")
        .ok_or(TokenError::invalid_request("code is required"))?;
    let single_use = !state.faults.breaks(Fault::CodeReusable);
    let grant = match state.codes.take(code, state.token_ttl_ms(), single_use) {
        Redemption::Fresh(grant) => grant,
        Redemption::Replayed { revoke } => {
            revoke.into_iter().for_each(|jti| revoke_token(state, jti));
            return Err(TokenError::invalid_grant("The authorization code was already used").into());
        }
        Redemption::Unknown => return Err(TokenError::invalid_grant("The authorization code is invalid").into()),
    };
    check(state, client, params, &grant)?;
    let scope = if state.faults.breaks(Fault::CodeScopeWidened) {
        &client.scopes
    } else {
        &grant.scope
    };
    let issued = issue::access_token(state, client, scope).map_err(|_| Refusal::Internal)?;
    // A replay that arrived while the token was being signed revokes it, as
    // it would have had the replay come a moment later. The winner of a race
    // still gets its (revoked) token: exactly one redemption succeeds.
    if !state.codes.record_token(code, &issued.jti) {
        revoke_token(state, issued.jti.clone());
    }
    Ok(issue::success(state, &issued))
}

/// Everything the code is bound to: lifetime, client, redirect URI and the
/// PKCE challenge.
fn check(state: &AppState, client: &Client, params: &Params, grant: &CodeGrant) -> Result<(), TokenError> {
    // §4.1.2: codes expire shortly after issue (code_ttl, server clock).
    if state.clock.now_ms() >= grant.expires_at_ms {
        return Err(TokenError::invalid_grant("The authorization code expired"));
    }
    // §4.1.3: the code was issued to the authenticated client.
    if grant.client_id != client.id {
        return Err(TokenError::invalid_grant(
            "The authorization code was issued to another client",
        ));
    }
    // §4.1.3: redirect_uri is required if the authorization request held
    // it, and must be identical.
    match params.get("redirect_uri") {
        None if grant.redirect_uri_sent => {
            return Err(TokenError::invalid_request(
                "redirect_uri is required because the authorization request included it",
            ));
        }
        Some(uri) if uri != grant.redirect_uri => {
            return Err(TokenError::invalid_grant(
                "redirect_uri differs from the authorization request",
            ));
        }
        _ => {}
    }
    // RFC 7636 §4.5/§4.6; a `code_challenge_method` sent here is ignored:
    // the method is the one bound to the code (always S256).
    let verifier = params
        .get("code_verifier")
        .ok_or(TokenError::invalid_grant("code_verifier is required"))?;
    let alnum_only =
        state.faults.breaks(Fault::VerifierAlnumOnly) && !verifier.bytes().all(|b| b.is_ascii_alphanumeric());
    if !pkce::is_valid_verifier(verifier) || alnum_only {
        return Err(TokenError::invalid_grant(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
        ));
    }
    if !pkce::verifies(verifier, &grant.code_challenge) && !state.faults.breaks(Fault::VerifierNotChecked) {
        return Err(TokenError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    Ok(())
}

fn revoke_token(state: &AppState, jti: String) {
    let now = state.clock.now_secs();
    state.revoked.revoke(jti, now + state.token_ttl_secs(), now);
}
