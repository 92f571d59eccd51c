//! Which server classes an autopilot pool may use, and the exact pack of its vCPU target.
//!
//! Readings of API-NOTES §9.4 (emulator guesses where the notes are silent, stated here):
//! * **Memory ratio.** `memoryPerVCPU: N` asks for *at least* N GB per vCPU ("memory ratio …
//!   respected" reads as a floor: a class with more memory per vCPU serves the workload too).
//!   Classes are sold in nominal tiers (3.75 GB on 2 vCPUs is the "2 GB per vCPU" tier, 7.5 GB
//!   per vCPU the "8" tier), so a class's ratio is first rounded to the nearest power of two
//!   (on a log scale) and compared with N. `any` takes every class.
//! * **Per-node bounds.** `vcpuPerNode.min ≤ class vCPUs ≤ vcpuPerNode.max`, each optional.
//! * **Budget.** `budgetPerHour` is a *per-node-hour bid ceiling*, not a spend cap: the service
//!   bids for each node the lowest bid its rules accept at the class's floor (max(market,
//!   minimum bid), on the ladder under `bid-rules=ladder`), follows the market up, and never
//!   bids above the ceiling. A class whose lowest accepted bid is above the ceiling does not
//!   qualify; the number of nodes is never limited by the budget.
//! * **Exactness.** The pack sums to `vcpu.total` exactly, at the lowest total market price
//!   (then the fewest nodes); a target no combination reaches is not packed at all.
//! * Only `available` classes of the pool's region, and none in cooldown, are used.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::Value;

use super::autopilot_rules::budget;
use super::{Store, str_at};
use crate::bids;

/// The largest target the packer works on (the service's limits are not published).
const MAX_PACKED_VCPUS: i64 = 100_000;

/// A server class an autopilot pool may use, with the bid it would place.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Candidate {
    /// The server class.
    pub class: String,
    /// vCPUs per node.
    pub cpu: i64,
    /// GB of memory per node.
    pub memory_gb: Decimal,
    /// The class's market price per node-hour.
    pub market: Decimal,
    /// The bid the service places for it (≤ the ceiling).
    pub bid: Decimal,
}

/// `"3.75GB"` → 3.75 (also `GiB`, `Gi`, `G` or a bare number).
pub(super) fn memory_gb(s: &str) -> Option<Decimal> {
    let t = s.trim();
    let num = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    num.trim().parse::<Decimal>().ok()
}

/// The nominal memory-per-vCPU tier of a class: its ratio rounded to the nearest power of two
/// on a log scale (1.875 → 2, 2.67 → 2, 3.75 → 4, 7.5 → 8).
fn memory_tier(memory_gb: Decimal, cpu: i64) -> f64 {
    let ratio = (memory_gb / Decimal::from(cpu.max(1)))
        .to_f64()
        .unwrap_or(0.0);
    if ratio <= 0.0 {
        return 0.0;
    }
    2f64.powf(ratio.log2().round())
}

fn int_at(doc: &Value, ptr: &str) -> Option<i64> {
    doc.pointer(ptr).and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

impl Store {
    /// The classes of `region` an autopilot pool's spec allows, leaving out those in `cooling`,
    /// cheapest per vCPU first.
    pub(super) fn autopilot_candidates(
        &self,
        ap: &Value,
        region: &str,
        cooling: &BTreeSet<String>,
    ) -> Vec<Candidate> {
        let min = int_at(ap, "/spec/vcpuPerNode/min").unwrap_or(1);
        let max = int_at(ap, "/spec/vcpuPerNode/max").unwrap_or(i64::MAX);
        let want_ratio = str_at(ap, "/spec/memoryPerVCPU")
            .filter(|m| *m != "any")
            .and_then(|m| m.parse::<f64>().ok());
        let Some(ceiling) = ap.pointer("/spec/budgetPerHour").and_then(budget) else {
            return Vec::new();
        };
        let mut out: Vec<Candidate> = self
            .classes()
            .iter()
            .filter(|c| str_at(c, "/spec/region") == Some(region))
            .filter(|c| str_at(c, "/spec/availability").is_none_or(|a| a == "available"))
            .filter_map(|c| {
                let class = str_at(c, "/metadata/name")?.to_string();
                let cpu = int_at(c, "/spec/resources/cpu")?;
                let memory_gb = memory_gb(str_at(c, "/spec/resources/memory")?)?;
                let market = str_at(c, "/status/spotPricing/marketPricePerHour")?
                    .parse::<Decimal>()
                    .ok()?;
                let bid = bids::lowest_accepted(Store::bid_floor(Some(c)), self.variants.bid_rules);
                let fits = cpu > 0
                    && cpu >= min
                    && cpu <= max
                    && want_ratio.is_none_or(|w| memory_tier(memory_gb, cpu) >= w)
                    && bid <= ceiling
                    && !cooling.contains(&class);
                fits.then_some(Candidate {
                    class,
                    cpu,
                    memory_gb,
                    market,
                    bid,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            let pa = a.market / Decimal::from(a.cpu);
            let pb = b.market / Decimal::from(b.cpu);
            (pa, &a.class).cmp(&(pb, &b.class))
        });
        out
    }
}

/// The exact pack of `total` vCPUs over `cands`: `(index into cands, nodes)` per class used, at
/// the lowest total market price, then the fewest nodes. `None` when no combination sums to
/// `total`.
pub(super) fn pack(total: i64, cands: &[Candidate]) -> Option<Vec<(usize, i64)>> {
    if !(1..=MAX_PACKED_VCPUS).contains(&total) || cands.is_empty() {
        return None;
    }
    let size = usize::try_from(total).ok()? + 1;
    // Prices in micro-dollars per node-hour (the API prints six decimals).
    let micros: Vec<i128> = cands
        .iter()
        .map(|c| {
            (c.market * Decimal::from(1_000_000))
                .round()
                .to_i128()
                .unwrap_or(i128::MAX / 4)
        })
        .collect();
    // best[v] = (cost, nodes, class of the last node) of the cheapest exact pack of v vCPUs.
    let mut best: Vec<Option<(i128, i64, usize)>> = vec![None; size];
    best[0] = Some((0, 0, usize::MAX));
    for v in 1..size {
        for (i, c) in cands.iter().enumerate() {
            let Ok(cpu) = usize::try_from(c.cpu) else {
                continue;
            };
            if cpu > v {
                continue;
            }
            let Some((cost, nodes, _)) = best[v - cpu] else {
                continue;
            };
            let cand = (cost + micros[i], nodes + 1, i);
            if best[v].is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                best[v] = Some(cand);
            }
        }
    }
    let mut counts = vec![0i64; cands.len()];
    let mut v = size - 1;
    while v > 0 {
        let (_, _, i) = best[v]?;
        counts[i] += 1;
        v -= usize::try_from(cands[i].cpu).ok()?;
    }
    Some(
        counts
            .into_iter()
            .enumerate()
            .filter(|(_, n)| *n > 0)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(class: &str, cpu: i64, market: &str) -> Candidate {
        Candidate {
            class: class.into(),
            cpu,
            memory_gb: Decimal::from(cpu * 2),
            market: market.parse().unwrap(),
            bid: market.parse().unwrap(),
        }
    }

    #[test]
    fn packs_exactly_at_the_lowest_price() {
        let c = [cand("big", 24, "0.005"), cand("small", 2, "0.001")];
        assert_eq!(pack(28, &c), Some(vec![(0, 1), (1, 2)]));
        assert_eq!(pack(4, &c), Some(vec![(1, 2)]));
        assert_eq!(pack(3, &c), None, "no combination reaches 3");
        assert_eq!(pack(0, &c), None);
    }

    #[test]
    fn tiers_and_memory() {
        assert_eq!(memory_gb("3.75GB"), Some("3.75".parse().unwrap()));
        assert_eq!(memory_gb("16Gi"), Some(Decimal::from(16)));
        assert_eq!(memory_tier("3.75".parse().unwrap(), 2), 2.0);
        assert_eq!(memory_tier(Decimal::from(64), 24), 2.0);
        assert_eq!(memory_tier(Decimal::from(30), 8), 4.0);
        assert_eq!(memory_tier(Decimal::from(120), 16), 8.0);
    }
}
