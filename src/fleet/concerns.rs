//! The guardrail concerns of the plan: what a created or changed pool (now and at its
//! autoscaling maximum) and a paid cloudspace option may cost, each marked when it passes
//! `max_monthly_usd`.

use rust_decimal::Decimal;

use super::plan::{FieldChange, ObjectRef, PlanConcern};
use super::planner::Planner;
use crate::pricing::Bid;
use crate::pricing::guard::{self, Concern, WorstCase};
use crate::pricing::view::ClassInput;

impl Planner<'_> {
    /// The guardrail concerns of a pool created or changed (none when unchanged): a bid's only
    /// when the bid changes, availability's only when the desired count does, and the worst
    /// case autoscaling may grow it to (`max_nodes` at `per_hour` a node) when the bounds or
    /// the price change. A worst case about availability or the monthly limit says more than
    /// the same concern about `desired`, which is then left out.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn assess(
        &mut self,
        object: &ObjectRef,
        created: bool,
        fields: &[FieldChange],
        spot_bid: Option<Bid>,
        desired: u32,
        max_nodes: Option<u32>,
        per_hour: Decimal,
        class: &ClassInput,
    ) {
        if !created && fields.is_empty() {
            return;
        }
        let changed = |f: &str| created || fields.iter().any(|c| c.field == f);
        let (bid_changed, desired_changed) = (changed("bid"), changed("desired"));
        let limits = &self.opts.limits;
        let worst = match max_nodes {
            Some(max) if bid_changed || changed("autoscaling") => {
                guard::assess_autoscaling(per_hour, max, class, limits)
            }
            _ => Vec::new(),
        };
        let availability = worst.iter().any(WorstCase::is_availability);
        let over = worst.iter().any(WorstCase::is_over_limit);
        let mut concerns = match spot_bid {
            Some(b) => guard::assess_spot(b, desired, class, limits),
            None => guard::assess_on_demand(desired, class, limits),
        };
        concerns.retain(|c| match c {
            Concern::BidAboveOnDemand { .. } | Concern::OffLadder { .. } => bid_changed,
            Concern::DesiredAboveAvailable { .. } => desired_changed && !availability,
            Concern::MonthlyOverLimit { .. } => !over,
        });
        for c in concerns {
            let over_limit = matches!(c, Concern::MonthlyOverLimit { .. });
            self.concern(object, c.to_string(), c.needs_confirmation(), over_limit);
        }
        for w in worst {
            self.concern(
                object,
                w.to_string(),
                w.needs_confirmation(),
                w.is_over_limit(),
            );
        }
    }

    /// Adds one concern about `object` to the plan.
    pub(super) fn concern(
        &mut self,
        object: &ObjectRef,
        message: String,
        needs_confirmation: bool,
        over_limit: bool,
    ) {
        self.plan.concerns.push(PlanConcern {
            object: object.to_string(),
            message,
            needs_confirmation,
            over_limit,
        });
    }
}
