//! The API's data types under friendly names: the generated models of the public spec, and
//! hand-written models for kinds the spec does not cover.

pub mod inventory;

pub use crate::raw::types::{
    CloudSpace, CloudSpaceList, CloudSpaceSpec, CloudSpaceStatus, ComparablePrices,
    KubeconfigResponse, ListMeta, OAuthToken, ObjectMeta, OnDemandNodePool, OnDemandNodePoolList,
    OnDemandNodePoolSpec, OnDemandNodePoolStatus, OrganizationList,
    OrganizationListOrganizationsItem as Organization, Percentiles, PriceHistory, Region,
    RegionList, RegionSpec, ServerClass, ServerClassList, ServerClassSpec, ServerClassStatus,
    SpotNodePool, SpotNodePoolList, SpotNodePoolSpec, SpotNodePoolStatus, Status,
};
