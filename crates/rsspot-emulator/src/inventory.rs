//! The read-only VM inventory of one organization, as seeds carry it. A leaf, shared by the seed
//! and its built-in fixtures.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Read-only objects of the kinds beyond the 28-operation contract, for one organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VmInventory {
    /// `VMCloudSpace` documents.
    pub vmcloudspaces: Vec<Value>,
    /// `VMPool` documents (labelled `ngpc.rxt.io/vmcloudspace`).
    pub vmpools: Vec<Value>,
    /// Organization events as `(RFC 3339 time, text)`, oldest first.
    pub events: Vec<(String, String)>,
}
