//! Spot and on-demand node pools of a cloudspace.
//!
//! Pool names are lowercase UUIDs (generated when not given). Creates and updates are validated
//! locally first: name, counts (`min ≤ desired ≤ max`), the bid (format, floor, ladder) and that
//! the server class belongs to the cloudspace's region.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::wait::{Poll, WaitOptions, wait_for};
use super::{call, is_lowercase_uuid};
use crate::SpotClient;
use crate::error::{Error, Result};
use crate::raw::types::{OnDemandNodePool, Patch, SpotNodePool};

/// Default wait for a pool to be fulfilled.
pub const DEFAULT_FULFILLED_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The label the service puts on pools to link them to their cloudspace.
pub const CLOUDSPACE_LABEL: &str = "ngpc.rxt.io/cloudspace";

/// Autoscaling bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Autoscaling {
    /// Minimum nodes (≥ 1).
    pub min_nodes: u32,
    /// Maximum nodes (≥ min).
    pub max_nodes: u32,
}

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    fn validate(&self) -> Result<()> {
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
    fn to_json(&self) -> Value {
        json!({"key": self.key, "value": self.value, "effect": self.effect})
    }
}

fn check_counts(desired: Option<u32>, autoscaling: Option<Autoscaling>) -> Result<()> {
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
    if !is_lowercase_uuid(name) {
        return Err(Error::invalid(
            "name",
            format!(
                "{name:?} is not a valid pool name: node pool names are lowercase UUIDs (omit the name to generate one)"
            ),
        ));
    }
    Ok(())
}

fn autoscaling_json(a: Option<Autoscaling>) -> Value {
    match a {
        Some(a) => json!({"enabled": true, "minNodes": a.min_nodes, "maxNodes": a.max_nodes}),
        None => json!({"enabled": false}),
    }
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
        if !super::is_dns_label(&self.cloudspace) {
            return Err(Error::invalid(
                "cloudSpace",
                format!("{:?} is not a valid cloudspace name", self.cloudspace),
            ));
        }
        if self.server_class.is_empty() {
            return Err(Error::invalid("serverClass", "a server class is required"));
        }
        check_counts(Some(self.desired), self.autoscaling)?;
        self.taints.iter().try_for_each(Taint::validate)
    }

    fn body(&self, kind: &str, name: &str, namespace: &str, bid: Option<&str>) -> Value {
        let mut spec = json!({
            "cloudSpace": self.cloudspace,
            "serverClass": self.server_class,
            "desired": self.desired,
            "autoscaling": autoscaling_json(self.autoscaling),
            "customLabels": self.labels,
            "customAnnotations": self.annotations,
            "customTaints": self.taints.iter().map(Taint::to_json).collect::<Vec<_>>(),
        });
        if let Some(b) = bid {
            spec["bidPrice"] = json!(b);
        }
        json!({
            "apiVersion": "ngpc.rxt.io/v1",
            "kind": kind,
            "metadata": {"name": name, "namespace": namespace, "labels": {CLOUDSPACE_LABEL: self.cloudspace}},
            "spec": spec,
        })
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
/// use rsspot::services::SpotPoolCreate;
/// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02").autoscaling(2, 4);
/// assert!(req.validate().is_ok());
/// assert!(SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 5, "0.02").autoscaling(2, 4).validate().is_err());
/// assert!(SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.0125").validate().is_err());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SpotPoolCreate {
    /// Fields shared with on-demand pools.
    pub common: PoolCommon,
    /// Maximum price per node-hour, as the API takes it (`"0.02"`).
    pub bid_price: String,
}

impl SpotPoolCreate {
    /// A pool of `desired` nodes of `server_class` in `cloudspace`, bidding `bid_price` $/h.
    pub fn new(
        cloudspace: impl Into<String>,
        server_class: impl Into<String>,
        desired: u32,
        bid_price: impl Into<String>,
    ) -> Self {
        SpotPoolCreate {
            common: PoolCommon::new(cloudspace.into(), server_class.into(), desired),
            bid_price: bid_price.into(),
        }
    }
    common_setters!();

    /// Local checks (everything but the bid floor, which needs the server class).
    pub fn validate(&self) -> Result<()> {
        self.common.validate()?;
        if crate::pricing::rules::parse_bid(&self.bid_price).is_none() {
            return Err(Error::invalid(
                "bidPrice",
                crate::pricing::rules::BidViolation::Format.message(&self.bid_price),
            ));
        }
        Ok(())
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

impl PoolUpdate {
    fn spec(&self) -> Result<Map<String, Value>> {
        check_counts(self.desired, self.autoscaling.flatten())?;
        let mut spec = Map::new();
        if let Some(d) = self.desired {
            spec.insert("desired".into(), json!(d));
        }
        if let Some(a) = self.autoscaling {
            let mut v = autoscaling_json(a);
            if a.is_none() {
                v["minNodes"] = Value::Null;
                v["maxNodes"] = Value::Null;
            }
            spec.insert("autoscaling".into(), v);
        }
        // Maps are replaced, not merged: null out keys that disappear.
        if let Some(l) = &self.labels {
            spec.insert("customLabels".into(), json!(l));
        }
        if let Some(a) = &self.annotations {
            spec.insert("customAnnotations".into(), json!(a));
        }
        if let Some(t) = &self.taints {
            t.iter().try_for_each(Taint::validate)?;
            spec.insert(
                "customTaints".into(),
                json!(t.iter().map(Taint::to_json).collect::<Vec<_>>()),
            );
        }
        Ok(spec)
    }
}

/// Changes to a spot pool.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpotPoolUpdate {
    /// Shared fields.
    pub common: PoolUpdate,
    /// New bid.
    pub bid_price: Option<String>,
}

impl SpotPoolUpdate {
    /// The merge-patch body (`{"spec": {...}}` with only the fields given).
    pub fn to_patch(&self) -> Result<Value> {
        let mut spec = self.common.spec()?;
        if let Some(b) = &self.bid_price {
            spec.insert("bidPrice".into(), json!(b));
        }
        if spec.is_empty() {
            return Err(Error::invalid(
                "update",
                "nothing to change: give at least one field",
            ));
        }
        Ok(json!({ "spec": spec }))
    }
}

/// Changes to an on-demand pool.
pub type OnDemandPoolUpdate = PoolUpdate;

impl PoolUpdate {
    /// The merge-patch body for an on-demand pool.
    pub fn to_patch(&self) -> Result<Value> {
        let spec = self.spec()?;
        if spec.is_empty() {
            return Err(Error::invalid(
                "update",
                "nothing to change: give at least one field",
            ));
        }
        Ok(json!({ "spec": spec }))
    }
}

fn label_selector(cloudspace: Option<&str>) -> Option<String> {
    cloudspace.map(|c| format!("{CLOUDSPACE_LABEL}={c}"))
}

/// `client.spot_pools()`.
#[derive(Clone, Copy)]
pub struct SpotPools<'a>(pub(crate) &'a SpotClient);

/// `client.ondemand_pools()`.
#[derive(Clone, Copy)]
pub struct OnDemandPools<'a>(pub(crate) &'a SpotClient);

/// Validates that `server_class` exists and is in the cloudspace's region; returns the class.
async fn check_placement(
    client: &SpotClient,
    cloudspace: &str,
    server_class: &str,
    org: Option<&str>,
) -> Result<crate::raw::types::ServerClass> {
    let (cloudspaces, classes) = (client.cloudspaces(), client.server_classes());
    let (cs, class) =
        futures::try_join!(cloudspaces.get(cloudspace, org), classes.get(server_class)).map_err(
            |e| match e {
                Error::NotFound { kind, name } => Error::invalid(
                    if kind == "cloudspace" {
                        "cloudSpace"
                    } else {
                        "serverClass"
                    },
                    format!("{kind} {name:?} does not exist"),
                ),
                other => other,
            },
        )?;
    let cs_region = cs
        .spec
        .as_ref()
        .and_then(|s| s.region.clone())
        .unwrap_or_default();
    let class_region = class
        .spec
        .as_ref()
        .and_then(|s| s.region.clone())
        .unwrap_or_default();
    if !cs_region.is_empty() && !class_region.is_empty() && cs_region != class_region {
        return Err(Error::invalid(
            "serverClass",
            format!(
                "server class {server_class} is in {class_region}, but cloudspace {cloudspace} is in {cs_region}"
            ),
        ));
    }
    Ok(class)
}

fn class_prices(
    class: &crate::raw::types::ServerClass,
) -> (Option<rust_decimal::Decimal>, Option<rust_decimal::Decimal>) {
    use crate::pricing::money::parse_price_str;
    let market = class
        .status
        .as_ref()
        .and_then(|s| s.spot_pricing.as_ref())
        .and_then(|p| p.market_price_per_hour.as_deref())
        .and_then(parse_price_str);
    let min_bid = class
        .spec
        .as_ref()
        .and_then(|s| s.min_bid_price_per_hour.as_deref())
        .and_then(parse_price_str);
    (market, min_bid)
}

/// `list`, `get` and `delete`: the same three calls for both pool kinds.
macro_rules! pool_reads_delete_and_wait {
    (
        $service:ident, $accessor:literal, $ty:ty, $kind:literal, $list:ident, $get:ident,
        $delete:ident, $example:literal, $phase:ident, $count:ident
    ) => {
        impl $service<'_> {
            #[doc = concat!("The ", $kind, "s of an org, optionally only those of one cloudspace.")]
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
                Ok(call(b.send(), $kind, "").await?.items)
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
                call(self.0.raw.$get().namespace(ns).name(name).send(), $kind, name).await
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
    /// Validates `req` against the server (class exists, same region, bid ≥ floor and on the
    /// ladder) and returns the namespace and the exact body a create sends.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolCreate;
    /// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02");
    /// let (_namespace, body) = client.spot_pools().prepare_create(&req, None).await?; // what --dry-run prints
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        self,
        req: &SpotPoolCreate,
        org: Option<&str>,
    ) -> Result<(String, SpotNodePool)> {
        req.validate()?;
        let class = check_placement(
            self.0,
            &req.common.cloudspace,
            &req.common.server_class,
            org,
        )
        .await?;
        let (market, min_bid) = class_prices(&class);
        crate::pricing::advice::validate_bid(&req.bid_price, market, min_bid)?;
        let ns = self.0.namespace(org).await?;
        let name = req
            .common
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = req
            .common
            .body("SpotNodePool", &name, &ns, Some(&req.bid_price));
        let pool = serde_json::from_value(body)
            .map_err(|e| Error::invalid("spot node pool", e.to_string()))?;
        Ok((ns, pool))
    }

    /// Creates a spot pool (a lowercase UUID name is generated unless given).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolCreate;
    /// let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02").autoscaling(2, 4).label("team", "ml");
    /// let pool = client.spot_pools().create(&req, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(self, req: &SpotPoolCreate, org: Option<&str>) -> Result<SpotNodePool> {
        let (ns, body) = self.prepare_create(req, org).await?;
        let name = super::name_of(body.metadata.as_ref()).to_string();
        call(
            self.0
                .raw
                .create_spot_node_pool()
                .namespace(ns)
                .body(body)
                .send(),
            "spot node pool",
            &name,
        )
        .await
    }

    /// Validates an update (a new bid against the pool's class) and returns the patch body.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolUpdate;
    /// let update = SpotPoolUpdate { bid_price: Some("0.04".into()), ..Default::default() };
    /// let patch = client.spot_pools().prepare_update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_update(
        self,
        name: &str,
        update: &SpotPoolUpdate,
        org: Option<&str>,
    ) -> Result<Value> {
        let patch = update.to_patch()?;
        if let Some(bid) = &update.bid_price {
            let pool = self.get(name, org).await?;
            let class_name = pool
                .spec
                .as_ref()
                .and_then(|s| s.server_class.clone())
                .unwrap_or_default();
            let class = self.0.server_classes().get(&class_name).await?;
            let (market, min_bid) = class_prices(&class);
            crate::pricing::advice::validate_bid(bid, market, min_bid)?;
        }
        Ok(patch)
    }

    /// Updates only the fields given.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::SpotPoolUpdate;
    /// let update = SpotPoolUpdate { bid_price: Some("0.04".into()), ..Default::default() }; // desired etc. untouched
    /// client.spot_pools().update("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", &update, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn update(
        self,
        name: &str,
        update: &SpotPoolUpdate,
        org: Option<&str>,
    ) -> Result<SpotNodePool> {
        let patch = self.prepare_update(name, update, org).await?;
        let ns = self.0.namespace(org).await?;
        let body: Patch =
            serde_json::from_value(patch).map_err(|e| Error::invalid("update", e.to_string()))?;
        call(
            self.0
                .raw
                .patch_spot_node_pool()
                .namespace(ns)
                .name(name)
                .body(body)
                .send(),
            "spot node pool",
            name,
        )
        .await
    }
}

fn pool_poll<T>(p: T, phase: &str, got: i64, desired: i64) -> Poll<T> {
    if phase == "Fulfilled" && got >= desired {
        Poll::Ready(p)
    } else {
        Poll::Pending(phase.to_string(), format!("{got}/{desired} nodes"))
    }
}

impl OnDemandPools<'_> {
    /// Validates `req` against the server and returns the namespace and body a create sends.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::OnDemandPoolCreate;
    /// let (_ns, body) = client.ondemand_pools().prepare_create(&OnDemandPoolCreate::new("demo", "ch.vs1.xlarge-dfw", 1), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn prepare_create(
        self,
        req: &OnDemandPoolCreate,
        org: Option<&str>,
    ) -> Result<(String, OnDemandNodePool)> {
        req.validate()?;
        check_placement(
            self.0,
            &req.common.cloudspace,
            &req.common.server_class,
            org,
        )
        .await?;
        let ns = self.0.namespace(org).await?;
        let name = req
            .common
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = req.common.body("OnDemandNodePool", &name, &ns, None);
        let pool = serde_json::from_value(body)
            .map_err(|e| Error::invalid("on-demand node pool", e.to_string()))?;
        Ok((ns, pool))
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
        let (ns, body) = self.prepare_create(req, org).await?;
        let name = super::name_of(body.metadata.as_ref()).to_string();
        call(
            self.0
                .raw
                .create_on_demand_node_pool()
                .namespace(ns)
                .body(body)
                .send(),
            "on-demand node pool",
            &name,
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
        let patch = update.to_patch()?;
        let ns = self.0.namespace(org).await?;
        let body: Patch =
            serde_json::from_value(patch).map_err(|e| Error::invalid("update", e.to_string()))?;
        call(
            self.0
                .raw
                .patch_on_demand_node_pool()
                .namespace(ns)
                .name(name)
                .body(body)
                .send(),
            "on-demand node pool",
            name,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            bid_price: Some("0.04".into()),
            ..Default::default()
        };
        assert_eq!(u.to_patch().unwrap(), json!({"spec": {"bidPrice": "0.04"}}));
        let u = SpotPoolUpdate {
            common: PoolUpdate {
                desired: Some(3),
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(u.to_patch().unwrap(), json!({"spec": {"desired": 3}}));
        assert!(SpotPoolUpdate::default().to_patch().is_err());
    }

    #[test]
    fn counts_are_checked() {
        assert!(
            check_counts(
                Some(2),
                Some(Autoscaling {
                    min_nodes: 1,
                    max_nodes: 3
                })
            )
            .is_ok()
        );
        assert!(
            check_counts(
                Some(5),
                Some(Autoscaling {
                    min_nodes: 1,
                    max_nodes: 3
                })
            )
            .is_err()
        );
        assert!(
            check_counts(
                None,
                Some(Autoscaling {
                    min_nodes: 0,
                    max_nodes: 3
                })
            )
            .is_err()
        );
        assert!(
            check_counts(
                None,
                Some(Autoscaling {
                    min_nodes: 4,
                    max_nodes: 3
                })
            )
            .is_err()
        );
        assert!(check_counts(Some(0), None).is_err());
    }

    #[test]
    fn create_body_has_label_and_spec() {
        let req = SpotPoolCreate::new("demo", "gp.vs1.medium-dfw", 2, "0.02").label("team", "a");
        let body = req.common.body("SpotNodePool", "n", "org-x", Some("0.02"));
        assert_eq!(body["metadata"]["labels"][CLOUDSPACE_LABEL], "demo");
        assert_eq!(body["spec"]["bidPrice"], "0.02");
        assert_eq!(body["spec"]["customLabels"]["team"], "a");
        assert_eq!(body["spec"]["autoscaling"], json!({"enabled": false}));
    }
}
