//! A cloudspace created together with its node pools, as spotctl's `cloudspaces create
//! --spot-nodepool … --ondemand-nodepool …` does.
//!
//! Everything is checked before anything is sent: the cloudspace (name, region), each pool
//! against the region the cloudspace will have (class exists there, bid at least its floor), and
//! the name must be free, so that a rollback can only ever delete what this create made. Then
//! the cloudspace is created and each pool after it; when a pool fails, the pools sent so far and
//! the cloudspace are deleted again and the outcome says what failed and what was deleted.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::super::node_pools::PreparedCreate;
use crate::Bid;
use crate::error::{Error, Result};
use crate::pricing::guard::{SpendLimits, monthly_cost};
use crate::raw::types::{CloudSpace, OnDemandNodePool, SpotNodePool};
use crate::resource::{Api, Create};
use crate::services::{CloudSpaceCreate, OnDemandPoolCreate, SpotPoolCreate};

/// A cloudspace and the pools to create right after it.
///
/// ```
/// use rsspot::services::cloudspaces::CloudSpaceWithPools;
/// use rsspot::services::{CloudSpaceCreate, SpotPoolCreate};
/// let req = CloudSpaceWithPools::new(CloudSpaceCreate::new("demo").region("us-central-dfw-1"))
///     .spot_pool(SpotPoolCreate::new("", "gp.vs1.medium-dfw", 1, "0.08".parse::<rsspot::pricing::Bid>()?));
/// assert_eq!(req.spot_pools[0].common.cloudspace, "demo");
/// # Ok::<(), rsspot::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CloudSpaceWithPools {
    /// The cloudspace.
    pub cloudspace: CloudSpaceCreate,
    /// Spot pools (their cloudspace is set to the cloudspace's name).
    pub spot_pools: Vec<SpotPoolCreate>,
    /// On-demand pools (their cloudspace is set to the cloudspace's name).
    pub ondemand_pools: Vec<OnDemandPoolCreate>,
}

impl CloudSpaceWithPools {
    /// A cloudspace without pools yet.
    pub fn new(cloudspace: CloudSpaceCreate) -> Self {
        CloudSpaceWithPools {
            cloudspace,
            spot_pools: Vec::new(),
            ondemand_pools: Vec::new(),
        }
    }

    /// Adds a spot pool of this cloudspace.
    pub fn spot_pool(mut self, mut pool: SpotPoolCreate) -> Self {
        pool.common.cloudspace = self.cloudspace.name.clone();
        self.spot_pools.push(pool);
        self
    }

    /// Adds an on-demand pool of this cloudspace.
    pub fn ondemand_pool(mut self, mut pool: OnDemandPoolCreate) -> Self {
        pool.common.cloudspace = self.cloudspace.name.clone();
        self.ondemand_pools.push(pool);
        self
    }
}

/// Which kind an inline pool is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InlinePoolKind {
    /// A spot node pool.
    Spot,
    /// An on-demand node pool.
    OnDemand,
}

impl fmt::Display for InlinePoolKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InlinePoolKind::Spot => "spot pool",
            InlinePoolKind::OnDemand => "on-demand pool",
        })
    }
}

/// One pool of a create with pools: its kind, name and class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InlinePool {
    /// Spot or on-demand.
    pub kind: InlinePoolKind,
    /// The pool's name (a lowercase UUID).
    pub name: String,
    /// Its server class.
    pub server_class: String,
}

impl fmt::Display for InlinePool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.kind, self.name, self.server_class)
    }
}

/// A create with pools checked against the server, ready for
/// [`Api::send_create_with_pools`].
#[derive(Debug, Clone)]
pub struct PreparedCloudSpace {
    /// The org namespace.
    pub namespace: String,
    /// The cloudspace body.
    pub body: CloudSpace,
    /// The spot pools, checked, with their bodies and concerns.
    pub spot_pools: Vec<PreparedCreate<SpotNodePool>>,
    /// The on-demand pools, checked, with their bodies and concerns.
    pub ondemand_pools: Vec<PreparedCreate<OnDemandNodePool>>,
}

impl PreparedCloudSpace {
    /// The cloudspace's name.
    pub fn name(&self) -> &str {
        self.body.metadata.name.as_str()
    }

    /// Every pool, spot pools first, in the order they are created.
    pub fn pools(&self) -> Vec<InlinePool> {
        let spot = self.spot_pools.iter().map(|p| InlinePool {
            kind: InlinePoolKind::Spot,
            name: p.body.metadata.name.clone(),
            server_class: p.body.spec.server_class.clone(),
        });
        let ondemand = self.ondemand_pools.iter().map(|p| InlinePool {
            kind: InlinePoolKind::OnDemand,
            name: p.body.metadata.name.clone(),
            server_class: p.body.spec.server_class.clone(),
        });
        spot.chain(ondemand).collect()
    }

    /// What the pools together cost per month (730 h): spot pools at their bid, on-demand pools
    /// at the class's on-demand price.
    pub fn monthly_cost(&self) -> Decimal {
        let spot: Decimal = self
            .spot_pools
            .iter()
            .map(|p| {
                let spec = &p.body.spec;
                let bid = spec.bid_price.map(Bid::value).unwrap_or_default();
                monthly_cost(bid, spec.desired.unwrap_or(0))
            })
            .sum();
        let ondemand: Decimal = self
            .ondemand_pools
            .iter()
            .map(|p| {
                let desired = p.body.spec.desired;
                monthly_cost(p.class.on_demand.unwrap_or_default(), desired.unwrap_or(0))
            })
            .sum();
        spot + ondemand
    }
}

/// What a create with pools made.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedCloudSpace {
    /// The cloudspace as created.
    pub cloudspace: CloudSpace,
    /// The spot pools as created.
    #[serde(rename = "spotnodepools")]
    pub spot_pools: Vec<SpotNodePool>,
    /// The on-demand pools as created.
    #[serde(rename = "ondemandnodepools")]
    pub ondemand_pools: Vec<OnDemandNodePool>,
}

/// One object a rollback deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolledBackObject {
    /// `spot pool`, `on-demand pool`, `autopilot pool` or `cloudspace`.
    pub kind: String,
    /// Its name.
    pub name: String,
}

/// What a rollback deleted, and what it could not.
#[derive(Debug, Default)]
pub struct Rollback {
    /// Deleted objects, pools first, the cloudspace last.
    pub deleted: Vec<RolledBackObject>,
    /// Objects that may remain, with the reason the delete failed.
    pub failed: Vec<(RolledBackObject, Error)>,
}

impl Rollback {
    fn deleted(&mut self, kind: &str, name: &str) {
        let obj = RolledBackObject {
            kind: kind.to_string(),
            name: name.to_string(),
        };
        if !self.deleted.contains(&obj) {
            self.deleted.push(obj);
        }
    }

    fn result(&mut self, kind: &str, name: &str, r: Result<()>) {
        match r {
            Ok(()) => self.deleted(kind, name),
            Err(Error::NotFound { .. }) => {}
            Err(e) => self.failed.push((
                RolledBackObject {
                    kind: kind.to_string(),
                    name: name.to_string(),
                },
                e,
            )),
        }
    }
}

/// A create with pools whose pool failed and that was rolled back.
#[derive(Debug)]
pub struct RolledBackCreate {
    /// The pool whose create failed.
    pub pool: InlinePool,
    /// The server's (or the transport's) reason.
    pub error: Error,
    /// What the rollback deleted.
    pub rollback: Rollback,
}

/// How [`Api::send_create_with_pools`] ended.
#[derive(Debug)]
pub enum CreateOutcome {
    /// Everything was created.
    Created(Box<CreatedCloudSpace>),
    /// A pool failed; what was created is deleted again.
    RolledBack(Box<RolledBackCreate>),
}

impl Api<'_, CloudSpace> {
    /// Checks the cloudspace and every pool against the server (the pools against the
    /// cloudspace's region, since it does not exist yet) and builds every body. Sends nothing.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::cloudspaces::CloudSpaceWithPools;
    /// use rsspot::services::{CloudSpaceCreate, OnDemandPoolCreate};
    /// let req = CloudSpaceWithPools::new(CloudSpaceCreate::new("demo").region("us-central-dfw-1"))
    ///     .ondemand_pool(OnDemandPoolCreate::new("", "gp.vs1.medium-dfw", 1));
    /// let prepared = client.cloudspaces().prepare_create_with_pools(&req, &SpendLimits::default()).await?;
    /// println!("about ${} per month", prepared.monthly_cost());
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create_with_pools(
        &self,
        req: &CloudSpaceWithPools,
        limits: &SpendLimits,
    ) -> Result<PreparedCloudSpace> {
        let (namespace, body) = self.prepare_create(&req.cloudspace).await?;
        let region = body.spec.region.clone();
        let name = req.cloudspace.name.clone();
        let mut spot_pools = Vec::with_capacity(req.spot_pools.len());
        for pool in &req.spot_pools {
            let mut pool = pool.clone();
            pool.common.cloudspace = name.clone();
            let p = self.org.spot_pools();
            spot_pools.push(p.prepare_create_in(&pool, Some(&region), limits).await?);
        }
        let mut ondemand_pools = Vec::with_capacity(req.ondemand_pools.len());
        for pool in &req.ondemand_pools {
            let mut pool = pool.clone();
            pool.common.cloudspace = name.clone();
            let p = self.org.ondemand_pools();
            ondemand_pools.push(p.prepare_create_in(&pool, Some(&region), limits).await?);
        }
        Ok(PreparedCloudSpace {
            namespace,
            body,
            spot_pools,
            ondemand_pools,
        })
    }

    /// Creates the cloudspace, then each pool. A cloudspace name already taken is refused
    /// before anything is sent (`Conflict`), so a rollback never deletes a cloudspace that was
    /// there before. When a pool fails, the pools sent so far (created or not: a create whose
    /// answer was lost may have been carried out) and the cloudspace are deleted again.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient, prepared: rsspot::services::cloudspaces::PreparedCloudSpace) -> rsspot::Result<()> {
    /// use rsspot::services::cloudspaces::CreateOutcome;
    /// match client.cloudspaces().send_create_with_pools(prepared).await? {
    ///     CreateOutcome::Created(made) => println!("{} pools", made.spot_pools.len()),
    ///     CreateOutcome::RolledBack(r) => eprintln!("{} failed: {}", r.pool, r.error),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn send_create_with_pools(
        &self,
        prepared: PreparedCloudSpace,
    ) -> Result<CreateOutcome> {
        let name = prepared.name().to_string();
        self.ensure_name_free(&name).await?;
        let pools = prepared.pools();
        let cloudspace =
            CloudSpace::send_create(self.client(), &prepared.namespace, prepared.body).await?;
        let mut made = CreatedCloudSpace {
            cloudspace,
            spot_pools: Vec::new(),
            ondemand_pools: Vec::new(),
        };
        let mut sent = 0;
        let mut failure = None;
        for pool in prepared.spot_pools {
            sent += 1;
            match self.org.spot_pools().send_create(pool).await {
                Ok(p) => made.spot_pools.push(p),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        if failure.is_none() {
            for pool in prepared.ondemand_pools {
                sent += 1;
                match self.org.ondemand_pools().send_create(pool).await {
                    Ok(p) => made.ondemand_pools.push(p),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        let Some(error) = failure else {
            return Ok(CreateOutcome::Created(Box::new(made)));
        };
        let sent = &pools[..sent];
        let rollback = self.rollback_create(&name, sent).await?;
        Ok(CreateOutcome::RolledBack(Box::new(RolledBackCreate {
            pool: sent[sent.len() - 1].clone(),
            error,
            rollback,
        })))
    }

    /// Refuses (`Conflict`) a cloudspace name already taken (uncached read): call it before
    /// anything that may roll back, so that a rollback only ever deletes what it made.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// client.cloudspaces().ensure_name_free("demo").await?;
    /// # Ok(()) }
    /// ```
    pub async fn ensure_name_free(&self, name: &str) -> Result<()> {
        let client = self.client().without_cache();
        match self.org.on(&client).cloudspaces().get(name).await {
            Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
            Ok(_) => Err(Error::Conflict {
                reason: crate::error::ConflictReason::AlreadyExists,
                message: format!(
                    "cloudspace {name} already exists: pick another name, or delete it first"
                ),
            }),
        }
    }

    /// Deletes what a create with pools made (or may have made): each pool by name (gone
    /// already is fine), the cloudspace with any pool listed under it, then the pools once
    /// more, since a pool create still in flight may land after the first pass. Best effort:
    /// what could not be deleted is listed in [`Rollback::failed`] (the result is always `Ok`).
    ///
    /// Only for a cloudspace this create made: the name must have been free before (see
    /// [`Api::send_create_with_pools`]).
    pub async fn rollback_create(&self, name: &str, pools: &[InlinePool]) -> Result<Rollback> {
        let client = self.client().without_cache();
        let org = self.org.on(&client);
        let mut out = Rollback::default();
        for pass in 0..2 {
            for pool in pools {
                let r = match pool.kind {
                    InlinePoolKind::Spot => org.spot_pools().delete(&pool.name).await,
                    InlinePoolKind::OnDemand => org.ondemand_pools().delete(&pool.name).await,
                };
                out.result(&pool.kind.to_string(), &pool.name, r);
            }
            if pass == 1 {
                break;
            }
            match org.cloudspaces().delete_with_pools(name).await {
                Ok(t) => {
                    let listed = t
                        .autopilot_pools
                        .iter()
                        .map(|p| ("autopilot pool", p))
                        .chain(t.spot_pools.iter().map(|p| ("spot pool", p)))
                        .chain(t.ondemand_pools.iter().map(|p| ("on-demand pool", p)));
                    for (kind, pool) in listed {
                        out.deleted(kind, pool);
                    }
                    out.deleted("cloudspace", name);
                }
                r => out.result("cloudspace", name, r.map(|_| ())),
            }
        }
        // The cloudspace goes last in the report, as it went last on the server.
        out.deleted.sort_by_key(|o| o.kind == "cloudspace");
        Ok(out)
    }
}
