//! [`ClassInput`]: what the pricing views and guardrails need to know about one server class,
//! read from a typed `ServerClass` or from the public percentiles document.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::pricing::docs::Percentiles;
use crate::raw::types::ServerClass;

/// What the pricing views need to know about one server class, whatever its source.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ClassInput {
    /// Class name, e.g. `gp.vs1.medium-dfw`.
    pub name: String,
    /// Region, e.g. `us-central-dfw-1`.
    pub region: String,
    /// `General Purpose`, `Compute Heavy`, ...
    pub category: Option<String>,
    /// Human name.
    pub display_name: Option<String>,
    /// `available` or `deprecated`.
    pub availability: Option<String>,
    /// vCPU count as the API gives it.
    pub cpu: Option<String>,
    /// Memory as the API gives it (`3.75GB`).
    pub memory: Option<String>,
    /// Current market price per hour.
    pub market: Option<Decimal>,
    /// Minimum bid per hour (`spec.minBidPricePerHour`).
    pub min_bid: Option<Decimal>,
    /// On-demand price per hour.
    pub on_demand: Option<Decimal>,
    /// Servers available to provision now.
    pub available: Option<i64>,
    /// Total servers.
    pub capacity: Option<i64>,
}

impl ClassInput {
    /// Classes known only from `percentiles.json` (no token needed): no minimum bid, on-demand
    /// price or availability.
    pub fn from_percentiles(pct: &Percentiles) -> Vec<ClassInput> {
        pct.regions
            .iter()
            .flat_map(|(region, r)| {
                r.serverclasses.iter().map(move |(name, c)| ClassInput {
                    name: name.clone(),
                    region: region.clone(),
                    category: c.category.clone(),
                    display_name: c.display_name.clone(),
                    cpu: c.cpu.clone(),
                    memory: c.memory.clone(),
                    market: c.market_price,
                    ..ClassInput::default()
                })
            })
            .collect()
    }
}

impl From<&ServerClass> for ClassInput {
    /// Reads a typed `ServerClass` (API-NOTES 3.3); prices are parsed tolerantly.
    fn from(c: &ServerClass) -> ClassInput {
        let spec = &c.spec;
        let status = c.status.as_ref();
        let text = |v: Option<&String>| v.filter(|s| !s.trim().is_empty()).cloned();
        let resources = spec.resources.as_ref();
        ClassInput {
            name: c.metadata.name.clone(),
            region: text(spec.region.as_ref()).unwrap_or_default(),
            category: text(spec.category.as_ref()),
            display_name: text(spec.display_name.as_ref()),
            availability: text(spec.availability.as_ref()),
            cpu: text(resources.and_then(|r| r.cpu.as_ref())),
            memory: text(resources.and_then(|r| r.memory.as_ref())),
            market: status
                .and_then(|s| s.spot_pricing.as_ref())
                .and_then(|p| p.market_price_per_hour),
            min_bid: spec.min_bid_price_per_hour,
            on_demand: spec.on_demand_pricing.as_ref().and_then(|p| p.cost),
            available: status.and_then(|s| s.available).map(i64::from),
            capacity: status.and_then(|s| s.capacity).map(i64::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_class_object_is_read() {
        let v = serde_json::json!({
            "metadata": {"name": "mh.vs1.2xlarge-dfw"},
            "spec": {"region": "us-central-dfw-1", "minBidPricePerHour": "0.02",
                     "onDemandPricing": {"cost": "0.27"},
                     "resources": {"cpu": "16", "memory": "120GB"}},
            "status": {"available": 3, "capacity": 16,
                       "spotPricing": {"marketPricePerHour": "0.020000"}}
        });
        let class: ServerClass = serde_json::from_value(v).unwrap();
        let c = ClassInput::from(&class);
        assert_eq!(c.name, "mh.vs1.2xlarge-dfw");
        assert_eq!(c.cpu.as_deref(), Some("16"));
        assert_eq!(c.market, Some(Decimal::new(2, 2)));
        assert_eq!(c.min_bid, Some(Decimal::new(2, 2)));
        assert_eq!(c.on_demand, Some(Decimal::new(27, 2)));
        assert_eq!((c.available, c.capacity), (Some(3), Some(16)));
        assert_eq!(ClassInput::from(&ServerClass::default()).name, "");
    }
}
