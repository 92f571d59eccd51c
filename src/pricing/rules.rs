//! The server's bid rules, kept as data in one place.
//!
//! A spot bid (`spec.bidPrice`) must be a plain decimal with at most three decimals
//! (`^\d+(\.\d{1,3})?$`), at least the class's floor (max(market price, `minBidPricePerHour`)),
//! and on the bid ladder: whole cents stepping 0.01 below $0.04, 0.02 below $0.10, 0.03 below
//! $0.20 and 0.05 from $0.20 upward. The emulator enforces exactly these rules and the SDK checks
//! them before sending, so a bad bid fails locally with the same reason the server would give.

use rust_decimal::Decimal;

/// One segment of the bid ladder: bids in `[from, next segment's from)` step by `step` from `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LadderStep {
    /// Lower bound of the segment (inclusive), in USD per hour.
    pub from: Decimal,
    /// Step between accepted bids within the segment.
    pub step: Decimal,
}

/// The bid ladder (2026 rules), ascending by `from`.
pub const BID_LADDER: [LadderStep; 4] = [
    LadderStep {
        from: Decimal::from_parts(0, 0, 0, false, 2),
        step: Decimal::from_parts(1, 0, 0, false, 2),
    },
    LadderStep {
        from: Decimal::from_parts(4, 0, 0, false, 2),
        step: Decimal::from_parts(2, 0, 0, false, 2),
    },
    LadderStep {
        from: Decimal::from_parts(10, 0, 0, false, 2),
        step: Decimal::from_parts(3, 0, 0, false, 2),
    },
    LadderStep {
        from: Decimal::from_parts(20, 0, 0, false, 2),
        step: Decimal::from_parts(5, 0, 0, false, 2),
    },
];

/// Maximum number of decimals the API accepts in a bid.
pub const MAX_BID_DECIMALS: u32 = 3;

/// Why a bid is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BidViolation {
    /// Not a plain positive decimal with at most three decimals.
    Format,
    /// Below the class's floor.
    BelowFloor {
        /// The floor: max(market, minimum bid).
        floor: Decimal,
    },
    /// Not a value on the bid ladder.
    OffLadder {
        /// The nearest ladder value at or above the bid.
        next: Decimal,
    },
}

impl BidViolation {
    /// The message the server (and our validator) gives for this violation.
    pub fn message(&self, bid: &str) -> String {
        match self {
            BidViolation::Format => {
                format!("bidPrice {bid:?} can only be a positive number up to three decimal places")
            }
            // The floor as the lowest bid on the ladder: a floor of 0.012 is stated as 0.02,
            // the same value the advice that follows names, never two different minimums.
            BidViolation::BelowFloor { floor } => format!(
                "BidPrice must be greater than or equal to the minimum bid price of {}",
                format_bid(ladder_ceil(*floor))
            ),
            BidViolation::OffLadder { next } => format!(
                "bid price {bid} is not on the bid ladder (next accepted bid: {})",
                next.normalize()
            ),
        }
    }
}

/// Parses a bid as the API takes it (`"0.05"`, `"1"`, `"0.125"`): digits, optional `.` and 1-3 digits.
pub fn parse_bid(bid: &str) -> Option<Decimal> {
    let (int, frac) = match bid.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (bid, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(f) = frac
        && (f.is_empty()
            || f.len() > MAX_BID_DECIMALS as usize
            || !f.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    bid.parse::<Decimal>().ok().filter(|d| !d.is_zero())
}

/// The ladder segment a value falls into.
fn segment(value: Decimal) -> LadderStep {
    BID_LADDER
        .iter()
        .rev()
        .find(|s| value >= s.from)
        .copied()
        .unwrap_or(BID_LADDER[0])
}

/// Whether `value` is exactly a ladder value.
pub fn is_on_ladder(value: Decimal) -> bool {
    let seg = segment(value);
    ((value - seg.from) % seg.step).is_zero()
}

/// The smallest ladder value `>= value`.
pub fn ladder_ceil(value: Decimal) -> Decimal {
    if value <= Decimal::ZERO {
        return BID_LADDER[0].step;
    }
    let seg = segment(value);
    let steps = ((value - seg.from) / seg.step).ceil();
    let candidate = seg.from + steps * seg.step;
    // Crossing into the next segment lands on its start, which is always a ladder value.
    match BID_LADDER.iter().find(|s| s.from > seg.from) {
        Some(next) if candidate > next.from => next.from,
        _ => candidate,
    }
    .normalize()
}

/// The class's floor: max(market price, minimum bid).
pub fn floor(market: Option<Decimal>, min_bid: Option<Decimal>) -> Decimal {
    market.unwrap_or_default().max(min_bid.unwrap_or_default())
}

/// Checks a bid string against format, floor and ladder, in the order the server does.
pub fn check_bid(bid: &str, floor: Decimal) -> Result<Decimal, BidViolation> {
    let value = parse_bid(bid).ok_or(BidViolation::Format)?;
    if value < floor {
        return Err(BidViolation::BelowFloor { floor });
    }
    if !is_on_ladder(value) {
        return Err(BidViolation::OffLadder {
            next: ladder_ceil(value),
        });
    }
    Ok(value)
}

/// Formats a bid the way the API takes it: plain decimal, no `$`, 2-3 decimals (`0.05`, `0.125`).
pub fn format_bid(value: Decimal) -> String {
    let v = value.round_dp(MAX_BID_DECIMALS).normalize();
    if v.scale() < 2 {
        format!("{v:.2}")
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn bid_format() {
        for ok in ["0.01", "1", "0.125", "12.5"] {
            assert!(parse_bid(ok).is_some(), "{ok}");
        }
        for bad in [
            "", "$0.01", "0.0125", "-1", "0.", ".5", "1e3", "0", "0.000", "abc",
        ] {
            assert!(parse_bid(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn ladder_values() {
        for on in [
            "0.01", "0.03", "0.04", "0.06", "0.08", "0.10", "0.13", "0.19", "0.20", "0.25", "1.00",
        ] {
            assert!(is_on_ladder(d(on)), "{on}");
        }
        for off in ["0.015", "0.05", "0.07", "0.11", "0.21", "0.22"] {
            assert!(!is_on_ladder(d(off)), "{off}");
        }
    }

    #[test]
    fn ladder_ceil_rounds_up_within_and_across_segments() {
        assert_eq!(ladder_ceil(d("0.001")), d("0.01"));
        assert_eq!(ladder_ceil(d("0.015")), d("0.02"));
        assert_eq!(ladder_ceil(d("0.05")), d("0.06"));
        assert_eq!(ladder_ceil(d("0.09")), d("0.10"));
        assert_eq!(ladder_ceil(d("0.191")), d("0.20"));
        assert_eq!(ladder_ceil(d("0.21")), d("0.25"));
        assert_eq!(ladder_ceil(d("0.25")), d("0.25"));
    }

    #[test]
    fn check_order_and_messages() {
        assert_eq!(check_bid("0.0101", d("0.01")), Err(BidViolation::Format));
        assert_eq!(
            check_bid("0.01", d("0.02")),
            Err(BidViolation::BelowFloor { floor: d("0.02") })
        );
        assert_eq!(
            check_bid("0.05", d("0.01")),
            Err(BidViolation::OffLadder { next: d("0.06") })
        );
        assert_eq!(check_bid("0.06", d("0.01")), Ok(d("0.06")));
        assert!(
            BidViolation::BelowFloor { floor: d("0.010") }
                .message("0.005")
                .contains("minimum bid price of 0.01")
        );
        // A floor off the ladder is stated as the ladder value it rounds up to.
        assert!(
            BidViolation::BelowFloor { floor: d("0.012") }
                .message("0.01")
                .contains("minimum bid price of 0.02")
        );
    }

    #[test]
    fn formats_like_the_api() {
        assert_eq!(format_bid(d("0.1")), "0.10");
        assert_eq!(format_bid(d("1")), "1.00");
        assert_eq!(format_bid(d("0.125")), "0.125");
        assert_eq!(format_bid(d("0.0300")), "0.03");
    }
}
