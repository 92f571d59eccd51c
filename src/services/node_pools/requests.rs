//! Node pool requests: what a create or update asks for, checked locally, and the typed bodies
//! (generated types for creates, merge-patch structs that carry only the changed fields).

use std::collections::BTreeMap;

use serde::Serialize;

use super::CLOUDSPACE_LABEL;
use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::raw::types::{
    ObjectMeta, OnDemandNodePool, OnDemandNodePoolSpec, OnDemandNodePoolSpecAutoscaling,
    OnDemandNodePoolSpecCustomTaintsItem, Patch, SpotNodePool, SpotNodePoolSpec,
    SpotNodePoolSpecAutoscaling, SpotNodePoolSpecCustomTaintsItem,
};
use crate::services::{check_dns_label, check_uuid_name};

const API_VERSION: &str = "ngpc.rxt.io/v1";

/// Autoscaling bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Autoscaling {
    /// Minimum nodes (≥ 1).
    pub min_nodes: u32,
    /// Maximum nodes (≥ min).
    pub max_nodes: u32,
}

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taint {
    /// Key.
    pub key: String,
    /// Value (may be empty).
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

impl std::str::FromStr for Taint {
    type Err = Error;
    /// Parses `key=value:Effect` or `key:Effect`.
    fn from_str(s: &str) -> Result<Taint> {
        let (kv, effect) = s
            .rsplit_once(':')
            .ok_or_else(|| Error::invalid("taint", format!("{s:?}: expected key=value:Effect")))?;
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        let t = Taint {
            key: key.trim().into(),
            value: value.trim().into(),
            effect: effect.trim().into(),
        };
        t.validate()?;
        Ok(t)
    }
}

impl Taint {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.key.is_empty() {
            return Err(Error::invalid("taint", "a taint needs a key"));
        }
        if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&self.effect.as_str()) {
            return Err(Error::invalid(
                "taint",
                format!(
                    "effect {:?} must be NoSchedule, PreferNoSchedule or NoExecute",
                    self.effect
                ),
            ));
        }
        Ok(())
    }
}

pub(super) fn check_counts(desired: Option<u32>, autoscaling: Option<Autoscaling>) -> Result<()> {
    if let Some(a) = autoscaling {
        if a.min_nodes < 1 {
            return Err(Error::invalid(
                "autoscaling.minNodes",
                "minNodes must be at least 1",
            ));
        }
        if a.max_nodes < a.min_nodes {
            return Err(Error::invalid(
                "autoscaling.maxNodes",
                format!(
                    "maxNodes ({}) must be at least minNodes ({})",
                    a.max_nodes, a.min_nodes
                ),
            ));
        }
        if let Some(d) = desired
            && (d < a.min_nodes || d > a.max_nodes)
        {
            return Err(Error::invalid(
                "desired",
                format!(
                    "desired ({d}) must be between minNodes ({}) and maxNodes ({})",
                    a.min_nodes, a.max_nodes
                ),
            ));
        }
    } else if desired == Some(0) {
        return Err(Error::invalid("desired", "desired must be at least 1"));
    }
    Ok(())
}

fn check_name(name: &str) -> Result<()> {
    check_uuid_name(name, "node pool")
}

/// Fields shared by spot and on-demand pool creates.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolCommon {
    /// Pool name (lowercase UUID); generated when `None`.
    pub name: Option<String>,
    /// Cloudspace the pool belongs to.
    pub cloudspace: String,
    /// Server class, e.g. `gp.vs1.medium-dfw`.
    pub server_class: String,
    /// Desired node count.
    pub desired: u32,
    /// Autoscaling bounds.
    pub autoscaling: Option<Autoscaling>,
    /// Node labels.
    pub labels: BTreeMap<String, String>,
    /// Node annotations.
    pub annotations: BTreeMap<String, String>,
    /// Node taints.
    pub taints: Vec<Taint>,
}

impl PoolCommon {
    fn new(cloudspace: String, server_class: String, desired: u32) -> Self {
        PoolCommon {
            name: None,
            cloudspace,
            server_class,
            desired,
            autoscaling: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            taints: Vec::new(),
        }
    }

    fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_name(n)?;
        }
        check_dns_label("cloudSpace", &self.cloudspace, "cloudspace name")?;
        if self.server_class.is_empty() {
            return Err(Error::invalid("serverClass", "a server class is required"));
        }
        check_counts(Some(self.desired), self.autoscaling)?;
        self.taints.iter().try_for_each(Taint::validate)
    }

    /// The name to create: the one given, or a new lowercase UUID.
    pub(super) fn name_or_generated(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
    }

    fn metadata(&self, name: &str, namespace: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.to_string(),
            namespace: Some(namespace.to_string()),
            labels: BTreeMap::from([(CLOUDSPACE_LABEL.to_string(), self.cloudspace.clone())]),
            ..ObjectMeta::default()
        }
    }

    /// The spot pool body a create sends.
    pub(super) fn spot_body(&self, name: &str, namespace: &str, bid: Bid) -> SpotNodePool {
        let spec = SpotNodePoolSpec {
            cloud_space: self.cloudspace.clone(),
            server_class: self.server_class.clone(),
            desired: Some(self.desired),
            bid_price: Some(bid),
            autoscaling: Some(match self.autoscaling {
                Some(a) => SpotNodePoolSpecAutoscaling {
                    enabled: true,
                    min_nodes: Some(a.min_nodes),
                    max_nodes: Some(a.max_nodes),
                },
                None => SpotNodePoolSpecAutoscaling::default(),
            }),
            custom_labels: self.labels.clone(),
            custom_annotations: self.annotations.clone(),
            custom_taints: self
                .taints
                .iter()
                .map(|t| SpotNodePoolSpecCustomTaintsItem {
                    key: Some(t.key.clone()),
                    value: Some(t.value.clone()),
                    effect: Some(t.effect.clone()),
                    time_added: None,
                })
                .collect(),
            extra: Default::default(),
        };
        SpotNodePool {
            api_version: Some(API_VERSION.into()),
            kind: Some("SpotNodePool".into()),
            metadata: self.metadata(name, namespace),
            spec,
            ..SpotNodePool::default()
        }
    }

    /// The on-demand pool body a create sends.
    pub(super) fn on_demand_body(&self, name: &str, namespace: &str) -> OnDemandNodePool {
        let spec = OnDemandNodePoolSpec {
            cloud_space: self.cloudspace.clone(),
            server_class: self.server_class.clone(),
            desired: Some(self.desired),
            autoscaling: Some(OnDemandNodePoolSpecAutoscaling {
                enabled: Some(self.autoscaling.is_some()),
                min_nodes: self.autoscaling.map(|a| a.min_nodes),
                max_nodes: self.autoscaling.map(|a| a.max_nodes),
            }),
            custom_labels: self.labels.clone(),
            custom_annotations: self.annotations.clone(),
            custom_taints: self
                .taints
                .iter()
                .map(|t| OnDemandNodePoolSpecCustomTaintsItem {
                    key: Some(t.key.clone()),
                    value: Some(t.value.clone()),
                    effect: Some(t.effect.clone()),
                    time_added: None,
                })
                .collect(),
            extra: Default::default(),
        };
        OnDemandNodePool {
            api_version: Some(API_VERSION.into()),
            kind: Some("OnDemandNodePool".into()),
            metadata: self.metadata(name, namespace),
            spec,
            ..OnDemandNodePool::default()
        }
    }
}

macro_rules! common_setters {
    () => {
        /// Sets the pool name (a lowercase UUID).
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.common.name = Some(name.into());
            self
        }
        /// Enables autoscaling between `min` and `max` nodes.
        pub fn autoscaling(mut self, min: u32, max: u32) -> Self {
            self.common.autoscaling = Some(Autoscaling {
                min_nodes: min,
                max_nodes: max,
            });
            self
        }
        /// Adds a node label.
        pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.common.labels.insert(key.into(), value.into());
            self
        }
        /// Adds a node annotation.
        pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.common.annotations.insert(key.into(), value.into());
            self
        }
        /// Adds a node taint.
        pub fn taint(mut self, taint: Taint) -> Self {
            self.common.taints.push(taint);
            self
        }
    };
}

/// A spot pool to create.
///
/// ```
/// use rsspot::pricing::Bid;
/// use rsspot::services::SpotPoolCreate;
/// let bid: Bid = "0.02".parse()?;
/// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, bid).autoscaling(2, 4);
/// assert!(req.validate().is_ok());
/// assert!(SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 5, bid).autoscaling(2, 4).validate().is_err());
/// assert!("0.0125".parse::<Bid>().is_err()); // a bad bid never becomes a request
/// # Ok::<(), rsspot::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SpotPoolCreate {
    /// Fields shared with on-demand pools.
    pub common: PoolCommon,
    /// Maximum price per node-hour.
    pub bid_price: Bid,
}

impl SpotPoolCreate {
    /// A pool of `desired` nodes of `server_class` in `cloudspace`, bidding `bid_price` $/h.
    pub fn new(
        cloudspace: impl Into<String>,
        server_class: impl Into<String>,
        desired: u32,
        bid_price: impl Into<Bid>,
    ) -> Self {
        SpotPoolCreate {
            common: PoolCommon::new(cloudspace.into(), server_class.into(), desired),
            bid_price: bid_price.into(),
        }
    }
    common_setters!();

    /// Local checks (the bid's format is guaranteed by [`Bid`]; its floor needs the class).
    pub fn validate(&self) -> Result<()> {
        self.common.validate()
    }
}

/// An on-demand pool to create.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDemandPoolCreate {
    /// Pool fields.
    pub common: PoolCommon,
}

impl OnDemandPoolCreate {
    /// A pool of `desired` nodes of `server_class` in `cloudspace`.
    pub fn new(
        cloudspace: impl Into<String>,
        server_class: impl Into<String>,
        desired: u32,
    ) -> Self {
        OnDemandPoolCreate {
            common: PoolCommon::new(cloudspace.into(), server_class.into(), desired),
        }
    }
    common_setters!();

    /// Local checks.
    pub fn validate(&self) -> Result<()> {
        self.common.validate()
    }
}

/// Changes to a pool; only the fields set are sent (JSON merge patch).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PoolUpdate {
    /// New desired count.
    pub desired: Option<u32>,
    /// `Some(Some(..))` enables autoscaling with bounds, `Some(None)` disables it.
    pub autoscaling: Option<Option<Autoscaling>>,
    /// Replace the node labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Replace the node annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Replace the node taints.
    pub taints: Option<Vec<Taint>>,
}

/// Changes to an on-demand pool.
pub type OnDemandPoolUpdate = PoolUpdate;

/// Changes to a spot pool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpotPoolUpdate {
    /// Shared fields.
    pub common: PoolUpdate,
    /// New bid.
    pub bid_price: Option<Bid>,
}

/// A merge-patch body for a pool: `{"spec": {...}}` with only the changed fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PoolPatch {
    /// The changed spec fields.
    pub spec: PoolSpecPatch,
}

/// The spec part of a [`PoolPatch`]; `None` fields are not sent.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PoolSpecPatch {
    /// New bid (spot pools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bid_price: Option<Bid>,
    /// New desired count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desired: Option<u32>,
    /// Autoscaling change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<AutoscalingPatch>,
    /// New node labels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_labels: Option<BTreeMap<String, String>>,
    /// New node annotations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_annotations: Option<BTreeMap<String, String>>,
    /// New node taints.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_taints: Option<Vec<Taint>>,
}

/// Autoscaling in a merge patch: disabling sends `null` bounds so the server drops them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutoscalingPatch {
    /// On or off.
    pub enabled: bool,
    /// `None`: cleared (sent as `null`).
    pub min_nodes: Option<u32>,
    /// `None`: cleared (sent as `null`).
    pub max_nodes: Option<u32>,
}

impl PoolPatch {
    /// The body as the generated `Patch` type takes it.
    pub fn to_raw(&self) -> Result<Patch> {
        merge_patch(self)
    }
}

pub(crate) use crate::services::calls::merge_patch;

impl PoolUpdate {
    fn spec(&self) -> Result<PoolSpecPatch> {
        check_counts(self.desired, self.autoscaling.flatten())?;
        if let Some(t) = &self.taints {
            t.iter().try_for_each(Taint::validate)?;
        }
        Ok(PoolSpecPatch {
            bid_price: None,
            desired: self.desired,
            autoscaling: self.autoscaling.map(|a| AutoscalingPatch {
                enabled: a.is_some(),
                min_nodes: a.map(|a| a.min_nodes),
                max_nodes: a.map(|a| a.max_nodes),
            }),
            custom_labels: self.labels.clone(),
            custom_annotations: self.annotations.clone(),
            custom_taints: self.taints.clone(),
        })
    }

    /// The merge-patch body for an on-demand pool.
    pub fn to_patch(&self) -> Result<PoolPatch> {
        non_empty(self.spec()?)
    }
}

impl SpotPoolUpdate {
    /// The merge-patch body (`{"spec": {...}}` with only the fields given).
    pub fn to_patch(&self) -> Result<PoolPatch> {
        let mut spec = self.common.spec()?;
        spec.bid_price = self.bid_price;
        non_empty(spec)
    }
}

fn non_empty(spec: PoolSpecPatch) -> Result<PoolPatch> {
    if spec == PoolSpecPatch::default() {
        return Err(Error::invalid(
            "update",
            "nothing to change: give at least one field",
        ));
    }
    Ok(PoolPatch { spec })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn bid(s: &str) -> Bid {
        s.parse().unwrap()
    }

    #[test]
    fn taints_parse() {
        let t: Taint = "dedicated=batch:NoSchedule".parse().unwrap();
        assert_eq!(
            (t.key.as_str(), t.value.as_str(), t.effect.as_str()),
            ("dedicated", "batch", "NoSchedule")
        );
        let t: Taint = "gpu:NoExecute".parse().unwrap();
        assert_eq!(t.value, "");
        assert!("x=y:Sometimes".parse::<Taint>().is_err());
        assert!("novalue".parse::<Taint>().is_err());
    }

    #[test]
    fn update_sends_only_given_fields() {
        let u = SpotPoolUpdate {
            bid_price: Some(bid("0.04")),
            ..Default::default()
        };
        let v = serde_json::to_value(u.to_patch().unwrap()).unwrap();
        assert_eq!(v, json!({"spec": {"bidPrice": "0.04"}}));
        let u = SpotPoolUpdate {
            common: PoolUpdate {
                desired: Some(3),
                ..Default::default()
            },
            ..Default::default()
        };
        let v = serde_json::to_value(u.to_patch().unwrap()).unwrap();
        assert_eq!(v, json!({"spec": {"desired": 3}}));
        assert!(SpotPoolUpdate::default().to_patch().is_err());
    }

    #[test]
    fn disabling_autoscaling_clears_the_bounds() {
        let u = PoolUpdate {
            autoscaling: Some(None),
            ..Default::default()
        };
        let v = serde_json::to_value(u.to_patch().unwrap()).unwrap();
        assert_eq!(
            v,
            json!({"spec": {"autoscaling": {"enabled": false, "minNodes": null, "maxNodes": null}}})
        );
        let raw = u.to_patch().unwrap().to_raw().unwrap();
        assert!(raw.contains_key("spec"));
    }

    #[test]
    fn counts_are_checked() {
        let a = |min, max| {
            Some(Autoscaling {
                min_nodes: min,
                max_nodes: max,
            })
        };
        assert!(check_counts(Some(2), a(1, 3)).is_ok());
        assert!(check_counts(Some(5), a(1, 3)).is_err());
        assert!(check_counts(None, a(0, 3)).is_err());
        assert!(check_counts(None, a(4, 3)).is_err());
        assert!(check_counts(Some(0), None).is_err());
    }

    #[test]
    fn create_body_has_label_and_spec() {
        let req =
            SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, bid("0.02")).label("team", "a");
        let body = serde_json::to_value(req.common.spot_body("n", "org-x", req.bid_price)).unwrap();
        assert_eq!(body["metadata"]["labels"][CLOUDSPACE_LABEL], "demo");
        assert_eq!(body["spec"]["bidPrice"], "0.02");
        assert_eq!(body["spec"]["customLabels"]["team"], "a");
        assert_eq!(body["spec"]["autoscaling"], json!({"enabled": false}));
        assert_eq!(body["kind"], "SpotNodePool");
        let od = serde_json::to_value(req.common.on_demand_body("n", "org-x")).unwrap();
        assert_eq!(od["spec"]["autoscaling"], json!({"enabled": false}));
        assert!(od["spec"].get("bidPrice").is_none());
    }
}
