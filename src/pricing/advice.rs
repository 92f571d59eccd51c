//! Bid advice the server will accept, and the local bid validator run before every pool
//! create/update.
//!
//! Advice starts from a recent price percentile chosen by risk, applies the risk multiplier
//! (PRIOR-ART 7.1), lifts the result to the class's floor and rounds it up onto the bid ladder
//! ([`rules`]), so the advised bid always passes [`rules::check_bid`].

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::pricing::bid::Bid;
use crate::pricing::rules::{self, BidViolation};
use crate::pricing::view::PriceRow;

/// Pre-emption risk the user accepts. Lower risk → higher bid (and more pools when balancing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    /// Rarely outbid: bid from P80.
    Low,
    /// Bid from the median.
    #[default]
    Med,
    /// Cheapest: bid from P20.
    High,
}

impl Risk {
    /// Multiplier applied to the basis price (PRIOR-ART 7.1).
    pub fn bid_multiplier(self) -> Decimal {
        match self {
            Risk::Low => Decimal::new(135, 2),
            Risk::Med => Decimal::new(120, 2),
            Risk::High => Decimal::new(105, 2),
        }
    }

    /// Number of pools the balanced planner aims for (PRIOR-ART 7.1).
    pub fn pool_target(self) -> usize {
        match self {
            Risk::Low => 3,
            Risk::Med => 2,
            Risk::High => 1,
        }
    }

    /// The percentile the bid is based on.
    pub fn percentile_label(self) -> &'static str {
        match self {
            Risk::Low => "P80",
            Risk::Med => "P50",
            Risk::High => "P20",
        }
    }

    fn percentile(self, row: &PriceRow) -> Option<Decimal> {
        match self {
            Risk::Low => row.p80,
            Risk::Med => row.p50,
            Risk::High => row.p20,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Med => "med",
            Risk::High => "high",
        }
    }
}

impl fmt::Display for Risk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Risk {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "low" => Ok(Risk::Low),
            "med" | "medium" => Ok(Risk::Med),
            "high" => Ok(Risk::High),
            _ => Err(Error::invalid(
                "--risk",
                format!("unknown risk {s:?}; expected low, med or high"),
            )),
        }
    }
}

/// A suggested bid with the reasoning behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BidAdvice {
    /// The server class.
    pub class: String,
    /// The bid (serialised in the form the API takes, `"0.06"`).
    pub bid: Bid,
    /// The risk it was computed for.
    pub risk: Risk,
    /// What the bid is based on: `P80`, `P50`, `P20`, `market` or `floor`.
    pub basis: String,
    /// The basis price, when known.
    pub basis_price: Option<Decimal>,
    /// Lowest accepted bid: max(market, minimum bid).
    pub floor: Decimal,
    /// Market price.
    pub market: Option<Decimal>,
    /// Minimum bid.
    pub min_bid: Option<Decimal>,
    /// Ladder step at the bid.
    pub ladder_step: Decimal,
    /// Human-readable steps from basis to bid.
    pub reasoning: Vec<String>,
}

fn usd(d: Decimal) -> String {
    format!("${}", d.normalize())
}

fn ladder_step_at(value: Decimal) -> rules::LadderStep {
    rules::BID_LADDER
        .iter()
        .rev()
        .find(|s| value >= s.from)
        .copied()
        .unwrap_or(rules::BID_LADDER[0])
}

fn describe_step(step: rules::LadderStep) -> String {
    let next = rules::BID_LADDER.iter().find(|s| s.from > step.from);
    match next {
        Some(n) => format!(
            "step {} from {} below {}",
            usd(step.step),
            usd(step.from),
            usd(n.from)
        ),
        None => format!("step {} from {} upward", usd(step.step), usd(step.from)),
    }
}

/// The lowest accepted bid at or above `value`: lifted to `floor`, then rounded up onto the ladder.
pub fn next_valid_bid(value: Decimal, floor: Decimal) -> Decimal {
    rules::ladder_ceil(value.max(floor))
}

/// Advises a bid for one class at the given risk.
///
/// basis = the risk's percentile (P80/P50/P20), else the market price, else the floor; then
/// × [`Risk::bid_multiplier`], lifted to the floor and rounded up onto the ladder.
pub fn advise(row: &PriceRow, risk: Risk) -> BidAdvice {
    let floor = rules::floor(row.market, row.min_bid);
    let (basis, basis_price) = match (risk.percentile(row), row.market) {
        (Some(p), _) => (risk.percentile_label().to_string(), Some(p)),
        (None, Some(m)) => ("market".to_string(), Some(m)),
        (None, None) => ("floor".to_string(), None),
    };
    let mut reasoning = Vec::new();
    match (&basis_price, basis.as_str()) {
        (Some(p), "market") => reasoning.push(format!(
            "no {} known for {}; starting from the market price {}",
            risk.percentile_label(),
            row.name,
            usd(*p)
        )),
        (Some(p), label) => reasoning.push(format!(
            "{label} of recent hammer prices (~30 days) is {}",
            usd(*p)
        )),
        (None, _) => reasoning.push("no price data; starting from the floor".to_string()),
    }
    let raw = basis_price.map(|p| p * risk.bid_multiplier());
    if let Some(raw) = raw {
        reasoning.push(format!(
            "x {} for {risk} risk = {}",
            risk.bid_multiplier().normalize(),
            usd(raw)
        ));
    }
    let target = raw.unwrap_or(floor);
    reasoning.push(format!(
        "floor = max(market {}, minimum bid {}) = {}",
        row.market.map_or("unknown".to_string(), usd),
        row.min_bid.map_or("unknown".to_string(), usd),
        usd(floor)
    ));
    if target < floor {
        reasoning.push(format!("raised to the floor {}", usd(floor)));
    }
    let value = next_valid_bid(target, floor);
    let step = ladder_step_at(value);
    reasoning.push(format!(
        "rounded up onto the bid ladder ({}) = {}",
        describe_step(step),
        usd(value)
    ));
    if let Some(od) = row.on_demand
        && value > od
    {
        reasoning.push(format!(
            "the bid is above the on-demand price {}: an on-demand pool may be cheaper",
            usd(od)
        ));
    }
    BidAdvice {
        class: row.name.clone(),
        bid: Bid::round_up(value),
        risk,
        basis,
        basis_price,
        floor,
        market: row.market,
        min_bid: row.min_bid,
        ladder_step: step.step,
        reasoning,
    }
}

/// Validates a bid as the server certainly would: at least the class's floor
/// (max(market, minimum bid)). The bid's format is already checked by [`Bid`]; the ladder is
/// advice only (see [`crate::pricing::guard::Concern::OffLadder`]).
///
/// Errors are [`Error::Invalid`] on field `bidPrice`, carrying the server's reason and the
/// lowest bid that would be accepted.
pub fn validate_bid(bid: Bid, market: Option<Decimal>, min_bid: Option<Decimal>) -> Result<Bid> {
    let floor = rules::floor(market, min_bid);
    if bid.value() < floor {
        return Err(Error::invalid(
            "bidPrice",
            format!(
                "{}; bid at least {} (the class's floor: max of market price and minimum bid)",
                BidViolation::BelowFloor { floor }.message(&bid.to_string()),
                rules::format_bid(next_valid_bid(floor, floor))
            ),
        ));
    }
    Ok(bid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pricing::view::{ClassInput, build_rows};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn row(market: &str, min_bid: &str, pct: [Option<&str>; 3]) -> PriceRow {
        let mut r = build_rows(
            &[ClassInput {
                name: "gp.vs1.medium-dfw".into(),
                region: "us-central-dfw-1".into(),
                market: Some(d(market)),
                min_bid: Some(d(min_bid)),
                on_demand: Some(d("0.02")),
                ..ClassInput::default()
            }],
            None,
            None,
            1,
        )
        .remove(0);
        r.p20 = pct[0].map(d);
        r.p50 = pct[1].map(d);
        r.p80 = pct[2].map(d);
        r
    }

    #[test]
    fn risk_picks_the_percentile() {
        let r = row(
            "0.001",
            "0.01",
            [Some("0.003"), Some("0.011"), Some("0.021")],
        );
        let low = advise(&r, Risk::Low);
        // 0.021 × 1.35 = 0.02835 → ladder 0.03
        assert_eq!(
            (low.bid.to_string().as_str(), low.basis.as_str()),
            ("0.03", "P80")
        );
        assert_eq!(low.basis_price, Some(d("0.021")));
        assert_eq!(low.ladder_step, d("0.01"));
        // 0.011 × 1.2 = 0.0132 → 0.02
        assert_eq!(advise(&r, Risk::Med).bid, "0.02");
        // 0.003 × 1.05 below the 0.01 floor → 0.01
        let high = advise(&r, Risk::High);
        assert_eq!(high.bid, "0.01");
        assert!(
            high.reasoning
                .iter()
                .any(|l| l.contains("raised to the floor"))
        );
        assert!(
            low.reasoning
                .iter()
                .any(|l| l.contains("above the on-demand"))
        );
    }

    #[test]
    fn market_fallback_and_ladder() {
        let r = row("0.03", "0.01", [None, None, None]);
        let a = advise(&r, Risk::Low);
        // 0.03 × 1.35 = 0.0405 → on the 0.02 step from 0.04 → 0.06
        assert_eq!(
            (a.bid.to_string().as_str(), a.basis.as_str()),
            ("0.06", "market")
        );
        assert_eq!(a.ladder_step, d("0.02"));
        assert_eq!(a.floor, d("0.03"));
    }

    #[test]
    fn risk_parses() {
        assert_eq!("Medium".parse::<Risk>().unwrap(), Risk::Med);
        assert_eq!("low".parse::<Risk>().unwrap(), Risk::Low);
        assert!("extreme".parse::<Risk>().is_err());
        assert_eq!(serde_json::to_string(&Risk::High).unwrap(), "\"high\"");
    }

    #[test]
    fn validator_enforces_the_floor_only() {
        let bid = |s: &str| s.parse::<Bid>().unwrap();
        let err = validate_bid(bid("0.005"), Some(d("0.001")), Some(d("0.01")))
            .unwrap_err()
            .to_string();
        assert!(err.contains("minimum bid price of 0.01"), "{err}");
        assert!(err.contains("bid at least 0.01"), "{err}");
        // Off the ladder is advice, not a refusal: a server variant accepts it.
        assert_eq!(
            validate_bid(bid("0.05"), Some(d("0.001")), Some(d("0.01"))).unwrap(),
            bid("0.05")
        );
    }
}
