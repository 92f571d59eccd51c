//! progenitor `ClientHooks`: the one path every generated call takes.
//!
//! route the host → merge-patch content type → cache lookup → bearer → send with retry (backoff,
//! `Retry-After`, idempotency-aware) → one 401 refresh and replay → cache store / invalidation.
//! Failures that happen inside the hooks but are not HTTP answers (a rejected refresh token) travel
//! to the error mapper as synthetic responses marked with [`ERROR_HEADER`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use secrecy::ExposeSecret;
use serde_json::Value;

use crate::auth::TokenManager;
use crate::error::Error;
use crate::raw::{self, HostKind, Operation};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::state::{CacheKey, CachedResponse, StateStore};

/// Marks a synthetic response that carries an rsspot error rather than a server answer.
pub(crate) const ERROR_HEADER: &str = "x-rsspot-error";

/// Responses larger than this are refused instead of being buffered.
pub const MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;

/// Cache settings the hooks apply.
#[derive(Clone)]
pub struct CachePolicy {
    /// Whether GETs are cached at all.
    pub enabled: bool,
    /// TTL per resource class (`regions`, `cloudspaces`, `pricing`, ...).
    pub ttl: Arc<dyn Fn(&str) -> Duration + Send + Sync>,
    /// LRU cap on stored responses.
    pub max_entries: u32,
}

impl std::fmt::Debug for CachePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachePolicy")
            .field("enabled", &self.enabled)
            .field("max_entries", &self.max_entries)
            .finish_non_exhaustive()
    }
}

impl Default for CachePolicy {
    fn default() -> Self {
        CachePolicy {
            enabled: true,
            ttl: Arc::new(default_ttl),
            max_entries: 1000,
        }
    }
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

/// Counters for tests, benchmarks and `-v` output.
#[derive(Debug, Default)]
pub struct Stats {
    /// HTTP requests put on the wire (including retries and token-refresh replays).
    pub sent: AtomicU64,
    /// Retries made after a failure.
    pub retries: AtomicU64,
    /// Responses served from the cache.
    pub cache_hits: AtomicU64,
    /// Creates resolved to an existing object after an ambiguous failure.
    pub resolved_creates: AtomicU64,
}

/// Everything the hooks share between clones of a client.
pub(crate) struct Shared {
    pub api_url: String,
    pub oauth_url: String,
    pub public_data_url: String,
    pub profile: String,
    pub auth: Arc<TokenManager>,
    pub state: Option<StateStore>,
    pub retry: RetryPolicy,
    pub cache: CachePolicy,
    pub stats: Stats,
}

/// State the generated `Client` carries (progenitor's `inner` type). Cheap to clone.
#[derive(Clone)]
pub struct Inner {
    pub(crate) shared: Arc<Shared>,
    pub(crate) bypass_cache: bool,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("api_url", &self.shared.api_url)
            .field("profile", &self.shared.profile)
            .field("bypass_cache", &self.bypass_cache)
            .finish_non_exhaustive()
    }
}

impl ClientHooks<Inner> for raw::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use progenitor_client::ClientInfo;
        let inner: &Inner = self.inner();
        // Boxed once here: the request path (retries, auth, cache, paging) is a large state
        // machine, and every generated call and service method would otherwise carry it inline,
        // which makes callers' futures (and their stack use in debug builds) balloon.
        Box::pin(inner.execute(self.client(), request, info.operation_id)).await
    }
}

/// The start of the message of a transport error whose cause is the server's TLS certificate
/// (matched by [`Error::hint`]).
pub(crate) const TLS_REJECTED: &str = "the server's TLS certificate was rejected";

/// Whether the request failed because the server's certificate did not verify: not transient,
/// so never retried.
pub(crate) fn is_certificate_error(e: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        // rustls' error reaches us wrapped in io::Errors (twice), whose `source()` skips it.
        let mut inner = s;
        while let Some(wrapped) = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            inner = wrapped;
        }
        if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
            return matches!(
                tls,
                rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
            );
        }
        source = s.source();
    }
    false
}

/// A reqwest error as one line, without the URL's query (which could carry a selector).
pub(crate) fn describe_reqwest_error(e: &reqwest::Error) -> String {
    let kind = if is_certificate_error(e) {
        TLS_REJECTED
    } else if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "the response body could not be read"
    } else if e.is_request() {
        "the request could not be sent"
    } else {
        "request failed"
    };
    let mut source = std::error::Error::source(e);
    let mut detail = String::new();
    while let Some(s) = source {
        detail = s.to_string();
        source = s.source();
    }
    if detail.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}: {detail}")
    }
}

/// An rsspot error travelling through the generated code as a marked response.
#[derive(serde::Serialize, serde::Deserialize)]
struct Carried {
    kind: String,
    status: u16,
    url: String,
    message: String,
}

fn carry(url: &str, e: &Error) -> reqwest::Response {
    let (kind, status, u, message) = match e {
        Error::Auth { message } => ("auth", 401, url.to_string(), message.clone()),
        Error::Transport { url, message } => ("transport", 502, url.clone(), message.clone()),
        Error::Decode { url, message } => ("decode", 502, url.clone(), message.clone()),
        Error::Api { status, message } => ("api", *status, url.to_string(), message.clone()),
        other => ("api", 500, url.to_string(), other.to_string()),
    };
    let body = serde_json::to_vec(&Carried {
        kind: kind.into(),
        status,
        url: u,
        message,
    })
    .unwrap_or_default();
    let mut builder = http::Response::builder()
        .status(if status >= 400 { status } else { 500 })
        .header(ERROR_HEADER, kind)
        .header(CONTENT_TYPE, "application/json");
    if let Ok(parsed) = reqwest::Url::parse(url) {
        use reqwest::ResponseBuilderExt;
        builder = builder.url(parsed);
    }
    reqwest::Response::from(builder.body(Bytes::from(body)).unwrap_or_default())
}

/// Pages of one list followed at most (a server that never ends a list is refused).
const MAX_PAGES: usize = 10_000;

/// The non-empty `metadata.continue` of a list document, if it has one.
///
/// A byte scan first: nearly every list carries `"continue":""` or nothing, and those need no
/// parse at all.
fn continue_token(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"continue\"";
    let maybe = memchr::memmem::find_iter(body, KEY).any(|at| {
        let rest = &body[at + KEY.len()..];
        let mut it = rest.iter().skip_while(|b| b.is_ascii_whitespace());
        if it.next() != Some(&b':') {
            return false;
        }
        let mut it = it.skip_while(|b| b.is_ascii_whitespace());
        !(it.next() == Some(&b'"') && it.next() == Some(&b'"'))
    });
    if !maybe {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Page {
        metadata: Option<Meta>,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "continue")]
        token: Option<String>,
    }
    serde_json::from_slice::<Page>(body)
        .ok()?
        .metadata?
        .token
        .filter(|t| !t.is_empty())
}

/// Reads a body, refusing more than [`MAX_RESPONSE_BYTES`] whatever the headers announce.
async fn read_bounded(
    mut resp: reqwest::Response,
    url: &str,
) -> Result<(reqwest::Response, Bytes), reqwest::Response> {
    let too_large = |url: &str| {
        refusal(
            url,
            format!(
                "the response is larger than {} MiB; refused",
                MAX_RESPONSE_BYTES / 1024 / 1024
            ),
        )
    };
    if resp
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES)
    {
        return Err(too_large(url));
    }
    let status = resp.status();
    let headers = resp.headers().clone();
    let final_url = resp.url().clone();
    if resp.content_length().is_some() {
        // Announced and within bounds (checked above); hyper stops at the announced length.
        return match resp.bytes().await {
            Ok(body) => Ok((rebuild(final_url, status, &headers, body.clone()), body)),
            Err(e) => Err(carry(
                url,
                &Error::Transport {
                    url: strip_query(url),
                    message: describe_reqwest_error(&e),
                },
            )),
        };
    }
    let mut body = bytes::BytesMut::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if (body.len() + chunk.len()) as u64 > MAX_RESPONSE_BYTES {
                    return Err(too_large(url));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(e) => {
                return Err(carry(
                    url,
                    &Error::Transport {
                        url: strip_query(url),
                        message: describe_reqwest_error(&e),
                    },
                ));
            }
        }
    }
    let body = body.freeze();
    Ok((rebuild(final_url, status, &headers, body.clone()), body))
}

fn rebuild(
    url: reqwest::Url,
    status: reqwest::StatusCode,
    headers: &reqwest::header::HeaderMap,
    body: Bytes,
) -> reqwest::Response {
    use reqwest::ResponseBuilderExt;
    let mut builder = http::Response::builder().status(status).url(url);
    if let Some(h) = builder.headers_mut() {
        h.extend(headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    reqwest::Response::from(builder.body(body).unwrap_or_default())
}

/// `…/namespaces/{ns}` of a URL, the scope every write invalidates.
fn namespace_prefix(url: &str) -> Option<String> {
    let idx = url.find("/namespaces/")?;
    let rest = &url[idx + "/namespaces/".len()..];
    let ns_end = rest.find(['/', '?']).unwrap_or(rest.len());
    Some(url[..idx + "/namespaces/".len() + ns_end].to_string())
}

/// Whether `stored` carries everything we sent in `sent` (objects compared key by key).
fn contains(stored: &Value, sent: &Value) -> bool {
    match (stored, sent) {
        (Value::Object(a), Value::Object(b)) => b.iter().all(|(k, v)| match a.get(k) {
            Some(av) => contains(av, v),
            None => {
                v.is_null()
                    || v.as_object().is_some_and(|o| o.is_empty())
                    || v.as_array().is_some_and(|a| a.is_empty())
            }
        }),
        (a, b) => a == b,
    }
}

impl Inner {
    fn route(&self, request: &mut reqwest::Request, op: &Operation) {
        let base = match op.host {
            HostKind::Api => return,
            HostKind::Auth => &self.shared.oauth_url,
            HostKind::PublicData => &self.shared.public_data_url,
        };
        let url = request.url().as_str();
        if let Some(rest) = url.strip_prefix(self.shared.api_url.trim_end_matches('/'))
            && let Ok(new) = reqwest::Url::parse(&format!("{}{rest}", base.trim_end_matches('/')))
        {
            *request.url_mut() = new;
        }
    }

    fn scope(&self) -> String {
        format!("{}|{}", self.shared.profile, self.shared.auth.identity())
    }

    /// Runs one operation; a list answered in pages (`metadata.continue`) is followed to its
    /// end and handed on as one list, cached whole.
    pub(crate) async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        op_id: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let list_op = raw::operation(op_id)
            .filter(|op| request.method() == reqwest::Method::GET && op.id.starts_with("list_"));
        let (Some(op), Some(template)) = (list_op, request.try_clone()) else {
            return self.execute_once(http, request, op_id).await;
        };
        let first = self.execute_once(http, request, op_id).await?;
        if !first.status().is_success() || first.headers().contains_key(ERROR_HEADER) {
            return Ok(first);
        }
        let url = first.url().to_string();
        let (first, body) = match read_bounded(first, &url).await {
            Ok(read) => read,
            Err(refused) => return Ok(refused),
        };
        match continue_token(&body) {
            None => Ok(first),
            // Boxed: the rare paged path must not grow every call's future.
            Some(token) => {
                Box::pin(self.follow_pages(http, template, op, first, body, token)).await
            }
        }
    }

    /// Fetches the pages after `first` and merges their `items` into one list document.
    async fn follow_pages(
        &self,
        http: &reqwest::Client,
        template: reqwest::Request,
        op: &Operation,
        first: reqwest::Response,
        first_body: Bytes,
        mut token: String,
    ) -> reqwest::Result<reqwest::Response> {
        let final_url = first.url().clone();
        let url = final_url.to_string();
        let status = first.status();
        let headers = first.headers().clone();
        let refuse = |message: String| Ok(refusal(&url, message));
        let Ok(mut doc) = serde_json::from_slice::<Value>(&first_body) else {
            return Ok(first);
        };
        let mut total = first_body.len() as u64;
        let mut seen = std::collections::HashSet::new();
        loop {
            if !seen.insert(token.clone()) || seen.len() > MAX_PAGES {
                return refuse(format!(
                    "the list did not end after {} pages (repeated or endless `continue`); refused",
                    seen.len()
                ));
            }
            let Some(mut next) = template.try_clone() else {
                return Ok(first);
            };
            next.url_mut()
                .query_pairs_mut()
                .append_pair("continue", &token);
            let resp = Box::pin(self.execute_once(http, next, op.id)).await?;
            if !resp.status().is_success() || resp.headers().contains_key(ERROR_HEADER) {
                return Ok(resp);
            }
            let page_url = resp.url().to_string();
            let body = match read_bounded(resp, &page_url).await {
                Ok((_, body)) => body,
                Err(refused) => return Ok(refused),
            };
            total += body.len() as u64;
            if total > MAX_RESPONSE_BYTES {
                return refuse(format!(
                    "the list is larger than {} MiB; refused",
                    MAX_RESPONSE_BYTES / 1024 / 1024
                ));
            }
            let mut page: Value = match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(e) => return refuse(format!("page {} of the list: {e}", seen.len() + 1)),
            };
            let items = page.get_mut("items").map(Value::take);
            if let (Some(Value::Array(all)), Some(Value::Array(more))) =
                (doc.get_mut("items"), items)
            {
                all.extend(more);
            }
            token = page
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if token.is_empty() {
                break;
            }
        }
        if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("continue".into(), Value::String(String::new()));
            meta.remove("remainingItemCount");
        }
        let body = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
        tracing::debug!(
            op = op.id,
            pages = seen.len() + 1,
            "list followed to its end"
        );
        if let Some(key) = self.cache_key(op, &reqwest::Method::GET, &url) {
            self.cache_store(op, &key, status.as_u16(), &headers, &body)
                .await;
        }
        Ok(rebuild(final_url, status, &headers, body))
    }

    fn cache_key(&self, op: &Operation, method: &reqwest::Method, url: &str) -> Option<CacheKey> {
        (*method == reqwest::Method::GET
            && self.shared.cache.enabled
            && self.shared.state.is_some()
            && !self.bypass_cache
            && !op.cache_class.is_empty())
        .then(|| CacheKey {
            scope: self.scope(),
            method: "GET".into(),
            url: url.to_string(),
        })
    }

    async fn cache_store(
        &self,
        op: &Operation,
        key: &CacheKey,
        status: u16,
        headers: &reqwest::header::HeaderMap,
        body: &[u8],
    ) {
        let Some(state) = &self.shared.state else {
            return;
        };
        let cached = CachedResponse {
            status,
            body: body.to_vec(),
            etag: headers
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
            content_type: headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        let ttl = (self.shared.cache.ttl)(op.cache_class);
        if let Err(e) = state
            .cache_put(key, &cached, ttl, self.shared.cache.max_entries)
            .await
        {
            tracing::debug!("cache store failed: {e}");
        }
    }

    async fn execute_once(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        op_id: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(op) = raw::operation(op_id) else {
            return http.execute(request).await;
        };
        self.route(&mut request, op);
        if request.method() == reqwest::Method::PATCH {
            request.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/merge-patch+json"),
            );
        }
        let url = request.url().to_string();
        let shared = &self.shared;

        let cache_key = self.cache_key(op, request.method(), &url);
        if let (Some(key), Some(state)) = (&cache_key, &shared.state)
            && let Ok(Some(hit)) = state.cache_get(key).await
        {
            shared.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(op = op.id, "cache hit");
            use reqwest::ResponseBuilderExt;
            let mut builder = http::Response::builder()
                .status(hit.status)
                .url(request.url().clone());
            if let Some(ct) = &hit.content_type {
                builder = builder.header(CONTENT_TYPE, ct);
            }
            return Ok(reqwest::Response::from(
                builder.body(Bytes::from(hit.body)).unwrap_or_default(),
            ));
        }

        let mut bearer = if op.authenticated {
            match shared.auth.bearer().await {
                Ok(t) => Some(t),
                Err(e) => return Ok(carry(&url, &e)),
            }
        } else {
            None
        };

        let is_create = request.method() == reqwest::Method::POST && op.id.starts_with("create_");
        let is_delete = request.method() == reqwest::Method::DELETE;
        let mut attempt: u32 = 0;
        let mut replayed_401 = false;
        // Set once a request may have reached the server without us seeing its answer.
        let mut ambiguous = false;
        loop {
            attempt += 1;
            let Some(mut req) = request.try_clone() else {
                return http.execute(request).await;
            };
            if let Some(token) = &bearer {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                    .unwrap_or_else(|_| HeaderValue::from_static(""));
                value.set_sensitive(true);
                req.headers_mut().insert(AUTHORIZATION, value);
            }
            let started = Instant::now();
            shared.stats.sent.fetch_add(1, Ordering::Relaxed);
            let result = http.execute(req).await;
            let can_retry = attempt < shared.retry.max_attempts;
            let resp = match result {
                Err(e) => {
                    let sent = !e.is_connect();
                    tracing::debug!(op = op.id, attempt, error = %describe_reqwest_error(&e), "transport error");
                    // A create may be replayed: a 409 for our own object resolves it below.
                    if can_retry
                        && !is_certificate_error(&e)
                        && (!sent || op.idempotent || is_create)
                    {
                        ambiguous |= sent;
                        shared.stats.retries.fetch_add(1, Ordering::Relaxed);
                        tokio::time::sleep(shared.retry.backoff(attempt, None)).await;
                        continue;
                    }
                    return Err(e);
                }
                Ok(r) => r,
            };
            let status = resp.status().as_u16();
            tracing::debug!(
                op = op.id,
                attempt,
                status,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "response"
            );

            if status == 401 && op.authenticated && !replayed_401 {
                replayed_401 = true;
                attempt -= 1; // the replay is not a retry
                let rejected = bearer.clone();
                bearer = match rejected {
                    Some(old) => match shared.auth.refresh(&old).await {
                        Ok(t) => Some(t),
                        Err(e) => return Ok(carry(&url, &e)),
                    },
                    None => None,
                };
                continue;
            }
            if shared.retry.retries_status(status) && can_retry && (op.idempotent || is_create) {
                let retry_after = resp
                    .headers()
                    .get(RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(parse_retry_after);
                ambiguous |= status >= 500;
                shared.stats.retries.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(shared.retry.backoff(attempt, retry_after)).await;
                continue;
            }
            if status == 409 && is_create && ambiguous {
                return self
                    .resolve_create(http, &request, resp, bearer.as_ref())
                    .await;
            }
            if status == 404 && is_delete && ambiguous {
                // The earlier attempt deleted it.
                let body = serde_json::json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"});
                let resp = http::Response::builder()
                    .status(200)
                    .header(CONTENT_TYPE, "application/json")
                    .body(Bytes::from(body.to_string()))
                    .unwrap_or_default();
                self.invalidate(&url).await;
                return Ok(reqwest::Response::from(resp));
            }
            // No caller may be made to buffer a huge body: an announced length is checked (hyper
            // stops there), anything else is read here with a running limit. Only answers we
            // cache are read here when their length is known.
            let caching =
                (200..300).contains(&status) && cache_key.is_some() && shared.state.is_some();
            if !caching
                && resp
                    .content_length()
                    .is_some_and(|n| n <= MAX_RESPONSE_BYTES)
            {
                if (200..300).contains(&status) && request.method() != reqwest::Method::GET {
                    self.invalidate(&url).await;
                }
                return Ok(resp);
            }
            let (resp, body) = match read_bounded(resp, &url).await {
                Ok(read) => read,
                Err(refused) => return Ok(refused),
            };
            if (200..300).contains(&status) {
                if let Some(key) = &cache_key {
                    // Only a body that decodes is worth keeping: a truncated or garbled answer
                    // must not outlive the request that got it. One page of a longer list is
                    // not kept either: `execute` caches the whole list.
                    if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_ok()
                        && continue_token(&body).is_none()
                        && !url.contains("continue=")
                    {
                        self.cache_store(op, key, status, resp.headers(), &body)
                            .await;
                    }
                } else if request.method() != reqwest::Method::GET {
                    self.invalidate(&url).await;
                }
            }
            return Ok(resp);
        }
    }

    async fn invalidate(&self, url: &str) {
        if let (Some(state), Some(prefix)) = (&self.shared.state, namespace_prefix(url))
            && let Err(e) = state.cache_invalidate(&self.scope(), &prefix).await
        {
            tracing::debug!("cache invalidation failed: {e}");
        }
    }

    /// A create met 409 after an ambiguous failure: if the existing object is the one we sent,
    /// the earlier attempt created it and the create succeeded.
    async fn resolve_create(
        &self,
        http: &reqwest::Client,
        request: &reqwest::Request,
        conflict: reqwest::Response,
        bearer: Option<&secrecy::SecretString>,
    ) -> reqwest::Result<reqwest::Response> {
        let sent: Option<Value> = request
            .body()
            .and_then(|b| b.as_bytes())
            .and_then(|b| serde_json::from_slice(b).ok());
        let Some(sent) = sent else {
            return Ok(conflict);
        };
        let Some(name) = sent.pointer("/metadata/name").and_then(Value::as_str) else {
            return Ok(conflict);
        };
        let item_url = format!(
            "{}/{}",
            request.url().as_str().split('?').next().unwrap_or_default(),
            name
        );
        // The lookup gets the same retry policy as any GET: a fault here must not turn a create
        // the server carried out into a reported failure.
        let retry = &self.shared.retry;
        let mut attempt = 0;
        let existing = loop {
            attempt += 1;
            let mut get = http.get(&item_url).header("accept", "application/json");
            if let Some(t) = bearer {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose_secret()))
                    .unwrap_or_else(|_| HeaderValue::from_static(""));
                v.set_sensitive(true);
                get = get.header(AUTHORIZATION, v);
            }
            self.shared.stats.sent.fetch_add(1, Ordering::Relaxed);
            let can_retry = attempt < retry.max_attempts;
            match get.send().await {
                Err(_) if can_retry => {}
                Err(e) => return Err(e),
                Ok(r) if can_retry && retry.retries_status(r.status().as_u16()) => {
                    let retry_after = r
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    self.shared.stats.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(retry.backoff(attempt, retry_after)).await;
                    continue;
                }
                Ok(r) if r.status().is_success() => break r,
                // Could not confirm the object is ours: answer with what the lookup got when
                // it is a server failure, else with the conflict.
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    return Ok(r);
                }
                Ok(_) => return Ok(conflict),
            }
            self.shared.stats.retries.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(retry.backoff(attempt, None)).await;
        };
        let headers = existing.headers().clone();
        let body = existing.bytes().await?;
        let stored: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let same = contains(&stored["spec"], &sent["spec"])
            && contains(&stored["metadata"]["labels"], &sent["metadata"]["labels"]);
        if !same {
            return Ok(conflict);
        }
        tracing::debug!(
            name,
            "create resolved to the object an earlier attempt created"
        );
        self.shared
            .stats
            .resolved_creates
            .fetch_add(1, Ordering::Relaxed);
        self.invalidate(request.url().as_str()).await;
        Ok(rebuild(
            request.url().clone(),
            reqwest::StatusCode::CREATED,
            &headers,
            body,
        ))
    }
}

/// Turns any failure of a generated call into the crate's error, reading the body of
/// unexpected responses (Kubernetes `Status`, plain text, HTML from a proxy).
pub(crate) async fn map_error<E: std::fmt::Debug>(
    err: progenitor_client::Error<E>,
    kind: &str,
    name: &str,
) -> Error {
    use progenitor_client::Error as PE;
    match err {
        PE::UnexpectedResponse(resp) => from_response(resp, kind, name).await,
        PE::ErrorResponse(v) => {
            let status = v.status().as_u16();
            let message = format!("{:?}", v.into_inner());
            from_status(status, None, &message, None, kind, name, None)
        }
        PE::CommunicationError(e) | PE::ResponseBodyError(e) => Error::Transport {
            url: e
                .url()
                .map(|u| strip_query(u.as_str()))
                .unwrap_or_else(|| kind.to_string()),
            message: describe_reqwest_error(&e),
        },
        PE::InvalidResponsePayload(bytes, e) => Error::Decode {
            url: kind.to_string(),
            message: format!(
                "{} ({} bytes received)",
                one_line(&e.to_string()),
                bytes.len()
            ),
        },
        PE::InvalidRequest(m) => Error::Invalid {
            field: None,
            message: m,
        },
        PE::InvalidUpgrade(e) => Error::Transport {
            url: kind.to_string(),
            message: describe_reqwest_error(&e),
        },
        PE::Custom(m) => Error::Api {
            status: 0,
            message: m,
        },
    }
}

/// A synthetic answer that refuses what the server sent (too large, endless, undecodable).
fn refusal(url: &str, message: String) -> reqwest::Response {
    carry(
        url,
        &Error::Decode {
            url: strip_query(url),
            message,
        },
    )
}

fn strip_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

fn one_line(s: &str) -> String {
    let first = s
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    let mut out: String = first.chars().take(300).collect();
    if first.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// Maps an HTTP answer the generated code did not expect.
pub(crate) async fn from_response(resp: reqwest::Response, kind: &str, name: &str) -> Error {
    let status = resp.status().as_u16();
    let carried = resp.headers().contains_key(ERROR_HEADER);
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let body = resp.bytes().await.unwrap_or_default();
    if carried && let Ok(c) = serde_json::from_slice::<Carried>(&body) {
        return match c.kind.as_str() {
            "auth" => Error::Auth { message: c.message },
            "transport" => Error::Transport {
                url: c.url,
                message: c.message,
            },
            "decode" => Error::Decode {
                url: c.url,
                message: c.message,
            },
            _ => Error::Api {
                status: c.status,
                message: c.message,
            },
        };
    }
    let text = String::from_utf8_lossy(&body).to_string();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let (message, reason, field) = match &parsed {
        Some(v) if v.get("kind").and_then(Value::as_str) == Some("Status") => (
            v.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            v.get("reason").and_then(Value::as_str).map(str::to_string),
            v.pointer("/details/causes/0/field")
                .and_then(Value::as_str)
                .map(str::to_string),
        ),
        Some(v) if v.get("error").is_some() => (
            format!(
                "{}{}",
                v["error"].as_str().unwrap_or_default(),
                v.get("error_description")
                    .and_then(Value::as_str)
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            None,
            None,
        ),
        _ if text.trim_start().starts_with('<') => (
            format!(
                "the server answered with an HTML or XML page (HTTP {status}), not the Spot API; check base_url and any proxy"
            ),
            None,
            None,
        ),
        _ => (one_line(&text), None, None),
    };
    from_status(status, reason, &message, field, kind, name, retry_after)
}

fn from_status(
    status: u16,
    reason: Option<String>,
    message: &str,
    field: Option<String>,
    kind: &str,
    name: &str,
    retry_after: Option<Duration>,
) -> Error {
    let message = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message.to_string()
    };
    match status {
        401 => Error::auth(format!(
            "the Spot API rejected the credentials ({message}); run `rsspot configure` to store a valid refresh token"
        )),
        403 => Error::Forbidden { message },
        404 => Error::NotFound {
            kind: kind.to_string(),
            name: name.to_string(),
        },
        409 => Error::Conflict {
            reason: reason.unwrap_or_else(|| "Conflict".into()),
            message,
        },
        400 | 415 | 422 => Error::Invalid { field, message },
        429 => Error::RateLimited { retry_after },
        _ => Error::Api { status, message },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continue_token_only_for_unfinished_lists() {
        let none: &[&[u8]] = &[
            br#"{"metadata":{"continue":""},"items":[]}"#,
            br#"{"metadata":{"continue" : "" },"items":[]}"#,
            br#"{"metadata":{},"items":[]}"#,
            br#"{"metadata":{"continue":null}}"#,
            br#"[1,2,3]"#,
            b"not json \"continue\":\"x",
            // A label called "continue" inside an item is not the list's token.
            br#"{"metadata":{"continue":""},"items":[{"metadata":{"labels":{"continue":"yes"}}}]}"#,
        ];
        for body in none {
            assert_eq!(
                continue_token(body),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        assert_eq!(
            continue_token(br#"{"metadata":{"continue":"emu-2","remainingItemCount":3}}"#)
                .as_deref(),
            Some("emu-2")
        );
        assert_eq!(
            continue_token(br#"{"items":[],"metadata":{"continue": "abc"}}"#).as_deref(),
            Some("abc")
        );
    }

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

    #[test]
    fn contains_compares_what_we_sent() {
        let stored = serde_json::json!({"a": 1, "b": {"c": "x", "d": 2}, "e": []});
        assert!(contains(
            &stored,
            &serde_json::json!({"a": 1, "b": {"c": "x"}})
        ));
        assert!(contains(&stored, &serde_json::json!({"f": {}})));
        assert!(!contains(&stored, &serde_json::json!({"b": {"c": "y"}})));
    }

    #[test]
    fn one_line_truncates() {
        assert_eq!(one_line("\n  first line \nsecond"), "first line");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 301);
    }
}
