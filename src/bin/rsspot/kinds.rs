//! The [`Kind`](crate::view::Kind)s the CLI lists, gets and watches: cloudspaces, node pools
//! (spot, on-demand, autopilot) and the VM kinds.

use std::collections::HashMap;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::raw::types::{
    AutopilotNodePool, CloudSpace, OnDemandNodePool, ServerClass, SpotNodePool, VmSshKey,
};
use rsspot::types::inventory::{VmCloudSpace, VmPool};

use crate::commands::nodepools::rows::{
    OnDemandRow, SpotRow, class_prices, on_demand_rows, spot_rows,
};
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

/// Spot pools, shown with the market price of their class.
pub struct SpotPools {
    /// The `--org` given, if any.
    pub org: Option<String>,
    /// Only pools of this cloudspace.
    pub cloudspace: Option<String>,
    /// Server classes by name, for the price column (empty outside tables).
    pub classes: HashMap<String, ServerClass>,
}

impl SpotPools {
    /// Spot pools of `--org`, of `cloudspace` when given, with class prices for tables.
    pub async fn of(ctx: &Ctx, client: &SpotClient, cloudspace: Option<&str>) -> SpotPools {
        SpotPools {
            org: ctx.org().map(str::to_string),
            cloudspace: cloudspace.map(str::to_string),
            classes: class_prices(ctx, client).await,
        }
    }
}

impl Kind for SpotPools {
    type Item = SpotNodePool;
    type Row = SpotRow;
    const WHAT: &'static str = "spot pool";

    async fn list(&self, client: &SpotClient) -> Result<Vec<SpotNodePool>> {
        let pools = client.spot_pools();
        Ok(pools
            .list(self.cloudspace.as_deref(), self.org.as_deref())
            .await?)
    }

    async fn get(&self, client: &SpotClient, name: &str) -> Result<SpotNodePool> {
        Ok(client.spot_pools().get(name, self.org.as_deref()).await?)
    }

    fn rows(&self, items: &[SpotNodePool]) -> Vec<SpotRow> {
        spot_rows(items, &self.classes)
    }
}

/// On-demand pools, shown with the on-demand price of their class.
pub struct OnDemandPools {
    /// The `--org` given, if any.
    pub org: Option<String>,
    /// Only pools of this cloudspace.
    pub cloudspace: Option<String>,
    /// Server classes by name, for the price column (empty outside tables).
    pub classes: HashMap<String, ServerClass>,
}

impl OnDemandPools {
    /// On-demand pools of `--org`, of `cloudspace` when given, with class prices for tables.
    pub async fn of(ctx: &Ctx, client: &SpotClient, cloudspace: Option<&str>) -> OnDemandPools {
        OnDemandPools {
            org: ctx.org().map(str::to_string),
            cloudspace: cloudspace.map(str::to_string),
            classes: class_prices(ctx, client).await,
        }
    }
}

impl Kind for OnDemandPools {
    type Item = OnDemandNodePool;
    type Row = OnDemandRow;
    const WHAT: &'static str = "on-demand pool";

    async fn list(&self, client: &SpotClient) -> Result<Vec<OnDemandNodePool>> {
        let pools = client.ondemand_pools();
        Ok(pools
            .list(self.cloudspace.as_deref(), self.org.as_deref())
            .await?)
    }

    async fn get(&self, client: &SpotClient, name: &str) -> Result<OnDemandNodePool> {
        Ok(client
            .ondemand_pools()
            .get(name, self.org.as_deref())
            .await?)
    }

    fn rows(&self, items: &[OnDemandNodePool]) -> Vec<OnDemandRow> {
        on_demand_rows(items, &self.classes)
    }
}
