//! [`SpotClientBuilder`]: explicit values or resolved settings in, a [`SpotClient`] out.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::config::{self, Settings};
use crate::error::Result;
use crate::raw;
use crate::state::StateStore;
use crate::transport::auth::{AuthConfig, RefreshTokenStore, TokenManager};
use crate::transport::cache::CachePolicy;
use crate::transport::route::Hosts;
use crate::transport::{Inner, Pipeline};

use super::{
    Context, DEFAULT_BASE_URL, DEFAULT_CLIENT_ID, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_OAUTH_URL, DEFAULT_PUBLIC_DATA_URL, DEFAULT_REQUEST_TIMEOUT, RetryConfig, SpotClient,
    Stats,
};

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
    retry: RetryConfig,
    cache_enabled: bool,
    cache_max_entries: u32,
    cache_ttls: HashMap<String, Duration>,
    cache_config: Option<config::CacheConfig>,
    token_cache: bool,
    state: StateChoice,
    concurrency: usize,
    token_store: Option<Arc<dyn RefreshTokenStore>>,
    app_name: Option<String>,
}

impl std::fmt::Debug for SpotClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpotClientBuilder")
            .field("base_url", &self.base_url)
            .field("oauth_url", &self.oauth_url)
            .field("public_data_url", &self.public_data_url)
            .field("profile", &self.profile)
            .field("org", &self.org)
            .field("app_name", &self.app_name)
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
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
            retry: RetryConfig::default(),
            cache_enabled: true,
            cache_max_entries: 1000,
            cache_ttls: HashMap::new(),
            cache_config: None,
            token_cache: true,
            state: StateChoice::None,
            concurrency: DEFAULT_CONCURRENCY,
            token_store: None,
            app_name: None,
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
    /// passes, the call fails with [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded).
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
    /// Names the application in the `User-Agent` of every request, after the library's own
    /// product: `app_name("mytool/1.2")` sends `rsspot/VERSION mytool/1.2`. It must be a product,
    /// `NAME` or `NAME/VERSION` (RFC 9110 tokens: letters, digits and ``!#$%&'*+-.^_`|~``, no
    /// spaces, at most 128 characters); [`Self::build`] refuses anything else with
    /// [`Error::Config`](crate::Error::Config). Without it, requests carry `rsspot/VERSION`, as
    /// the `rsspot` binary's do.
    pub fn app_name(mut self, app_name: impl Into<String>) -> Self {
        self.app_name = Some(app_name.into());
        self
    }
    /// Whether to verify TLS certificates (default true).
    pub fn verify_ssl(mut self, verify: bool) -> Self {
        self.verify_ssl = verify;
        self
    }
    /// Retry policy (the same type as the config file's `retry` block); [`Self::build`] refuses
    /// one that [`RetryConfig::validate`] refuses.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
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
        self.retry = s.retry.clone();
        self.cache_enabled = s.cache.enabled;
        self.cache_max_entries = s.cache.max_entries;
        self.cache_config = Some(s.cache.clone());
        if matches!(s.cache.backend, config::CacheBackend::Memory) {
            self.state = StateChoice::Memory;
        } else {
            self.state = StateChoice::Path(s.state_path.clone());
        }
        self.token_cache = s.token_cache;
        self.token_store = config::ConfigTokenStore::for_settings(s)
            .map(|store| Arc::new(store) as Arc<dyn RefreshTokenStore>);
        self
    }

    /// Builds the client. Opens the state store (if any); makes no network call.
    pub async fn build(self) -> Result<SpotClient> {
        self.retry.validate()?;
        let user_agent = crate::transport::user_agent::user_agent(self.app_name.as_deref())?;
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
        let http = crate::transport::http_client(
            self.timeout,
            self.connect_timeout,
            self.verify_ssl,
            &user_agent,
        )?;
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
            tally: None,
        };
        let raw = raw::Client::new_with_client(&api_url, http.clone(), inner);
        Ok(SpotClient {
            raw,
            ctx: Arc::new(Context {
                org: self.org,
                region: self.region,
                concurrency: self.concurrency,
                namespace: OnceCell::new(),
                orgs: OnceCell::new(),
                state_warning: warning,
            }),
        })
    }
}
