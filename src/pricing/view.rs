//! The price table behind `rsspot pricing list`: one [`PriceRow`] per server class, joining the
//! live class data with the public percentiles and hyperscaler comparisons, plus its filters
//! ([`ListFilter`]) and sort orders ([`SortKey`]).

use std::cmp::Ordering;
use std::collections::HashSet;
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::pricing::docs::{ComparablePrices, Percentiles};
use crate::pricing::{money, rules};

pub use crate::pricing::class::ClassInput;

/// Hours in the billing month used for monthly figures.
pub const MONTH_HOURS: u32 = 730;

/// One line of the price table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceRow {
    /// Class name.
    pub name: String,
    /// Human name.
    pub display_name: Option<String>,
    /// Region.
    pub region: String,
    /// Family: the name up to the first `.` (`gp`, `ch`, `mh`, `gpu`, `io`).
    pub family: String,
    /// Generation of a virtual class (`vs2` → 2); `None` for bare metal.
    pub generation: Option<u8>,
    /// Whether the class is a virtual server (`.vsN` in the name).
    #[serde(rename = "virtual")]
    pub virtual_: bool,
    /// Category.
    pub category: Option<String>,
    /// `available` or `deprecated`.
    pub availability: Option<String>,
    /// vCPUs per node.
    pub vcpu: Option<f64>,
    /// Memory per node in GB.
    pub memory_gb: Option<f64>,
    /// Market price per hour.
    pub market: Option<Decimal>,
    /// Minimum bid per hour.
    pub min_bid: Option<Decimal>,
    /// Lowest accepted bid: max(market, minimum bid).
    pub floor: Option<Decimal>,
    /// On-demand price per hour.
    pub on_demand: Option<Decimal>,
    /// 20th percentile of recent hammer prices.
    pub p20: Option<Decimal>,
    /// Median of recent hammer prices.
    pub p50: Option<Decimal>,
    /// 80th percentile of recent hammer prices.
    pub p80: Option<Decimal>,
    /// Average hourly price of comparable hyperscaler instances.
    pub hyperscaler_avg: Option<Decimal>,
    /// Market price saving against on-demand, in percent.
    pub saving_vs_on_demand_pct: Option<f64>,
    /// Market price saving against the hyperscaler average, in percent.
    pub saving_vs_hyperscaler_pct: Option<f64>,
    /// Servers available now.
    pub available: Option<i64>,
    /// Total servers.
    pub capacity: Option<i64>,
    /// Node count the totals are for.
    pub nodes: u32,
    /// Market price × nodes.
    pub hourly_total: Option<Decimal>,
    /// Market price × nodes × 730 h.
    pub monthly_total: Option<Decimal>,
}

/// The family of a class name: lower-cased text before the first `.` (empty without a dot).
pub fn family_of(name: &str) -> String {
    name.split_once('.')
        .map(|(f, _)| f.to_ascii_lowercase())
        .unwrap_or_default()
}

/// `(is_virtual, generation)` from `.vsN` followed by `.`, `-` or the end of the name.
pub fn generation_of(name: &str) -> (bool, Option<u8>) {
    let lower = name.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(at) = rest.find(".vs") {
        let after = &rest[at + 3..];
        let digits_end = after
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(after.len());
        let terminated = matches!(after[digits_end..].chars().next(), None | Some('.' | '-'));
        if digits_end > 0 && terminated {
            return (true, after[..digits_end].parse().ok());
        }
        rest = after;
    }
    (false, None)
}

fn saving_pct(price: Option<Decimal>, reference: Option<Decimal>) -> Option<f64> {
    let (price, reference) = (price?, reference?);
    if reference <= Decimal::ZERO {
        return None;
    }
    let pct = ((reference - price) * Decimal::ONE_HUNDRED / reference).round_dp(2);
    pct.to_f64()
}

/// Builds one row per class, joining percentiles and comparisons by class name (same region first).
///
/// The market price falls back to the percentiles document when the class has none; totals are
/// for `nodes` nodes at the market price.
pub fn build_rows(
    classes: &[ClassInput],
    pct: Option<&Percentiles>,
    cmp: Option<&ComparablePrices>,
    nodes: u32,
) -> Vec<PriceRow> {
    classes
        .iter()
        .map(|c| {
            let p = pct.and_then(|p| p.find(&c.name, Some(&c.region)));
            let hyperscaler_avg = cmp
                .and_then(|x| x.find(&c.name, Some(&c.region)))
                .and_then(|x| x.hyperscaler_average_price);
            let market = c.market.or(p.and_then(|p| p.market_price));
            let cpu = c.cpu.clone().or(p.and_then(|p| p.cpu.clone()));
            let memory = c.memory.clone().or(p.and_then(|p| p.memory.clone()));
            let (virtual_, generation) = generation_of(&c.name);
            let floor =
                (market.is_some() || c.min_bid.is_some()).then(|| rules::floor(market, c.min_bid));
            let hourly_total = market.map(|m| m * Decimal::from(nodes));
            PriceRow {
                name: c.name.clone(),
                display_name: c
                    .display_name
                    .clone()
                    .or(p.and_then(|p| p.display_name.clone())),
                region: c.region.clone(),
                family: family_of(&c.name),
                generation,
                virtual_,
                category: c.category.clone().or(p.and_then(|p| p.category.clone())),
                availability: c.availability.clone(),
                vcpu: cpu.as_deref().and_then(money::parse_cpu),
                memory_gb: memory.as_deref().and_then(money::parse_memory_gb),
                market,
                min_bid: c.min_bid,
                floor,
                on_demand: c.on_demand,
                p20: p.and_then(|p| p.p20),
                p50: p.and_then(|p| p.p50),
                p80: p.and_then(|p| p.p80),
                hyperscaler_avg,
                saving_vs_on_demand_pct: saving_pct(market, c.on_demand),
                saving_vs_hyperscaler_pct: saving_pct(market, hyperscaler_avg),
                available: c.available,
                capacity: c.capacity,
                nodes,
                hourly_total,
                monthly_total: hourly_total.map(|h| h * Decimal::from(MONTH_HOURS)),
            }
        })
        .collect()
}

/// Splits CSV/repeated flag values: split on `,`, trim, lower-case, drop empties and duplicates,
/// keep first-seen order.
pub fn split_csv<S: AsRef<str>>(values: &[S]) -> Vec<String> {
    let mut seen = HashSet::new();
    values
        .iter()
        .flat_map(|v| v.as_ref().split(','))
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| !s.is_empty() && seen.insert(s.clone()))
        .collect()
}

/// Filters of `pricing list`. Lists may hold raw flag values (`"gp,ch"`); matching is
/// case-insensitive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListFilter {
    /// Regions (exact names).
    pub regions: Vec<String>,
    /// Families (`gp`, `ch`, ...).
    pub families: Vec<String>,
    /// Generation of virtual classes; bare metal always passes.
    pub generation: Option<u8>,
    /// Minimum vCPUs (rows with unknown vCPU are dropped when set).
    pub min_cpu: Option<f64>,
    /// Maximum vCPUs.
    pub max_cpu: Option<f64>,
    /// Minimum memory in GB (rows with unknown memory are dropped when set).
    pub min_memory: Option<f64>,
    /// Maximum memory in GB.
    pub max_memory: Option<f64>,
    /// Keep only classes that can be provisioned now (availability `available`, servers > 0).
    pub only_available: bool,
    /// Class names; `gp.vs1.medium` also matches every region's `gp.vs1.medium-*`.
    pub classes: Vec<String>,
}

impl ListFilter {
    /// Rejects inverted ranges, naming the flags as the CLI spells them.
    pub fn validate(&self) -> Result<()> {
        let inverted =
            |lo: Option<f64>, hi: Option<f64>| matches!((lo, hi), (Some(l), Some(h)) if l > h);
        if inverted(self.min_cpu, self.max_cpu) {
            return Err(Error::invalid(
                "--min-cpu",
                "--min-cpu cannot be greater than --max-cpu",
            ));
        }
        if inverted(self.min_memory, self.max_memory) {
            return Err(Error::invalid(
                "--min-memory",
                "--min-memory cannot be greater than --max-memory",
            ));
        }
        Ok(())
    }

    /// Whether one row passes every filter.
    pub fn matches(&self, row: &PriceRow) -> bool {
        let regions = split_csv(&self.regions);
        let families = split_csv(&self.families);
        let classes = split_csv(&self.classes);
        self.matches_normalised(row, &regions, &families, &classes)
    }

    fn matches_normalised(
        &self,
        row: &PriceRow,
        regions: &[String],
        families: &[String],
        classes: &[String],
    ) -> bool {
        let within = |v: Option<f64>, lo: Option<f64>, hi: Option<f64>| {
            lo.is_none_or(|lo| v.is_some_and(|v| v >= lo))
                && hi.is_none_or(|hi| v.is_some_and(|v| v <= hi))
        };
        let name = row.name.to_ascii_lowercase();
        (regions.is_empty() || regions.contains(&row.region.to_ascii_lowercase()))
            && (families.is_empty() || families.contains(&row.family))
            && (classes.is_empty()
                || classes.iter().any(|c| {
                    name == *c
                        || name
                            .strip_prefix(c.as_str())
                            .is_some_and(|rest| rest.starts_with('-'))
                }))
            && (self.generation.is_none() || !row.virtual_ || row.generation == self.generation)
            && within(row.vcpu, self.min_cpu, self.max_cpu)
            && within(row.memory_gb, self.min_memory, self.max_memory)
            && (!self.only_available || is_available(row))
    }

    /// Keeps the rows that pass every filter, in their order.
    pub fn apply(&self, rows: Vec<PriceRow>) -> Vec<PriceRow> {
        let regions = split_csv(&self.regions);
        let families = split_csv(&self.families);
        let classes = split_csv(&self.classes);
        rows.into_iter()
            .filter(|r| self.matches_normalised(r, &regions, &families, &classes))
            .collect()
    }
}

/// Whether a class can be provisioned now: not marked otherwise than `available`, and not
/// known to have zero free servers.
pub fn is_available(row: &PriceRow) -> bool {
    row.availability
        .as_deref()
        .is_none_or(|a| a.eq_ignore_ascii_case("available"))
        && row.available.is_none_or(|n| n > 0)
}

/// A column to sort the price table by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortKey {
    /// Class name.
    Name,
    /// Display name.
    DisplayName,
    /// Region.
    Region,
    /// Family.
    Family,
    /// Generation.
    Generation,
    /// Virtual before bare metal.
    Virtual,
    /// Category.
    Category,
    /// Availability text.
    Availability,
    /// vCPUs.
    Vcpu,
    /// Memory.
    Memory,
    /// Market price (the default).
    #[default]
    Market,
    /// Minimum bid.
    MinBid,
    /// Floor.
    Floor,
    /// On-demand price.
    OnDemand,
    /// P20.
    P20,
    /// P50.
    P50,
    /// P80.
    P80,
    /// Hyperscaler average.
    Hyperscaler,
    /// Saving vs on-demand.
    SavingOnDemand,
    /// Saving vs hyperscaler.
    SavingHyperscaler,
    /// Servers available.
    Available,
    /// Total servers.
    Capacity,
    /// Node count.
    Nodes,
    /// Hourly total.
    HourlyTotal,
    /// Monthly total.
    MonthlyTotal,
}

impl SortKey {
    /// Accepted names (the first of each key is canonical), for `--sort` help and parsing.
    pub const NAMES: &'static [(&'static str, SortKey)] = &[
        ("name", SortKey::Name),
        ("class", SortKey::Name),
        ("display-name", SortKey::DisplayName),
        ("region", SortKey::Region),
        ("family", SortKey::Family),
        ("gen", SortKey::Generation),
        ("generation", SortKey::Generation),
        ("virtual", SortKey::Virtual),
        ("category", SortKey::Category),
        ("availability", SortKey::Availability),
        ("cpu", SortKey::Vcpu),
        ("vcpu", SortKey::Vcpu),
        ("memory", SortKey::Memory),
        ("ram", SortKey::Memory),
        ("market", SortKey::Market),
        ("price", SortKey::Market),
        ("hourly", SortKey::Market),
        ("min-bid", SortKey::MinBid),
        ("floor", SortKey::Floor),
        ("on-demand", SortKey::OnDemand),
        ("p20", SortKey::P20),
        ("p50", SortKey::P50),
        ("p80", SortKey::P80),
        ("hyperscaler", SortKey::Hyperscaler),
        ("saving", SortKey::SavingOnDemand),
        ("saving-on-demand", SortKey::SavingOnDemand),
        ("saving-hyperscaler", SortKey::SavingHyperscaler),
        ("available", SortKey::Available),
        ("capacity", SortKey::Capacity),
        ("nodes", SortKey::Nodes),
        ("hourly-total", SortKey::HourlyTotal),
        ("monthly", SortKey::MonthlyTotal),
        ("monthly-total", SortKey::MonthlyTotal),
    ];

    /// The canonical name.
    pub fn as_str(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, k)| *k == self)
            .map_or("market", |(n, _)| n)
    }

    fn cell(self, row: &PriceRow) -> Cell<'_> {
        fn text(s: Option<&String>) -> Cell<'_> {
            s.map_or(Cell::Missing, |s| Cell::Text(s))
        }
        let dec = |d: Option<Decimal>| d.map_or(Cell::Missing, Cell::Dec);
        let num = |f: Option<f64>| f.map_or(Cell::Missing, Cell::Num);
        match self {
            SortKey::Name => Cell::Text(&row.name),
            SortKey::DisplayName => text(row.display_name.as_ref()),
            SortKey::Region => Cell::Text(&row.region),
            SortKey::Family => Cell::Text(&row.family),
            SortKey::Generation => num(row.generation.map(f64::from)),
            SortKey::Virtual => Cell::Num(if row.virtual_ { 0.0 } else { 1.0 }),
            SortKey::Category => text(row.category.as_ref()),
            SortKey::Availability => text(row.availability.as_ref()),
            SortKey::Vcpu => num(row.vcpu),
            SortKey::Memory => num(row.memory_gb),
            SortKey::Market => dec(row.market),
            SortKey::MinBid => dec(row.min_bid),
            SortKey::Floor => dec(row.floor),
            SortKey::OnDemand => dec(row.on_demand),
            SortKey::P20 => dec(row.p20),
            SortKey::P50 => dec(row.p50),
            SortKey::P80 => dec(row.p80),
            SortKey::Hyperscaler => dec(row.hyperscaler_avg),
            SortKey::SavingOnDemand => num(row.saving_vs_on_demand_pct),
            SortKey::SavingHyperscaler => num(row.saving_vs_hyperscaler_pct),
            SortKey::Available => num(row.available.map(|n| n as f64)),
            SortKey::Capacity => num(row.capacity.map(|n| n as f64)),
            SortKey::Nodes => Cell::Num(f64::from(row.nodes)),
            SortKey::HourlyTotal => dec(row.hourly_total),
            SortKey::MonthlyTotal => dec(row.monthly_total),
        }
    }
}

impl FromStr for SortKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == wanted)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMES.iter().map(|(n, _)| *n).collect();
                Error::invalid(
                    "--sort",
                    format!("unknown column {s:?}; expected one of {}", names.join(", ")),
                )
            })
    }
}

/// A sortable value; `Missing` sorts last in both directions.
enum Cell<'a> {
    Missing,
    Text(&'a str),
    Dec(Decimal),
    Num(f64),
}

impl Cell<'_> {
    fn cmp_present(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Cell::Text(a), Cell::Text(b)) => a.to_ascii_lowercase().cmp(&b.to_ascii_lowercase()),
            (Cell::Dec(a), Cell::Dec(b)) => a.cmp(b),
            (Cell::Num(a), Cell::Num(b)) => a.total_cmp(b),
            _ => Ordering::Equal,
        }
    }
}

/// Sorts rows by `key` (unknown values last either way); ties go to more vCPUs, then name.
///
/// `sort_rows(rows, SortKey::Market, false)` is the Python tool's table order.
pub fn sort_rows(rows: &mut [PriceRow], key: SortKey, descending: bool) {
    rows.sort_by(|a, b| {
        let primary = match (key.cell(a), key.cell(b)) {
            (Cell::Missing, Cell::Missing) => Ordering::Equal,
            (Cell::Missing, _) => Ordering::Greater,
            (_, Cell::Missing) => Ordering::Less,
            (x, y) if descending => y.cmp_present(&x),
            (x, y) => x.cmp_present(&y),
        };
        primary
            .then_with(|| match (a.vcpu, b.vcpu) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then_with(|| a.name.cmp(&b.name))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_to_family_and_generation() {
        assert_eq!(family_of("GP.vs1.medium-dfw"), "gp");
        assert_eq!(family_of("nodot"), "");
        assert_eq!(generation_of("gp.vs1.medium-dfw"), (true, Some(1)));
        assert_eq!(generation_of("ch.vs2.large-iad2"), (true, Some(2)));
        assert_eq!(generation_of("gpu.vs2-x"), (true, Some(2)));
        assert_eq!(generation_of("gp.bm2.medium-dfw"), (false, None));
        assert_eq!(generation_of("gp.vsx.vs3"), (true, Some(3)));
        assert_eq!(generation_of("gp.vs1x.medium"), (false, None));
    }

    #[test]
    fn csv_is_normalised() {
        assert_eq!(
            split_csv(&["GP, ch", "gp", " ,mh"]),
            vec!["gp".to_string(), "ch".into(), "mh".into()]
        );
    }

    #[test]
    fn sort_key_names_parse() {
        assert_eq!(
            "monthly_total".parse::<SortKey>().unwrap(),
            SortKey::MonthlyTotal
        );
        assert_eq!("CPU".parse::<SortKey>().unwrap(), SortKey::Vcpu);
        assert!("bogus".parse::<SortKey>().is_err());
        assert_eq!(SortKey::Market.as_str(), "market");
    }
}
