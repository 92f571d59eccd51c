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
//! for cs in client.cloudspaces().list()? {
//!     println!("{}", rsspot::ResourceExt::name(&cs));
//! }
//! # Ok::<(), rsspot::Error>(())
//! ```

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use crate::error::{Error, Result};
use crate::pricing::advice::{BidAdvice, Risk};
use crate::pricing::docs::{ComparablePrices, Percentiles, PriceHistory};
use crate::pricing::view::PriceRow;
use crate::raw::types::{OrganizationListOrganizationsItem as Organization, Region, ServerClass};
use crate::services::ServerClassFilter;
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
    fn vm_cloudspaces() -> Vec<VmCloudSpace>;
    /// VM pools of a VM cloudspace.
    fn vm_pools(vmcloudspace: &str) -> Vec<VmPool>;
    /// Organization events.
    fn events(limit: u32) -> OrganizationEvents;
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

/// Methods written by hand above rather than in a `blocking_service!` table.
#[cfg(test)]
const HAND_WRITTEN_TWINS: &[(&str, &str)] = &[("Pricing", "histories")];

#[path = "blocking_api.rs"]
mod api;
#[path = "blocking_fleet.rs"]
pub mod fleet;
pub use api::{Api, Org};

#[cfg(test)]
#[path = "blocking_twins.rs"]
mod twins;
