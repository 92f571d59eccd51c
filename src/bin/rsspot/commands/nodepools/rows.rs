//! Pool tables: rows joined with their class's prices, and the printers for one pool.

use std::collections::HashMap;

use rsspot::SpotClient;
use rsspot::raw::types::{OnDemandNodePool, ServerClass, SpotNodePool};
use rsspot::services::ServerClassFilter;

use super::kind::PoolKind;
use crate::commands::resources::money;
use crate::ctx::Ctx;
use crate::output::{Tabular, age, dash};

/// A spot pool with the market price of its class, for tables.
pub struct SpotRow {
    /// The pool.
    pub pool: SpotNodePool,
    /// Market price of its server class, when known.
    pub market: Option<String>,
}

/// An on-demand pool with the on-demand price of its class, for tables.
pub struct OnDemandRow {
    /// The pool.
    pub pool: OnDemandNodePool,
    /// On-demand price of its server class, when known.
    pub price: Option<String>,
}

pub(super) fn pool_age(meta: Option<&rsspot::raw::types::ObjectMeta>) -> String {
    age(meta
        .and_then(|m| m.creation_timestamp.as_ref())
        .map(|t| &t.0))
}

pub(super) fn meta_name(meta: Option<&rsspot::raw::types::ObjectMeta>) -> String {
    meta.and_then(|m| m.name.clone()).unwrap_or_default()
}

pub(super) fn autoscaling_cell(enabled: bool, min: Option<i64>, max: Option<i64>) -> String {
    match (enabled, min, max) {
        (true, Some(a), Some(b)) => format!("{a}-{b}"),
        (true, _, _) => "on".into(),
        _ => "-".into(),
    }
}

/// What a pool row shows, whichever the kind: the kinds differ only in the price and count
/// columns (and how their specs spell things), so one header list and one row builder serve
/// both.
struct PoolCells {
    name: String,
    cloudspace: Option<String>,
    class: Option<String>,
    /// The kind's price cell (already formatted).
    price: String,
    desired: Option<i64>,
    /// Nodes won (spot) or reserved (on-demand).
    count: Option<i64>,
    status: Option<String>,
    age: String,
    autoscaling: (bool, Option<i64>, Option<i64>),
    labels: usize,
    taints: usize,
}

/// Columns of a pool table with the kind's `price` and `count` headers.
fn pool_headers(price: &'static str, count: &'static str, wide: bool) -> Vec<&'static str> {
    let mut h = vec![
        "NAME",
        "CLOUDSPACE",
        "CLASS",
        price,
        "DESIRED",
        count,
        "STATUS",
        "AGE",
    ];
    if wide {
        h.extend(["AUTOSCALING", "LABELS", "TAINTS"]);
    }
    h
}

/// Pool columns dropped first on a narrow terminal.
const POOL_DROP_ORDER: &[&str] = &["AGE", "CLOUDSPACE", "DESIRED"];

impl PoolCells {
    fn row(self, wide: bool) -> Vec<String> {
        let mut r = vec![
            self.name,
            dash(self.cloudspace),
            dash(self.class),
            self.price,
            dash(self.desired),
            dash(self.count),
            dash(self.status),
            self.age,
        ];
        if wide {
            let (enabled, min, max) = self.autoscaling;
            r.push(autoscaling_cell(enabled, min, max));
            r.push(self.labels.to_string());
            r.push(self.taints.to_string());
        }
        r
    }
}

impl Tabular for SpotRow {
    fn headers(wide: bool) -> Vec<&'static str> {
        pool_headers("BID / MARKET", "WON", wide)
    }

    fn drop_order() -> &'static [&'static str] {
        POOL_DROP_ORDER
    }

    fn row(&self, wide: bool) -> Vec<String> {
        let spec = self.pool.spec.clone().unwrap_or_default();
        let status = self.pool.status.clone().unwrap_or_default();
        let a = spec.autoscaling.clone().unwrap_or_default();
        // The bid as the API holds it (what the user typed), the market as server classes show it.
        let market = self.market.as_deref().map(money);
        PoolCells {
            name: self.name(),
            cloudspace: spec.cloud_space,
            class: spec.server_class,
            price: format!("{} / {}", dash(spec.bid_price), dash(market)),
            desired: spec.desired,
            count: status.won_count,
            status: status.bid_status,
            age: pool_age(self.pool.metadata.as_ref()),
            autoscaling: (a.enabled, a.min_nodes, a.max_nodes),
            labels: spec.custom_labels.len(),
            taints: spec.custom_taints.len(),
        }
        .row(wide)
    }

    fn name(&self) -> String {
        meta_name(self.pool.metadata.as_ref())
    }
}

impl Tabular for OnDemandRow {
    fn headers(wide: bool) -> Vec<&'static str> {
        pool_headers("ON-DEMAND $/H", "RESERVED", wide)
    }

    fn drop_order() -> &'static [&'static str] {
        POOL_DROP_ORDER
    }

    fn row(&self, wide: bool) -> Vec<String> {
        let spec = self.pool.spec.clone().unwrap_or_default();
        let status = self.pool.status.clone().unwrap_or_default();
        let a = spec.autoscaling.clone().unwrap_or_default();
        PoolCells {
            name: self.name(),
            cloudspace: spec.cloud_space,
            class: spec.server_class,
            price: dash(self.price.as_deref().map(money)),
            desired: spec.desired,
            count: status.reserved_count,
            status: status.reserved_status,
            age: pool_age(self.pool.metadata.as_ref()),
            autoscaling: (a.enabled.unwrap_or(false), a.min_nodes, a.max_nodes),
            labels: spec.custom_labels.len(),
            taints: spec.custom_taints.len(),
        }
        .row(wide)
    }

    fn name(&self) -> String {
        meta_name(self.pool.metadata.as_ref())
    }
}

/// Market and on-demand prices by class name; only fetched for tables, and a failure only
/// blanks the price column.
pub(crate) async fn class_prices(ctx: &Ctx, client: &SpotClient) -> HashMap<String, ServerClass> {
    if !ctx.out.is_table() {
        return HashMap::new();
    }
    match client
        .server_classes()
        .list(&ServerClassFilter::default())
        .await
    {
        Ok(classes) => classes
            .into_iter()
            .filter_map(|c| Some((c.metadata.as_ref()?.name.clone()?, c)))
            .collect(),
        Err(e) => {
            tracing::debug!("server class prices unavailable: {e}");
            HashMap::new()
        }
    }
}

/// Table rows of pools, each with the price of its class the kind shows (market or on-demand).
pub(crate) fn pool_rows<P: PoolKind>(
    pools: &[P::Item],
    classes: &HashMap<String, ServerClass>,
) -> Vec<P::Row> {
    pools
        .iter()
        .map(|p| {
            let class = P::placement(p).1.and_then(|c| classes.get(c));
            P::row(p.clone(), class.and_then(P::class_price))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoscaling_cells() {
        assert_eq!(autoscaling_cell(true, Some(1), Some(3)), "1-3");
        assert_eq!(autoscaling_cell(true, None, None), "on");
        assert_eq!(autoscaling_cell(false, None, None), "-");
    }
}
