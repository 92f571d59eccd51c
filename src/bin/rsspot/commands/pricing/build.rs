//! `pricing build`: the cluster cost planner's output and `--apply`, which creates the planned
//! pools (after one confirmation that names what may be short of availability).

use anyhow::{Context, Result};
use rsspot::pricing::guard::SpendLimits;
use rsspot::pricing::plan::{self, BuildRecommendation, BuildScenario, PlanRequest, Strategy};
use rsspot::services::SpotPoolCreate;
use serde::Serialize;

use super::{BuildArgs, CLOUDSPACE_PLACEHOLDER, monthly, price, qty};
use crate::ctx::Ctx;

/// The JSON/YAML form of `pricing build --apply`.
#[derive(Serialize)]
struct Applied<'a> {
    recommendation: &'a BuildRecommendation,
    cloudspace: &'a str,
    strategy: Strategy,
    region: &'a str,
    created: Vec<rsspot::raw::types::SpotNodePool>,
}

/// Fills the cloudspace (when known) and the org (when given) into the planner's commands.
fn finish_commands(rec: &mut BuildRecommendation, cloudspace: Option<&str>, org: Option<&str>) {
    for s in &mut rec.scenarios {
        for p in &mut s.pools {
            if let Some(cs) = cloudspace {
                p.command = p.command.replace(CLOUDSPACE_PLACEHOLDER, cs);
            }
            if let Some(org) = org {
                p.command.push_str(&format!(" --org {org}"));
            }
        }
    }
}

fn print_plan(ctx: &Ctx, rec: &BuildRecommendation) -> Result<()> {
    if let Some(w) = &rec.warning {
        ctx.out.warn(w);
    }
    if rec.scenarios.is_empty() {
        return Ok(());
    }
    let summary = rec
        .scenarios
        .iter()
        .map(|s| {
            vec![
                s.strategy.as_str().to_string(),
                s.region.clone(),
                format!("{:.4}", s.score),
                s.pools.len().to_string(),
                s.pools.iter().map(|p| p.nodes).sum::<u32>().to_string(),
                price(Some(s.total_hourly)),
                monthly(Some(s.total_monthly)),
                qty(Some(s.total_cpu)),
                qty(Some(s.total_memory_gb)),
            ]
        })
        .collect();
    ctx.out.table(
        &[
            "STRATEGY", "REGION", "SCORE", "POOLS", "NODES", "$/H", "$/MO", "VCPU", "MEM GB",
        ],
        summary,
    )?;
    for s in &rec.scenarios {
        print_scenario(ctx, s)?;
    }
    Ok(())
}

/// Nodes, marked when the class has fewer available (the pool would not fill now).
fn nodes_cell(p: &rsspot::pricing::plan::PoolRecommendation) -> String {
    match p.available {
        Some(a) if p.exceeds_availability => format!("{} (only {a} available)", p.nodes),
        _ => p.nodes.to_string(),
    }
}

fn print_scenario(ctx: &Ctx, s: &BuildScenario) -> Result<()> {
    let mark = if s.exceeds_availability {
        ", exceeds availability"
    } else {
        ""
    };
    ctx.out
        .text(&format!("\n{} ({}{mark}):", s.strategy.as_str(), s.region))?;
    let rows = s
        .pools
        .iter()
        .map(|p| {
            vec![
                p.server_class_name.clone(),
                nodes_cell(p),
                qty(Some(p.cpu_per_node)),
                qty(Some(p.memory_gb_per_node)),
                price(Some(p.hourly_per_node)),
                price(Some(p.hourly_total)),
                monthly(Some(p.monthly_total)),
                p.suggested_bid_per_node.to_string(),
                p.bid_basis.clone(),
            ]
        })
        .collect();
    ctx.out.table_fit(
        &[
            "SERVER CLASS",
            "NODES",
            "VCPU/NODE",
            "MEM/NODE",
            "$/H NODE",
            "$/H TOTAL",
            "$/MO TOTAL",
            "BID/NODE",
            "BID BASIS",
        ],
        rows,
        // The class, nodes, totals and bid decide; the per-node figures follow from them.
        &[
            "BID BASIS",
            "MEM/NODE",
            "VCPU/NODE",
            "$/H NODE",
            "$/H TOTAL",
        ],
    )?;
    let width = ctx.out.width.unwrap_or(usize::MAX);
    let commands: Vec<String> = s
        .pools
        .iter()
        .map(|p| crate::output::wrap_shell(" ", &p.command, width))
        .collect();
    ctx.out.text(&commands.join("\n"))
}

pub(super) async fn build(ctx: &Ctx, a: BuildArgs) -> Result<()> {
    let mut regions = crate::filters::split_values(&a.regions);
    regions.extend(crate::filters::split_values(ctx.global.region.as_slice()));
    let categories = crate::filters::split_values(&a.classes);
    let req = PlanRequest {
        nodes: a.nodes,
        generation: a.generation,
        risk: a.risk,
        balanced: a.balanced && !a.single,
        regions: regions.clone(),
        classes: categories.clone(),
        min_hour: a.min_hour,
        max_hour: a.max_hour,
        min_month: a.min_month,
        max_month: a.max_month,
    };
    // Invalid budgets fail before any request.
    plan::build(&[], &req)?;
    let client = ctx.client().await?;
    let rows = client.pricing().rows(1).await?;
    super::check_filters(&rows, &regions, &categories, &[])?;
    let mut rec = plan::build(&rows, &req)?;
    finish_commands(&mut rec, a.cloudspace.as_deref(), ctx.org());
    if !a.apply {
        return if ctx.out.is_table() {
            print_plan(ctx, &rec)
        } else {
            ctx.out.data(&rec)
        };
    }
    let Some(cloudspace) = a.cloudspace.as_deref() else {
        anyhow::bail!(rsspot::Error::invalid(
            "--cloudspace",
            "--apply needs --cloudspace NAME"
        ));
    };
    let Some(scenario) = rec.scenarios.iter().find(|s| s.strategy == a.strategy) else {
        anyhow::bail!(rsspot::Error::invalid(
            "--strategy",
            format!(
                "the plan has no {} scenario to apply{}",
                a.strategy.as_str(),
                rec.warning
                    .as_deref()
                    .map(|w| format!(" ({w})"))
                    .unwrap_or_default()
            )
        ));
    };
    let cs = client
        .org_or_default(ctx.org())
        .cloudspaces()
        .get(cloudspace)
        .await?;
    let cs_region = cs.spec.region.clone();
    if cs_region != scenario.region {
        anyhow::bail!(rsspot::Error::invalid(
            "--cloudspace",
            format!(
                "cloudspace {cloudspace} is in {}, but the {} plan is for {}; re-run with --region {}",
                if cs_region.is_empty() {
                    "an unknown region"
                } else {
                    &cs_region
                },
                scenario.strategy.as_str(),
                scenario.region,
                if cs_region.is_empty() {
                    "<REGION>"
                } else {
                    &cs_region
                },
            )
        ));
    }
    if ctx.out.is_table() {
        print_plan(ctx, &rec)?;
    }
    // Every pool is checked (floor, placement) before any is created, and what may cost more
    // than meant is named in the one question asked.
    let limits = SpendLimits {
        max_monthly_usd: ctx.resolved().await?.settings.max_monthly_usd,
    };
    let mut prepared = Vec::new();
    let mut concerns = Vec::new();
    for p in &scenario.pools {
        let req = SpotPoolCreate::new(
            cloudspace,
            &p.server_class_name,
            p.nodes,
            p.suggested_bid_per_node,
        );
        let ready = client
            .org_or_default(ctx.org())
            .spot_pools()
            .prepare_create(&req, &limits)
            .await?;
        concerns.extend(
            ready
                .concerns
                .iter()
                .filter(|c| c.needs_confirmation())
                .map(|c| format!("; {}: {c}", p.server_class_name)),
        );
        prepared.push((p, ready));
    }
    let nodes: u32 = scenario.pools.iter().map(|p| p.nodes).sum();
    ctx.confirm(&format!(
        "Create {} spot pool(s) with {nodes} node(s) in total ({} plan, {}/h) in cloudspace {cloudspace}{}?",
        scenario.pools.len(),
        scenario.strategy.as_str(),
        price(Some(scenario.total_hourly)),
        concerns.concat(),
    ))?;
    let mut created = Vec::new();
    for (p, ready) in prepared {
        let pool = client
            .spot_pools()
            .send_create(ready)
            .await
            .with_context(|| {
                let done: Vec<String> = created.iter().map(pool_name).collect();
                if done.is_empty() {
                    format!("creating the {} pool", p.server_class_name)
                } else {
                    format!(
                        "creating the {} pool (already created: {})",
                        p.server_class_name,
                        done.join(", ")
                    )
                }
            })?;
        ctx.out.note(&format!(
            "created spot pool {} ({} x{}, bid {})",
            pool_name(&pool),
            p.server_class_name,
            p.nodes,
            p.suggested_bid_per_node
        ));
        created.push(pool);
    }
    if ctx.out.is_table() {
        return Ok(());
    }
    ctx.out.data(&Applied {
        recommendation: &rec,
        cloudspace,
        strategy: scenario.strategy,
        region: &scenario.region,
        created,
    })
}

fn pool_name(p: &rsspot::raw::types::SpotNodePool) -> String {
    p.metadata.name.clone()
}
