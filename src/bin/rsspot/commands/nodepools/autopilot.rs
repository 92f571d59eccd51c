//! `nodepools autopilot list|get|create|update|delete|wait`: a vCPU budget for a cloudspace
//! that the service turns into pools (`status.allocations`).

use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::raw::types::AutopilotNodePool;
use rsspot::services::{AutopilotPoolCreate, AutopilotPoolUpdate};
use rust_decimal::Decimal;

use super::super::cloudspaces::{NameArgs, WaitFlags};
use super::{PoolWaitArgs, spend};
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
    Create(CreateArgs),
    /// Change the vCPU total and/or budget.
    Update(UpdateArgs),
    /// Delete an autopilot pool (asks on a terminal; --yes otherwise).
    #[command(visible_alias = "rm")]
    Delete(NameArgs),
    /// Wait until the budget is allocated.
    Wait(PoolWaitArgs),
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

/// `create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Cloudspace the nodes join.
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: String,
    /// Total vCPUs wanted.
    #[arg(long, value_name = "N")]
    pub vcpu: u32,
    /// Fewest vCPUs per node (with --max-vcpu-per-node).
    #[arg(long, requires = "max_vcpu_per_node", value_name = "N")]
    pub min_vcpu_per_node: Option<u32>,
    /// Most vCPUs per node (with --min-vcpu-per-node).
    #[arg(long, requires = "min_vcpu_per_node", value_name = "N")]
    pub max_vcpu_per_node: Option<u32>,
    /// Memory per vCPU, e.g. 4Gi.
    #[arg(long)]
    pub memory_per_vcpu: Option<String>,
    /// Most the pool may cost per hour, in USD.
    #[arg(long, value_name = "USD")]
    pub budget_per_hour: Option<Decimal>,
    /// How the service picks classes (e.g. lowestPrice).
    #[arg(long)]
    pub allocation_strategy: Option<String>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New vCPU total.
    #[arg(long, value_name = "N")]
    pub vcpu: Option<u32>,
    /// New hourly budget in USD.
    #[arg(long, value_name = "USD")]
    pub budget_per_hour: Option<Decimal>,
}

/// The pool's hourly budget as the server holds it (a string or a number on the wire).
fn budget_text(pool: &AutopilotNodePool) -> Option<String> {
    let b = pool.spec.as_ref()?.budget_per_hour.as_ref()?;
    Some(b.as_str().map_or_else(|| b.to_string(), String::from))
}

/// [`budget_text`] as a number (`None`: no budget, or one that is not a number).
fn budget_of(pool: &AutopilotNodePool) -> Option<Decimal> {
    budget_text(pool)?.parse().ok()
}

impl Tabular for AutopilotNodePool {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec![
            "NAME",
            "CLOUDSPACE",
            "VCPUS",
            "MANAGED",
            "BUDGET/H",
            "PHASE",
        ];
        if wide {
            h.push("ALLOCATIONS");
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let spec = self.spec.as_ref();
        let status = self.status.as_ref();
        let mut r = vec![
            self.name(),
            dash(spec.and_then(|s| s.cloud_space.as_ref())),
            dash(spec.and_then(|s| s.vcpu.as_ref()).and_then(|v| v.total)),
            dash(status.and_then(|s| s.managed_vcpus)),
            dash(budget_text(self)),
            dash(status.and_then(|s| s.phase.as_ref())),
        ];
        if wide {
            let allocations = status
                .map(|s| {
                    s.allocations
                        .iter()
                        .map(|a| {
                            let class =
                                a.get("serverClass").and_then(|v| v.as_str()).unwrap_or("?");
                            let nodes = a.get("nodes").map(ToString::to_string).unwrap_or_default();
                            format!("{nodes}×{class}")
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_default();
            r.push(dash(Some(allocations).filter(|a| !a.is_empty())));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or_default()
    }
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
        |client, org, opts| async move {
            let pools = client.autopilot_pools();
            pools
                .wait_until_allocated(name, org.as_deref(), &opts)
                .await
        },
    )
    .await
}

/// Runs a `nodepools autopilot` subcommand.
pub async fn run(ctx: &Ctx, cmd: AutopilotCmd) -> Result<()> {
    let org = ctx.org();
    let client = ctx.client().await?;
    let pools = client.autopilot_pools();
    match cmd {
        AutopilotCmd::List(a) => {
            let kind = AutopilotPools::of(ctx, a.cloudspace.as_deref());
            view::list(ctx, &kind, &a.watch).await
        }
        AutopilotCmd::Get(a) => view::get(ctx, &AutopilotPools::of(ctx, None), a).await,
        AutopilotCmd::Create(a) => {
            let mut req = AutopilotPoolCreate::new(&a.cloudspace, a.vcpu);
            req.name = a.name.name.clone().or(a.name.name_flag.clone());
            req.region = ctx.global.region.clone();
            req.vcpu_per_node = a.min_vcpu_per_node.zip(a.max_vcpu_per_node);
            req.memory_per_vcpu = a.memory_per_vcpu.clone();
            req.budget_per_hour = a.budget_per_hour;
            req.allocation_strategy = a.allocation_strategy.clone();
            // Checked before the budget question: a request that cannot be sent asks nothing.
            req.validate()?;
            let concerns = spend::assess_budget(req.budget_per_hour, &spend::limits(ctx).await?);
            if a.dry_run {
                let (_, body) = pools.prepare_create(&req, org).await?;
                spend::decide(ctx, "autopilot pool", &concerns, true)?;
                return ctx.out.dry_run("this is the request body", &body);
            }
            spend::decide(ctx, "autopilot pool", &concerns, false)?;
            let pool = pools.create(&req, org).await?;
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
            let upd = AutopilotPoolUpdate {
                vcpu_total: a.vcpu,
                budget_per_hour: a.budget_per_hour,
            };
            let limits = spend::limits(ctx).await?;
            // Without a new budget the pool keeps its own: re-read it (only when a limit is set
            // and there is something to change; the service refuses an empty update).
            let budget = match (upd.budget_per_hour, limits.max_monthly_usd, upd.vcpu_total) {
                (Some(b), _, _) => Some(b),
                (None, Some(_), Some(_)) => budget_of(&pools.get(&name, org).await?),
                (None, _, _) => None,
            };
            if upd.budget_per_hour.is_some() || upd.vcpu_total.is_some() {
                let concerns = spend::assess_budget(budget, &limits);
                spend::decide(ctx, "autopilot pool", &concerns, false)?;
            }
            let pool = pools.update(&name, &upd, org).await?;
            ctx.out.one(&pool, &pool)
        }
        AutopilotCmd::Delete(n) => {
            view::delete(
                ctx,
                n,
                "autopilot pool",
                " and the nodes it manages",
                |name| async move { pools.delete(&name, org).await },
            )
            .await
        }
        AutopilotCmd::Wait(a) => {
            let name = a.name.get("autopilot pool")?;
            let pool = wait_allocated(ctx, &name, a.timeout).await?;
            ctx.out.one(&pool, &pool)
        }
    }
}
