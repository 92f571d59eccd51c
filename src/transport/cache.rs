//! The HTTP cache stage: GET answers of cacheable operations are served from and stored in
//! `state.db`, keyed by profile and credential; every successful write invalidates its
//! namespace.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::CONTENT_TYPE;

use crate::raw::Operation;
use crate::state::{CacheKey, CachedResponse};

use super::Inner;

/// Cache settings of a client.
#[derive(Clone)]
pub(crate) struct CachePolicy {
    /// Whether GETs are cached at all.
    pub enabled: bool,
    /// TTL per resource class (`regions`, `cloudspaces`, `pricing`, ...).
    pub ttl: Arc<dyn Fn(&str) -> Duration + Send + Sync>,
    /// LRU cap on stored responses.
    pub max_entries: u32,
}

/// Built-in TTLs: reference data longer than namespaced resources, public pricing longest.
pub fn default_ttl(class: &str) -> Duration {
    Duration::from_secs(match class {
        "pricing" => 3600,
        "regions" => 3600,
        "serverclasses" => 600,
        "organizations" => 300,
        _ => 5,
    })
}

/// `…/namespaces/{ns}` of a URL, the scope every write invalidates.
pub(crate) fn namespace_prefix(url: &str) -> Option<String> {
    let idx = url.find("/namespaces/")?;
    let rest = &url[idx + "/namespaces/".len()..];
    let ns_end = rest.find(['/', '?']).unwrap_or(rest.len());
    Some(url[..idx + "/namespaces/".len() + ns_end].to_string())
}

impl Inner {
    fn scope(&self) -> String {
        format!(
            "{}|{}",
            self.pipeline.profile,
            self.pipeline.auth.identity()
        )
    }

    /// The cache key of a request, when its answer may be cached.
    pub(crate) fn cache_key(
        &self,
        op: &Operation,
        method: &reqwest::Method,
        url: &str,
    ) -> Option<CacheKey> {
        let p = &self.pipeline;
        (*method == reqwest::Method::GET
            && p.cache.enabled
            && p.state.is_some()
            && !self.bypass_cache
            && !op.cache_class.is_empty())
        .then(|| CacheKey {
            scope: self.scope(),
            method: "GET".into(),
            url: url.to_string(),
        })
    }

    /// A stored answer for `key`, as a response.
    pub(crate) async fn cache_lookup(
        &self,
        key: &CacheKey,
        url: &reqwest::Url,
    ) -> Option<reqwest::Response> {
        let state = self.pipeline.state.as_ref()?;
        let hit = state.cache_get(key).await.ok().flatten()?;
        self.pipeline.stats.add_cache_hit();
        if let Some(tally) = &self.tally {
            tally.add_cache_hit();
        }
        super::errors::note_cache_hit(state, key);
        tracing::debug!(url = %super::failure::strip_query(url.as_str()), "cache hit");
        // `-v` says an answer is not live, and how old it is (one more read, only then).
        if tracing::enabled!(tracing::Level::INFO)
            && let Ok(Some(age)) = state.cache_age(key).await
        {
            tracing::info!(
                "{} answered from the cache (cached {}s ago; --no-cache asks the server)",
                url.path(),
                age.as_secs()
            );
        }
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(ct) = hit.content_type.as_deref().and_then(|c| c.parse().ok()) {
            headers.insert(CONTENT_TYPE, ct);
        }
        let status = reqwest::StatusCode::from_u16(hit.status).ok()?;
        Some(super::limits::rebuild(
            url.clone(),
            status,
            &headers,
            Bytes::from(hit.body),
        ))
    }

    /// Stores an answer (only bodies that decode as JSON are worth keeping).
    pub(crate) async fn cache_store(
        &self,
        op: &Operation,
        key: &CacheKey,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) {
        let p = &self.pipeline;
        let Some(state) = &p.state else {
            return;
        };
        if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_err() {
            return;
        }
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let cached = CachedResponse {
            status,
            body: body.to_vec(),
            etag: header(reqwest::header::ETAG),
            content_type: header(CONTENT_TYPE),
        };
        let ttl = (p.cache.ttl)(op.cache_class);
        if let Err(e) = state
            .cache_put(key, &cached, ttl, p.cache.max_entries)
            .await
        {
            tracing::debug!("cache store failed: {e}");
        }
    }

    /// Drops what a successful write to `url` may have made stale.
    pub(crate) async fn invalidate(&self, url: &str) {
        if let (Some(state), Some(prefix)) = (&self.pipeline.state, namespace_prefix(url))
            && let Err(e) = state.cache_invalidate(&self.scope(), &prefix).await
        {
            tracing::debug!("cache invalidation failed: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_prefix_of_urls() {
        assert_eq!(
            namespace_prefix("http://h/apis/ngpc.rxt.io/v1/namespaces/org-a/cloudspaces/x")
                .as_deref(),
            Some("http://h/apis/ngpc.rxt.io/v1/namespaces/org-a")
        );
        assert_eq!(
            namespace_prefix("http://h/apis/ngpc.rxt.io/v1/namespaces/org-a?x=1").as_deref(),
            Some("http://h/apis/ngpc.rxt.io/v1/namespaces/org-a")
        );
        assert_eq!(
            namespace_prefix("http://h/apis/ngpc.rxt.io/v1/regions"),
            None
        );
    }
}
