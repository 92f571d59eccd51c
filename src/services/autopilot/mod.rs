//! Autopilot node pools (`autopilotnodepools`): a vCPU target for a Kubernetes cloudspace that
//! the service packs exactly into child spot pools of the cheapest qualifying classes, bidding at
//! most `budgetPerHour` per node-hour (`status.allocations`). Shapes and rules are the official
//! SDK's (API-NOTES §9.4); progress is `managedVCPUs` against `targetVCPUs`, never a phase name.

pub(crate) mod progress;
mod requests;

pub use progress::{is_allocated, vcpu_progress};
pub use requests::{
    AllocationStrategy, AutopilotPoolCreate, AutopilotPoolUpdate, MemoryPerVcpu, check_budget,
};

use crate::error::{Error, Result};
use crate::raw::types::AutopilotNodePool;
use crate::resource::{Api, Create};

/// Autopilot node pools: [`Api`] over [`AutopilotNodePool`] (`client.autopilot_pools()`,
/// `org.autopilot_pools()`).
pub type AutopilotPools<'a> = Api<'a, AutopilotNodePool>;

impl Api<'_, AutopilotNodePool> {
    /// The region a pool of `req` is in: its cloudspace's (the service needs it in the spec
    /// and refuses to change it later); a region asked for must be that one. Without the
    /// cloudspace (`must_exist == false`, for a preview), the region asked for, else the
    /// profile's.
    async fn region_for(&self, req: &AutopilotPoolCreate, must_exist: bool) -> Result<String> {
        let home = match self.org.cloudspaces().get(&req.cloudspace).await {
            Ok(cs) => Some(cs.spec.region).filter(|r| !r.is_empty()),
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
            (None, None) => self
                .client()
                .default_region()
                .map(str::to_string)
                .ok_or_else(|| {
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
        &self,
        req: &AutopilotPoolCreate,
    ) -> Result<(String, AutopilotNodePool)> {
        req.validate()?;
        let region = self.region_for(req, true).await?;
        let ns = self.namespace().await?;
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
    /// let p = client.autopilot_pools().preview(&req).await?;
    /// println!("{} classes, ${}/month (estimate)", p.classes.len(), p.monthly_usd);
    /// # Ok(()) }
    /// ```
    pub async fn preview(
        &self,
        req: &AutopilotPoolCreate,
    ) -> Result<crate::pricing::autopilot::AutopilotPreview> {
        req.validate()?;
        let region = self.region_for(req, false).await?;
        let filter = crate::services::ServerClassFilter {
            region: Some(region.clone()),
            ..Default::default()
        };
        let classes = self.client().server_classes().list(&filter).await?;
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
    /// let pool = client.autopilot_pools().create(&req).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, req: &AutopilotPoolCreate) -> Result<AutopilotNodePool> {
        let (ns, body) = self.prepare_create(req).await?;
        AutopilotNodePool::send_create(self.client(), &ns, body).await
    }

    /// Changes what `update` sets (a merge patch of only those fields; never `region` or
    /// `cloudSpace`).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::AutopilotPoolUpdate;
    /// let upd = AutopilotPoolUpdate::new().vcpu_total(32);
    /// client.autopilot_pools().update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &upd).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        &self,
        name: &str,
        update: &AutopilotPoolUpdate,
    ) -> Result<AutopilotNodePool> {
        update.validate()?;
        self.patch(name, &update.patch()).await
    }
}
