//! VM cloudspaces, VM pools and organization events (not in the public spec).
//!
//! These kinds are modelled by hand from real payloads. Every field is optional or defaulted and
//! unknown keys are kept in flattened `extra` maps, so a server that adds fields never breaks a
//! caller. Serde names are the wire names (camelCase).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use crate::pricing::Bid;
use crate::types::{BidStatus, CloudSpacePhase, Health};

/// Unknown keys of an object, kept so nothing the server sends is lost.
pub type Extra = serde_json::Map<String, serde_json::Value>;

/// Accepts an RFC 3339 timestamp; anything else (missing, null, malformed) becomes `None` rather
/// than failing the whole document.
fn lenient_time<'de, D>(deserializer: D) -> Result<Option<DateTime<Utc>>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        Some(serde_json::Value::String(s)) => DateTime::parse_from_rfc3339(&s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    })
}

/// Treats `null` like a missing value (servers send `"status": null` on fresh objects).
fn null_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Accepts a string or a number (servers are not consistent about quoting counts and prices).
fn lenient_string<'de, D>(deserializer: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// Accepts a list of lists of anything: strings are kept, other values become their JSON text.
fn lenient_rows<'de, D>(deserializer: D) -> Result<Vec<Vec<String>>, D::Error>
where
    D: Deserializer<'de>,
{
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    let text = |v: serde_json::Value| match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(match value {
        Some(serde_json::Value::Array(rows)) => rows
            .into_iter()
            .map(|row| match row {
                serde_json::Value::Array(cells) => cells.into_iter().map(text).collect(),
                other => vec![text(other)],
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// The Kubernetes object metadata fields rsspot reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectMeta {
    /// Object name (every object the service returns has one).
    #[serde(default)]
    pub name: String,
    /// Namespace (the organization's namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Server-assigned unique id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Labels.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// When the object was created.
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub creation_timestamp: Option<DateTime<Utc>>,
    /// Other metadata (annotations, resourceVersion, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// A Cluster-API style condition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// Condition type, e.g. `Ready`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `True`, `False` or `Unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// When the status last changed.
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_transition_time: Option<DateTime<Utc>>,
    /// Machine-readable reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human-readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Other keys (severity, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

/// One server assigned to a (VM) cloudspace, keyed by server id in `status.assignedServers`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedServer {
    /// Server name (usually the same id as the map key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// Human-friendly name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// The pool the server belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_pool_name: Option<String>,
    /// Server class, e.g. `gp.vs1.medium-dfw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_class_name: Option<String>,
    /// IP address; the wire uses both `ipAddress` and `IP`.
    #[serde(default, alias = "IP", skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Server state, e.g. `Ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// CPU count (string or number on the wire).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub cpu: Option<String>,
    /// `spot` or `ondemand`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_type: Option<String>,
    /// Memory, as the service writes it (e.g. `4GB`; string or number on the wire).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub memory: Option<String>,
    /// Why the server failed, when it did (empty or absent otherwise).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error: Option<String>,
    /// Other keys (clusterRole, ...).
    #[serde(flatten)]
    pub extra: Extra,
}

impl AssignedServer {
    /// The server's error, when it reports a non-empty one.
    pub fn failure(&self) -> Option<&str> {
        self.error
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
    }

    /// Whether the server reports itself ready. A missing state counts as ready, since the
    /// older payloads never carried one; an `error` key counts as not ready.
    pub fn is_ready(&self) -> bool {
        if self.failure().is_some() {
            return false;
        }
        match self.state.as_deref().map(str::trim) {
            None | Some("") => true,
            Some(state) => ["ready", "running", "active", "provisioned"]
                .iter()
                .any(|ok| state.eq_ignore_ascii_case(ok)),
        }
    }
}

/// A reference to an SSH key object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmSshKeyRef {
    /// Key object name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Key object namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Desired state of a VM cloudspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmCloudSpaceSpec {
    /// Region, e.g. `us-central-dfw-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Preemption webhook URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Bid requests (pool names in older payloads; kept as raw JSON since the shape varies).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub bid_requests: Vec<serde_json::Value>,
    /// SSH key for the VMs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_ssh_key_ref: Option<VmSshKeyRef>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One bid of a VM cloudspace (`status.bids`): a pool and how many VMs it won.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmBid {
    /// The bid's name (the pool's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid_name: Option<String>,
    /// `spot` or `ondemand`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub bid_type: Option<String>,
    /// VMs won so far.
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub won_count: Option<u32>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Observed state of a VM cloudspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmCloudSpaceStatus {
    /// Phase, e.g. `Ready`, `Provisioning` (the cloudspace vocabulary; unknown values kept).
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::state",
        skip_serializing_if = "Option::is_none"
    )]
    pub phase: Option<CloudSpacePhase>,
    /// Health, e.g. `Healthy`.
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::state",
        skip_serializing_if = "Option::is_none"
    )]
    pub health: Option<Health>,
    /// Why the cloudspace is in its phase or health (e.g. which server failed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The bids of the cloudspace's pools, keyed by bid (pool) name.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub bids: BTreeMap<String, VmBid>,
    /// When the cloudspace first became ready.
    #[serde(
        default,
        deserialize_with = "lenient_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub first_ready_timestamp: Option<DateTime<Utc>>,
    /// Servers assigned to the cloudspace, keyed by server id.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub assigned_servers: BTreeMap<String, AssignedServer>,
    /// Conditions.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub conditions: Vec<Condition>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A VM cloudspace (`vmcloudspaces`): a group of plain VMs bought on the Spot market.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmCloudSpace {
    /// `ngpc.rxt.io/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `VMCloudSpace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Metadata.
    #[serde(default, deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default, deserialize_with = "null_default")]
    pub spec: VmCloudSpaceSpec,
    /// Observed state.
    #[serde(default, deserialize_with = "null_default")]
    pub status: VmCloudSpaceStatus,
}

impl VmCloudSpace {
    /// Whether the cloudspace may be treated as ready: its phase is `Ready` or not reported.
    pub fn is_ready(&self) -> bool {
        self.status
            .phase
            .as_ref()
            .is_none_or(|p| p.as_str().eq_ignore_ascii_case("ready"))
    }
}

/// A list of VM cloudspaces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmCloudSpaceList {
    /// `ngpc.rxt.io/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `VMCloudSpaceList`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The items.
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<VmCloudSpace>,
}

/// Desired state of a VM pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPoolSpec {
    /// Bid in USD per VM-hour (a string on the wire, e.g. `"0.035"`; numbers are read too).
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::bid",
        skip_serializing_if = "Option::is_none"
    )]
    pub bid_price: Option<Bid>,
    /// Desired number of VMs.
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub desired: Option<u32>,
    /// `spot` or `ondemand`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_type: Option<String>,
    /// Server class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_class: Option<String>,
    /// The VM cloudspace the pool belongs to.
    #[serde(
        default,
        rename = "vmCloudSpace",
        skip_serializing_if = "Option::is_none"
    )]
    pub vm_cloud_space: Option<String>,
    /// VM image, e.g. `ubuntu24.04`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_image: Option<String>,
    /// Cloud-init user data, base64-encoded as on the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_user_data: Option<String>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Observed state of a VM pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPoolStatus {
    /// The bid's state, e.g. `Fulfilled` (unknown values kept).
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::state",
        skip_serializing_if = "Option::is_none"
    )]
    pub bid_status: Option<BidStatus>,
    /// How many VMs the bid won.
    #[serde(
        default,
        deserialize_with = "crate::types::lenient::count",
        skip_serializing_if = "Option::is_none"
    )]
    pub won_count: Option<u32>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A VM pool (`vmpools`): a bid for VMs in a VM cloudspace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPool {
    /// `ngpc.rxt.io/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `VMPool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Metadata.
    #[serde(default, deserialize_with = "null_default")]
    pub metadata: ObjectMeta,
    /// Desired state.
    #[serde(default, deserialize_with = "null_default")]
    pub spec: VmPoolSpec,
    /// Observed state.
    #[serde(default, deserialize_with = "null_default")]
    pub status: VmPoolStatus,
}

/// A list of VM pools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VmPoolList {
    /// `ngpc.rxt.io/v1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// `VMPoolList`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The items.
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<VmPool>,
}

/// Recent events of an organization (`GET /apis/metrics.ngpc.rxt.io/v1/events/organizations`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrganizationEvents {
    /// The organization id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The cloudspace the events are about, if scoped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudspace_id: Option<String>,
    /// Event type.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// Event rows (usually `[timestamp, message]`); non-string cells are kept as JSON text.
    #[serde(default, deserialize_with = "lenient_rows")]
    pub events: Vec<Vec<String>>,
    /// Other keys.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
#[path = "inventory_tests.rs"]
mod tests;
