//! Tokens as data: the claims rsspot reads from an id token, the org namespace rule, and the
//! non-reversible identity of a refresh token. The exchange itself is a stage of the request
//! pipeline.
//!
//! The Spot API takes the OAuth `id_token` as bearer (not the opaque `access_token`).

use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// Tokens are treated as expired this long before their `exp`.
pub const EXPIRY_SKEW: Duration = Duration::from_secs(60);

/// Claims rsspot reads from an id token (the payload is not verified: the server does that).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Claims {
    /// Expiry.
    pub exp: Option<DateTime<Utc>>,
    /// The organization the token belongs to (`org_...`).
    pub org_id: Option<String>,
    /// Subject (user id).
    pub sub: Option<String>,
}

/// Decodes the claims of a JWT without verifying it. `None` when it is not a JWT.
pub fn decode_claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (_, payload, _) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(Claims {
        exp: v
            .get("exp")
            .and_then(serde_json::Value::as_i64)
            .and_then(|s| Utc.timestamp_opt(s, 0).single()),
        org_id: v.get("org_id").and_then(|s| s.as_str()).map(str::to_string),
        sub: v.get("sub").and_then(|s| s.as_str()).map(str::to_string),
    })
}

/// The org namespace for an org id: lower case, `_` → `-` (`org_AbC` → `org-abc`).
pub fn namespace_for_org_id(org_id: &str) -> String {
    org_id.to_ascii_lowercase().replace('_', "-")
}

/// A short, non-reversible identity for a refresh token (cache and token-cache scope).
pub fn identity_of(refresh_token: &SecretString) -> String {
    let digest = Sha256::digest(refresh_token.expose_secret().as_bytes());
    hex::encode(&digest[..8])
}

/// An unsigned JWT with `payload`, for tests of code that reads claims.
#[cfg(test)]
pub(crate) fn test_jwt(payload: serde_json::Value) -> String {
    let enc = |v: &serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(v).unwrap_or_default())
    };
    format!(
        "{}.{}.sig",
        enc(&serde_json::json!({"alg": "none"})),
        enc(&payload)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        test_jwt(payload)
    }

    #[test]
    fn decodes_claims() {
        let t = jwt(serde_json::json!({"exp": 2_000_000_000, "org_id": "org_AbC", "sub": "u"}));
        let c = decode_claims(&t).unwrap();
        assert_eq!(c.org_id.as_deref(), Some("org_AbC"));
        assert_eq!(c.exp.unwrap().timestamp(), 2_000_000_000);
        assert!(decode_claims("opaque").is_none());
        assert!(decode_claims("a.b.c.d").is_none());
    }

    #[test]
    fn namespace_rule() {
        assert_eq!(
            namespace_for_org_id("org_Q3vXh8LmP2sTnR7a"),
            "org-q3vxh8lmp2stnr7a"
        );
    }
}
