//! The values the fleet file's kinds share: autoscaling bounds, taints and bids (a price or
//! an advice).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::pricing::advice::Risk;

/// Autoscaling bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FleetAutoscaling {
    /// Minimum nodes (≥ 1).
    pub min: u32,
    /// Maximum nodes (≥ min).
    pub max: u32,
}

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FleetTaint {
    /// Key.
    pub key: String,
    /// Value (may be empty).
    #[serde(default)]
    pub value: String,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: String,
}

/// A bid: a price per node-hour (`0.02` or `"0.02"`) or an advice resolved when the pool is
/// created (`{advice: med}`) and not re-bid afterwards unless asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum FleetBid {
    /// A price as text.
    Text(String),
    /// A price as a number.
    Number(f64),
    /// An advice.
    Advice(AdviceBid),
}

/// `{advice: low|med|high}`: the bid advice of `rsspot pricing advise` at that risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct AdviceBid {
    /// The pre-emption risk accepted.
    pub advice: AdviceRisk,
}

/// The risk of an advice bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum AdviceRisk {
    /// Rarely outbid (bid from P80).
    Low,
    /// The median.
    Med,
    /// Cheapest (bid from P20).
    High,
}

impl From<AdviceRisk> for Risk {
    fn from(r: AdviceRisk) -> Risk {
        match r {
            AdviceRisk::Low => Risk::Low,
            AdviceRisk::Med => Risk::Med,
            AdviceRisk::High => Risk::High,
        }
    }
}

/// A bid as the plan uses it: a fixed price or an advice to resolve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BidRule {
    /// This price.
    Price(Bid),
    /// The advice at this risk.
    Advice(Risk),
}

impl FleetBid {
    /// The bid as a typed rule (a price that is not a valid bid is an error naming `what`).
    pub fn rule(&self, what: &str) -> Result<BidRule> {
        let text = match self {
            FleetBid::Advice(a) => return Ok(BidRule::Advice(a.advice.into())),
            FleetBid::Text(t) => t.clone(),
            FleetBid::Number(n) => n.to_string(),
        };
        text.parse::<Bid>()
            .map(BidRule::Price)
            .map_err(|e| Error::invalid(format!("{what}.bid"), e.to_string()))
    }
}
