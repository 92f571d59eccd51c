//! The HTTP response cache (`http_cache`), consulted by the SDK hook before and after requests.
//!
//! Rows are keyed by who is asking ([`CacheKey::scope`]: profile and identity), the method and
//! the full URL, so two profiles or organisations sharing one `state.db` never see each other's
//! responses. The caller picks the TTL per resource class; the store only keeps `expires_at`,
//! never serves an expired row, prunes expired rows on every write and evicts the least recently
//! used rows beyond `max_entries`.

use std::time::Duration;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StateStore;
use crate::error::Result;

/// Identifies one cached response.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    /// Who is asking: `"<profile>|<identity>"` where identity is the org id or token subject.
    pub scope: String,
    /// HTTP method (compared case-insensitively; stored upper-case).
    pub method: String,
    /// The full request URL, query string included.
    pub url: String,
}

impl CacheKey {
    /// Builds a key.
    pub fn new(
        scope: impl Into<String>,
        method: impl Into<String>,
        url: impl Into<String>,
    ) -> Self {
        CacheKey {
            scope: scope.into(),
            method: method.into(),
            url: url.into(),
        }
    }

    /// The primary key of the row: hex sha256 over scope, method and URL (NUL-separated, so no
    /// two different triples collide by concatenation).
    pub fn digest(&self) -> String {
        let mut hasher = Sha256::new();
        hasher.update(self.scope.as_bytes());
        hasher.update([0]);
        hasher.update(self.method.to_ascii_uppercase().as_bytes());
        hasher.update([0]);
        hasher.update(self.url.as_bytes());
        hex::encode(hasher.finalize())
    }
}

/// A stored response.
#[derive(Clone, PartialEq, Eq)]
pub struct CachedResponse {
    /// HTTP status code.
    pub status: u16,
    /// The response body as received.
    pub body: Vec<u8>,
    /// The `ETag` header, for conditional revalidation.
    pub etag: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
}

// Bodies can be large and may hold credentials (kubeconfigs); show only their size.
impl std::fmt::Debug for CachedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedResponse")
            .field("status", &self.status)
            .field("body_len", &self.body.len())
            .field("etag", &self.etag)
            .field("content_type", &self.content_type)
            .finish()
    }
}

/// What `rsspot cache stats` shows.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Rows stored (fresh and expired).
    pub entries: u64,
    /// Rows whose TTL has passed (removed by the next write or `cache clear --expired`).
    pub expired: u64,
    /// Total body bytes stored.
    pub bytes: u64,
    /// Lookups answered from the cache since the counters were last reset (all processes).
    pub hits: u64,
    /// Lookups that found nothing fresh since the counters were last reset (all processes).
    pub misses: u64,
}

type CacheRow = (i64, Vec<u8>, Option<String>, Option<String>);

impl StateStore {
    /// The fresh response stored under `key`, or `None` (missing or expired). A hit marks the row
    /// most recently used; an expired row is deleted.
    pub async fn cache_get(&self, key: &CacheKey) -> Result<Option<CachedResponse>> {
        let digest = key.digest();
        let digest = digest.as_str();
        let now = self.now_ms();
        let row: Option<CacheRow> = retry_busy!(write self, "read cache", {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let row: Option<CacheRow> = sqlx::query_as(
                "UPDATE http_cache SET \
                       last_used = (SELECT COALESCE(MAX(last_used), 0) + 1 FROM http_cache), \
                       hits = hits + 1 \
                     WHERE key = ? AND expires_at > ? \
                     RETURNING status, body, etag, content_type",
            )
            .bind(digest)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if row.is_some() {
                sqlx::query("UPDATE http_cache_counters SET hits = hits + 1 WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query("DELETE FROM http_cache WHERE key = ? AND expires_at <= ?")
                    .bind(digest)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE http_cache_counters SET misses = misses + 1 WHERE id = 1")
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(row)
        })?;
        Ok(
            row.map(|(status, body, etag, content_type)| CachedResponse {
                status: u16::try_from(status).unwrap_or(0),
                body,
                etag,
                content_type,
            }),
        )
    }

    /// Stores `resp` under `key` for `ttl` (replacing any previous row), prunes expired rows and
    /// evicts the least recently used rows so at most `max_entries` remain.
    pub async fn cache_put(
        &self,
        key: &CacheKey,
        resp: &CachedResponse,
        ttl: Duration,
        max_entries: u32,
    ) -> Result<()> {
        let digest = key.digest();
        let digest = digest.as_str();
        let method = key.method.to_ascii_uppercase();
        let method = method.as_str();
        let now = self.now_ms();
        let expires_at = now.saturating_add(i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX));
        retry_busy!(write self, "write cache", {
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            sqlx::query(
                "INSERT INTO http_cache \
                   (key, scope, method, url, status, body, etag, content_type, stored_at, expires_at, last_used, hits) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, \
                   (SELECT COALESCE(MAX(last_used), 0) + 1 FROM http_cache), 0) \
                 ON CONFLICT (key) DO UPDATE SET \
                   status = excluded.status, body = excluded.body, etag = excluded.etag, \
                   content_type = excluded.content_type, stored_at = excluded.stored_at, \
                   expires_at = excluded.expires_at, last_used = excluded.last_used, hits = 0",
            )
            .bind(digest)
            .bind(&key.scope)
            .bind(method)
            .bind(&key.url)
            .bind(i64::from(resp.status))
            .bind(&resp.body)
            .bind(&resp.etag)
            .bind(&resp.content_type)
            .bind(now)
            .bind(expires_at)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM http_cache WHERE expires_at <= ?")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "DELETE FROM http_cache WHERE key IN \
                   (SELECT key FROM http_cache ORDER BY last_used DESC LIMIT -1 OFFSET ?)",
            )
            .bind(i64::from(max_entries))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
    }

    /// Deletes the rows of `scope` for `url_prefix` and everything below it: URLs equal to the
    /// prefix or starting with `prefix/` or `prefix?`. A write to `.../cloudspaces` thus drops the
    /// list (with any query) and every item, but not `.../cloudspacesx`. Comparison is exact
    /// (no `LIKE`, so `_`/`%` in URLs and letter case mean what they say). A query string or
    /// trailing `/` on the prefix is ignored. Returns the number of rows deleted.
    pub async fn cache_invalidate(&self, scope: &str, url_prefix: &str) -> Result<u64> {
        let base = url_prefix.split(['?', '#']).next().unwrap_or(url_prefix);
        let base = base.trim_end_matches('/');
        let slash = format!("{base}/");
        let query = format!("{base}?");
        // substr() counts characters for TEXT, so the length is in characters, not bytes.
        let len = i64::try_from(slash.chars().count()).unwrap_or(i64::MAX);
        let (slash, query) = (slash.as_str(), query.as_str());
        retry_busy!(write self, "invalidate cache", {
            sqlx::query(
                "DELETE FROM http_cache WHERE scope = ? \
                   AND (url = ? OR substr(url, 1, ?) = ? OR substr(url, 1, ?) = ?)",
            )
            .bind(scope)
            .bind(base)
            .bind(len)
            .bind(slash)
            .bind(len)
            .bind(query)
            .execute(&self.pool)
            .await
            .map(|r| r.rows_affected())
        })
    }

    /// Deletes expired rows (`expired_only`), or every row and the hit/miss counters.
    /// Returns the number of rows deleted.
    pub async fn cache_clear(&self, expired_only: bool) -> Result<u64> {
        let now = self.now_ms();
        retry_busy!(write self, "clear cache", {
            if expired_only {
                return sqlx::query("DELETE FROM http_cache WHERE expires_at <= ?")
                    .bind(now)
                    .execute(&self.pool)
                    .await
                    .map(|r| r.rows_affected());
            }
            let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            let deleted = sqlx::query("DELETE FROM http_cache")
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("UPDATE http_cache_counters SET hits = 0, misses = 0 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(deleted)
        })
    }

    /// How long ago the entry under `key` was stored, if it is there (for "cached 12s ago").
    pub(crate) async fn cache_age(&self, key: &CacheKey) -> Result<Option<std::time::Duration>> {
        let digest = key.digest();
        let now = self.now_ms();
        let stored: Option<(i64,)> = retry_busy!(self, "read cache age", {
            sqlx::query_as("SELECT stored_at FROM http_cache WHERE key = ?")
                .bind(digest.as_str())
                .fetch_optional(&self.pool)
                .await
        })?;
        Ok(stored
            .map(|(at,)| std::time::Duration::from_millis(u64::try_from(now - at).unwrap_or(0))))
    }

    /// Entry counts, stored bytes and hit/miss counters.
    pub async fn cache_stats(&self) -> Result<CacheStats> {
        let now = self.now_ms();
        let (entries, expired, bytes, hits, misses): (i64, i64, i64, i64, i64) =
            retry_busy!(self, "read cache stats", {
                sqlx::query_as(
                    "SELECT \
                       (SELECT COUNT(*) FROM http_cache), \
                       (SELECT COUNT(*) FROM http_cache WHERE expires_at <= ?), \
                       (SELECT COALESCE(SUM(length(body)), 0) FROM http_cache), \
                       COALESCE((SELECT hits FROM http_cache_counters WHERE id = 1), 0), \
                       COALESCE((SELECT misses FROM http_cache_counters WHERE id = 1), 0)",
                )
                .bind(now)
                .fetch_one(&self.pool)
                .await
            })?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(CacheStats {
            entries: n(entries),
            expired: n(expired),
            bytes: n(bytes),
            hits: n(hits),
            misses: n(misses),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(body: &str) -> CachedResponse {
        CachedResponse {
            status: 200,
            body: body.as_bytes().to_vec(),
            etag: Some("\"v1\"".into()),
            content_type: Some("application/json".into()),
        }
    }

    #[test]
    fn digest_separates_fields_and_ignores_method_case() {
        let a = CacheKey::new("p|org", "GET", "https://h/x");
        let b = CacheKey::new("p|or", "GET", "ghttps://h/x");
        assert_ne!(a.digest(), b.digest());
        assert_eq!(
            a.digest(),
            CacheKey::new("p|org", "get", "https://h/x").digest()
        );
        assert_eq!(a.digest().len(), 64);
    }

    #[test]
    fn debug_hides_body() {
        let text = format!("{:?}", resp("secret-kubeconfig"));
        assert!(!text.contains("secret-kubeconfig"), "{text}");
        assert!(text.contains("body_len: 17"), "{text}");
    }

    #[tokio::test]
    async fn hit_and_miss_are_counted() {
        let store = StateStore::in_memory().await.unwrap();
        let key = CacheKey::new("p|o", "GET", "https://h/regions");
        assert_eq!(store.cache_get(&key).await.unwrap(), None);
        store
            .cache_put(&key, &resp("[]"), Duration::from_secs(60), 10)
            .await
            .unwrap();
        assert_eq!(store.cache_get(&key).await.unwrap(), Some(resp("[]")));
        let stats = store.cache_stats().await.unwrap();
        assert_eq!((stats.entries, stats.hits, stats.misses), (1, 1, 1));
        assert_eq!(stats.bytes, 2);
        assert_eq!(store.cache_clear(false).await.unwrap(), 1);
        assert_eq!(store.cache_stats().await.unwrap(), CacheStats::default());
    }

    #[tokio::test]
    async fn invalidation_is_exact_not_like() {
        let store = StateStore::in_memory().await.unwrap();
        let put = |url: &'static str| {
            let store = store.clone();
            async move {
                store
                    .cache_put(
                        &CacheKey::new("s", "GET", url),
                        &resp("{}"),
                        Duration::from_secs(60),
                        100,
                    )
                    .await
                    .unwrap();
            }
        };
        // `_` and `%` are LIKE wildcards; upper case would match a case-insensitive LIKE.
        put("https://h/a_b").await;
        put("https://h/aXb").await;
        put("https://h/A_B").await;
        put("https://h/a%b/item").await;
        assert_eq!(
            store.cache_invalidate("s", "https://h/a_b").await.unwrap(),
            1
        );
        assert_eq!(
            store.cache_invalidate("s", "https://h/a%").await.unwrap(),
            0
        );
        assert_eq!(
            store.cache_invalidate("s", "https://h/a%b/").await.unwrap(),
            1
        );
        assert_eq!(store.cache_stats().await.unwrap().entries, 2);
    }
}
