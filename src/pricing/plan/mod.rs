//! The cluster cost planner behind `rsspot pricing build` (PRIOR-ART 7.4/7.5, with its defects
//! fixed).
//!
//! Three strategies (`max_performance`, `max_value`, `balanced`) keep the Python tool's scoring.
//! Unlike it, every scenario stays inside one region (one cloudspace can deploy it), budgets steer
//! the search instead of discarding finished scenarios, and suggested bids come from
//! [`advice::advise`] so the server accepts them.
//!
//! Search: candidates are grouped by region. For each region and strategy every configuration is
//! scored: one class for all nodes, or with `balanced` + `--balanced` every set of `k` classes
//! (k = the risk's pool target, capped by nodes and candidates; fewer pools only when no `k`-set
//! fits the budget). The best-scoring configuration that fits the budget wins in its region, and
//! the best region (by the same score) wins the strategy.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::error::{Error, Result};
use crate::pricing::advice::{self, Risk};
use crate::pricing::view::{MONTH_HOURS, PriceRow, is_available, split_csv};

mod report;

pub use report::{
    Assumptions, BuildRecommendation, BuildScenario, PoolRecommendation, Requested, Strategy,
};

/// Weight of one vCPU in a node's capacity.
pub const CPU_WEIGHT: f64 = 1.0;
/// Weight of one GB of memory in a node's capacity.
pub const MEMORY_WEIGHT: f64 = 1.0;
/// Capacity bonus of generation-2 classes.
pub const GEN2_MULTIPLIER: f64 = 1.10;
/// Families planned when none are given: general purpose, compute heavy, memory heavy.
pub const DEFAULT_BUILD_CLASSES: [&str; 3] = ["gp", "ch", "mh"];
/// Warning when no class matches the filters.
pub const NO_CANDIDATES: &str = "No pricing candidates matched the provided filters.";
/// Warning when nothing fits the budget.
pub const NO_BUDGET_FIT: &str =
    "No scenarios matched the provided hourly/monthly budget constraints.";

/// What to plan for (`pricing build` flags).
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRequest {
    /// Total nodes (≥ 1).
    pub nodes: u32,
    /// Generation of virtual classes to use (1 or 2); any when `None`.
    pub generation: Option<u8>,
    /// Accepted pre-emption risk.
    pub risk: Risk,
    /// Spread the balanced strategy over several pools (`--balanced`).
    pub balanced: bool,
    /// Regions to consider (raw flag values, CSV allowed; case-insensitive); all when empty.
    pub regions: Vec<String>,
    /// Families to consider (raw flag values); `gp,ch,mh` when empty.
    pub classes: Vec<String>,
    /// Minimum total $/h.
    pub min_hour: Option<Decimal>,
    /// Maximum total $/h.
    pub max_hour: Option<Decimal>,
    /// Minimum total $/month (730 h).
    pub min_month: Option<Decimal>,
    /// Maximum total $/month (730 h).
    pub max_month: Option<Decimal>,
}

impl Default for PlanRequest {
    fn default() -> Self {
        PlanRequest {
            nodes: 1,
            generation: None,
            risk: Risk::Med,
            balanced: false,
            regions: Vec::new(),
            classes: Vec::new(),
            min_hour: None,
            max_hour: None,
            min_month: None,
            max_month: None,
        }
    }
}

/// A row usable by the planner, with its derived metrics.
struct Candidate<'a> {
    row: &'a PriceRow,
    hourly: Decimal,
    cpu: f64,
    memory: f64,
    capacity: f64,
    value: f64,
}

/// Min/max of per-node capacity and value over all candidates, for the balanced normalisation.
struct Bounds {
    cap: (f64, f64),
    val: (f64, f64),
}

fn norm(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if (hi - lo).abs() <= 1e-9 * hi.abs().max(lo.abs()) {
        1.0
    } else {
        (v - lo) / (hi - lo)
    }
}

/// Scores compare equal within a relative 1e-9, so float noise never decides a tie.
fn cmp_score(a: f64, b: f64) -> Ordering {
    if (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0) {
        Ordering::Equal
    } else {
        a.total_cmp(&b)
    }
}

/// A scored configuration: candidate indices (in ranking order) with node counts.
struct Config {
    pools: Vec<(usize, u32)>,
    /// Positions in the strategy ranking, for deterministic tie-breaks.
    ranks: Vec<usize>,
    score: f64,
    hourly: Decimal,
}

fn rank_key(strategy: Strategy, c: &Candidate<'_>, bounds: &Bounds) -> f64 {
    match strategy {
        Strategy::MaxPerformance => c.capacity,
        Strategy::MaxValue => c.value,
        Strategy::Balanced => 0.5 * norm(c.capacity, bounds.cap) + 0.5 * norm(c.value, bounds.val),
    }
}

/// Candidate indices best first: by the strategy key, then cheaper, then name (PRIOR-ART 7.5).
fn ranking(strategy: Strategy, cands: &[Candidate<'_>], bounds: &Bounds) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&cands[a], &cands[b]);
        cmp_score(rank_key(strategy, y, bounds), rank_key(strategy, x, bounds))
            .then_with(|| x.hourly.cmp(&y.hourly))
            .then_with(|| x.row.name.cmp(&y.row.name))
    });
    order
}

fn evaluate(
    strategy: Strategy,
    chosen: &[usize],
    ranking: &[usize],
    cands: &[Candidate<'_>],
    bounds: &Bounds,
    nodes: u32,
) -> Config {
    let k = chosen.len() as u32;
    let (base, extra) = (nodes / k, nodes % k);
    let pools: Vec<(usize, u32)> = chosen
        .iter()
        .enumerate()
        .map(|(i, &c)| (c, base + u32::from((i as u32) < extra)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let capacity: f64 = pools
        .iter()
        .map(|&(c, n)| cands[c].capacity * f64::from(n))
        .sum();
    let hourly: Decimal = pools
        .iter()
        .map(|&(c, n)| cands[c].hourly * Decimal::from(n))
        .sum();
    let hourly_f = hourly.to_f64().unwrap_or(0.0);
    let value = if hourly_f > 0.0 {
        capacity / hourly_f
    } else {
        0.0
    };
    let score = match strategy {
        Strategy::MaxPerformance => capacity,
        Strategy::MaxValue => value,
        Strategy::Balanced => {
            0.5 * norm(capacity / f64::from(nodes), bounds.cap) + 0.5 * norm(value, bounds.val)
        }
    };
    let ranks = chosen
        .iter()
        .map(|c| ranking.iter().position(|r| r == c).unwrap_or(usize::MAX))
        .collect();
    Config {
        pools,
        ranks,
        score,
        hourly,
    }
}

/// Calls `f` with every `k`-subset of `items`, each in `items` order.
fn for_each_subset(items: &[usize], k: usize, f: &mut impl FnMut(&[usize])) {
    fn go(
        items: &[usize],
        k: usize,
        start: usize,
        cur: &mut Vec<usize>,
        f: &mut impl FnMut(&[usize]),
    ) {
        if cur.len() == k {
            f(cur);
            return;
        }
        for i in start..items.len() {
            if items.len() - i < k - cur.len() {
                break;
            }
            cur.push(items[i]);
            go(items, k, i + 1, cur, f);
            cur.pop();
        }
    }
    if k > 0 && k <= items.len() {
        go(items, k, 0, &mut Vec::with_capacity(k), f);
    }
}

/// Builds the plan. Errors only on an invalid request (zero nodes, negative or inverted budgets).
pub fn build(rows: &[PriceRow], req: &PlanRequest) -> Result<BuildRecommendation> {
    validate(req)?;
    let regions = split_csv(&req.regions);
    let mut classes = split_csv(&req.classes);
    if classes.is_empty() {
        classes = DEFAULT_BUILD_CLASSES
            .iter()
            .map(|s| s.to_string())
            .collect();
    }
    let requested = Requested {
        nodes: req.nodes,
        generation: req.generation,
        risk: req.risk,
        balanced: req.balanced,
        regions: regions.clone(),
        classes: classes.clone(),
        min_hour: req.min_hour,
        max_hour: req.max_hour,
        min_month: req.min_month,
        max_month: req.max_month,
    };
    let assumptions = Assumptions {
        month_hours: MONTH_HOURS,
        cpu_weight: CPU_WEIGHT,
        memory_weight: MEMORY_WEIGHT,
        gen2_multiplier: GEN2_MULTIPLIER,
        risk_bid_multiplier: req.risk.bid_multiplier(),
        balanced_pool_target: req.risk.pool_target(),
        pricing: "costs at the current market price; bids advised from recent percentiles, \
                  lifted to the floor and rounded onto the bid ladder"
            .to_string(),
    };
    let cands = candidates(rows, req, &regions, &classes);
    let mut out = BuildRecommendation {
        requested,
        assumptions,
        scenarios: Vec::new(),
        warning: None,
    };
    if cands.is_empty() {
        out.warning = Some(NO_CANDIDATES.to_string());
        return Ok(out);
    }
    let bounds = Bounds {
        cap: min_max(cands.iter().map(|c| c.capacity)),
        val: min_max(cands.iter().map(|c| c.value)),
    };
    let mut by_region: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in cands.iter().enumerate() {
        by_region.entry(c.row.region.as_str()).or_default().push(i);
    }
    for strategy in Strategy::ALL {
        let ranking = ranking(strategy, &cands, &bounds);
        let mut best: Option<(&str, Config)> = None;
        for (region, members) in &by_region {
            // Members in ranking order, so node remainders go to the better-ranked pools.
            let ordered: Vec<usize> = ranking
                .iter()
                .copied()
                .filter(|i| members.contains(i))
                .collect();
            let Some(config) = search(strategy, &ordered, &ranking, &cands, &bounds, req) else {
                continue;
            };
            let better = match &best {
                None => true,
                Some((best_region, b)) => {
                    cmp_score(config.score, b.score)
                        .then_with(|| b.hourly.cmp(&config.hourly))
                        .then_with(|| best_region.cmp(region))
                        == Ordering::Greater
                }
            };
            if better {
                best = Some((region, config));
            }
        }
        if let Some((region, config)) = best {
            out.scenarios
                .push(scenario(strategy, region, &config, &cands, req.risk));
        }
    }
    if out.scenarios.is_empty() {
        out.warning = Some(NO_BUDGET_FIT.to_string());
    } else if out.scenarios.len() < Strategy::ALL.len() {
        let missing: Vec<&str> = Strategy::ALL
            .iter()
            .filter(|s| !out.scenarios.iter().any(|x| x.strategy == **s))
            .map(|s| s.as_str())
            .collect();
        out.warning = Some(format!(
            "No configuration within the budget for: {}.",
            missing.join(", ")
        ));
    }
    Ok(out)
}

fn validate(req: &PlanRequest) -> Result<()> {
    if req.nodes == 0 {
        return Err(Error::invalid("--nodes", "--nodes must be at least 1"));
    }
    for (flag, v) in [
        ("--min-hour", req.min_hour),
        ("--max-hour", req.max_hour),
        ("--min-month", req.min_month),
        ("--max-month", req.max_month),
    ] {
        if v.is_some_and(|v| v < Decimal::ZERO) {
            return Err(Error::invalid(flag, format!("{flag} must be 0 or more")));
        }
    }
    for (lo, hi, a, b) in [
        (req.min_hour, req.max_hour, "--min-hour", "--max-hour"),
        (req.min_month, req.max_month, "--min-month", "--max-month"),
    ] {
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo > hi
        {
            return Err(Error::invalid(a, format!("{a} cannot be greater than {b}")));
        }
    }
    Ok(())
}

fn min_max(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    })
}

/// Virtual classes of the requested families/generation/regions with a positive price, vCPU and
/// memory, that can be provisioned now.
fn candidates<'a>(
    rows: &'a [PriceRow],
    req: &PlanRequest,
    regions: &[String],
    classes: &[String],
) -> Vec<Candidate<'a>> {
    rows.iter()
        .filter(|r| r.virtual_ && is_available(r))
        .filter(|r| req.generation.is_none() || r.generation == req.generation)
        .filter(|r| classes.contains(&r.family))
        .filter(|r| regions.is_empty() || regions.contains(&r.region.to_ascii_lowercase()))
        .filter_map(|row| {
            let hourly = row.market.filter(|m| *m > Decimal::ZERO)?;
            let cpu = row.vcpu.filter(|v| *v > 0.0)?;
            let memory = row.memory_gb.filter(|v| *v > 0.0)?;
            let bonus = if row.generation == Some(2) {
                GEN2_MULTIPLIER
            } else {
                1.0
            };
            let capacity = (cpu * CPU_WEIGHT + memory * MEMORY_WEIGHT) * bonus;
            let value = capacity / hourly.to_f64().filter(|h| *h > 0.0)?;
            Some(Candidate {
                row,
                hourly,
                cpu,
                memory,
                capacity,
                value,
            })
        })
        .collect()
}

fn fits(hourly: Decimal, req: &PlanRequest) -> bool {
    let monthly = hourly * Decimal::from(MONTH_HOURS);
    req.min_hour.is_none_or(|m| hourly >= m)
        && req.max_hour.is_none_or(|m| hourly <= m)
        && req.min_month.is_none_or(|m| monthly >= m)
        && req.max_month.is_none_or(|m| monthly <= m)
}

/// The best-scoring configuration of one region that fits the budget, preferring more pools for
/// a multi-pool balanced plan.
fn search(
    strategy: Strategy,
    ordered: &[usize],
    ranking: &[usize],
    cands: &[Candidate<'_>],
    bounds: &Bounds,
    req: &PlanRequest,
) -> Option<Config> {
    let target = if strategy == Strategy::Balanced && req.balanced {
        req.risk
            .pool_target()
            .min(req.nodes as usize)
            .min(ordered.len())
            .max(1)
    } else {
        1
    };
    for k in (1..=target).rev() {
        let mut best: Option<Config> = None;
        for_each_subset(ordered, k, &mut |chosen| {
            let config = evaluate(strategy, chosen, ranking, cands, bounds, req.nodes);
            if !fits(config.hourly, req) {
                return;
            }
            let better = match &best {
                None => true,
                Some(b) => {
                    cmp_score(config.score, b.score).then_with(|| b.ranks.cmp(&config.ranks))
                        == Ordering::Greater
                }
            };
            if better {
                best = Some(config);
            }
        });
        if best.is_some() {
            return best;
        }
    }
    None
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn scenario(
    strategy: Strategy,
    region: &str,
    config: &Config,
    cands: &[Candidate<'_>],
    risk: Risk,
) -> BuildScenario {
    let month = Decimal::from(MONTH_HOURS);
    let pools: Vec<PoolRecommendation> = config
        .pools
        .iter()
        .map(|&(i, nodes)| {
            let c = &cands[i];
            let advice = advice::advise(c.row, risk);
            let hourly_total = c.hourly * Decimal::from(nodes);
            PoolRecommendation {
                server_class_name: c.row.name.clone(),
                class_prefix: c.row.family.clone(),
                region: c.row.region.clone(),
                generation: c.row.generation,
                nodes,
                cpu_per_node: c.cpu,
                memory_gb_per_node: c.memory,
                hourly_per_node: c.hourly,
                monthly_per_node: c.hourly * month,
                hourly_total,
                monthly_total: hourly_total * month,
                command: format!(
                    "rsspot nodepools spot create --cloudspace <CLOUDSPACE> --server-class {} \
                     --desired {nodes} --bid-price {}",
                    c.row.name, advice.bid
                ),
                suggested_bid_per_node: advice.bid,
                bid_basis: advice.basis,
                capacity_per_node: round6(c.capacity),
                value_per_node: round6(c.value),
                available: c.row.available,
                exceeds_availability: c.row.available.is_some_and(|a| i64::from(nodes) > a),
            }
        })
        .collect();
    BuildScenario {
        strategy,
        status: "ok".to_string(),
        score: round6(config.score),
        total_hourly: config.hourly,
        total_monthly: config.hourly * month,
        total_cpu: pools
            .iter()
            .map(|p| p.cpu_per_node * f64::from(p.nodes))
            .sum(),
        total_memory_gb: pools
            .iter()
            .map(|p| p.memory_gb_per_node * f64::from(p.nodes))
            .sum(),
        region: region.to_string(),
        exceeds_availability: pools.iter().any(|p| p.exceeds_availability),
        pools,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsets_in_order() {
        let mut seen = Vec::new();
        for_each_subset(&[5, 7, 9], 2, &mut |s| seen.push(s.to_vec()));
        assert_eq!(seen, vec![vec![5, 7], vec![5, 9], vec![7, 9]]);
        let mut n = 0;
        for_each_subset(&[1, 2], 3, &mut |_| n += 1);
        assert_eq!(n, 0);
    }

    #[test]
    fn norm_of_a_flat_range_is_one() {
        assert_eq!(norm(5.0, (5.0, 5.0)), 1.0);
        assert_eq!(norm(6.0, (4.0, 8.0)), 0.5);
    }

    #[test]
    fn invalid_requests() {
        let zero = PlanRequest {
            nodes: 0,
            ..PlanRequest::default()
        };
        assert!(matches!(build(&[], &zero), Err(Error::Invalid { .. })));
        let inverted = PlanRequest {
            min_hour: Some(Decimal::TWO),
            max_hour: Some(Decimal::ONE),
            ..PlanRequest::default()
        };
        let err = build(&[], &inverted).unwrap_err().to_string();
        assert!(
            err.contains("--min-hour cannot be greater than --max-hour"),
            "{err}"
        );
    }
}
