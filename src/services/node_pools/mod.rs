//! Spot and on-demand node pools of a cloudspace.
//!
//! Pool names are lowercase UUIDs (generated when not given). Creates and updates are checked
//! locally first (name, counts `min ≤ desired ≤ max`, the bid's format through [`Bid`](crate::pricing::Bid)), then
//! against the server's data: the class exists, is in the cloudspace's region, and the bid is at
//! least its floor. What may cost more than meant (a bid above on-demand, more nodes than
//! available, a monthly cost over the limit, an off-ladder bid) comes back as
//! [`Concern`]s for the caller to confirm: `prepare_*` computes, `send_*` sends.

mod checks;
mod kind;
mod requests;

use std::time::Duration;

use crate::error::Result;

use crate::pricing::guard::{self, Concern, SpendLimits};
use crate::pricing::view::ClassInput;
use crate::raw::types::{OnDemandNodePool, SpotNodePool};
use crate::resource::{Api, Kind};

pub use checks::Mismatch;
pub use kind::{AutoscalingState, NodePoolKind, PoolFacts, PoolRequest, Sent};
pub use requests::Autoscaling;
pub(crate) use requests::merge_patch;
pub use requests::{
    AutoscalingPatch, OnDemandPoolCreate, OnDemandPoolUpdate, PoolCommon, PoolPatch, PoolSpecPatch,
    PoolUpdate, SpotPoolCreate, SpotPoolUpdate, Taint,
};

/// Default wait for a pool to be fulfilled.
pub const DEFAULT_FULFILLED_TIMEOUT: Duration = Duration::from_secs(30 * 60);

pub use crate::resource::CLOUDSPACE_LABEL;

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

/// Spot node pools: [`Api`] over [`SpotNodePool`] (`client.spot_pools()`, `org.spot_pools()`).
pub type SpotPools<'a> = Api<'a, SpotNodePool>;

/// On-demand node pools: [`Api`] over [`OnDemandNodePool`].
pub type OnDemandPools<'a> = Api<'a, OnDemandNodePool>;

/// Whether a concern is about what an update changes (an unchanged bid or count was accepted
/// before; the monthly cost is about both).
fn changed(c: &Concern, bid_changed: bool, desired_changed: bool) -> bool {
    match c {
        Concern::BidAboveOnDemand { .. } | Concern::OffLadder { .. } => bid_changed,
        Concern::DesiredAboveAvailable { .. } => desired_changed,
        Concern::MonthlyOverLimit { .. } => true,
    }
}

/// What both kinds of pool check before a create: the class is placeable in the cloudspace
/// (or, for a cloudspace not created yet, in `region`); `body_and_concerns` (given the class,
/// the pool's name and the namespace) checks what the kind adds and builds the body.
async fn prepare_create<K: Kind, T>(
    api: &Api<'_, K>,
    c: &PoolCommon,
    region: Option<&str>,
    body_and_concerns: impl FnOnce(&ClassInput, &str, &str) -> Result<(T, Vec<Concern>)>,
) -> Result<PreparedCreate<T>> {
    let class = match region {
        Some(region) => checks::placement_in_region(api.client(), region, &c.server_class).await?,
        None => checks::placement(api.org(), &c.cloudspace, &c.server_class).await?,
    };
    let namespace = api.namespace().await?;
    let (body, concerns) = body_and_concerns(&class, &c.name_or_generated(), &namespace)?;
    Ok(PreparedCreate {
        namespace,
        body,
        class,
        concerns,
    })
}

impl<K: NodePoolKind> Api<'_, K> {
    /// Sends a prepared create.
    pub async fn send_create(&self, prepared: PreparedCreate<K>) -> Result<K> {
        K::send_create(self.client(), &prepared.namespace, prepared.body).await
    }

    /// Sends a prepared update of a node pool: its merge patch.
    pub async fn send_update(&self, name: &str, prepared: PreparedUpdate<K>) -> Result<K> {
        K::send_patch(
            self.client(),
            &prepared.namespace,
            name,
            prepared.patch.to_raw()?,
        )
        .await
    }

    /// Creates a pool (a lowercase UUID name is generated unless given). Concerns are not
    /// checked here: see `prepare_create` to see them first.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolCreate;
    /// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02".parse::<rsspot::pricing::Bid>()?).autoscaling(2, 4);
    /// let pool = client.spot_pools().create(&req).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, req: &K::Create) -> Result<K> {
        // Boxed: the caller's future holds a pointer, not this one's deep state machine (whose
        // layout, nested in a caller's, passed rustc's query depth limit).
        Box::pin(async move {
            let prepared = K::prepare_create(self, req, &SpendLimits::default()).await?;
            self.send_create(prepared).await
        })
        .await
    }

    /// Updates only the fields given (concerns unchecked: see `prepare_update`).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolUpdate;
    /// let update = SpotPoolUpdate::new().bid("0.04".parse::<rsspot::pricing::Bid>()?); // the rest untouched
    /// client.spot_pools().update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, name: &str, update: &K::Update) -> Result<K> {
        let prepared = K::prepare_update(self, name, update, &SpendLimits::default()).await?;
        self.send_update(name, prepared).await
    }

    async fn prepared_update(
        &self,
        patch: PoolPatch,
        current: K,
        concerns: Vec<Concern>,
    ) -> Result<PreparedUpdate<K>> {
        Ok(PreparedUpdate {
            namespace: self.namespace().await?,
            patch,
            current,
            concerns,
        })
    }
}

impl Api<'_, SpotNodePool> {
    /// Checks `req` against the server (class exists, same region, bid ≥ floor), builds the
    /// exact body and lists the [`Concern`]s under `limits`. Sends nothing.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::SpotPoolCreate;
    /// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02".parse::<rsspot::pricing::Bid>()?);
    /// let prepared = client.spot_pools().prepare_create(&req, &SpendLimits::default()).await?;
    /// for concern in &prepared.concerns {
    ///     eprintln!("note: {concern}");
    /// }
    /// let pool = client.spot_pools().send_create(prepared).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        &self,
        req: &SpotPoolCreate,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<SpotNodePool>> {
        self.prepare_create_in(req, None, limits).await
    }

    /// [`SpotPools::prepare_create`] for a pool of a cloudspace not created yet: the class is
    /// checked against `region` (the cloudspace's, when `None`). Sends nothing.
    pub async fn prepare_create_in(
        &self,
        req: &SpotPoolCreate,
        region: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<SpotNodePool>> {
        req.validate()?;
        let c = &req.common;
        prepare_create(self, c, region, |class, name, namespace| {
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
    /// let prepared = client.spot_pools().prepare_update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update, &SpendLimits::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_update(
        &self,
        name: &str,
        update: &SpotPoolUpdate,
        limits: &SpendLimits,
    ) -> Result<PreparedUpdate<SpotNodePool>> {
        let patch = update.to_patch()?;
        let current = self.get(name).await?;
        let spec = current.spec.clone();
        let mut concerns = Vec::new();
        if update.bid_price.is_some() || update.common.desired.is_some() {
            let class = checks::class(self.client(), &spec.server_class).await?;
            if let Some(bid) = update.bid_price {
                guard::check_floor(bid, &class)?;
            }
            let bid = update.bid_price.or(spec.bid_price);
            let desired = update.common.desired.unwrap_or(spec.desired.unwrap_or(0));
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
        self.prepared_update(patch, current, concerns).await
    }
}

impl Api<'_, OnDemandNodePool> {
    /// Checks `req` against the server and returns the body a create sends, with its concerns.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::OnDemandPoolCreate;
    /// let req = OnDemandPoolCreate::new("demo", "ch.vs1.xlarge-dfw", 1);
    /// let prepared = client.ondemand_pools().prepare_create(&req, &SpendLimits::default()).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        &self,
        req: &OnDemandPoolCreate,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<OnDemandNodePool>> {
        self.prepare_create_in(req, None, limits).await
    }

    /// [`OnDemandPools::prepare_create`] for a pool of a cloudspace not created yet: the class
    /// is checked against `region` (the cloudspace's, when `None`). Sends nothing.
    pub async fn prepare_create_in(
        &self,
        req: &OnDemandPoolCreate,
        region: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<OnDemandNodePool>> {
        req.validate()?;
        let c = &req.common;
        prepare_create(self, c, region, |class, name, namespace| {
            Ok((
                c.on_demand_body(name, namespace),
                guard::assess_on_demand(c.desired, class, limits),
            ))
        })
        .await
    }

    /// Checks an update against the pool and its class; lists its concerns. Sends nothing.
    pub async fn prepare_update(
        &self,
        name: &str,
        update: &OnDemandPoolUpdate,
        limits: &SpendLimits,
    ) -> Result<PreparedUpdate<OnDemandNodePool>> {
        let patch = update.to_patch()?;
        let current = self.get(name).await?;
        let mut concerns = Vec::new();
        if let Some(desired) = update.desired {
            let spec = current.spec.clone();
            let class = checks::class(self.client(), &spec.server_class).await?;
            concerns = guard::assess_on_demand(desired, &class, limits);
        }
        self.prepared_update(patch, current, concerns).await
    }
}
