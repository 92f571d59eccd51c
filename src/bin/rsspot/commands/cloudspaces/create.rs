//! `cloudspaces create`: a cloudspace alone, or, as spotctl does, with its pools
//! (`--spot-nodepool`, `--ondemand-nodepool`, or `-f/--config FILE`).
//!
//! With pools, everything is checked before anything is sent (the pools against the region the
//! cloudspace will have, the spending guardrails over the whole set), a name already taken is
//! refused, and when a pool fails or the user presses Ctrl-C, the pools made so far and the
//! cloudspace are deleted again and the report says what failed and what was deleted.

use std::fmt;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::pricing::guard::{Concern, SpendLimits};
use rsspot::services::CloudSpaceCreate;
use rsspot::services::cloudspaces::{
    CloudSpaceWithPools, CreateOutcome, CreatedCloudSpace, InlinePool, InlinePoolKind,
    PreparedCloudSpace, Rollback,
};
use rsspot::services::node_pools::DEFAULT_FULFILLED_TIMEOUT;
use rust_decimal::Decimal;

use super::{CreateArgs, check_kubernetes_version, specs, wait_ready};
use crate::commands::nodepools::spend::{self, Ask};
use crate::ctx::Ctx;
use crate::output::Aborted;
use crate::progress;

/// Runs `cloudspaces create`.
pub(super) async fn create(ctx: &Ctx, client: &SpotClient, a: CreateArgs) -> Result<()> {
    if a.config.is_none() && a.spot_pools.is_empty() && a.ondemand_pools.is_empty() {
        return create_alone(ctx, client, a).await;
    }
    create_with_pools(ctx, client, a).await
}

/// The cloudspace fields of the flags (they win over a `--config` file).
fn apply_flags(ctx: &Ctx, req: &mut CloudSpaceCreate, a: &CreateArgs) -> Result<()> {
    if let Some(r) = &ctx.global.region {
        req.region = Some(r.clone());
    }
    if let Some(v) = &a.kubernetes_version {
        req.kubernetes_version = v.clone();
    }
    if a.kubernetes_version.is_some()
        || req.kubernetes_version != CloudSpaceCreate::new("").kubernetes_version
    {
        check_kubernetes_version(ctx, &req.kubernetes_version, a.force)?;
    }
    if a.ha_control_plane {
        req.ha_control_plane = true;
    }
    if a.gpu_enabled {
        req.gpu_enabled = true;
    }
    if let Some(c) = &a.cni {
        req.cni = c.clone();
    }
    if let Some(w) = &a.webhook {
        req.webhook = Some(w.clone());
    }
    Ok(())
}

async fn create_alone(ctx: &Ctx, client: &SpotClient, a: CreateArgs) -> Result<()> {
    let name = a.name.clone().get("cloudspace")?;
    let mut req = CloudSpaceCreate::new(&name);
    apply_flags(ctx, &mut req, &a)?;
    super::confirm_paid_options(ctx, &name, req.ha_control_plane, a.dry_run).await?;
    if a.dry_run {
        let (_, body) = client.org_or_default(ctx.org()).cloudspaces().prepare_create(&req).await?;
        return ctx.out.dry_run("this is the request body", &body);
    }
    let cs = client.org_or_default(ctx.org()).cloudspaces().create(&req).await?;
    if !a.wait.wait {
        ctx.out.note(&format!(
            "cloudspace {name} created; it takes a few minutes to become Ready (`rsspot cloudspaces wait {name}`)"
        ));
        return ctx.out.one(&cs, &cs);
    }
    ctx.out.note(&format!("cloudspace {name} created"));
    let cs = wait_ready(ctx, &name, a.wait.timeout).await?;
    ctx.out.one(&cs, &cs)
}

/// What the guardrails ask about for a cloudspace with pools: each pool's own concerns, and the
/// monthly cost of the whole set against `max_monthly_usd`.
enum SetConcern {
    Pool(InlinePool, Concern),
    Total { monthly: Decimal, limit: Decimal },
}

impl fmt::Display for SetConcern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetConcern::Pool(p, c) => write!(f, "{} {}: {c}", p.kind, p.server_class),
            SetConcern::Total { monthly, limit } => write!(
                f,
                "the pools would cost about ${} per month together, above max_monthly_usd ${}",
                monthly.round_dp(3).normalize(),
                limit.round_dp(3).normalize()
            ),
        }
    }
}

impl Ask for SetConcern {
    fn needs_confirmation(&self) -> bool {
        match self {
            SetConcern::Pool(_, c) => c.needs_confirmation(),
            SetConcern::Total { .. } => true,
        }
    }
}

fn concerns(prepared: &PreparedCloudSpace, limits: &SpendLimits) -> Vec<SetConcern> {
    let per_pool = prepared
        .spot_pools
        .iter()
        .map(|p| &p.concerns)
        .chain(prepared.ondemand_pools.iter().map(|p| &p.concerns));
    let mut out: Vec<SetConcern> = prepared
        .pools()
        .into_iter()
        .zip(per_pool)
        .flat_map(|(pool, cs)| {
            cs.iter()
                // The monthly cost is judged once, for the whole set.
                .filter(|c| !matches!(c, Concern::MonthlyOverLimit { .. }))
                .map(move |c| SetConcern::Pool(pool.clone(), c.clone()))
        })
        .collect();
    let monthly = prepared.monthly_cost();
    if let Some(limit) = limits.max_monthly_usd
        && monthly > limit
    {
        out.push(SetConcern::Total { monthly, limit });
    }
    out
}

/// The request from `--config` and the flags (flags win; inline pools add to the file's).
fn request(ctx: &Ctx, a: &CreateArgs) -> Result<(CloudSpaceWithPools, Option<String>)> {
    let (mut req, file_org) = match &a.config {
        Some(path) => {
            let file = specs::read_config(path)?;
            (file.request, file.org)
        }
        None => {
            let name = a.name.clone().get("cloudspace")?;
            (CloudSpaceWithPools::new(CloudSpaceCreate::new(name)), None)
        }
    };
    apply_flags(ctx, &mut req.cloudspace, a)?;
    for p in &a.spot_pools {
        if let Some(pool) = p.spot() {
            req = req.spot_pool(pool);
        }
    }
    for p in &a.ondemand_pools {
        req = req.ondemand_pool(p.ondemand());
    }
    let org = ctx.org().map(str::to_string).or(file_org);
    Ok((req, org))
}

async fn create_with_pools(ctx: &Ctx, client: &SpotClient, a: CreateArgs) -> Result<()> {
    let (req, org) = request(ctx, &a)?;
    let org = org.as_deref();
    let limits = spend::limits(ctx).await?;
    let spaces = client.org_or_default(org).cloudspaces();
    let prepared = spaces.prepare_create_with_pools(&req, &limits).await?;
    let name = prepared.name().to_string();
    let pools = prepared.pools();
    let what = format!("cloudspace {name} with {} pool(s)", pools.len());
    super::confirm_paid_options(ctx, &name, req.cloudspace.ha_control_plane, a.dry_run).await?;
    let advice = spend::decide(ctx, &what, &concerns(&prepared, &limits), a.dry_run)?;
    if a.dry_run {
        let spot: Vec<_> = prepared.spot_pools.iter().map(|p| &p.body).collect();
        let ondemand: Vec<_> = prepared.ondemand_pools.iter().map(|p| &p.body).collect();
        return ctx.out.dry_run(
            "these are the request bodies",
            &serde_json::json!({
                "cloudspace": prepared.body,
                "spotnodepools": spot,
                "ondemandnodepools": ondemand,
            }),
        );
    }
    // The Ctrl-C undo deletes the cloudspace by name, so it must never be one that was there
    // before: a name already taken is refused before anything is sent.
    spaces.ensure_name_free(&name).await?;
    // Biased, Ctrl-C first: the handler is installed before the first request goes out.
    let outcome = tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => {
            ctx.out.warn(&format!("interrupted: deleting cloudspace {name} and its pools"));
            let rollback = spaces.rollback_create(&name, &pools).await?;
            report_rollback(ctx, &rollback);
            anyhow::bail!(Aborted(format!(
                "interrupted: cloudspace {name} was not created ({})",
                deleted_list(&rollback)
            )));
        }
        r = spaces.send_create_with_pools(prepared) => r?,
    };
    let made = match outcome {
        CreateOutcome::Created(made) => made,
        CreateOutcome::RolledBack(r) => {
            ctx.out.warn(&format!("{} failed: {}", r.pool, r.error));
            report_rollback(ctx, &r.rollback);
            let context = format!(
                "cloudspace {name} was not created: {} failed, so it was rolled back ({})",
                r.pool,
                deleted_list(&r.rollback)
            );
            return Err(anyhow::Error::new(r.error).context(context));
        }
    };
    spend::advise(ctx, &advice);
    ctx.out.note(&format!("cloudspace {name} created"));
    for p in &pools {
        ctx.out.note(&format!("{p} created"));
    }
    let mut made: CreatedCloudSpace = *made;
    if a.wait.wait {
        made.cloudspace = wait_ready(ctx, &name, a.wait.timeout).await?;
        for p in &pools {
            wait_pool(ctx, p, a.wait.timeout).await?;
        }
    } else {
        ctx.out.note(&format!(
            "it takes a few minutes to become Ready (`rsspot cloudspaces wait {name}`)"
        ));
    }
    ctx.out.one(&made.cloudspace, &made)
}

/// `deleted spot pool X, cloudspace N` (or that nothing was left to delete).
fn deleted_list(r: &Rollback) -> String {
    if r.deleted.is_empty() {
        return "nothing was left to delete".into();
    }
    let names: Vec<String> = r
        .deleted
        .iter()
        .map(|o| format!("{} {}", o.kind, o.name))
        .collect();
    format!("deleted {}", names.join(", "))
}

/// What a rollback deleted, and a warning for each object it could not delete.
fn report_rollback(ctx: &Ctx, r: &Rollback) {
    for o in &r.deleted {
        ctx.out
            .note(&format!("rolled back: deleted {} {}", o.kind, o.name));
    }
    for (o, e) in &r.failed {
        ctx.out.warn(&format!(
            "rollback could not delete {} {}: {e} (delete it with `rsspot cloudspaces delete`)",
            o.kind, o.name
        ));
    }
}

/// Waits until one of the new pools has its nodes.
async fn wait_pool(
    ctx: &Ctx,
    pool: &InlinePool,
    timeout: Option<std::time::Duration>,
) -> Result<()> {
    let (word, name) = match pool.kind {
        InlinePoolKind::Spot => ("spot", pool.name.as_str()),
        InlinePoolKind::OnDemand => ("ondemand", pool.name.as_str()),
    };
    let kind = pool.kind;
    progress::wait_on(
        ctx,
        &format!("{} {name}", pool.kind),
        &format!("rsspot nodepools {word} wait {name}"),
        timeout.unwrap_or(DEFAULT_FULFILLED_TIMEOUT),
        |org, opts| async move {
            match kind {
                InlinePoolKind::Spot => org.spot_pools().wait_ready(name, &opts).await.map(drop),
                InlinePoolKind::OnDemand => {
                    org.ondemand_pools().wait_ready(name, &opts).await.map(drop)
                }
            }
        },
    )
    .await
}
