//! A synchronous facade over [`crate::SpotClient`] with the same services, for scripts and
//! non-async programs. Like `reqwest::blocking`, each client runs its own runtime on a thread of
//! its own, so it works anywhere a thread may block: plain sync code, a
//! [`tokio::task::spawn_blocking`] task, a thread of an async test. (Called straight from async
//! code, a call blocks that task's thread for its duration, as any blocking call does; use the
//! async client there.)
//!
//! [`shared_default`] is the process-wide client of a profile and org, made on first use;
//! [`initialise`] makes the default one from a builder, once, before anything asks for it.
//!
//! Every blocking method is one line of the `blocking_service!` table below that forwards to its
//! async twin, so a signature change in a service is a compile error here, and a unit test fails
//! when an async service method has no blocking twin.
//!
//! The streams (`list_stream`, `watch`) have no twin: they are lazy `futures::Stream`s an async
//! caller drives; a script takes the whole list with `list`, or polls it in a loop.
//!
//! ```no_run
//! let client = rsspot::blocking::SpotClient::from_env()?;
//! for cs in client.cloudspaces().list(None)? {
//!     println!("{:?}", cs.metadata.and_then(|m| m.name));
//! }
//! # Ok::<(), rsspot::Error>(())
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::pricing::advice::{BidAdvice, Risk};
use crate::pricing::docs::{ComparablePrices, Percentiles, PriceHistory};
use crate::pricing::guard::SpendLimits;
use crate::pricing::view::PriceRow;
use crate::raw::types::{
    CloudSpace, OnDemandNodePool, OrganizationListOrganizationsItem as Organization, Region,
    ServerClass, SpotNodePool,
};
use crate::services::{
    CloudSpaceCreate, CloudSpaceUpdate, Mismatch, OnDemandPoolCreate, OnDemandPoolUpdate,
    PreparedCreate, PreparedUpdate, ServerClassFilter, SpotPoolCreate, SpotPoolUpdate, WaitOptions,
};
use crate::types::inventory::{OrganizationEvents, VmCloudSpace, VmPool};

#[path = "blocking_runtime.rs"]
mod runtime;

use self::runtime::RuntimeThread;

/// The blocking client. Cheap to clone (clones share the runtime thread).
#[derive(Clone, Debug)]
pub struct SpotClient {
    inner: crate::SpotClient,
    rt: Arc<RuntimeThread>,
}

impl SpotClient {
    fn new(build: impl Future<Output = Result<crate::SpotClient>>) -> Result<SpotClient> {
        let rt = RuntimeThread::start()?;
        let inner = rt.block_on(build)?;
        Ok(SpotClient {
            inner,
            rt: Arc::new(rt),
        })
    }

    /// Builds from an async builder (`rsspot::SpotClient::builder()...`).
    pub fn from_builder(builder: crate::SpotClientBuilder) -> Result<SpotClient> {
        Self::new(builder.build())
    }

    /// A client for a named profile of the config file.
    pub fn from_profile(profile: &str) -> Result<SpotClient> {
        Self::new(crate::SpotClient::from_profile(profile))
    }

    /// A client for the active profile with environment overrides.
    pub fn from_env() -> Result<SpotClient> {
        Self::new(crate::SpotClient::from_env())
    }

    /// The process-wide client for `(profile, org)` (see [`shared_default`]).
    pub fn shared_default(profile: Option<&str>, org: Option<&str>) -> Result<SpotClient> {
        shared_default(profile, org)
    }

    /// The async client behind this one.
    pub fn as_async(&self) -> &crate::SpotClient {
        &self.inner
    }

    /// Runs a call of the async client on this client's runtime, blocking until it ends.
    fn block<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        self.rt.block_on(fut)
    }

    /// Resolves an org name, id or namespace to its namespace.
    pub fn namespace(&self, org: Option<&str>) -> Result<String> {
        self.block(self.inner.namespace(org))
    }

    /// An authenticated request to any API path (see [`crate::SpotClient::api_request`]).
    pub fn api_request(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<serde_json::Value> {
        self.block(self.inner.api_request(method, path, body))
    }

    /// An escape-hatch request with an explicit scope (see
    /// [`crate::SpotClient::api_request_scoped`]).
    pub fn api_request_scoped(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        scope: crate::ApiScope,
    ) -> Result<serde_json::Value> {
        self.block(self.inner.api_request_scoped(method, path, body, scope))
    }

    /// GETs a list through the escape hatch and follows its pages (see
    /// [`crate::SpotClient::api_list_all`]).
    pub fn api_list_all(&self, path: &str) -> Result<serde_json::Value> {
        self.block(self.inner.api_list_all(path))
    }

    /// The org *name* (see [`crate::SpotClient::org_name`]).
    pub fn org_name(&self, org: Option<&str>) -> Result<String> {
        self.block(self.inner.org_name(org))
    }

    /// A valid id token and its expiry (see [`crate::SpotClient::id_token`]).
    pub fn id_token(&self) -> Result<(secrecy::SecretString, chrono::DateTime<chrono::Utc>)> {
        self.block(self.inner.id_token())
    }
}

/// The clients [`shared_default`] made or [`initialise`] set, by `(profile, org)`.
fn shared() -> &'static Mutex<HashMap<(String, String), SpotClient>> {
    static CLIENTS: OnceLock<Mutex<HashMap<(String, String), SpotClient>>> = OnceLock::new();
    CLIENTS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn shared_key(profile: Option<&str>, org: Option<&str>) -> (String, String) {
    (
        profile.unwrap_or("").to_string(),
        org.unwrap_or("").to_string(),
    )
}

/// The process-wide blocking client for `(profile, org)`, made on first use from the config
/// file and the environment (the blocking twin of [`crate::SpotClient::shared_default`]);
/// `shared_default(None, None)` is the one [`initialise`] set, when it was called. Every caller
/// of one key gets a clone of the same client (one runtime thread, one connection pool).
pub fn shared_default(profile: Option<&str>, org: Option<&str>) -> Result<SpotClient> {
    let key = shared_key(profile, org);
    if let Some(c) = shared().lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let resolved = crate::config::load(&crate::config::LoadOptions {
        profile: profile.map(str::to_string),
        env: crate::config::Env::from_process(),
        ..Default::default()
    })?;
    let mut builder = crate::SpotClient::builder().settings(&resolved.settings);
    if let Some(o) = org {
        builder = builder.org(o);
    }
    let client = SpotClient::from_builder(builder)?;
    // Two first callers at once: both built one, the first stored wins and both get it.
    Ok(match shared().lock() {
        Ok(mut m) => m.entry(key).or_insert(client).clone(),
        Err(_) => client,
    })
}

/// Makes the default shared client ([`shared_default`]`(None, None)`) from `builder`, and
/// returns it. Once per process, before the default is first asked for: a second call, or a
/// call after `shared_default(None, None)` made the default already, is an error and leaves
/// the default as it is.
///
/// ```no_run
/// rsspot::blocking::initialise(rsspot::SpotClient::builder().refresh_token("…"))?;
/// let regions = rsspot::blocking::shared_default(None, None)?.regions().list()?;
/// # Ok::<(), rsspot::Error>(())
/// ```
pub fn initialise(builder: crate::SpotClientBuilder) -> Result<SpotClient> {
    let key = shared_key(None, None);
    let taken = || {
        Error::config(
            "the default blocking client is set already: rsspot::blocking::initialise runs once, \
             before the first shared_default(None, None)",
        )
    };
    if shared().lock().map_or(true, |m| m.contains_key(&key)) {
        return Err(taken());
    }
    let client = SpotClient::from_builder(builder)?;
    let mut m = shared().lock().map_err(|_| taken())?;
    if m.contains_key(&key) {
        return Err(taken());
    }
    m.insert(key, client.clone());
    Ok(client)
}

/// Async methods of [`crate::SpotClient`] with a blocking twin on [`SpotClient`] (listed by hand:
/// the client's own methods are few), and those that deliberately have none, with why.
#[cfg(test)]
const CLIENT_METHODS: &[&str] = &[
    "from_profile",
    "from_env",
    "namespace",
    "api_request",
    "api_request_scoped",
    "api_list_all",
    "org_name",
    "id_token",
    "shared_default",
];
#[cfg(test)]
const CLIENT_WITHOUT_TWIN: &[(&str, &str)] = &[];

macro_rules! blocking_service {
    ($(#[$sm:meta])* $name:ident, $accessor:ident { $( $(#[$m:meta])* fn $f:ident($($a:ident : $t:ty),*) -> $r:ty; )* }) => {
        $(#[$sm])*
        pub struct $name<'a>(&'a SpotClient);

        impl SpotClient {
            $(#[$sm])*
            pub fn $accessor(&self) -> $name<'_> {
                $name(self)
            }
        }

        impl $name<'_> {
            $(
                $(#[$m])*
                pub fn $f(&self, $($a: $t),*) -> Result<$r> {
                    self.0.block(self.0.inner.$accessor().$f($($a),*))
                }
            )*
        }

        #[cfg(test)]
        impl $name<'_> {
            /// The methods this facade forwards, for the twin check.
            const TWINS: (&'static str, &'static [&'static str]) =
                (stringify!($name), &[$(stringify!($f)),*]);
        }
    };
}

blocking_service!(
    /// Organizations (see [`crate::services::Organizations`]).
    Organizations, organizations {
    /// Every organization visible to the token's user.
    fn list() -> Vec<Organization>;
    /// One organization by name, id or namespace.
    fn get(name_or_id: &str) -> Organization;
});

blocking_service!(
    /// Regions (see [`crate::services::Regions`]).
    Regions, regions {
    /// Every region.
    fn list() -> Vec<Region>;
    /// One region.
    fn get(name: &str) -> Region;
});

blocking_service!(
    /// Server classes (see [`crate::services::ServerClasses`]).
    ServerClasses, server_classes {
    /// Classes passing the filter.
    fn list(filter: &ServerClassFilter) -> Vec<ServerClass>;
    /// One class.
    fn get(name: &str) -> ServerClass;
});

blocking_service!(
    /// Cloudspaces (see [`crate::services::CloudSpaces`]).
    CloudSpaces, cloudspaces {
    /// Cloudspaces of an org.
    fn list(org: Option<&str>) -> Vec<CloudSpace>;
    /// One cloudspace.
    fn get(name: &str, org: Option<&str>) -> CloudSpace;
    /// Validates a create against the server; the namespace and the body a create sends.
    fn prepare_create(req: &CloudSpaceCreate, org: Option<&str>) -> (String, CloudSpace);
    /// Creates a cloudspace.
    fn create(req: &CloudSpaceCreate, org: Option<&str>) -> CloudSpace;
    /// Updates a cloudspace.
    fn update(name: &str, update: &CloudSpaceUpdate, org: Option<&str>) -> CloudSpace;
    /// Deletes the cloudspace object only (see `delete_with_pools`).
    fn delete(name: &str, org: Option<&str>) -> ();
    /// Deletes its node pools, then the cloudspace; what was deleted.
    fn delete_with_pools(name: &str, org: Option<&str>) -> crate::services::cloudspaces::Teardown;
    /// Waits until the cloudspace and the pools of a teardown are gone.
    fn wait_until_gone(teardown: &crate::services::cloudspaces::Teardown, org: Option<&str>, opts: &WaitOptions) -> ();
    /// Generates its kubeconfig.
    fn kubeconfig(name: &str, org: Option<&str>) -> String;
    /// Waits until it is Ready.
    fn wait_until_ready(name: &str, org: Option<&str>, opts: &WaitOptions) -> CloudSpace;
    /// Checks a create with pools against the server; every body it sends.
    fn prepare_create_with_pools(req: &crate::services::cloudspaces::CloudSpaceWithPools, org: Option<&str>, limits: &SpendLimits) -> crate::services::cloudspaces::PreparedCloudSpace;
    /// Creates the cloudspace, then its pools; rolls back when a pool fails.
    fn send_create_with_pools(prepared: crate::services::cloudspaces::PreparedCloudSpace) -> crate::services::cloudspaces::CreateOutcome;
    /// Refuses a cloudspace name already taken.
    fn ensure_name_free(name: &str, org: Option<&str>) -> ();
    /// Deletes what a create with pools made.
    fn rollback_create(name: &str, pools: &[crate::services::cloudspaces::InlinePool], org: Option<&str>) -> crate::services::cloudspaces::Rollback;
});

blocking_service!(
    /// Spot node pools (see [`crate::services::SpotPools`]).
    SpotPools, spot_pools {
    /// Pools of an org, optionally of one cloudspace.
    fn list(cloudspace: Option<&str>, org: Option<&str>) -> Vec<SpotNodePool>;
    /// One pool.
    fn get(name: &str, org: Option<&str>) -> SpotNodePool;
    /// Validates a create against the server: the body it sends and the spending concerns.
    fn prepare_create(req: &SpotPoolCreate, org: Option<&str>, limits: &SpendLimits) -> PreparedCreate<SpotNodePool>;
    /// `prepare_create` for a pool of a cloudspace not created yet (class checked against `region`).
    fn prepare_create_in(req: &SpotPoolCreate, region: Option<&str>, org: Option<&str>, limits: &SpendLimits) -> PreparedCreate<SpotNodePool>;
    /// Sends a prepared create.
    fn send_create(prepared: PreparedCreate<SpotNodePool>) -> SpotNodePool;
    /// Creates a pool.
    fn create(req: &SpotPoolCreate, org: Option<&str>) -> SpotNodePool;
    /// Validates an update against the server: the merge patch and the spending concerns.
    fn prepare_update(name: &str, update: &SpotPoolUpdate, org: Option<&str>, limits: &SpendLimits) -> PreparedUpdate<SpotNodePool>;
    /// Sends a prepared update.
    fn send_update(name: &str, prepared: PreparedUpdate<SpotNodePool>) -> SpotNodePool;
    /// Updates only the fields given.
    fn update(name: &str, update: &SpotPoolUpdate, org: Option<&str>) -> SpotNodePool;
    /// Sets the desired node count, nothing else.
    fn scale(name: &str, desired: u32, org: Option<&str>) -> SpotNodePool;
    /// Re-reads the pool and lists where the server holds something other than what was sent.
    fn verify(name: &str, bid: Option<Bid>, desired: Option<u32>, org: Option<&str>) -> Vec<Mismatch>;
    /// Deletes a pool.
    fn delete(name: &str, org: Option<&str>) -> ();
    /// Waits until the bid is fulfilled.
    fn wait_until_fulfilled(name: &str, org: Option<&str>, opts: &WaitOptions) -> SpotNodePool;
});

blocking_service!(
    /// On-demand node pools (see [`crate::services::OnDemandPools`]).
    OnDemandPools, ondemand_pools {
    /// Pools of an org, optionally of one cloudspace.
    fn list(cloudspace: Option<&str>, org: Option<&str>) -> Vec<OnDemandNodePool>;
    /// One pool.
    fn get(name: &str, org: Option<&str>) -> OnDemandNodePool;
    /// Validates a create against the server: the body it sends and the spending concerns.
    fn prepare_create(req: &OnDemandPoolCreate, org: Option<&str>, limits: &SpendLimits) -> PreparedCreate<OnDemandNodePool>;
    /// `prepare_create` for a pool of a cloudspace not created yet (class checked against `region`).
    fn prepare_create_in(req: &OnDemandPoolCreate, region: Option<&str>, org: Option<&str>, limits: &SpendLimits) -> PreparedCreate<OnDemandNodePool>;
    /// Sends a prepared create.
    fn send_create(prepared: PreparedCreate<OnDemandNodePool>) -> OnDemandNodePool;
    /// Creates a pool.
    fn create(req: &OnDemandPoolCreate, org: Option<&str>) -> OnDemandNodePool;
    /// Validates an update against the server: the merge patch and the spending concerns.
    fn prepare_update(name: &str, update: &OnDemandPoolUpdate, org: Option<&str>, limits: &SpendLimits) -> PreparedUpdate<OnDemandNodePool>;
    /// Sends a prepared update.
    fn send_update(name: &str, prepared: PreparedUpdate<OnDemandNodePool>) -> OnDemandNodePool;
    /// Updates only the fields given.
    fn update(name: &str, update: &OnDemandPoolUpdate, org: Option<&str>) -> OnDemandNodePool;
    /// Sets the desired node count, nothing else.
    fn scale(name: &str, desired: u32, org: Option<&str>) -> OnDemandNodePool;
    /// Re-reads the pool and lists where the server holds something other than what was sent.
    fn verify(name: &str, desired: Option<u32>, org: Option<&str>) -> Vec<Mismatch>;
    /// Deletes a pool.
    fn delete(name: &str, org: Option<&str>) -> ();
    /// Waits until the reservation is fulfilled.
    fn wait_until_fulfilled(name: &str, org: Option<&str>, opts: &WaitOptions) -> OnDemandNodePool;
});

blocking_service!(
    /// Prices (see [`crate::services::Pricing`]).
    Pricing, pricing {
    /// Price history of a class.
    fn history(server_class: &str) -> PriceHistory;
    /// Percentiles document.
    fn percentiles() -> Percentiles;
    /// Comparable hyperscaler prices.
    fn comparable_prices() -> ComparablePrices;
    /// Joined price rows for `nodes` nodes.
    fn rows(nodes: u32) -> Vec<PriceRow>;
    /// The row of one class.
    fn row(server_class: &str) -> PriceRow;
    /// Bid advice for a class.
    fn advise(server_class: &str, risk: Risk) -> BidAdvice;
});

blocking_service!(
    /// VM inventory (see [`crate::services::Inventory`]).
    Inventory, inventory {
    /// VM cloudspaces.
    fn vm_cloudspaces(org: Option<&str>) -> Vec<VmCloudSpace>;
    /// VM pools of a VM cloudspace.
    fn vm_pools(vmcloudspace: &str, org: Option<&str>) -> Vec<VmPool>;
    /// Organization events.
    fn events(limit: u32) -> OrganizationEvents;
});

// ----- VM kinds and autopilot pools (issue 16) ----------------------------------------------

blocking_service!(
    /// VM SSH keys (see [`crate::services::VmSshKeys`]).
    VmSshKeys, vm_ssh_keys {
    /// Keys of an org.
    fn list(org: Option<&str>) -> Vec<crate::raw::types::VmSshKey>;
    /// One key.
    fn get(name: &str, org: Option<&str>) -> crate::raw::types::VmSshKey;
    /// Creates a key (checked locally first).
    fn create(req: &crate::services::VmSshKeyCreate, org: Option<&str>) -> crate::raw::types::VmSshKey;
    /// Deletes a key.
    fn delete(name: &str, org: Option<&str>) -> ();
});

blocking_service!(
    /// VM cloudspaces (see [`crate::services::VmCloudSpaces`]).
    VmCloudSpaces, vm_cloudspaces {
    /// VM cloudspaces of an org.
    fn list(org: Option<&str>) -> Vec<VmCloudSpace>;
    /// One VM cloudspace.
    fn get(name: &str, org: Option<&str>) -> VmCloudSpace;
    /// Checks a create (the cloudspace and every inline pool) and returns what it would send.
    fn prepare_create(req: &crate::services::VmCloudSpaceCreate, org: Option<&str>, limits: &SpendLimits) -> crate::services::vm_cloudspaces::PreparedVmCloudSpace;
    /// Sends a prepared create, rolling back on failure.
    fn send_create(prepared: crate::services::vm_cloudspaces::PreparedVmCloudSpace) -> crate::services::vm_cloudspaces::CreatedVmCloudSpace;
    /// Creates a VM cloudspace and its inline pools, rolling back on failure.
    fn create(req: &crate::services::VmCloudSpaceCreate, org: Option<&str>) -> crate::services::vm_cloudspaces::CreatedVmCloudSpace;
    /// Sets or clears the webhook.
    fn update_webhook(name: &str, webhook: &str, org: Option<&str>) -> VmCloudSpace;
    /// Deletes the pools, then the cloudspace.
    fn delete_with_pools(name: &str, org: Option<&str>) -> crate::services::vm_cloudspaces::VmTeardown;
    /// Waits until Ready with all VMs running.
    fn wait_until_running(name: &str, org: Option<&str>, opts: &WaitOptions) -> VmCloudSpace;
});

blocking_service!(
    /// VM pools (see [`crate::services::VmPools`]).
    VmPools, vm_pools {
    /// VM pools of an org, optionally of one VM cloudspace.
    fn list(vm_cloudspace: Option<&str>, org: Option<&str>) -> Vec<VmPool>;
    /// One VM pool.
    fn get(name: &str, org: Option<&str>) -> VmPool;
    /// Creates a VM pool.
    fn create(req: &crate::services::VmPoolCreate, org: Option<&str>) -> VmPool;
    /// Changes the desired count and/or bid.
    fn update(name: &str, update: &crate::services::VmPoolUpdate, org: Option<&str>) -> VmPool;
    /// Sets the desired VM count, nothing else.
    fn scale(name: &str, desired: u32, org: Option<&str>) -> VmPool;
    /// Checks a create (region, class, bid, spending concerns) and returns what it would send.
    fn prepare_create(req: &crate::services::VmPoolCreate, region: Option<&str>, org: Option<&str>, limits: &SpendLimits) -> PreparedCreate<VmPool>;
    /// Sends a prepared create.
    fn send_create(prepared: PreparedCreate<VmPool>) -> VmPool;
    /// Checks an update: the pool as it is and the spending concerns.
    fn prepare_update(name: &str, update: &crate::services::VmPoolUpdate, org: Option<&str>, limits: &SpendLimits) -> (VmPool, Vec<crate::pricing::guard::Concern>);
    /// Sends an update of only the fields given.
    fn send_update(name: &str, update: &crate::services::VmPoolUpdate, org: Option<&str>) -> VmPool;
    /// Deletes a VM pool.
    fn delete(name: &str, org: Option<&str>) -> ();
    /// Waits until the pool has all its VMs.
    fn wait_until_fulfilled(name: &str, org: Option<&str>, opts: &WaitOptions) -> VmPool;
});

blocking_service!(
    /// Autopilot node pools (see [`crate::services::AutopilotPools`]).
    AutopilotPools, autopilot_pools {
    /// Autopilot pools of an org, optionally of one cloudspace.
    fn list(cloudspace: Option<&str>, org: Option<&str>) -> Vec<crate::raw::types::AutopilotNodePool>;
    /// One autopilot pool.
    fn get(name: &str, org: Option<&str>) -> crate::raw::types::AutopilotNodePool;
    /// Checks a create and returns the namespace and body it would send.
    fn prepare_create(req: &crate::services::AutopilotPoolCreate, org: Option<&str>) -> (String, crate::raw::types::AutopilotNodePool);
    /// Creates an autopilot pool.
    fn create(req: &crate::services::AutopilotPoolCreate, org: Option<&str>) -> crate::raw::types::AutopilotNodePool;
    /// Changes the vCPU total and/or budget.
    fn update(name: &str, update: &crate::services::AutopilotPoolUpdate, org: Option<&str>) -> crate::raw::types::AutopilotNodePool;
    /// Deletes an autopilot pool.
    fn delete(name: &str, org: Option<&str>) -> ();
    /// Waits until every vCPU wanted is won (managed vCPUs reach the target).
    fn wait_until_allocated(name: &str, org: Option<&str>, opts: &WaitOptions) -> crate::raw::types::AutopilotNodePool;
    /// Estimates the packing of a pool from public prices and server classes.
    fn preview(req: &crate::services::AutopilotPoolCreate, org: Option<&str>) -> crate::pricing::autopilot::AutopilotPreview;
});

impl Pricing<'_> {
    /// Price histories of several classes, fetched concurrently; one result per class, in order
    /// (see [`crate::services::Pricing::histories`]). The outer error is never set (kept for
    /// the shape of every other blocking method).
    pub fn histories(&self, classes: &[String]) -> Result<Vec<(String, Result<PriceHistory>)>> {
        self.0
            .block(async { Ok(self.0.inner.pricing().histories(classes).await) })
    }
}

impl VmCloudSpaces<'_> {
    /// Sends a prepared create; on failure, the error, the pool that failed and what the
    /// rollback deleted (see [`crate::services::VmCloudSpaces::send_create_reporting`]). The
    /// outer error is never set (kept for the shape of every other blocking method).
    pub fn send_create_reporting(
        &self,
        prepared: crate::services::vm_cloudspaces::PreparedVmCloudSpace,
    ) -> Result<
        std::result::Result<
            crate::services::vm_cloudspaces::CreatedVmCloudSpace,
            crate::services::vm_cloudspaces::FailedVmCreate,
        >,
    > {
        self.0.block(async {
            Ok(self
                .0
                .inner
                .vm_cloudspaces()
                .send_create_reporting(prepared)
                .await)
        })
    }
}

/// Methods written by hand above rather than in a `blocking_service!` table.
#[cfg(test)]
const HAND_WRITTEN_TWINS: &[(&str, &str)] = &[
    ("Pricing", "histories"),
    ("VmCloudSpaces", "send_create_reporting"),
];

#[cfg(test)]
#[path = "blocking_twins.rs"]
mod twins;
