//! `organizations`, `regions`, `server-classes`: read-only reference data.

use crate::help_layout::WithExamples;
use anyhow::Result;
use clap::Subcommand;
use rsspot::raw::types::{OrganizationListOrganizationsItem as Organization, Region, ServerClass};
use rsspot::services::ServerClassFilter;

use crate::args::name_arg;
use crate::ctx::Ctx;
use crate::filters;
use crate::output::{Tabular, dash};

#[derive(Debug, Subcommand)]
pub enum OrganizationsCmd {
    /// List organizations.
    #[command(visible_alias = "ls")]
    List,
    /// Show one organization (name, display name, org_… id or namespace).
    Get {
        /// Organization name or id.
        #[arg(value_parser = crate::names::org)]
        name: Option<String>,
        /// Same as the positional NAME.
        #[arg(long = "name", conflicts_with = "name", value_name = "NAME", value_parser = crate::names::org)]
        name_flag: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RegionsCmd {
    /// List regions.
    #[command(visible_alias = "ls")]
    #[command(examples(&[
        ("Regions and their status", "rsspot regions list"),
    ]))]
    List,
    /// Show one region.
    Get {
        /// Region name, e.g. us-central-dfw-1.
        #[arg(value_parser = crate::names::object)]
        name: Option<String>,
        /// Same as the positional NAME.
        #[arg(long = "name", conflicts_with = "name", value_name = "NAME", value_parser = crate::names::object)]
        name_flag: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ServerClassesCmd {
    /// List server classes (all regions unless --region; a comma list names several).
    #[command(visible_alias = "ls")]
    #[command(examples(&[
        ("Classes of one region", "rsspot sc list --region uk-lon-1"),
    ]))]
    List(ServerClassListArgs),
    /// Show one server class.
    Get {
        /// Server class name, e.g. gp.vs1.medium-dfw.
        #[arg(value_parser = crate::names::object)]
        name: Option<String>,
        /// Same as the positional NAME.
        #[arg(long = "name", conflicts_with = "name", value_name = "NAME", value_parser = crate::names::object)]
        name_flag: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ServerClassListArgs {
    /// Category or family prefix: gp, ch, mh, gpu, "General Purpose", ...
    #[arg(long, alias = "family")]
    pub category: Option<String>,
    /// Minimum vCPUs.
    #[arg(long, value_name = "VCPUS")]
    pub min_cpu: Option<f64>,
    /// Maximum vCPUs.
    #[arg(long, value_name = "VCPUS")]
    pub max_cpu: Option<f64>,
    /// Minimum memory (GB).
    #[arg(long, value_name = "GB")]
    pub min_memory: Option<f64>,
    /// Maximum memory (GB).
    #[arg(long, value_name = "GB")]
    pub max_memory: Option<f64>,
    /// Only classes with servers available now.
    #[arg(long)]
    pub available: bool,
}

impl Tabular for Organization {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["NAME", "DISPLAY NAME", "ID"];
        if wide {
            h.push("NAMESPACE");
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let mut r = vec![
            dash(self.name.as_ref()),
            dash(self.display_name.as_ref()),
            dash(self.id.as_ref()),
        ];
        if wide {
            r.push(dash(
                self.metadata.as_ref().and_then(|m| m.namespace.as_ref()),
            ));
        }
        r
    }
    fn name(&self) -> String {
        self.name.clone().unwrap_or_default()
    }
}

impl Tabular for Region {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["NAME", "COUNTRY", "DESCRIPTION"];
        if wide {
            h.extend(["GENERATION", "PROVIDER"]);
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let spec = self.spec.clone();
        let mut r = vec![
            self.name(),
            dash(spec.country.as_ref().map(|c| c.to_string())),
            dash(spec.description.as_ref()),
        ];
        if wide {
            r.push(dash(spec.generation.as_ref()));
            r.push(dash(spec.provider.as_ref().and_then(|p| {
                p.provider_region_name
                    .as_ref()
                    .map(|n| format!("{}/{n}", p.provider_type.clone().unwrap_or_default()))
            })));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata.name.clone()
    }
}

impl Tabular for ServerClass {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec![
            "NAME",
            "REGION",
            "CPU",
            "MEMORY",
            "MARKET $/H",
            "MIN BID",
            "ON-DEMAND $/H",
            "AVAILABLE",
        ];
        if wide {
            h.extend(["CATEGORY", "CAPACITY", "DISPLAY NAME"]);
        }
        h
    }
    fn drop_order() -> &'static [&'static str] {
        // The name ends with the region; the floor matters only when bidding.
        &["MIN BID", "REGION"]
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let spec = self.spec.clone();
        let status = self.status.clone().unwrap_or_default();
        let res = spec.resources.clone().unwrap_or_default();
        let market = status
            .spot_pricing
            .as_ref()
            .and_then(|p| p.market_price_per_hour);
        let on_demand = spec.on_demand_pricing.as_ref().and_then(|p| p.cost);
        let avail = match (spec.availability.as_deref(), status.available) {
            (Some(a), _) if a != "available" => a.to_string(),
            (_, Some(n)) => n.to_string(),
            _ => "-".into(),
        };
        let mut r = vec![
            self.name(),
            dash(spec.region.as_ref()),
            dash(res.cpu.as_ref()),
            dash(res.memory.as_ref()),
            dash(market.map(|p| money(&p.to_string()))),
            dash(spec.min_bid_price_per_hour.map(|p| money(&p.to_string()))),
            dash(on_demand.map(|p| money(&p.to_string()))),
            avail,
        ];
        if wide {
            r.push(dash(spec.category.as_ref()));
            r.push(dash(status.capacity));
            r.push(dash(spec.display_name.as_ref()));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata.name.clone()
    }
}

/// A price string as `0.001`, trimming trailing zeros beyond 3 decimals.
pub fn money(s: &str) -> String {
    match rsspot::pricing::money::parse_price_str(s) {
        Some(d) => {
            let d = d.normalize();
            if d.scale() < 3 {
                format!("{d:.3}")
            } else {
                d.to_string()
            }
        }
        None => s.to_string(),
    }
}

pub async fn organizations(ctx: &Ctx, cmd: OrganizationsCmd) -> Result<()> {
    let client = ctx.client().await?;
    match cmd {
        OrganizationsCmd::List => {
            let orgs = client.organizations().list().await?;
            ctx.out.list(&orgs, &orgs)
        }
        OrganizationsCmd::Get { name, name_flag } => {
            let name = name_arg(name, name_flag, "organization")?;
            let org = client.organizations().get(&name).await?;
            ctx.out.one(&org, &org)
        }
    }
}

pub async fn regions(ctx: &Ctx, cmd: RegionsCmd) -> Result<()> {
    let client = ctx.client().await?;
    match cmd {
        RegionsCmd::List => {
            let regions = client.regions().list().await?;
            ctx.out.list(&regions, &regions)
        }
        RegionsCmd::Get { name, name_flag } => {
            let name = name_arg(name, name_flag, "region")?;
            let region = client.regions().get(&name).await?;
            ctx.out.one(&region, &region)
        }
    }
}

/// Refuses a `--category` that is neither a category nor a name prefix of any class.
fn check_category(all: &[ServerClass], category: &str) -> Result<()> {
    let mut known: Vec<String> = Vec::new();
    for c in all {
        let name = Some(c.metadata.name.as_str());
        let prefix = name.and_then(|n| n.split('.').next());
        let cat = c.spec.category.as_deref();
        for k in [prefix, cat].into_iter().flatten() {
            if !k.is_empty() && !known.iter().any(|x| x == k) {
                known.push(k.to_string());
            }
        }
    }
    known.sort();
    let known: Vec<&str> = known.iter().map(String::as_str).collect();
    filters::check_known("--category", "category", &[category.to_string()], &known)?;
    Ok(())
}

pub async fn server_classes(ctx: &Ctx, cmd: ServerClassesCmd) -> Result<()> {
    let client = ctx.client().await?;
    match cmd {
        ServerClassesCmd::List(a) => {
            let regions = filters::region_filter(ctx, client).await?;
            let all = client
                .server_classes()
                .list(&ServerClassFilter::default())
                .await?;
            if let Some(category) = &a.category {
                check_category(&all, category)?;
            }
            let filter = ServerClassFilter {
                region: None,
                category: a.category,
                min_cpu: a.min_cpu,
                max_cpu: a.max_cpu,
                min_memory_gb: a.min_memory,
                max_memory_gb: a.max_memory,
                only_available: a.available,
            };
            let classes: Vec<ServerClass> = all
                .into_iter()
                .filter(|c| {
                    let region = c.spec.region.as_deref();
                    filter.matches(c) && filters::region_matches(&regions, region)
                })
                .collect();
            ctx.out.list(&classes, &classes)
        }
        ServerClassesCmd::Get { name, name_flag } => {
            let name = name_arg(name, name_flag, "server class")?;
            let class = client.server_classes().get(&name).await?;
            ctx.out.one(&class, &class)
        }
    }
}

impl crate::shape::Shaped for OrganizationsCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            OrganizationsCmd::List | OrganizationsCmd::Get { .. } => crate::shape::Shape::RESOURCE,
        }
    }
}

impl crate::shape::Shaped for RegionsCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            RegionsCmd::List | RegionsCmd::Get { .. } => crate::shape::Shape::RESOURCE,
        }
    }
}

impl crate::shape::Shaped for ServerClassesCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            ServerClassesCmd::List(_) | ServerClassesCmd::Get { .. } => {
                crate::shape::Shape::RESOURCE
            }
        }
    }
}
