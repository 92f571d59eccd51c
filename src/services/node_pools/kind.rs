//! The two kinds of node pool a cloudspace holds, spot and on-demand, as one model: what their
//! objects say ([`PoolFacts`]), what a request sends ([`PoolRequest`]), how shared fields and a
//! bid become the kind's request, and the calls both get ([`NodePoolKind`]). Everything written
//! over both kinds (the CLI's commands and tables, MCP's tools, the fleet) reads these, so it
//! never names a kind's fields.

use std::collections::BTreeMap;

use super::checks::{self, Mismatch};
use super::{
    OnDemandPoolCreate, OnDemandPoolUpdate, PoolCommon, PoolUpdate, SpotPoolCreate, SpotPoolUpdate,
    Taint,
};
use super::{PreparedCreate, PreparedUpdate};
use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::pricing::guard::SpendLimits;
use crate::raw::types::{OnDemandNodePool, SpotNodePool};
use crate::resource::{Api, Create, MergePatch};

/// What a create or an update sent that the server must hold afterwards: the bid and the node
/// count (`None`: not sent, or not a field of the kind). [`Api::verify`] compares them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sent {
    /// The bid sent (spot pools).
    pub bid: Option<Bid>,
    /// The desired node count sent.
    pub desired: Option<u32>,
}

/// A pool create or update: what it sends that a read-back checks.
pub trait PoolRequest {
    /// The bid and desired count this request sends.
    fn sent(&self) -> Sent;
}

impl PoolRequest for SpotPoolCreate {
    fn sent(&self) -> Sent {
        Sent {
            bid: Some(self.bid_price),
            desired: Some(self.common.desired),
        }
    }
}

impl PoolRequest for OnDemandPoolCreate {
    fn sent(&self) -> Sent {
        Sent {
            bid: None,
            desired: Some(self.common.desired),
        }
    }
}

impl PoolRequest for SpotPoolUpdate {
    fn sent(&self) -> Sent {
        Sent {
            bid: self.bid_price,
            desired: self.common.desired,
        }
    }
}

impl PoolRequest for PoolUpdate {
    fn sent(&self) -> Sent {
        Sent {
            bid: None,
            desired: self.desired,
        }
    }
}

/// A pool's autoscaling as its spec holds it (bounds may be missing while it is on).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AutoscalingState {
    /// Whether autoscaling is on.
    pub enabled: bool,
    /// The minimum node count, when set.
    pub min_nodes: Option<u32>,
    /// The maximum node count, when set.
    pub max_nodes: Option<u32>,
}

/// What a node pool of either kind says, read from its spec and status.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolFacts<'a> {
    /// `spec.cloudSpace`: the cloudspace it belongs to.
    pub cloudspace: &'a str,
    /// `spec.serverClass`.
    pub server_class: &'a str,
    /// `spec.bidPrice` (spot pools; `None` for on-demand).
    pub bid: Option<Bid>,
    /// `spec.desired`.
    pub desired: Option<u32>,
    /// Nodes it has now: won (spot) or reserved (on-demand).
    pub nodes: Option<u32>,
    /// `spec.autoscaling`.
    pub autoscaling: AutoscalingState,
    /// `spec.customLabels`.
    pub labels: &'a BTreeMap<String, String>,
    /// `spec.customAnnotations`.
    pub annotations: &'a BTreeMap<String, String>,
    /// `spec.customTaints` (a missing key, value or effect reads as empty).
    pub taints: Vec<Taint>,
}

/// A taint of a generated pool spec as a [`Taint`].
fn taint(key: &Option<String>, value: &Option<String>, effect: &Option<String>) -> Taint {
    Taint {
        key: key.clone().unwrap_or_default(),
        value: value.clone().unwrap_or_default(),
        effect: effect.clone().unwrap_or_default(),
    }
}

/// The kinds of node pool of a cloudspace, spot and on-demand: the same calls for both, over
/// each kind's request types, and the same view of their objects.
pub trait NodePoolKind: Create + MergePatch {
    /// What a create asks for.
    type Create: PoolRequest + Sync;
    /// What an update changes.
    type Update: PoolRequest + Sync;
    /// The kind's create from the shared fields and a bid: a spot pool needs one, an on-demand
    /// pool takes none.
    fn create_request(common: PoolCommon, bid: Option<Bid>) -> Result<Self::Create>;
    /// The kind's update from the shared changes and a new bid (spot pools only).
    fn update_request(update: PoolUpdate, bid: Option<Bid>) -> Result<Self::Update>;
    /// What the pool's spec and status say.
    fn facts(&self) -> PoolFacts<'_>;
    /// The kind's `prepare_create`.
    fn prepare_create(
        api: &Api<'_, Self>,
        req: &Self::Create,
        limits: &SpendLimits,
    ) -> impl std::future::Future<Output = Result<PreparedCreate<Self>>> + Send;
    /// The kind's `prepare_update`.
    fn prepare_update(
        api: &Api<'_, Self>,
        name: &str,
        update: &Self::Update,
        limits: &SpendLimits,
    ) -> impl std::future::Future<Output = Result<PreparedUpdate<Self>>> + Send;
}

impl NodePoolKind for SpotNodePool {
    type Create = SpotPoolCreate;
    type Update = SpotPoolUpdate;
    fn create_request(common: PoolCommon, bid: Option<Bid>) -> Result<SpotPoolCreate> {
        let bid_price = bid.ok_or_else(|| {
            Error::invalid(
                "bidPrice",
                "a spot pool needs a bid in USD per node-hour, e.g. 0.08",
            )
        })?;
        Ok(SpotPoolCreate { common, bid_price })
    }
    fn update_request(common: PoolUpdate, bid_price: Option<Bid>) -> Result<SpotPoolUpdate> {
        Ok(SpotPoolUpdate { common, bid_price })
    }
    fn facts(&self) -> PoolFacts<'_> {
        let spec = &self.spec;
        let a = spec.autoscaling.clone().unwrap_or_default();
        PoolFacts {
            cloudspace: &spec.cloud_space,
            server_class: &spec.server_class,
            bid: spec.bid_price,
            desired: spec.desired,
            nodes: self.status.as_ref().and_then(|s| s.won_count),
            autoscaling: AutoscalingState {
                enabled: a.enabled,
                min_nodes: a.min_nodes,
                max_nodes: a.max_nodes,
            },
            labels: &spec.custom_labels,
            annotations: &spec.custom_annotations,
            taints: (spec.custom_taints.iter())
                .map(|t| taint(&t.key, &t.value, &t.effect))
                .collect(),
        }
    }
    async fn prepare_create(
        api: &Api<'_, Self>,
        req: &SpotPoolCreate,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<Self>> {
        api.prepare_create(req, limits).await
    }
    async fn prepare_update(
        api: &Api<'_, Self>,
        name: &str,
        update: &SpotPoolUpdate,
        limits: &SpendLimits,
    ) -> Result<PreparedUpdate<Self>> {
        api.prepare_update(name, update, limits).await
    }
}

impl NodePoolKind for OnDemandNodePool {
    type Create = OnDemandPoolCreate;
    type Update = OnDemandPoolUpdate;
    fn create_request(common: PoolCommon, bid: Option<Bid>) -> Result<OnDemandPoolCreate> {
        no_bid(bid)?;
        Ok(OnDemandPoolCreate { common })
    }
    fn update_request(update: PoolUpdate, bid: Option<Bid>) -> Result<OnDemandPoolUpdate> {
        no_bid(bid)?;
        Ok(update)
    }
    fn facts(&self) -> PoolFacts<'_> {
        let spec = &self.spec;
        let a = spec.autoscaling.clone().unwrap_or_default();
        PoolFacts {
            cloudspace: &spec.cloud_space,
            server_class: &spec.server_class,
            bid: None,
            desired: spec.desired,
            nodes: self.status.as_ref().and_then(|s| s.reserved_count),
            autoscaling: AutoscalingState {
                enabled: a.enabled.unwrap_or(false),
                min_nodes: a.min_nodes,
                max_nodes: a.max_nodes,
            },
            labels: &spec.custom_labels,
            annotations: &spec.custom_annotations,
            taints: (spec.custom_taints.iter())
                .map(|t| taint(&t.key, &t.value, &t.effect))
                .collect(),
        }
    }
    async fn prepare_create(
        api: &Api<'_, Self>,
        req: &OnDemandPoolCreate,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<Self>> {
        api.prepare_create(req, limits).await
    }
    async fn prepare_update(
        api: &Api<'_, Self>,
        name: &str,
        update: &OnDemandPoolUpdate,
        limits: &SpendLimits,
    ) -> Result<PreparedUpdate<Self>> {
        api.prepare_update(name, update, limits).await
    }
}

/// Refuses a bid for a kind that has none.
fn no_bid(bid: Option<Bid>) -> Result<()> {
    match bid {
        Some(_) => Err(Error::invalid(
            "bidPrice",
            "an on-demand pool has no bid; it runs at the class's on-demand price",
        )),
        None => Ok(()),
    }
}

impl<K: NodePoolKind> Api<'_, K> {
    /// Re-reads the pool (uncached) and lists where the server holds something other than
    /// what was `sent` (a request's [`PoolRequest::sent`]).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::node_pools::PoolRequest;
    /// use rsspot::services::SpotPoolUpdate;
    /// let pools = client.spot_pools();
    /// let update = SpotPoolUpdate::new().desired(3);
    /// pools.update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update).await?;
    /// for m in pools.verify("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", update.sent()).await? {
    ///     eprintln!("warning: {m}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn verify(&self, name: &str, sent: Sent) -> Result<Vec<Mismatch>> {
        let client = self.client().without_cache();
        let pool = self.org.on(&client).api::<K>().get(name).await?;
        let held = pool.facts();
        Ok(checks::compare(
            sent.bid,
            held.bid,
            sent.desired,
            held.desired,
        ))
    }

    /// Sets the pool's desired node count, nothing else.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// client.spot_pools().scale("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", 3).await?;
    /// client.ondemand_pools().scale("5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13", 2).await?;
    /// # Ok(()) }
    /// ```
    pub async fn scale(&self, name: &str, desired: u32) -> Result<K> {
        let update = K::update_request(PoolUpdate::new().desired(desired), None)?;
        self.update(name, &update).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bid(s: &str) -> Bid {
        s.parse().unwrap()
    }

    #[test]
    fn requests_are_built_and_say_what_they_send() {
        let common = OnDemandPoolCreate::new("demo", "gp.vs1.medium-dfw", 2).common;
        let spot = SpotNodePool::create_request(common.clone(), Some(bid("0.05"))).unwrap();
        assert_eq!(
            spot.sent(),
            Sent {
                bid: Some(bid("0.05")),
                desired: Some(2)
            }
        );
        let e = SpotNodePool::create_request(common.clone(), None).unwrap_err();
        assert!(e.to_string().contains("needs a bid"), "{e}");
        let od = OnDemandNodePool::create_request(common.clone(), None).unwrap();
        assert_eq!(od.sent().bid, None);
        assert!(OnDemandNodePool::create_request(common, Some(bid("0.05"))).is_err());
        let up = SpotNodePool::update_request(PoolUpdate::new().desired(4), None).unwrap();
        assert_eq!(up.sent().desired, Some(4));
        assert!(OnDemandNodePool::update_request(PoolUpdate::new(), Some(bid("0.05"))).is_err());
    }

    #[test]
    fn facts_read_both_kinds_alike() {
        let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, bid("0.05"))
            .autoscaling(2, 4)
            .taint("gpu=yes:NoSchedule".parse().unwrap());
        let spot = req.common.spot_body("n", "org-x", req.bid_price);
        let od = req.common.on_demand_body("n", "org-x");
        let (s, o) = (spot.facts(), od.facts());
        assert_eq!(
            (s.cloudspace, s.server_class),
            ("demo", "gp.vs1.medium-dfw")
        );
        assert_eq!(s.bid, Some(bid("0.05")));
        assert_eq!(o.bid, None);
        for f in [&s, &o] {
            assert_eq!(f.desired, Some(2));
            assert_eq!(
                f.autoscaling,
                AutoscalingState {
                    enabled: true,
                    min_nodes: Some(2),
                    max_nodes: Some(4)
                }
            );
            assert_eq!(f.taints[0].effect, "NoSchedule");
        }
    }
}
