//! Scope parameters (RFC 6749 §3.3): syntax, and the set a client may get.

use super::faults::{Fault, Faults};

/// Why a requested scope was refused; every case is `invalid_scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeError {
    Malformed,
    NotAllowed,
}

impl ScopeError {
    pub fn description(self) -> &'static str {
        match self {
            ScopeError::Malformed => "The scope must be scope tokens separated by single spaces",
            ScopeError::NotAllowed => "The requested scope is unknown or not allowed for this client",
        }
    }
}

/// RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`.
fn is_scope_token(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The granted scope for a request: the requested tokens when every one is
/// allowed (case-sensitive; order and repetition do not matter), or the
/// client's full allowed set when none was requested. Unknown or not allowed
/// tokens fail the request rather than being dropped silently. The result
/// follows the order of `allowed`, so equal sets give equal strings.
pub fn resolve(requested: Option<&str>, allowed: &[String], faults: &Faults) -> Result<Vec<String>, ScopeError> {
    let Some(requested) = requested else {
        if faults.breaks(Fault::OmittedScopeEmptyGrant) {
            return Ok(Vec::new());
        }
        return Ok(allowed.to_vec());
    };
    // `scope = scope-token *( SP scope-token )`: single spaces, no leading
    // or trailing space; splitting on ' ' yields an empty token otherwise.
    let mut tokens: Vec<&str> = if faults.breaks(Fault::ScopeSyntaxLenient) {
        requested.split_whitespace().collect()
    } else {
        requested.split(' ').collect()
    };
    if !tokens.iter().all(|t| is_scope_token(t)) {
        return Err(ScopeError::Malformed);
    }
    if faults.breaks(Fault::MultiScopeFirstOnly) {
        tokens.truncate(1);
    }
    // §3.3: scope tokens are case-sensitive.
    let same = |a: &str, t: &str| a == t || faults.breaks(Fault::ScopeCaseInsensitive) && a.eq_ignore_ascii_case(t);
    let in_allowed_order = tokens.windows(2).all(|w| {
        let pos = |t: &str| allowed.iter().position(|a| a == t);
        pos(w[0]) <= pos(w[1])
    });
    if faults.breaks(Fault::ScopeOrderSensitive) && !in_allowed_order {
        return Err(ScopeError::NotAllowed);
    }
    if !tokens.iter().all(|t| allowed.iter().any(|a| same(a, t))) {
        if faults.breaks(Fault::UnknownScopeDropped) {
            let kept: Vec<String> = allowed
                .iter()
                .filter(|a| tokens.contains(&a.as_str()))
                .cloned()
                .collect();
            return Ok(if kept.is_empty() { allowed.to_vec() } else { kept });
        }
        return Err(ScopeError::NotAllowed);
    }
    Ok(allowed
        .iter()
        .filter(|a| tokens.iter().any(|t| same(a, t)))
        .cloned()
        .collect())
}

/// The allowed part of `requested` (the `narrowed-scope-unreported` fault).
pub fn narrowed(requested: &str, allowed: &[String]) -> Vec<String> {
    allowed
        .iter()
        .filter(|a| requested.split(' ').any(|t| t == a.as_str()))
        .cloned()
        .collect()
}

/// Whether `granted` (space-separated) holds `needed`.
pub fn holds(granted: &str, needed: &str) -> bool {
    granted.split(' ').any(|t| t == needed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Vec<String> {
        vec!["audits:read".into(), "analytics:read".into()]
    }

    #[test]
    fn order_and_duplicates_do_not_matter() {
        let a = resolve(Some("analytics:read audits:read"), &allowed(), &Faults::none()).unwrap();
        let b = resolve(
            Some("audits:read analytics:read audits:read"),
            &allowed(),
            &Faults::none(),
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.join(" "), "audits:read analytics:read");
    }

    #[test]
    fn omitted_scope_is_the_full_allowed_set() {
        assert_eq!(resolve(None, &allowed(), &Faults::none()).unwrap(), allowed());
    }

    #[test]
    fn refusals() {
        assert_eq!(
            resolve(Some("AUDITS:READ"), &allowed(), &Faults::none()),
            Err(ScopeError::NotAllowed)
        );
        assert_eq!(
            resolve(Some("audits:read audits:write"), &allowed(), &Faults::none()),
            Err(ScopeError::NotAllowed)
        );
        assert_eq!(
            resolve(Some("audits:read  analytics:read"), &allowed(), &Faults::none()),
            Err(ScopeError::Malformed)
        );
        assert_eq!(
            resolve(Some(" audits:read"), &allowed(), &Faults::none()),
            Err(ScopeError::Malformed)
        );
        assert_eq!(
            resolve(Some("a\"b"), &allowed(), &Faults::none()),
            Err(ScopeError::Malformed)
        );
        assert_eq!(
            resolve(Some("a\\b"), &allowed(), &Faults::none()),
            Err(ScopeError::Malformed)
        );
    }

    #[test]
    fn holds_matches_whole_tokens() {
        assert!(holds("audits:read analytics:read", "analytics:read"));
        assert!(!holds("audits:readx", "audits:read"));
    }
}
