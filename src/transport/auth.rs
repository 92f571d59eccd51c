//! The auth stage: refresh token → `id_token` (the bearer), with expiry from the JWT, one
//! exchange in flight at a time, a cross-process token cache in `state.db`, and refresh-token
//! rotation.
//!
//! One exchange per expiry across processes: an exchange is made under a lock file beside
//! `state.db` (waited for until the caller's deadline), and a process that gets the lock reads
//! the token cache again first, so the twenty kubectl plugins of a script that start with an
//! expired token make one exchange between them, and with rotation none of them uses a refresh
//! token another one has just spent.
//!
//! The exchange takes the same retry engine as every other request (408/429/5xx and transport
//! errors retried, `Retry-After` honoured, the caller's deadline kept), a bounded body read, and
//! the redirect rule that never re-sends the refresh token to another host.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Utc;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::auth::{Claims, EXPIRY_SKEW, decode_claims, identity_of};
use crate::error::{Error, Result};
use crate::fsutil::{FileLock, LOCK_TIMEOUT};
use crate::state::{CachedToken, StateStore};

use super::errors::answer_text;
use super::failure::strip_query;
use super::limits::read_bounded;
use super::retry::{Idempotency, RetryConfig, retry_after_of};
use super::{Dispatch, Stats};

/// A token answer larger than this is refused (real ones are a few KiB).
const MAX_TOKEN_ANSWER: u64 = 1024 * 1024;

/// Where a profile's refresh token lives, so a rotated one can be written back and a token
/// another process rotated can be picked up.
pub trait RefreshTokenStore: Send + Sync {
    /// Replaces `old` with `new` where the token is kept, unless it no longer holds `old`.
    fn rotated(&self, old: &SecretString, new: &SecretString) -> Result<()>;
    /// The refresh token the store holds now.
    fn current(&self) -> Option<SecretString>;
}

#[derive(Clone)]
struct Token {
    id_token: SecretString,
    /// `Authorization: Bearer …`, built once per token (marked sensitive): every request
    /// clones it (a reference count) instead of formatting and validating the token again.
    header: HeaderValue,
    claims: Claims,
}

impl Token {
    fn from_id_token(id_token: SecretString) -> Token {
        let claims = decode_claims(id_token.expose_secret()).unwrap_or_default();
        let header = super::bearer_header(&id_token);
        Token {
            id_token,
            header,
            claims,
        }
    }

    fn fresh(&self) -> bool {
        match self.claims.exp {
            Some(exp) => {
                Utc::now() + chrono::Duration::from_std(EXPIRY_SKEW).unwrap_or_default() < exp
            }
            None => false,
        }
    }
}

/// What the token manager needs to know.
pub(crate) struct AuthConfig {
    pub refresh_token: Option<SecretString>,
    pub access_token: Option<SecretString>,
    pub client_id: String,
    /// `…/oauth/token` on the configured token service.
    pub token_url: String,
    pub profile: String,
    pub token_cache: bool,
    pub store: Option<Arc<dyn RefreshTokenStore>>,
}

/// Hands out bearer tokens; exchanges single-flight.
pub(crate) struct TokenManager {
    config: AuthConfig,
    identity: String,
    refresh_token: std::sync::Mutex<Option<SecretString>>,
    http: reqwest::Client,
    state: Option<StateStore>,
    retry: RetryConfig,
    stats: Arc<Stats>,
    current: Mutex<Option<Token>>,
    exchanges: AtomicU64,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("profile", &self.config.profile)
            .field("token_url", &self.config.token_url)
            .field("refresh_token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// The fields of a token answer rsspot reads.
#[derive(serde::Deserialize)]
struct TokenAnswer {
    id_token: Option<String>,
    refresh_token: Option<String>,
}

impl TokenManager {
    /// Creates a manager. No network traffic happens until a token is needed.
    pub(crate) fn new(
        config: AuthConfig,
        http: reqwest::Client,
        state: Option<StateStore>,
        retry: RetryConfig,
        stats: Arc<Stats>,
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
            .filter(Token::fresh);
        Arc::new(TokenManager {
            refresh_token: std::sync::Mutex::new(config.refresh_token.clone()),
            config,
            identity,
            http,
            state,
            retry,
            stats,
            current: Mutex::new(seeded),
            exchanges: AtomicU64::new(0),
        })
    }

    /// Identity of the configured refresh token (a hash prefix; safe to log and to key caches).
    pub(crate) fn identity(&self) -> &str {
        &self.identity
    }

    /// How many token exchanges this manager has made.
    pub(crate) fn exchanges(&self) -> u64 {
        self.exchanges.load(Ordering::Relaxed)
    }

    /// Claims of the current token, fetching one if needed.
    pub(crate) async fn claims(&self, deadline: Option<Instant>) -> Result<Claims> {
        self.bearer(deadline).await?;
        Ok(self
            .current
            .lock()
            .await
            .as_ref()
            .map(|t| t.claims.clone())
            .unwrap_or_default())
    }

    /// A valid bearer token: the in-memory one, else the cached one, else a fresh exchange.
    pub(crate) async fn bearer(&self, deadline: Option<Instant>) -> Result<SecretString> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref().filter(|t| t.fresh()) {
            return Ok(t.id_token.clone());
        }
        if let Some(t) = self.cached_token().await {
            let token = t.id_token.clone();
            *current = Some(t);
            return Ok(token);
        }
        let _lock = self.exchange_lock(deadline).await?;
        // Another process may have exchanged while we waited for the lock.
        if let Some(t) = self.cached_token().await {
            let token = t.id_token.clone();
            *current = Some(t);
            return Ok(token);
        }
        let t = self.exchange(deadline).await?;
        let token = t.id_token.clone();
        *current = Some(t);
        Ok(token)
    }

    /// Takes the cross-process exchange lock (see the module docs), waiting until `deadline`.
    /// `None` without a persisted token cache (nothing to share), or when the lock file cannot
    /// be made (a read-only state directory): the exchange then goes ahead unshared.
    async fn exchange_lock(&self, deadline: Option<Instant>) -> Result<Option<FileLock>> {
        if !self.config.token_cache {
            return Ok(None);
        }
        let Some(path) = self.state.as_ref().and_then(StateStore::token_lock_path) else {
            return Ok(None);
        };
        let started = Instant::now();
        let wait = deadline.map_or(LOCK_TIMEOUT, |d| d.saturating_duration_since(started));
        let taken = tokio::task::spawn_blocking(move || FileLock::acquire(&path, wait)).await;
        match taken {
            Ok(Ok(lock)) => Ok(Some(lock)),
            Ok(Err(_)) if deadline.is_some_and(|d| Instant::now() >= d) => {
                tracing::warn!("another rsspot process is exchanging the token; gave up waiting");
                Err(Error::DeadlineExceeded {
                    url: strip_query(&self.config.token_url),
                    after: wait,
                })
            }
            Ok(Err(e)) => {
                tracing::debug!("token exchange without the cross-process lock: {e}");
                Ok(None)
            }
            Err(e) => {
                tracing::debug!("token exchange without the cross-process lock: {e}");
                Ok(None)
            }
        }
    }

    /// [`Self::bearer`] as the `Authorization` header value requests carry: the in-memory
    /// token's prepared header (a reference count) while it is fresh.
    pub(crate) async fn bearer_header(&self, deadline: Option<Instant>) -> Result<HeaderValue> {
        if let Some(t) = self.current.lock().await.as_ref().filter(|t| t.fresh()) {
            return Ok(t.header.clone());
        }
        // Boxed: the exchange is a large future that a call with a fresh token never runs.
        Ok(super::bearer_header(
            &Box::pin(self.bearer(deadline)).await?,
        ))
    }

    /// [`Self::refresh`] of a rejected `Authorization` header value.
    pub(crate) async fn refresh_header(
        &self,
        rejected: &HeaderValue,
        deadline: Option<Instant>,
    ) -> Result<HeaderValue> {
        let rejected = match self.current.lock().await.as_ref() {
            Some(t) if t.header != *rejected && t.fresh() => return Ok(t.header.clone()),
            Some(t) if t.header == *rejected => t.id_token.clone(),
            // Not the in-memory token (a cleared or replaced one): refresh whatever is current.
            _ => SecretString::from(String::new()),
        };
        Ok(super::bearer_header(
            &self.refresh(&rejected, deadline).await?,
        ))
    }

    /// Forces a new token unless another task already replaced `rejected` (single flight).
    pub(crate) async fn refresh(
        &self,
        rejected: &SecretString,
        deadline: Option<Instant>,
    ) -> Result<SecretString> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref()
            && t.id_token.expose_secret() != rejected.expose_secret()
            && t.fresh()
        {
            return Ok(t.id_token.clone());
        }
        let _lock = self.exchange_lock(deadline).await?;
        // Another process may have stored a newer token since this one was rejected.
        if let Some(t) = self.cached_token().await
            && t.id_token.expose_secret() != rejected.expose_secret()
        {
            let token = t.id_token.clone();
            *current = Some(t);
            return Ok(token);
        }
        if let Some(state) = &self.state {
            // The cached token was rejected; never hand it out again.
            let _ = state
                .token_delete(&self.config.profile, &self.identity)
                .await;
        }
        let t = self.exchange(deadline).await?;
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
        Some(Token::from_id_token(cached.id_token)).filter(Token::fresh)
    }

    fn refresh_token(&self) -> Option<SecretString> {
        self.refresh_token.lock().ok().and_then(|t| t.clone())
    }

    /// The `state.db` key under which a rotated refresh token of a token with no store of its
    /// own (an environment variable) is kept.
    fn rotation_key(&self) -> String {
        format!(
            "rotated-refresh-token:{}:{}",
            self.config.profile, self.identity
        )
    }

    /// The refresh token to use now: the configured one, or the one the token service issued in
    /// its place (rotation), in this process or an earlier one.
    pub(crate) async fn current_refresh_token(&self) -> Option<SecretString> {
        if self.config.store.is_none()
            && let Some(state) = &self.state
            && let Ok(Some(rotated)) = state.pref_get(&self.rotation_key()).await
        {
            let rotated = SecretString::from(rotated);
            if let Ok(mut slot) = self.refresh_token.lock() {
                *slot = Some(rotated.clone());
            }
            return Some(rotated);
        }
        self.refresh_token()
    }

    async fn exchange(&self, deadline: Option<Instant>) -> Result<Token> {
        let refresh = self
            .current_refresh_token()
            .await
            .ok_or_else(|| Error::NoCredentials {
                profile: self.config.profile.clone(),
            })?;
        let answer = match self.exchange_with(&refresh, deadline).await {
            // Another process may have rotated the token since we read it: take the new one.
            Err(e @ Error::TokenRejected { .. }) => {
                if !self.reload(&refresh, deadline).await {
                    return Err(e);
                }
                let again = self.refresh_token().unwrap_or(refresh);
                self.exchange_with(&again, deadline).await?
            }
            other => other?,
        };
        let url = strip_query(&self.config.token_url);
        let id_token = answer
            .id_token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::decode(url.clone(), "the token answer has no id_token"))?;
        let token = Token::from_id_token(SecretString::from(id_token));
        if token.claims.exp.is_none() {
            return Err(Error::decode(
                url,
                "the id_token is not a JWT with an `exp` claim",
            ));
        }
        let successor = answer
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(SecretString::from);
        if let Some(new) = &successor {
            self.rotate(new.clone()).await;
        }
        if self.config.token_cache
            && let (Some(state), Some(exp)) = (&self.state, token.claims.exp)
        {
            let cached = CachedToken {
                id_token: token.id_token.clone(),
                expires_at: exp,
            };
            // A process that starts after the rotation reads the successor from the config
            // file, and so looks the token up under the successor's identity.
            let successor = successor
                .as_ref()
                .filter(|_| self.config.store.is_some())
                .map(identity_of);
            for identity in std::iter::once(&self.identity).chain(successor.as_ref()) {
                if let Err(e) = state
                    .token_put(&self.config.profile, identity, &cached)
                    .await
                {
                    tracing::warn!("could not cache the id token: {e}");
                }
            }
        }
        Ok(token)
    }

    /// Picks up a refresh token another process wrote (to the config file, or for a token from
    /// the environment to `state.db`); true when it differs from `used`.
    ///
    /// With rotation, a concurrent run that does not share our lock (another state directory)
    /// may have used (and so revoked) `used` an instant ago and not yet written its successor:
    /// look a few times over about a second, never past `deadline`, before giving up.
    async fn reload(&self, used: &SecretString, deadline: Option<Instant>) -> bool {
        for _ in 0..10 {
            let now = match &self.config.store {
                Some(store) => store.current(),
                None => match &self.state {
                    Some(state) => state
                        .pref_get(&self.rotation_key())
                        .await
                        .ok()
                        .flatten()
                        .map(SecretString::from),
                    None => return false,
                },
            };
            if let Some(now) = now
                && now.expose_secret() != used.expose_secret()
            {
                if let Ok(mut slot) = self.refresh_token.lock() {
                    *slot = Some(now);
                }
                return true;
            }
            let pause = std::time::Duration::from_millis(100);
            if deadline.is_some_and(|d| Instant::now() + pause >= d) {
                return false;
            }
            tokio::time::sleep(pause).await;
        }
        false
    }

    /// The token service issued a new refresh token (rotation): use it from now on and write it
    /// back where the old one came from — the config file, or, for a token from the
    /// environment, `state.db` (0600), since the old one no longer works anywhere.
    async fn rotate(&self, new: SecretString) {
        let old = self.refresh_token();
        if old
            .as_ref()
            .is_some_and(|o| o.expose_secret() == new.expose_secret())
        {
            return;
        }
        if let Ok(mut slot) = self.refresh_token.lock() {
            *slot = Some(new.clone());
        }
        let profile = &self.config.profile;
        let saved = match (&self.config.store, &old, &self.state) {
            (Some(store), Some(old), _) => store.rotated(old, &new),
            (None, _, Some(state)) => {
                state
                    .pref_set(&self.rotation_key(), new.expose_secret())
                    .await
            }
            _ => Err(Error::config("there is no state store to keep it in")),
        };
        match saved {
            Ok(()) if self.config.store.is_none() => tracing::warn!(
                "the token service replaced the refresh token of profile `{profile}`; the new one \
                 is kept in state.db, and the one in the environment no longer works"
            ),
            Ok(()) => {}
            Err(e) => tracing::warn!(
                "the token service replaced the refresh token of profile `{profile}`, but the new \
                 one could not be saved ({e}); it works for this process only"
            ),
        }
    }

    async fn exchange_with(
        &self,
        refresh: &SecretString,
        deadline: Option<Instant>,
    ) -> Result<TokenAnswer> {
        let url = &self.config.token_url;
        let form = [
            ("grant_type", "refresh_token"),
            ("client_id", self.config.client_id.as_str()),
            ("refresh_token", refresh.expose_secret()),
        ];
        let request = self
            .http
            .post(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&form)
            .build()
            .map_err(|e| super::failure::transport(url, e))?;
        self.exchanges.fetch_add(1, Ordering::Relaxed);
        let dispatch = Dispatch {
            http: &self.http,
            retry: &self.retry,
            stats: &self.stats,
            idem: Idempotency::Safe,
            deadline,
            attempt_timeout: None,
            what: "token exchange",
            // A token exchange is not an attempt of the call that needed the token.
            tally: None,
        };
        let (resp, _) = dispatch.send(&request, None).await?;
        let status = resp.status().as_u16();
        let retry_after = retry_after_of(&resp);
        let (_, body) = read_bounded(resp, url, MAX_TOKEN_ANSWER).await?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| Error::Decode {
                url: strip_query(url),
                message: "the token answer is not the expected JSON".into(),
                source: Some(e),
            });
        }
        let text = answer_text(status, &body);
        Err(match status {
            400 | 401 | 403 => Error::TokenRejected {
                profile: self.config.profile.clone(),
                status,
                code: text.code,
                description: text.message,
            },
            404 | 405 => Error::TokenEndpoint {
                url: strip_query(url),
                status,
            },
            429 => Error::RateLimited {
                url: strip_query(url),
                retry_after,
            },
            _ => Error::Api {
                url: strip_query(url),
                status,
                message: format!("the token service failed: {}", text.message),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::test_jwt as jwt;

    #[test]
    fn freshness_uses_skew() {
        let soon = Utc::now().timestamp() + 30;
        let later = Utc::now().timestamp() + 600;
        let t =
            |exp| Token::from_id_token(SecretString::from(jwt(serde_json::json!({"exp": exp}))));
        assert!(!t(soon).fresh());
        assert!(t(later).fresh());
        assert!(!Token::from_id_token(SecretString::from("opaque".to_string())).fresh());
    }

    #[test]
    fn debug_never_shows_the_token() {
        let m = TokenManager::new(
            AuthConfig {
                refresh_token: Some(SecretString::from("super-secret-refresh".to_string())),
                access_token: None,
                client_id: "c".into(),
                token_url: "http://127.0.0.1:1/oauth/token".into(),
                profile: "p".into(),
                token_cache: false,
                store: None,
            },
            crate::transport::http_client(
                std::time::Duration::from_secs(1),
                std::time::Duration::from_secs(1),
                true,
                crate::transport::user_agent::BASE,
            )
            .unwrap(),
            None,
            RetryConfig::default(),
            Arc::default(),
        );
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("super-secret-refresh"), "{dbg}");
        assert_ne!(m.identity(), "anonymous");
    }
}
