//! Lenient types for the public pricing documents (API-NOTES 2.10, 3.9): `percentiles.json`,
//! `comparable_prices.json` and `history/{class}`.
//!
//! The documents are hand-maintained S3 objects: prices come as strings, `$`-strings or noisy
//! floats, and entries may be missing fields. Only the top-level shape is required; a malformed
//! entry inside is skipped (or its field left `None`) instead of failing the whole document.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::pricing::money;

/// A public pricing document with a known path on the public-data host.
pub trait PublicDocument: DeserializeOwned {
    /// Path on the public-data host (`{class}` is a placeholder for per-class documents).
    const PATH: &'static str;

    /// Parses the document; garbage or a wrong top-level shape gives [`Error::Decode`].
    fn parse(bytes: &[u8]) -> Result<Self> {
        parse(bytes)
    }
}

/// Parses a public document from its bytes; garbage gives [`Error::Decode`] naming the document.
pub fn parse<T: PublicDocument>(bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Decode {
        url: T::PATH.to_string(),
        message: e.to_string(),
        source: Some(e),
    })
}

/// `percentiles.json`: trailing ~30-day price percentiles per region and class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Region name → region entry.
    #[serde(deserialize_with = "lenient_map")]
    pub regions: BTreeMap<String, PercentileRegion>,
}

impl PublicDocument for Percentiles {
    const PATH: &'static str = "/percentiles.json";
}

impl Percentiles {
    /// The entry of `class`, looked up in `region` first, then in any region.
    pub fn find(&self, class: &str, region: Option<&str>) -> Option<&PercentileClass> {
        region
            .and_then(|r| self.regions.get(r))
            .and_then(|r| r.serverclasses.get(class))
            .or_else(|| {
                self.regions
                    .values()
                    .find_map(|r| r.serverclasses.get(class))
            })
    }
}

/// One region of `percentiles.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PercentileRegion {
    /// `v1` or `v2`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub generation: Option<String>,
    /// Class name → percentiles.
    #[serde(default, deserialize_with = "lenient_map")]
    pub serverclasses: BTreeMap<String, PercentileClass>,
}

/// One class of `percentiles.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PercentileClass {
    /// Human name, e.g. `General Virtual Server.Medium`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub display_name: Option<String>,
    /// `General Purpose`, `Compute Heavy`, ...
    #[serde(default, deserialize_with = "lenient_string")]
    pub category: Option<String>,
    /// The region's human name.
    #[serde(default, deserialize_with = "lenient_string")]
    pub description: Option<String>,
    /// vCPU count as text.
    #[serde(default, deserialize_with = "lenient_string")]
    pub cpu: Option<String>,
    /// Memory as text, e.g. `3.75GB`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub memory: Option<String>,
    /// Market price when the document was written.
    #[serde(default, deserialize_with = "lenient_price")]
    pub market_price: Option<Decimal>,
    /// 20th percentile of the hammer price.
    #[serde(default, rename = "20_percentile", deserialize_with = "lenient_price")]
    pub p20: Option<Decimal>,
    /// Median hammer price.
    #[serde(default, rename = "50_percentile", deserialize_with = "lenient_price")]
    pub p50: Option<Decimal>,
    /// 80th percentile of the hammer price.
    #[serde(default, rename = "80_percentile", deserialize_with = "lenient_price")]
    pub p80: Option<Decimal>,
}

/// `comparable_prices.json`: hyperscaler prices for comparable instance types.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparablePrices {
    /// Region name → class name → comparison.
    #[serde(deserialize_with = "lenient_nested_map")]
    pub regions: BTreeMap<String, BTreeMap<String, Comparable>>,
}

impl PublicDocument for ComparablePrices {
    const PATH: &'static str = "/comparable_prices.json";
}

impl ComparablePrices {
    /// The comparison for `class`, looked up in `region` first, then in any region.
    pub fn find(&self, class: &str, region: Option<&str>) -> Option<&Comparable> {
        region
            .and_then(|r| self.regions.get(r))
            .and_then(|r| r.get(class))
            .or_else(|| self.regions.values().find_map(|r| r.get(class)))
    }
}

/// Hyperscaler comparison for one class.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comparable {
    /// Average hourly price across the comparables.
    #[serde(default, deserialize_with = "lenient_price")]
    pub hyperscaler_average_price: Option<Decimal>,
    /// The individual offers.
    #[serde(default, deserialize_with = "lenient_vec")]
    pub comparables: Vec<ComparableOffer>,
}

/// One hyperscaler offer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComparableOffer {
    /// `aws`, `azure`, `gcp`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub cloud: Option<String>,
    /// Instance type, e.g. `t3.medium`.
    #[serde(default, deserialize_with = "lenient_string")]
    pub class: Option<String>,
    /// Hourly price.
    #[serde(default, deserialize_with = "lenient_price")]
    pub price: Option<Decimal>,
}

/// `history/{class}`: hammer prices of past auctions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceHistory {
    /// The server class.
    #[serde(default, deserialize_with = "lenient_string")]
    pub auction: Option<String>,
    /// Auction results; points without a time or price are dropped.
    #[serde(deserialize_with = "lenient_vec")]
    pub history: Vec<HistoryPoint>,
}

impl PublicDocument for PriceHistory {
    const PATH: &'static str = "/history/{class}";
}

/// One auction result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// Auction time, unix seconds.
    #[serde(deserialize_with = "unix_seconds")]
    pub run_at: i64,
    /// Hammer price, USD per hour.
    #[serde(deserialize_with = "required_price")]
    pub hammer_price: Decimal,
}

impl HistoryPoint {
    /// The auction time as a UTC timestamp (`None` when out of range).
    pub fn time(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.run_at, 0)
    }
}

/// Summary of a price series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryStats {
    /// Number of points.
    pub points: usize,
    /// Lowest hammer price.
    pub min: Decimal,
    /// Highest hammer price.
    pub max: Decimal,
    /// Most recent hammer price.
    pub last: Decimal,
    /// Time of the first point (unix seconds).
    pub from: i64,
    /// Time of the last point (unix seconds).
    pub to: i64,
}

impl PriceHistory {
    /// The points in time order.
    pub fn sorted(&self) -> Vec<HistoryPoint> {
        let mut points = self.history.clone();
        points.sort_by_key(|p| p.run_at);
        points
    }

    /// Min/max/last over the series; `None` when it is empty.
    pub fn stats(&self) -> Option<HistoryStats> {
        let points = self.sorted();
        let first = points.first()?;
        let last = points.last()?;
        Some(HistoryStats {
            points: points.len(),
            min: points.iter().map(|p| p.hammer_price).min()?,
            max: points.iter().map(|p| p.hammer_price).max()?,
            last: last.hammer_price,
            from: first.run_at,
            to: last.run_at,
        })
    }

    /// A one-line terminal sparkline of the most recent `width` points (`▁▂▃▄▅▆▇█`).
    pub fn sparkline(&self, width: usize) -> String {
        let points = self.sorted();
        let start = points.len().saturating_sub(width);
        sparkline(
            &points[start..]
                .iter()
                .map(|p| p.hammer_price)
                .collect::<Vec<_>>(),
        )
    }
}

/// Renders values as a sparkline, scaled between their own min and max (a flat series is `▁`s).
pub fn sparkline(values: &[Decimal]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (Some(lo), Some(hi)) = (values.iter().min(), values.iter().max()) else {
        return String::new();
    };
    let span = *hi - *lo;
    values
        .iter()
        .map(|v| {
            if span.is_zero() {
                return BARS[0];
            }
            let level = ((*v - *lo) * Decimal::from(BARS.len() - 1) / span).round();
            BARS[level.to_usize().unwrap_or(0).min(BARS.len() - 1)]
        })
        .collect()
}

fn lenient_price<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Decimal>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(money::parse_price(&v))
}

fn required_price<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Decimal, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    money::parse_price(&v).ok_or_else(|| serde::de::Error::custom(format!("not a price: {v}")))
}

fn unix_seconds<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<i64, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    match &v {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| serde::de::Error::custom(format!("not a unix time: {v}")))
}

fn lenient_string<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

/// A map whose malformed entries are skipped.
fn lenient_map<'de, D, T>(d: D) -> std::result::Result<BTreeMap<String, T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = BTreeMap::<String, serde_json::Value>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .filter_map(|(k, v)| serde_json::from_value(v).ok().map(|t| (k, t)))
        .collect())
}

fn lenient_nested_map<'de, D, T>(
    d: D,
) -> std::result::Result<BTreeMap<String, BTreeMap<String, T>>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = BTreeMap::<String, BTreeMap<String, serde_json::Value>>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .map(|(region, entries)| {
            let entries = entries
                .into_iter()
                .filter_map(|(k, v)| serde_json::from_value(v).ok().map(|t| (k, t)))
                .collect();
            (region, entries)
        })
        .collect())
}

/// A list whose malformed items are skipped.
fn lenient_vec<'de, D, T>(d: D) -> std::result::Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: DeserializeOwned,
{
    let raw = Vec::<serde_json::Value>::deserialize(d)?;
    Ok(raw
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn percentiles_with_noise_and_bad_entries() {
        let doc = br#"{"regions": {
            "us-central-dfw-1": {"generation": "v1", "serverclasses": {
                "gp.vs1.medium-dfw": {"20_percentile": 0.003, "50_percentile": 0.011,
                    "80_percentile": 0.026000000000000002, "market_price": "0.001000",
                    "cpu": 2, "memory": "3.75GB", "display_name": "General Virtual Server.Medium"},
                "broken": "not an object"
            }},
            "bad-region": 42
        }}"#;
        let p = Percentiles::parse(doc).unwrap();
        assert_eq!(p.regions.len(), 1);
        let c = p.find("gp.vs1.medium-dfw", None).unwrap();
        assert_eq!(c.p80, Some(d("0.026")));
        assert_eq!(c.market_price, Some(d("0.001")));
        assert_eq!(c.cpu.as_deref(), Some("2"));
        assert!(p.find("broken", None).is_none());
    }

    #[test]
    fn garbage_is_a_decode_error() {
        for bad in [&b"<Error>AccessDenied</Error>"[..], b"{}", b"[]"] {
            match Percentiles::parse(bad) {
                Err(Error::Decode { url, .. }) => assert_eq!(url, "/percentiles.json"),
                other => panic!("{other:?}"),
            }
        }
        assert!(matches!(
            PriceHistory::parse(b"{\"auction\": \"x\"}"),
            Err(Error::Decode { .. })
        ));
    }

    #[test]
    fn comparables_with_dollar_strings() {
        let doc = br#"{"regions": {"us-east-iad-1": {"gp.vs1.medium-iad": {
            "hyperscaler_average_price": "$0.019",
            "comparables": [{"cloud": "aws", "class": "t3.medium", "price": "$0.016"}, 7]}}}}"#;
        let c = ComparablePrices::parse(doc).unwrap();
        let e = c.find("gp.vs1.medium-iad", Some("nowhere")).unwrap();
        assert_eq!(e.hyperscaler_average_price, Some(d("0.019")));
        assert_eq!(e.comparables.len(), 1);
        assert_eq!(e.comparables[0].price, Some(d("0.016")));
    }

    #[test]
    fn history_stats_and_sparkline() {
        let doc = br#"{"auction": "gp.vs1.medium-dfw", "history": [
            {"run_at": 1763600400, "hammer_price": 0.001},
            {"run_at": 1763596800, "hammer_price": "0.003"},
            {"run_at": "1763604000", "hammer_price": 0.002},
            {"run_at": 1763607600, "hammer_price": null}
        ]}"#;
        let h = PriceHistory::parse(doc).unwrap();
        assert_eq!(h.history.len(), 3);
        let s = h.stats().unwrap();
        assert_eq!((s.min, s.max, s.last), (d("0.001"), d("0.003"), d("0.002")));
        assert_eq!((s.from, s.to), (1763596800, 1763604000));
        assert_eq!(h.sparkline(10), "█▁▅");
        assert_eq!(h.sparkline(2), "▁█");
        assert_eq!(sparkline(&[d("1"), d("1")]), "▁▁");
        assert_eq!(sparkline(&[]), "");
        assert_eq!(
            h.sorted()[0].time().unwrap().to_rfc3339(),
            "2025-11-20T00:00:00+00:00"
        );
    }
}
