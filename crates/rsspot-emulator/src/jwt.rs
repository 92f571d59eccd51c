//! Minting and checking the emulator's id tokens: HS256 JWTs signed with a per-emulator secret,
//! so tampered or foreign tokens are rejected like the real gateway rejects them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The public OAuth client id of Rackspace Spot; also the `aud` of every id token.
pub const CLIENT_ID: &str = "mwG3lUMV8KyeMqHe4fJ5Bb3nM1vBvRNa";

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// Claims the emulator puts into an id token.
pub(crate) struct Claims<'a> {
    pub org_id: &'a str,
    pub org_name: &'a str,
    pub issuer: &'a str,
    pub iat: i64,
    pub exp: i64,
}

/// Builds a signed id token.
pub(crate) fn mint(secret: &[u8], c: &Claims<'_>) -> String {
    let header = json!({"alg": "HS256", "typ": "JWT"});
    let payload = json!({
        "org_id": c.org_id,
        "group": "cloudspace-admin",
        "email": format!("{}@example.com", c.org_name),
        "email_verified": true,
        "iss": c.issuer,
        "sub": format!("auth0|emulator-{}", c.org_name),
        "aud": CLIENT_ID,
        "iat": c.iat,
        "exp": c.exp,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let sig = hmac_sha256(secret, signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Why a bearer was refused; `Display` is the gateway's plain-text 401 body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BearerError {
    Missing,
    Malformed,
    BadSignature,
    Expired,
}

impl BearerError {
    pub(crate) fn text(self) -> &'static str {
        match self {
            BearerError::Missing => "Jwt is missing",
            BearerError::Malformed => "Jwt is not in the form of Header.Payload.Signature",
            BearerError::BadSignature => "Jwt verification fails",
            BearerError::Expired => "Jwt is expired",
        }
    }
}

/// Checks a bearer token and returns its payload.
pub(crate) fn verify(secret: &[u8], token: &str, now_unix: i64) -> Result<Value, BearerError> {
    let parts: Vec<&str> = token.split('.').collect();
    let [h, p, s] = parts.as_slice() else {
        return Err(BearerError::Malformed);
    };
    if h.is_empty() || p.is_empty() || s.is_empty() {
        return Err(BearerError::Malformed);
    }
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .map_err(|_| BearerError::Malformed)?;
    let expected = hmac_sha256(secret, format!("{h}.{p}").as_bytes());
    if sig != expected {
        return Err(BearerError::BadSignature);
    }
    let payload: Value = URL_SAFE_NO_PAD
        .decode(p)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(BearerError::Malformed)?;
    let exp = payload
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or(BearerError::BadSignature)?;
    if now_unix >= exp {
        return Err(BearerError::Expired);
    }
    Ok(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(exp: i64) -> Claims<'static> {
        Claims {
            org_id: "org_X",
            org_name: "x",
            issuer: "http://127.0.0.1:1/",
            iat: 0,
            exp,
        }
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn round_trip_and_rejections() {
        let t = mint(b"k1", &claims(100));
        assert_eq!(verify(b"k1", &t, 99).unwrap()["org_id"], "org_X");
        assert_eq!(verify(b"k1", &t, 100), Err(BearerError::Expired));
        assert_eq!(verify(b"k2", &t, 0), Err(BearerError::BadSignature));
        assert_eq!(verify(b"k1", "opaque", 0), Err(BearerError::Malformed));
        let mut tampered = t.clone();
        tampered.insert(t.find('.').unwrap() + 2, 'A');
        assert!(verify(b"k1", &tampered, 0).is_err());
    }
}
