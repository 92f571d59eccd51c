//! [`SpotClient`] and its builder: base URLs, timeouts, user agent, auth, retries, cache, and the
//! org → namespace resolution every namespaced call needs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::auth::namespace_for_org_id;
use crate::config::{self, Settings};
use crate::error::{Error, Result};
use crate::org::OrgRef;
use crate::raw;
use crate::state::StateStore;
use crate::transport::auth::{AuthConfig, RefreshTokenStore, TokenManager};
use crate::transport::cache::CachePolicy;
use crate::transport::escape::ApiCall;
use crate::transport::route::Hosts;
use crate::transport::{Inner, Pipeline};

pub use crate::transport::Stats;
pub use crate::transport::retry::RetryPolicy;

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
/// Default bound on one call, all attempts included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default bound on making one connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

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
#[derive(Clone)]
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
    connect_timeout: Duration,
    verify_ssl: bool,
    retry: RetryPolicy,
    cache_enabled: bool,
    cache_max_entries: u32,
    cache_ttls: HashMap<String, Duration>,
    cache_config: Option<config::CacheConfig>,
    token_cache: bool,
    state: StateChoice,
    concurrency: usize,
    token_store: Option<Arc<dyn RefreshTokenStore>>,
}

impl std::fmt::Debug for SpotClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpotClientBuilder")
            .field("base_url", &self.base_url)
            .field("oauth_url", &self.oauth_url)
            .field("public_data_url", &self.public_data_url)
            .field("profile", &self.profile)
            .field("org", &self.org)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
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
            timeout: DEFAULT_REQUEST_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            verify_ssl: true,
            retry: RetryPolicy::default(),
            cache_enabled: true,
            cache_max_entries: 1000,
            cache_ttls: HashMap::new(),
            cache_config: None,
            token_cache: true,
            state: StateChoice::None,
            concurrency: DEFAULT_CONCURRENCY,
            token_store: None,
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
    /// Bound on one call, all its attempts, retries and pages included (default 30 s). When it
    /// passes, the call fails with [`Error::DeadlineExceeded`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
    /// Bound on making one connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Where the refresh token lives, so a token the service rotates is written back there.
    pub fn refresh_token_store(mut self, store: Arc<dyn RefreshTokenStore>) -> Self {
        self.token_store = Some(store);
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
        let hosts = Hosts::new(&self.base_url, &self.oauth_url, &self.public_data_url)?;
        let http =
            crate::transport::http_client(self.timeout, self.connect_timeout, self.verify_ssl)?;
        let stats = Arc::new(Stats::default());
        let auth = TokenManager::new(
            AuthConfig {
                refresh_token: self.refresh_token.clone(),
                access_token: self.access_token.clone(),
                client_id: self.client_id.clone(),
                token_url: hosts.token_url(),
                profile: self.profile.clone(),
                token_cache: self.token_cache,
                store: self.token_store.clone(),
            },
            http.clone(),
            state.clone(),
            self.retry.clone(),
            stats.clone(),
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
                        None => crate::transport::cache::default_ttl(class),
                    })
            }),
            max_entries: self.cache_max_entries,
        };
        let api_url = hosts.base(raw::HostKind::Api).to_string();
        let pipeline = Arc::new(Pipeline {
            hosts,
            profile: self.profile.clone(),
            auth,
            state: state.clone(),
            retry: self.retry.clone(),
            request_timeout: self.timeout,
            cache,
            stats,
        });
        let inner = Inner {
            pipeline,
            bypass_cache: false,
            deadline: None,
        };
        let raw = raw::Client::new_with_client(&api_url, http.clone(), inner);
        Ok(SpotClient {
            raw,
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
    pub(crate) ctx: Arc<Context>,
}

impl std::fmt::Debug for SpotClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpotClient")
            .field("base_url", &self.base_url())
            .field("profile", &self.pipeline().profile)
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

    fn http(&self) -> &reqwest::Client {
        use progenitor_client::ClientInfo;
        self.raw.client()
    }

    pub(crate) fn pipeline(&self) -> &Pipeline {
        &self.raw.inner.pipeline
    }

    fn with_inner(&self, inner: Inner) -> SpotClient {
        SpotClient {
            raw: raw::Client::new_with_client(self.base_url(), self.http().clone(), inner),
            ctx: self.ctx.clone(),
        }
    }

    /// A clone of this client whose GETs bypass the HTTP cache (reads still refresh it).
    pub fn without_cache(&self) -> SpotClient {
        let mut inner = self.raw.inner.clone();
        inner.bypass_cache = true;
        self.with_inner(inner)
    }

    /// A clone of this client that gives up at `deadline`: every call through it, attempts,
    /// retries, waits and token exchanges included, ends by then with
    /// [`Error::DeadlineExceeded`] (or sooner by the request timeout).
    pub fn with_deadline(&self, deadline: std::time::Instant) -> SpotClient {
        let mut inner = self.raw.inner.clone();
        let at = tokio::time::Instant::from_std(deadline);
        inner.deadline = Some(inner.deadline.map_or(at, |d| d.min(at)));
        self.with_inner(inner)
    }

    /// The hard deadline of this client, if it has one.
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.raw.inner.deadline.map(tokio::time::Instant::into_std)
    }

    /// The raw generated client, for operations the services do not cover.
    pub fn raw(&self) -> &raw::Client {
        &self.raw
    }

    /// The state store, when one is configured.
    pub fn state(&self) -> Option<&StateStore> {
        self.pipeline().state.as_ref()
    }

    /// A warning when `state.db` could not be used and state fell back to memory.
    pub fn state_warning(&self) -> Option<&str> {
        self.ctx.state_warning.as_deref()
    }

    /// Request counters of this client (shared by clones).
    pub fn stats(&self) -> &Stats {
        &self.pipeline().stats
    }

    /// How many token exchanges this client made.
    pub fn token_exchanges(&self) -> u64 {
        self.pipeline().auth.exchanges()
    }

    /// The default region, if configured.
    pub fn default_region(&self) -> Option<&str> {
        self.ctx.region.as_deref()
    }

    /// API base URL.
    pub fn base_url(&self) -> &str {
        self.pipeline().hosts.base(raw::HostKind::Api)
    }

    /// Public pricing documents base URL.
    pub fn public_data_url(&self) -> &str {
        self.pipeline().hosts.base(raw::HostKind::PublicData)
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
                    let claims = self.pipeline().auth.claims(self.raw.inner.deadline).await?;
                    claims.org_id.as_deref().map(namespace_for_org_id).ok_or_else(|| {
                        Error::config("no organization given and the token carries no org_id: pass --org or set `org` in the profile")
                    })
                })
                .await
                .cloned(),
        }
    }

    async fn resolve_namespace(&self, org: &str) -> Result<String> {
        let org_ref = OrgRef::parse(org);
        if let Some(ns) = org_ref.namespace() {
            return Ok(ns);
        }
        // Org names map to namespaces for good: remember the answer so a warm CLI run makes
        // no organizations call (scoped by credential, like the HTTP cache).
        let pref_key = format!("namespace:{}:{org}", self.pipeline().auth.identity());
        if let Some(state) = self.state()
            && let Ok(Some(ns)) = state.pref_get(&pref_key).await
        {
            return Ok(ns);
        }
        let ns = self.find_org(&org_ref).await.and_then(|o| {
            crate::org::namespace_of(o).ok_or_else(|| Error::not_found("organization", org))
        })?;
        if let Some(state) = self.state()
            && let Err(e) = state.pref_set(&pref_key, &ns).await
        {
            tracing::debug!("could not remember the namespace of {org}: {e}");
        }
        Ok(ns)
    }

    /// The entry of the organizations list that `org` names.
    async fn find_org(
        &self,
        org: &OrgRef,
    ) -> Result<&raw::types::OrganizationListOrganizationsItem> {
        let orgs = self.org_list().await?;
        orgs.iter().find(|o| org.matches(o)).ok_or_else(|| {
            let known: Vec<&str> = orgs.iter().filter_map(|o| o.name.as_deref()).collect();
            tracing::warn!("organizations this token can see: {}", known.join(", "));
            Error::not_found("organization", org.to_string())
        })
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

    /// GETs `path` (relative to the host the operation lives on) through the pipeline and
    /// returns the body of a 2xx answer.
    pub(crate) async fn get_bytes(
        &self,
        op_id: &str,
        path: &str,
        kind: &str,
        name: &str,
    ) -> Result<bytes::Bytes> {
        let url = reqwest::Url::parse(&format!("{}{path}", self.base_url()))
            .map_err(|e| Error::invalid("path", e.to_string()))?;
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        request.headers_mut().insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        let resp = self.raw.inner.execute(self.http(), request, op_id).await?;
        if !resp.status().is_success() {
            return Err(crate::transport::errors::map_unexpected(resp, kind, name).await);
        }
        let url = resp.url().to_string();
        Ok(crate::transport::limits::read_bounded(
            resp,
            &url,
            crate::transport::limits::MAX_RESPONSE_BYTES,
        )
        .await?
        .1)
    }

    /// An authenticated request to any API path (the `rsspot api` escape hatch). `path` is
    /// relative to the API base URL, or an absolute URL on one of the configured hosts (any
    /// other host is refused with [`Error::ForeignUrl`]). The answer is any JSON (arrays
    /// included), or `Value::Null` for an empty body.
    pub async fn api_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        let call = ApiCall {
            method,
            path,
            body,
            paginate: false,
        };
        self.raw.inner.api(self.http(), call).await
    }

    /// GETs a list through the escape hatch and follows its pages (`metadata.continue`) to the
    /// end, answering one list.
    pub async fn api_list_all(&self, path: &str) -> Result<serde_json::Value> {
        let call = ApiCall {
            method: "GET",
            path,
            body: None,
            paginate: true,
        };
        self.raw.inner.api(self.http(), call).await
    }

    /// The org *name* (the kubeconfig endpoint takes names, not ids).
    pub async fn org_name(&self, org: Option<&str>) -> Result<String> {
        let ns = self.namespace(org).await?;
        self.find_org(&OrgRef::Namespace(ns.clone()))
            .await?
            .name
            .clone()
            .ok_or_else(|| Error::not_found("organization", ns))
    }
}
