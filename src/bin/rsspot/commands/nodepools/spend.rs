//! Spending guardrails in the CLI: the library lists concerns, this file decides (ask on a
//! terminal, refuse with exit 2 and a `--yes` hint otherwise), says what the server really
//! holds after a write, and waits with progress.

use std::time::Duration;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::pricing::guard::{Concern, SpendLimits};
use rsspot::raw::types::{OnDemandNodePool, SpotNodePool};
use rsspot::services::node_pools::{DEFAULT_FULFILLED_TIMEOUT, Mismatch};

use crate::ctx::Ctx;
use crate::progress;

/// The profile's limits (`max_monthly_usd`).
pub(super) async fn limits(ctx: &Ctx) -> Result<SpendLimits> {
    Ok(SpendLimits {
        max_monthly_usd: ctx.resolved().await?.settings.max_monthly_usd,
    })
}

/// Asks about (or, without a terminal and `--yes`, refuses) the concerns that need it, and
/// returns the advice to print once the server has accepted the request: printed earlier, a
/// warning would precede the one `error:` line of a refusal (whose message already says why).
/// A dry run only warns: it sends nothing.
pub(super) fn decide(
    ctx: &Ctx,
    what: &str,
    concerns: &[Concern],
    dry_run: bool,
) -> Result<Vec<String>> {
    let advice: Vec<String> = concerns
        .iter()
        .filter(|c| !c.needs_confirmation())
        .map(ToString::to_string)
        .collect();
    if dry_run {
        for c in concerns {
            ctx.out.warn(&c.to_string());
        }
        return Ok(Vec::new());
    }
    if concerns.iter().any(Concern::needs_confirmation) {
        let reasons: Vec<String> = concerns.iter().map(ToString::to_string).collect();
        ctx.confirm(&format!("{what}: {}; go ahead", reasons.join("; ")))?;
    }
    Ok(advice)
}

/// Prints advice kept back by [`decide`].
pub(super) fn advise(ctx: &Ctx, advice: &[String]) {
    for a in advice {
        ctx.out.warn(a);
    }
}

/// Says so when the server holds something other than what was sent.
pub(super) fn report_mismatches(ctx: &Ctx, what: &str, checked: rsspot::Result<Vec<Mismatch>>) {
    match checked {
        Ok(mismatches) => {
            for m in mismatches {
                ctx.out.warn(&format!("{what}: {m}"));
            }
        }
        Err(e) => ctx.out.warn(&format!(
            "{what}: could not re-read it to check what the server holds: {e}"
        )),
    }
}

pub(super) async fn wait_spot(
    ctx: &Ctx,
    client: &SpotClient,
    name: &str,
    timeout: Option<Duration>,
) -> Result<SpotNodePool> {
    let org = ctx.org().map(str::to_string);
    progress::wait_with_progress(
        &format!("spot pool {name}"),
        &format!("rsspot nodepools spot wait {name}"),
        timeout.unwrap_or(DEFAULT_FULFILLED_TIMEOUT),
        ctx.global.quiet,
        |opts| async move {
            client
                .spot_pools()
                .wait_until_fulfilled(name, org.as_deref(), &opts)
                .await
        },
    )
    .await
}

pub(super) async fn wait_on_demand(
    ctx: &Ctx,
    client: &SpotClient,
    name: &str,
    timeout: Option<Duration>,
) -> Result<OnDemandNodePool> {
    let org = ctx.org().map(str::to_string);
    progress::wait_with_progress(
        &format!("on-demand pool {name}"),
        &format!("rsspot nodepools ondemand wait {name}"),
        timeout.unwrap_or(DEFAULT_FULFILLED_TIMEOUT),
        ctx.global.quiet,
        |opts| async move {
            client
                .ondemand_pools()
                .wait_until_fulfilled(name, org.as_deref(), &opts)
                .await
        },
    )
    .await
}
