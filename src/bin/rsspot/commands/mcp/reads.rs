//! The read tools: reference data, prices and advice, the autopilot preview, and one `list` /
//! `get` pair for every kind of resource, written once over [`rsspot::Kind`].

use anyhow::Result;
use rmcp::model::JsonObject;
use rsspot::pricing::advice::Risk;
use rsspot::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool, VmSshKey};
use rsspot::services::{AutopilotPoolCreate, ServerClassFilter};
use rsspot::types::inventory::{VmCloudSpace, VmPool};
use rsspot::{Kind, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::server::{Answer, Spec, SpotTools, parse, read_tool};

/// Every kind of resource the `list` and `get` tools read.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum KindArg {
    /// Cloudspaces (Kubernetes clusters).
    Cloudspace,
    /// Spot node pools (nodes won at auction).
    SpotPool,
    /// On-demand node pools.
    OndemandPool,
    /// Autopilot node pools (a vCPU target the service packs).
    AutopilotPool,
    /// SSH keys for VMs.
    VmSshKey,
    /// VM cloudspaces.
    VmCloudspace,
    /// VM pools.
    VmPool,
}

/// Pre-emption risk accepted by a bid.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RiskArg {
    /// Rarely outbid: bid from P80.
    Low,
    /// Bid from the median.
    Med,
    /// Cheapest: bid from P20.
    High,
}

impl From<RiskArg> for Risk {
    fn from(r: RiskArg) -> Risk {
        match r {
            RiskArg::Low => Risk::Low,
            RiskArg::Med => Risk::Med,
            RiskArg::High => Risk::High,
        }
    }
}

/// No arguments.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// `server_classes`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassesArgs {
    /// Only the classes of this region, e.g. us-central-dfw-1.
    #[serde(default)]
    pub region: Option<String>,
}

/// `prices`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PricesArgs {
    /// Only this server class, e.g. gp.vs1.medium-dfw.
    #[serde(default)]
    pub server_class: Option<String>,
    /// Nodes to price (default 1).
    #[serde(default)]
    pub nodes: Option<u32>,
}

/// `price_history` and `bid_advice`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassArgs {
    /// The server class, e.g. gp.vs1.medium-dfw.
    pub server_class: String,
    /// Pre-emption risk accepted (bid advice only): low (bid from P80), med (median, the
    /// default) or high (P20, cheapest).
    #[serde(default)]
    pub risk: Option<RiskArg>,
}

/// `autopilot_preview`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewArgs {
    /// The cloudspace the pool would belong to.
    pub cloudspace: String,
    /// vCPUs wanted in total.
    pub vcpu_total: u32,
    /// Bid ceiling per node-hour in USD, e.g. "0.08".
    pub budget_per_hour: String,
    /// Fewest vCPUs per node (with vcpu_per_node_max).
    #[serde(default)]
    pub vcpu_per_node_min: Option<u32>,
    /// Most vCPUs per node (with vcpu_per_node_min).
    #[serde(default)]
    pub vcpu_per_node_max: Option<u32>,
}

/// `list`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// The kind of resource.
    pub kind: KindArg,
    /// Only the objects of this parent: a cloudspace (node pools) or a VM cloudspace (VM pools).
    #[serde(default)]
    pub parent: Option<String>,
}

/// `get`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetArgs {
    /// The kind of resource.
    pub kind: KindArg,
    /// Its name.
    pub name: String,
}

/// `fleet_diff`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetDiffArgs {
    /// The fleet file's text (YAML, or JSON starting with `{`), as `rsspot diff -f` reads it.
    pub fleet: String,
    /// Also list what the account holds and the file does not (it would be deleted by an
    /// apply with --prune).
    #[serde(default)]
    pub prune: bool,
}

/// The read tools' entries.
pub(super) fn specs() -> Vec<Spec> {
    vec![
        read_tool::<NoArgs>(
            "organizations",
            "Organizations the profile's token belongs to.",
        ),
        read_tool::<NoArgs>("regions", "Regions of Rackspace Spot."),
        read_tool::<ClassesArgs>(
            "server_classes",
            "Server classes (sizes, prices, availability), optionally of one region.",
        ),
        read_tool::<PricesArgs>(
            "prices",
            "Per-class prices: market, floor, on-demand, percentiles and hyperscaler comparables.",
        ),
        read_tool::<ClassArgs>(
            "price_history",
            "Summary of a server class's hammer-price history: points, min, max, last, span.",
        ),
        read_tool::<ClassArgs>(
            "bid_advice",
            "A bid the server accepts for a server class at a pre-emption risk, with reasons.",
        ),
        read_tool::<PreviewArgs>(
            "autopilot_preview",
            "Estimate what an autopilot pool would be packed into: classes, nodes, cost.",
        ),
        read_tool::<ListArgs>(
            "list",
            "Every object of a kind (cloudspace, spot_pool, ondemand_pool, autopilot_pool, \
             vm_ssh_key, vm_cloudspace, vm_pool), optionally of one parent.",
        ),
        read_tool::<GetArgs>("get", "One object of a kind, by name."),
        read_tool::<FleetDiffArgs>(
            "fleet_diff",
            "What applying a fleet file would create, change and delete, with the cost before \
             and after and the guardrail concerns (the plan of `rsspot diff -f`).",
        ),
    ]
}

/// Runs the read tool `name`; `None` when it is not one.
pub(super) async fn call(
    tools: &SpotTools,
    name: &str,
    args: &JsonObject,
) -> Option<Result<Answer>> {
    Some(match name {
        "organizations" => organizations(tools).await,
        "regions" => regions(tools).await,
        "server_classes" => match parse::<ClassesArgs>(name, args) {
            Ok(a) => server_classes(tools, a).await,
            Err(e) => Err(e),
        },
        "prices" => match parse::<PricesArgs>(name, args) {
            Ok(a) => prices(tools, a).await,
            Err(e) => Err(e),
        },
        "price_history" => match parse::<ClassArgs>(name, args) {
            Ok(a) => price_history(tools, a).await,
            Err(e) => Err(e),
        },
        "bid_advice" => match parse::<ClassArgs>(name, args) {
            Ok(a) => bid_advice(tools, a).await,
            Err(e) => Err(e),
        },
        "autopilot_preview" => match parse::<PreviewArgs>(name, args) {
            Ok(a) => autopilot_preview(tools, a).await,
            Err(e) => Err(e),
        },
        "list" => match parse::<ListArgs>(name, args) {
            Ok(a) => list_any(tools, a).await,
            Err(e) => Err(e),
        },
        "get" => match parse::<GetArgs>(name, args) {
            Ok(a) => get_any(tools, a).await,
            Err(e) => Err(e),
        },
        "fleet_diff" => match parse::<FleetDiffArgs>(name, args) {
            Ok(a) => fleet_diff(tools, a).await,
            Err(e) => Err(e),
        },
        _ => return None,
    })
}

/// The plan of a fleet file against the organization (one list per kind, nothing written).
async fn fleet_diff(tools: &SpotTools, a: FleetDiffArgs) -> Result<Answer> {
    let fleet = super::fleet::parse_fleet(&a.fleet)?;
    let opts = rsspot::fleet::PlanOptions {
        prune: a.prune,
        limits: tools.limits,
        ..Default::default()
    };
    let plan = rsspot::fleet::plan(&tools.org(), &fleet, &opts).await?;
    let text = super::fleet::summary(&plan);
    Answer::new(plan, text)
}

async fn organizations(tools: &SpotTools) -> Result<Answer> {
    let orgs = tools.client.organizations().list().await?;
    let n = orgs.len();
    Answer::new(orgs, format!("{n} organization(s)"))
}

async fn regions(tools: &SpotTools) -> Result<Answer> {
    let regions = tools.client.regions().list().await?;
    let names: Vec<&str> = regions.iter().map(|r| r.name()).collect();
    let text = format!("{} region(s): {}", names.len(), names.join(", "));
    Answer::new(regions, text)
}

async fn server_classes(tools: &SpotTools, a: ClassesArgs) -> Result<Answer> {
    let filter = ServerClassFilter {
        region: a.region,
        ..Default::default()
    };
    let classes = tools.client.server_classes().list(&filter).await?;
    let n = classes.len();
    Answer::new(classes, format!("{n} server class(es)"))
}

async fn prices(tools: &SpotTools, a: PricesArgs) -> Result<Answer> {
    let mut rows = tools.client.pricing().rows(a.nodes.unwrap_or(1)).await?;
    if let Some(class) = &a.server_class {
        rows.retain(|r| &r.name == class);
        if rows.is_empty() {
            return Err(rsspot::Error::not_found("server class", class).into());
        }
    }
    let n = rows.len();
    Answer::new(rows, format!("prices of {n} server class(es)"))
}

async fn price_history(tools: &SpotTools, a: ClassArgs) -> Result<Answer> {
    let history = tools.client.pricing().history(&a.server_class).await?;
    let stats = history.stats();
    let text = match &stats {
        Some(s) => format!(
            "{}: {} points, min ${}, max ${}, last ${} {}",
            a.server_class,
            s.points,
            s.min,
            s.max,
            s.last,
            history.sparkline(24)
        ),
        None => format!("{}: no price history", a.server_class),
    };
    Answer::new(
        serde_json::json!({ "server_class": a.server_class, "summary": stats }),
        text,
    )
}

async fn bid_advice(tools: &SpotTools, a: ClassArgs) -> Result<Answer> {
    let risk = a.risk.map(Risk::from).unwrap_or_default();
    let advice = tools.client.pricing().advise(&a.server_class, risk).await?;
    let text = format!(
        "bid {} for {}: {}",
        advice.bid,
        a.server_class,
        advice.reasoning.join("; ")
    );
    Answer::new(advice, text)
}

async fn autopilot_preview(tools: &SpotTools, a: PreviewArgs) -> Result<Answer> {
    let budget = a
        .budget_per_hour
        .trim()
        .trim_start_matches('$')
        .parse()
        .map_err(|_| {
            rsspot::Error::invalid(
                "budget_per_hour",
                format!("{:?} is not a price in USD, e.g. 0.08", a.budget_per_hour),
            )
        })?;
    let mut req = AutopilotPoolCreate::new(a.cloudspace, a.vcpu_total, budget);
    if let (Some(min), Some(max)) = (a.vcpu_per_node_min, a.vcpu_per_node_max) {
        req = req.per_node(min, max);
    }
    let preview = tools.org().autopilot_pools().preview(&req).await?;
    let text = format!(
        "estimate: {} of {} vCPUs in {} class(es), ${}/h, ${}/month",
        preview.packed_vcpus,
        preview.target_vcpus,
        preview.classes.len(),
        preview.hourly_usd.round_dp(3),
        preview.monthly_usd.round_dp(2)
    );
    Answer::new(preview, text)
}

/// `list` of any kind: one generic call, chosen by the kind argument.
async fn list_any(tools: &SpotTools, a: ListArgs) -> Result<Answer> {
    let parent = a.parent.as_deref();
    match a.kind {
        KindArg::Cloudspace => list::<CloudSpace>(tools, parent).await,
        KindArg::SpotPool => list::<SpotNodePool>(tools, parent).await,
        KindArg::OndemandPool => list::<OnDemandNodePool>(tools, parent).await,
        KindArg::AutopilotPool => list::<AutopilotNodePool>(tools, parent).await,
        KindArg::VmSshKey => list::<VmSshKey>(tools, parent).await,
        KindArg::VmCloudspace => list::<VmCloudSpace>(tools, parent).await,
        KindArg::VmPool => list::<VmPool>(tools, parent).await,
    }
}

/// `get` of any kind.
async fn get_any(tools: &SpotTools, a: GetArgs) -> Result<Answer> {
    let name = a.name.as_str();
    match a.kind {
        KindArg::Cloudspace => get::<CloudSpace>(tools, name).await,
        KindArg::SpotPool => get::<SpotNodePool>(tools, name).await,
        KindArg::OndemandPool => get::<OnDemandNodePool>(tools, name).await,
        KindArg::AutopilotPool => get::<AutopilotNodePool>(tools, name).await,
        KindArg::VmSshKey => get::<VmSshKey>(tools, name).await,
        KindArg::VmCloudspace => get::<VmCloudSpace>(tools, name).await,
        KindArg::VmPool => get::<VmPool>(tools, name).await,
    }
}

/// What identifies an object at a glance: name, parent, phase.
fn summary<K: Kind>(obj: &K) -> serde_json::Value {
    serde_json::json!({
        "name": obj.meta().name,
        "parent": obj.parent(),
        "phase": obj.phase(),
    })
}

async fn list<K: Kind>(tools: &SpotTools, parent: Option<&str>) -> Result<Answer> {
    if parent.is_some() && K::PARENT_LABEL.is_none() {
        anyhow::bail!(rsspot::Error::invalid(
            "parent",
            format!("a {} has no parent; leave `parent` out", K::KIND)
        ));
    }
    let items = tools.org().api::<K>().within(parent).list().await?;
    let summaries: Vec<serde_json::Value> = items.iter().map(summary).collect();
    let names: Vec<String> = items
        .iter()
        .filter_map(|o| o.meta().name.map(str::to_string))
        .collect();
    let text = format!("{} {}(s): {}", items.len(), K::KIND, names.join(", "));
    Answer::new(
        serde_json::json!({
            "kind": K::KIND,
            "count": items.len(),
            "summary": summaries,
            "items": items,
        }),
        text,
    )
}

async fn get<K: Kind>(tools: &SpotTools, name: &str) -> Result<Answer> {
    let obj = tools.org().api::<K>().get(name).await?;
    let text = format!(
        "{} {name}: {}",
        K::KIND,
        obj.phase().unwrap_or("no phase reported")
    );
    Answer::new(
        serde_json::json!({ "kind": K::KIND, "summary": summary(&obj), "object": obj }),
        text,
    )
}
