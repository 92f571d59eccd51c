//! Server classes: sizes, prices and availability per region.

use crate::SpotClient;
use crate::error::Result;
use crate::raw::types::ServerClass;

/// Client-side filters for [`ServerClasses::list`] (the API has no server-side filter).
#[derive(Debug, Clone, Default)]
pub struct ServerClassFilter {
    /// Only this region.
    pub region: Option<String>,
    /// Only this category (`General Purpose`, `Compute Heavy`, ..., or the prefix `gp`, `ch`, `mh`).
    pub category: Option<String>,
    /// Minimum vCPUs.
    pub min_cpu: Option<f64>,
    /// Maximum vCPUs.
    pub max_cpu: Option<f64>,
    /// Minimum memory in GB.
    pub min_memory_gb: Option<f64>,
    /// Maximum memory in GB.
    pub max_memory_gb: Option<f64>,
    /// Only classes marked available with servers free.
    pub only_available: bool,
}

impl ServerClassFilter {
    /// Whether a class passes the filter.
    pub fn matches(&self, sc: &ServerClass) -> bool {
        let spec = Some(&sc.spec);
        let name = sc.metadata.name.as_str();
        if let Some(r) = &self.region
            && !spec
                .and_then(|s| s.region.as_deref())
                .is_some_and(|x| x.eq_ignore_ascii_case(r))
        {
            return false;
        }
        if let Some(c) = &self.category {
            let cat = spec.and_then(|s| s.category.as_deref()).unwrap_or_default();
            let prefix = name.split('.').next().unwrap_or_default();
            if !cat.eq_ignore_ascii_case(c) && !prefix.eq_ignore_ascii_case(c) {
                return false;
            }
        }
        let res = spec.and_then(|s| s.resources.as_ref());
        let cpu = res
            .and_then(|r| r.cpu.as_deref())
            .and_then(crate::pricing::money::parse_cpu);
        let mem = res
            .and_then(|r| r.memory.as_deref())
            .and_then(crate::pricing::money::parse_memory_gb);
        let within = |v: Option<f64>, lo: Option<f64>, hi: Option<f64>| match v {
            Some(v) => lo.is_none_or(|l| v >= l) && hi.is_none_or(|h| v <= h),
            None => lo.is_none() && hi.is_none(),
        };
        if !within(cpu, self.min_cpu, self.max_cpu)
            || !within(mem, self.min_memory_gb, self.max_memory_gb)
        {
            return false;
        }
        if self.only_available {
            let avail = spec
                .and_then(|s| s.availability.as_deref())
                .unwrap_or("available");
            let free = sc.status.as_ref().and_then(|s| s.available).unwrap_or(1);
            if avail != "available" || free == 0 {
                return false;
            }
        }
        true
    }
}

/// `client.server_classes()`.
#[derive(Clone, Copy)]
pub struct ServerClasses<'a>(pub(crate) &'a SpotClient);

impl ServerClasses<'_> {
    /// Server classes passing `filter` (one API call for all regions).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::ServerClassFilter;
    /// let filter = ServerClassFilter { region: Some("us-central-dfw-1".into()), only_available: true, ..Default::default() };
    /// let classes = client.server_classes().list(&filter).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(self, filter: &ServerClassFilter) -> Result<Vec<ServerClass>> {
        let all = super::read(
            || self.0.raw.list_server_classes().send(),
            "server class",
            "",
        )
        .await?;
        Ok(all
            .items
            .into_iter()
            .filter(|c| filter.matches(c))
            .collect())
    }

    /// One server class by name, e.g. `gp.vs1.medium-dfw`.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let class = client.server_classes().get("gp.vs1.medium-dfw").await?;
    /// let floor: Option<rsspot::Decimal> = class.spec.min_bid_price_per_hour;
    /// # Ok(()) }
    /// ```
    pub async fn get(self, name: &str) -> Result<ServerClass> {
        super::read(
            || self.0.raw.get_server_class().name(name).send(),
            "server class",
            name,
        )
        .await
    }
}
