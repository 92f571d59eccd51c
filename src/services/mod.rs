//! Typed services: the ergonomic API over the generated bindings, one module per resource family.
//!
//! Each service borrows the [`SpotClient`](crate::SpotClient), validates its input locally,
//! resolves the org namespace and maps every failure onto [`crate::Error`].

pub mod autopilot;
mod builders;
pub(crate) mod calls;
pub mod cloudspaces;
pub mod inventory;
pub mod node_pools;
pub mod organizations;
pub mod pricing;
pub mod regions;
mod scale;
pub mod server_classes;
pub mod stream;
pub mod vm_cloudspaces;
pub mod vm_pools;
pub mod vm_ssh_keys;
pub mod wait;

use crate::error::Result;

pub use autopilot::{
    AllocationStrategy, AutopilotPoolCreate, AutopilotPoolUpdate, AutopilotPools, MemoryPerVcpu,
};
pub use cloudspaces::{
    CloudSpaceCreate, CloudSpacePatch, CloudSpaceSpecPatch, CloudSpaceUpdate, CloudSpaceWithPools,
    CloudSpaces, CreateOutcome, CreatedCloudSpace, InlinePool, InlinePoolKind, PreparedCloudSpace,
    Rollback, RolledBackCreate, RolledBackObject, Teardown,
};
pub use inventory::Inventory;
pub use node_pools::{
    Autoscaling, AutoscalingPatch, AutoscalingState, Mismatch, NodePoolKind, OnDemandPoolCreate,
    OnDemandPoolUpdate, OnDemandPools, PoolCommon, PoolFacts, PoolPatch, PoolRequest,
    PoolSpecPatch, PoolUpdate, PreparedCreate, PreparedUpdate, Sent, SpotPoolCreate,
    SpotPoolUpdate, SpotPools, Taint,
};
pub use organizations::Organizations;
pub use pricing::Pricing;
pub use regions::Regions;
pub use server_classes::{ServerClassFilter, ServerClasses};
pub use stream::{Backoff, ListStream, WatchEvent, WatchStream};
pub use vm_cloudspaces::{
    CreatedVmCloudSpace, FailedVmCreate, PreparedVmCloudSpace, VmCloudSpaceCreate, VmCloudSpaces,
    VmRollback, VmTeardown,
};
pub use vm_pools::{PoolType, VmPoolCreate, VmPoolUpdate, VmPools};
pub use vm_ssh_keys::{VmSshKeyCreate, VmSshKeys};
pub use wait::{Progress, Readiness, WaitEvent, WaitOptions};

pub(crate) use calls::{call, read};

/// RFC 1123 label: lowercase alphanumerics and `-`, starting and ending alphanumeric, ≤ 63 chars.
pub fn is_dns_label(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Refuses `value`, the request's `field`, unless it is a DNS label ([`is_dns_label`]); `what`
/// names it in the message (`cloudspace name`).
pub(crate) fn check_dns_label(field: &str, value: &str, what: &str) -> Result<()> {
    if is_dns_label(value) {
        return Ok(());
    }
    Err(crate::Error::invalid(
        field,
        format!(
            "{value:?} is not a valid {what}: use 1-63 lowercase letters, digits and '-', \
             starting and ending with a letter or digit"
        ),
    ))
}

/// Refuses a pool name that is not a lowercase UUID ([`is_lowercase_uuid`]); `kind` names the
/// pools (`node pool`).
pub(crate) fn check_uuid_name(name: &str, kind: &str) -> Result<()> {
    if is_lowercase_uuid(name) {
        return Ok(());
    }
    Err(crate::Error::invalid(
        "name",
        format!(
            "{name:?} is not a valid pool name: {kind} names are lowercase UUIDs (omit the name \
             to generate one)"
        ),
    ))
}

/// A lowercase hyphenated UUID (node pool names).
pub fn is_lowercase_uuid(name: &str) -> bool {
    name.len() == 36
        && uuid::Uuid::parse_str(name).is_ok()
        && name
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        for ok in ["a", "demo-dfw", "a1", &"a".repeat(63)] {
            assert!(is_dns_label(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "Demo", "a_b", "a.b", &"a".repeat(64)] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_lowercase_uuid("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c"));
        assert!(!is_lowercase_uuid("0B7C3F5E-2D41-4F6A-9C8E-5A1D2E3F4B6C"));
        assert!(!is_lowercase_uuid("pool-1"));
        assert!(!is_lowercase_uuid("0b7c3f5e2d414f6a9c8e5a1d2e3f4b6c"));
    }
}
