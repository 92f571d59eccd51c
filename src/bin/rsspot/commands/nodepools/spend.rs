//! Spending guardrails in the CLI: the library lists concerns, this file decides (ask on a
//! terminal, refuse with exit 2 and a `--yes` hint otherwise) and says what the server really
//! holds after a write.

use std::fmt;

use anyhow::Result;
use rsspot::pricing::guard::{Concern, SpendLimits, monthly_cost};
use rsspot::services::node_pools::Mismatch;
use rust_decimal::Decimal;

use crate::ctx::Ctx;

/// The profile's limits (`max_monthly_usd`).
pub(crate) async fn limits(ctx: &Ctx) -> Result<SpendLimits> {
    Ok(SpendLimits {
        max_monthly_usd: ctx.resolved().await?.settings.max_monthly_usd,
    })
}

/// Something [`decide`] may ask about: the library's [`Concern`]s and the CLI's own
/// [`BudgetConcern`]s.
pub(crate) trait Ask: fmt::Display {
    /// Whether to ask before going on (advice is printed instead).
    fn needs_confirmation(&self) -> bool;
}

impl Ask for Concern {
    fn needs_confirmation(&self) -> bool {
        Concern::needs_confirmation(self)
    }
}

/// Why an autopilot pool's budget deserves a second look. Its pools are made server-side, so
/// the per-pool guard never sees them: the hourly budget is the only bound the CLI can check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BudgetConcern {
    /// The budget spent all month passes `max_monthly_usd` (the library's concern, reused).
    OverLimit(Concern),
    /// A limit is set but the pool has no budget: the service could spend without bound.
    Unbounded {
        /// The profile's `max_monthly_usd`.
        limit: Decimal,
    },
}

impl fmt::Display for BudgetConcern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetConcern::OverLimit(c) => c.fmt(f),
            BudgetConcern::Unbounded { limit } => write!(
                f,
                "the pool has no --budget-per-hour, so the service may spend without bound \
                 (max_monthly_usd is ${})",
                limit.normalize()
            ),
        }
    }
}

impl Ask for BudgetConcern {
    fn needs_confirmation(&self) -> bool {
        true
    }
}

/// Concerns of an autopilot pool whose hourly budget will be `budget` (`None`: no budget).
/// Nothing without a limit; the month is the guard's 730 hours.
pub(crate) fn assess_budget(budget: Option<Decimal>, limits: &SpendLimits) -> Vec<BudgetConcern> {
    let Some(limit) = limits.max_monthly_usd else {
        return Vec::new();
    };
    match budget {
        None => vec![BudgetConcern::Unbounded { limit }],
        Some(per_hour) => {
            let monthly = monthly_cost(per_hour, 1);
            (monthly > limit)
                .then_some(BudgetConcern::OverLimit(Concern::MonthlyOverLimit {
                    monthly,
                    limit,
                }))
                .into_iter()
                .collect()
        }
    }
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
    fn budgets_are_checked_only_against_a_limit() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert!(assess_budget(None, &SpendLimits::default()).is_empty());
        assert!(assess_budget(Some(d("99")), &SpendLimits::default()).is_empty());
        // 0.1 × 730 = 73 ≤ 100: quiet.
        assert!(assess_budget(Some(d("0.1")), &limit("100")).is_empty());
        // 0.2 × 730 = 146 > 100.
        let over = assess_budget(Some(d("0.2")), &limit("100"));
        assert_eq!(over.len(), 1);
        assert!(over[0].needs_confirmation());
        assert!(
            over[0]
                .to_string()
                .contains("$146 per month, above max_monthly_usd $100"),
            "{}",
            over[0]
        );
        let unbounded = assess_budget(None, &limit("100"));
        assert_eq!(
            unbounded,
            vec![BudgetConcern::Unbounded { limit: d("100") }]
        );
        assert!(unbounded[0].to_string().contains("without bound"));
    }
}
