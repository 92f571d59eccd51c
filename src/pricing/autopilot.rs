//! An estimate of what an autopilot pool would be packed into: the service's packing (API-NOTES
//! §9.4: the vCPU target met *exactly* from the cheapest qualifying classes, memory ratio and
//! per-node bounds respected, no node bid above the ceiling) redone from public data — server
//! classes and their market prices. The service's own choice can differ (capacity changes,
//! cooldowns it keeps to itself): this is an estimate, and says so.
//!
//! The rule, stated once: a class qualifies when it is in the pool's region, available with
//! servers free, the lowest bid the service accepts for it (its floor, max(market, minimum
//! bid), rounded up to the bid ladder) is at most the ceiling, its vCPUs are within
//! `vcpuPerNode`, and its memory tier (GB per vCPU rounded to the nearest power of two on a log
//! scale: 3.75 → 4, 1.875 → 2, 6 → 8) is at least the pool's `memoryPerVCPU` (any: all). Among
//! the packings that reach the target exactly, the one with the lowest hourly market cost wins,
//! then the one with the fewest nodes; candidates are tried cheapest per vCPU first (then by
//! name), and an equal packing found later does not replace an earlier one. A class asked for
//! more nodes than it has free is named in [`AutopilotPreview::short_of_capacity`]: the service
//! re-packs around it as nodes fail to be won.

use rust_decimal::Decimal;
use serde::Serialize;

use super::class::ClassInput;
use super::money::{parse_cpu, parse_memory_gb};
use super::rules::{floor, ladder_ceil};

/// Hours in the month the estimate prices (365 × 24 / 12).
pub const HOURS_PER_MONTH: u32 = 730;

/// What the preview packs: the spec fields that decide it.
#[derive(Debug, Clone, PartialEq)]
pub struct PackSpec {
    /// The pool's region.
    pub region: String,
    /// vCPUs wanted.
    pub vcpu_total: u32,
    /// Per-node vCPU bounds, inclusive.
    pub vcpu_per_node: Option<(u32, u32)>,
    /// GB of memory per vCPU at least (`None`: any).
    pub memory_per_vcpu_gb: Option<u32>,
    /// Bid ceiling per node-hour.
    pub ceiling: Decimal,
}

/// One class in the estimated packing.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PackedClass {
    /// Server class.
    pub server_class: String,
    /// Nodes of it.
    pub nodes: u32,
    /// vCPUs per node.
    pub vcpu_per_node: u32,
    /// Memory per node in GB.
    pub memory_gb_per_node: f64,
    /// Market price per node-hour now.
    pub market_price_per_hour: Decimal,
    /// The lowest bid the service accepts for the class (what it bids first).
    pub lowest_bid_per_hour: Decimal,
    /// The most a node may be bid at (the pool's ceiling).
    pub bid_ceiling_per_hour: Decimal,
    /// `nodes × market` per hour.
    pub hourly: Decimal,
}

/// A class left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Excluded {
    /// Server class.
    pub server_class: String,
    /// Why (`memory ratio 2 GB/vCPU below 4`, `market 0.09 above the ceiling 0.05`, …).
    pub reason: String,
}

/// The estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AutopilotPreview {
    /// Always true: computed from public data, not by the service.
    pub estimate: bool,
    /// The region packed.
    pub region: String,
    /// vCPUs wanted.
    pub target_vcpus: u32,
    /// vCPUs the packing reaches (the target, or 0 when no exact packing exists).
    pub packed_vcpus: u32,
    /// The packing, cheapest class first.
    pub classes: Vec<PackedClass>,
    /// Expected cost per hour at today's market prices.
    pub hourly_usd: Decimal,
    /// [`AutopilotPreview::hourly_usd`] × [`HOURS_PER_MONTH`].
    pub monthly_usd: Decimal,
    /// The most nodes any exact packing of the qualifying classes could need (the target over
    /// the smallest qualifying node; over 1-vCPU nodes when nothing qualifies today).
    pub max_nodes: u32,
    /// The most the pool can cost per hour: [`AutopilotPreview::max_nodes`] each charged the
    /// bid ceiling. What a spending limit is checked against.
    pub max_hourly_usd: Decimal,
    /// Classes of the region left out, with the reason.
    pub excluded: Vec<Excluded>,
    /// Classes of the packing asked for more nodes than they have free now.
    pub short_of_capacity: Vec<String>,
    /// Why nothing could be packed, when nothing could.
    pub unpackable: Option<String>,
}

/// A class that qualifies: its facts in the units the packer needs.
struct Candidate<'a> {
    class: &'a ClassInput,
    vcpus: u32,
    memory_gb: f64,
    market: Decimal,
    bid: Decimal,
    available: u32,
}

/// A class's memory tier: GB per vCPU rounded to the nearest power of two on a log scale.
fn memory_tier(memory_gb: f64, vcpus: u32) -> f64 {
    let ratio = memory_gb / f64::from(vcpus.max(1));
    if ratio <= 0.0 {
        return 0.0;
    }
    2f64.powf(ratio.log2().round())
}

fn qualify<'a>(spec: &PackSpec, c: &'a ClassInput) -> Result<Candidate<'a>, String> {
    let vcpus = c
        .cpu
        .as_deref()
        .and_then(parse_cpu)
        .filter(|v| v.fract() == 0.0 && *v >= 1.0)
        .map(|v| v as u32)
        .ok_or("no whole vCPU count")?;
    let memory_gb = c
        .memory
        .as_deref()
        .and_then(parse_memory_gb)
        .ok_or("no memory size")?;
    if c.availability.as_deref().is_some_and(|a| a != "available") {
        return Err("not available for new pools".into());
    }
    let available = u32::try_from(c.available.unwrap_or(0)).unwrap_or(0);
    if available == 0 {
        return Err("no servers available".into());
    }
    if let Some((min, max)) = spec.vcpu_per_node
        && !(min..=max).contains(&vcpus)
    {
        return Err(format!("{vcpus} vCPUs per node, outside {min}-{max}"));
    }
    let tier = memory_tier(memory_gb, vcpus);
    if let Some(want) = spec.memory_per_vcpu_gb
        && tier < f64::from(want)
    {
        return Err(format!("memory ratio {tier} GB/vCPU below {want}"));
    }
    let market = c.market.ok_or("no market price")?;
    let bid = ladder_ceil(floor(Some(market), c.min_bid));
    if bid > spec.ceiling {
        return Err(format!(
            "lowest accepted bid {} above the ceiling {}",
            bid.normalize(),
            spec.ceiling.normalize()
        ));
    }
    Ok(Candidate {
        class: c,
        vcpus,
        memory_gb,
        market,
        bid,
        available,
    })
}

/// The best exact packing's node counts per candidate, if any: an exact-change knapsack over
/// vCPUs minimising (cost, nodes), in the candidates' order (see the module docs).
fn pack(target: u32, cands: &[Candidate<'_>]) -> Option<Vec<u32>> {
    let size = usize::try_from(target).ok()? + 1;
    // best[v] = (cost, nodes, candidate of the last node) of the best exact pack of v vCPUs.
    let mut best: Vec<Option<(Decimal, u32, usize)>> = vec![None; size];
    best[0] = Some((Decimal::ZERO, 0, usize::MAX));
    for v in 1..size {
        for (i, c) in cands.iter().enumerate() {
            let step = usize::try_from(c.vcpus).ok()?;
            let Some(rest) = v.checked_sub(step) else {
                continue;
            };
            let Some((cost, nodes, _)) = best[rest] else {
                continue;
            };
            let cand = (cost + c.market, nodes + 1, i);
            if best[v].is_none_or(|b| (cand.0, cand.1) < (b.0, b.1)) {
                best[v] = Some(cand);
            }
        }
    }
    let mut counts = vec![0u32; cands.len()];
    let mut v = size - 1;
    while v > 0 {
        let (_, _, i) = best[v]?;
        counts[i] += 1;
        v -= usize::try_from(cands[i].vcpus).ok()?;
    }
    Some(counts)
}

/// Estimates the packing of `spec` from `classes` (those of other regions are ignored).
pub fn preview(spec: &PackSpec, classes: &[ClassInput]) -> AutopilotPreview {
    let mut in_region: Vec<&ClassInput> =
        classes.iter().filter(|c| c.region == spec.region).collect();
    in_region.sort_by(|a, b| a.name.cmp(&b.name));
    let mut cands: Vec<Candidate<'_>> = Vec::new();
    let mut excluded = Vec::new();
    for c in in_region {
        match qualify(spec, c) {
            Ok(cand) => cands.push(cand),
            Err(reason) => excluded.push(Excluded {
                server_class: c.name.clone(),
                reason,
            }),
        }
    }
    cands.sort_by(|a, b| {
        let pa = a.market / Decimal::from(a.vcpus);
        let pb = b.market / Decimal::from(b.vcpus);
        (pa, &a.class.name).cmp(&(pb, &b.class.name))
    });
    let counts = pack(spec.vcpu_total, &cands);
    let short_of_capacity = counts
        .iter()
        .flat_map(|counts| counts.iter().zip(&cands))
        .filter(|(n, c)| **n > c.available)
        .map(|(_, c)| c.class.name.clone())
        .collect();
    let mut packed: Vec<PackedClass> = counts
        .iter()
        .flat_map(|counts| counts.iter().zip(&cands))
        .filter(|(n, _)| **n > 0)
        .map(|(n, c)| PackedClass {
            server_class: c.class.name.clone(),
            nodes: *n,
            vcpu_per_node: c.vcpus,
            memory_gb_per_node: c.memory_gb,
            market_price_per_hour: c.market,
            lowest_bid_per_hour: c.bid,
            bid_ceiling_per_hour: spec.ceiling,
            hourly: c.market * Decimal::from(*n),
        })
        .collect();
    packed.sort_by(|a, b| {
        a.market_price_per_hour
            .cmp(&b.market_price_per_hour)
            .then(a.server_class.cmp(&b.server_class))
    });
    let hourly: Decimal = packed.iter().map(|p| p.hourly).sum();
    let smallest = cands.iter().map(|c| c.vcpus).min().unwrap_or(1).max(1);
    let max_nodes = spec.vcpu_total / smallest;
    let unpackable = counts.is_none().then(|| {
        if cands.is_empty() {
            "no class of the region qualifies (see the excluded classes)".to_string()
        } else {
            format!(
                "no combination of the qualifying classes' nodes makes exactly {} vCPUs",
                spec.vcpu_total
            )
        }
    });
    AutopilotPreview {
        estimate: true,
        region: spec.region.clone(),
        target_vcpus: spec.vcpu_total,
        packed_vcpus: if counts.is_some() { spec.vcpu_total } else { 0 },
        classes: packed,
        hourly_usd: hourly.normalize(),
        monthly_usd: (hourly * Decimal::from(HOURS_PER_MONTH))
            .round_dp(2)
            .normalize(),
        max_nodes,
        max_hourly_usd: (spec.ceiling * Decimal::from(max_nodes)).normalize(),
        excluded,
        short_of_capacity,
        unpackable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str, cpu: &str, mem: &str, market: &str, available: i64) -> ClassInput {
        ClassInput {
            name: name.into(),
            region: "r1".into(),
            category: None,
            display_name: None,
            availability: Some("available".into()),
            cpu: Some(cpu.into()),
            memory: Some(mem.into()),
            market: market.parse().ok(),
            min_bid: None,
            on_demand: None,
            available: Some(available),
            capacity: Some(available),
        }
    }

    fn spec(total: u32, ceiling: &str) -> PackSpec {
        PackSpec {
            region: "r1".into(),
            vcpu_total: total,
            vcpu_per_node: None,
            memory_per_vcpu_gb: None,
            ceiling: ceiling.parse().unwrap(),
        }
    }

    #[test]
    fn the_target_is_packed_exactly_and_as_cheaply_as_possible() {
        let classes = [
            class("a.small", "2", "4GB", "0.010", 10),
            class("b.large", "8", "16GB", "0.030", 1),
            class("c.huge", "16", "64GB", "0.200", 5),
        ];
        let p = preview(&spec(12, "0.1"), &classes);
        // 1 × 8 + 2 × 2 costs 0.05; 6 × 2 costs 0.06.
        assert_eq!(p.packed_vcpus, 12);
        let got: Vec<(&str, u32)> = p
            .classes
            .iter()
            .map(|c| (c.server_class.as_str(), c.nodes))
            .collect();
        assert_eq!(got, [("a.small", 2), ("b.large", 1)]);
        assert_eq!(p.hourly_usd, "0.05".parse::<Decimal>().unwrap());
        assert_eq!(p.monthly_usd, "36.5".parse::<Decimal>().unwrap());
        assert_eq!((p.max_nodes, p.max_hourly_usd), (6, "0.6".parse().unwrap()));
        assert_eq!(p.excluded.len(), 1);
        assert!(p.excluded[0].reason.contains("above the ceiling"));
    }

    #[test]
    fn classes_are_left_out_with_the_reason() {
        let classes = [
            class("a.small", "2", "4GB", "0.010", 10),
            class("m.mem", "2", "16GB", "0.020", 10),
        ];
        let mut s = spec(4, "0.1");
        s.memory_per_vcpu_gb = Some(8);
        let p = preview(&s, &classes);
        assert_eq!(p.classes[0].server_class, "m.mem");
        assert!(p.excluded[0].reason.contains("memory ratio"));
        s.vcpu_per_node = Some((4, 8));
        let p = preview(&s, &classes);
        assert_eq!(p.packed_vcpus, 0);
        assert!(p.unpackable.is_some());
    }

    #[test]
    fn an_odd_target_no_packing_reaches_is_said_so() {
        let p = preview(&spec(3, "0.1"), &[class("a", "2", "4GB", "0.01", 10)]);
        assert_eq!(p.packed_vcpus, 0);
        assert!(p.unpackable.unwrap().contains("exactly 3"));
    }
}
