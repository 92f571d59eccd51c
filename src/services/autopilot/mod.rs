//! Autopilot node pools (`autopilotnodepools`): a vCPU target for a Kubernetes cloudspace that
//! the service packs exactly into child spot pools of the cheapest qualifying classes, bidding at
//! most `budgetPerHour` per node-hour (`status.allocations`). Shapes and rules are the official
//! SDK's (API-NOTES §9.4); progress is `managedVCPUs` against `targetVCPUs`, never a phase name.

mod requests;

pub use requests::{
    AllocationStrategy, AutopilotPoolCreate, AutopilotPoolUpdate, MemoryPerVcpu, check_budget,
};

use super::node_pools::{CLOUDSPACE_LABEL, merge_patch};
use super::wait::{Poll, WaitOptions, poll_uncached};
use super::{call, in_org};
use crate::SpotClient;
use crate::error::{Error, Result};
use crate::raw::types::AutopilotNodePool;

/// vCPUs won so far and vCPUs wanted (`status.managedVCPUs`, `status.targetVCPUs`; the target
/// falls back to `spec.vcpu.total` before the service has written a status).
pub fn vcpu_progress(pool: &AutopilotNodePool) -> (u64, u64) {
    let status = pool.status.as_ref();
    let managed = status.and_then(|s| s.managed_vcpus).unwrap_or(0);
    let target = status.and_then(|s| s.target_vcpus).or_else(|| {
        pool.spec
            .as_ref()
            .and_then(|s| s.vcpu.as_ref())
            .and_then(|v| v.total)
    });
    let clamp = |n: i64| u64::try_from(n).unwrap_or(0);
    (clamp(managed), clamp(target.unwrap_or(0)))
}

/// Whether every vCPU wanted is won (`managedVCPUs ≥ targetVCPUs > 0`).
pub fn is_allocated(pool: &AutopilotNodePool) -> bool {
    let (managed, target) = vcpu_progress(pool);
    target > 0 && managed >= target
}

/// `client.autopilot_pools()`.
#[derive(Clone, Copy)]
pub struct AutopilotPools<'a>(pub(crate) &'a SpotClient);

impl AutopilotPools<'_> {
    /// The autopilot pools of an org, optionally only those of one cloudspace.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let pools = client.autopilot_pools().list(Some("demo"), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(
        self,
        cloudspace: Option<&str>,
        org: Option<&str>,
    ) -> Result<Vec<AutopilotNodePool>> {
        let ns = self.0.namespace(org).await?;
        let mut b = self.0.raw.list_autopilot_node_pools().namespace(ns);
        if let Some(cs) = cloudspace {
            b = b.label_selector(format!("{CLOUDSPACE_LABEL}={cs}"));
        }
        let mut items = call(b.send(), "autopilot node pool", "").await?.items;
        if let Some(cs) = cloudspace {
            items.retain(|p| p.spec.as_ref().and_then(|s| s.cloud_space.as_deref()) == Some(cs));
        }
        Ok(items)
    }

    /// One autopilot pool.
    pub async fn get(self, name: &str, org: Option<&str>) -> Result<AutopilotNodePool> {
        in_org!(
            self,
            org,
            get_autopilot_node_pool.name(name),
            "autopilot node pool",
            name
        )
    }

    /// The region a pool of `req` is in: its cloudspace's (the service needs it in the spec
    /// and refuses to change it later); a region asked for must be that one. Without the
    /// cloudspace (`must_exist == false`, for a preview), the region asked for, else the
    /// profile's.
    async fn region_for(
        self,
        req: &AutopilotPoolCreate,
        org: Option<&str>,
        must_exist: bool,
    ) -> Result<String> {
        let home = match self.0.cloudspaces().get(&req.cloudspace, org).await {
            Ok(cs) => cs.spec.and_then(|s| s.region).filter(|r| !r.is_empty()),
            Err(Error::NotFound { name, .. }) if must_exist => {
                return Err(Error::invalid(
                    "cloudSpace",
                    format!("cloudspace {name:?} does not exist"),
                ));
            }
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        match (&req.region, home) {
            (Some(asked), Some(home)) if *asked != home => Err(Error::invalid(
                "region",
                format!(
                    "cloudspace {:?} is in {home}, not {asked}: an autopilot pool's region is its \
                     cloudspace's",
                    req.cloudspace
                ),
            )),
            (_, Some(home)) => Ok(home),
            (Some(asked), None) => Ok(asked.clone()),
            (None, None) => self.0.default_region().map(str::to_string).ok_or_else(|| {
                Error::invalid(
                    "region",
                    format!(
                        "cloudspace {:?} names no region and none was given",
                        req.cloudspace
                    ),
                )
            }),
        }
    }

    /// Checks the request (and that the cloudspace exists, in the region asked for) and builds
    /// the body, with the cloudspace's region. Sends nothing but reads.
    pub async fn prepare_create(
        self,
        req: &AutopilotPoolCreate,
        org: Option<&str>,
    ) -> Result<(String, AutopilotNodePool)> {
        req.validate()?;
        let region = self.region_for(req, org, true).await?;
        let ns = self.0.namespace(org).await?;
        let name = req
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = req.to_body(&name, &ns, &region);
        Ok((ns, body))
    }

    /// Estimates what the service would pack `req` into, from the region's server classes and
    /// their market prices (see [`crate::pricing::autopilot`]): classes, nodes per class, bid
    /// ceiling, expected cost, and why the other classes were left out. Sends nothing but reads.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::AutopilotPoolCreate;
    /// let req = AutopilotPoolCreate::new("demo", 16, "0.08".parse().unwrap());
    /// let p = client.autopilot_pools().preview(&req, None).await?;
    /// println!("{} classes, ${}/month (estimate)", p.classes.len(), p.monthly_usd);
    /// # Ok(()) }
    /// ```
    pub async fn preview(
        self,
        req: &AutopilotPoolCreate,
        org: Option<&str>,
    ) -> Result<crate::pricing::autopilot::AutopilotPreview> {
        req.validate()?;
        let region = self.region_for(req, org, false).await?;
        let filter = crate::services::ServerClassFilter {
            region: Some(region.clone()),
            ..Default::default()
        };
        let classes = self.0.server_classes().list(&filter).await?;
        let inputs: Vec<crate::pricing::class::ClassInput> =
            classes.iter().map(Into::into).collect();
        let spec = crate::pricing::autopilot::PackSpec {
            region,
            vcpu_total: req.vcpu_total,
            vcpu_per_node: req.vcpu_per_node,
            memory_per_vcpu_gb: req.memory_per_vcpu.gb(),
            ceiling: req.budget_per_hour,
        };
        Ok(crate::pricing::autopilot::preview(&spec, &inputs))
    }

    /// Creates an autopilot pool.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::AutopilotPoolCreate;
    /// let req = AutopilotPoolCreate::new("demo", 16, "0.08".parse().unwrap()).per_node(2, 8);
    /// let pool = client.autopilot_pools().create(&req, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(
        self,
        req: &AutopilotPoolCreate,
        org: Option<&str>,
    ) -> Result<AutopilotNodePool> {
        let (ns, body) = self.prepare_create(req, org).await?;
        let name = body
            .metadata
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or_default();
        let b = self
            .0
            .raw
            .create_autopilot_node_pool()
            .namespace(ns)
            .body(body);
        call(b.send(), "autopilot node pool", &name).await
    }

    /// Changes what `update` sets (a merge patch of only those fields; never `region` or
    /// `cloudSpace`).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::AutopilotPoolUpdate;
    /// let upd = AutopilotPoolUpdate::new().vcpu_total(32);
    /// client.autopilot_pools().update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &upd, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        self,
        name: &str,
        update: &AutopilotPoolUpdate,
        org: Option<&str>,
    ) -> Result<AutopilotNodePool> {
        update.validate()?;
        let ns = self.0.namespace(org).await?;
        let patch = merge_patch(&update.patch())?;
        let b = self
            .0
            .raw
            .patch_autopilot_node_pool()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), "autopilot node pool", name).await
    }

    /// Deletes an autopilot pool.
    pub async fn delete(self, name: &str, org: Option<&str>) -> Result<()> {
        in_org!(
            self,
            org,
            delete_autopilot_node_pool.name(name),
            "autopilot node pool",
            name
        )
        .map(|_| ())
    }

    /// Polls until every vCPU wanted is won (`managedVCPUs ≥ targetVCPUs`). The phase is
    /// shown as progress, never relied on: the service has not published its names.
    pub async fn wait_until_allocated(
        self,
        name: &str,
        org: Option<&str>,
        opts: &WaitOptions,
    ) -> Result<AutopilotNodePool> {
        let what = format!("autopilot node pool {name}");
        poll_uncached(self.0, &what, "allocated", opts, |client| async move {
            let p = AutopilotPools(&client).get(name, org).await?;
            let phase = p
                .status
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Pending".into());
            let (managed, target) = vcpu_progress(&p);
            let progress = format!("{managed}/{target} vCPUs");
            let done = is_allocated(&p);
            Ok(Poll::ready_when(done, p, phase, progress))
        })
        .await
    }
}
