//! [`Snapshot`]: the state of one organization's fleet at one moment, as plain data, and
//! [`Observed`]: how an object of each kind is written into it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::Bid;
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool};
use crate::resource::{Kind, ResourceExt};
use crate::types::inventory::{VmCloudSpace, VmPool};

/// What kind of pool a [`PoolState`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoolKind {
    /// A spot node pool (bids for servers of a cloudspace).
    Spot,
    /// An on-demand node pool (reserved servers of a cloudspace).
    OnDemand,
    /// A VM pool of a VM cloudspace.
    Vm,
}

impl PoolKind {
    /// The label value (`spot`, `ondemand`, `vm`).
    pub fn as_str(self) -> &'static str {
        match self {
            PoolKind::Spot => "spot",
            PoolKind::OnDemand => "ondemand",
            PoolKind::Vm => "vm",
        }
    }
}

/// One pool: what it asks for and what it has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolState {
    /// Spot, on-demand or VM.
    pub kind: PoolKind,
    /// The pool's name.
    pub name: String,
    /// Its cloudspace (VM cloudspace for VM pools), when known.
    pub cloudspace: Option<String>,
    /// Its server class, when known.
    pub class: Option<String>,
    /// Nodes asked for.
    pub desired: Option<i64>,
    /// Nodes won (spot, VM) or reserved (on-demand).
    pub won: Option<i64>,
    /// The bid, USD per node-hour (spot and VM spot pools).
    pub bid: Option<Decimal>,
    /// The bid status (`Fulfilled`, `Lost`, ...) or reservation status.
    pub status: Option<String>,
}

/// One cloudspace (or VM cloudspace): its phase and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudspaceState {
    /// The cloudspace's name.
    pub name: String,
    /// Whether it is a VM cloudspace.
    #[serde(default)]
    pub vm: bool,
    /// Its region, when known.
    pub region: Option<String>,
    /// `status.phase`.
    pub phase: Option<String>,
    /// `status.health`.
    pub health: Option<String>,
}

/// One autopilot pool: the vCPUs it aims for and the vCPUs it manages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AutopilotState {
    /// The pool's name.
    pub name: String,
    /// Its cloudspace, when known.
    pub cloudspace: Option<String>,
    /// `status.targetVcpus`, else `spec.vcpu.total`.
    pub target_vcpus: Option<i64>,
    /// `status.managedVcpus`.
    pub managed_vcpus: Option<i64>,
    /// `status.phase`.
    pub phase: Option<String>,
}

impl AutopilotState {
    /// Whether it manages fewer vCPUs than its target (unknown counts are not "under").
    pub fn under_target(&self) -> bool {
        matches!((self.managed_vcpus, self.target_vcpus), (Some(m), Some(t)) if m < t)
    }
}

/// One server assigned to a VM cloudspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VmServerState {
    /// The VM cloudspace.
    pub vmcloudspace: String,
    /// The server id.
    pub server: String,
    /// Its pool, when known.
    pub pool: Option<String>,
    /// Its state (`Ready`, ...).
    pub state: Option<String>,
    /// Its error, when it reports one.
    pub error: Option<String>,
}

/// The prices of one server class, USD per node-hour.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassPrice {
    /// Its region.
    pub region: String,
    /// The market price.
    pub market: Option<Decimal>,
    /// The minimum bid.
    pub min_bid: Option<Decimal>,
    /// The on-demand price.
    pub on_demand: Option<Decimal>,
    /// The median hammer price of recent auctions.
    pub p50: Option<Decimal>,
    /// The 80th percentile of recent hammer prices.
    pub p80: Option<Decimal>,
}

/// The fleet of one organization at one moment. Maps are keyed so that one object keeps its
/// key from one snapshot to the next (`kind/name` for pools, `vmcloudspace/server` for servers).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// When it was taken.
    pub taken_at: Option<DateTime<Utc>>,
    /// Spot, on-demand and VM pools, keyed `kind/name`.
    pub pools: BTreeMap<String, PoolState>,
    /// Cloudspaces and VM cloudspaces, keyed `cloudspace/name` and `vmcloudspace/name`.
    pub cloudspaces: BTreeMap<String, CloudspaceState>,
    /// Autopilot pools, keyed by name.
    pub autopilot: BTreeMap<String, AutopilotState>,
    /// VM servers, keyed `vmcloudspace/server`.
    pub vm_servers: BTreeMap<String, VmServerState>,
    /// Prices per server class.
    pub prices: BTreeMap<String, ClassPrice>,
    /// The organization's events feed as last fetched, newest first (each entry's fields joined
    /// with a space: its time first).
    pub events: Vec<String>,
}

impl Snapshot {
    /// The market price of `class`, when known.
    pub fn market(&self, class: Option<&str>) -> Option<Decimal> {
        self.prices.get(class?).and_then(|p| p.market)
    }

    /// Whether the market price of the pool's class is above its bid (the pool is outbid or
    /// about to be).
    pub fn outbid(&self, pool: &PoolState) -> bool {
        match (pool.bid, self.market(pool.class.as_deref())) {
            (Some(bid), Some(market)) => market > bid,
            _ => false,
        }
    }

    /// Estimated spend per hour, USD: won spot and VM nodes at the market price (the price a
    /// winning bid pays), reserved on-demand nodes at the on-demand price.
    pub fn spend_per_hour(&self) -> Decimal {
        self.pools
            .values()
            .filter_map(|p| {
                let nodes = Decimal::from(p.won.unwrap_or(0).max(0));
                let price = self.prices.get(p.class.as_deref()?)?;
                let unit = match p.kind {
                    PoolKind::OnDemand => price.on_demand,
                    PoolKind::Spot | PoolKind::Vm => price.market,
                }?;
                Some(unit * nodes)
            })
            .sum()
    }
}

/// A kind the poller lists: how one object is written into a [`Snapshot`]. Implemented for the
/// kinds a fleet watch covers; sealed with [`Kind`].
pub trait Observed: Kind {
    /// Writes this object into `into`.
    fn observe(&self, into: &mut Snapshot);
}

fn pool_key(kind: PoolKind, name: &str) -> String {
    format!("{}/{name}", kind.as_str())
}

impl Observed for SpotNodePool {
    fn observe(&self, into: &mut Snapshot) {
        let status = self.status.as_ref();
        let name = self.name().to_string();
        into.pools.insert(
            pool_key(PoolKind::Spot, &name),
            PoolState {
                kind: PoolKind::Spot,
                cloudspace: self.parent().map(str::to_string),
                class: Some(self.spec.server_class.clone()),
                desired: self.spec.desired.map(i64::from),
                won: status.and_then(|s| s.won_count).map(i64::from),
                bid: self.spec.bid_price.map(Bid::value),
                status: status
                    .and_then(|s| s.bid_status.as_ref())
                    .map(ToString::to_string),
                name,
            },
        );
    }
}

impl Observed for OnDemandNodePool {
    fn observe(&self, into: &mut Snapshot) {
        let status = self.status.as_ref();
        let name = self.name().to_string();
        into.pools.insert(
            pool_key(PoolKind::OnDemand, &name),
            PoolState {
                kind: PoolKind::OnDemand,
                cloudspace: self.parent().map(str::to_string),
                class: Some(self.spec.server_class.clone()),
                desired: self.spec.desired.map(i64::from),
                won: status.and_then(|s| s.reserved_count).map(i64::from),
                bid: None,
                status: status
                    .and_then(|s| s.reserved_status.as_ref())
                    .map(ToString::to_string),
                name,
            },
        );
    }
}

impl Observed for VmPool {
    fn observe(&self, into: &mut Snapshot) {
        let name = self.name().to_string();
        into.pools.insert(
            pool_key(PoolKind::Vm, &name),
            PoolState {
                kind: PoolKind::Vm,
                cloudspace: self.parent().map(str::to_string),
                class: self.spec.server_class.clone(),
                desired: self.spec.desired.map(i64::from),
                won: self.status.won_count.map(i64::from),
                bid: self.spec.bid_price.map(Bid::value),
                status: self.status.bid_status.as_ref().map(ToString::to_string),
                name,
            },
        );
    }
}

impl Observed for CloudSpace {
    fn observe(&self, into: &mut Snapshot) {
        let name = self.name().to_string();
        let status = self.status.as_ref();
        into.cloudspaces.insert(
            format!("cloudspace/{name}"),
            CloudspaceState {
                vm: false,
                region: Some(self.spec.region.clone()),
                phase: status
                    .and_then(|s| s.phase.as_ref())
                    .map(ToString::to_string),
                health: status
                    .and_then(|s| s.health.as_ref())
                    .map(ToString::to_string),
                name,
            },
        );
    }
}

impl Observed for VmCloudSpace {
    fn observe(&self, into: &mut Snapshot) {
        let name = self.name().to_string();
        for (id, server) in &self.status.assigned_servers {
            into.vm_servers.insert(
                format!("{name}/{id}"),
                VmServerState {
                    vmcloudspace: name.clone(),
                    server: id.clone(),
                    pool: server.node_pool_name.clone(),
                    state: server.state.clone(),
                    error: server.failure().map(str::to_string),
                },
            );
        }
        into.cloudspaces.insert(
            format!("vmcloudspace/{name}"),
            CloudspaceState {
                vm: true,
                region: self.spec.region.clone(),
                phase: self.status.phase.as_ref().map(ToString::to_string),
                health: self.status.health.as_ref().map(ToString::to_string),
                name,
            },
        );
    }
}

impl Observed for AutopilotNodePool {
    fn observe(&self, into: &mut Snapshot) {
        let name = self.name().to_string();
        let status = self.status.as_ref();
        into.autopilot.insert(
            name.clone(),
            AutopilotState {
                cloudspace: self.parent().map(str::to_string),
                target_vcpus: status
                    .and_then(|s| s.target_vcpus)
                    .or_else(|| self.spec.vcpu.as_ref().and_then(|v| v.total))
                    .map(i64::from),
                managed_vcpus: status.and_then(|s| s.managed_vcpus).map(i64::from),
                phase: status
                    .and_then(|s| s.phase.as_ref())
                    .map(ToString::to_string),
                name,
            },
        );
    }
}
