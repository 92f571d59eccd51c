//! Authentication: refresh token → `id_token` (the bearer), with expiry from the JWT, one refresh
//! in flight at a time, and a cross-process token cache in `state.db`.
//!
//! The Spot API takes the OAuth `id_token` as bearer (not the opaque `access_token`). The token
//! service is an Auth0 tenant; a rejected refresh token is final (never retried), while transport
//! errors and 5xx answers of the token service are retried.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::retry::RetryPolicy;
use crate::state::{CachedToken, StateStore};

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

#[derive(Clone)]
struct Token {
    id_token: SecretString,
    claims: Claims,
}

impl Token {
    fn from_id_token(id_token: SecretString) -> Token {
        let claims = decode_claims(id_token.expose_secret()).unwrap_or_default();
        Token { id_token, claims }
    }

    fn fresh(&self, now: DateTime<Utc>) -> bool {
        match self.claims.exp {
            Some(exp) => now + chrono::Duration::from_std(EXPIRY_SKEW).unwrap_or_default() < exp,
            None => false,
        }
    }
}

/// What the token manager needs to know.
pub struct AuthConfig {
    /// Refresh token of the profile.
    pub refresh_token: Option<SecretString>,
    /// A pre-issued id token to use until it expires.
    pub access_token: Option<SecretString>,
    /// OAuth client id.
    pub client_id: String,
    /// Base URL of the token service.
    pub oauth_url: String,
    /// Profile name (token-cache scope).
    pub profile: String,
    /// Whether to reuse id tokens across processes through `state.db`.
    pub token_cache: bool,
}

/// Hands out bearer tokens; refreshes them single-flight.
pub struct TokenManager {
    config: AuthConfig,
    identity: String,
    http: reqwest::Client,
    state: Option<StateStore>,
    retry: RetryPolicy,
    current: Mutex<Option<Token>>,
    exchanges: AtomicU64,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("profile", &self.config.profile)
            .field("oauth_url", &self.config.oauth_url)
            .field("refresh_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct OAuthError {
    error: Option<String>,
    error_description: Option<String>,
}

impl TokenManager {
    /// Creates a manager. No network traffic happens until a token is needed.
    pub fn new(
        config: AuthConfig,
        http: reqwest::Client,
        state: Option<StateStore>,
        retry: RetryPolicy,
    ) -> Arc<Self> {
        let identity = config
            .refresh_token
            .as_ref()
            .map(identity_of)
            .unwrap_or_else(|| "anonymous".into());
        let seeded = config
            .access_token
            .clone()
            .map(Token::from_id_token)
            .filter(|t| t.fresh(Utc::now()));
        Arc::new(TokenManager {
            config,
            identity,
            http,
            state,
            retry,
            current: Mutex::new(seeded),
            exchanges: AtomicU64::new(0),
        })
    }

    /// Identity of the refresh token (a hash prefix; safe to log and to key caches with).
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// How many token exchanges this manager has made.
    pub fn exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }

    /// Claims of the current token, fetching one if needed.
    pub async fn claims(&self) -> Result<Claims> {
        self.bearer().await?;
        Ok(self
            .current
            .lock()
            .await
            .as_ref()
            .map(|t| t.claims.clone())
            .unwrap_or_default())
    }

    /// A valid bearer token: the in-memory one, else the cached one, else a fresh exchange.
    pub async fn bearer(&self) -> Result<SecretString> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref().filter(|t| t.fresh(Utc::now())) {
            return Ok(t.id_token.clone());
        }
        if let Some(t) = self.cached_token().await {
            let token = t.id_token.clone();
            *current = Some(t);
            return Ok(token);
        }
        let t = self.exchange().await?;
        let token = t.id_token.clone();
        *current = Some(t);
        Ok(token)
    }

    /// Forces a new token unless another task already replaced `rejected` (single flight).
    pub async fn refresh(&self, rejected: &SecretString) -> Result<SecretString> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref()
            && t.id_token.expose_secret() != rejected.expose_secret()
            && t.fresh(Utc::now())
        {
            return Ok(t.id_token.clone());
        }
        if let Some(state) = &self.state {
            // The cached token was rejected; never hand it out again.
            let _ = state
                .token_delete(&self.config.profile, &self.identity)
                .await;
        }
        let t = self.exchange().await?;
        let token = t.id_token.clone();
        *current = Some(t);
        Ok(token)
    }

    async fn cached_token(&self) -> Option<Token> {
        if !self.config.token_cache {
            return None;
        }
        let state = self.state.as_ref()?;
        let cached = state
            .token_get(&self.config.profile, &self.identity)
            .await
            .ok()
            .flatten()?;
        let t = Token::from_id_token(cached.id_token);
        t.fresh(Utc::now()).then_some(t)
    }

    async fn exchange(&self) -> Result<Token> {
        let refresh = self.config.refresh_token.as_ref().ok_or_else(|| {
            Error::auth(
                "no refresh token is configured: run `rsspot configure`, or set RSSPOT_REFRESH_TOKEN",
            )
        })?;
        let url = format!(
            "{}/oauth/token",
            self.config.oauth_url.trim_end_matches('/')
        );
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.config.client_id.as_str()),
            ("refresh_token", refresh.expose_secret()),
        ];
        let mut attempt = 0;
        let response = loop {
            attempt += 1;
            self.exchanges.fetch_add(1, Ordering::Relaxed);
            let sent = self.http.post(&url).form(&form).send().await;
            let retryable = match &sent {
                Err(e) => !crate::hooks::is_certificate_error(e),
                Ok(r) => r.status().is_server_error(),
            };
            if !retryable || attempt >= self.retry.max_attempts {
                break sent;
            }
            tracing::debug!(attempt, "token exchange failed; retrying");
            tokio::time::sleep(self.retry.backoff(attempt, None)).await;
        };
        let response = response.map_err(|e| Error::Transport {
            url: url.clone(),
            message: crate::hooks::describe_reqwest_error(&e),
        })?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| Error::Transport {
            url: url.clone(),
            message: crate::hooks::describe_reqwest_error(&e),
        })?;
        if !status.is_success() {
            let detail = serde_json::from_slice::<OAuthError>(&body)
                .ok()
                .map(|e| {
                    format!(
                        "{}{}",
                        e.error.unwrap_or_default(),
                        e.error_description
                            .map(|d| format!(": {d}"))
                            .unwrap_or_default()
                    )
                })
                .unwrap_or_else(|| format!("HTTP {}", status.as_u16()));
            if status.is_server_error() {
                return Err(Error::Api {
                    status: status.as_u16(),
                    message: format!("the token service failed ({detail})"),
                });
            }
            return Err(Error::auth(format!(
                "the token service rejected the refresh token of profile `{}` ({detail}); run `rsspot configure` to store a new one",
                self.config.profile
            )));
        }
        let parsed: crate::raw::types::OAuthToken =
            serde_json::from_slice(&body).map_err(|e| Error::Decode {
                url: url.clone(),
                message: format!("token response: {e}"),
            })?;
        let id_token = parsed
            .id_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Decode {
                url: url.clone(),
                message: "the token response has no id_token".into(),
            })?;
        let token = Token::from_id_token(SecretString::from(id_token));
        if token.claims.exp.is_none() {
            return Err(Error::Decode {
                url,
                message: "the id_token is not a JWT with an `exp` claim".into(),
            });
        }
        if self.config.token_cache
            && let (Some(state), Some(exp)) = (&self.state, token.claims.exp)
        {
            let cached = CachedToken {
                id_token: token.id_token.clone(),
                expires_at: exp,
            };
            if let Err(e) = state
                .token_put(&self.config.profile, &self.identity, &cached)
                .await
            {
                tracing::warn!("could not cache the id token: {e}");
            }
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: serde_json::Value) -> String {
        let enc = |v: &serde_json::Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
        };
        format!(
            "{}.{}.sig",
            enc(&serde_json::json!({"alg": "none"})),
            enc(&payload)
        )
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
    fn freshness_uses_skew() {
        let soon = Utc::now().timestamp() + 30;
        let later = Utc::now().timestamp() + 600;
        let t =
            |exp| Token::from_id_token(SecretString::from(jwt(serde_json::json!({"exp": exp}))));
        assert!(!t(soon).fresh(Utc::now()));
        assert!(t(later).fresh(Utc::now()));
        assert!(!Token::from_id_token(SecretString::from("opaque".to_string())).fresh(Utc::now()));
    }

    #[test]
    fn namespace_rule() {
        assert_eq!(
            namespace_for_org_id("org_Q3vXh8LmP2sTnR7a"),
            "org-q3vxh8lmp2stnr7a"
        );
    }

    #[test]
    fn debug_never_shows_the_token() {
        let m = TokenManager::new(
            AuthConfig {
                refresh_token: Some(SecretString::from("super-secret-refresh".to_string())),
                access_token: None,
                client_id: "c".into(),
                oauth_url: "http://127.0.0.1:1".into(),
                profile: "p".into(),
                token_cache: false,
            },
            reqwest::Client::new(),
            None,
            RetryPolicy::default(),
        );
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("super-secret-refresh"), "{dbg}");
        assert_ne!(m.identity(), "anonymous");
    }
}
