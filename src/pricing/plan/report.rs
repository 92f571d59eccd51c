//! What the planner answers: the request as understood, its assumptions, and one scenario
//! (a set of pool recommendations) per strategy.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::pricing::advice::Risk;

/// The request as understood (lists normalised, defaults filled in).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requested {
    /// Total nodes.
    pub nodes: u32,
    /// Generation filter.
    #[serde(rename = "gen")]
    pub generation: Option<u8>,
    /// Risk.
    pub risk: Risk,
    /// Multi-pool balanced strategy.
    pub balanced: bool,
    /// Normalised regions.
    pub regions: Vec<String>,
    /// Normalised families (default `gp,ch,mh`).
    pub classes: Vec<String>,
    /// Minimum total $/h.
    pub min_hour: Option<Decimal>,
    /// Maximum total $/h.
    pub max_hour: Option<Decimal>,
    /// Minimum total $/month.
    pub min_month: Option<Decimal>,
    /// Maximum total $/month.
    pub max_month: Option<Decimal>,
}

/// The constants the plan was computed with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    /// Hours per month.
    pub month_hours: u32,
    /// Capacity weight of a vCPU.
    pub cpu_weight: f64,
    /// Capacity weight of a GB.
    pub memory_weight: f64,
    /// Capacity bonus of generation 2.
    pub gen2_multiplier: f64,
    /// Multiplier applied to the bid basis for the requested risk.
    pub risk_bid_multiplier: Decimal,
    /// Pools the balanced strategy aims for with `--balanced`.
    pub balanced_pool_target: usize,
    /// Costs are at the current market price; bids are the advised, ladder-valid bids.
    pub pricing: String,
}

/// The three strategies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Most capacity (vCPU + GB, gen-2 bonus).
    MaxPerformance,
    /// Most capacity per dollar.
    MaxValue,
    /// Even mix of normalised capacity and value.
    Balanced,
}

impl Strategy {
    /// All strategies in output order.
    pub const ALL: [Strategy; 3] = [
        Strategy::MaxPerformance,
        Strategy::MaxValue,
        Strategy::Balanced,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::MaxPerformance => "max_performance",
            Strategy::MaxValue => "max_value",
            Strategy::Balanced => "balanced",
        }
    }
}

/// One node pool of a scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolRecommendation {
    /// Server class.
    pub server_class_name: String,
    /// Family.
    pub class_prefix: String,
    /// Region.
    pub region: String,
    /// Generation.
    pub generation: Option<u8>,
    /// Nodes in this pool.
    pub nodes: u32,
    /// vCPUs per node.
    pub cpu_per_node: f64,
    /// Memory per node in GB.
    pub memory_gb_per_node: f64,
    /// Market price per node-hour.
    pub hourly_per_node: Decimal,
    /// Market price per node-month.
    pub monthly_per_node: Decimal,
    /// Pool $/h.
    pub hourly_total: Decimal,
    /// Pool $/month.
    pub monthly_total: Decimal,
    /// Advised bid per node, in API form.
    pub suggested_bid_per_node: crate::pricing::Bid,
    /// What the bid is based on (`P80`, `market`, ...).
    pub bid_basis: String,
    /// Capacity per node.
    pub capacity_per_node: f64,
    /// Capacity per dollar-hour.
    pub value_per_node: f64,
    /// Servers of the class available now, when known.
    pub available: Option<i64>,
    /// More nodes than the class has available: the pool would not be filled now.
    pub exceeds_availability: bool,
    /// The command that creates this pool.
    pub command: String,
}

/// One strategy's plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildScenario {
    /// Strategy.
    pub strategy: Strategy,
    /// Always `ok`.
    pub status: String,
    /// Strategy score (scales differ between strategies); 6 decimals.
    pub score: f64,
    /// Σ pool $/h.
    pub total_hourly: Decimal,
    /// Σ pool $/month.
    pub total_monthly: Decimal,
    /// Σ vCPUs.
    pub total_cpu: f64,
    /// Σ memory in GB.
    pub total_memory_gb: f64,
    /// The one region of every pool.
    pub region: String,
    /// Pools, largest first.
    pub pools: Vec<PoolRecommendation>,
    /// Some pool asks for more nodes than its class has available.
    pub exceeds_availability: bool,
}

/// The planner's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuildRecommendation {
    /// The request as understood.
    pub requested: Requested,
    /// Constants used.
    pub assumptions: Assumptions,
    /// One scenario per strategy that has a fitting configuration.
    pub scenarios: Vec<BuildScenario>,
    /// Why scenarios are missing, if they are.
    pub warning: Option<String>,
}
