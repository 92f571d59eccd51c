//! Spot and on-demand node pools of a cloudspace.
//!
//! Pool names are lowercase UUIDs (generated when not given). Creates and updates are checked
//! locally first (name, counts `min ≤ desired ≤ max`, the bid's format through [`Bid`]), then
//! against the server's data: the class exists, is in the cloudspace's region, and the bid is at
//! least its floor. What may cost more than meant (a bid above on-demand, more nodes than
//! available, a monthly cost over the limit, an off-ladder bid) comes back as
//! [`Concern`]s for the caller to confirm: `prepare_*` computes, `send_*` sends.

mod checks;
mod requests;

use std::time::Duration;

use super::call;
use super::wait::{Poll, WaitOptions, wait_for};
use crate::SpotClient;
use crate::error::Result;
use crate::pricing::Bid;
use crate::pricing::guard::{self, Concern, SpendLimits};
use crate::pricing::view::ClassInput;
use crate::raw::types::{OnDemandNodePool, SpotNodePool};

pub use checks::Mismatch;
pub use requests::Autoscaling;
pub(crate) use requests::merge_patch;
pub use requests::{
    AutoscalingPatch, OnDemandPoolCreate, OnDemandPoolUpdate, PoolCommon, PoolPatch, PoolSpecPatch,
    PoolUpdate, SpotPoolCreate, SpotPoolUpdate, Taint,
};

/// Default wait for a pool to be fulfilled.
pub const DEFAULT_FULFILLED_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The label the service puts on pools to link them to their cloudspace.
pub const CLOUDSPACE_LABEL: &str = "ngpc.rxt.io/cloudspace";

/// A create checked against the server, ready to send with `send_create`.
#[derive(Debug, Clone)]
pub struct PreparedCreate<T> {
    /// The org namespace it goes to.
    pub namespace: String,
    /// The exact body (what `--dry-run` prints).
    pub body: T,
    /// What the server class says (prices, availability).
    pub class: ClassInput,
    /// What may cost more than meant; the caller decides.
    pub concerns: Vec<Concern>,
}

/// An update checked against the pool and its class, ready to send with `send_update`.
#[derive(Debug, Clone)]
pub struct PreparedUpdate<T> {
    /// The org namespace.
    pub namespace: String,
    /// The merge patch (only the changed fields).
    pub patch: PoolPatch,
    /// The pool as it was before.
    pub current: T,
    /// What may cost more than meant; the caller decides.
    pub concerns: Vec<Concern>,
}

/// `client.spot_pools()`.
#[derive(Clone, Copy)]
pub struct SpotPools<'a>(pub(crate) &'a SpotClient);

/// `client.ondemand_pools()`.
#[derive(Clone, Copy)]
pub struct OnDemandPools<'a>(pub(crate) &'a SpotClient);

fn label_selector(cloudspace: Option<&str>) -> Option<String> {
    cloudspace.map(|c| format!("{CLOUDSPACE_LABEL}={c}"))
}

/// Whether a pool belongs to `cloudspace`: by its label, else by `spec.cloudSpace`.
///
/// The gateway may ignore `labelSelector`, so lists are filtered here as well.
fn belongs(
    meta: Option<&crate::raw::types::ObjectMeta>,
    spec_cloudspace: Option<&str>,
    cloudspace: &str,
) -> bool {
    match meta.and_then(|m| m.labels.get(CLOUDSPACE_LABEL)) {
        Some(label) => label == cloudspace,
        None => spec_cloudspace == Some(cloudspace),
    }
}

/// Whether a concern is about what an update changes (an unchanged bid or count was accepted
/// before; the monthly cost is about both).
fn changed(c: &Concern, bid_changed: bool, desired_changed: bool) -> bool {
    match c {
        Concern::BidAboveOnDemand { .. } | Concern::OffLadder { .. } => bid_changed,
        Concern::DesiredAboveAvailable { .. } => desired_changed,
        Concern::MonthlyOverLimit { .. } => true,
    }
}

fn pool_poll<T>(p: T, phase: &str, got: i64, desired: i64) -> Poll<T> {
    if phase == "Fulfilled" && got >= desired {
        Poll::Ready(p)
    } else {
        Poll::Pending(phase.to_string(), format!("{got}/{desired} nodes"))
    }
}

/// `list`, `get`, `delete` and `wait_until_fulfilled`: the same calls for both pool kinds.
macro_rules! pool_reads_delete_and_wait {
    (
        $service:ident, $accessor:literal, $ty:ty, $kind:literal, $list:ident, $get:ident,
        $delete:ident, $example:literal, $phase:ident, $count:ident
    ) => {
        impl $service<'_> {
            #[doc = concat!("The ", $kind, "s of an org, optionally only those of one cloudspace.")]
            ///
            /// The cloudspace filter is sent as a label selector and applied again here, so a
            /// gateway that ignores the selector cannot widen the result.
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            #[doc = concat!("let pools = client.", $accessor, "().list(Some(\"demo\"), None).await?;")]
            /// # Ok(()) }
            /// ```
            pub async fn list(self, cloudspace: Option<&str>, org: Option<&str>) -> Result<Vec<$ty>> {
                let ns = self.0.namespace(org).await?;
                let mut b = self.0.raw.$list().namespace(ns);
                if let Some(sel) = label_selector(cloudspace) {
                    b = b.label_selector(sel);
                }
                let mut items = super::read(|| b.clone().send(), $kind, "").await?.items;
                if let Some(cs) = cloudspace {
                    items.retain(|p| {
                        belongs(
                            p.metadata.as_ref(),
                            p.spec.as_ref().and_then(|s| s.cloud_space.as_deref()),
                            cs,
                        )
                    });
                }
                Ok(items)
            }

            #[doc = concat!("One ", $kind, ".")]
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            #[doc = concat!("let pool = client.", $accessor, "().get(\"", $example, "\", None).await?;")]
            /// # Ok(()) }
            /// ```
            pub async fn get(self, name: &str, org: Option<&str>) -> Result<$ty> {
                let ns = self.0.namespace(org).await?;
                super::read(|| self.0.raw.$get().namespace(&ns).name(name).send(), $kind, name).await
            }

            #[doc = concat!("Deletes a ", $kind, ".")]
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            #[doc = concat!("client.", $accessor, "().delete(\"", $example, "\", None).await?;")]
            /// # Ok(()) }
            /// ```
            pub async fn delete(self, name: &str, org: Option<&str>) -> Result<()> {
                let ns = self.0.namespace(org).await?;
                call(self.0.raw.$delete().namespace(ns).name(name).send(), $kind, name)
                    .await
                    .map(|_| ())
            }

            #[doc = concat!(
                "Polls until `status.", stringify!($phase), "` is `Fulfilled` with `status.",
                stringify!($count), "` ≥ `spec.desired`."
            )]
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            /// use rsspot::services::WaitOptions;
            /// let opts = WaitOptions::with_timeout(std::time::Duration::from_secs(1800));
            #[doc = concat!("client.", $accessor, "().wait_until_fulfilled(\"", $example, "\", None, &opts).await?;")]
            /// # Ok(()) }
            /// ```
            pub async fn wait_until_fulfilled(
                self,
                name: &str,
                org: Option<&str>,
                opts: &WaitOptions,
            ) -> Result<$ty> {
                let client = self.0.without_cache();
                let what = format!("{} {name}", $kind);
                wait_for(&what, "Fulfilled", opts, || {
                    let client = client.clone();
                    async move {
                        let p = $service(&client).get(name, org).await?;
                        let desired = p.spec.as_ref().and_then(|s| s.desired).unwrap_or(0);
                        let st = p.status.clone().unwrap_or_default();
                        let phase = st.$phase.unwrap_or_else(|| "Pending".into());
                        Ok(pool_poll(p, &phase, st.$count.unwrap_or(0), desired))
                    }
                })
                .await
            }
        }
    };
}

pool_reads_delete_and_wait!(
    SpotPools,
    "spot_pools",
    SpotNodePool,
    "spot node pool",
    list_spot_node_pools,
    get_spot_node_pool,
    delete_spot_node_pool,
    "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c",
    bid_status,
    won_count
);
pool_reads_delete_and_wait!(
    OnDemandPools,
    "ondemand_pools",
    OnDemandNodePool,
    "on-demand node pool",
    list_on_demand_node_pools,
    get_on_demand_node_pool,
    delete_on_demand_node_pool,
    "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13",
    reserved_status,
    reserved_count
);

impl SpotPools<'_> {
    /// Checks `req` against the server (class exists, same region, bid ≥ floor), builds the
    /// exact body and lists the [`Concern`]s under `limits`. Sends nothing.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::SpotPoolCreate;
    /// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02".parse::<rsspot::pricing::Bid>()?);
    /// let prepared = client.spot_pools().prepare_create(&req, None, &SpendLimits::default()).await?;
    /// for concern in &prepared.concerns {
    ///     eprintln!("note: {concern}");
    /// }
    /// let pool = client.spot_pools().send_create(prepared).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        self,
        req: &SpotPoolCreate,
        org: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<SpotNodePool>> {
        req.validate()?;
        let c = &req.common;
        let class = checks::placement(self.0, &c.cloudspace, &c.server_class, org).await?;
        guard::check_floor(req.bid_price, &class)?;
        let namespace = self.0.namespace(org).await?;
        let body = c.spot_body(&c.name_or_generated(), &namespace, req.bid_price);
        let concerns = guard::assess_spot(req.bid_price, c.desired, &class, limits);
        Ok(PreparedCreate {
            namespace,
            body,
            class,
            concerns,
        })
    }

    /// Sends a prepared create.
    pub async fn send_create(self, prepared: PreparedCreate<SpotNodePool>) -> Result<SpotNodePool> {
        let name = super::name_of(prepared.body.metadata.as_ref()).to_string();
        let b = self.0.raw.create_spot_node_pool();
        call(
            b.namespace(prepared.namespace).body(prepared.body).send(),
            "spot node pool",
            &name,
        )
        .await
    }

    /// Creates a spot pool (a lowercase UUID name is generated unless given). Concerns are not
    /// checked here: use [`SpotPools::prepare_create`] to see them first.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolCreate;
    /// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02".parse::<rsspot::pricing::Bid>()?).autoscaling(2, 4).label("team", "ml");
    /// let pool = client.spot_pools().create(&req, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(self, req: &SpotPoolCreate, org: Option<&str>) -> Result<SpotNodePool> {
        let prepared = self
            .prepare_create(req, org, &SpendLimits::default())
            .await?;
        self.send_create(prepared).await
    }

    /// Checks an update against the pool and its class (a new bid ≥ floor) and lists the
    /// [`Concern`]s of the pool as it would be. Sends nothing.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::SpotPoolUpdate;
    /// let update = SpotPoolUpdate { bid_price: Some("0.04".parse()?), ..Default::default() };
    /// let prepared = client.spot_pools().prepare_update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update, None, &SpendLimits::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_update(
        self,
        name: &str,
        update: &SpotPoolUpdate,
        org: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedUpdate<SpotNodePool>> {
        let patch = update.to_patch()?;
        let current = self.get(name, org).await?;
        let spec = current.spec.clone().unwrap_or_default();
        let mut concerns = Vec::new();
        if update.bid_price.is_some() || update.common.desired.is_some() {
            let class = checks::class(self.0, spec.server_class.as_deref()).await?;
            if let Some(bid) = update.bid_price {
                guard::check_floor(bid, &class)?;
            }
            let bid = update.bid_price.or_else(|| {
                spec.bid_price
                    .as_deref()
                    .and_then(|b| b.parse::<Bid>().ok())
            });
            let desired = update
                .common
                .desired
                .unwrap_or_else(|| checks::count(spec.desired));
            concerns = match bid {
                Some(bid) => guard::assess_spot(bid, desired, &class, limits),
                None => guard::assess_on_demand(desired, &class, limits),
            };
            concerns.retain(|c| {
                changed(
                    c,
                    update.bid_price.is_some(),
                    update.common.desired.is_some(),
                )
            });
        }
        Ok(PreparedUpdate {
            namespace: self.0.namespace(org).await?,
            patch,
            current,
            concerns,
        })
    }

    /// Sends a prepared update.
    pub async fn send_update(
        self,
        name: &str,
        prepared: PreparedUpdate<SpotNodePool>,
    ) -> Result<SpotNodePool> {
        let body = prepared.patch.to_raw()?;
        let b = self.0.raw.patch_spot_node_pool();
        call(
            b.namespace(prepared.namespace).name(name).body(body).send(),
            "spot node pool",
            name,
        )
        .await
    }

    /// Updates only the fields given (concerns unchecked; see [`SpotPools::prepare_update`]).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolUpdate;
    /// let update = SpotPoolUpdate { bid_price: Some("0.04".parse()?), ..Default::default() }; // desired etc. untouched
    /// client.spot_pools().update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        self,
        name: &str,
        update: &SpotPoolUpdate,
        org: Option<&str>,
    ) -> Result<SpotNodePool> {
        let prepared = self
            .prepare_update(name, update, org, &SpendLimits::default())
            .await?;
        self.send_update(name, prepared).await
    }

    /// Re-reads the pool (uncached) and lists where the server holds something other than
    /// what was sent.
    pub async fn verify(
        self,
        name: &str,
        bid: Option<Bid>,
        desired: Option<u32>,
        org: Option<&str>,
    ) -> Result<Vec<Mismatch>> {
        let client = self.0.without_cache();
        let pool = SpotPools(&client).get(name, org).await?;
        let spec = pool.spec.unwrap_or_default();
        Ok(checks::compare(
            bid,
            spec.bid_price.as_deref(),
            desired,
            spec.desired,
        ))
    }
}

impl OnDemandPools<'_> {
    /// Checks `req` against the server and returns the body a create sends, with its concerns.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::OnDemandPoolCreate;
    /// let req = OnDemandPoolCreate::new("demo", "ch.vs1.xlarge-dfw", 1);
    /// let prepared = client.ondemand_pools().prepare_create(&req, None, &SpendLimits::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        self,
        req: &OnDemandPoolCreate,
        org: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<OnDemandNodePool>> {
        req.validate()?;
        let c = &req.common;
        let class = checks::placement(self.0, &c.cloudspace, &c.server_class, org).await?;
        let namespace = self.0.namespace(org).await?;
        let body = c.on_demand_body(&c.name_or_generated(), &namespace);
        let concerns = guard::assess_on_demand(c.desired, &class, limits);
        Ok(PreparedCreate {
            namespace,
            body,
            class,
            concerns,
        })
    }

    /// Sends a prepared create.
    pub async fn send_create(
        self,
        prepared: PreparedCreate<OnDemandNodePool>,
    ) -> Result<OnDemandNodePool> {
        let name = super::name_of(prepared.body.metadata.as_ref()).to_string();
        let b = self.0.raw.create_on_demand_node_pool();
        call(
            b.namespace(prepared.namespace).body(prepared.body).send(),
            "on-demand node pool",
            &name,
        )
        .await
    }

    /// Creates an on-demand pool.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::OnDemandPoolCreate;
    /// let pool = client.ondemand_pools().create(&OnDemandPoolCreate::new("demo", "ch.vs1.xlarge-dfw", 1), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(
        self,
        req: &OnDemandPoolCreate,
        org: Option<&str>,
    ) -> Result<OnDemandNodePool> {
        let prepared = self
            .prepare_create(req, org, &SpendLimits::default())
            .await?;
        self.send_create(prepared).await
    }

    /// Checks an update against the pool and its class; lists its concerns. Sends nothing.
    pub async fn prepare_update(
        self,
        name: &str,
        update: &OnDemandPoolUpdate,
        org: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedUpdate<OnDemandNodePool>> {
        let patch = update.to_patch()?;
        let current = self.get(name, org).await?;
        let mut concerns = Vec::new();
        if let Some(desired) = update.desired {
            let spec = current.spec.clone().unwrap_or_default();
            let class = checks::class(self.0, spec.server_class.as_deref()).await?;
            concerns = guard::assess_on_demand(desired, &class, limits);
        }
        Ok(PreparedUpdate {
            namespace: self.0.namespace(org).await?,
            patch,
            current,
            concerns,
        })
    }

    /// Sends a prepared update.
    pub async fn send_update(
        self,
        name: &str,
        prepared: PreparedUpdate<OnDemandNodePool>,
    ) -> Result<OnDemandNodePool> {
        let body = prepared.patch.to_raw()?;
        let b = self.0.raw.patch_on_demand_node_pool();
        call(
            b.namespace(prepared.namespace).name(name).body(body).send(),
            "on-demand node pool",
            name,
        )
        .await
    }

    /// Updates only the fields given.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::OnDemandPoolUpdate;
    /// let update = OnDemandPoolUpdate { desired: Some(2), ..Default::default() };
    /// client.ondemand_pools().update("5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13", &update, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        self,
        name: &str,
        update: &OnDemandPoolUpdate,
        org: Option<&str>,
    ) -> Result<OnDemandNodePool> {
        let prepared = self
            .prepare_update(name, update, org, &SpendLimits::default())
            .await?;
        self.send_update(name, prepared).await
    }

    /// Re-reads the pool (uncached) and lists where the server holds another desired count.
    pub async fn verify(
        self,
        name: &str,
        desired: Option<u32>,
        org: Option<&str>,
    ) -> Result<Vec<Mismatch>> {
        let client = self.0.without_cache();
        let pool = OnDemandPools(&client).get(name, org).await?;
        let spec = pool.spec.unwrap_or_default();
        Ok(checks::compare(None, None, desired, spec.desired))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::types::ObjectMeta;

    #[test]
    fn membership_prefers_the_label() {
        let labelled = |cs: &str| ObjectMeta {
            labels: [(CLOUDSPACE_LABEL.to_string(), cs.to_string())].into(),
            ..ObjectMeta::default()
        };
        assert!(belongs(Some(&labelled("a")), Some("b"), "a"));
        assert!(!belongs(Some(&labelled("b")), Some("a"), "a"));
        assert!(belongs(None, Some("a"), "a"));
        assert!(!belongs(None, None, "a"));
    }
}
