//! The fault catalogue: one entry per rule, with the checks it must trip
//! (and, after `also`, the checks that stand on the broken behaviour and may
//! change with it).

macro_rules! faults {
    ($( $variant:ident = $name:literal : $description:literal => [$($trip:literal),+ $(,)?]
        $(also [$($also:literal),+ $(,)?])?; )+) => {
        /// One way to break one rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Fault {
            $($variant,)+
        }

        impl Fault {
            /// Every fault, in catalogue order.
            pub const ALL: &'static [Fault] = &[$(Fault::$variant,)+];

            /// The name used by `--fault` and `--server-fault`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Fault::$variant => $name,)+
                }
            }

            /// What the server does wrong when this fault is on.
            pub fn description(self) -> &'static str {
                match self {
                    $(Fault::$variant => $description,)+
                }
            }

            /// The check ids (scenario ids) that must report this fault.
            pub fn trips(self) -> &'static [&'static str] {
                match self {
                    $(Fault::$variant => &[$($trip),+],)+
                }
            }

            /// Checks that may also change because they stand on the broken
            /// behaviour before they reach their own rule (a token endpoint
            /// that answers 201 stops every check that first needs a token).
            /// They need not fail; every check in neither list must pass.
            pub fn collateral(self) -> &'static [&'static str] {
                match self {
                    $(Fault::$variant => &[$($($also),+)?],)+
                }
            }
        }
    };
}

faults! {
    // RFC 6749 §2.3: client authentication.
    BasicNotFormDecoded = "basic-not-form-decoded":
        "HTTP Basic credentials are used as sent, without form-decoding the id and secret (RFC 6749 §2.3.1)"
        => ["RFC6749-2.3.1-basic-form-urlencoding"];
    TwoAuthMethodsAccepted = "two-auth-methods-accepted":
        "Basic credentials plus client_secret in the body are accepted (RFC 6749 §2.3)"
        => ["RFC6749-2.3-single-auth-method"];
    BodySecretNotChecked = "body-secret-not-checked":
        "client_secret in the body is not compared with the client's secret (RFC 6749 §2.3.1)"
        => ["RFC6749-5.2-invalid_client-body"];
    InvalidClient400 = "invalid-client-400":
        "A failed client authentication gets 400 without a challenge instead of 401 + WWW-Authenticate: Basic (RFC 6749 §5.2)"
        => ["RFC6749-5.2-invalid_client-basic-401", "RFC6749-5.2-invalid_client-basic-malformed", "RFC6749-5.2-invalid_client-basic-unknown-id", "RFC6749-5.2-invalid_client-unsupported-scheme"];

    BodyCredentialsRefused = "body-credentials-refused":
        "client_id/client_secret in the body are refused; Point11 supports them (RFC 6749 §2.3.1 MAY)"
        => ["RFC6749-2.3.1-body-credentials"]
        also ["P11-ratelimit-token-endpoint"];
    UriCredentialsAccepted = "uri-credentials-accepted":
        "client_id/client_secret in the request URI are used to authenticate the client (RFC 6749 §2.3.1)"
        => ["RFC6749-2.3.1-no-credentials-in-uri"];
    NoAuthThrottling = "no-auth-throttling":
        "Failed client authentications are never throttled (RFC 6749 §2.3.1 brute-force protection)"
        => ["RFC6749-2.3.1-bruteforce-protection", "P11-ratelimit-token-endpoint"];
    UnknownClientInvalidRequest = "unknown-client-invalid-request":
        "An unknown client id over Basic gets 400 invalid_request instead of 401 invalid_client (RFC 6749 §5.2)"
        => ["RFC6749-5.2-invalid_client-basic-unknown-id"]
        also ["RFC6749-5.2-client-before-grant"];
    MalformedBasic500 = "malformed-basic-500":
        "An Authorization: Basic value that does not decode crashes the token endpoint: 500 (RFC 6749 §5.2)"
        => ["RFC6749-5.2-invalid_client-basic-malformed"];
    ConfidentialWithoutSecret = "confidential-without-secret":
        "A confidential client that sends only its client_id is authenticated (RFC 6749 §3.2.1, §5.2)"
        => ["RFC6749-5.2-invalid_client-none", "RFC6749-3.2.1-confidential-must-authenticate"];
    CodeExchangeWithoutSecret = "code-exchange-without-secret":
        "A confidential client may redeem a code with its client_id alone (RFC 6749 §3.2.1)"
        => ["RFC6749-3.2.1-confidential-must-authenticate"];
    PublicExchangeWithoutClientId = "public-exchange-without-client-id":
        "A public client's code exchange without client_id is accepted, the client taken from the code (RFC 6749 §3.2.1)"
        => ["RFC6749-3.2.1-public-client_id-required"];
    TokenOtherSchemeInvalidRequest = "token-other-scheme-invalid-request":
        "Authorization: Digest or Bearer at the token endpoint gets 400 invalid_request without a Basic challenge (RFC 6749 §5.2)"
        => ["RFC6749-5.2-invalid_client-unsupported-scheme"];
    GrantBeforeClient = "grant-before-client":
        "The code is checked before the client is authenticated: an unknown client learns invalid_grant (RFC 6749 §5.2)"
        => ["RFC6749-5.2-client-before-grant"]
        also ["RFC6749-4.1.2-code-reuse-revokes", "RFC6749-4.1.3-missing-code"];

    // RFC 6749 §3.2 and §5.2: the token endpoint.
    TokenGetAccepted = "token-get-accepted":
        "GET on the token endpoint is processed like POST, with the parameters in the query (RFC 6749 §3.2)"
        => ["RFC6749-3.2-post-required"];
    DuplicateGrantTypeAccepted = "duplicate-grant-type-accepted":
        "A repeated grant_type is not refused (RFC 6749 §3.2)"
        => ["RFC6749-3.2-duplicate-grant_type"];
    MissingGrantTypeDefaults = "missing-grant-type-defaults":
        "A token request without grant_type is treated as client_credentials (RFC 6749 §5.2)"
        => ["RFC6749-5.2-missing-grant_type"];
    UnknownGrantInvalidRequest = "unknown-grant-invalid-request":
        "An unsupported grant_type gets invalid_request instead of unsupported_grant_type (RFC 6749 §5.2)"
        => ["RFC6749-5.2-unsupported_grant_type", "RFC9700-2.4-ropc-disabled"];
    TokenEmptyParamKept = "token-empty-param-kept":
        "A token request parameter sent without a value is not treated as omitted (RFC 6749 §3.2)"
        => ["RFC6749-3.2-empty-param-omitted"];
    UnknownTokenParamRefused = "unknown-token-param-refused":
        "Unknown token request parameters are refused instead of ignored (RFC 6749 §3.2)"
        => ["RFC6749-3.2-unknown-param-ignored", "RFC7636-4.6-method-in-token-request-ignored"];
    DuplicateScopeAccepted = "duplicate-scope-accepted":
        "A repeated scope parameter is not refused (RFC 6749 §3.2)"
        => ["RFC6749-3.2-duplicate-scope"];
    DuplicateClientIdAccepted = "duplicate-client-id-accepted":
        "A repeated client_id parameter is not refused (RFC 6749 §3.2, §5.2 multiple credentials)"
        => ["RFC6749-3.2-duplicate-credential"];
    JsonTokenRequestAccepted = "json-token-request-accepted":
        "A JSON token request body is accepted (RFC 6749 §3.2: application/x-www-form-urlencoded)"
        => ["RFC6749-3.2-form-encoding"];
    ErrorStatus422 = "error-status-422":
        "One token error (client_secret without client_id) answers 422 instead of 400 (RFC 6749 §5.2)"
        => ["RFC6749-5.2-status-400"]
        also ["RFC6749-5.2-no-store-on-error"];
    ErrorBodyText = "error-body-text":
        "One token error (client_secret without client_id) has a text/plain body (RFC 6749 §5.2)"
        => ["RFC6749-5.2-json-body"]
        also ["RFC6749-5.2-charset", "RFC6749-5.2-no-store-on-error", "RFC6749-5.2-status-400"];
    ErrorDescriptionQuote = "error-description-quote":
        "One token error's error_description holds a double quote (RFC 6749 §5.2 character set)"
        => ["RFC6749-5.2-charset"];
    ErrorCacheable = "error-cacheable":
        "One token error is sent without Cache-Control: no-store (RFC 6749 §5.2 example, OAuth 2.1)"
        => ["RFC6749-5.2-no-store-on-error"];
    UnknownScopeDropped = "unknown-scope-dropped":
        "Unknown scope tokens are dropped silently and the rest granted (RFC 6749 §5.2 invalid_scope)"
        => ["RFC6749-5.2-invalid_scope-unknown"]
        also ["RFC6749-3.3-case-sensitive", "RFC6749-4.1.2.1-error-carries-state", "RFC6749-4.1.2.1-no-code-with-error"];

    // RFC 6749 §4.4: client credentials.
    CcIgnoresRequestedScope = "cc-ignores-requested-scope":
        "The client credentials grant issues every scope the client may have, whatever it asked for (RFC 6749 §3.3, §4.4.2)"
        => ["RFC6749-4.4.2-happy", "RFC6749-2.3.1-basic-supported", "RFC6749-5.2-invalid_scope-unknown", "RFC6750-3.1-insufficient_scope"]
        also ["RFC6749-3.3-case-sensitive", "RFC6749-3.3-narrowed-scope-reported", "RFC6749-3.3-scope-syntax"];
    CcGrantNotChecked = "cc-grant-not-checked":
        "Clients not registered for client_credentials may use it (RFC 6749 §4.4, unauthorized_client)"
        => ["RFC6749-4.4-unauthorized_client"];

    CcAnonymousAllowed = "cc-anonymous-allowed":
        "A client credentials request without client authentication gets a token (RFC 6749 §4.4.2)"
        => ["RFC6749-4.4.2-auth-required"];
    PublicCcAllowed = "public-cc-allowed":
        "A public client may use the client credentials grant (RFC 6749 §4.4)"
        => ["RFC6749-4.4-public-client-rejected"];
    CcRefreshToken = "cc-refresh-token":
        "The client credentials response carries a refresh_token (RFC 6749 §4.4.3 SHOULD NOT)"
        => ["RFC6749-4.4.3-no-refresh-token"]
        also ["RFC6749-4.4.2-happy"];

    // RFC 6749 §3.3: scope.
    MultiScopeFirstOnly = "multi-scope-first-only":
        "Of several requested scope tokens only the first is granted, and the response says so (RFC 6749 §3.3)"
        => ["RFC6749-3.3-multi-scope", "RFC6749-3.3-order-insensitive"];
    ScopeOrderSensitive = "scope-order-sensitive":
        "Scope tokens in another order than the server's list are refused (RFC 6749 §3.3: the order does not matter)"
        => ["RFC6749-3.3-order-insensitive"];
    ScopeCaseInsensitive = "scope-case-insensitive":
        "Scope tokens are compared ignoring case: AUDITS:READ grants audits:read (RFC 6749 §3.3)"
        => ["RFC6749-3.3-case-sensitive"];
    NarrowedScopeUnreported = "narrowed-scope-unreported":
        "Scope tokens the client may not have are dropped and the response omits scope (RFC 6749 §3.3, §5.1)"
        => ["RFC6749-3.3-narrowed-scope-reported"]
        also ["RFC6749-5.2-invalid_scope-unknown"];
    OmittedScopeEmptyGrant = "omitted-scope-empty-grant":
        "A request without scope gets a token with an empty scope instead of the default (RFC 6749 §3.3)"
        => ["RFC6749-3.3-omitted-scope"];
    ScopeSyntaxLenient = "scope-syntax-lenient":
        "Scope tokens separated by several spaces are accepted (RFC 6749 §3.3 syntax)"
        => ["RFC6749-3.3-scope-syntax"];

    // RFC 6749 §5.1: the token response. These act on C_B only (`breaks_for`).
    TokenStatus201 = "token-status-201":
        "C_B's token responses are 201 instead of 200 (RFC 6749 §5.1)"
        => ["RFC6749-5.1-status-200"]
        also ["JWT-9068-issued-claims", "JWT-9068-issued-header", "JWT-p11-lifetime-consistent", "RFC6749-5.1-access_token", "RFC6749-5.1-cache-control-no-store", "RFC6749-5.1-content-type", "RFC6749-5.1-expires_in", "RFC6749-5.1-pragma-no-cache", "RFC6749-5.1-scope-format", "RFC6749-5.1-token_type", "RFC6749-5.1-top-level-members", "RFC6750-2.1-b64token-issued", "RFC6750-5.3-short-lived"];
    TokenContentTypeText = "token-content-type-text":
        "C_B's token responses say Content-Type: text/plain (RFC 6749 §5.1)"
        => ["RFC6749-5.1-content-type"];
    TokenCacheable = "token-cacheable":
        "C_B's token responses are cacheable (Cache-Control without no-store, RFC 6749 §5.1)"
        => ["RFC6749-5.1-cache-control-no-store"];
    TokenNoPragma = "token-no-pragma":
        "C_B's token responses lack Pragma: no-cache (RFC 6749 §5.1)"
        => ["RFC6749-5.1-pragma-no-cache"];
    AccessTokenEmpty = "access-token-empty":
        "C_B's token responses carry an empty access_token (RFC 6749 §5.1)"
        => ["RFC6749-5.1-access_token"]
        also ["JWT-9068-issued-claims", "JWT-9068-issued-header", "JWT-p11-lifetime-consistent", "RFC6750-2.1-b64token-issued", "RFC6750-5.3-short-lived"];
    TokenTypeMac = "token-type-mac":
        "C_B's token responses say token_type mac (RFC 6749 §5.1, RFC 6750)"
        => ["RFC6749-5.1-token_type"];
    ExpiresInString = "expires-in-string":
        "C_B's token responses carry expires_in as a string, \"3600\" (RFC 6749 §5.1)"
        => ["RFC6749-5.1-expires_in"]
        also ["JWT-p11-lifetime-consistent"];
    ScopeArray = "scope-array":
        "C_B's token responses carry scope as a JSON array (RFC 6749 §5.1, §3.3)"
        => ["RFC6749-5.1-scope-format"];
    TokenResponseWrapped = "token-response-wrapped":
        "C_B's token responses wrap the members in a data object (RFC 6749 §5.1)"
        => ["RFC6749-5.1-top-level-members"]
        also ["JWT-9068-issued-claims", "JWT-9068-issued-header", "JWT-p11-lifetime-consistent", "RFC6749-5.1-access_token", "RFC6749-5.1-expires_in", "RFC6749-5.1-token_type", "RFC6750-2.1-b64token-issued", "RFC6750-5.3-short-lived"];

    // JWT access tokens as issued (RFC 9068). These act on C_B only.
    IssuedTypJwt = "issued-typ-jwt":
        "C_B's access tokens are issued with typ JWT instead of at+jwt (RFC 9068 §2.1)"
        => ["JWT-9068-issued-header"];
    IssuedWithoutJti = "issued-without-jti":
        "C_B's access tokens lack the jti claim (RFC 9068 §2.2)"
        => ["JWT-9068-issued-claims"];
    ExpiresInMismatch = "expires-in-mismatch":
        "C_B's access tokens expire 600 s before expires_in says (Point11: exp - iat = expires_in = 3600)"
        => ["JWT-p11-lifetime-consistent"];
    TokenLifetime7200 = "token-lifetime-7200":
        "C_B's access tokens live two hours (RFC 6750 §5.3: one hour or less; Point11: 3600 s)"
        => ["RFC6750-5.3-short-lived", "JWT-p11-lifetime-consistent"];
    TokenWithIllegalChars = "token-with-illegal-chars":
        "C_B's access tokens hold characters outside b64token (RFC 6750 §2.1)"
        => ["RFC6750-2.1-b64token-issued"];
    PublicRefreshToken = "public-refresh-token":
        "Public clients get a refresh_token; Point11 issues none, so rotation is never needed (RFC 9700 §4.14)"
        => ["RFC9700-4.14-refresh-rotation"];

    // JWT validation at the resource server (RFC 7515, RFC 7519, RFC 8725,
    // RFC 9068 §4). See `jwt.rs`. The JWT-* checks mint their tokens through
    // the admin control and send them to /v1/audits.
    SignatureNotVerified = "signature-not-verified":
        "Access token signatures are not verified: a flipped bit is accepted (RFC 7515 §5.2, RFC 9068 §4)"
        => ["JWT-7515-bad-signature"];
    ExpLeewayHour = "exp-leeway-hour":
        "exp is checked with an hour of leeway (RFC 7519 §4.1.4: a small leeway, usually no more than a few minutes)"
        => ["JWT-7519-exp", "JWT-clock-skew"]
        also ["RFC6750-3.1-expired"];
    ExpLeeway120 = "exp-leeway-120":
        "exp is checked with 120 s of leeway (RFC 7519 §4.1.4 allows a small leeway; CHECKS.md advises 60 s at most)"
        => ["JWT-clock-skew"]
        also ["RFC6750-3.1-expired"];
    NbfIgnored = "nbf-ignored":
        "Access tokens are accepted before their nbf (RFC 7519 §4.1.5)"
        => ["JWT-7519-nbf"];
    Hs256PublicKeyAccepted = "hs256-pubkey-accepted":
        "HS256 access tokens are verified with the RSA public key PEM as the HMAC secret: alg confusion (RFC 8725 §2.1, §3.1)"
        => ["JWT-8725-alg-confusion"];
    AlgNoneAccepted = "alg-none-accepted":
        "Unsecured access tokens (alg none, no signature) are accepted (RFC 8725 §3.1, RFC 9068 §4)"
        => ["JWT-8725-alg-none"];
    UnknownKidFallback = "unknown-kid-fallback":
        "A kid the JWKS does not hold falls back to the current signing key (RFC 7515 §4.1.4)"
        => ["JWT-unknown-kid"];
    IssuerNotChecked = "issuer-not-checked":
        "The access token's iss is not compared with the issuer (RFC 9068 §4)"
        => ["JWT-9068-iss"];
    AudienceNotChecked = "audience-not-checked":
        "The access token's aud is not checked: tokens minted for another audience are accepted (RFC 9068 §4, RFC 6750 §5.3, RFC 9700 §2.2.1)"
        => ["JWT-9068-aud", "RFC6750-5.3-audience-restricted"];
    TypNotEnforced = "typ-not-enforced":
        "Access tokens with another typ (JWT) are accepted (RFC 9068 §4, RFC 8725 §3.11)"
        => ["JWT-9068-typ-enforced"];

    // RFC 6749 §3.1: the authorization endpoint.
    AuthorizeGetRefused = "authorize-get-refused":
        "A valid authorization request by GET gets 405 instead of the consent page (RFC 6749 §3.1)"
        => ["RFC6749-3.1-get-supported", "RFC7636-4.2-s256-happy", "RFC6749-3.1-empty-param-omitted", "RFC6749-3.1.2.3-single-registered-default"];
    AuthorizePostRefused = "authorize-post-refused":
        "An authorization request by POST without a decision gets 405 (RFC 6749 §3.1 MAY; the reference supports it)"
        => ["RFC6749-3.1-post-optional"];
    AuthorizeEmptyParamKept = "authorize-empty-param-kept":
        "An authorization parameter sent without a value is not treated as omitted (RFC 6749 §3.1)"
        => ["RFC6749-3.1-empty-param-omitted"];
    UnknownAuthorizeParamRefused = "unknown-authorize-param-refused":
        "Unknown authorization request parameters are refused instead of ignored (RFC 6749 §3.1)"
        => ["RFC6749-3.1-unknown-param-ignored"];
    AuthorizeDuplicateAccepted = "authorize-duplicate-accepted":
        "A repeated authorization request parameter is not refused (RFC 6749 §3.1)"
        => ["RFC6749-3.1-duplicate-param"];
    DuplicateRedirectFirstWins = "duplicate-redirect-first-wins":
        "A repeated redirect_uri is trusted (the first one) and the error is sent there (RFC 6749 §3.1, §4.1.2.1)"
        => ["RFC6749-3.1-duplicate-client-or-redirect"];
    MissingResponseTypeDefaultsCode = "missing-response-type-defaults-code":
        "An authorization request without response_type is treated as response_type=code (RFC 6749 §3.1.1)"
        => ["RFC6749-3.1.1-response_type-missing"];
    UnknownResponseTypeInvalidRequest = "unknown-response-type-invalid-request":
        "An unknown response_type gets invalid_request instead of unsupported_response_type (RFC 6749 §4.1.2.1)"
        => ["RFC6749-3.1.1-response_type-unknown", "RFC9700-2.1.2-implicit-disabled"];
    ImplicitEnabled = "implicit-enabled":
        "response_type=token is accepted: the implicit grant is on (RFC 9700 §2.1.2)"
        => ["RFC9700-2.1.2-implicit-disabled"];

    // RFC 6749 §3.1.2: the redirection URI.
    RedirectQueryDropped = "redirect-query-dropped":
        "The redirect drops the registered redirect URI's own query (RFC 6749 §3.1.2)"
        => ["RFC6749-3.1.2-redirect-query-retained"];
    RedirectFragmentStripped = "redirect-fragment-stripped":
        "A redirect_uri with a fragment is accepted after stripping it (RFC 6749 §3.1.2)"
        => ["RFC6749-3.1.2-fragment-rejected"];
    RedirectPrefixMatch = "redirect-prefix-match":
        "A redirect_uri that starts with a registered one is accepted (RFC 6749 §3.1.2.3, RFC 9700 §2.1 exact matching)"
        => ["RFC6749-3.1.2.3-exact-match"];
    DefaultRedirectFirst = "default-redirect-first":
        "Without redirect_uri a client with several registered URIs is sent to the first (RFC 6749 §3.1.2.3)"
        => ["RFC6749-3.1.2.3-required-when-multiple"];
    SingleRedirectRequired = "single-redirect-required":
        "redirect_uri is required even from a client with one registered URI (RFC 6749 §3.1.2.3 MAY)"
        => ["RFC6749-3.1.2.3-single-registered-default"];
    UnknownClientRedirects = "unknown-client-redirects":
        "An unknown client_id's error is redirected to the offered redirect_uri (RFC 6749 §3.1.2.4, §4.1.2.1)"
        => ["RFC6749-3.1.2.4-unknown-client"];
    MissingClientRedirects = "missing-client-redirects":
        "A request without client_id is answered by redirecting to the offered redirect_uri (RFC 6749 §4.1.2.1)"
        => ["RFC6749-3.1.2.4-missing-client"];

    // RFC 6749 §4.1.2: the authorization response.
    StateNotEncoded = "state-not-encoded":
        "state is copied into the redirect without URL-encoding (RFC 6749 §4.1.2)"
        => ["RFC6749-4.1.2-code-and-state"];
    CodeDuplicated = "code-duplicated":
        "The redirect carries the code parameter twice (RFC 6749 §3.1, §4.1.2)"
        => ["RFC6749-4.1.2-no-duplicate-response-params", "RFC6749-4.1.2-code-and-state"]
        also ["RFC6749-10.10-code-entropy", "RFC6749-10.5-code-after-failed-exchange", "RFC6749-3.1-get-supported", "RFC6749-3.1-unknown-param-ignored", "RFC6749-3.1.2-redirect-query-retained", "RFC6749-3.2.1-confidential-must-authenticate", "RFC6749-3.2.1-public-client_id-required", "RFC6749-4.1.2-code-lifetime", "RFC6749-4.1.2-code-reuse", "RFC6749-4.1.2-code-reuse-race", "RFC6749-4.1.2-code-reuse-revokes", "RFC6749-4.1.3-code-bound-to-client", "RFC6749-4.1.3-happy", "RFC6749-4.1.3-public-client-mismatch", "RFC6749-4.1.3-redirect_uri-mismatch", "RFC6749-4.1.3-redirect_uri-missing", "RFC7636-4.1-verifier-charset", "RFC7636-4.1-verifier-full-unreserved", "RFC7636-4.1-verifier-len-128", "RFC7636-4.1-verifier-len-129", "RFC7636-4.1-verifier-len-42", "RFC7636-4.1-verifier-len-43", "RFC7636-4.2-s256-happy", "RFC7636-4.4-challenge-not-extractable", "RFC7636-4.5-verifier-missing", "RFC7636-4.6-cross-session", "RFC7636-4.6-method-in-token-request-ignored", "RFC7636-4.6-plain-downgrade", "RFC7636-4.6-verifier-case-flip", "RFC7636-4.6-verifier-mismatch", "RFC7636-AppB-test-vector", "RFC9700-4.14-refresh-rotation"];
    ErrorDropsState = "error-drops-state":
        "An invalid_scope error redirect leaves out state (RFC 6749 §4.1.2.1)"
        => ["RFC6749-4.1.2.1-error-carries-state"];
    AcGrantNotChecked = "ac-grant-not-checked":
        "Clients not registered for authorization_code get codes (RFC 6749 §4.1.2.1 unauthorized_client)"
        => ["RFC6749-4.1.2.1-unauthorized_client"];
    AuthorizeErrorCharset = "authorize-error-charset":
        "One authorization error's error_description holds curly quotes (RFC 6749 §4.1.2.1 character set)"
        => ["RFC6749-4.1.2.1-error-charset"];
    CodeWithError = "code-with-error":
        "A denial redirects with error=access_denied and a code (RFC 6749 §4.1.2.1)"
        => ["RFC6749-4.1.2.1-no-code-with-error", "RFC6749-4.1.2.1-access_denied"];
    Consent307 = "consent-307":
        "The consent form's answer for C_AC_ONLY redirects with 307 (RFC 9700 §4.12)"
        => ["RFC9700-4.12-no-307"];
    ShortCodes = "short-codes":
        "Authorization codes carry 64 random bits (RFC 6749 §10.10: 2^-128 at most)"
        => ["RFC6749-10.10-code-entropy"];
    CodeEmbedsChallenge = "code-embeds-challenge":
        "The authorization code is base64url JSON holding the PKCE challenge (RFC 7636 §4.4)"
        => ["RFC7636-4.4-challenge-not-extractable"];

    // RFC 6749 §4.1.3: the code exchange.
    MissingCodeInvalidGrant = "missing-code-invalid-grant":
        "A code exchange without code gets invalid_grant instead of invalid_request (RFC 6749 §4.1.3, §5.2)"
        => ["RFC6749-4.1.3-missing-code"];
    UnknownCodeInvalidRequest = "unknown-code-invalid-request":
        "An unknown code gets invalid_request instead of invalid_grant (RFC 6749 §5.2)"
        => ["RFC6749-4.1.3-invalid-code"];
    RedirectUriOptionalAtToken = "redirect-uri-optional-at-token":
        "The token request may leave out redirect_uri though the authorization request had it (RFC 6749 §4.1.3)"
        => ["RFC6749-4.1.3-redirect_uri-missing"];
    RedirectUriNotCompared = "redirect-uri-not-compared":
        "The token request's redirect_uri is not compared with the authorization request's (RFC 6749 §4.1.3)"
        => ["RFC6749-4.1.3-redirect_uri-mismatch"];
    CodeNotBoundToClient = "code-not-bound-to-client":
        "A confidential client can redeem a code issued to another client (RFC 6749 §4.1.3, §10.5)"
        => ["RFC6749-4.1.3-code-bound-to-client"];
    PublicCodeNotBound = "public-code-not-bound":
        "A public client can redeem a code issued to another public client (RFC 6749 §4.1.3)"
        => ["RFC6749-4.1.3-public-client-mismatch"];
    ReplayKeepsTokens = "replay-keeps-tokens":
        "A replayed code does not revoke the tokens issued from it (RFC 6749 §4.1.2 SHOULD)"
        => ["RFC6749-4.1.2-code-reuse-revokes"];
    CodeReuseWindow = "code-reuse-window":
        "A code can be redeemed again within 500 ms of its first use (a non-atomic check; RFC 6749 §4.1.2)"
        => ["RFC6749-4.1.2-code-reuse-race"]
        also ["RFC6749-10.5-code-after-failed-exchange", "RFC6749-4.1.2-code-reuse-revokes"];
    CodesNeverExpire = "codes-never-expire":
        "Authorization codes never expire (RFC 6749 §4.1.2: 10 minutes at most)"
        => ["RFC6749-4.1.2-code-lifetime"];
    FailedExchangeKeepsCode = "failed-exchange-keeps-code":
        "A code whose exchange failed on the verifier stays redeemable (oauth-v2-1 #82; Point11 consumes it)"
        => ["RFC6749-10.5-code-after-failed-exchange"];

    // RFC 6749 §4.1: the authorization code.
    DenyApproves = "deny-approves":
        "A user's denial is treated as approval: the client gets a code (RFC 6749 §4.1.2.1 access_denied)"
        => ["RFC6749-4.1.2.1-access_denied", "RFC6749-4.1.2.1-no-code-with-error"];
    CodeReusable = "code-reusable":
        "An authorization code can be redeemed more than once (RFC 6749 §4.1.2)"
        => ["RFC6749-4.1.2-code-reuse"]
        also ["RFC6749-10.5-code-after-failed-exchange", "RFC6749-4.1.2-code-reuse-race", "RFC6749-4.1.2-code-reuse-revokes", "RFC7636-4.3-method-default-plain"];
    CodeScopeWidened = "code-scope-widened":
        "The code exchange grants the client's full scope, not the scope the user approved (RFC 6749 §3.3)"
        => ["RFC7636-4.2-s256-happy", "RFC6749-4.1.3-happy"];

    // RFC 7636: PKCE.
    PkceOptionalConfidential = "pkce-optional-confidential":
        "A confidential client's authorization request without code_challenge is accepted (Point11: PKCE for every client)"
        => ["RFC7636-5-no-pkce-compat"];
    PkceDowngrade = "pkce-downgrade":
        "Confidential clients may skip PKCE, and a verifier for a code without a challenge is accepted (RFC 9700 §2.1.1)"
        => ["RFC9700-2.1.1-pkce-downgrade", "RFC7636-5-no-pkce-compat"];
    MissingMethodMeansS256 = "missing-method-means-s256":
        "A code_challenge without code_challenge_method is taken as S256 (RFC 7636 §4.3: the default is plain)"
        => ["RFC7636-4.3-method-default-plain"];
    PlainAccepted = "plain-accepted":
        "code_challenge_method=plain is accepted (Point11: S256 only)"
        => ["RFC7636-4.2-plain"];
    UnknownMethodAsS256 = "unknown-method-as-s256":
        "An unknown code_challenge_method (S512) is taken as S256 (RFC 7636 §4.4.1)"
        => ["RFC7636-4.4.1-unsupported-method"];
    ChallengeSyntaxUnchecked = "challenge-syntax-unchecked":
        "code_challenge values of any length and alphabet are accepted (RFC 7636 §4.2)"
        => ["RFC7636-4.2-challenge-syntax"];
    ChallengeNormalised = "challenge-normalised":
        "A padded or standard-base64 challenge is normalised to base64url and accepted (RFC 7636 §4.2)"
        => ["RFC7636-4.2-s256-encoding-strict", "RFC7636-4.2-challenge-syntax"];
    VerifierOptional = "verifier-optional":
        "A code bound to a challenge is redeemed without code_verifier (RFC 7636 §4.5)"
        => ["RFC7636-4.5-verifier-missing"];
    VerifierCaseInsensitive = "verifier-case-insensitive":
        "A verifier that does not match is retried lower-cased (RFC 7636 §4.6: exact comparison)"
        => ["RFC7636-4.6-verifier-case-flip"];
    ChallengeAsVerifier = "challenge-as-verifier":
        "The challenge string itself is accepted as the verifier (RFC 7636 §4.6, §7.2 plain downgrade)"
        => ["RFC7636-4.6-plain-downgrade", "RFC7636-4.6-method-in-token-request-ignored"];
    TokenMethodHonoured = "token-method-honoured":
        "code_challenge_method=plain in the token request switches the comparison to plain (RFC 7636 §4.6)"
        => ["RFC7636-4.6-method-in-token-request-ignored"];
    VerifierAnySession = "verifier-any-session":
        "A verifier is accepted if it matches the challenge of any code the server knows (RFC 7636 §4.6)"
        => ["RFC7636-4.6-cross-session"];
    VerifierMin42 = "verifier-min-42":
        "A 42-character verifier is accepted (RFC 7636 §4.1: 43 at least)"
        => ["RFC7636-4.1-verifier-len-42"];
    VerifierMin44 = "verifier-min-44":
        "A 43-character verifier is refused (RFC 7636 §4.1: 43 is allowed)"
        => ["RFC7636-4.1-verifier-len-43", "RFC7636-AppB-test-vector"];
    VerifierMax127 = "verifier-max-127":
        "A 128-character verifier is refused (RFC 7636 §4.1: 128 is allowed)"
        => ["RFC7636-4.1-verifier-len-128"];
    VerifierMax129 = "verifier-max-129":
        "A 129-character verifier is accepted (RFC 7636 §4.1: 128 at most)"
        => ["RFC7636-4.1-verifier-len-129"];
    VerifierCharsetUnchecked = "verifier-charset-unchecked":
        "Verifiers with + / = or % are accepted (RFC 7636 §4.1 unreserved characters)"
        => ["RFC7636-4.1-verifier-charset"];
    VerifierBase64urlOnly = "verifier-base64url-only":
        "Verifiers holding . or ~ are refused, as if only base64url were allowed (RFC 7636 §4.1)"
        => ["RFC7636-4.1-verifier-full-unreserved"];
    PkceOptionalPublic = "pkce-optional-public":
        "A public client's authorization request without code_challenge is accepted (RFC 7636 §4.4.1)"
        => ["RFC7636-4.4.1-challenge-required"];
    VerifierNotChecked = "verifier-not-checked":
        "Any well-formed code_verifier is accepted without comparing it with the challenge (RFC 7636 §4.6)"
        => ["RFC7636-4.6-verifier-mismatch"]
        also ["RFC6749-10.5-code-after-failed-exchange", "RFC7636-4.6-cross-session", "RFC7636-4.6-method-in-token-request-ignored", "RFC7636-4.6-plain-downgrade", "RFC7636-4.6-verifier-case-flip"];
    VerifierAlnumOnly = "verifier-alnum-only":
        "Verifiers holding - . _ or ~ are refused, as if only [A-Za-z0-9] were allowed (RFC 7636 §4.1, Appendix B)"
        => ["RFC7636-AppB-test-vector", "RFC7636-4.1-verifier-full-unreserved"];

    // RFC 6750: bearer tokens at the resource server.
    NoCredentialsNoChallenge = "no-credentials-no-challenge":
        "A request without credentials (or with another scheme) gets 401 without WWW-Authenticate (RFC 6750 §3)"
        => ["RFC6750-3-no-credentials", "RFC6750-3-unsupported-scheme", "RFC6750-3-401-has-challenge"]
        also ["RFC6750-2.3-query-policy", "RFC6750-2.2-form-body"];
    OtherSchemeInvalidRequest = "other-scheme-invalid-request":
        "Authorization with another scheme (Basic) gets 400 invalid_request instead of a plain challenge (RFC 6750 §3)"
        => ["RFC6750-3-unsupported-scheme"];
    GarbageTokenInvalidRequest = "garbage-token-invalid-request":
        "A bearer token that is not a JWT gets 400 invalid_request instead of 401 invalid_token (RFC 6750 §3.1)"
        => ["RFC6750-3.1-invalid_token"]
        also ["RFC6749-3.3-case-sensitive"];
    ExpiredTokenAccepted = "expired-token-accepted":
        "Access tokens are accepted after their exp (RFC 7519 §4.1.4, RFC 6750 §3.1)"
        => ["RFC6750-3.1-expired", "JWT-7519-exp", "JWT-clock-skew"];
    InsufficientScope401 = "insufficient-scope-401":
        "A valid token without the needed scope gets 401 instead of 403 (RFC 6750 §3.1)"
        => ["RFC6750-3.1-insufficient_scope", "RFC6750-3.1-no-401-for-scope"];
    AnalyticsHeaderIgnored = "analytics-header-ignored":
        "GET /v1/analytics does not read the Authorization header: 401 as if no credentials were sent (RFC 6750 §2.1: resource servers MUST support the header)"
        => ["RFC6750-2.1-header"];
    SchemeCaseSensitive = "scheme-case-sensitive":
        "Only the exact spelling Bearer is taken as the scheme; bearer and BEARER count as another scheme (RFC 6750 §2.1, RFC 9110 §11.1)"
        => ["RFC6750-2.1-scheme-case-insensitive"];
    SingleSpaceOnly = "single-space-only":
        "Everything after the first space is the token, so Bearer followed by two spaces is not a b64token (RFC 6750 §2.1: 1*SP)"
        => ["RFC6750-2.1-multiple-spaces"];
    TokenCaseInsensitive = "token-case-insensitive":
        "Accepted access tokens are cached by their lower-cased text, so a token with a letter's case flipped is accepted (RFC 6750 §2.1: b64token is case-sensitive)"
        => ["RFC6750-2.1-token-case-sensitive"];
    EmptyBearerBare400 = "empty-bearer-bare-400":
        "Authorization: Bearer with no token gets 400 without a WWW-Authenticate challenge (RFC 6750 §3, §3.1)"
        => ["RFC6750-2.1-empty-token"]
        also ["RFC6750-3.1-invalid_request"];
    BearerTokenLaxParse = "bearer-token-lax-parse":
        "The bearer credential is unquoted and cut at the first space or comma, so Bearer <token> x is accepted (RFC 6750 §2.1: b64token)"
        => ["RFC6750-2.1-illegal-token-chars"]
        also ["RFC6750-3.1-invalid_request"];
    DuplicateAuthorizationFirstWins = "duplicate-authorization-first-wins":
        "With two Authorization headers the first is used instead of refusing the request (RFC 6750 §3.1 invalid_request)"
        => ["RFC6750-2.1-duplicate-authorization"]
        also ["RFC6750-3.1-invalid_request"];
    QueryBesideHeaderIgnored = "query-beside-header-ignored":
        "An access_token query parameter beside the Authorization header is ignored instead of refused (RFC 6750 §2, §3.1)"
        => ["RFC6750-2-multiple-methods-query"]
        also ["RFC6750-3.1-invalid_request"];
    BodyBesideHeaderIgnored = "body-beside-header-ignored":
        "An access_token in a form body beside the Authorization header is ignored instead of refused (RFC 6750 §2, §3.1)"
        => ["RFC6750-2-multiple-methods-body"];
    BodyTokenInvalidRequest = "body-token-invalid-request":
        "A form-body access_token (without the header) gets 400 invalid_request instead of a plain challenge (RFC 6750 §2.2 MAY, §3)"
        => ["RFC6750-2.2-form-body"];
    FormBodyTokenOnGet = "form-body-token-on-get":
        "An access_token in a form-encoded body authenticates a GET (RFC 6750 §2.2: GET MUST NOT use the body method)"
        => ["RFC6750-2.2-form-body-get"];
    JsonBodyTokenAccepted = "json-body-token-accepted":
        "An access_token member of a JSON body authenticates the request (RFC 6750 §2.2: only application/x-www-form-urlencoded)"
        => ["RFC6750-2.2-form-body-content-type"];
    QueryTokenAccepted = "query-token-accepted":
        "?access_token= authenticates the request (RFC 6750 §2.3 MAY; Point11 and RFC 9700 §4.3.2 refuse it); answers say Cache-Control: private"
        => ["RFC6750-2.3-query-policy"];
    QueryTokenCacheable = "query-token-cacheable":
        "?access_token= authenticates the request and the 2xx answer lacks Cache-Control: private (RFC 6750 §2.3 SHOULD)"
        => ["RFC6750-2.3-query-cache-private", "RFC6750-2.3-query-policy"];
    UnknownKeyNoChallenge = "unknown-key-no-challenge":
        "The 401 for an unknown API key carries no WWW-Authenticate (RFC 6750 §3, RFC 9110 §15.5.2)"
        => ["RFC6750-3-401-has-challenge", "RFC6750-3-error-when-token-rejected"];
    UnknownKeyChallengeScheme = "unknown-key-challenge-scheme":
        "The challenge for an unknown API key uses the scheme ApiKey instead of Bearer (RFC 6750 §3)"
        => ["RFC6750-3-challenge-scheme", "RFC6750-3-error-when-token-rejected"];
    UnknownKeyNoError = "unknown-key-no-error":
        "The challenge for an unknown API key has no error attribute, as if no credentials were sent (RFC 6750 §3 SHOULD)"
        => ["RFC6750-3-error-when-token-rejected"];
    UnknownKey403 = "unknown-key-403":
        "An unknown API key gets 403 instead of 401 (RFC 6750 §3.1: invalid_token SHOULD be 401)"
        => ["RFC6750-3.1-no-403-for-bad-token"];
    ScopeChallengeRealmTwice = "scope-challenge-realm-twice":
        "The insufficient_scope challenge names the realm twice (RFC 6750 §3: realm MUST NOT appear more than once)"
        => ["RFC6750-3-realm-once"];
    MalformedDescriptionTwice = "malformed-description-twice":
        "The invalid_request challenge carries error_description twice (RFC 6750 §3: each attribute at most once)"
        => ["RFC6750-3-attrs-once"]
        also ["RFC6750-3-attr-charset"];
    ScopeDescriptionQuoted = "scope-description-quoted":
        "The insufficient_scope challenge's error_description quotes the scope with \\\" (RFC 6750 §3: %x20-21 / %x23-5B / %x5D-7E)"
        => ["RFC6750-3-attr-charset"];
    ScopeChallengeNoScope = "scope-challenge-no-scope":
        "The insufficient_scope challenge has no scope attribute (RFC 6750 §3 MAY; Point11 names the scope)"
        => ["RFC6750-3.1-insufficient_scope-scope-attr", "RFC6750-3.1-insufficient_scope"];
    Malformed401 = "malformed-401":
        "Malformed resource requests get 401 instead of 400 invalid_request (RFC 6750 §3.1)"
        => ["RFC6750-3.1-invalid_request", "RFC6750-2.1-duplicate-authorization", "RFC6750-2-multiple-methods-query", "RFC6750-2-multiple-methods-body", "RFC6750-2.1-illegal-token-chars"];

    // RFC 9700.
    PlainListedInMetadata = "plain-listed-in-metadata":
        "The metadata lists plain among code_challenge_methods_supported (RFC 9700 §2.1.1, Point11: S256 only)"
        => ["RFC9700-2.1.1-pkce-metadata"];
    PasswordGrantEnabled = "password-grant-enabled":
        "The resource owner password credentials grant issues tokens (RFC 9700 §2.4)"
        => ["RFC9700-2.4-ropc-disabled"];

    // HTTPS only: RFC 6749 §3.1, §3.2 (and §2.3.1 for the credentials
    // sent), RFC 6750 §5.2; POINT11-API.md. See `listen.rs`.
    PlainHttpServed = "plain-http-served":
        "Plain HTTP on the server's port is served like HTTPS, tokens and data included (RFC 6749 §3.1, §3.2; RFC 6750 §5.2)"
        => ["RFC6749-3.1-tls-required", "RFC6749-2.3.1-tls-required", "RFC6749-3.2-tls-required", "RFC6750-5.2-tls-required"];

    // Point11 API keys.
    TestKeyReadsLive = "test-key-reads-live":
        "A p11_test_ key reads production data (Point11: test keys see sandbox data only)"
        => ["P11-apikey-env-isolation"];
    Auth429WithoutRetryAfter = "auth-429-without-retry-after":
        "The token endpoint's 429 for a throttled client lacks Retry-After (RFC 6585 §4, Point11)"
        => ["P11-ratelimit-token-endpoint"]
        also ["RFC6749-2.3.1-bruteforce-protection"];
    TestKeyWritesLive = "test-key-writes-live":
        "A p11_test_ key holding audits:write can modify production (Point11)"
        => ["P11-testkey-no-prod-write"];
    MalformedKeyAccepted = "malformed-key-accepted":
        "A key with an unknown prefix or a truncated body is accepted as a live read-only key (Point11)"
        => ["P11-apikey-malformed"];
    ApiKeyQueryAccepted = "apikey-query-accepted":
        "An API key in the api_key query parameter authenticates the request (Point11; RFC 9700 §4.3.2 reasoning)"
        => ["P11-apikey-not-in-query"];
    RotationRevokesOldKey = "rotation-revokes-old-key":
        "Rotating an account's key revokes its existing keys at once: no overlap (POINT11-API.md)"
        => ["P11-apikey-rotation-overlap"];
    RevokedKeyAccepted = "revoked-key-accepted":
        "Revoked API keys keep working (POINT11-API.md: a revoked key stops working at once)"
        => ["P11-apikey-revocation"];

    // Point11 rate limits at the resource server (POINT11-API.md, RFC 6585
    // §4, RFC 9110 §10.2.3). See `resource_auth.rs` and `resource.rs`. Each
    // check that exhausts a key has a key of its own (fixtures/reference.toml).
    RateLimitResetMillis = "ratelimit-reset-millis":
        "X-RateLimit-Reset on 2xx responses is in Unix milliseconds, not seconds (POINT11-API.md)"
        => ["P11-ratelimit-headers"];
    RateLimitRemainingStale = "ratelimit-remaining-stale":
        "X-RateLimit-Remaining on 2xx responses always shows the full limit (Point11: it drops by one per request)"
        => ["P11-ratelimit-remaining-monotonic"];
    ProTierAsStandard = "pro-tier-as-standard":
        "Professional-tier API keys get the standard tier's limit, 100 instead of 500 (POINT11-API.md)"
        => ["P11-ratelimit-tier"];
    Resource429WithoutRetryAfter = "resource-429-without-retry-after":
        "The resource server's 429 lacks Retry-After (RFC 6585 §4, RFC 9110 §10.2.3; Point11: required)"
        => ["P11-ratelimit-429"]
        also ["P11-ratelimit-retry-after-honest"];
    RetryAfterTooShort = "retry-after-too-short":
        "A key refused in one window stays refused through the next: Retry-After understates the wait (RFC 9110 §10.2.3)"
        => ["P11-ratelimit-retry-after-honest"];
    OverLimit503 = "over-limit-503":
        "A key refused more than once in a window gets 503 instead of 429 (RFC 6585 §4; Point11: 429)"
        => ["P11-ratelimit-not-503"];
}
