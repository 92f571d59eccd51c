//! Spending guardrails in the CLI: the library lists concerns, this file decides (ask on a
//! terminal, refuse with exit 2 and a `--yes` hint otherwise) and says what the server really
//! holds after a write.

use std::fmt;

use anyhow::Result;
use rsspot::SpotClient;
use rsspot::pricing::Bid;
use rsspot::pricing::guard::{self, Concern, SpendLimits, WorstCase, monthly_cost};
use rsspot::pricing::view::ClassInput;
use rsspot::services::PoolUpdate;
use rsspot::services::node_pools::{Mismatch, NodePoolKind};
use rust_decimal::Decimal;

use crate::ctx::Ctx;

/// The profile's limits (`max_monthly_usd`).
pub(crate) async fn limits(ctx: &Ctx) -> Result<SpendLimits> {
    Ok(SpendLimits {
        max_monthly_usd: ctx.resolved().await?.settings.max_monthly_usd,
    })
}

/// Something [`decide`] may ask about: the library's [`Concern`]s and [`WorstCase`]s.
pub(crate) trait Ask: fmt::Display {
    /// Whether to ask before going on (advice is printed instead).
    fn needs_confirmation(&self) -> bool;
}

impl Ask for Concern {
    fn needs_confirmation(&self) -> bool {
        Concern::needs_confirmation(self)
    }
}

impl Ask for WorstCase {
    fn needs_confirmation(&self) -> bool {
        WorstCase::needs_confirmation(self)
    }
}

/// What a pool create or update may cost: the library's [`Concern`]s about what it asks for
/// now and the [`WorstCase`] autoscaling may grow it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PoolConcern {
    /// About the request as it is (bid, desired).
    Now(Concern),
    /// About the largest size autoscaling may reach.
    Worst(WorstCase),
}

impl fmt::Display for PoolConcern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolConcern::Now(c) => c.fmt(f),
            PoolConcern::Worst(w) => w.fmt(f),
        }
    }
}

impl Ask for PoolConcern {
    fn needs_confirmation(&self) -> bool {
        match self {
            PoolConcern::Now(c) => c.needs_confirmation(),
            PoolConcern::Worst(w) => w.needs_confirmation(),
        }
    }
}

/// The concerns of a request and of its worst case, in one list: a worst case about
/// availability or the monthly limit says more than the same concern about `desired` (the
/// maximum is at least `desired`), so that one is left out.
pub(crate) fn with_worst_case(now: Vec<Concern>, worst: Vec<WorstCase>) -> Vec<PoolConcern> {
    let availability = worst.iter().any(WorstCase::is_availability);
    let over_limit = worst.iter().any(WorstCase::is_over_limit);
    now.into_iter()
        .filter(|c| match c {
            Concern::DesiredAboveAvailable { .. } => !availability,
            Concern::MonthlyOverLimit { .. } => !over_limit,
            _ => true,
        })
        .map(PoolConcern::Now)
        .chain(worst.into_iter().map(PoolConcern::Worst))
        .collect()
}

/// What one node costs per hour: the bid (spot) or the class's on-demand price.
pub(crate) fn node_price(bid: Option<Bid>, class: &ClassInput) -> Decimal {
    bid.map(Bid::value).or(class.on_demand).unwrap_or_default()
}

/// The worst case of a create: the size `--autoscaling-max` lets the pool grow to (nothing when
/// it is not above `desired`, which the library already checked).
pub(crate) fn create_worst_case(
    bid: Option<Bid>,
    desired: u32,
    max: Option<u32>,
    class: &ClassInput,
    limits: &SpendLimits,
) -> Vec<WorstCase> {
    match max {
        Some(max) if max > desired => {
            guard::assess_autoscaling(node_price(bid, class), max, class, limits)
        }
        _ => Vec::new(),
    }
}

/// The worst case of an update: the autoscaling maximum the pool will have (the new one, else
/// the one it has unless the update turns autoscaling off), at the bid and size it will have.
/// An unchanged maximum was accepted before, so only the monthly limit is checked again, and
/// only when the bid or the count changes.
pub(crate) async fn update_worst_case<K: NodePoolKind>(
    client: &SpotClient,
    update: &PoolUpdate,
    new_bid: Option<Bid>,
    current: &K,
    limits: &SpendLimits,
) -> Result<Vec<WorstCase>> {
    let held = current.facts();
    let max_changed = matches!(update.autoscaling, Some(Some(_)));
    let max = match update.autoscaling {
        Some(None) => None,
        Some(Some(a)) => Some(a.max_nodes),
        None => held
            .autoscaling
            .max_nodes
            .filter(|_| held.autoscaling.enabled),
    };
    let desired = update.desired.unwrap_or(held.desired.unwrap_or(0));
    let Some(max) = max.filter(|max| *max > desired) else {
        return Ok(Vec::new());
    };
    let size_or_price_changed = update.desired.is_some() || new_bid.is_some();
    let recheck_limit = size_or_price_changed && limits.max_monthly_usd.is_some();
    let worth_checking = max_changed || recheck_limit;
    if !worth_checking {
        return Ok(Vec::new());
    }
    let class = ClassInput::from(&client.server_classes().get(held.server_class).await?);
    let bid = new_bid.or(held.bid);
    let mut worst = guard::assess_autoscaling(node_price(bid, &class), max, &class, limits);
    if !max_changed {
        worst.retain(|w| !w.is_availability());
    }
    Ok(worst)
}

/// Concerns of an autopilot pool that can cost at most `max_hourly` USD an hour (the most
/// nodes its vCPU target could need, each bid at the pool's ceiling: see
/// [`rsspot::pricing::autopilot::AutopilotPreview::max_hourly_usd`]). Its pools are made
/// server-side, so the per-pool guard never sees them: this is the bound the CLI can check.
/// Nothing without a limit; the month is the guard's 730 hours.
pub(crate) fn assess_autopilot(max_hourly: Decimal, limits: &SpendLimits) -> Vec<Concern> {
    let Some(limit) = limits.max_monthly_usd else {
        return Vec::new();
    };
    let monthly = monthly_cost(max_hourly, 1);
    (monthly > limit)
        .then_some(Concern::MonthlyOverLimit { monthly, limit })
        .into_iter()
        .collect()
}

/// Asks about (or, without a terminal and `--yes`, refuses) the concerns that need it, and
/// returns the advice to print once the server has accepted the request: printed earlier, a
/// warning would precede the one `error:` line of a refusal (whose message already says why).
/// A dry run only warns: it sends nothing.
pub(crate) fn decide<C: Ask>(
    ctx: &Ctx,
    what: &str,
    concerns: &[C],
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
    if concerns.iter().any(Ask::needs_confirmation) {
        let reasons: Vec<String> = concerns.iter().map(ToString::to_string).collect();
        ctx.confirm(&format!("{what}: {}; go ahead", reasons.join("; ")))?;
    }
    Ok(advice)
}

/// Prints advice kept back by [`decide`].
pub(crate) fn advise(ctx: &Ctx, advice: &[String]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(usd: &str) -> SpendLimits {
        SpendLimits {
            max_monthly_usd: Some(usd.parse().unwrap()),
        }
    }

    #[test]
    fn worst_case_supersedes_the_same_concern_about_desired() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let now = vec![
            Concern::DesiredAboveAvailable {
                desired: 200,
                available: 120,
            },
            Concern::MonthlyOverLimit {
                monthly: d("200"),
                limit: d("100"),
            },
        ];
        let worst = vec![WorstCase::MaxAboveAvailable {
            max: 1000,
            available: 120,
        }];
        let all = with_worst_case(now, worst);
        assert_eq!(all.len(), 2, "{all:?}");
        assert!(matches!(
            all[0],
            PoolConcern::Now(Concern::MonthlyOverLimit { .. })
        ));
        assert!(all.iter().all(Ask::needs_confirmation));
    }

    #[test]
    fn autopilot_worst_cases_are_checked_only_against_a_limit() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(assess_autopilot(d("99"), &SpendLimits::default()).is_empty());
        // 0.1 × 730 = 73 ≤ 100: quiet.
        assert!(assess_autopilot(d("0.1"), &limit("100")).is_empty());
        // 0.2 × 730 = 146 > 100.
        let over = assess_autopilot(d("0.2"), &limit("100"));
        assert_eq!(over.len(), 1);
        assert!(over[0].needs_confirmation());
        assert!(
            over[0]
                .to_string()
                .contains("$146 per month, above max_monthly_usd $100"),
            "{}",
            over[0]
        );
    }
}
