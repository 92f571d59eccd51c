//! Spending guardrails: what a pool create or update would cost, and what deserves a second look.
//!
//! The library only computes [`Concern`]s; the caller decides (the CLI asks on a terminal and
//! refuses without `--yes` otherwise). Refusals the server would certainly make (a bid below the
//! class's floor) are errors from [`check_floor`]; the bid ladder is advice only
//! ([`Concern::OffLadder`]), because a variant of the server accepts off-ladder bids.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::Result;
use crate::pricing::bid::Bid;
use crate::pricing::rules;
use crate::pricing::view::{ClassInput, MONTH_HOURS};

/// The monthly price of one cloudspace's highly-available control plane, in USD.
///
/// Source: API-NOTES §3.4 (CloudSpace spec, `HAControlPlane`: "paid HA control plane
/// ($40/mo)"). The API publishes no price for it, so this is the one place it is declared.
pub const HA_CONTROL_PLANE_MONTHLY_USD: Decimal = Decimal::from_parts(40, 0, 0, false, 0);

/// Limits that turn a cost into a concern.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpendLimits {
    /// A pool costing more than this per month (USD) is a concern; `None`: no limit.
    pub max_monthly_usd: Option<Decimal>,
}

/// Something about a pool request that may cost money the user did not mean to spend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Concern {
    /// The bid is above the class's on-demand price.
    BidAboveOnDemand {
        /// The bid.
        bid: Bid,
        /// On-demand price per node-hour.
        on_demand: Decimal,
    },
    /// More nodes are asked for than the class has available.
    DesiredAboveAvailable {
        /// Nodes asked for.
        desired: u32,
        /// Servers of the class available now.
        available: i64,
    },
    /// The pool's monthly cost (price × nodes × 730 h) passes the profile's `max_monthly_usd`.
    MonthlyOverLimit {
        /// Monthly cost in USD at the bid (spot) or on-demand price.
        monthly: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// The bid is not on the bid ladder (advice only: some servers round or refuse it).
    OffLadder {
        /// The bid.
        bid: Bid,
        /// The nearest ladder value at or above it.
        next: Decimal,
    },
}

impl Concern {
    /// Whether the caller should ask before going on (everything but ladder advice).
    pub fn needs_confirmation(&self) -> bool {
        !matches!(self, Concern::OffLadder { .. })
    }
}

fn usd(d: Decimal) -> String {
    format!("${}", d.round_dp(3).normalize())
}

impl fmt::Display for Concern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Concern::BidAboveOnDemand { bid, on_demand } => write!(
                f,
                "the bid ${bid}/h is above the on-demand price {}/h of this class",
                usd(*on_demand)
            ),
            Concern::DesiredAboveAvailable { desired, available } => write!(
                f,
                "{desired} nodes asked for, but the class has only {available} available"
            ),
            Concern::MonthlyOverLimit { monthly, limit } => write!(
                f,
                "the pool would cost about {} per month, above max_monthly_usd {}",
                usd(*monthly),
                usd(*limit)
            ),
            Concern::OffLadder { bid, next } => write!(
                f,
                "the bid {bid} is not on the bid ladder; the service may expect {}",
                rules::format_bid(*next)
            ),
        }
    }
}

/// The worst case of a request, beyond what it asks for now: the size autoscaling may grow a
/// pool to, or a paid option. Each needs confirmation, as a [`Concern`] does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorstCase {
    /// Autoscaling may grow the pool past the nodes the class has available.
    MaxAboveAvailable {
        /// The autoscaling maximum.
        max: u32,
        /// Servers of the class available now.
        available: i64,
    },
    /// At its autoscaling maximum the pool would cost more per month than `max_monthly_usd`.
    MaxOverLimit {
        /// The autoscaling maximum.
        max: u32,
        /// Monthly cost in USD at that size.
        monthly: Decimal,
        /// The limit.
        limit: Decimal,
    },
    /// A paid option (the HA control plane), confirmed with its price.
    PaidOption {
        /// What the option is called in messages ("HA control plane").
        option: String,
        /// Its monthly price in USD.
        monthly: Decimal,
        /// The profile's `max_monthly_usd`, when set.
        limit: Option<Decimal>,
    },
}

impl WorstCase {
    /// Whether the caller should ask before going on (always: each may cost money unasked).
    pub fn needs_confirmation(&self) -> bool {
        true
    }

    /// Whether this case is about nodes above availability (it supersedes
    /// [`Concern::DesiredAboveAvailable`] of the same request).
    pub fn is_availability(&self) -> bool {
        matches!(self, WorstCase::MaxAboveAvailable { .. })
    }

    /// Whether this case is a monthly cost over the limit (it supersedes
    /// [`Concern::MonthlyOverLimit`] of the same request).
    pub fn is_over_limit(&self) -> bool {
        match self {
            WorstCase::MaxOverLimit { .. } => true,
            WorstCase::PaidOption { monthly, limit, .. } => limit.is_some_and(|l| *monthly > l),
            WorstCase::MaxAboveAvailable { .. } => false,
        }
    }
}

impl fmt::Display for WorstCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WorstCase::MaxAboveAvailable { max, available } => write!(
                f,
                "autoscaling may grow the pool to {max} nodes, but the class has only \
                 {available} available"
            ),
            WorstCase::MaxOverLimit {
                max,
                monthly,
                limit,
            } => write!(
                f,
                "at its autoscaling maximum of {max} nodes the pool would cost about {} per \
                 month, above max_monthly_usd {}",
                usd(*monthly),
                usd(*limit)
            ),
            WorstCase::PaidOption {
                option,
                monthly,
                limit,
            } => {
                write!(
                    f,
                    "the {option} is a paid option at about {} per month",
                    usd(*monthly)
                )?;
                match limit {
                    Some(l) if monthly > l => write!(f, ", above max_monthly_usd {}", usd(*l)),
                    _ => Ok(()),
                }
            }
        }
    }
}

/// The worst case of a pool that autoscaling may grow to `max_nodes` nodes at `per_hour` each:
/// more nodes than the class has available, or a monthly cost over `max_monthly_usd` at that
/// size. Checked the same way as `desired` is in [`assess_spot`] and [`assess_on_demand`].
pub fn assess_autoscaling(
    per_hour: Decimal,
    max_nodes: u32,
    class: &ClassInput,
    limits: &SpendLimits,
) -> Vec<WorstCase> {
    let mut out = Vec::new();
    if let Some(available) = class.available
        && i64::from(max_nodes) > available
    {
        out.push(WorstCase::MaxAboveAvailable {
            max: max_nodes,
            available,
        });
    }
    let monthly = monthly_cost(per_hour, max_nodes);
    if let Some(limit) = limits.max_monthly_usd
        && monthly > limit
    {
        out.push(WorstCase::MaxOverLimit {
            max: max_nodes,
            monthly,
            limit,
        });
    }
    out
}

/// The HA control plane of a cloudspace: a paid option at [`HA_CONTROL_PLANE_MONTHLY_USD`],
/// checked against `max_monthly_usd`.
pub fn assess_ha_control_plane(limits: &SpendLimits) -> WorstCase {
    WorstCase::PaidOption {
        option: "HA control plane".into(),
        monthly: HA_CONTROL_PLANE_MONTHLY_USD,
        limit: limits.max_monthly_usd,
    }
}

/// Monthly cost of `nodes` nodes at `per_hour` (730-hour month).
pub fn monthly_cost(per_hour: Decimal, nodes: u32) -> Decimal {
    per_hour * Decimal::from(nodes) * Decimal::from(MONTH_HOURS)
}

/// Refuses a bid below the class's floor (max(market, minimum bid)), as the server does.
pub fn check_floor(bid: Bid, class: &ClassInput) -> Result<()> {
    crate::pricing::advice::validate_bid(bid, class.market, class.min_bid).map(|_| ())
}

/// Concerns of a spot pool bidding `bid` for `desired` nodes of `class`.
pub fn assess_spot(
    bid: Bid,
    desired: u32,
    class: &ClassInput,
    limits: &SpendLimits,
) -> Vec<Concern> {
    let mut out = Vec::new();
    if let Some(on_demand) = class.on_demand
        && bid.value() > on_demand
    {
        out.push(Concern::BidAboveOnDemand { bid, on_demand });
    }
    out.extend(common(bid.value(), desired, class, limits));
    if !rules::is_on_ladder(bid.value()) {
        out.push(Concern::OffLadder {
            bid,
            next: rules::ladder_ceil(bid.value()),
        });
    }
    out
}

/// Concerns of an on-demand pool of `desired` nodes of `class`.
pub fn assess_on_demand(desired: u32, class: &ClassInput, limits: &SpendLimits) -> Vec<Concern> {
    common(class.on_demand.unwrap_or_default(), desired, class, limits)
}

fn common(
    per_hour: Decimal,
    desired: u32,
    class: &ClassInput,
    limits: &SpendLimits,
) -> Vec<Concern> {
    let mut out = Vec::new();
    if let Some(available) = class.available
        && i64::from(desired) > available
    {
        out.push(Concern::DesiredAboveAvailable { desired, available });
    }
    let monthly = monthly_cost(per_hour, desired);
    if let Some(limit) = limits.max_monthly_usd
        && monthly > limit
    {
        out.push(Concern::MonthlyOverLimit { monthly, limit });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn class() -> ClassInput {
        ClassInput {
            name: "gp.vs1.medium-dfw".into(),
            market: Some(d("0.001")),
            min_bid: Some(d("0.01")),
            on_demand: Some(d("0.072")),
            available: Some(120),
            ..ClassInput::default()
        }
    }

    fn bid(s: &str) -> Bid {
        s.parse().unwrap()
    }

    #[test]
    fn huge_bid_and_desired_are_concerns() {
        let c = assess_spot(bid("1000000"), 100_000, &class(), &SpendLimits::default());
        assert!(
            c.iter()
                .any(|c| matches!(c, Concern::BidAboveOnDemand { .. }))
        );
        assert!(c.iter().any(|c| matches!(
            c,
            Concern::DesiredAboveAvailable {
                desired: 100_000,
                available: 120
            }
        )));
        assert!(c.iter().all(Concern::needs_confirmation));
    }

    #[test]
    fn ordinary_bid_is_quiet_and_ladder_is_advice() {
        assert!(assess_spot(bid("0.06"), 2, &class(), &SpendLimits::default()).is_empty());
        let c = assess_spot(bid("0.05"), 2, &class(), &SpendLimits::default());
        assert_eq!(
            c,
            vec![Concern::OffLadder {
                bid: bid("0.05"),
                next: d("0.06")
            }]
        );
        assert!(!c[0].needs_confirmation());
    }

    #[test]
    fn monthly_limit() {
        let limits = SpendLimits {
            max_monthly_usd: Some(d("100")),
        };
        // 0.06 × 3 × 730 = 131.4
        let c = assess_spot(bid("0.06"), 3, &class(), &limits);
        assert_eq!(
            c,
            vec![Concern::MonthlyOverLimit {
                monthly: d("131.4"),
                limit: d("100")
            }]
        );
        assert!(c[0].to_string().contains("$131.4"), "{}", c[0]);
        // 0.072 × 1 × 730 = 52.56
        assert!(assess_on_demand(1, &class(), &limits).is_empty());
        assert_eq!(assess_on_demand(2, &class(), &limits).len(), 1);
    }

    #[test]
    fn autoscaling_max_is_the_worst_case() {
        let limits = SpendLimits {
            max_monthly_usd: Some(d("100")),
        };
        // 0.02 × 1000 × 730 = 14600 > 100; 1000 > 120 available.
        let w = assess_autoscaling(d("0.02"), 1000, &class(), &limits);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].is_availability() && w[1].is_over_limit());
        assert!(w.iter().all(WorstCase::needs_confirmation));
        assert!(w[1].to_string().contains("$14600 per month"), "{}", w[1]);
        // 0.02 × 6 × 730 = 87.6: quiet.
        assert!(assess_autoscaling(d("0.02"), 6, &class(), &limits).is_empty());
    }

    #[test]
    fn ha_control_plane_is_paid() {
        let quiet = assess_ha_control_plane(&SpendLimits::default());
        assert_eq!(
            quiet.to_string(),
            "the HA control plane is a paid option at about $40 per month"
        );
        assert!(!quiet.is_over_limit());
        let over = assess_ha_control_plane(&SpendLimits {
            max_monthly_usd: Some(d("30")),
        });
        assert!(over.is_over_limit());
        assert!(
            over.to_string().ends_with("above max_monthly_usd $30"),
            "{over}"
        );
    }

    #[test]
    fn floor_is_enforced() {
        assert!(check_floor(bid("0.01"), &class()).is_ok());
        let err = check_floor(bid("0.005"), &class()).unwrap_err().to_string();
        assert!(err.contains("minimum bid price of 0.01"), "{err}");
        assert!(err.contains("bid at least 0.01"), "{err}");
    }
}
