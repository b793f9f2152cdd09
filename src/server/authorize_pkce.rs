//! The PKCE part of an authorization request (RFC 7636 §4.3, §4.4.1):
//! Point11 requires S256 for every client and refuses `plain`. The faults
//! here loosen exactly one of those rules each.

use super::faults::{Fault, Faults};
use super::params::Params;
use super::pkce;
use crate::fixtures::Client;

/// The challenge to bind to the code, and whether it is a `plain` one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub challenge: String,
    pub plain: bool,
}

/// Point11 requires PKCE with S256 for every client. RFC 7636 §4.3: an
/// omitted method means `plain`, which Point11 refuses like any other
/// method but S256 (§4.4.1: `invalid_request`). Errs with the description
/// of the `invalid_request`.
pub fn challenge(params: &Params, client: &Client, faults: &Faults) -> Result<Bound, &'static str> {
    let Some(challenge) = params.get("code_challenge") else {
        let optional = if client.is_public() {
            faults.breaks(Fault::PkceOptionalPublic)
        } else {
            faults.breaks(Fault::PkceOptionalConfidential) || faults.breaks(Fault::PkceDowngrade)
        };
        if optional {
            // No challenge bound: only `pkce-downgrade` skips the check later.
            return Ok(Bound {
                challenge: String::new(),
                plain: false,
            });
        }
        return Err("code_challenge is required: PKCE with S256");
    };
    let plain = match params.get("code_challenge_method") {
        Some("S256") => false,
        None if faults.breaks(Fault::MissingMethodMeansS256) => false,
        Some("plain") if faults.breaks(Fault::PlainAccepted) => true,
        None | Some("plain") => return Err("code_challenge_method must be S256; plain is not accepted"),
        Some(_) if faults.breaks(Fault::UnknownMethodAsS256) => false,
        Some(_) => return Err("code_challenge_method must be S256"),
    };
    let challenge = if faults.breaks(Fault::ChallengeNormalised) {
        challenge.trim_end_matches('=').replace('+', "-").replace('/', "_")
    } else {
        challenge.to_owned()
    };
    let syntax_ok = if plain {
        pkce::is_valid_verifier(&challenge)
    } else {
        pkce::is_valid_s256_challenge(&challenge)
    };
    if !syntax_ok && !faults.breaks(Fault::ChallengeSyntaxUnchecked) {
        return Err("code_challenge must be the unpadded base64url SHA-256 of the verifier");
    }
    Ok(Bound { challenge, plain })
}
