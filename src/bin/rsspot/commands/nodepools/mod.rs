//! `nodepools spot|ondemand list|get|create|update|delete|wait`: the node pools of cloudspaces.
//!
//! Creates and updates go through the SDK's request types: the bid is a [`Bid`](rsspot::pricing::Bid) from the flag
//! on, the floor is checked against the class, updates send only the flags that were given, and
//! spending concerns (bid above on-demand, more nodes than available, `max_monthly_usd`) are
//! confirmed first ([`spend`]), for `desired` and for the `--autoscaling-max` the pool may grow to.

mod autopilot;
mod flags;
pub(crate) mod kind;
pub(crate) mod rows;
pub(crate) mod spend;

use crate::help_layout::WithExamples;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::raw::types::{OnDemandNodePool, SpotNodePool};
use rsspot::services::PoolRequest;
use rsspot::services::node_pools::DEFAULT_FULFILLED_TIMEOUT;
use rsspot::{ResourceExt, SpotClient};

use crate::args::NameArgs;
use crate::ctx::Ctx;
use crate::filters;
use crate::kinds::Pools;
use crate::output::dash;
use crate::progress;
use crate::view::{self, GetArgs};
pub use flags::*;
use kind::PoolColumns;

/// Node pool kinds.
#[derive(Debug, Subcommand)]
pub enum NodepoolsCmd {
    /// Spot pools: nodes won at auction for a bid.
    #[command(subcommand)]
    #[command(sub_examples("list", &[
        ("Spot pools of one cloudspace", "rsspot np spot list --cloudspace demo"),
        ("Watch bids being won", "rsspot np spot list --watch"),
    ]))]
    #[command(sub_examples("get", &[
        ("One pool by a unique prefix of its name", "rsspot np spot get 8e4a"),
    ]))]
    #[command(sub_examples("create", &[(
        "Two servers, bidding $0.05/hour",
        "rsspot np spot create --cloudspace demo --server-class gp.vs1.medium-dfw \
         --desired 2 --bid-price 0.05",
    )]))]
    #[command(sub_examples("update", &[
        ("Scale to 3 servers", "rsspot np spot update 8e4a --desired 3"),
    ]))]
    #[command(sub_examples("delete", &[
        ("Delete a pool", "rsspot np spot delete 8e4a --yes"),
    ]))]
    Spot(PoolCmd<SpotBid, SpotBidChange>),
    /// On-demand pools: reserved nodes at the on-demand price.
    #[command(subcommand, visible_alias = "od")]
    #[command(sub_examples("list", &[
        ("On-demand pools", "rsspot np ondemand list"),
    ]))]
    #[command(sub_examples("create", &[(
        "One on-demand server",
        "rsspot np ondemand create --cloudspace demo --server-class gp.vs1.medium-dfw \
         --desired 1",
    )]))]
    Ondemand(PoolCmd<NoBid, NoBid>),
    /// Autopilot pools: a vCPU budget the service turns into pools.
    #[command(subcommand, visible_alias = "ap")]
    Autopilot(autopilot::AutopilotCmd),
}

/// Subcommands shared by both kinds; `B` and `U` are the kind's bid flag on create and update.
#[derive(Debug, Subcommand)]
pub enum PoolCmd<B: Args, U: Args> {
    /// List pools (all cloudspaces unless --cloudspace).
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one pool.
    Get(GetArgs),
    /// Create a pool (a lowercase UUID name is generated unless given).
    Create(CreateArgs<B>),
    /// Change a pool; only the flags given are sent.
    Update(UpdateArgs<U>),
    /// Delete a pool (asks on a terminal; --yes otherwise).
    #[command(visible_alias = "rm")]
    Delete(NameArgs),
    /// Wait until the pool has all its desired nodes.
    ///
    /// Progress goes to stderr. Exit 5 on timeout; Ctrl-C stops waiting with exit 130 and
    /// cancels nothing on the server.
    Wait(PoolWaitArgs),
}

/// Runs a nodepools subcommand.
pub async fn run(ctx: &Ctx, cmd: NodepoolsCmd) -> Result<()> {
    let client = ctx.client().await?;
    match cmd {
        NodepoolsCmd::Spot(c) => run_pools::<SpotNodePool, _, _>(ctx, client, c).await,
        NodepoolsCmd::Ondemand(c) => run_pools::<OnDemandNodePool, _, _>(ctx, client, c).await,
        NodepoolsCmd::Autopilot(c) => autopilot::run(ctx, c).await,
    }
}

/// The legacy `--cloudspace` / `--server-class` on update must describe the pool as it is.
fn check_unchanged(a: &PoolUpdateArgs, name: &str, cloudspace: &str, class: &str) -> Result<()> {
    if let Some(cs) = &a.cloudspace
        && cs != cloudspace
    {
        anyhow::bail!(rsspot::Error::invalid(
            "cloudspace",
            format!(
                "pool {name} belongs to cloudspace {}; a pool cannot move (omit --cloudspace)",
                dash(Some(cloudspace))
            )
        ));
    }
    if let Some(sc) = &a.server_class
        && sc != class
    {
        anyhow::bail!(rsspot::Error::invalid(
            "serverClass",
            format!(
                "pool {name} uses server class {}; the class of a pool cannot change (create a new pool)",
                dash(Some(class))
            )
        ));
    }
    Ok(())
}

/// Every subcommand of a spot or an on-demand pool: the steps are the same, the SDK's
/// [`NodePoolKind`](rsspot::services::NodePoolKind) and the kind's [`PoolColumns`] say what differs.
async fn run_pools<K, B, U>(ctx: &Ctx, client: &SpotClient, cmd: PoolCmd<B, U>) -> Result<()>
where
    K: PoolColumns,
    B: Args + BidFlag,
    U: Args + BidFlag,
{
    let api = client.org_or_default(ctx.org()).api::<K>();
    match cmd {
        PoolCmd::List(a) => {
            let wanted = filters::split_values(&a.classes);
            filters::check_class_filter(client, "--class", &wanted).await?;
            let all = Pools::<K>::of(ctx, client, a.cloudspace.as_deref()).await;
            let kind = filters::Filtered::new(all, move |p: &K| {
                filters::class_matches(&wanted, Some(p.facts().server_class))
            });
            view::list(ctx, &kind, &a.watch).await
        }
        PoolCmd::Get(a) => view::get(ctx, &Pools::<K>::of(ctx, client, None).await, a).await,
        PoolCmd::Create(a) => {
            let c = &a.common;
            let req = K::create_request(create_common(c), a.bid.bid())?;
            let sent = req.sent();
            let limits = spend::limits(ctx).await?;
            let prepared = K::prepare_create(&api, &req, &limits).await?;
            // The worst case autoscaling may reach is checked as `desired` is.
            let worst = spend::create_worst_case(
                sent.bid,
                c.desired,
                c.autoscaling_max,
                &prepared.class,
                &limits,
            );
            let concerns = spend::with_worst_case(prepared.concerns.clone(), worst);
            let advice = spend::decide(ctx, K::WHAT, &concerns, c.dry_run)?;
            if c.dry_run {
                return ctx.out.dry_run("this is the request body", &prepared.body);
            }
            let pool = api.send_create(prepared).await?;
            spend::advise(ctx, &advice);
            let name = pool.name().to_string();
            ctx.out.note(&format!("{} {name} created", K::WHAT));
            let checked = api.verify(&name, sent).await;
            spend::report_mismatches(ctx, &format!("{} {name}", K::WHAT), checked);
            let pool = match c.wait.wait {
                true => match wait::<K>(ctx, &name, c.wait.timeout).await {
                    Ok(p) => p,
                    Err(e) => {
                        // The pool exists: scripts still get its name before the exit code.
                        print::<K>(ctx, client, pool).await?;
                        return Err(e);
                    }
                },
                false => pool,
            };
            print::<K>(ctx, client, pool).await
        }
        PoolCmd::Update(a) => {
            let c = &a.common;
            let name = c.name.clone().get(K::WHAT)?;
            let name =
                view::resolve(&Pools::<K>::of(ctx, client, None).await, client, &name).await?;
            let shared = update_common(c);
            let upd = K::update_request(shared.clone(), a.bid.bid())?;
            let sent = upd.sent();
            let limits = spend::limits(ctx).await?;
            let prepared = K::prepare_update(&api, &name, &upd, &limits).await?;
            let held = prepared.current.facts();
            check_unchanged(c, &name, held.cloudspace, held.server_class)?;
            let worst =
                spend::update_worst_case(client, &shared, sent.bid, &prepared.current, &limits)
                    .await?;
            let concerns = spend::with_worst_case(prepared.concerns.clone(), worst);
            let advice = spend::decide(ctx, K::WHAT, &concerns, c.dry_run)?;
            if c.dry_run {
                return ctx
                    .out
                    .dry_run("this is the merge-patch body", &prepared.patch);
            }
            let pool = api.send_update(&name, prepared).await?;
            spend::advise(ctx, &advice);
            let checked = api.verify(&name, sent).await;
            spend::report_mismatches(ctx, &format!("{} {name}", K::WHAT), checked);
            let pool = match c.wait.wait {
                true => wait::<K>(ctx, &name, c.wait.timeout).await?,
                false => pool,
            };
            print::<K>(ctx, client, pool).await
        }
        PoolCmd::Delete(n) => {
            let n = view::resolve_arg(&Pools::<K>::of(ctx, client, None).await, client, n).await?;
            let api = &api;
            view::delete(ctx, n, K::WHAT, " and its nodes", |name| async move {
                api.delete(&name).await
            })
            .await
        }
        PoolCmd::Wait(a) => {
            let name = a.name.get(K::WHAT)?;
            let name =
                view::resolve(&Pools::<K>::of(ctx, client, None).await, client, &name).await?;
            let pool = wait::<K>(ctx, &name, a.timeout).await?;
            print::<K>(ctx, client, pool).await
        }
    }
}

/// Waits with progress until the pool has all its desired nodes.
async fn wait<K: PoolColumns>(ctx: &Ctx, name: &str, timeout: Option<Duration>) -> Result<K> {
    progress::wait_on(
        ctx,
        &format!("{} {name}", K::WHAT),
        &format!("rsspot nodepools {} wait {name}", K::WORD),
        timeout.unwrap_or(DEFAULT_FULFILLED_TIMEOUT),
        |org, opts| async move { org.api::<K>().wait_ready(name, &opts).await },
    )
    .await
}

/// Prints one pool (with its class's price in a table).
async fn print<K: PoolColumns>(ctx: &Ctx, client: &SpotClient, pool: K) -> Result<()> {
    view::show(ctx, &Pools::<K>::of(ctx, client, None).await, pool)
}

impl crate::shape::Shaped for NodepoolsCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            NodepoolsCmd::Spot(c) => c.shape(),
            NodepoolsCmd::Ondemand(c) => c.shape(),
            NodepoolsCmd::Autopilot(c) => c.shape(),
        }
    }
}

impl<B: Args, U: Args> crate::shape::Shaped for PoolCmd<B, U> {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            PoolCmd::List(_)
            | PoolCmd::Get(_)
            | PoolCmd::Create(_)
            | PoolCmd::Update(_)
            | PoolCmd::Delete(_)
            | PoolCmd::Wait(_) => crate::shape::Shape::RESOURCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(subcommand)]
        cmd: NodepoolsCmd,
    }

    #[test]
    fn command_tree_is_consistent() {
        Probe::command().debug_assert();
        let p = Probe::try_parse_from([
            "x",
            "spot",
            "create",
            "--cloudspace",
            "c",
            "--serverclass",
            "s",
            "--desired",
            "1",
            "--bidprice",
            "0.06",
            "--taint",
            "k=v:NoSchedule",
            "--label",
            "a=b",
            "--label",
            "c=d",
        ])
        .unwrap();
        match p.cmd {
            NodepoolsCmd::Spot(PoolCmd::Create(a)) => {
                assert_eq!(a.bid.bid_price.to_string(), "0.06");
                assert_eq!(a.common.server_class, "s");
                assert_eq!(a.common.labels.len(), 2);
                assert_eq!(a.common.taints[0].effect, "NoSchedule");
                assert_eq!(a.common.name.name, None);
            }
            other => panic!("{other:?}"),
        }
        // On-demand pools take no bid; autoscaling bounds come in pairs.
        assert!(
            Probe::try_parse_from([
                "x",
                "od",
                "create",
                "--cloudspace",
                "c",
                "--server-class",
                "s",
                "--desired",
                "1",
                "--bid-price",
                "1"
            ])
            .is_err()
        );
        assert!(
            Probe::try_parse_from(["x", "spot", "update", "n", "--autoscaling-min", "1"]).is_err()
        );
        assert!(
            Probe::try_parse_from([
                "x",
                "spot",
                "update",
                "n",
                "--no-autoscaling",
                "--autoscaling-min",
                "1",
                "--autoscaling-max",
                "2"
            ])
            .is_err()
        );
    }
}
