//! How far an autopilot pool is: vCPUs won against vCPUs wanted. A leaf, read by the pool's
//! [`Kind`](crate::resource::Kind) declaration and by the CLI.

use crate::raw::types::AutopilotNodePool;

/// vCPUs won so far and vCPUs wanted (`status.managedVCPUs`, `status.targetVCPUs`; the target
/// falls back to `spec.vcpu.total` before the service has written a status).
pub fn vcpu_progress(pool: &AutopilotNodePool) -> (u32, u32) {
    let status = pool.status.as_ref();
    let managed = status.and_then(|s| s.managed_vcpus).unwrap_or(0);
    let target = status
        .and_then(|s| s.target_vcpus)
        .or_else(|| pool.spec.vcpu.as_ref().and_then(|v| v.total));
    (managed, target.unwrap_or(0))
}

/// Whether every vCPU wanted is won (`managedVCPUs ≥ targetVCPUs > 0`).
pub fn is_allocated(pool: &AutopilotNodePool) -> bool {
    let (managed, target) = vcpu_progress(pool);
    target > 0 && managed >= target
}
