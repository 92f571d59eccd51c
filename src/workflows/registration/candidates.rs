//! Which VMs could be registered: the deterministic ledger key and the candidates derived from
//! the VM inventory.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::types::inventory::VmCloudSpace;

/// The deterministic ledger key of a VM, compatible with the Python tool's:
/// `"vmreg-"` + the first 32 hex digits of SHA-256 of `"vm_uid|org_id|vmcloudspace|vmpool|omni_cluster"`,
/// where a missing part is written as the empty string (so `None` and `Some("")` give one key).
pub fn registration_key(
    vm_uid: &str,
    org_id: Option<&str>,
    vmcloudspace: Option<&str>,
    vmpool: Option<&str>,
    omni_cluster: Option<&str>,
) -> String {
    let joined = [
        vm_uid,
        org_id.unwrap_or(""),
        vmcloudspace.unwrap_or(""),
        vmpool.unwrap_or(""),
        omni_cluster.unwrap_or(""),
    ]
    .join("|");
    let digest = hex::encode(Sha256::digest(joined.as_bytes()));
    format!("vmreg-{}", &digest[..32])
}

/// One VM that could be registered, derived from the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationCandidate {
    /// The ledger key ([`registration_key`] of the identity fields).
    pub registration_key: String,
    /// The VM's unique id (the server name).
    pub vm_uid: String,
    /// A human-friendly name.
    pub vm_name: String,
    /// The organization id, as given by the caller.
    pub org_id: Option<String>,
    /// The VM cloudspace the VM is assigned to.
    pub vmcloudspace: Option<String>,
    /// The VM pool the VM came from.
    pub vmpool: Option<String>,
    /// The cluster the orchestrator registers into.
    pub omni_cluster: Option<String>,
}

impl RegistrationCandidate {
    /// A candidate whose key is computed from its identity fields.
    pub fn new(
        vm_uid: impl Into<String>,
        vm_name: Option<String>,
        org_id: Option<String>,
        vmcloudspace: Option<String>,
        vmpool: Option<String>,
        omni_cluster: Option<String>,
    ) -> Self {
        let vm_uid = vm_uid.into();
        let registration_key = registration_key(
            &vm_uid,
            org_id.as_deref(),
            vmcloudspace.as_deref(),
            vmpool.as_deref(),
            omni_cluster.as_deref(),
        );
        RegistrationCandidate {
            registration_key,
            vm_name: vm_name.unwrap_or_else(|| vm_uid.clone()),
            vm_uid,
            org_id,
            vmcloudspace,
            vmpool,
            omni_cluster,
        }
    }
}

/// Candidates from VM cloudspaces: one per assigned server, in cloudspace order and, within a
/// cloudspace, sorted by server id.
///
/// `vm_uid` is the server's `serverName`, or its map key; `vm_name` is `displayName`, else
/// `serverName`, else the key; `vmpool` is `nodePoolName`. With `ready_only`, cloudspaces whose
/// phase is reported and is not `Ready` are skipped, and so are servers whose `state` is reported
/// and is not ready (see [`crate::types::inventory::AssignedServer::is_ready`]).
pub fn candidates(
    vmcloudspaces: &[VmCloudSpace],
    org_id: Option<&str>,
    omni_cluster: Option<&str>,
    ready_only: bool,
) -> Vec<RegistrationCandidate> {
    let non_empty = |s: &Option<String>| s.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
    let mut out = Vec::new();
    for cs in vmcloudspaces {
        if ready_only && !cs.is_ready() {
            continue;
        }
        for (server_id, server) in &cs.status.assigned_servers {
            if ready_only && !server.is_ready() {
                continue;
            }
            let vm_uid = non_empty(&server.server_name).unwrap_or_else(|| server_id.clone());
            let vm_name = non_empty(&server.display_name)
                .or_else(|| non_empty(&server.server_name))
                .unwrap_or_else(|| server_id.clone());
            out.push(RegistrationCandidate::new(
                vm_uid,
                Some(vm_name),
                org_id.map(str::to_owned),
                Some(cs.metadata.name.clone()).filter(|n| !n.is_empty()),
                server.node_pool_name.clone(),
                omni_cluster.map(str::to_owned),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_vector_matches_python() {
        assert_eq!(
            registration_key("u", Some("o"), Some("cs"), None, None),
            "vmreg-c86d1e3a2fcbbd3c0fc28d6a680a28df"
        );
        assert_eq!(
            registration_key("u", Some("o"), Some("cs"), Some(""), Some("")),
            registration_key("u", Some("o"), Some("cs"), None, None)
        );
    }
}
