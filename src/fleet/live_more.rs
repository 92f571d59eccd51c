//! The managed fields of the fleet's other kinds as the account holds them: VM SSH keys, VM
//! cloudspaces, VM pools and autopilot pools. Only spec fields: what the service writes in a
//! status (VMs won, vCPUs managed) is never drift.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model_values::{FleetAutoscaling, FleetTaint};
use crate::raw::types::{AutopilotNodePool, SpotNodePool, VmSshKey};
use crate::resource::{Kind, ResourceExt};
use crate::types::inventory::{VmCloudSpace, VmPool};

/// The label the service may put on the spot pools an autopilot pool makes.
pub const AUTOPILOT_LABEL: &str = "ngpc.rxt.io/autopilotnodepool";

/// A VM SSH key's managed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SshKeyState {
    /// The public key line.
    pub public_key: String,
    /// Description.
    pub description: Option<String>,
}

/// A VM cloudspace's managed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmCloudSpaceState {
    /// Region.
    pub region: Option<String>,
    /// The SSH key's name.
    pub ssh_key: Option<String>,
    /// Webhook (`""`: none).
    pub webhook: Option<String>,
}

/// A VM pool's managed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPoolState {
    /// The VM cloudspace.
    pub vm_cloudspace: String,
    /// Server class.
    pub server_class: String,
    /// Desired VMs.
    pub desired: u32,
    /// `spot` or `ondemand`.
    pub pool_type: String,
    /// The bid in the API's form.
    pub bid: Option<String>,
    /// VM image.
    pub image: Option<String>,
    /// User data (base64).
    pub user_data: Option<String>,
}

/// An autopilot pool's managed fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotState {
    /// The cloudspace.
    pub cloudspace: String,
    /// Region.
    pub region: Option<String>,
    /// vCPUs wanted.
    pub vcpu: u32,
    /// vCPUs per node.
    pub vcpu_per_node: Option<FleetAutoscaling>,
    /// Memory per vCPU (`any`, `2`, `4`, `8`).
    pub memory_per_vcpu: Option<String>,
    /// Bid ceiling per node-hour (normalised).
    pub budget_per_hour: Option<String>,
    /// Allocation strategy.
    pub allocation_strategy: Option<String>,
    /// Node labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Node annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Node taints.
    pub taints: Option<Vec<FleetTaint>>,
}

/// A normalised price text (`0.080` → `0.08`).
pub(crate) fn price_text(t: &str) -> String {
    t.trim()
        .parse::<Decimal>()
        .map(|d| d.normalize().to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// The managed state of a VM SSH key.
pub fn ssh_key_state(k: &VmSshKey) -> SshKeyState {
    let spec = &k.spec;
    SshKeyState {
        public_key: spec
            .public_key
            .as_deref()
            .unwrap_or_default()
            .trim()
            .to_string(),
        description: spec.description.clone().filter(|d| !d.is_empty()),
    }
}

/// The managed state of a VM cloudspace.
pub fn vm_cloudspace_state(cs: &VmCloudSpace) -> VmCloudSpaceState {
    VmCloudSpaceState {
        region: cs.spec.region.clone(),
        ssh_key: cs.spec.vm_ssh_key_ref.as_ref().and_then(|k| k.name.clone()),
        webhook: Some(cs.spec.webhook.clone().unwrap_or_default()),
    }
}

/// The managed state of a VM pool.
pub fn vm_pool_state(p: &VmPool) -> VmPoolState {
    let s = &p.spec;
    VmPoolState {
        vm_cloudspace: s
            .vm_cloud_space
            .clone()
            .or_else(|| p.parent().map(str::to_string))
            .unwrap_or_default(),
        server_class: s.server_class.clone().unwrap_or_default(),
        desired: s.desired.unwrap_or(0),
        pool_type: s.pool_type.clone().unwrap_or_else(|| "spot".into()),
        bid: s.bid_price.map(crate::pricing::Bid::api_form),
        image: s.vm_image.clone(),
        user_data: s.vm_user_data.clone().filter(|u| !u.is_empty()),
    }
}

/// The managed state of an autopilot pool.
pub fn autopilot_state(p: &AutopilotNodePool) -> AutopilotState {
    let s = p.spec.clone();
    AutopilotState {
        cloudspace: Some(s.cloud_space)
            .filter(|c| !c.is_empty())
            .or_else(|| p.parent().map(str::to_string))
            .unwrap_or_default(),
        region: s.region,
        vcpu: s.vcpu.and_then(|v| v.total).unwrap_or(0),
        vcpu_per_node: s.vcpu_per_node.map(|b| FleetAutoscaling {
            min: b.min.unwrap_or(0),
            max: b.max.unwrap_or(0),
        }),
        memory_per_vcpu: s.memory_per_vcpu,
        budget_per_hour: s.budget_per_hour.map(|b| b.normalize().to_string()),
        allocation_strategy: s.allocation_strategy,
        labels: Some(s.custom_labels),
        annotations: Some(s.custom_annotations),
        taints: Some(
            s.custom_taints
                .into_iter()
                .map(|t| FleetTaint {
                    key: t.key.unwrap_or_default(),
                    value: t.value.unwrap_or_default(),
                    effect: t.effect.unwrap_or_default(),
                })
                .collect(),
        ),
    }
}

/// What an autopilot pool costs per hour now: each allocation's bid × nodes won.
pub fn autopilot_hourly(p: &AutopilotNodePool) -> Decimal {
    p.status
        .iter()
        .flat_map(|s| &s.allocations)
        .map(|a| {
            let bid = a.bid_price_per_hour.unwrap_or_default();
            bid * Decimal::from(a.won_nodes.unwrap_or(0))
        })
        .sum()
}

/// The spot pools that autopilot pools made: by label, by owner reference, or named in an
/// allocation. The fleet neither lists, exports nor prunes them: their autopilot pool does.
pub fn autopilot_children(
    spot: &[SpotNodePool],
    autopilot: &[AutopilotNodePool],
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = autopilot
        .iter()
        .flat_map(|a| a.status.iter().flat_map(|s| &s.allocations))
        .filter_map(|a| a.spot_node_pool.clone())
        .collect();
    for p in spot {
        let labelled = p.metadata.labels.contains_key(AUTOPILOT_LABEL);
        let owned = p
            .metadata
            .owner_references
            .iter()
            .any(|o| o.kind.as_deref() == Some("AutopilotNodePool"));
        if labelled || owned {
            out.insert(p.name().to_string());
        }
    }
    out
}
