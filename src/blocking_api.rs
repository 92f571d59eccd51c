//! The blocking twins of [`crate::Org`] and [`crate::Api`]: the generic calls once for every
//! kind, and each kind's own calls as one line of a `blocking_kind!` table that forwards to its
//! async twin.

use super::SpotClient;
use crate::error::Result;
use crate::pricing::guard::{Concern, SpendLimits};
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool, VmSshKey};
use crate::resource::{Kind, MergePatch};
use crate::services::cloudspaces::{
    CloudSpaceWithPools, CreateOutcome, InlinePool, PreparedCloudSpace, Rollback, Teardown,
};
use crate::services::vm_cloudspaces::{CreatedVmCloudSpace, FailedVmCreate, PreparedVmCloudSpace};
use crate::services::{
    AutopilotPoolCreate, AutopilotPoolUpdate, CloudSpaceCreate, CloudSpaceUpdate, Mismatch,
    OnDemandPoolCreate, OnDemandPoolUpdate, PreparedCreate, PreparedUpdate, Sent, SpotPoolCreate,
    SpotPoolUpdate, VmCloudSpaceCreate, VmPoolCreate, VmPoolUpdate, VmSshKeyCreate, WaitOptions,
};
use crate::types::inventory::{VmCloudSpace, VmPool};

/// An organization (see [`crate::Org`]): made without a request and without failing.
#[derive(Clone, Debug)]
pub struct Org<'a> {
    client: &'a SpotClient,
    inner: crate::Org<'a>,
}

/// The handle of one kind in one organization (see [`crate::Api`]).
pub struct Api<'a, K> {
    client: &'a SpotClient,
    inner: crate::Api<'a, K>,
}

impl<K> Clone for Api<'_, K> {
    fn clone(&self) -> Self {
        Api {
            client: self.client,
            inner: self.inner.clone(),
        }
    }
}

impl<K: Kind> std::fmt::Debug for Api<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl SpotClient {
    /// An organization by name, id or namespace (see [`crate::SpotClient::org`]).
    pub fn org(&self, org: impl Into<String>) -> Org<'_> {
        Org {
            client: self,
            inner: self.inner.org(org),
        }
    }

    /// The default organization (see [`crate::SpotClient::default_org`]).
    pub fn default_org(&self) -> Org<'_> {
        Org {
            client: self,
            inner: self.inner.default_org(),
        }
    }

    /// An organization given maybe by name (`None`: the default).
    pub fn org_or_default(&self, org: Option<&str>) -> Org<'_> {
        Org {
            client: self,
            inner: self.inner.org_or_default(org),
        }
    }
}

// The named handles, the async client's twins (see `named_kinds!`).
crate::resource::named_kinds!(crate::resource::kind_accessors);

impl SpotClient {
    /// The handle of any kind in the default organization.
    pub fn api<K: Kind>(&self) -> Api<'_, K> {
        self.default_org().api()
    }
}

impl<'a> Org<'a> {
    /// The handle of any kind in this organization.
    pub fn api<K: Kind>(&self) -> Api<'a, K> {
        Api {
            client: self.client,
            inner: self.inner.api(),
        }
    }

    /// The org namespace (resolved on first use).
    pub fn namespace(&self) -> Result<String> {
        self.client.block(self.inner.namespace())
    }

    /// The organization's name.
    pub fn name(&self) -> Result<String> {
        self.client.block(self.inner.name())
    }
}

impl<K: Kind> Api<'_, K> {
    /// Only the objects of one parent (see [`crate::Api::within`]).
    pub fn within<'p>(mut self, parent: impl Into<Option<&'p str>>) -> Self {
        self.inner = self.inner.within(parent);
        self
    }

    /// Every object (of the parent, when narrowed).
    pub fn list(&self) -> Result<Vec<K>> {
        self.client.block(self.inner.list())
    }

    /// One object by name.
    pub fn get(&self, name: &str) -> Result<K> {
        self.client.block(self.inner.get(name))
    }

    /// Deletes one object.
    pub fn delete(&self, name: &str) -> Result<()> {
        self.client.block(self.inner.delete(name))
    }

    /// Waits until the object is ready (see [`crate::Api::wait_ready`]).
    pub fn wait_ready(&self, name: &str, opts: &WaitOptions) -> Result<K> {
        self.client.block(self.inner.wait_ready(name, opts))
    }

    /// Applies a JSON merge patch (see [`crate::Api::patch`]).
    pub fn patch(&self, name: &str, patch: &(impl serde::Serialize + Sync)) -> Result<K>
    where
        K: MergePatch,
    {
        self.client.block(self.inner.patch(name, patch))
    }

    /// The org namespace.
    pub fn namespace(&self) -> Result<String> {
        self.client.block(self.inner.namespace())
    }
}

/// Each kind's own calls, each forwarding to its async twin.
macro_rules! blocking_kind {
    ($kind:ident { $( $(#[$m:meta])* fn $f:ident($($a:ident : $t:ty),*) -> $r:ty; )* }) => {
        impl Api<'_, $kind> {
            $(
                $(#[$m])*
                pub fn $f(&self, $($a: $t),*) -> Result<$r> {
                    self.client.block(self.inner.$f($($a),*))
                }
            )*
        }

        #[cfg(test)]
        impl Api<'_, $kind> {
            /// The methods this table forwards, for the twin check.
            const TWINS: (&'static str, &'static [&'static str]) =
                (concat!("Api<", stringify!($kind), ">"), &[$(stringify!($f)),*]);
        }
    };
}

/// Every table of this file, for the twin check: the generic calls, then each kind's.
#[cfg(test)]
pub(super) const TWINS: &[(&str, &[&str])] = &[
    (
        "Api<K: Kind>",
        &["list", "get", "delete", "wait_ready", "patch", "namespace"],
    ),
    ("Org<'a>", &["namespace", "name"]),
    Api::<CloudSpace>::TWINS,
    Api::<SpotNodePool>::TWINS,
    Api::<OnDemandNodePool>::TWINS,
    Api::<AutopilotNodePool>::TWINS,
    Api::<VmSshKey>::TWINS,
    Api::<VmCloudSpace>::TWINS,
    Api::<VmPool>::TWINS,
    ("Api<VmCloudSpace>", &["send_create_reporting"]),
];

blocking_kind!(CloudSpace {
    /// Validates a create against the server; the namespace and the body a create sends.
    fn prepare_create(req: &CloudSpaceCreate) -> (String, CloudSpace);
    /// Creates a cloudspace.
    fn create(req: &CloudSpaceCreate) -> CloudSpace;
    /// Updates a cloudspace.
    fn update(name: &str, update: &CloudSpaceUpdate) -> CloudSpace;
    /// Deletes its node pools, then the cloudspace; what was deleted.
    fn delete_with_pools(name: &str) -> Teardown;
    /// Waits until the cloudspace and the pools of a teardown are gone.
    fn wait_until_gone(teardown: &Teardown, opts: &WaitOptions) -> ();
    /// Generates its kubeconfig.
    fn kubeconfig(name: &str) -> String;
    /// Checks a create with pools against the server; every body it sends.
    fn prepare_create_with_pools(req: &CloudSpaceWithPools, limits: &SpendLimits) -> PreparedCloudSpace;
    /// Creates the cloudspace, then its pools; rolls back when a pool fails.
    fn send_create_with_pools(prepared: PreparedCloudSpace) -> CreateOutcome;
    /// Refuses a cloudspace name already taken.
    fn ensure_name_free(name: &str) -> ();
    /// Deletes what a create with pools made.
    fn rollback_create(name: &str, pools: &[InlinePool]) -> Rollback;
});

blocking_kind!(SpotNodePool {
    /// Validates a create against the server: the body it sends and the spending concerns.
    fn prepare_create(req: &SpotPoolCreate, limits: &SpendLimits) -> PreparedCreate<SpotNodePool>;
    /// `prepare_create` for a pool of a cloudspace not created yet (class checked against `region`).
    fn prepare_create_in(req: &SpotPoolCreate, region: Option<&str>, limits: &SpendLimits) -> PreparedCreate<SpotNodePool>;
    /// Sends a prepared create.
    fn send_create(prepared: PreparedCreate<SpotNodePool>) -> SpotNodePool;
    /// Creates a pool.
    fn create(req: &SpotPoolCreate) -> SpotNodePool;
    /// Validates an update against the server: the merge patch and the spending concerns.
    fn prepare_update(name: &str, update: &SpotPoolUpdate, limits: &SpendLimits) -> PreparedUpdate<SpotNodePool>;
    /// Sends a prepared update.
    fn send_update(name: &str, prepared: PreparedUpdate<SpotNodePool>) -> SpotNodePool;
    /// Updates only the fields given.
    fn update(name: &str, update: &SpotPoolUpdate) -> SpotNodePool;
    /// Sets the desired node count, nothing else.
    fn scale(name: &str, desired: u32) -> SpotNodePool;
    /// Re-reads the pool and lists where the server holds something other than what was sent.
    fn verify(name: &str, sent: Sent) -> Vec<Mismatch>;
});

blocking_kind!(OnDemandNodePool {
    /// Validates a create against the server: the body it sends and the spending concerns.
    fn prepare_create(req: &OnDemandPoolCreate, limits: &SpendLimits) -> PreparedCreate<OnDemandNodePool>;
    /// `prepare_create` for a pool of a cloudspace not created yet (class checked against `region`).
    fn prepare_create_in(req: &OnDemandPoolCreate, region: Option<&str>, limits: &SpendLimits) -> PreparedCreate<OnDemandNodePool>;
    /// Sends a prepared create.
    fn send_create(prepared: PreparedCreate<OnDemandNodePool>) -> OnDemandNodePool;
    /// Creates a pool.
    fn create(req: &OnDemandPoolCreate) -> OnDemandNodePool;
    /// Validates an update against the server: the merge patch and the spending concerns.
    fn prepare_update(name: &str, update: &OnDemandPoolUpdate, limits: &SpendLimits) -> PreparedUpdate<OnDemandNodePool>;
    /// Sends a prepared update.
    fn send_update(name: &str, prepared: PreparedUpdate<OnDemandNodePool>) -> OnDemandNodePool;
    /// Updates only the fields given.
    fn update(name: &str, update: &OnDemandPoolUpdate) -> OnDemandNodePool;
    /// Sets the desired node count, nothing else.
    fn scale(name: &str, desired: u32) -> OnDemandNodePool;
    /// Re-reads the pool and lists where the server holds something other than what was sent.
    fn verify(name: &str, sent: Sent) -> Vec<Mismatch>;
});

blocking_kind!(AutopilotNodePool {
    /// Checks a create and returns the namespace and body it would send.
    fn prepare_create(req: &AutopilotPoolCreate) -> (String, AutopilotNodePool);
    /// Creates an autopilot pool.
    fn create(req: &AutopilotPoolCreate) -> AutopilotNodePool;
    /// Changes the vCPU total and/or budget.
    fn update(name: &str, update: &AutopilotPoolUpdate) -> AutopilotNodePool;
    /// Estimates the packing of a pool from public prices and server classes.
    fn preview(req: &AutopilotPoolCreate) -> crate::pricing::autopilot::AutopilotPreview;
});

blocking_kind!(VmSshKey {
    /// Creates a key (checked locally first).
    fn create(req: &VmSshKeyCreate) -> VmSshKey;
});

blocking_kind!(VmCloudSpace {
    /// Checks a create (the cloudspace and every inline pool) and returns what it would send.
    fn prepare_create(req: &VmCloudSpaceCreate, limits: &SpendLimits) -> PreparedVmCloudSpace;
    /// Sends a prepared create, rolling back on failure.
    fn send_create(prepared: PreparedVmCloudSpace) -> CreatedVmCloudSpace;
    /// Creates a VM cloudspace and its inline pools, rolling back on failure.
    fn create(req: &VmCloudSpaceCreate) -> CreatedVmCloudSpace;
    /// Sets or clears the webhook.
    fn update_webhook(name: &str, webhook: &str) -> VmCloudSpace;
    /// Deletes the pools, then the cloudspace.
    fn delete_with_pools(name: &str) -> crate::services::vm_cloudspaces::VmTeardown;
    /// Waits until Ready with all VMs running.
    fn wait_until_running(name: &str, opts: &WaitOptions) -> VmCloudSpace;
});

blocking_kind!(VmPool {
    /// Creates a VM pool.
    fn create(req: &VmPoolCreate) -> VmPool;
    /// Changes the desired count and/or bid.
    fn update(name: &str, update: &VmPoolUpdate) -> VmPool;
    /// Sets the desired VM count, nothing else.
    fn scale(name: &str, desired: u32) -> VmPool;
    /// Checks a create (region, class, bid, spending concerns) and returns what it would send.
    fn prepare_create(req: &VmPoolCreate, region: Option<&str>, limits: &SpendLimits) -> PreparedCreate<VmPool>;
    /// Sends a prepared create.
    fn send_create(prepared: PreparedCreate<VmPool>) -> VmPool;
    /// Checks an update: the pool as it is and the spending concerns.
    fn prepare_update(name: &str, update: &VmPoolUpdate, limits: &SpendLimits) -> (VmPool, Vec<Concern>);
    /// Sends an update of only the fields given.
    fn send_update(name: &str, update: &VmPoolUpdate) -> VmPool;
});

impl Api<'_, VmCloudSpace> {
    /// Sends a prepared create; on failure, the error, the pool that failed and what the
    /// rollback deleted (see [`crate::Api::send_create_reporting`]). The outer error is only a
    /// failure of the blocking client itself.
    pub fn send_create_reporting(
        &self,
        prepared: PreparedVmCloudSpace,
    ) -> Result<std::result::Result<CreatedVmCloudSpace, FailedVmCreate>> {
        self.client
            .block(async { Ok(self.inner.send_create_reporting(prepared).await) })
    }
}
