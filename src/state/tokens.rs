//! The id-token cache (`tokens`): one OAuth id token per profile and identity, shared by every
//! rsspot process that uses the same `state.db`, so a second CLI run makes no token exchange.
//!
//! # Where the token is kept, and how to opt out
//! Like kubectl (`~/.kube/cache`) and the AWS CLI (`~/.aws/cli/cache`, `~/.aws/sso/cache`), rsspot
//! caches the short-lived credential it obtains, not the long-lived one: the id token returned by
//! the token exchange is written to `state.db` (mode 0600, in a 0700 directory, readable only by
//! your user) and reused until [`TOKEN_EXPIRY_MARGIN`] before it expires. The refresh token is
//! never stored here. Anyone who can read the file as you can use the id token until it expires,
//! exactly as with the kubectl and AWS caches.
//!
//! To opt out, disable the token cache in the configuration (the client then keeps tokens in
//! memory only), remove cached tokens with [`StateStore::token_delete`], or move the whole file
//! aside with `rsspot state reset`. Tokens are never printed: [`CachedToken`]'s `Debug` redacts
//! the value.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::StateStore;
use crate::error::Result;

/// A cached token is not handed out when it expires within this margin, so a request never
/// starts with a token that lapses in flight.
pub const TOKEN_EXPIRY_MARGIN: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// An id token and its expiry. `Debug` shows `[REDACTED]` instead of the token.
#[derive(Clone, Debug)]
pub struct CachedToken {
    /// The bearer token.
    pub id_token: SecretString,
    /// When the token stops being valid (from its `exp` claim or `expires_in`).
    pub expires_at: DateTime<Utc>,
}

impl StateStore {
    /// The lock file that makes token exchanges single-flight across the processes sharing
    /// this `state.db` (`state.db.tokens.lock` beside it); `None` for a store in memory.
    pub(crate) fn token_lock_path(&self) -> Option<std::path::PathBuf> {
        self.path().map(|p| super::sidecar(p, ".tokens.lock"))
    }

    /// The cached token for `profile` and `identity`, unless it is missing or expires within
    /// [`TOKEN_EXPIRY_MARGIN`].
    pub async fn token_get(&self, profile: &str, identity: &str) -> Result<Option<CachedToken>> {
        let fresh_after = (self.now() + TOKEN_EXPIRY_MARGIN).timestamp_millis();
        let row: Option<(String, i64)> = retry_busy!(self, "read token cache", {
            sqlx::query_as(
                "SELECT id_token, expires_at FROM tokens \
                     WHERE profile = ? AND identity = ? AND expires_at > ?",
            )
            .bind(profile)
            .bind(identity)
            .bind(fresh_after)
            .fetch_optional(&self.pool)
            .await
        })?;
        Ok(row.and_then(|(token, expires_at)| {
            Some(CachedToken {
                id_token: SecretString::from(token),
                expires_at: DateTime::from_timestamp_millis(expires_at)?,
            })
        }))
    }

    /// Stores `token` for `profile` and `identity` (replacing the previous one) and drops
    /// tokens of any profile that have already expired.
    pub async fn token_put(
        &self,
        profile: &str,
        identity: &str,
        token: &CachedToken,
    ) -> Result<()> {
        let now = self.now_ms();
        let expires_at = token.expires_at.timestamp_millis();
        let secret = token.id_token.expose_secret();
        retry_busy!(write self, "write token cache", {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            sqlx::query(
                "INSERT INTO tokens (profile, identity, id_token, expires_at, stored_at) \
                 VALUES (?, ?, ?, ?, ?) \
                 ON CONFLICT (profile, identity) DO UPDATE SET \
                   id_token = excluded.id_token, expires_at = excluded.expires_at, \
                   stored_at = excluded.stored_at",
            )
            .bind(profile)
            .bind(identity)
            .bind(secret)
            .bind(expires_at)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM tokens WHERE expires_at <= ?")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        })
    }

    /// Forgets the token of `profile` and `identity` (e.g. after the server rejected it).
    pub async fn token_delete(&self, profile: &str, identity: &str) -> Result<()> {
        retry_busy!(write self, "delete cached token", {
            sqlx::query("DELETE FROM tokens WHERE profile = ? AND identity = ?")
                .bind(profile)
                .bind(identity)
                .execute(&self.pool)
                .await
                .map(|_| ())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str, expires_at: DateTime<Utc>) -> CachedToken {
        CachedToken {
            id_token: SecretString::from(value.to_owned()),
            expires_at,
        }
    }

    #[test]
    fn debug_redacts_token() {
        let text = format!("{:?}", token("eyJhbGciOiJIUzI1NiJ9.e30.sig", Utc::now()));
        assert!(!text.contains("eyJ"), "{text}");
        assert!(text.contains("REDACTED"), "{text}");
    }

    #[tokio::test]
    async fn expiring_tokens_are_not_returned() {
        let now = Utc::now();
        let store = StateStore::in_memory()
            .await
            .unwrap()
            .with_clock(move || now);
        let long = token("long", now + chrono::TimeDelta::hours(1));
        let short = token("short", now + chrono::TimeDelta::seconds(30));
        store.token_put("p", "org-a", &long).await.unwrap();
        store.token_put("p", "org-b", &short).await.unwrap();
        let got = store.token_get("p", "org-a").await.unwrap().unwrap();
        assert_eq!(got.id_token.expose_secret(), "long");
        assert_eq!(
            got.expires_at.timestamp_millis(),
            long.expires_at.timestamp_millis()
        );
        // Within the margin: treated as absent so the caller refreshes.
        assert!(store.token_get("p", "org-b").await.unwrap().is_none());
        assert!(store.token_get("other", "org-a").await.unwrap().is_none());
        store.token_delete("p", "org-a").await.unwrap();
        assert!(store.token_get("p", "org-a").await.unwrap().is_none());
    }
}
