//! VM pools (`vmpools`): bids (spot) or reservations (on-demand) for plain VMs in a VM
//! cloudspace.
//!
//! The same conventions as the node pools: lowercase UUID names generated when absent, the bid
//! checked through [`Bid`] and against the class's floor, the guardrail [`Concern`]s of
//! [`crate::pricing::guard`] returned for the caller to confirm, merge patches of the changed
//! fields only.
//!
//! Where the official tools say how, the body is theirs (API-NOTES §9.4): the image defaults to
//! [`DEFAULT_VM_IMAGE`], and a bid is sent for an on-demand pool too when one is given (the
//! official CLI asks for one on every VM pool; on-demand VMs are billed at the on-demand price
//! whatever the bid, see [`VmPoolCreate::bid_is_ignored`]).

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use serde::Serialize;

use super::node_pools::PreparedCreate;
use super::{check_dns_label, check_uuid_name};
use crate::SpotClient;
use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::pricing::guard::{self, Concern, SpendLimits};
use crate::pricing::view::ClassInput;
use crate::resource::{Api, Create};
use crate::types::inventory::{ObjectMeta, VmPool, VmPoolSpec};

pub use crate::resource::VMCLOUDSPACE_LABEL;

/// The image a VM pool gets when none is given: spotctl's default for `--vmimage`.
pub const DEFAULT_VM_IMAGE: &str = "ubuntu24.04";

/// How a VM pool buys its VMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolType {
    /// Bid on the spot market (needs a bid).
    #[default]
    Spot,
    /// Reserve at the on-demand price (a bid may be sent, as the official CLI does; it does
    /// not change the price).
    OnDemand,
}

impl PoolType {
    /// The wire form: `spot` or `ondemand`.
    pub fn as_str(self) -> &'static str {
        match self {
            PoolType::Spot => "spot",
            PoolType::OnDemand => "ondemand",
        }
    }
}

impl fmt::Display for PoolType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PoolType {
    type Err = Error;
    fn from_str(s: &str) -> Result<PoolType> {
        match s.trim().to_ascii_lowercase().as_str() {
            "spot" => Ok(PoolType::Spot),
            "ondemand" | "on-demand" => Ok(PoolType::OnDemand),
            other => Err(Error::invalid(
                "poolType",
                format!("{other:?} is not a pool type: use spot or ondemand"),
            )),
        }
    }
}

/// Cloud-init user data as the API carries it: base64 of the bytes, unless the text given is
/// already base64 (spotctl's rule), in which case it is sent as it is.
///
/// ```
/// use rsspot::services::vm_pools::user_data_wire;
/// assert_eq!(user_data_wire(b"#cloud-config\n"), "I2Nsb3VkLWNvbmZpZwo=");
/// assert_eq!(user_data_wire(b"I2Nsb3VkLWNvbmZpZwo="), "I2Nsb3VkLWNvbmZpZwo=");
/// ```
pub fn user_data_wire(data: &[u8]) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    if let Ok(text) = std::str::from_utf8(data) {
        let t = text.trim();
        if !t.is_empty() && t.len() % 4 == 0 && engine.decode(t).is_ok() {
            return t.to_string();
        }
    }
    engine.encode(data)
}

/// What `vm_pools().create` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct VmPoolCreate {
    /// Pool name (lowercase UUID); generated when `None`.
    pub name: Option<String>,
    /// The VM cloudspace the pool belongs to.
    pub vm_cloudspace: String,
    /// Server class, e.g. `gp.vs1.medium-dfw`.
    pub server_class: String,
    /// Desired number of VMs (≥ 1).
    pub desired: u32,
    /// Spot or on-demand.
    pub pool_type: PoolType,
    /// The bid: required for spot pools; optional for on-demand pools, where it is sent as
    /// given (the official CLI sends one for every pool) and does not change the price.
    pub bid_price: Option<Bid>,
    /// VM image, e.g. `ubuntu22.04`; `None` sends [`DEFAULT_VM_IMAGE`], as the official CLI
    /// does.
    pub vm_image: Option<String>,
    /// Cloud-init user data, base64 as on the wire (see [`user_data_wire`]).
    pub vm_user_data: Option<String>,
}

impl VmPoolCreate {
    /// A spot pool of `desired` VMs of `server_class` bidding `bid`.
    pub fn spot(
        vm_cloudspace: impl Into<String>,
        server_class: impl Into<String>,
        desired: u32,
        bid: Bid,
    ) -> Self {
        Self::new(
            vm_cloudspace.into(),
            server_class.into(),
            desired,
            Some(bid),
        )
    }

    /// An on-demand pool of `desired` VMs of `server_class` (add a bid with
    /// [`VmPoolCreate::bid`] to send one as the official CLI does).
    pub fn on_demand(
        vm_cloudspace: impl Into<String>,
        server_class: impl Into<String>,
        desired: u32,
    ) -> Self {
        Self::new(vm_cloudspace.into(), server_class.into(), desired, None)
    }

    /// A spot pool when there is a bid, on-demand otherwise.
    fn new(vm_cloudspace: String, server_class: String, desired: u32, bid: Option<Bid>) -> Self {
        VmPoolCreate {
            name: None,
            vm_cloudspace,
            server_class,
            desired,
            pool_type: if bid.is_some() {
                PoolType::Spot
            } else {
                PoolType::OnDemand
            },
            bid_price: bid,
            vm_image: None,
            vm_user_data: None,
        }
    }

    /// Sets the bid (for an on-demand pool: sent, but billed at the on-demand price).
    pub fn bid(mut self, bid: Bid) -> Self {
        self.bid_price = Some(bid);
        self
    }

    /// Whether a bid is sent that the price ignores: an on-demand pool with a bid.
    pub fn bid_is_ignored(&self) -> bool {
        self.pool_type == PoolType::OnDemand && self.bid_price.is_some()
    }

    /// The image the body carries: the one given, else [`DEFAULT_VM_IMAGE`].
    pub fn image_or_default(&self) -> &str {
        self.vm_image
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .unwrap_or(DEFAULT_VM_IMAGE)
    }

    /// Sets the VM image.
    pub fn image(mut self, image: impl Into<String>) -> Self {
        self.vm_image = Some(image.into());
        self
    }

    /// Sets the cloud-init user data from its bytes (see [`user_data_wire`]).
    pub fn user_data(mut self, data: &[u8]) -> Self {
        self.vm_user_data = Some(user_data_wire(data));
        self
    }

    /// Checks the request locally.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_uuid_name(n, "VM pool")?;
        }
        check_dns_label("vmCloudSpace", &self.vm_cloudspace, "VM cloudspace name")?;
        if self.server_class.is_empty() {
            return Err(Error::invalid("serverClass", "a server class is required"));
        }
        if self.desired == 0 {
            return Err(Error::invalid("desired", "desired must be at least 1"));
        }
        match (self.pool_type, self.bid_price) {
            (PoolType::Spot, None) => Err(Error::invalid(
                "bidPrice",
                "a spot VM pool needs a bid (e.g. bidprice=0.05); see `rsspot pricing bid`",
            )),
            _ => {
                if let Some(data) = &self.vm_user_data
                    && base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .is_err()
                {
                    return Err(Error::invalid(
                        "vmUserData",
                        "the user data on the wire must be base64 (use VmPoolCreate::user_data)",
                    ));
                }
                Ok(())
            }
        }
    }

    /// The body a create sends, named `name`.
    pub fn to_body(&self, name: &str, namespace: &str) -> VmPool {
        VmPool {
            api_version: Some("ngpc.rxt.io/v1".into()),
            kind: Some("VMPool".into()),
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: Some(namespace.to_string()),
                labels: [(VMCLOUDSPACE_LABEL.to_string(), self.vm_cloudspace.clone())].into(),
                ..ObjectMeta::default()
            },
            spec: VmPoolSpec {
                bid_price: self.bid_price,
                desired: Some(self.desired),
                pool_type: Some(self.pool_type.as_str().into()),
                server_class: Some(self.server_class.clone()),
                vm_cloud_space: Some(self.vm_cloudspace.clone()),
                vm_image: Some(self.image_or_default().to_string()),
                vm_user_data: self.vm_user_data.clone(),
                extra: Default::default(),
            },
            status: Default::default(),
        }
    }
}

/// What `vm_pools().update` changes (only the fields given are sent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VmPoolUpdate {
    /// New desired count.
    pub desired: Option<u32>,
    /// New bid (spot pools).
    pub bid_price: Option<Bid>,
}

#[derive(Serialize)]
struct SpecPatch {
    #[serde(rename = "bidPrice", skip_serializing_if = "Option::is_none")]
    bid_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    desired: Option<i64>,
}

#[derive(Serialize)]
struct PoolPatch {
    spec: SpecPatch,
}

/// `client.vm_pools()`.
/// VM pools: [`Api`] over [`VmPool`] (`client.vm_pools()`, `org.vm_pools()`).
pub type VmPools<'a> = Api<'a, VmPool>;

/// The facts of a class, with a 404 reworded as bad input.
pub(crate) async fn class_facts(client: &SpotClient, server_class: &str) -> Result<ClassInput> {
    match client.server_classes().get(server_class).await {
        Ok(c) => Ok(ClassInput::from(&c)),
        Err(Error::NotFound { .. }) => Err(Error::invalid(
            "serverClass",
            format!(
                "server class {server_class:?} does not exist (see `rsspot server-classes list`)"
            ),
        )),
        Err(e) => Err(e),
    }
}

impl Api<'_, VmPool> {
    /// Checks `req` (class exists, in `region` when given else the VM cloudspace's region, bid
    /// ≥ floor), builds the exact body and lists the [`Concern`]s. Sends nothing.
    ///
    /// `region` lets a VM cloudspace create check its pools before the cloudspace exists.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::pricing::guard::SpendLimits;
    /// use rsspot::services::VmPoolCreate;
    /// let req = VmPoolCreate::spot("vm-lab", "gp.vs1.medium-dfw", 2, "0.05".parse()?);
    /// let prepared = client.vm_pools().prepare_create(&req, None, &SpendLimits::default()).await?;
    /// let pool = client.vm_pools().send_create(prepared).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        &self,
        req: &VmPoolCreate,
        region: Option<&str>,
        limits: &SpendLimits,
    ) -> Result<PreparedCreate<VmPool>> {
        req.validate()?;
        let region = match region {
            Some(r) => r.to_string(),
            None => match self.org.vm_cloudspaces().get(&req.vm_cloudspace).await {
                Ok(cs) => cs.spec.region.unwrap_or_default(),
                Err(Error::NotFound { name, .. }) => {
                    return Err(Error::invalid(
                        "vmCloudSpace",
                        format!("VM cloudspace {name:?} does not exist"),
                    ));
                }
                Err(e) => return Err(e),
            },
        };
        let class = class_facts(self.client(), &req.server_class).await?;
        if !region.is_empty() && !class.region.is_empty() && region != class.region {
            return Err(Error::invalid(
                "serverClass",
                format!(
                    "server class {} is in {}, but VM cloudspace {} is in {region}",
                    req.server_class, class.region, req.vm_cloudspace
                ),
            ));
        }
        // An on-demand pool's bid is sent but not what it costs: no floor, on-demand concerns.
        let concerns = match (req.pool_type, req.bid_price) {
            (PoolType::Spot, Some(bid)) => {
                guard::check_floor(bid, &class)?;
                guard::assess_spot(bid, req.desired, &class, limits)
            }
            _ => guard::assess_on_demand(req.desired, &class, limits),
        };
        let namespace = self.namespace().await?;
        let name = req
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        Ok(PreparedCreate {
            body: req.to_body(&name, &namespace),
            namespace,
            class,
            concerns,
        })
    }

    /// Sends a prepared create. Whether the service needs, ignores or refuses `bidPrice` on an
    /// on-demand pool is not published (API-NOTES §9.4), and the bid does not change what an
    /// on-demand pool costs: when the service answers that an on-demand pool's bid is required
    /// (none was given) or not allowed (one was), the pool is sent once more the other way —
    /// with the class's on-demand price as its bid, or without a bid. Nothing was created by
    /// the refused request, so the second one is the only pool.
    pub async fn send_create(&self, prepared: PreparedCreate<VmPool>) -> Result<VmPool> {
        let PreparedCreate {
            namespace,
            mut body,
            class,
            ..
        } = prepared;
        let first = self.post(&namespace, body.clone()).await;
        let on_demand = body.spec.pool_type.as_deref() == Some(PoolType::OnDemand.as_str());
        let Err(Error::Invalid {
            field: Some(field),
            message,
        }) = &first
        else {
            return first;
        };
        if !on_demand || field != "spec.bidPrice" {
            return first;
        }
        match body.spec.bid_price.take() {
            Some(_) => {
                tracing::warn!(
                    "the service refused a bid on an on-demand pool ({message}); sent without one"
                );
            }
            None => {
                let Some(price) = class.on_demand else {
                    return first;
                };
                tracing::warn!(
                    "the service requires a bid on an on-demand pool ({message}); sent its on-demand price {price}"
                );
                body.spec.bid_price = Some(Bid::round_up(price));
            }
        }
        self.post(&namespace, body).await
    }

    async fn post(&self, namespace: &str, body: VmPool) -> Result<VmPool> {
        VmPool::send_create(self.client(), namespace, body).await
    }

    /// Creates a VM pool (concerns unchecked: see [`Api::prepare_create`]).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::VmPoolCreate;
    /// let req = VmPoolCreate::on_demand("vm-lab", "ch.vs1.xlarge-dfw", 1).user_data(b"#cloud-config\n");
    /// let pool = client.vm_pools().create(&req).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, req: &VmPoolCreate) -> Result<VmPool> {
        let prepared = self
            .prepare_create(req, None, &SpendLimits::default())
            .await?;
        self.send_create(prepared).await
    }

    /// Checks an update (a new bid ≥ floor on a spot pool; on an on-demand pool a bid is sent
    /// as the official CLI sends it, without a floor) and lists the [`Concern`]s of what it
    /// changes; returns the pool as it was. Sends nothing.
    pub async fn prepare_update(
        &self,
        name: &str,
        update: &VmPoolUpdate,
        limits: &SpendLimits,
    ) -> Result<(VmPool, Vec<Concern>)> {
        if update.desired.is_none() && update.bid_price.is_none() {
            return Err(Error::invalid(
                "update",
                "nothing to change: give a new desired count or bid",
            ));
        }
        if update.desired == Some(0) {
            return Err(Error::invalid("desired", "desired must be at least 1"));
        }
        let current = self.get(name).await?;
        let spot = current.spec.pool_type.as_deref() != Some("ondemand");
        let class = class_facts(
            self.client(),
            current.spec.server_class.as_deref().unwrap_or(""),
        )
        .await?;
        if let Some(bid) = update.bid_price
            && spot
        {
            guard::check_floor(bid, &class)?;
        }
        let desired = update
            .desired
            .unwrap_or_else(|| current.spec.desired.unwrap_or(0));
        let bid = update.bid_price.or(current.spec.bid_price);
        let mut concerns = match (spot, bid) {
            (true, Some(bid)) => guard::assess_spot(bid, desired, &class, limits),
            _ => guard::assess_on_demand(desired, &class, limits),
        };
        // An unchanged bid or count was accepted before; the monthly cost is about both.
        concerns.retain(|c| match c {
            Concern::BidAboveOnDemand { .. } | Concern::OffLadder { .. } => {
                update.bid_price.is_some()
            }
            Concern::DesiredAboveAvailable { .. } => update.desired.is_some(),
            Concern::MonthlyOverLimit { .. } => true,
        });
        Ok((current, concerns))
    }

    /// Sends an update: a merge patch of only the fields given.
    pub async fn send_update(&self, name: &str, update: &VmPoolUpdate) -> Result<VmPool> {
        let patch = PoolPatch {
            spec: SpecPatch {
                bid_price: update.bid_price.map(Bid::api_form),
                desired: update.desired.map(i64::from),
            },
        };
        self.patch(name, &patch).await
    }

    /// Updates the desired count and/or bid (concerns unchecked).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::VmPoolUpdate;
    /// let update = VmPoolUpdate { desired: Some(3), ..Default::default() };
    /// client.vm_pools().update("7f3e1a9c-5b2d-4c8e-a6f0-1d4b7e2c9a53", &update).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(&self, name: &str, update: &VmPoolUpdate) -> Result<VmPool> {
        self.prepare_update(name, update, &SpendLimits::default())
            .await?;
        self.send_update(name, update).await
    }
}

#[cfg(test)]
#[path = "vm_pools_tests.rs"]
mod tests;
