//! [`SpotClient`] and its builder: base URLs, timeouts, user agent, auth, retries, cache, and the
//! org → namespace resolution every namespaced call needs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::auth::{AuthConfig, TokenManager, namespace_for_org_id};
use crate::config::{self, Settings};
use crate::error::{Error, Result};
use crate::hooks::{CachePolicy, Inner, Shared, Stats};
use crate::raw;
use crate::retry::RetryPolicy;
use crate::state::StateStore;

/// The public OAuth client id of the Spot console.
pub const DEFAULT_CLIENT_ID: &str = "mwG3lUMV8KyeMqHe4fJ5Bb3nM1vBvRNa";
/// Default API host.
pub const DEFAULT_BASE_URL: &str = "https://spot.rackspace.com";
/// Default OAuth host.
pub const DEFAULT_OAUTH_URL: &str = "https://login.spot.rackspace.com";
/// Default host of the public pricing documents.
pub const DEFAULT_PUBLIC_DATA_URL: &str =
    "https://ngpc-prod-public-data.s3.us-east-2.amazonaws.com";
/// Default bound on concurrent requests when a service fans out.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// Where the state store comes from.
#[derive(Debug, Clone)]
enum StateChoice {
    None,
    Memory,
    Path(PathBuf),
    Store(StateStore),
}

/// Builds a [`SpotClient`] from explicit values.
///
/// ```no_run
/// # async fn f() -> rsspot::Result<()> {
/// let client = rsspot::SpotClient::builder()
///     .refresh_token("my-refresh-token")
///     .org("acme-dev")
///     .build()
///     .await?;
/// for region in client.regions().list().await? {
///     println!("{}", region.metadata.as_ref().and_then(|m| m.name.as_deref()).unwrap_or(""));
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SpotClientBuilder {
    base_url: String,
    oauth_url: String,
    public_data_url: String,
    client_id: String,
    refresh_token: Option<SecretString>,
    access_token: Option<SecretString>,
    org: Option<String>,
    region: Option<String>,
    profile: String,
    timeout: Duration,
    verify_ssl: bool,
    retry: RetryPolicy,
    cache_enabled: bool,
    cache_max_entries: u32,
    cache_ttls: HashMap<String, Duration>,
    cache_config: Option<config::CacheConfig>,
    token_cache: bool,
    state: StateChoice,
    concurrency: usize,
}

impl Default for SpotClientBuilder {
    fn default() -> Self {
        SpotClientBuilder {
            base_url: DEFAULT_BASE_URL.into(),
            oauth_url: DEFAULT_OAUTH_URL.into(),
            public_data_url: DEFAULT_PUBLIC_DATA_URL.into(),
            client_id: DEFAULT_CLIENT_ID.into(),
            refresh_token: None,
            access_token: None,
            org: None,
            region: None,
            profile: "default".into(),
            timeout: Duration::from_secs(30),
            verify_ssl: true,
            retry: RetryPolicy::default(),
            cache_enabled: true,
            cache_max_entries: 1000,
            cache_ttls: HashMap::new(),
            cache_config: None,
            token_cache: true,
            state: StateChoice::None,
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl SpotClientBuilder {
    /// API base URL (default `https://spot.rackspace.com`).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }
    /// OAuth base URL (default `https://login.spot.rackspace.com`).
    pub fn oauth_url(mut self, url: impl Into<String>) -> Self {
        self.oauth_url = url.into();
        self
    }
    /// Base URL of the public pricing documents.
    pub fn public_data_url(mut self, url: impl Into<String>) -> Self {
        self.public_data_url = url.into();
        self
    }
    /// Points all three hosts at one base URL (the emulator serves them all on one port).
    pub fn all_urls(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.base_url(url.clone())
            .oauth_url(url.clone())
            .public_data_url(url)
    }
    /// OAuth client id (default: the console's public client).
    pub fn client_id(mut self, id: impl Into<String>) -> Self {
        self.client_id = id.into();
        self
    }
    /// The refresh token issued in the Spot console (per organization).
    pub fn refresh_token(mut self, token: impl Into<String>) -> Self {
        self.refresh_token = Some(SecretString::from(token.into()));
        self
    }
    /// A pre-issued id token, used until it expires.
    pub fn access_token(mut self, token: impl Into<String>) -> Self {
        self.access_token = Some(SecretString::from(token.into()));
        self
    }
    /// Default organization: a name (`acme-dev`), an id (`org_...`) or a namespace (`org-...`).
    pub fn org(mut self, org: impl Into<String>) -> Self {
        self.org = Some(org.into());
        self
    }
    /// Default region for creates and filters.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
    /// Profile name (scopes the HTTP and token caches).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }
    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Whether to verify TLS certificates (default true).
    pub fn verify_ssl(mut self, verify: bool) -> Self {
        self.verify_ssl = verify;
        self
    }
    /// Retry policy.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// Turns the HTTP cache on or off (default on when a state store is configured).
    pub fn cache(mut self, enabled: bool) -> Self {
        self.cache_enabled = enabled;
        self
    }
    /// TTL for one resource class (`regions`, `serverclasses`, `cloudspaces`, `pricing`, ...).
    pub fn cache_ttl(mut self, class: impl Into<String>, ttl: Duration) -> Self {
        self.cache_ttls.insert(class.into(), ttl);
        self
    }
    /// Maximum cached responses (LRU).
    pub fn cache_max_entries(mut self, n: u32) -> Self {
        self.cache_max_entries = n;
        self
    }
    /// Whether id tokens are reused across processes through `state.db` (default true).
    pub fn token_cache(mut self, enabled: bool) -> Self {
        self.token_cache = enabled;
        self
    }
    /// Use the state database at `path` (HTTP cache, token cache).
    pub fn state_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.state = StateChoice::Path(path.into());
        self
    }
    /// Use an already open state store.
    pub fn state(mut self, store: StateStore) -> Self {
        self.state = StateChoice::Store(store);
        self
    }
    /// Keep state in memory only (caching within this process).
    pub fn in_memory_state(mut self) -> Self {
        self.state = StateChoice::Memory;
        self
    }
    /// Bound on concurrent requests when a call fans out (default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// Applies resolved configuration (profile, env, files).
    pub fn settings(mut self, s: &Settings) -> Self {
        self.base_url = s.base_url.clone();
        self.oauth_url = s.oauth_url.clone();
        self.public_data_url = s.public_data_url.clone();
        self.client_id = s.client_id.clone();
        self.refresh_token = s.refresh_token.clone();
        self.access_token = s.access_token.clone();
        self.org = s.org_id.clone().or_else(|| s.org.clone());
        self.region = s.region.clone();
        self.profile = s.profile.clone();
        self.timeout = s.request_timeout;
        self.verify_ssl = s.verify_ssl;
        self.retry = RetryPolicy {
            max_attempts: s.retry.max_attempts.max(1),
            base_delay: s.retry.base_delay_duration(),
            max_delay: s.retry.max_delay_duration(),
            jitter: s.retry.jitter,
            retry_statuses: s.retry.retry_statuses.clone(),
        };
        self.cache_enabled = s.cache.enabled;
        self.cache_max_entries = s.cache.max_entries;
        self.cache_config = Some(s.cache.clone());
        if matches!(s.cache.backend, config::CacheBackend::Memory) {
            self.state = StateChoice::Memory;
        } else {
            self.state = StateChoice::Path(s.state_path.clone());
        }
        self.token_cache = s.token_cache;
        self
    }

    /// Builds the client. Opens the state store (if any); makes no network call.
    pub async fn build(self) -> Result<SpotClient> {
        let (state, warning) = match &self.state {
            StateChoice::None => (None, None),
            StateChoice::Memory => (Some(StateStore::in_memory().await?), None),
            StateChoice::Path(p) => {
                let (store, warning) = StateStore::open_or_degrade(p).await;
                (Some(store), warning)
            }
            StateChoice::Store(s) => (Some(s.clone()), None),
        };
        if let Some(w) = &warning {
            tracing::warn!("{w}");
        }
        let mut http = reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("rsspot/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30));
        http = if self.verify_ssl {
            // Same verification as reqwest's default, but the system's roots are read on the
            // first handshake instead of here (a cached or plain-HTTP run never needs them).
            http.tls_backend_preconfigured(crate::tls::client_config()?)
        } else {
            http.danger_accept_invalid_certs(true)
        };
        let http = http
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        let auth = TokenManager::new(
            AuthConfig {
                refresh_token: self.refresh_token.clone(),
                access_token: self.access_token.clone(),
                client_id: self.client_id.clone(),
                oauth_url: self.oauth_url.clone(),
                profile: self.profile.clone(),
                token_cache: self.token_cache,
            },
            http.clone(),
            state.clone(),
            self.retry.clone(),
        );
        let ttls = self.cache_ttls.clone();
        let cache_config = self.cache_config.clone();
        let cache = CachePolicy {
            enabled: self.cache_enabled && state.is_some(),
            ttl: Arc::new(move |class: &str| {
                ttls.get(class)
                    .copied()
                    .unwrap_or_else(|| match &cache_config {
                        Some(c) => c.ttl_for(class),
                        None => crate::hooks::default_ttl(class),
                    })
            }),
            max_entries: self.cache_max_entries,
        };
        let shared = Arc::new(Shared {
            api_url: self.base_url.trim_end_matches('/').to_string(),
            oauth_url: self.oauth_url.trim_end_matches('/').to_string(),
            public_data_url: self.public_data_url.trim_end_matches('/').to_string(),
            profile: self.profile.clone(),
            auth,
            state: state.clone(),
            retry: self.retry.clone(),
            cache,
            stats: Stats::default(),
        });
        let inner = Inner {
            shared: shared.clone(),
            bypass_cache: false,
        };
        let raw = raw::Client::new_with_client(&shared.api_url, http.clone(), inner);
        Ok(SpotClient {
            raw,
            http,
            ctx: Arc::new(Context {
                org: self.org,
                region: self.region,
                refresh_token: self.refresh_token,
                concurrency: self.concurrency,
                namespace: OnceCell::new(),
                orgs: OnceCell::new(),
                state_warning: warning,
            }),
        })
    }
}

/// Per-client context shared by clones.
pub(crate) struct Context {
    pub org: Option<String>,
    pub region: Option<String>,
    pub refresh_token: Option<SecretString>,
    pub concurrency: usize,
    namespace: OnceCell<String>,
    orgs: OnceCell<Vec<raw::types::OrganizationListOrganizationsItem>>,
    pub state_warning: Option<String>,
}

/// The async Rackspace Spot client. Cheap to clone; clones share connections, tokens and caches.
///
/// Construct it with [`SpotClient::builder`], [`SpotClient::from_profile`] or
/// [`SpotClient::from_env`]; reach the API through its services ([`SpotClient::cloudspaces`],
/// [`SpotClient::spot_pools`], ...).
#[derive(Clone)]
pub struct SpotClient {
    pub(crate) raw: raw::Client,
    pub(crate) http: reqwest::Client,
    pub(crate) ctx: Arc<Context>,
}

impl std::fmt::Debug for SpotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpotClient")
            .field("base_url", &self.shared().api_url)
            .field("profile", &self.shared().profile)
            .field("org", &self.ctx.org)
            .finish_non_exhaustive()
    }
}

impl SpotClient {
    /// A builder with the real service's defaults.
    pub fn builder() -> SpotClientBuilder {
        SpotClientBuilder::default()
    }

    /// A client for a named profile of the config file (env overrides apply).
    pub async fn from_profile(profile: &str) -> Result<SpotClient> {
        let resolved = config::load(&config::LoadOptions {
            profile: Some(profile.to_string()),
            env: config::Env::from_process(),
            ..Default::default()
        })?;
        Self::builder().settings(&resolved.settings).build().await
    }

    /// A client for the active profile, with environment overrides (`RSSPOT_*`, `SPOT_*`).
    pub async fn from_env() -> Result<SpotClient> {
        let resolved = config::load(&config::LoadOptions {
            env: config::Env::from_process(),
            ..Default::default()
        })?;
        Self::builder().settings(&resolved.settings).build().await
    }

    /// The process-wide client for `(profile, org)`, created on first use (handy in scripts).
    pub async fn shared_default(profile: Option<&str>, org: Option<&str>) -> Result<SpotClient> {
        static CLIENTS: OnceLock<StdMutex<HashMap<(String, String), SpotClient>>> = OnceLock::new();
        let key = (
            profile.unwrap_or("").to_string(),
            org.unwrap_or("").to_string(),
        );
        let map = CLIENTS.get_or_init(|| StdMutex::new(HashMap::new()));
        if let Some(c) = map.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(c);
        }
        let opts = config::LoadOptions {
            profile: profile.map(str::to_string),
            env: config::Env::from_process(),
            ..Default::default()
        };
        let resolved = config::load(&opts)?;
        let mut builder = Self::builder().settings(&resolved.settings);
        if let Some(o) = org {
            builder = builder.org(o);
        }
        let client = builder.build().await?;
        if let Ok(mut m) = map.lock() {
            m.entry(key).or_insert_with(|| client.clone());
        }
        Ok(client)
    }

    pub(crate) fn shared(&self) -> &Shared {
        &self.raw.inner.shared
    }

    /// A clone of this client whose GETs bypass the HTTP cache (reads still refresh it).
    pub fn without_cache(&self) -> SpotClient {
        let mut inner = self.raw.inner.clone();
        inner.bypass_cache = true;
        SpotClient {
            raw: raw::Client::new_with_client(&self.shared().api_url, self.http.clone(), inner),
            http: self.http.clone(),
            ctx: self.ctx.clone(),
        }
    }

    /// The raw generated client, for operations the services do not cover.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// The state store, when one is configured.
    pub fn state(&self) -> Option<&StateStore> {
        self.shared().state.as_ref()
    }

    /// A warning when `state.db` could not be used and state fell back to memory.
    pub fn state_warning(&self) -> Option<&str> {
        self.ctx.state_warning.as_deref()
    }

    /// Request counters of this client (shared by clones).
    pub fn stats(&self) -> &Stats {
        &self.shared().stats
    }

    /// How many token exchanges this client made.
    pub fn token_exchanges(&self) -> u64 {
        self.shared().auth.exchanges()
    }

    /// The default region, if configured.
    pub fn default_region(&self) -> Option<&str> {
        self.ctx.region.as_deref()
    }

    /// API base URL.
    pub fn base_url(&self) -> &str {
        &self.shared().api_url
    }

    /// Public pricing documents base URL.
    pub fn public_data_url(&self) -> &str {
        &self.shared().public_data_url
    }

    pub(crate) fn concurrency(&self) -> usize {
        self.ctx.concurrency
    }

    pub(crate) fn refresh_token(&self) -> Option<&SecretString> {
        self.ctx.refresh_token.as_ref()
    }

    /// The organizations list, fetched once per client.
    pub(crate) async fn org_list(
        &self,
    ) -> Result<&Vec<raw::types::OrganizationListOrganizationsItem>> {
        self.ctx
            .orgs
            .get_or_try_init(|| async {
                let list = crate::services::call(
                    self.raw.list_organizations().send(),
                    "organizations",
                    "",
                )
                .await?;
                Ok::<_, Error>(list.organizations)
            })
            .await
    }

    /// Resolves an org name, id or namespace to the org namespace (`org-...`).
    ///
    /// `None` means the client's default org, else the org of the token itself (its `org_id`).
    pub async fn namespace(&self, org: Option<&str>) -> Result<String> {
        match org.or(self.ctx.org.as_deref()) {
            Some(o) => self.resolve_namespace(o).await,
            None => self
                .ctx
                .namespace
                .get_or_try_init(|| async {
                    let claims = self.shared().auth.claims().await?;
                    claims.org_id.as_deref().map(namespace_for_org_id).ok_or_else(|| {
                        Error::config("no organization given and the token carries no org_id: pass --org or set `org` in the profile")
                    })
                })
                .await
                .cloned(),
        }
    }

    async fn resolve_namespace(&self, org: &str) -> Result<String> {
        let lower = org.to_ascii_lowercase();
        if lower.starts_with("org-") {
            return Ok(lower);
        }
        if lower.starts_with("org_") {
            return Ok(namespace_for_org_id(org));
        }
        // Org names map to namespaces for good: remember the answer so a warm CLI run makes
        // no organizations call (scoped by credential, like the HTTP cache).
        let pref_key = format!("namespace:{}:{org}", self.shared().auth.identity());
        if let Some(state) = self.state()
            && let Ok(Some(ns)) = state.pref_get(&pref_key).await
        {
            return Ok(ns);
        }
        let ns = self.lookup_namespace(org).await?;
        if let Some(state) = self.state()
            && let Err(e) = state.pref_set(&pref_key, &ns).await
        {
            tracing::debug!("could not remember the namespace of {org}: {e}");
        }
        Ok(ns)
    }

    async fn lookup_namespace(&self, org: &str) -> Result<String> {
        let orgs = self.org_list().await?;
        let found = orgs.iter().find(|o| {
            o.name.as_deref() == Some(org)
                || o.display_name
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case(org))
        });
        match found {
            Some(o) => o
                .metadata
                .as_ref()
                .and_then(|m| m.namespace.clone())
                .or_else(|| o.id.as_deref().map(namespace_for_org_id))
                .ok_or_else(|| Error::not_found("organization", org)),
            None => {
                let known: Vec<&str> = orgs.iter().filter_map(|o| o.name.as_deref()).collect();
                Err(Error::NotFound {
                    kind: format!("organization (known: {})", known.join(", ")),
                    name: org.to_string(),
                })
            }
        }
    }

    /// Organizations.
    pub fn organizations(&self) -> crate::services::Organizations<'_> {
        crate::services::Organizations(self)
    }
    /// Regions.
    pub fn regions(&self) -> crate::services::Regions<'_> {
        crate::services::Regions(self)
    }
    /// Server classes.
    pub fn server_classes(&self) -> crate::services::ServerClasses<'_> {
        crate::services::ServerClasses(self)
    }
    /// Cloudspaces (clusters) and their kubeconfigs.
    pub fn cloudspaces(&self) -> crate::services::CloudSpaces<'_> {
        crate::services::CloudSpaces(self)
    }
    /// Spot node pools.
    pub fn spot_pools(&self) -> crate::services::SpotPools<'_> {
        crate::services::SpotPools(self)
    }
    /// On-demand node pools.
    pub fn ondemand_pools(&self) -> crate::services::OnDemandPools<'_> {
        crate::services::OnDemandPools(self)
    }
    /// Prices, price history and bid advice.
    pub fn pricing(&self) -> crate::services::Pricing<'_> {
        crate::services::Pricing(self)
    }
    /// VM inventory and organization events.
    pub fn inventory(&self) -> crate::services::Inventory<'_> {
        crate::services::Inventory(self)
    }

    /// GETs `path` (relative to the host the operation lives on) through the hooks (routing,
    /// cache, auth, retries) and returns the body of a 2xx answer.
    #[allow(dead_code)] // unused since the services call generated operations; deleted by the lead
    pub(crate) async fn get_bytes(
        &self,
        op_id: &str,
        path: &str,
        kind: &str,
        name: &str,
    ) -> Result<bytes::Bytes> {
        let url = format!("{}{path}", self.shared().api_url);
        let request = self
            .http
            .get(&url)
            .header(reqwest::header::ACCEPT, "application/json")
            .build()
            .map_err(|e| Error::invalid("path", e.to_string()))?;
        self.send_raw(op_id, request, kind, name).await
    }

    async fn send_raw(
        &self,
        op_id: &str,
        request: reqwest::Request,
        kind: &str,
        name: &str,
    ) -> Result<bytes::Bytes> {
        let url = request
            .url()
            .as_str()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_string();
        let resp = self
            .raw
            .inner
            .execute(&self.http, request, op_id)
            .await
            .map_err(|e| Error::Transport {
                url: url.clone(),
                message: crate::hooks::describe_reqwest_error(&e),
            })?;
        if !resp.status().is_success() {
            return Err(crate::hooks::from_response(resp, kind, name).await);
        }
        resp.bytes().await.map_err(|e| Error::Transport {
            url,
            message: crate::hooks::describe_reqwest_error(&e),
        })
    }

    /// An authenticated request to any API path (the `rsspot api` escape hatch). `path` is
    /// relative to the API base URL (or absolute); the answer is any JSON (arrays included), or
    /// `Value::Null` for an empty body.
    pub async fn api_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let method: reqwest::Method = method
            .to_ascii_uppercase()
            .parse()
            .map_err(|_| Error::invalid("method", format!("{method:?} is not an HTTP method")))?;
        let url = if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}/{}", self.shared().api_url, path.trim_start_matches('/'))
        };
        let mut builder = self
            .http
            .request(method.clone(), &url)
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(b) = body {
            let ct = if method == reqwest::Method::PATCH {
                "application/merge-patch+json"
            } else {
                "application/json"
            };
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, ct)
                .body(b.to_string());
        }
        let request = builder
            .build()
            .map_err(|e| Error::invalid("path", e.to_string()))?;
        let op = if method == reqwest::Method::GET {
            "api_read"
        } else {
            "api_write"
        };
        let bytes = self.send_raw(op, request, "resource", path).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(serde_json::Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::Decode {
            url: url.split('?').next().unwrap_or_default().to_string(),
            message: format!("not JSON: {e}"),
        })
    }

    /// The org *name* (the kubeconfig endpoint takes names, not ids).
    pub async fn org_name(&self, org: Option<&str>) -> Result<String> {
        let ns = self.namespace(org).await?;
        let orgs = self.org_list().await?;
        orgs.iter()
            .find(|o| {
                o.metadata.as_ref().and_then(|m| m.namespace.as_deref()) == Some(ns.as_str())
                    || o.id.as_deref().map(namespace_for_org_id).as_deref() == Some(ns.as_str())
            })
            .and_then(|o| o.name.clone())
            .ok_or_else(|| Error::not_found("organization", ns))
    }
}
