//! `nodepools spot|ondemand list|get|create|update|delete|wait`: the node pools of cloudspaces.
//!
//! Creates and updates go through the SDK's request types: the bid is a [`Bid`] from the flag
//! on, the floor is checked against the class, updates send only the flags that were given, and
//! spending concerns (bid above on-demand, more nodes than available, `max_monthly_usd`) are
//! confirmed first ([`spend`]), for `desired` and for the `--autoscaling-max` the pool may grow to.

mod autopilot;
pub(crate) mod kind;
pub(crate) mod rows;
pub(crate) mod spend;

use crate::help_layout::WithExamples;
use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::pricing::Bid;
use rsspot::raw::types::{OnDemandNodePool, SpotNodePool};
use rsspot::services::node_pools::{DEFAULT_FULFILLED_TIMEOUT, PoolCommon};
use rsspot::services::{Autoscaling, OnDemandPoolCreate, PoolRequest, PoolUpdate, Taint};
use rsspot::{ResourceExt, SpotClient};

use crate::args::{NameArgs, WaitFlags};
use crate::ctx::Ctx;
use crate::filters;
use crate::kinds::Pools;
use crate::output::dash;
use crate::progress;
use crate::view::{self, GetArgs, WatchArgs};
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

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only pools of this cloudspace.
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: Option<String>,
    /// Only pools of these server classes, e.g. gp.vs1.medium-dfw, or gp.vs1.medium for every
    /// region (repeatable, comma-separated).
    #[arg(long = "class", alias = "server-class", value_name = "CLASS")]
    pub classes: Vec<String>,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// `wait`.
#[derive(Debug, Args)]
pub struct PoolWaitArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Give up after: 90s, 20m, 1h or seconds (default 30m).
    #[arg(long, value_parser = progress::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// Create flags shared by spot and on-demand pools.
#[derive(Debug, Args)]
pub struct PoolCreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Cloudspace the pool belongs to.
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: String,
    /// Server class, e.g. gp.vs1.medium-dfw.
    #[arg(long, alias = "serverclass", value_name = "CLASS")]
    pub server_class: String,
    /// Desired node count.
    #[arg(long)]
    pub desired: u32,
    /// Autoscaling minimum (with --autoscaling-max).
    #[arg(long, requires = "autoscaling_max", value_name = "N")]
    pub autoscaling_min: Option<u32>,
    /// Autoscaling maximum (with --autoscaling-min).
    #[arg(long, requires = "autoscaling_min", value_name = "N")]
    pub autoscaling_max: Option<u32>,
    /// Node label key=value (repeatable).
    #[arg(long = "label", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub labels: Vec<(String, String)>,
    /// Node annotation key=value (repeatable).
    #[arg(long = "annotation", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub annotations: Vec<(String, String)>,
    /// Node taint key=value:Effect (NoSchedule, PreferNoSchedule, NoExecute; repeatable).
    #[arg(long = "taint", value_parser = parse_taint, value_name = "KEY=VALUE:EFFECT")]
    pub taints: Vec<Taint>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `create`: the flags both kinds take and the kind's bid flag.
#[derive(Debug, Args)]
pub struct CreateArgs<B: Args> {
    #[command(flatten)]
    pub common: PoolCreateArgs,
    #[command(flatten)]
    pub bid: B,
}

/// `update`: the flags both kinds take and the kind's bid flag.
#[derive(Debug, Args)]
pub struct UpdateArgs<U: Args> {
    #[command(flatten)]
    pub common: PoolUpdateArgs,
    #[command(flatten)]
    pub bid: U,
}

/// The bid a pool kind's flags give, if any.
pub trait BidFlag {
    /// The bid given.
    fn bid(&self) -> Option<Bid>;
}

/// `spot create --bid-price`.
#[derive(Debug, Args)]
pub struct SpotBid {
    /// Maximum price per node-hour in USD, e.g. 0.06 or $0.06 (at most three decimals; checked
    /// against the class's floor).
    #[arg(long, alias = "bidprice", value_name = "USD")]
    pub bid_price: Bid,
}

/// `spot update --bid-price`.
#[derive(Debug, Args)]
pub struct SpotBidChange {
    /// New bid in USD per node-hour (at most three decimals; checked against the class's floor).
    #[arg(long, alias = "bidprice", value_name = "USD")]
    pub bid_price: Option<Bid>,
}

/// On-demand pools have no bid.
#[derive(Debug, Args)]
pub struct NoBid {}

impl BidFlag for SpotBid {
    fn bid(&self) -> Option<Bid> {
        Some(self.bid_price)
    }
}

impl BidFlag for SpotBidChange {
    fn bid(&self) -> Option<Bid> {
        self.bid_price
    }
}

impl BidFlag for NoBid {
    fn bid(&self) -> Option<Bid> {
        None
    }
}

/// Update flags shared by spot and on-demand pools.
#[derive(Debug, Args)]
pub struct PoolUpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New desired node count.
    #[arg(long)]
    pub desired: Option<u32>,
    /// Enable autoscaling with this minimum (with --autoscaling-max).
    #[arg(long, requires = "autoscaling_max", value_name = "N")]
    pub autoscaling_min: Option<u32>,
    /// Enable autoscaling with this maximum (with --autoscaling-min).
    #[arg(long, requires = "autoscaling_min", value_name = "N")]
    pub autoscaling_max: Option<u32>,
    /// Disable autoscaling.
    #[arg(long, conflicts_with_all = ["autoscaling_min", "autoscaling_max"])]
    pub no_autoscaling: bool,
    /// Replace the node labels with these key=value pairs (repeatable).
    #[arg(long = "label", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub labels: Vec<(String, String)>,
    /// Replace the node annotations with these key=value pairs (repeatable).
    #[arg(long = "annotation", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub annotations: Vec<(String, String)>,
    /// Replace the node taints with these key=value:Effect taints (repeatable).
    #[arg(long = "taint", value_parser = parse_taint, value_name = "KEY=VALUE:EFFECT")]
    pub taints: Vec<Taint>,
    /// Accepted for older scripts: must match the pool's cloudspace (a pool cannot move).
    #[arg(long, hide = true, value_parser = crate::names::cloudspace)]
    pub cloudspace: Option<String>,
    /// Accepted for older scripts: must match the pool's server class (it cannot change).
    #[arg(long, alias = "serverclass", hide = true)]
    pub server_class: Option<String>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact merge-patch body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `key=value` (split on the first `=`, both sides trimmed, key non-empty).
pub fn parse_kv(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().into(), v.trim().into())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

pub fn parse_taint(s: &str) -> Result<Taint, String> {
    s.parse::<Taint>().map_err(|e| e.to_string())
}

fn to_map(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
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

/// The fields both pool kinds share, from the flags (the SDK validates them).
fn create_common(a: &PoolCreateArgs) -> PoolCommon {
    // The on-demand builder is the plain shared part; spot adds only its bid.
    let mut req = OnDemandPoolCreate::new(&a.cloudspace, &a.server_class, a.desired);
    if let Some(n) = a.name.name.clone().or(a.name.name_flag.clone()) {
        req = req.name(n);
    }
    if let (Some(min), Some(max)) = (a.autoscaling_min, a.autoscaling_max) {
        req = req.autoscaling(min, max);
    }
    for (k, v) in &a.labels {
        req = req.label(k.clone(), v.clone());
    }
    for (k, v) in &a.annotations {
        req = req.annotation(k.clone(), v.clone());
    }
    for t in &a.taints {
        req = req.taint(t.clone());
    }
    req.common
}

fn update_common(a: &PoolUpdateArgs) -> PoolUpdate {
    let autoscaling = if a.no_autoscaling {
        Some(None)
    } else {
        match (a.autoscaling_min, a.autoscaling_max) {
            (Some(min), Some(max)) => Some(Some(Autoscaling {
                min_nodes: min,
                max_nodes: max,
            })),
            _ => None,
        }
    };
    PoolUpdate {
        desired: a.desired,
        autoscaling,
        labels: (!a.labels.is_empty()).then(|| to_map(a.labels.clone())),
        annotations: (!a.annotations.is_empty()).then(|| to_map(a.annotations.clone())),
        taints: (!a.taints.is_empty()).then(|| a.taints.clone()),
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

    #[test]
    fn key_values() {
        assert_eq!(parse_kv("team=a"), Ok(("team".into(), "a".into())));
        assert_eq!(parse_kv(" k = v=w "), Ok(("k".into(), "v=w".into())));
        assert_eq!(parse_kv("k="), Ok(("k".into(), String::new())));
        assert!(parse_kv("novalue").is_err());
        assert!(parse_kv("=v").is_err());
    }

    #[test]
    fn update_sends_only_given_flags() {
        let a = PoolUpdateArgs {
            name: NameArgs {
                name: Some("x".into()),
                name_flag: None,
            },
            desired: None,
            autoscaling_min: None,
            autoscaling_max: None,
            no_autoscaling: false,
            labels: vec![],
            annotations: vec![],
            taints: vec![],
            cloudspace: None,
            server_class: None,
            wait: WaitFlags {
                wait: false,
                timeout: None,
            },
            dry_run: false,
        };
        assert_eq!(update_common(&a), PoolUpdate::default());
        let b = PoolUpdateArgs {
            no_autoscaling: true,
            labels: vec![("a".into(), "1".into())],
            ..a
        };
        let u = update_common(&b);
        assert_eq!(u.autoscaling, Some(None));
        assert_eq!(u.labels.unwrap().get("a").map(String::as_str), Some("1"));
        assert_eq!(u.desired, None);
        assert_eq!(u.taints, None);
    }
}
