//! The write tools (only with `--allow-writes`), each in two steps: without `confirm` the call
//! returns the plan — the exact body, the cost, the CLI's guardrail concerns — and a token; the
//! same call with `confirm` set to that token acts. The guardrails are the CLI's
//! ([`spend`]); a cost over `max_monthly_usd` is refused outright, as no token can confirm it.

use anyhow::Result;
use rmcp::model::JsonObject;
use rsspot::pricing::Bid;
use rsspot::pricing::guard::{self, WorstCase};
use rsspot::pricing::view::ClassInput;
use rsspot::raw::types::{AutopilotNodePool, OnDemandNodePool, SpotNodePool};
use rsspot::services::{CloudSpaceCreate, OnDemandPoolCreate, PoolRequest, PoolUpdate};
use rsspot::{Kind, ResourceExt};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::confirm::{self, TOKEN_LIFETIME};
use super::server::{Answer, Spec, SpotTools, parse, write_tool};
use crate::commands::nodepools::kind::PoolColumns;
use crate::commands::nodepools::spend::{self, Ask, PoolConcern};

/// The names of the write tools.
const WRITES: &[&str] = &[
    "create_pool",
    "scale_pool",
    "delete_pool",
    "create_cloudspace",
    "delete_cloudspace",
    super::fleet::APPLY_FLEET,
];

/// Whether `tool` is a write tool.
pub fn is_write(tool: &str) -> bool {
    WRITES.contains(&tool)
}

/// A spot or an on-demand node pool.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PoolKindArg {
    /// Nodes won at auction for a bid.
    Spot,
    /// Reserved nodes at the on-demand price.
    Ondemand,
}

/// A write's arguments and, on the second call, the plan's confirmation token.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct Confirmable<A> {
    /// The request.
    #[serde(flatten)]
    pub args: A,
    /// The token of the plan this call carries out; leave it out to get the plan.
    #[serde(default, skip_serializing)]
    pub confirm: Option<String>,
}

/// `create_pool`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreatePoolArgs {
    /// spot or ondemand.
    pub kind: PoolKindArg,
    /// The cloudspace the pool belongs to.
    pub cloudspace: String,
    /// Server class, e.g. gp.vs1.medium-dfw.
    pub server_class: String,
    /// Desired node count.
    pub desired: u32,
    /// Bid in USD per node-hour, e.g. "0.08" (spot pools only, required for them).
    #[serde(default)]
    pub bid_price: Option<String>,
    /// Pool name (a lowercase UUID is generated when left out).
    #[serde(default)]
    pub name: Option<String>,
    /// Autoscaling minimum (with autoscaling_max).
    #[serde(default)]
    pub autoscaling_min: Option<u32>,
    /// Autoscaling maximum (with autoscaling_min).
    #[serde(default)]
    pub autoscaling_max: Option<u32>,
}

/// `scale_pool`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ScalePoolArgs {
    /// spot or ondemand.
    pub kind: PoolKindArg,
    /// The pool's name.
    pub name: String,
    /// The new desired node count.
    pub desired: u32,
}

/// `delete_pool`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeletePoolArgs {
    /// spot or ondemand.
    pub kind: PoolKindArg,
    /// The pool's name.
    pub name: String,
}

/// `create_cloudspace`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct CreateCloudspaceArgs {
    /// The cloudspace's name.
    pub name: String,
    /// Region, e.g. us-central-dfw-1 (the profile's default region when left out).
    #[serde(default)]
    pub region: Option<String>,
    /// The paid HA control plane.
    #[serde(default)]
    pub ha_control_plane: bool,
}

/// `delete_cloudspace`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct DeleteCloudspaceArgs {
    /// The cloudspace's name (its node pools are deleted first).
    pub name: String,
}

/// The write tools' entries.
pub(super) fn specs() -> Vec<Spec> {
    vec![
        write_tool::<Confirmable<CreatePoolArgs>>(
            "create_pool",
            "Create a spot or on-demand node pool. Two steps: the plan (body, cost, concerns, \
             token), then the same call with `confirm`.",
        ),
        write_tool::<Confirmable<ScalePoolArgs>>(
            "scale_pool",
            "Change a node pool's desired count. Two steps: plan, then `confirm`.",
        ),
        write_tool::<Confirmable<DeletePoolArgs>>(
            "delete_pool",
            "Delete a node pool and its nodes. Two steps: plan, then `confirm`.",
        ),
        write_tool::<Confirmable<CreateCloudspaceArgs>>(
            "create_cloudspace",
            "Create a cloudspace (Kubernetes cluster). Two steps: plan, then `confirm`.",
        ),
        write_tool::<Confirmable<DeleteCloudspaceArgs>>(
            "delete_cloudspace",
            "Delete a cloudspace and all its node pools. Two steps: plan, then `confirm`.",
        ),
    ]
}

/// Runs the write tool `name`; `None` when it is not one.
pub(super) async fn call(
    tools: &SpotTools,
    name: &str,
    args: &JsonObject,
) -> Option<Result<Answer>> {
    Some(match name {
        "create_pool" => match parse::<Confirmable<CreatePoolArgs>>(name, args) {
            Ok(w) => match w.args.kind {
                PoolKindArg::Spot => create_pool::<SpotNodePool>(tools, w).await,
                PoolKindArg::Ondemand => create_pool::<OnDemandNodePool>(tools, w).await,
            },
            Err(e) => Err(e),
        },
        "scale_pool" => match parse::<Confirmable<ScalePoolArgs>>(name, args) {
            Ok(w) => match w.args.kind {
                PoolKindArg::Spot => scale_pool::<SpotNodePool>(tools, w).await,
                PoolKindArg::Ondemand => scale_pool::<OnDemandNodePool>(tools, w).await,
            },
            Err(e) => Err(e),
        },
        "delete_pool" => match parse::<Confirmable<DeletePoolArgs>>(name, args) {
            Ok(w) => match w.args.kind {
                PoolKindArg::Spot => delete_pool::<SpotNodePool>(tools, w).await,
                PoolKindArg::Ondemand => delete_pool::<OnDemandNodePool>(tools, w).await,
            },
            Err(e) => Err(e),
        },
        "create_cloudspace" => match parse(name, args) {
            Ok(w) => create_cloudspace(tools, w).await,
            Err(e) => Err(e),
        },
        "delete_cloudspace" => match parse(name, args) {
            Ok(w) => delete_cloudspace(tools, w).await,
            Err(e) => Err(e),
        },
        _ => return None,
    })
}

/// Over `max_monthly_usd`: refused whatever the token (the CLI would ask; MCP never crosses a
/// limit).
fn refuse_over_limit(what: &str, concerns: &[PoolConcern]) -> Result<()> {
    let over: Vec<String> = concerns
        .iter()
        .filter(|c| match c {
            PoolConcern::Now(c) => matches!(c, guard::Concern::MonthlyOverLimit { .. }),
            PoolConcern::Worst(w) => w.is_over_limit(),
        })
        .map(ToString::to_string)
        .collect();
    if over.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "{what} refused: {}; through MCP a spending limit is never crossed (raise \
         max_monthly_usd in the profile to allow it)",
        over.join("; ")
    )
}

/// The first step's answer, or the go-ahead of the second: the token is spent, and must have
/// been issued for this tool, organization and arguments, with the same concerns to confirm.
fn plan_or_go(
    tools: &SpotTools,
    tool: &str,
    args: &impl Serialize,
    confirm: Option<&str>,
    concerns: &[PoolConcern],
    plan: serde_json::Value,
    what: &str,
) -> Result<Option<Answer>> {
    let to_confirm: Vec<String> = concerns
        .iter()
        .filter(|c| c.needs_confirmation())
        .map(ToString::to_string)
        .collect();
    let fingerprint = confirm::fingerprint(tool, tools.org.as_deref(), &(args, &to_confirm));
    if let Some(token) = confirm {
        tools.tokens.redeem(token, &fingerprint).map_err(|why| {
            anyhow::anyhow!("{what}: not done: {why}; call {tool} without `confirm` for a new plan")
        })?;
        return Ok(None);
    }
    let token = tools.tokens.issue(fingerprint);
    let listed: Vec<serde_json::Value> = concerns
        .iter()
        .map(|c| {
            serde_json::json!({
                "concern": c.to_string(),
                "needs_confirmation": c.needs_confirmation(),
            })
        })
        .collect();
    let mut text = format!("plan: {what}; nothing sent yet.");
    if !to_confirm.is_empty() {
        text.push_str(&format!(" Concerns to confirm: {}.", to_confirm.join("; ")));
    }
    text.push_str(&format!(
        " To go ahead, call {tool} again with the same arguments and confirm={token:?} (valid {} s, once).",
        TOKEN_LIFETIME.as_secs()
    ));
    let answer = Answer::new(
        serde_json::json!({
            "planned": what,
            "plan": plan,
            "concerns": listed,
            "confirm": token,
            "expires_in_seconds": TOKEN_LIFETIME.as_secs(),
        }),
        text,
    )?;
    Ok(Some(answer))
}

/// `{hourly_usd, monthly_usd}` of `nodes` nodes at `per_hour`.
fn cost(per_hour: Decimal, nodes: u32) -> serde_json::Value {
    serde_json::json!({
        "per_node_hour_usd": per_hour,
        "nodes": nodes,
        "hourly_usd": per_hour * Decimal::from(nodes),
        "monthly_usd": guard::monthly_cost(per_hour, nodes),
    })
}

async fn create_pool<K: PoolColumns>(
    tools: &SpotTools,
    w: Confirmable<CreatePoolArgs>,
) -> Result<Answer> {
    let a = &w.args;
    let bid = a.bid_price.as_deref().map(str::parse::<Bid>).transpose()?;
    let mut shared = OnDemandPoolCreate::new(&a.cloudspace, &a.server_class, a.desired);
    if let Some(name) = &a.name {
        shared = shared.name(name);
    }
    match (a.autoscaling_min, a.autoscaling_max) {
        (Some(min), Some(max)) => shared = shared.autoscaling(min, max),
        (None, None) => {}
        _ => anyhow::bail!(rsspot::Error::invalid(
            "autoscaling",
            "give autoscaling_min and autoscaling_max together"
        )),
    }
    let req = K::create_request(shared.common, bid)?;
    let api = tools.org().api::<K>();
    let prepared = K::prepare_create(&api, &req, &tools.limits).await?;
    let sent = req.sent();
    let worst = spend::create_worst_case(
        sent.bid,
        a.desired,
        a.autoscaling_max,
        &prepared.class,
        &tools.limits,
    );
    let concerns = spend::with_worst_case(prepared.concerns.clone(), worst);
    let what = format!("create {} in cloudspace {}", K::WHAT, a.cloudspace);
    refuse_over_limit(&what, &concerns)?;
    let plan = serde_json::json!({
        "body": prepared.body,
        "cost": cost(spend::node_price(bid, &prepared.class), a.desired),
    });
    if let Some(plan) = plan_or_go(
        tools,
        "create_pool",
        a,
        w.confirm.as_deref(),
        &concerns,
        plan,
        &what,
    )? {
        return Ok(plan);
    }
    let pool = api.send_create(prepared).await?;
    let name = pool.name().to_string();
    let mismatches = api
        .verify(&name, sent)
        .await
        .map(|m| m.iter().map(ToString::to_string).collect::<Vec<_>>())
        .unwrap_or_default();
    Answer::new(
        serde_json::json!({ "created": name, "object": pool, "mismatches": mismatches }),
        format!("{} {name} created", K::WHAT),
    )
}

async fn scale_pool<K: PoolColumns>(
    tools: &SpotTools,
    w: Confirmable<ScalePoolArgs>,
) -> Result<Answer> {
    let a = &w.args;
    let shared = PoolUpdate::new().desired(a.desired);
    let upd = K::update_request(shared.clone(), None)?;
    let api = tools.org().api::<K>();
    let prepared = K::prepare_update(&api, &a.name, &upd, &tools.limits).await?;
    let worst = spend::update_worst_case(
        &tools.client,
        &shared,
        None,
        &prepared.current,
        &tools.limits,
    )
    .await?;
    let concerns = spend::with_worst_case(prepared.concerns.clone(), worst);
    let what = format!("scale {} {} to {} node(s)", K::WHAT, a.name, a.desired);
    refuse_over_limit(&what, &concerns)?;
    let held = prepared.current.facts();
    let class = ClassInput::from(&tools.client.server_classes().get(held.server_class).await?);
    let plan = serde_json::json!({
        "patch": prepared.patch,
        "cost": cost(spend::node_price(held.bid, &class), a.desired),
    });
    if let Some(plan) = plan_or_go(
        tools,
        "scale_pool",
        a,
        w.confirm.as_deref(),
        &concerns,
        plan,
        &what,
    )? {
        return Ok(plan);
    }
    let pool = api.send_update(&a.name, prepared).await?;
    Answer::new(
        serde_json::json!({ "scaled": a.name, "desired": a.desired, "object": pool }),
        format!("{} {} scaled to {}", K::WHAT, a.name, a.desired),
    )
}

async fn delete_pool<K: PoolColumns>(
    tools: &SpotTools,
    w: Confirmable<DeletePoolArgs>,
) -> Result<Answer> {
    let a = &w.args;
    let api = tools.org().api::<K>();
    let current = api.get(&a.name).await?;
    let what = format!("delete {} {} and its nodes", K::WHAT, a.name);
    let plan = serde_json::json!({
        "delete": { "kind": <K as Kind>::KIND, "name": a.name, "parent": current.parent() },
    });
    if let Some(plan) = plan_or_go(
        tools,
        "delete_pool",
        a,
        w.confirm.as_deref(),
        &[],
        plan,
        &what,
    )? {
        return Ok(plan);
    }
    api.delete(&a.name).await?;
    Answer::new(
        serde_json::json!({ "deleted": a.name, "kind": <K as Kind>::KIND }),
        format!("{} {} deleted", K::WHAT, a.name),
    )
}

async fn create_cloudspace(
    tools: &SpotTools,
    w: Confirmable<CreateCloudspaceArgs>,
) -> Result<Answer> {
    let a = &w.args;
    let mut req = CloudSpaceCreate::new(&a.name).ha_control_plane(a.ha_control_plane);
    if let Some(region) = &a.region {
        req = req.region(region);
    }
    let org = tools.org();
    let (_, body) = org.cloudspaces().prepare_create(&req).await?;
    let concerns: Vec<PoolConcern> = if a.ha_control_plane {
        vec![PoolConcern::Worst(guard::assess_ha_control_plane(
            &tools.limits,
        ))]
    } else {
        Vec::new()
    };
    let what = format!("create cloudspace {}", a.name);
    refuse_over_limit(&what, &concerns)?;
    let monthly = match concerns.first() {
        Some(PoolConcern::Worst(WorstCase::PaidOption { monthly, .. })) => *monthly,
        _ => Decimal::ZERO,
    };
    let plan = serde_json::json!({
        "body": body,
        "cost": { "monthly_usd": monthly, "note": "node pools are priced when they are created" },
    });
    if let Some(plan) = plan_or_go(
        tools,
        "create_cloudspace",
        a,
        w.confirm.as_deref(),
        &concerns,
        plan,
        &what,
    )? {
        return Ok(plan);
    }
    let created = org.cloudspaces().create(&req).await?;
    Answer::new(
        serde_json::json!({ "created": a.name, "object": created }),
        format!("cloudspace {} created", a.name),
    )
}

async fn delete_cloudspace(
    tools: &SpotTools,
    w: Confirmable<DeleteCloudspaceArgs>,
) -> Result<Answer> {
    let a = &w.args;
    let org = tools.org();
    org.cloudspaces().get(&a.name).await?;
    let names = |items: Vec<String>| serde_json::Value::from(items);
    let spot = org
        .api::<SpotNodePool>()
        .within(a.name.as_str())
        .list()
        .await?;
    let ondemand = org
        .api::<OnDemandNodePool>()
        .within(a.name.as_str())
        .list()
        .await?;
    let autopilot = org
        .api::<AutopilotNodePool>()
        .within(a.name.as_str())
        .list()
        .await?;
    let plan = serde_json::json!({
        "delete": { "cloudspace": a.name },
        "pools_deleted_first": {
            "spot": names(spot.iter().map(|p| p.name().to_string()).collect()),
            "ondemand": names(ondemand.iter().map(|p| p.name().to_string()).collect()),
            "autopilot": names(autopilot.iter().map(|p| p.name().to_string()).collect()),
        },
    });
    let what = format!(
        "delete cloudspace {} and its {} node pool(s)",
        a.name,
        spot.len() + ondemand.len() + autopilot.len()
    );
    if let Some(plan) = plan_or_go(
        tools,
        "delete_cloudspace",
        a,
        w.confirm.as_deref(),
        &[],
        plan,
        &what,
    )? {
        return Ok(plan);
    }
    let teardown = org.cloudspaces().delete_with_pools(&a.name).await?;
    let text = format!(
        "cloudspace {} deleted with {} node pool(s)",
        a.name,
        teardown.pool_count()
    );
    Answer::new(teardown, text)
}
