//! Export of the fleet's other kinds: every object by its `name:`, bids as prices, user data
//! as base64, so that planning the export against the same account finds no change.

use super::live::Snapshot;
use super::model::Fleet;
use super::model_more::{
    FleetAutopilotPool, FleetPrice, FleetSshKey, FleetUserData, FleetVmCloudSpace, FleetVmPool,
    UserDataBase64,
};
use super::model_values::FleetBid;

/// The autopilot pools of `cloudspace`.
pub(super) fn autopilot_pools(snap: &Snapshot, cloudspace: &str) -> Vec<FleetAutopilotPool> {
    snap.autopilot
        .iter()
        .filter(|p| !p.deleting && p.state.cloudspace == cloudspace)
        .map(|p| {
            let s = &p.state;
            FleetAutopilotPool {
                key: None,
                name: Some(p.name.clone()),
                vcpu: s.vcpu,
                vcpu_per_node: s.vcpu_per_node,
                memory_per_vcpu: s.memory_per_vcpu.clone(),
                budget_per_hour: FleetPrice::Text(s.budget_per_hour.clone().unwrap_or_default()),
                allocation_strategy: s.allocation_strategy.clone(),
                labels: s.labels.clone().filter(|l| !l.is_empty()),
                annotations: s.annotations.clone().filter(|l| !l.is_empty()),
                taints: s.taints.clone().filter(|l| !l.is_empty()),
            }
        })
        .collect()
}

/// The VM SSH keys and VM cloudspaces (with their pools) into `fleet`.
pub(super) fn vm_kinds(snap: &Snapshot, fleet: &mut Fleet) {
    fleet.vm_ssh_keys = snap
        .ssh_keys
        .iter()
        .filter(|k| !k.deleting)
        .map(|k| FleetSshKey {
            name: k.name.clone(),
            public_key: k.state.public_key.clone(),
            description: k.state.description.clone(),
        })
        .collect();
    fleet.vm_cloudspaces = snap
        .vm_cloudspaces
        .iter()
        .filter(|c| !c.deleting)
        .map(|c| FleetVmCloudSpace {
            name: c.name.clone(),
            region: c.state.region.clone().unwrap_or_default(),
            ssh_key: c.state.ssh_key.clone().unwrap_or_default(),
            webhook: c.state.webhook.clone().filter(|w| !w.is_empty()),
            vm_pools: snap
                .vm_pools
                .iter()
                .filter(|p| !p.deleting && p.state.vm_cloudspace == c.name)
                .map(|p| {
                    let s = &p.state;
                    FleetVmPool {
                        key: None,
                        name: Some(p.name.clone()),
                        server_class: s.server_class.clone(),
                        desired: s.desired,
                        pool_type: Some(s.pool_type.clone()),
                        bid: s.bid.clone().map(FleetBid::Text),
                        image: s.image.clone(),
                        user_data: s
                            .user_data
                            .clone()
                            .map(|base64| FleetUserData::Base64(UserDataBase64 { base64 })),
                    }
                })
                .collect(),
        })
        .collect();
}
