//! The [`Kind`](crate::view::Kind)s the CLI lists, gets and watches: cloudspaces, node pools
//! (spot, on-demand, autopilot) and the VM kinds.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Mutex;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::raw::types::{AutopilotNodePool, CloudSpace, ServerClass, VmSshKey};
use rsspot::types::inventory::{VmCloudSpace, VmPool};

use crate::commands::nodepools::kind::PoolColumns;
use crate::commands::nodepools::rows::{PoolRow, class_prices, pool_rows};
use crate::ctx::Ctx;
use crate::output::Tabular;
use crate::view::Kind;

/// Cloudspaces of the organization; with `-o wide`, each one's node pools are counted.
pub struct Cloudspaces {
    /// The `--org` given, if any.
    pub org: Option<String>,
    /// Pools per cloudspace, from the last list (only for `-o wide`).
    pools: Option<Mutex<HashMap<String, usize>>>,
}

/// A cloudspace and, when counted, how many node pools (spot, on-demand, autopilot) it has.
pub struct CloudspaceRow {
    /// The cloudspace.
    pub cs: CloudSpace,
    /// Its node pools, when they were counted.
    pub pools: Option<usize>,
}

impl Tabular for CloudspaceRow {
    fn headers(wide: bool) -> Vec<&'static str> {
        CloudSpace::headers(wide)
    }

    fn row(&self, wide: bool) -> Vec<String> {
        let mut row = self.cs.row(wide);
        if let (Some(n), Some(at)) = (
            self.pools,
            CloudSpace::headers(wide).iter().position(|h| *h == "POOLS"),
        ) && let Some(cell) = row.get_mut(at)
        {
            *cell = n.to_string();
        }
        row
    }

    fn name(&self) -> String {
        self.cs.name()
    }

    fn drop_order() -> &'static [&'static str] {
        CloudSpace::drop_order()
    }
}

/// Node pools per cloudspace: one list per pool kind for the whole organization (not one per
/// cloudspace). `None` when a list fails: the column then shows `-`.
pub async fn pool_counts(client: &SpotClient, org: Option<&str>) -> Option<HashMap<String, usize>> {
    let org = client.org_or_default(org);
    let (spot, ondemand, autopilot) = (
        org.spot_pools(),
        org.ondemand_pools(),
        org.autopilot_pools(),
    );
    let (spot, ondemand, autopilot) = tokio::join!(spot.list(), ondemand.list(), autopilot.list());
    let parents = spot
        .map_err(|e| tracing::debug!("spot pools not counted: {e}"))
        .ok()?
        .into_iter()
        .map(|p| Some(p.spec.cloud_space))
        .chain(
            ondemand
                .map_err(|e| tracing::debug!("on-demand pools not counted: {e}"))
                .ok()?
                .into_iter()
                .map(|p| Some(p.spec.cloud_space)),
        )
        .chain(
            autopilot
                .map_err(|e| tracing::debug!("autopilot pools not counted: {e}"))
                .ok()?
                .into_iter()
                .map(|p| Some(p.spec.cloud_space)),
        );
    let mut counts = HashMap::new();
    for parent in parents.flatten() {
        *counts.entry(parent).or_insert(0) += 1;
    }
    Some(counts)
}

impl Cloudspaces {
    async fn count_pools(&self, client: &SpotClient) {
        if let Some(slot) = &self.pools {
            let counts = pool_counts(client, self.org.as_deref()).await;
            if let (Some(counts), Ok(mut slot)) = (counts, slot.lock()) {
                *slot = counts;
            }
        }
    }
}

impl Kind for Cloudspaces {
    type Item = CloudSpace;
    type Row = CloudspaceRow;
    const WHAT: &'static str = "cloudspace";

    async fn list(&self, client: &SpotClient) -> Result<Vec<CloudSpace>> {
        let items = client
            .org_or_default(self.org.as_deref())
            .cloudspaces()
            .list()
            .await?;
        self.count_pools(client).await;
        Ok(items)
    }

    async fn get(&self, client: &SpotClient, name: &str) -> Result<CloudSpace> {
        let item = client
            .org_or_default(self.org.as_deref())
            .cloudspaces()
            .get(name)
            .await?;
        self.count_pools(client).await;
        Ok(item)
    }

    fn rows(&self, items: &[CloudSpace]) -> Vec<CloudspaceRow> {
        let counts = self.pools.as_ref().and_then(|m| m.lock().ok());
        items
            .iter()
            .map(|cs| CloudspaceRow {
                pools: counts.as_ref().map(|c| {
                    let name = Some(cs.metadata.name.as_str());
                    name.and_then(|n| c.get(n)).copied().unwrap_or(0)
                }),
                cs: cs.clone(),
            })
            .collect()
    }
}

/// The CLI's word for one object of a kind ("autopilot pool"), beside its columns
/// ([`Tabular`]): what a kind declares to get list, get and watch views through [`Objects`].
pub trait Listed: rsspot::Kind + Tabular {
    /// What one object is called in messages.
    const WHAT: &'static str;
}

impl Listed for AutopilotNodePool {
    const WHAT: &'static str = "autopilot pool";
}
impl Listed for VmSshKey {
    const WHAT: &'static str = "vm ssh key";
}
impl Listed for VmCloudSpace {
    const WHAT: &'static str = "vm cloudspace";
}
impl Listed for VmPool {
    const WHAT: &'static str = "vm pool";
}

/// The objects of one kind of `--org` (under a parent when given), listed through the SDK's
/// generic handle.
pub struct Objects<K> {
    /// The `--org` given, if any.
    pub org: Option<String>,
    /// Only the children of this parent (a cloudspace or VM cloudspace).
    pub parent: Option<String>,
    kind: PhantomData<K>,
}

impl<K: Listed> Objects<K> {
    /// Objects of `--org`, under `parent` when given.
    pub fn of(ctx: &Ctx, parent: Option<&str>) -> Self {
        Objects {
            org: ctx.org().map(str::to_string),
            parent: parent.map(str::to_string),
            kind: PhantomData,
        }
    }

    fn api<'c>(&self, client: &'c SpotClient) -> rsspot::Api<'c, K> {
        let api = client.org_or_default(self.org.as_deref()).api::<K>();
        api.within(self.parent.as_deref())
    }
}

impl<K: Listed> Kind for Objects<K> {
    type Item = K;
    type Row = K;
    const WHAT: &'static str = K::WHAT;

    async fn list(&self, client: &SpotClient) -> Result<Vec<K>> {
        Ok(self.api(client).list().await?)
    }

    async fn get(&self, client: &SpotClient, name: &str) -> Result<K> {
        Ok(self.api(client).get(name).await?)
    }

    fn rows(&self, items: &[K]) -> Vec<K> {
        items.to_vec()
    }
}

/// Autopilot pools (of one cloudspace when `parent` is set).
pub type AutopilotPools = Objects<AutopilotNodePool>;
/// SSH keys for VMs.
pub type VmSshKeys = Objects<VmSshKey>;
/// VM cloudspaces.
pub type VmCloudspaces = Objects<VmCloudSpace>;
/// VM pools (of one VM cloudspace when `parent` is set).
pub type VmPools = Objects<VmPool>;

impl Cloudspaces {
    /// Cloudspaces of `--org` (pools counted for `-o wide`).
    pub fn of(ctx: &Ctx) -> Cloudspaces {
        let wide = ctx.out.format == crate::cli::OutputFormat::Wide;
        Cloudspaces {
            org: ctx.org().map(str::to_string),
            pools: wide.then(|| Mutex::new(HashMap::new())),
        }
    }
}

/// Spot or on-demand pools ([`PoolColumns`]), shown with their class's price (market or
/// on-demand).
pub struct Pools<K> {
    /// The `--org` given, if any.
    pub org: Option<String>,
    /// Only pools of this cloudspace.
    pub cloudspace: Option<String>,
    /// Server classes by name, for the price column (empty outside tables).
    pub classes: HashMap<String, ServerClass>,
    kind: PhantomData<K>,
}

impl<K: PoolColumns> Pools<K> {
    /// Pools of `--org`, of `cloudspace` when given, with class prices for tables.
    pub async fn of(ctx: &Ctx, client: &SpotClient, cloudspace: Option<&str>) -> Self {
        Pools {
            org: ctx.org().map(str::to_string),
            cloudspace: cloudspace.map(str::to_string),
            classes: class_prices(ctx, client).await,
            kind: PhantomData,
        }
    }
}

impl<K: PoolColumns> Kind for Pools<K> {
    type Item = K;
    type Row = PoolRow<K>;
    const WHAT: &'static str = K::WHAT;

    async fn list(&self, client: &SpotClient) -> Result<Vec<K>> {
        let api = client.org_or_default(self.org.as_deref()).api::<K>();
        Ok(api.within(self.cloudspace.as_deref()).list().await?)
    }

    async fn get(&self, client: &SpotClient, name: &str) -> Result<K> {
        let api = client.org_or_default(self.org.as_deref()).api::<K>();
        Ok(api.get(name).await?)
    }

    fn rows(&self, items: &[K]) -> Vec<PoolRow<K>> {
        pool_rows(items, &self.classes)
    }
}
