//! Chainable setters for the update requests (and the create fields that had none), so every
//! request reads the same way: `SpotPoolUpdate::new().desired(3).bid(bid)`. The fields stay
//! public; a setter only sets its field.

use std::collections::BTreeMap;

use super::cloudspaces::CloudSpaceUpdate;
use super::node_pools::{Autoscaling, PoolUpdate, SpotPoolUpdate, Taint};
use super::vm_cloudspaces::VmCloudSpaceCreate;
use super::vm_pools::{VmPoolCreate, VmPoolUpdate};
use crate::pricing::Bid;

/// The setters spot and on-demand pool updates share; `$($common)*` is the path to the
/// [`PoolUpdate`] fields (`common` in a [`SpotPoolUpdate`], nothing in a `PoolUpdate`).
macro_rules! pool_update_setters {
    ($($common:ident)?) => {
        /// Sets the desired node count.
        pub fn desired(mut self, n: u32) -> Self {
            self.$($common.)?desired = Some(n);
            self
        }
        /// Enables autoscaling between `min` and `max` nodes.
        pub fn autoscaling(mut self, min: u32, max: u32) -> Self {
            self.$($common.)?autoscaling = Some(Some(Autoscaling {
                min_nodes: min,
                max_nodes: max,
            }));
            self
        }
        /// Disables autoscaling (its bounds are cleared).
        pub fn no_autoscaling(mut self) -> Self {
            self.$($common.)?autoscaling = Some(None);
            self
        }
        /// Replaces the node labels with these (call repeatedly with [`Self::label`] to add).
        pub fn labels(mut self, labels: BTreeMap<String, String>) -> Self {
            self.$($common.)?labels = Some(labels);
            self
        }
        /// Adds a node label to the labels this update sets (which replace the pool's).
        pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.$($common.)?labels
                .get_or_insert_with(BTreeMap::new)
                .insert(key.into(), value.into());
            self
        }
        /// Replaces the node annotations with these.
        pub fn annotations(mut self, annotations: BTreeMap<String, String>) -> Self {
            self.$($common.)?annotations = Some(annotations);
            self
        }
        /// Adds a node annotation to the annotations this update sets (which replace the pool's).
        pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
            self.$($common.)?annotations
                .get_or_insert_with(BTreeMap::new)
                .insert(key.into(), value.into());
            self
        }
        /// Replaces the node taints with these (an empty list removes them all).
        pub fn taints(mut self, taints: Vec<Taint>) -> Self {
            self.$($common.)?taints = Some(taints);
            self
        }
        /// Adds a taint to the taints this update sets (which replace the pool's).
        pub fn taint(mut self, taint: Taint) -> Self {
            self.$($common.)?taints.get_or_insert_with(Vec::new).push(taint);
            self
        }
    };
}

impl PoolUpdate {
    /// An update that changes nothing yet (an on-demand pool's, or a spot pool's shared part).
    ///
    /// ```
    /// use rsspot::services::OnDemandPoolUpdate;
    /// let update = OnDemandPoolUpdate::new().desired(3).autoscaling(2, 5);
    /// assert_eq!(update.desired, Some(3));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    pool_update_setters!();
}

impl SpotPoolUpdate {
    /// An update that changes nothing yet.
    ///
    /// ```
    /// use rsspot::pricing::Bid;
    /// use rsspot::services::SpotPoolUpdate;
    /// let update = SpotPoolUpdate::new().desired(3).bid("0.04".parse::<Bid>()?);
    /// assert_eq!(update.common.desired, Some(3));
    /// # Ok::<(), rsspot::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets a new bid.
    pub fn bid(mut self, bid: impl Into<Bid>) -> Self {
        self.bid_price = Some(bid.into());
        self
    }
    pool_update_setters!(common);
}

impl VmPoolUpdate {
    /// An update that changes nothing yet.
    ///
    /// ```
    /// use rsspot::pricing::Bid;
    /// use rsspot::services::VmPoolUpdate;
    /// let update = VmPoolUpdate::new().desired(2).bid("0.05".parse::<Bid>()?);
    /// assert_eq!(update.desired, Some(2));
    /// # Ok::<(), rsspot::Error>(())
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the desired VM count.
    pub fn desired(mut self, n: u32) -> Self {
        self.desired = Some(n);
        self
    }
    /// Sets a new bid.
    pub fn bid(mut self, bid: impl Into<Bid>) -> Self {
        self.bid_price = Some(bid.into());
        self
    }
}

impl CloudSpaceUpdate {
    /// An update that changes nothing yet.
    ///
    /// ```
    /// use rsspot::services::CloudSpaceUpdate;
    /// let update = CloudSpaceUpdate::new().kubernetes_version("1.31.1").ha_control_plane(true);
    /// assert!(!update.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the preemption webhook (`""` removes it).
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.webhook = Some(url.into());
        self
    }
    /// Turns the HA control plane on or off.
    pub fn ha_control_plane(mut self, on: bool) -> Self {
        self.ha_control_plane = Some(on);
        self
    }
    /// Upgrades Kubernetes to `version`.
    pub fn kubernetes_version(mut self, version: impl Into<String>) -> Self {
        self.kubernetes_version = Some(version.into());
        self
    }
}

impl VmPoolCreate {
    /// Sets the pool name (a lowercase UUID; generated when not set).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
}

impl VmCloudSpaceCreate {
    /// Takes the SSH key from `namespace` instead of the org's.
    pub fn ssh_key_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.ssh_key_namespace = Some(namespace.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::services::{OnDemandPoolUpdate, PoolType};

    fn bid(s: &str) -> Bid {
        s.parse().unwrap()
    }

    #[test]
    fn spot_update_builder_matches_the_struct_literal() {
        let built = SpotPoolUpdate::new().desired(3).bid(bid("0.04"));
        let literal = SpotPoolUpdate {
            common: PoolUpdate {
                desired: Some(3),
                ..Default::default()
            },
            bid_price: Some(bid("0.04")),
        };
        assert_eq!(built, literal);
        let v = serde_json::to_value(built.to_patch().unwrap()).unwrap();
        assert_eq!(v, json!({"spec": {"bidPrice": "0.04", "desired": 3}}));
    }

    #[test]
    fn pool_update_setters_fill_only_their_fields() {
        let u = OnDemandPoolUpdate::new()
            .autoscaling(1, 4)
            .label("team", "ml")
            .label("tier", "gpu")
            .annotation("a", "b")
            .taint("gpu:NoSchedule".parse().unwrap());
        assert_eq!(u.desired, None);
        assert_eq!(u.labels.as_ref().map(BTreeMap::len), Some(2));
        assert_eq!(u.taints.as_ref().map(Vec::len), Some(1));
        let v = serde_json::to_value(u.to_patch().unwrap()).unwrap();
        assert_eq!(
            v["spec"]["autoscaling"],
            json!({"enabled": true, "minNodes": 1, "maxNodes": 4})
        );
        assert_eq!(
            v["spec"]["customLabels"],
            json!({"team": "ml", "tier": "gpu"})
        );
        let off = OnDemandPoolUpdate::new().no_autoscaling();
        assert_eq!(off.autoscaling, Some(None));
        assert_eq!(
            SpotPoolUpdate::new().taints(Vec::new()).common.taints,
            Some(Vec::new())
        );
        assert!(
            SpotPoolUpdate::new().to_patch().is_err(),
            "an empty update is refused"
        );
    }

    #[test]
    fn vm_and_cloudspace_builders() {
        let u = VmPoolUpdate::new().desired(2).bid(bid("0.05"));
        assert_eq!((u.desired, u.bid_price), (Some(2), Some(bid("0.05"))));
        let c = CloudSpaceUpdate::new()
            .webhook("")
            .ha_control_plane(false)
            .kubernetes_version("1.31.1");
        assert_eq!(c.webhook.as_deref(), Some(""));
        assert_eq!(c.ha_control_plane, Some(false));
        assert!(CloudSpaceUpdate::new().is_empty());
        let p = VmPoolCreate::spot("lab", "gp.vs1.medium-dfw", 1, bid("0.02"))
            .name("7f3e1a9c-5b2d-4c8e-a6f0-1d4b7e2c9a53");
        assert_eq!(
            p.name.as_deref(),
            Some("7f3e1a9c-5b2d-4c8e-a6f0-1d4b7e2c9a53")
        );
        assert_eq!(p.pool_type, PoolType::Spot);
        let cs =
            VmCloudSpaceCreate::new("lab", "us-central-dfw-1", "laptop").ssh_key_namespace("org-x");
        assert_eq!(cs.ssh_key_namespace.as_deref(), Some("org-x"));
    }
}
