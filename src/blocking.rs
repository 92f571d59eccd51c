//! A synchronous facade over [`crate::SpotClient`] with the same services, for scripts and
//! non-async programs. It owns a small runtime; calling it from inside an async runtime is refused
//! with a clear error (use the async client there).
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

use std::future::Future;
use std::sync::Arc;

use crate::error::{Error, Result};
use crate::pricing::advice::{BidAdvice, Risk};
use crate::pricing::docs::{ComparablePrices, Percentiles, PriceHistory};
use crate::pricing::view::PriceRow;
use crate::raw::types::{OrganizationListOrganizationsItem as Organization, Region, ServerClass};
use crate::services::ServerClassFilter;
use crate::types::inventory::{OrganizationEvents, VmCloudSpace, VmPool};

/// The blocking client. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SpotClient {
    inner: crate::SpotClient,
    rt: Arc<tokio::runtime::Runtime>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::config(
            "rsspot::blocking::SpotClient cannot be used inside an async runtime; use rsspot::SpotClient (async) there",
        ));
    }
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Error::config(format!(
                "cannot start a runtime for the blocking client: {e}"
            ))
        })
}

impl SpotClient {
    fn new(build: impl Future<Output = Result<crate::SpotClient>>) -> Result<SpotClient> {
        let rt = runtime()?;
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

    /// The async client behind this one.
    pub fn as_async(&self) -> &crate::SpotClient {
        &self.inner
    }

    fn block<T>(&self, fut: impl Future<Output = Result<T>>) -> Result<T> {
        if tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::config(
                "rsspot::blocking::SpotClient cannot be used inside an async runtime; use rsspot::SpotClient (async) there",
            ));
        }
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
];
#[cfg(test)]
const CLIENT_WITHOUT_TWIN: &[(&str, &str)] = &[(
    "shared_default",
    "a process-wide async client; a blocking client owns its runtime, build one per script",
)];

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
    /// (see [`crate::services::Pricing::histories`]). The outer error is only the refusal to run
    /// inside an async runtime.
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
pub use api::{Api, Org};

#[cfg(test)]
#[path = "blocking_twins.rs"]
mod twins;
