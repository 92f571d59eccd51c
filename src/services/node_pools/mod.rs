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

use super::wait::{Poll, WaitOptions, poll_uncached};
use super::{call, in_org};
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
                in_org!(self, org, $delete.name(name), $kind, name).map(|_| ())
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
                let what = format!("{} {name}", $kind);
                poll_uncached(self.0, &what, "Fulfilled", opts, |client| {
                    async move {
                        let p = $service(&client).get(name, org).await?;
                        let desired = p.spec.as_ref().and_then(|s| s.desired).unwrap_or(0);
                        let st = p.status.clone().unwrap_or_default();
                        let phase = st.$phase.unwrap_or_else(|| "Pending".into());
                        let got = st.$count.unwrap_or(0);
                        let progress = format!("{got}/{desired} nodes");
                        Ok(Poll::ready_when(phase == "Fulfilled" && got >= desired, p, phase, progress))
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

/// What both kinds of pool check before a create: the class is placeable in the cloudspace
/// (or, for a cloudspace not created yet, in `region`); `body_and_concerns` (given the class, the pool's name and the namespace) checks what the
/// kind adds and builds the body.
async fn prepare_create<T>(
    client: &SpotClient,
    c: &PoolCommon,
    region: Option<&str>,
    org: Option<&str>,
    body_and_concerns: impl FnOnce(&ClassInput, &str, &str) -> Result<(T, Vec<Concern>)>,
) -> Result<PreparedCreate<T>> {
    let class = match region {
        Some(region) => checks::placement_in_region(client, region, &c.server_class).await?,
        None => checks::placement(client, &c.cloudspace, &c.server_class, org).await?,
    };
    let namespace = client.namespace(org).await?;
    let (body, concerns) = body_and_concerns(&class, &c.name_or_generated(), &namespace)?;
    Ok(PreparedCreate {
        namespace,
        body,
        class,
        concerns,
    })
}

impl<T> PreparedUpdate<T> {
    async fn new(
        client: &SpotClient,
        org: Option<&str>,
        patch: PoolPatch,
        current: T,
        concerns: Vec<Concern>,
    ) -> Result<Self> {
        Ok(PreparedUpdate {
            namespace: client.namespace(org).await?,
            patch,
            current,
            concerns,
        })
    }
}

/// The sending half of creates and updates, the same for both kinds of pool: `prepare_*`
/// (which differ: only spot pools have a bid) computes, these send.
macro_rules! pool_writes {
    (
        $service:ident, $accessor:literal, $ty:ty, $kind:literal, $create_req:ident,
        $update_req:ident, $create_op:ident, $patch_op:ident, $example:literal,
        $create_example:literal, $update_example:literal
    ) => {
        impl $service<'_> {
            /// Sends a prepared create.
            pub async fn send_create(self, prepared: PreparedCreate<$ty>) -> Result<$ty> {
                let name = super::name_of(prepared.body.metadata.as_ref()).to_string();
                let b = self.0.raw.$create_op();
                call(b.namespace(prepared.namespace).body(prepared.body).send(), $kind, &name).await
            }

            #[doc = concat!(
                "Creates a ", $kind, " (a lowercase UUID name is generated unless given). ",
                "Concerns are not checked here: use [`", stringify!($service),
                "::prepare_create`] to see them first."
            )]
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            #[doc = concat!("use rsspot::services::", stringify!($create_req), ";")]
            #[doc = concat!("let req = ", $create_example, ";")]
            #[doc = concat!("let pool = client.", $accessor, "().create(&req, None).await?;")]
            /// # Ok(()) }
            /// ```
            pub async fn create(self, req: &$create_req, org: Option<&str>) -> Result<$ty> {
                let prepared = self
                    .prepare_create(req, org, &SpendLimits::default())
                    .await?;
                self.send_create(prepared).await
            }

            /// Sends a prepared update.
            pub async fn send_update(self, name: &str, prepared: PreparedUpdate<$ty>) -> Result<$ty> {
                let body = prepared.patch.to_raw()?;
                let b = self.0.raw.$patch_op();
                call(b.namespace(prepared.namespace).name(name).body(body).send(), $kind, name).await
            }

            #[doc = concat!(
                "Updates only the fields given (concerns unchecked; see [`",
                stringify!($service), "::prepare_update`])."
            )]
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            #[doc = concat!("use rsspot::services::", stringify!($update_req), ";")]
            #[doc = concat!("let update = ", $update_example, "; // the rest untouched")]
            #[doc = concat!("client.", $accessor, "().update(\"", $example, "\", &update, None).await?;")]
            /// # Ok(()) }
            /// ```
            pub async fn update(self, name: &str, update: &$update_req, org: Option<&str>) -> Result<$ty> {
                let prepared = self
                    .prepare_update(name, update, org, &SpendLimits::default())
                    .await?;
                self.send_update(name, prepared).await
            }
        }
    };
}

pool_writes!(
    SpotPools,
    "spot_pools",
    SpotNodePool,
    "spot node pool",
    SpotPoolCreate,
    SpotPoolUpdate,
    create_spot_node_pool,
    patch_spot_node_pool,
    "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c",
    "SpotPoolCreate::new(\"demo\", \"gp.vs1.medium-dfw\", 2, \"0.02\".parse::<rsspot::pricing::Bid>()?).autoscaling(2, 4).label(\"team\", \"ml\")",
    "SpotPoolUpdate { bid_price: Some(\"0.04\".parse()?), ..Default::default() }"
);
pool_writes!(
    OnDemandPools,
    "ondemand_pools",
    OnDemandNodePool,
    "on-demand node pool",
    OnDemandPoolCreate,
    OnDemandPoolUpdate,
    create_on_demand_node_pool,
    patch_on_demand_node_pool,
    "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13",
    "OnDemandPoolCreate::new(\"demo\", \"ch.vs1.xlarge-dfw\", 1)",
    "OnDemandPoolUpdate { desired: Some(2), ..Default::default() }"
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
        self.prepare_create_in(req, None, org, limits).await
    }

    /// [`SpotPools::prepare_create`] for a pool of a cloudspace not created yet: the class is
    /// checked against `region` (the cloudspace's, when `None`). Sends nothing.
    pub async fn prepare_create_in(
        self,
        req: &SpotPoolCreate,
        region: Option<&str>,
        org: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<SpotNodePool>> {
        req.validate()?;
        let c = &req.common;
        prepare_create(self.0, c, region, org, |class, name, namespace| {
            guard::check_floor(req.bid_price, class)?;
            Ok((
                c.spot_body(name, namespace, req.bid_price),
                guard::assess_spot(req.bid_price, c.desired, class, limits),
            ))
        })
        .await
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
        PreparedUpdate::new(self.0, org, patch, current, concerns).await
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
        self.prepare_create_in(req, None, org, limits).await
    }

    /// [`OnDemandPools::prepare_create`] for a pool of a cloudspace not created yet: the class
    /// is checked against `region` (the cloudspace's, when `None`). Sends nothing.
    pub async fn prepare_create_in(
        self,
        req: &OnDemandPoolCreate,
        region: Option<&str>,
        org: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<OnDemandNodePool>> {
        req.validate()?;
        let c = &req.common;
        prepare_create(self.0, c, region, org, |class, name, namespace| {
            Ok((
                c.on_demand_body(name, namespace),
                guard::assess_on_demand(c.desired, class, limits),
            ))
        })
        .await
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
        PreparedUpdate::new(self.0, org, patch, current, concerns).await
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
