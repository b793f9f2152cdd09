//! The authorization-code grant at the token endpoint (RFC 6749 §4.1.3)
//! with PKCE (RFC 7636 §4.5, §4.6).
//!
//! The code is consumed before anything else is checked: a failed attempt
//! (a wrong verifier, say) uses it up, and a second use is refused and
//! revokes the tokens issued from it (§4.1.2, §10.5).

use axum::response::Response;

use super::AppState;
use super::codes::{CodeGrant, Redemption, Reuse};
use super::faults::{Fault, Faults};
use super::issue;
use super::params::Params;
use super::pkce;
use super::token::Refusal;
use super::token_error::{TokenError, TokenErrorCode};
use crate::fixtures::{Client, Grant};

/// How long a code stays redeemable after its first use under the
/// `code-reuse-window` fault.
const REUSE_WINDOW_MS: i64 = 500;

pub fn exchange(state: &AppState, client: &Client, params: &Params) -> Result<Response, Refusal> {
    let faults = &state.faults;
    if !client.grants.contains(&Grant::AuthorizationCode) {
        return Err(TokenError::new(
            TokenErrorCode::UnauthorizedClient,
            "This client may not use the authorization_code grant",
        )
        .into());
    }
    let code = params
        .get("code")
        .ok_or(if faults.breaks(Fault::MissingCodeInvalidGrant) {
            TokenError::invalid_grant("code is required")
        } else {
            TokenError::invalid_request("code is required")
        })?;
    let reuse = if faults.breaks(Fault::CodeReusable) {
        Reuse::Always
    } else if faults.breaks(Fault::CodeReuseWindow) {
        Reuse::Within {
            window_ms: REUSE_WINDOW_MS,
            now_ms: race_clock_ms(),
        }
    } else {
        Reuse::Never
    };
    let grant = match state.codes.take(code, state.token_ttl_ms(), reuse) {
        Redemption::Fresh(grant) => grant,
        Redemption::Replayed { revoke } => {
            if !faults.breaks(Fault::ReplayKeepsTokens) {
                revoke.into_iter().for_each(|jti| revoke_token(state, jti));
            }
            return Err(TokenError::invalid_grant("The authorization code was already used").into());
        }
        Redemption::Unknown if faults.breaks(Fault::UnknownCodeInvalidRequest) => {
            return Err(TokenError::invalid_request("The authorization code is invalid").into());
        }
        Redemption::Unknown => return Err(TokenError::invalid_grant("The authorization code is invalid").into()),
    };
    check(state, client, params, &grant)?;
    if let Err(e) = verify_pkce(state, params, &grant) {
        if faults.breaks(Fault::FailedExchangeKeepsCode) {
            state.codes.restore(code);
        }
        return Err(e.into());
    }
    let scope = if faults.breaks(Fault::CodeScopeWidened) {
        &client.scopes
    } else {
        &grant.scope
    };
    let issued = issue::access_token(state, client, scope, Grant::AuthorizationCode).map_err(|_| Refusal::Internal)?;
    // A replay that arrived while the token was being signed revokes it, as
    // it would have had the replay come a moment later. The winner of a race
    // still gets its (revoked) token: exactly one redemption succeeds.
    if !state.codes.record_token(code, &issued.jti) && !faults.breaks(Fault::ReplayKeepsTokens) {
        revoke_token(state, issued.jti.clone());
    }
    Ok(issue::success(state, &issued, true))
}

/// What the code is bound to besides PKCE: lifetime, client, redirect URI.
fn check(state: &AppState, client: &Client, params: &Params, grant: &CodeGrant) -> Result<(), TokenError> {
    let faults = &state.faults;
    // §4.1.2: codes expire shortly after issue (code_ttl, server clock).
    if state.clock.now_ms() >= grant.expires_at_ms && !faults.breaks(Fault::CodesNeverExpire) {
        return Err(TokenError::invalid_grant("The authorization code expired"));
    }
    // §4.1.3: the code was issued to the authenticated client.
    let unbound = if client.is_public() {
        faults.breaks(Fault::PublicCodeNotBound)
    } else {
        faults.breaks(Fault::CodeNotBoundToClient)
    };
    if grant.client_id != client.id && !unbound {
        return Err(TokenError::invalid_grant(
            "The authorization code was issued to another client",
        ));
    }
    // §4.1.3: redirect_uri is required if the authorization request held
    // it, and must be identical.
    match params.get("redirect_uri") {
        None if grant.redirect_uri_sent && !faults.breaks(Fault::RedirectUriOptionalAtToken) => Err(
            TokenError::invalid_request("redirect_uri is required because the authorization request included it"),
        ),
        Some(uri) if uri != grant.redirect_uri && !faults.breaks(Fault::RedirectUriNotCompared) => Err(
            TokenError::invalid_grant("redirect_uri differs from the authorization request"),
        ),
        _ => Ok(()),
    }
}

/// RFC 7636 §4.5/§4.6. A `code_challenge_method` sent here is ignored: the
/// method is the one bound to the code (always S256).
fn verify_pkce(state: &AppState, params: &Params, grant: &CodeGrant) -> Result<(), TokenError> {
    let faults = &state.faults;
    // RFC 9700 §2.1.1: a verifier for a code without a challenge is the
    // downgrade attack; only the `pkce-downgrade` fault lets it through.
    if grant.code_challenge.is_empty() && faults.breaks(Fault::PkceDowngrade) {
        return Ok(());
    }
    let Some(verifier) = params.get("code_verifier") else {
        if faults.breaks(Fault::VerifierOptional) {
            return Ok(());
        }
        return Err(TokenError::invalid_grant("code_verifier is required"));
    };
    if !verifier_syntax_ok(verifier, faults) {
        return Err(TokenError::invalid_grant(
            "code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
        ));
    }
    let plain = grant.plain
        || params.get("code_challenge_method") == Some("plain") && faults.breaks(Fault::TokenMethodHonoured);
    let matches = if plain {
        verifier == grant.code_challenge
    } else {
        pkce::verifies(verifier, &grant.code_challenge)
    };
    let lenient = faults.breaks(Fault::VerifierNotChecked)
        || faults.breaks(Fault::ChallengeAsVerifier) && verifier == grant.code_challenge
        || faults.breaks(Fault::VerifierCaseInsensitive)
            && pkce::verifies(&verifier.to_ascii_lowercase(), &grant.code_challenge)
        || faults.breaks(Fault::VerifierAnySession) && state.codes.knows_challenge(&pkce::s256(verifier));
    if !matches && !lenient {
        return Err(TokenError::invalid_grant(
            "code_verifier does not match the code_challenge",
        ));
    }
    Ok(())
}

/// RFC 7636 §4.1 `code-verifier = 43*128unreserved` (`pkce::is_valid_verifier`),
/// with each fault moving one bound or one character class.
fn verifier_syntax_ok(verifier: &str, faults: &Faults) -> bool {
    let len = verifier.len();
    let bytes = || verifier.bytes();
    let unreserved = || bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    if faults.breaks(Fault::VerifierMin42) && len == 42 && unreserved()
        || faults.breaks(Fault::VerifierMax129) && len == 129 && unreserved()
        || faults.breaks(Fault::VerifierCharsetUnchecked)
            && (43..=128).contains(&len)
            && bytes().all(|b| b.is_ascii_graphic())
    {
        return true;
    }
    if faults.breaks(Fault::VerifierMin44) && len == 43
        || faults.breaks(Fault::VerifierMax127) && len == 128
        || faults.breaks(Fault::VerifierAlnumOnly) && !bytes().all(|b| b.is_ascii_alphanumeric())
        || faults.breaks(Fault::VerifierBase64urlOnly) && bytes().any(|b| matches!(b, b'.' | b'~'))
    {
        return false;
    }
    pkce::is_valid_verifier(verifier)
}

fn revoke_token(state: &AppState, jti: String) {
    let now = state.clock.now_secs();
    state.revoked.revoke(jti, now + state.token_ttl_secs(), now);
}

/// Milliseconds on a monotonic clock, for the `code-reuse-window` fault: a
/// race window is real elapsed time, not the server's calendar clock (which
/// a conformance run stops and moves by hand).
fn race_clock_ms() -> i64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let elapsed = START.get_or_init(std::time::Instant::now).elapsed();
    i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
}
