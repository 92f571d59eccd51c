//! The API's data types under friendly names, one name for one thing: the models generated from
//! the public spec and the contract supplement, and the hand-written lenient models the generated
//! operations decode into directly (pricing documents, VM inventory, organization events).

pub mod inventory;
pub(crate) mod lenient;
mod states;

pub use states::{BidStatus, CloudSpacePhase, Health};

// Inlined, so each type has its own page here, under its friendly name.
#[doc(inline)]
pub use crate::pricing::docs::{ComparablePrices, Percentiles, PriceHistory};
#[doc(inline)]
pub use crate::raw::types::{
    AutopilotNodePool, AutopilotNodePoolList, AutopilotNodePoolSpec, AutopilotNodePoolStatus,
    CloudSpace, CloudSpaceList, CloudSpaceSpec, CloudSpaceStatus, KubeconfigResponse, ListMeta,
    OAuthToken, ObjectMeta, OnDemandNodePool, OnDemandNodePoolList, OnDemandNodePoolSpec,
    OnDemandNodePoolStatus, OrganizationList, OrganizationListOrganizationsItem as Organization,
    Region, RegionList, RegionSpec, ServerClass, ServerClassList, ServerClassSpec,
    ServerClassStatus, SpotNodePool, SpotNodePoolList, SpotNodePoolSpec, SpotNodePoolStatus,
    Status, VmSshKey, VmSshKeyList, VmSshKeySpec, VmSshKeyStatus,
};
#[doc(inline)]
pub use inventory::{OrganizationEvents, VmCloudSpace, VmCloudSpaceList, VmPool, VmPoolList};
