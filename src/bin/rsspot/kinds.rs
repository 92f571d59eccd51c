//! The [`Kind`](crate::view::Kind)s the CLI lists, gets and watches: cloudspaces, node pools
//! (spot, on-demand, autopilot) and the VM kinds.

use std::collections::HashMap;
use std::marker::PhantomData;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::raw::types::{AutopilotNodePool, CloudSpace, ServerClass, VmSshKey};
use rsspot::types::inventory::{VmCloudSpace, VmPool};

use crate::commands::nodepools::kind::PoolKind;
use crate::commands::nodepools::rows::{PoolRow, class_prices, pool_rows};
use crate::ctx::Ctx;
use crate::view::{Kind, simple_kind};

simple_kind!(
    /// Cloudspaces of the organization.
    Cloudspaces, CloudSpace, "cloudspace",
    |k, c| list: c.cloudspaces().list(k.org.as_deref()),
    get(name): c.cloudspaces().get(name, k.org.as_deref())
);

simple_kind!(
    /// Autopilot pools (of one cloudspace when `parent` is set).
    AutopilotPools, AutopilotNodePool, "autopilot pool",
    |k, c| list: c.autopilot_pools().list(k.parent.as_deref(), k.org.as_deref()),
    get(name): c.autopilot_pools().get(name, k.org.as_deref())
);

simple_kind!(
    /// SSH keys for VMs.
    VmSshKeys, VmSshKey, "vm ssh key",
    |k, c| list: c.vm_ssh_keys().list(k.org.as_deref()),
    get(name): c.vm_ssh_keys().get(name, k.org.as_deref())
);

simple_kind!(
    /// VM cloudspaces.
    VmCloudspaces, VmCloudSpace, "vm cloudspace",
    |k, c| list: c.vm_cloudspaces().list(k.org.as_deref()),
    get(name): c.vm_cloudspaces().get(name, k.org.as_deref())
);

simple_kind!(
    /// VM pools (of one VM cloudspace when `parent` is set).
    VmPools, VmPool, "vm pool",
    |k, c| list: c.vm_pools().list(k.parent.as_deref(), k.org.as_deref()),
    get(name): c.vm_pools().get(name, k.org.as_deref())
);

impl Cloudspaces {
    /// Cloudspaces of `--org`.
    pub fn of(ctx: &Ctx) -> Cloudspaces {
        Cloudspaces {
            org: ctx.org().map(str::to_string),
            parent: None,
        }
    }
}

/// The `--org` of the context and a parent filter, for the kinds above.
macro_rules! with_parent {
    ($($kind:ident),*) => {$(
        impl $kind {
            /// Objects of `--org`, under `parent` when given.
            pub fn of(ctx: &Ctx, parent: Option<&str>) -> $kind {
                $kind {
                    org: ctx.org().map(str::to_string),
                    parent: parent.map(str::to_string),
                }
            }
        }
    )*};
}

with_parent!(AutopilotPools, VmSshKeys, VmCloudspaces, VmPools);

/// Spot or on-demand pools ([`PoolKind`]), shown with their class's price (market or
/// on-demand).
pub struct Pools<P> {
    /// The `--org` given, if any.
    pub org: Option<String>,
    /// Only pools of this cloudspace.
    pub cloudspace: Option<String>,
    /// Server classes by name, for the price column (empty outside tables).
    pub classes: HashMap<String, ServerClass>,
    kind: PhantomData<P>,
}

impl<P: PoolKind> Pools<P> {
    /// Pools of `--org`, of `cloudspace` when given, with class prices for tables.
    pub async fn of(ctx: &Ctx, client: &SpotClient, cloudspace: Option<&str>) -> Self {
        Pools {
            org: ctx.org().map(str::to_string),
            cloudspace: cloudspace.map(str::to_string),
            classes: class_prices(ctx, client).await,
            kind: PhantomData,
        }
    }
}

impl<P: PoolKind> Kind for Pools<P> {
    type Item = P::Item;
    type Row = PoolRow<P>;
    const WHAT: &'static str = P::WHAT;

    async fn list(&self, client: &SpotClient) -> Result<Vec<P::Item>> {
        let (cloudspace, org) = (self.cloudspace.as_deref(), self.org.as_deref());
        Ok(P::list(client, cloudspace, org).await?)
    }

    async fn get(&self, client: &SpotClient, name: &str) -> Result<P::Item> {
        Ok(P::get(client, name, self.org.as_deref()).await?)
    }

    fn rows(&self, items: &[P::Item]) -> Vec<PoolRow<P>> {
        pool_rows::<P>(items, &self.classes)
    }
}
