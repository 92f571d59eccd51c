//! [`SpotClient`] and its builder: base URLs, timeouts, user agent, auth, retries, cache, and the
//! org → namespace resolution every namespaced call needs.

mod builder;
pub(crate) mod tls;
pub(crate) mod tokens;

pub use builder::SpotClientBuilder;

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex, OnceLock};
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::OnceCell;

use crate::auth::namespace_for_org_id;
use crate::config::{self};
use crate::error::{Error, Result};
use crate::org::OrgRef;
use crate::raw;
use crate::state::StateStore;
use crate::transport::escape::ApiCall;
use crate::transport::paths::ApiScope;
use crate::transport::{Inner, Pipeline};

pub use crate::config::RetryConfig;
pub use crate::transport::Stats;

pub use crate::config::{
    DEFAULT_BASE_URL, DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL, DEFAULT_PUBLIC_DATA_URL,
};
/// Default bound on concurrent requests when a service fans out.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default bound on one call, all attempts included.
pub const DEFAULT_REQUEST_TIMEOUT: Duration =
    Duration::from_secs(crate::config::DEFAULT_REQUEST_TIMEOUT_SECONDS as u64);
/// Default bound on making one connection.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Per-client context shared by clones.
pub(crate) struct Context {
    pub org: Option<String>,
    pub region: Option<String>,
    pub concurrency: usize,
    namespace: OnceCell<String>,
    orgs: OnceCell<Vec<raw::types::OrganizationListOrganizationsItem>>,
    pub state_warning: Option<String>,
}

/// The async Rackspace Spot client. Cheap to clone; clones share connections, tokens and caches.
///
/// Every constructor follows one state rule: no state store and no file written unless asked
/// ([`SpotClientBuilder::persistent_state`], [`SpotClientBuilder::state_path`], …), so id
/// tokens live in the process and the HTTP cache is off by default.
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

    /// A client for a named profile of the config file (env overrides apply). Like every
    /// constructor it keeps no state store (see [`SpotClientBuilder`]); for the configured
    /// `state.db` use `SpotClient::builder().load(LoadOptions::default()).profile(p)
    /// .persistent_state()`.
    pub async fn from_profile(profile: &str) -> Result<SpotClient> {
        Self::builder()
            .load(config::LoadOptions::default())
            .profile(profile)
            .build()
            .await
    }

    /// A client for the active profile, with environment overrides (`RSSPOT_*`, `SPOT_*`).
    /// No state store, as for every constructor (see [`SpotClientBuilder`]).
    pub async fn from_env() -> Result<SpotClient> {
        Self::builder()
            .load(config::LoadOptions::default())
            .build()
            .await
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
            ..Default::default()
        };
        let mut builder = Self::builder().load(opts);
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

    /// A clone of this client whose writes (creates, updates, deletes) carry `dryRun=All`: a
    /// service that takes the parameter checks each write and changes nothing; one that does
    /// not answers an error (a 400), which the caller must treat as "not checked".
    pub fn server_dry_run(&self) -> SpotClient {
        let mut inner = self.raw.inner.clone();
        inner.server_dry_run = true;
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

    /// A valid id token (the bearer) of this client's refresh token and its `exp`, for tools
    /// that hand it on (a kubectl exec credential). It comes from memory or the persisted token
    /// cache when fresh (no request), else from one token exchange, which ends by the request
    /// timeout (or this client's deadline, when sooner).
    pub async fn id_token(&self) -> Result<(SecretString, chrono::DateTime<chrono::Utc>)> {
        use secrecy::ExposeSecret;
        let token = self
            .pipeline()
            .auth
            .bearer(Some(self.raw.inner.call_deadline_now()))
            .await?;
        let exp = crate::auth::decode_claims(token.expose_secret())
            .and_then(|c| c.exp)
            .ok_or_else(|| Error::decode("id_token", "the id token carries no `exp` claim"))?;
        Ok((token, exp))
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

    /// The refresh token to send where the API takes one in a body (generate-kubeconfig): the
    /// configured one, or its successor when the token service rotated it.
    pub(crate) async fn refresh_token(&self) -> Option<SecretString> {
        self.pipeline().auth.current_refresh_token().await
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
                    let claims = self
                        .pipeline()
                        .auth
                        .claims(Some(self.raw.inner.call_deadline_now()))
                        .await?;
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
            tracing::debug!("organizations this token can see: {}", known.join(", "));
            Error::not_found("organization", org.to_string())
        })
    }

    /// An organization by name, id or namespace: a cheap handle, made without a request and
    /// without failing; the name is resolved on first use (see [`Org`](crate::Org)).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let pools = client.org("acme").spot_pools().list().await?;
    /// # Ok(()) }
    /// ```
    pub fn org(&self, org: impl Into<String>) -> crate::Org<'_> {
        crate::Org::new(self, Some(org.into()))
    }

    /// The client's default organization: the profile's `org`, else the token's own.
    pub fn default_org(&self) -> crate::Org<'_> {
        crate::Org::new(self, None)
    }

    /// An organization given maybe by name (`None`: [`SpotClient::default_org`]).
    pub fn org_or_default(&self, org: Option<&str>) -> crate::Org<'_> {
        crate::Org::new(self, org.map(str::to_owned))
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
    /// The handle of any kind in the default organization (`client.api::<SpotNodePool>()` is
    /// `client.spot_pools()`), for code written once over several kinds.
    pub fn api<K: crate::Kind>(&self) -> crate::Api<'_, K> {
        self.default_org().api()
    }
    /// Prices, price history and bid advice.
    pub fn pricing(&self) -> crate::services::Pricing<'_> {
        crate::services::Pricing(self)
    }
    /// VM inventory and organization events of the default organization.
    pub fn inventory(&self) -> crate::services::Inventory<'_> {
        self.default_org().inventory()
    }

    /// An authenticated request to any API path (the `rsspot api` escape hatch). `path` is
    /// relative to the API base URL, or an absolute URL on one of the configured hosts (any
    /// other host is refused with [`Error::ForeignUrl`]). The answer is any JSON (arrays
    /// included), or `Value::Null` for an empty body. A DELETE or PATCH of a whole collection
    /// (`…/namespaces/NS/cloudspaces`) is refused with [`Error::Invalid`]: see
    /// [`SpotClient::api_request_scoped`].
    pub async fn api_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        self.api_request_scoped(method, path, body, ApiScope::Object)
            .await
    }

    /// [`SpotClient::api_request`] with an explicit scope: [`ApiScope::Collection`] lets a
    /// DELETE or PATCH act on every object of a collection.
    pub async fn api_request_scoped(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        scope: ApiScope,
    ) -> Result<serde_json::Value> {
        let call = ApiCall {
            method,
            path,
            body,
            paginate: false,
            scope,
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
            scope: ApiScope::Object,
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
