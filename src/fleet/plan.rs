//! A plan: what applying a fleet would create, change and delete, what it costs before and
//! after, and the guardrails' concerns. Made from one [`Snapshot`] (no request per object).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[allow(unused_imports)] // the doc link above
use super::live::Snapshot;
use super::live::{CloudSpaceState, PoolState};
use super::live_more::{AutopilotState, SshKeyState, VmCloudSpaceState, VmPoolState};
use crate::error::{Error, Result};
use crate::pricing::guard::SpendLimits;

/// The kinds a fleet holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A cloudspace.
    CloudSpace,
    /// A spot node pool.
    SpotPool,
    /// An on-demand node pool.
    OnDemandPool,
    /// An autopilot pool.
    AutopilotPool,
    /// A VM SSH key.
    VmSshKey,
    /// A VM cloudspace.
    VmCloudSpace,
    /// A VM pool.
    VmPool,
}

impl ObjectKind {
    /// The step of the dependency order it is created in: keys (0), cloudspaces (1), pools
    /// (2). Deletes go the other way.
    pub fn rank(self) -> u8 {
        match self {
            ObjectKind::VmSshKey => 0,
            ObjectKind::CloudSpace | ObjectKind::VmCloudSpace => 1,
            _ => 2,
        }
    }
}

impl std::fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ObjectKind::CloudSpace => "cloudspace",
            ObjectKind::SpotPool => "spot pool",
            ObjectKind::OnDemandPool => "on-demand pool",
            ObjectKind::AutopilotPool => "autopilot pool",
            ObjectKind::VmSshKey => "vm ssh key",
            ObjectKind::VmCloudSpace => "vm cloudspace",
            ObjectKind::VmPool => "vm pool",
        })
    }
}

/// One object of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// Its kind.
    pub kind: ObjectKind,
    /// Its name in the account.
    pub name: String,
    /// The cloudspace (or VM cloudspace) of a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cloudspace: Option<String>,
    /// The file's key of a pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

impl std::fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.cloudspace, &self.key) {
            (Some(cs), Some(key)) => write!(f, "{} {cs}/{key} ({})", self.kind, self.name),
            (Some(cs), None) => write!(f, "{} {cs}/{}", self.kind, self.name),
            _ => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One field an update changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field as the file names it (`desired`, `bid`, `labels`, …).
    pub field: String,
    /// What the account holds (JSON text).
    pub old: String,
    /// What the file wants (JSON text).
    pub new: String,
}

/// What the plan saw of an object: an apply of a saved plan refuses when it differs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observed {
    /// `metadata.resourceVersion`.
    pub resource_version: Option<String>,
    /// The managed fields as JSON text.
    pub state: String,
}

/// What a create or update sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// A cloudspace's fields.
    CloudSpace(CloudSpaceState),
    /// A pool's fields (the bid resolved).
    Pool(PoolState),
    /// An autopilot pool's fields.
    Autopilot(AutopilotState),
    /// A VM SSH key's fields.
    SshKey(SshKeyState),
    /// A VM cloudspace's fields.
    VmCloudSpace(VmCloudSpaceState),
    /// A VM pool's fields (the bid resolved, the user data read).
    VmPool(VmPoolState),
}

/// One create, update or delete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    /// The object.
    pub object: ObjectRef,
    /// Fields an update changes (empty for creates and deletes).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldChange>,
    /// What the account held when planned (`None`: absent, a create).
    pub observed: Option<Observed>,
    /// The wanted state (creates and updates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Target>,
}

/// An unchanged object and what was seen of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unchanged {
    /// The object.
    pub object: ObjectRef,
    /// What the account held.
    pub observed: Observed,
}

/// A guardrail concern about one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanConcern {
    /// The object, as [`ObjectRef`] prints it.
    pub object: String,
    /// The concern in words.
    pub message: String,
    /// Whether it needs a confirmation (`--yes`).
    pub needs_confirmation: bool,
    /// Whether it is a cost above the profile's `max_monthly_usd` (now, at the autoscaling
    /// maximum, or of a paid option). `rsspot apply` asks about it like any concern; an agent
    /// (MCP) never gets to apply such a plan.
    #[serde(default)]
    pub over_limit: bool,
}

/// Hourly and monthly cost (USD) before and after the plan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cost {
    /// Per hour now: bids × nodes won, on-demand price × nodes.
    pub hourly_before: Decimal,
    /// Per hour after: bids and on-demand prices × desired nodes.
    pub hourly_after: Decimal,
    /// Per month now (730 h).
    pub monthly_before: Decimal,
    /// Per month after (730 h).
    pub monthly_after: Decimal,
}

/// The plan of a fleet (see the [module docs](crate::fleet)); serializable, so a reviewed plan can be
/// saved and applied exactly.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// Format version of a saved plan.
    pub version: u32,
    /// The org namespace it was made for.
    pub namespace: String,
    /// Whether objects missing from the file are deleted.
    pub prune: bool,
    /// Objects to create (cloudspaces first).
    pub creates: Vec<Change>,
    /// Objects to change.
    pub updates: Vec<Change>,
    /// Objects to delete (pools first; only with `prune`).
    pub deletes: Vec<Change>,
    /// Objects already as the file says.
    pub unchanged: Vec<Unchanged>,
    /// Cost before and after.
    pub cost: Cost,
    /// Guardrail concerns of what is created or changed.
    pub concerns: Vec<PlanConcern>,
}

/// The version written in saved plans.
pub const PLAN_VERSION: u32 = 1;

/// How a plan is made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete what the account holds and the file does not.
    pub prune: bool,
    /// Re-resolve advice bids of existing pools (`--rebid`); otherwise an advice bid is resolved
    /// only when its pool is created.
    pub rebid: bool,
    /// Limits that turn a cost into a concern.
    pub limits: SpendLimits,
}

impl Plan {
    /// Whether the account already is as the file says.
    pub fn in_sync(&self) -> bool {
        self.creates.is_empty() && self.updates.is_empty() && self.deletes.is_empty()
    }

    /// Reads a saved plan (JSON), refusing another format version.
    pub fn from_json(origin: &str, text: &str) -> Result<Plan> {
        let plan: Plan = serde_json::from_str(text).map_err(|e| {
            Error::invalid(
                origin,
                format!("line {} column {}: {e}", e.line(), e.column()),
            )
        })?;
        if plan.version != PLAN_VERSION {
            return Err(Error::invalid(
                origin,
                format!("plan version {} is not {PLAN_VERSION}", plan.version),
            ));
        }
        Ok(plan)
    }
}
