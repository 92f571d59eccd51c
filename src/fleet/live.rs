//! What the account holds, read once per plan: one list per kind plus the public pricing
//! documents, normalised into the fields a fleet manages.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::live_more::{
    AutopilotState, SshKeyState, VmCloudSpaceState, VmPoolState, autopilot_children,
    autopilot_hourly, autopilot_state, ssh_key_state, vm_cloudspace_state, vm_pool_state,
};
use super::model_values::{FleetAutoscaling, FleetTaint};
use crate::error::Result;
use crate::pricing::view::{self, ClassInput, PriceRow};
use crate::raw::types::CloudSpace;
use crate::resource::{Kind, Org, ResourceExt};
use crate::services::{NodePoolKind, Taint};

/// A cloudspace's managed fields as the account holds them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudSpaceState {
    /// Region.
    pub region: Option<String>,
    /// Kubernetes version.
    pub kubernetes_version: Option<String>,
    /// CNI.
    pub cni: Option<String>,
    /// HA control plane.
    pub ha_control_plane: Option<bool>,
    /// Webhook.
    pub webhook: Option<String>,
}

/// A pool's managed fields as the account holds them (or as the file wants them; `None`: not
/// managed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolState {
    /// The cloudspace.
    pub cloudspace: String,
    /// Server class.
    pub server_class: String,
    /// Desired nodes.
    pub desired: u32,
    /// Autoscaling bounds (`None`: off).
    pub autoscaling: Option<FleetAutoscaling>,
    /// The bid in the API's form (spot pools).
    pub bid: Option<String>,
    /// Node labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Node annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Node taints.
    pub taints: Option<Vec<FleetTaint>>,
}

/// One live object: its name, resourceVersion, whether it is being deleted, and its state.
#[derive(Debug, Clone)]
pub struct Live<S> {
    /// Name.
    pub name: String,
    /// `metadata.resourceVersion`.
    pub resource_version: Option<String>,
    /// A delete has begun.
    pub deleting: bool,
    /// Managed fields.
    pub state: S,
    /// Nodes won now (spot) or desired (on-demand): what it costs now.
    pub nodes_now: u32,
}

/// Everything a plan is made from.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// The org namespace.
    pub namespace: String,
    /// Cloudspaces.
    pub cloudspaces: Vec<Live<CloudSpaceState>>,
    /// Spot pools.
    pub spot: Vec<Live<PoolState>>,
    /// On-demand pools.
    pub ondemand: Vec<Live<PoolState>>,
    /// Server classes with their prices, by name.
    pub classes: BTreeMap<String, (ClassInput, PriceRow)>,
    /// VM SSH keys.
    pub ssh_keys: Vec<Live<SshKeyState>>,
    /// VM cloudspaces.
    pub vm_cloudspaces: Vec<Live<VmCloudSpaceState>>,
    /// VM pools.
    pub vm_pools: Vec<Live<VmPoolState>>,
    /// Autopilot pools.
    pub autopilot: Vec<Live<AutopilotState>>,
    /// What each autopilot pool costs per hour now (bids × nodes won), by name.
    pub autopilot_hourly: BTreeMap<String, Decimal>,
}

fn live<K: Kind, S>(obj: &K, state: S, nodes_now: u32) -> Live<S> {
    Live {
        name: obj.name().to_string(),
        resource_version: obj.resource_version().map(str::to_string),
        deleting: obj.is_deleting(),
        state,
        nodes_now,
    }
}

fn taints(items: Vec<Taint>) -> Vec<FleetTaint> {
    items
        .into_iter()
        .map(|t| FleetTaint {
            key: t.key,
            value: t.value,
            effect: t.effect,
        })
        .collect()
}

fn bounds(enabled: bool, min: Option<u32>, max: Option<u32>) -> Option<FleetAutoscaling> {
    enabled.then(|| FleetAutoscaling {
        min: min.unwrap_or(0),
        max: max.unwrap_or(0),
    })
}

/// The managed state of a cloudspace.
pub fn cloudspace_state(cs: &CloudSpace) -> CloudSpaceState {
    let spec = cs.spec.clone();
    CloudSpaceState {
        region: Some(spec.region),
        kubernetes_version: spec.kubernetes_version,
        cni: spec.cni,
        ha_control_plane: Some(spec.ha_control_plane),
        webhook: Some(spec.webhook.unwrap_or_default()),
    }
}

/// A node pool's managed state, read through the model both kinds share.
pub fn pool_state<K: NodePoolKind>(p: &K) -> PoolState {
    let f = p.facts();
    let a = f.autoscaling;
    PoolState {
        cloudspace: f.cloudspace.to_string(),
        server_class: f.server_class.to_string(),
        desired: f.desired.unwrap_or(0),
        autoscaling: bounds(a.enabled, a.min_nodes, a.max_nodes),
        bid: f.bid.map(|b| b.api_form()),
        labels: Some(f.labels.clone()),
        annotations: Some(f.annotations.clone()),
        taints: Some(taints(f.taints)),
    }
}

/// Reads the account: one list per kind and the pricing documents, concurrently and uncached
/// (a plan is made from what is there now).
pub async fn snapshot(org: &Org<'_>) -> Result<Snapshot> {
    let client = org.client().without_cache();
    let org = org.on(&client);
    let filter = crate::services::ServerClassFilter::default();
    let pricing = client.pricing();
    let server_classes = client.server_classes();
    // All at once: a plan costs one round trip of its slowest request.
    let (
        (namespace, cloudspaces, spot, ondemand, classes, pct, cmp),
        (keys, vm_cloudspaces, vm_pools, autopilot),
    ) = tokio::join!(
        async {
            tokio::join!(
                org.namespace(),
                org.cloudspaces().list(),
                org.spot_pools().list(),
                org.ondemand_pools().list(),
                server_classes.list(&filter),
                pricing.percentiles(),
                pricing.comparable_prices(),
            )
        },
        async {
            tokio::join!(
                org.vm_ssh_keys().list(),
                org.vm_cloudspaces().list(),
                org.vm_pools().list(),
                org.autopilot_pools().list(),
            )
        },
    );
    let inputs: Vec<ClassInput> = classes?
        .iter()
        .map(ClassInput::from)
        .filter(|c| !c.name.is_empty())
        .collect();
    let rows = view::build_rows(&inputs, pct.ok().as_ref(), cmp.ok().as_ref(), 1);
    let classes = inputs
        .into_iter()
        .zip(rows)
        .map(|(c, r)| (c.name.clone(), (c, r)))
        .collect();
    let spot = spot?;
    let autopilot = autopilot?;
    let children = autopilot_children(&spot, &autopilot);
    Ok(Snapshot {
        namespace: namespace?,
        cloudspaces: cloudspaces?
            .iter()
            .map(|c| live(c, cloudspace_state(c), 0))
            .collect(),
        spot: spot
            .iter()
            .filter(|p| !children.contains(p.name()))
            .map(|p| {
                let won = p.facts().nodes;
                let state = pool_state(p);
                let now = won.unwrap_or(state.desired);
                live(p, state, now)
            })
            .collect(),
        ondemand: ondemand?
            .iter()
            .map(|p| {
                let state = pool_state(p);
                let now = state.desired;
                live(p, state, now)
            })
            .collect(),
        classes,
        ssh_keys: keys?.iter().map(|k| live(k, ssh_key_state(k), 0)).collect(),
        vm_cloudspaces: vm_cloudspaces?
            .iter()
            .map(|c| live(c, vm_cloudspace_state(c), 0))
            .collect(),
        vm_pools: vm_pools?
            .iter()
            .map(|p| {
                let state = vm_pool_state(p);
                let now = match state.pool_type.as_str() {
                    "ondemand" => state.desired,
                    _ => p.status.won_count.unwrap_or(state.desired),
                };
                live(p, state, now)
            })
            .collect(),
        autopilot_hourly: autopilot
            .iter()
            .map(|a| (a.name().to_string(), autopilot_hourly(a)))
            .collect(),
        autopilot: autopilot
            .iter()
            .map(|a| live(a, autopilot_state(a), 0))
            .collect(),
    })
}

impl Snapshot {
    /// Hourly price of one node of a pool: its bid (spot) or the class's on-demand price.
    pub fn node_price(&self, state: &PoolState) -> Decimal {
        match &state.bid {
            Some(b) => b.parse::<Decimal>().unwrap_or_default(),
            None => self
                .classes
                .get(&state.server_class)
                .and_then(|(c, _)| c.on_demand)
                .unwrap_or_default(),
        }
    }

    /// Hourly price of one VM of a VM pool: its bid (spot) or the class's on-demand price.
    pub fn vm_price(&self, state: &VmPoolState) -> Decimal {
        match (state.pool_type.as_str(), &state.bid) {
            ("spot", Some(b)) => b.parse::<Decimal>().unwrap_or_default(),
            _ => self
                .classes
                .get(&state.server_class)
                .and_then(|(c, _)| c.on_demand)
                .unwrap_or_default(),
        }
    }
}
