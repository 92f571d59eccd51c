//! `nodepools autopilot list|get|create|update|delete|wait`: a vCPU target for a cloudspace
//! that the service packs into child spot pools (`status.allocations`), in the official shape.

use crate::help_layout::WithExamples;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::pricing::autopilot::AutopilotPreview;
use rsspot::raw::types::AutopilotNodePool;
use rsspot::services::autopilot::vcpu_progress;
use rsspot::services::{
    AllocationStrategy, AutopilotPoolCreate, AutopilotPoolUpdate, MemoryPerVcpu, Taint,
};
use rust_decimal::Decimal;

use super::{PoolWaitArgs, spend};
use crate::args::{NameArgs, WaitFlags};
use crate::ctx::Ctx;
use crate::kinds::AutopilotPools;
use crate::output::{Tabular, dash};
use crate::progress;
use crate::view::{self, GetArgs, WatchArgs};

/// Default wait for an allocation.
const DEFAULT_ALLOCATED_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// `nodepools autopilot` subcommands.
#[derive(Debug, Subcommand)]
pub enum AutopilotCmd {
    /// List autopilot pools (all cloudspaces unless --cloudspace).
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one autopilot pool.
    Get(GetArgs),
    /// Create an autopilot pool (a lowercase UUID name is generated unless given).
    #[command(examples(&[
        ("8 vCPUs, at most $0.40/hour", "rsspot np autopilot create --cloudspace demo --vcpu 8 --budget-per-hour 0.40"),
    ]))]
    Create(CreateArgs),
    /// Change the vCPU total, bid ceiling, node bounds, memory ratio, labels or taints.
    Update(UpdateArgs),
    /// Delete an autopilot pool (asks on a terminal; --yes otherwise).
    #[command(visible_alias = "rm")]
    Delete(NameArgs),
    /// Wait until every vCPU wanted is won (managed vCPUs reach the target).
    Wait(PoolWaitArgs),
    /// Estimate what the service would pack a pool into (classes, nodes, cost) from public
    /// prices and server classes; sends no write.
    Preview(SpecArgs),
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only pools of this cloudspace.
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: Option<String>,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// `create`: every field of the official spec (API-NOTES §9.4).
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    #[command(flatten)]
    pub spec: SpecArgs,
    #[command(flatten)]
    pub node: NodeArgs,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// The fields that decide what an autopilot pool is packed into (create and preview).
#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Cloudspace the nodes join (the pool's region is the cloudspace's).
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: String,
    /// Total vCPUs wanted; the service packs exactly this many from the cheapest classes.
    #[arg(long, value_name = "N")]
    pub vcpu: u32,
    /// Fewest vCPUs per node (with --max-vcpu-per-node).
    #[arg(long, requires = "max_vcpu_per_node", value_name = "N")]
    pub min_vcpu_per_node: Option<u32>,
    /// Most vCPUs per node (with --min-vcpu-per-node).
    #[arg(long, requires = "min_vcpu_per_node", value_name = "N")]
    pub max_vcpu_per_node: Option<u32>,
    /// Memory per vCPU in GB: any, 2, 4 or 8.
    #[arg(long, default_value = "any", value_parser = parse_memory, value_name = "any|2|4|8")]
    pub memory_per_vcpu: MemoryPerVcpu,
    /// Bid ceiling per node-hour in USD (required; at most three decimals). The service bids
    /// at most this for any node; it is not a cap on what the pool spends per hour.
    #[arg(long, value_name = "USD")]
    pub budget_per_hour: Decimal,
    /// How the service picks classes (it takes only LowestPrice).
    #[arg(long, default_value = "LowestPrice", value_parser = parse_strategy)]
    pub allocation_strategy: AllocationStrategy,
}

impl SpecArgs {
    /// The request these flags make (region from `--region`, when given).
    fn request(&self, region: Option<String>) -> AutopilotPoolCreate {
        let mut req = AutopilotPoolCreate::new(&self.cloudspace, self.vcpu, self.budget_per_hour);
        req.region = region;
        req.vcpu_per_node = self.min_vcpu_per_node.zip(self.max_vcpu_per_node);
        req.memory_per_vcpu = self.memory_per_vcpu;
        req.allocation_strategy = self.allocation_strategy;
        req
    }
}

/// Node labels, annotations and taints (create sets them; update replaces those given).
#[derive(Debug, Args)]
pub struct NodeArgs {
    /// Node label key=value (repeatable).
    #[arg(long = "label", value_parser = super::parse_kv, value_name = "KEY=VALUE")]
    pub labels: Vec<(String, String)>,
    /// Node annotation key=value (repeatable).
    #[arg(long = "annotation", value_parser = super::parse_kv, value_name = "KEY=VALUE")]
    pub annotations: Vec<(String, String)>,
    /// Node taint key=value:Effect (NoSchedule, PreferNoSchedule, NoExecute; repeatable).
    #[arg(long = "taint", value_parser = super::parse_taint, value_name = "KEY=VALUE:EFFECT")]
    pub taints: Vec<Taint>,
}

/// `update`: any spec field but the region and cloudspace (immutable).
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New vCPU total.
    #[arg(long, value_name = "N")]
    pub vcpu: Option<u32>,
    /// New bid ceiling per node-hour in USD.
    #[arg(long, value_name = "USD")]
    pub budget_per_hour: Option<Decimal>,
    /// New fewest vCPUs per node (with --max-vcpu-per-node).
    #[arg(long, requires = "max_vcpu_per_node", value_name = "N")]
    pub min_vcpu_per_node: Option<u32>,
    /// New most vCPUs per node (with --min-vcpu-per-node).
    #[arg(long, requires = "min_vcpu_per_node", value_name = "N")]
    pub max_vcpu_per_node: Option<u32>,
    /// New memory per vCPU in GB: any, 2, 4 or 8.
    #[arg(long, value_parser = parse_memory, value_name = "any|2|4|8")]
    pub memory_per_vcpu: Option<MemoryPerVcpu>,
    /// Replace the node labels, annotations and taints with those given.
    #[command(flatten)]
    pub node: NodeArgs,
}

fn parse_memory(s: &str) -> Result<MemoryPerVcpu, String> {
    s.parse().map_err(|e: rsspot::Error| e.to_string())
}

fn parse_strategy(s: &str) -> Result<AllocationStrategy, String> {
    s.parse().map_err(|e: rsspot::Error| e.to_string())
}

/// The request a pool's spec makes once `upd` is applied (for the worst-case check).
fn updated_request(pool: &AutopilotNodePool, upd: &AutopilotPoolUpdate) -> AutopilotPoolCreate {
    let spec = &pool.spec;
    let budget = upd
        .budget_per_hour
        .or(spec.budget_per_hour)
        .unwrap_or_default();
    let total = spec.vcpu.as_ref().and_then(|v| v.total).unwrap_or(0);
    let mut req = AutopilotPoolCreate::new(
        spec.cloud_space.clone(),
        upd.vcpu_total.unwrap_or(total),
        budget,
    );
    req.region = spec.region.clone();
    req.vcpu_per_node = upd.vcpu_per_node.or_else(|| {
        let per = spec.vcpu_per_node.as_ref()?;
        per.min.zip(per.max)
    });
    req.memory_per_vcpu = upd
        .memory_per_vcpu
        .or_else(|| spec.memory_per_vcpu.as_deref()?.parse().ok())
        .unwrap_or_default();
    req
}

/// The spending concerns of a pool asking for `req`: with a `max_monthly_usd`, the most it can
/// cost (every node its target could need, bid at the ceiling; from the preview) against it.
async fn worst_case(
    ctx: &Ctx,
    pools: &rsspot::services::AutopilotPools<'_>,
    req: &AutopilotPoolCreate,
) -> Result<Vec<rsspot::pricing::guard::Concern>> {
    let limits = spend::limits(ctx).await?;
    if limits.max_monthly_usd.is_none() {
        return Ok(Vec::new());
    }
    let preview = pools.preview(req).await?;
    Ok(spend::assess_autopilot(preview.max_hourly_usd, &limits))
}

impl Tabular for AutopilotNodePool {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["NAME", "CLOUDSPACE", "VCPUS", "CEILING/H", "PHASE"];
        if wide {
            h.extend(["MEMORY", "ALLOCATIONS", "COOLDOWN"]);
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let spec = &self.spec;
        let status = self.status.as_ref();
        let (managed, target) = vcpu_progress(self);
        let mut r = vec![
            self.name(),
            spec.cloud_space.clone(),
            format!("{managed}/{target}"),
            dash(spec.budget_per_hour),
            dash(status.and_then(|s| s.phase.as_ref())),
        ];
        if wide {
            let allocations: Vec<String> = status
                .iter()
                .flat_map(|s| &s.allocations)
                .map(|a| {
                    format!(
                        "{}/{}×{}",
                        a.won_nodes.unwrap_or(0),
                        a.desired_nodes.unwrap_or(0),
                        a.server_class.as_deref().unwrap_or("?")
                    )
                })
                .collect();
            let cooling: Vec<&str> = status
                .iter()
                .flat_map(|s| &s.class_states)
                .filter(|c| c.cooldown_until.is_some_and(|t| t > chrono::Utc::now()))
                .filter_map(|c| c.server_class.as_deref())
                .collect();
            r.push(dash(status.and_then(|s| s.managed_memory_gb.as_ref())));
            r.push(dash(Some(allocations.join(" ")).filter(|a| !a.is_empty())));
            r.push(dash(Some(cooling.join(" ")).filter(|a| !a.is_empty())));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata.name.clone()
    }
}

/// `get` on a terminal: the pool, then what it allocated (class, child pool, nodes won of
/// desired, market against bid per hour), the classes in cooldown and the recent history.
fn details(ctx: &Ctx, pool: &AutopilotNodePool) -> Result<()> {
    if !ctx.out.is_table() {
        return ctx.out.one(pool, pool);
    }
    ctx.out.one(pool, pool)?;
    let Some(status) = pool.status.as_ref() else {
        return Ok(());
    };
    if !status.allocations.is_empty() {
        let rows = status
            .allocations
            .iter()
            .map(|a| {
                vec![
                    dash(a.server_class.as_ref()),
                    dash(a.spot_node_pool.as_ref()),
                    format!(
                        "{}/{}",
                        a.won_nodes.unwrap_or(0),
                        a.desired_nodes.unwrap_or(0)
                    ),
                    dash(a.vcpu_per_node),
                    dash(a.market_price_per_hour.as_ref()),
                    dash(a.bid_price_per_hour.as_ref()),
                ]
            })
            .collect();
        ctx.out.text("\nAllocations:")?;
        ctx.out.table_fit(
            &[
                "CLASS",
                "SPOT POOL",
                "WON",
                "VCPU/NODE",
                "MARKET/H",
                "BID/H",
            ],
            rows,
            &["SPOT POOL", "VCPU/NODE"],
        )?;
    }
    let now = chrono::Utc::now();
    let cooling: Vec<Vec<String>> = status
        .class_states
        .iter()
        .filter(|c| c.cooldown_until.is_some_and(|t| t > now))
        .map(|c| {
            vec![
                dash(c.server_class.as_ref()),
                dash(c.last_outcome.as_ref()),
                crate::output::age(c.cooldown_until.as_ref()),
            ]
        })
        .collect();
    if !cooling.is_empty() {
        ctx.out.text("\nIn cooldown:")?;
        ctx.out
            .table(&["CLASS", "LAST OUTCOME", "UNTIL"], cooling)?;
    }
    let recent: Vec<Vec<String>> = status
        .allocations_history
        .iter()
        .rev()
        .take(10)
        .map(|h| {
            vec![
                crate::output::age(h.time.as_ref()),
                dash(h.event.as_ref()),
                dash(h.server_class.as_ref()),
                format!(
                    "{}/{}",
                    h.won_nodes.unwrap_or(0),
                    h.desired_nodes.unwrap_or(0)
                ),
                dash(h.reason.as_ref()),
            ]
        })
        .collect();
    if !recent.is_empty() {
        ctx.out.text("\nRecent history (newest first):")?;
        ctx.out.table_fit(
            &["AGE", "EVENT", "CLASS", "WON", "REASON"],
            recent,
            &["REASON"],
        )?;
    }
    Ok(())
}

/// The preview on a terminal: the packing, its cost against the ceiling, the classes left out.
fn show_preview(ctx: &Ctx, p: &AutopilotPreview) -> Result<()> {
    if !ctx.out.is_table() {
        return ctx.out.data(p);
    }
    ctx.out.text(&format!(
        "Estimate from public prices; the service decides (capacity, cooldowns).\n\
         {} vCPUs in {}",
        p.target_vcpus, p.region
    ))?;
    if let Some(why) = &p.unpackable {
        ctx.out.text(&format!("Nothing can be packed: {why}."))?;
    } else {
        let rows = p
            .classes
            .iter()
            .map(|c| {
                vec![
                    c.server_class.clone(),
                    c.nodes.to_string(),
                    c.vcpu_per_node.to_string(),
                    format!("${}", c.market_price_per_hour.normalize()),
                    format!("${}", c.bid_ceiling_per_hour.normalize()),
                    format!("${}", c.hourly.normalize()),
                ]
            })
            .collect();
        ctx.out.table_fit(
            &[
                "CLASS",
                "NODES",
                "VCPU/NODE",
                "MARKET/H",
                "CEILING/H",
                "COST/H",
            ],
            rows,
            &["CEILING/H"],
        )?;
        ctx.out.text(&format!(
            "Expected ${}/h (${}/month) at today's market prices.\n\
             At most ${}/h: {} nodes at the ceiling.",
            p.hourly_usd, p.monthly_usd, p.max_hourly_usd, p.max_nodes
        ))?;
    }
    if !p.short_of_capacity.is_empty() {
        ctx.out.text(&format!(
            "Fewer servers are free now than this asks of {}:\n\
             the service re-packs as nodes fail to be won.",
            p.short_of_capacity.join(", ")
        ))?;
    }
    if !p.excluded.is_empty() {
        let rows = p
            .excluded
            .iter()
            .map(|e| vec![e.server_class.clone(), e.reason.clone()])
            .collect();
        ctx.out.text("\nLeft out:")?;
        ctx.out.table(&["CLASS", "WHY"], rows)?;
    }
    Ok(())
}

async fn wait_allocated(
    ctx: &Ctx,
    name: &str,
    timeout: Option<Duration>,
) -> Result<AutopilotNodePool> {
    progress::wait_on(
        ctx,
        &format!("autopilot pool {name}"),
        &format!("rsspot nodepools autopilot wait {name}"),
        timeout.unwrap_or(DEFAULT_ALLOCATED_TIMEOUT),
        |org, opts| async move { org.autopilot_pools().wait_ready(name, &opts).await },
    )
    .await
}

/// Runs a `nodepools autopilot` subcommand.
pub async fn run(ctx: &Ctx, cmd: AutopilotCmd) -> Result<()> {
    let org = ctx.org();
    let client = ctx.client().await?;
    let pools = client.org_or_default(org).autopilot_pools();
    match cmd {
        AutopilotCmd::List(a) => {
            let kind = AutopilotPools::of(ctx, a.cloudspace.as_deref());
            view::list(ctx, &kind, &a.watch).await
        }
        AutopilotCmd::Get(a) => {
            if a.watch.watch {
                return view::get(ctx, &AutopilotPools::of(ctx, None), a).await;
            }
            let name = a.name.get("autopilot pool")?;
            let name = view::resolve(&AutopilotPools::of(ctx, None), client, &name).await?;
            details(ctx, &pools.get(&name).await?)
        }
        AutopilotCmd::Create(a) => {
            let mut req = a.spec.request(ctx.global.region.clone());
            req.name = a.name.name.clone().or(a.name.name_flag.clone());
            req.labels = a.node.labels.into_iter().collect();
            req.annotations = a.node.annotations.into_iter().collect();
            req.taints = a.node.taints;
            // Checked before the budget question: a request that cannot be sent asks nothing.
            req.validate()?;
            let concerns = worst_case(ctx, &pools, &req).await?;
            if a.dry_run {
                let (_, body) = pools.prepare_create(&req).await?;
                spend::decide(ctx, "autopilot pool", &concerns, true)?;
                return ctx.out.dry_run("this is the request body", &body);
            }
            spend::decide(ctx, "autopilot pool", &concerns, false)?;
            let pool = pools.create(&req).await?;
            let name = pool.name();
            ctx.out.note(&format!("autopilot pool {name} created"));
            let pool = match a.wait.wait {
                true => wait_allocated(ctx, &name, a.wait.timeout).await?,
                false => pool,
            };
            ctx.out.one(&pool, &pool)
        }
        AutopilotCmd::Update(a) => {
            let name = a.name.get("autopilot pool")?;
            let name = view::resolve(&AutopilotPools::of(ctx, None), client, &name).await?;
            let node = a.node;
            let upd = AutopilotPoolUpdate {
                vcpu_total: a.vcpu,
                budget_per_hour: a.budget_per_hour,
                vcpu_per_node: a.min_vcpu_per_node.zip(a.max_vcpu_per_node),
                memory_per_vcpu: a.memory_per_vcpu,
                allocation_strategy: None,
                labels: (!node.labels.is_empty()).then(|| node.labels.into_iter().collect()),
                annotations: (!node.annotations.is_empty())
                    .then(|| node.annotations.into_iter().collect()),
                taints: (!node.taints.is_empty()).then_some(node.taints),
            };
            upd.validate()?;
            let grows = upd.vcpu_total.is_some()
                || upd.budget_per_hour.is_some()
                || upd.vcpu_per_node.is_some()
                || upd.memory_per_vcpu.is_some();
            if grows && spend::limits(ctx).await?.max_monthly_usd.is_some() {
                // What the pool will ask for once updated: its own spec with the update on top.
                let pool = pools.get(&name).await?;
                let req = updated_request(&pool, &upd);
                let concerns = worst_case(ctx, &pools, &req).await?;
                spend::decide(ctx, "autopilot pool", &concerns, false)?;
            }
            let pool = pools.update(&name, &upd).await?;
            ctx.out.one(&pool, &pool)
        }
        AutopilotCmd::Delete(n) => {
            let n = view::resolve_arg(&AutopilotPools::of(ctx, None), client, n).await?;
            view::delete(
                ctx,
                n,
                "autopilot pool",
                " and the nodes it manages",
                |name| async move { pools.delete(&name).await },
            )
            .await
        }
        AutopilotCmd::Preview(a) => {
            let p = pools.preview(&a.request(ctx.global.region.clone())).await?;
            show_preview(ctx, &p)
        }
        AutopilotCmd::Wait(a) => {
            let name = a.name.get("autopilot pool")?;
            let name = view::resolve(&AutopilotPools::of(ctx, None), client, &name).await?;
            let pool = wait_allocated(ctx, &name, a.timeout).await?;
            ctx.out.one(&pool, &pool)
        }
    }
}

impl crate::shape::Shaped for AutopilotCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            // A plan, not an object: no name to print.
            AutopilotCmd::Preview(_) => Shape::REPORT,
            AutopilotCmd::List(_)
            | AutopilotCmd::Get(_)
            | AutopilotCmd::Create(_)
            | AutopilotCmd::Update(_)
            | AutopilotCmd::Delete(_)
            | AutopilotCmd::Wait(_) => Shape::RESOURCE,
        }
    }
}
