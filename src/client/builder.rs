//! [`SpotClientBuilder`]: explicit values or resolved settings in, a [`SpotClient`] out.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OnceCell;

use crate::config::{self, Flag, Seconds, Settings, Text, Token, Url};
use crate::error::Result;
use crate::raw;
use crate::state::StateStore;
use crate::transport::auth::{AuthConfig, RefreshTokenStore, TokenManager};
use crate::transport::cache::CachePolicy;
use crate::transport::route::Hosts;
use crate::transport::{Inner, Pipeline};

use super::{
    Context, DEFAULT_CONCURRENCY, DEFAULT_CONNECT_TIMEOUT, RetryConfig, SpotClient, Stats,
};

/// Where the state store comes from.
#[derive(Debug, Clone)]
enum StateChoice {
    /// The default: no state store (no HTTP cache; id tokens live in the process).
    None,
    Memory,
    Path(PathBuf),
    Store(StateStore),
    /// `state.db` where the settings say (`state_path`), in memory for `cache.backend: memory`.
    Configured,
}

/// Where the builder's settings come from before its explicit values are applied.
#[derive(Debug, Clone)]
enum Source {
    /// Built-in defaults only.
    Builtin,
    /// Already resolved settings ([`SpotClientBuilder::settings`]).
    Settings(Box<Settings>),
    /// A config file given in code ([`SpotClientBuilder::config`]); no environment.
    Config(Box<config::ConfigFile>),
    /// A full resolution ([`SpotClientBuilder::load`]).
    Load(Box<config::LoadOptions>),
}

/// Builds a [`SpotClient`] from configuration and explicit values.
///
/// Where values come from, lowest first: the built-in defaults, or configuration given with
/// [`Self::config`] (a [`ConfigFile`](config::ConfigFile) and the profile chosen with
/// [`Self::profile`]), [`Self::load`] (a full [`config::load`], environment included) or
/// [`Self::settings`] (already resolved); then every value set with a setter, whatever the
/// order of the calls. The setters of the profile settings (`org`, `base_url`,
/// `verify_ssl`, …) are derived from the one declaration of each setting in
/// [`config::SETTINGS`].
///
/// **State** (the HTTP cache and the id-token cache): the rule is the same for every
/// constructor ([`SpotClient::from_profile`], [`SpotClient::from_env`],
/// [`SpotClient::shared_default`] and this builder): **no state store, and no file written,
/// unless asked for** — [`Self::persistent_state`] (the configured `state.db`),
/// [`Self::state_path`], [`Self::state`] or [`Self::in_memory_state`].
///
/// ```no_run
/// # async fn f() -> rsspot::Result<()> {
/// let client = rsspot::SpotClient::builder()
///     .refresh_token("my-refresh-token")
///     .org("acme-dev")
///     .build()
///     .await?;
/// for region in client.regions().list().await? {
///     println!("{}", region.metadata.name);
/// }
///
/// // A config file given in code, one of its profiles, a state file:
/// let file = rsspot::config::ConfigFile::parse(
///     "profiles:\n  prod:\n    org: acme\n    refresh_token: rt\n",
///     rsspot::config::Format::Yaml,
///     "inline config",
/// )?;
/// let client = rsspot::SpotClient::builder()
///     .config(file)
///     .profile("prod")
///     .persistent_state()
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SpotClientBuilder {
    /// Values set with the derived setters; they win over every configured value.
    pub(crate) overrides: config::Overrides,
    source: Source,
    profile: Option<String>,
    connect_timeout: Duration,
    cache_ttls: HashMap<String, Duration>,
    state: StateChoice,
    concurrency: usize,
    token_store: Option<Arc<dyn RefreshTokenStore>>,
    app_name: Option<String>,
}

impl std::fmt::Debug for SpotClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `Overrides` and `Settings` hold secrets only as `SecretString`, whose Debug redacts.
        f.debug_struct("SpotClientBuilder")
            .field("overrides", &self.overrides)
            .field("profile", &self.profile)
            .field("app_name", &self.app_name)
            .finish_non_exhaustive()
    }
}

impl Default for SpotClientBuilder {
    fn default() -> Self {
        SpotClientBuilder {
            overrides: config::Overrides::default(),
            source: Source::Builtin,
            profile: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            cache_ttls: HashMap::new(),
            state: StateChoice::None,
            concurrency: DEFAULT_CONCURRENCY,
            token_store: None,
            app_name: None,
        }
    }
}

impl SpotClientBuilder {
    /// Points all three hosts at one base URL (the emulator serves them all on one port).
    pub fn all_urls(self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.base_url(url.clone())
            .oauth_url(url.clone())
            .public_data_url(url)
    }
    /// The profile: which profile of the configuration given with [`Self::config`] or
    /// [`Self::load`] is used, and the name that scopes the HTTP and token caches.
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }
    /// Takes settings from a config file given in code (parsed with
    /// [`ConfigFile::parse`](config::ConfigFile::parse) or built in code), for the profile
    /// named with [`Self::profile`] (else the file's selection). No environment variable is
    /// read and no file is touched; [`Self::build`] reports a missing profile as
    /// [`Error::ProfileNotFound`](crate::Error::ProfileNotFound).
    pub fn config(mut self, file: config::ConfigFile) -> Self {
        self.source = Source::Config(Box::new(file));
        self
    }
    /// Takes settings from a full resolution: [`config::load`] with these options (a config
    /// file on disk, the environment in [`LoadOptions::env`](config::LoadOptions::env), …).
    /// A profile set with [`Self::profile`] replaces `options.profile`.
    pub fn load(mut self, options: config::LoadOptions) -> Self {
        self.source = Source::Load(Box::new(options));
        self
    }
    /// Takes already resolved settings ([`config::load`]'s [`Resolved::settings`](config::Resolved)).
    pub fn settings(mut self, s: &Settings) -> Self {
        self.source = Source::Settings(Box::new(s.clone()));
        self
    }
    /// Bound on one call, all its attempts, retries and pages included (default 30 s). When it
    /// passes, the call fails with [`Error::DeadlineExceeded`](crate::Error::DeadlineExceeded).
    /// The same as `request_timeout`.
    pub fn timeout(self, timeout: Duration) -> Self {
        self.request_timeout(timeout)
    }
    /// Bound on making one connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
    /// Where the refresh token lives, so a token the service rotates is written back there.
    /// Without it, a token that came from a config file is written back to that file.
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
    /// Retry policy (the same type as the config file's `retry` block); [`Self::build`] refuses
    /// one that [`RetryConfig::validate`] refuses.
    pub fn retry(mut self, retry: RetryConfig) -> Self {
        self.overrides.retry = Some(retry.into());
        self
    }
    /// Turns the HTTP cache on or off (default on; it needs a state store).
    pub fn cache(mut self, enabled: bool) -> Self {
        self.overrides
            .cache
            .get_or_insert_with(config::CachePatch::default)
            .enabled = Some(enabled);
        self
    }
    /// TTL for one resource class (`regions`, `serverclasses`, `cloudspaces`, `pricing`, ...).
    pub fn cache_ttl(mut self, class: impl Into<String>, ttl: Duration) -> Self {
        self.cache_ttls.insert(class.into(), ttl);
        self
    }
    /// Maximum cached responses (LRU).
    pub fn cache_max_entries(mut self, n: u32) -> Self {
        self.overrides
            .cache
            .get_or_insert_with(config::CachePatch::default)
            .max_entries = Some(n);
        self
    }
    /// Whether id tokens are reused across processes through `state.db` (default true).
    pub fn token_cache(mut self, enabled: bool) -> Self {
        self.overrides.token_cache = Some(enabled);
        self
    }
    /// Use the state database at `path` (HTTP cache, token cache).
    pub fn state_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.state = StateChoice::Path(path.into());
        self
    }
    /// Use the configured state: `state.db` at the settings' `state_path` (`state_path` in the
    /// config file, `RSSPOT_STATE_PATH`, else `$XDG_STATE_HOME/rsspot/state.db`), or memory
    /// when the configuration says `cache.backend: memory`. This is what the CLI does.
    pub fn persistent_state(mut self) -> Self {
        self.state = StateChoice::Configured;
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

    /// The effective settings: the source's, then the explicit values over them.
    fn resolve(&self) -> Result<(Settings, bool)> {
        let load = |mut opts: config::LoadOptions| -> Result<Settings> {
            if self.profile.is_some() {
                opts.profile = self.profile.clone();
            }
            Ok(config::load(&opts)?.settings)
        };
        let (mut s, configured) = match &self.source {
            Source::Builtin => (Settings::builtin(), false),
            Source::Settings(s) => ((**s).clone(), true),
            Source::Config(file) => (
                load(config::LoadOptions {
                    runtime: Some((**file).clone()),
                    ..config::LoadOptions::with_env(config::Env::empty())
                })?,
                true,
            ),
            Source::Load(opts) => (load((**opts).clone())?, true),
        };
        if let Some(p) = &self.profile {
            s.profile = p.clone();
        }
        // An explicit org (name or id) replaces both configured ones.
        if self.overrides.org.is_some() || self.overrides.org_id.is_some() {
            s.org = None;
            s.org_id = None;
        }
        if self.overrides.refresh_token.is_some() {
            s.refresh_token_origin = config::RefreshTokenOrigin::Override;
        }
        self.overrides.apply(&mut s);
        Ok((s, configured))
    }

    /// Builds the client. Opens the state store (if any); makes no network call.
    pub async fn build(self) -> Result<SpotClient> {
        let (s, configured) = self.resolve()?;
        s.retry.validate()?;
        let user_agent = crate::transport::user_agent::user_agent(self.app_name.as_deref())?;
        let state_choice = match &self.state {
            StateChoice::Configured if matches!(s.cache.backend, config::CacheBackend::Memory) => {
                StateChoice::Memory
            }
            StateChoice::Configured => StateChoice::Path(s.state_path.clone()),
            other => other.clone(),
        };
        let (state, warning) = match &state_choice {
            StateChoice::None | StateChoice::Configured => (None, None),
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
        let hosts = Hosts::new(&s.base_url, &s.oauth_url, &s.public_data_url)?;
        let http = crate::transport::http_client(
            s.request_timeout,
            self.connect_timeout,
            s.verify_ssl,
            &user_agent,
        )?;
        let token_store = self.token_store.clone().or_else(|| {
            config::ConfigTokenStore::for_settings(&s)
                .map(|store| Arc::new(store) as Arc<dyn RefreshTokenStore>)
        });
        let stats = Arc::new(Stats::default());
        let auth = TokenManager::new(
            AuthConfig {
                refresh_token: s.refresh_token.clone(),
                access_token: s.access_token.clone(),
                client_id: s.client_id.clone(),
                token_url: hosts.token_url(),
                profile: s.profile.clone(),
                token_cache: s.token_cache,
                store: token_store,
            },
            http.clone(),
            state.clone(),
            s.retry.clone(),
            stats.clone(),
        );
        let ttls = self.cache_ttls.clone();
        let cache_config = configured.then(|| s.cache.clone());
        let cache = CachePolicy {
            enabled: s.cache.enabled && state.is_some(),
            ttl: Arc::new(move |class: &str| {
                ttls.get(class)
                    .copied()
                    .unwrap_or_else(|| match &cache_config {
                        Some(c) => c.ttl_for(class),
                        None => crate::transport::cache::default_ttl(class),
                    })
            }),
            max_entries: s.cache.max_entries,
        };
        let api_url = hosts.base(raw::HostKind::Api).to_string();
        let pipeline = Arc::new(Pipeline {
            hosts,
            profile: s.profile.clone(),
            auth,
            state: state.clone(),
            retry: s.retry.clone(),
            request_timeout: s.request_timeout,
            cache,
            stats,
        });
        let inner = Inner {
            pipeline,
            bypass_cache: false,
            server_dry_run: false,
            deadline: None,
            tally: None,
        };
        let raw = raw::Client::new_with_client(&api_url, http.clone(), inner);
        Ok(SpotClient {
            raw,
            ctx: Arc::new(Context {
                org: s.org_id.or(s.org),
                region: s.region,
                concurrency: self.concurrency,
                namespace: OnceCell::new(),
                orgs: OnceCell::new(),
                state_warning: warning,
            }),
        })
    }
}

// The setters of the profile settings (`org`, `base_url`, `verify_ssl`, …), one per
// declaration with `builder(…)` in `config/settings.rs`.
crate::config::settings::declared_settings!(crate::config::derive::builder_setters);
