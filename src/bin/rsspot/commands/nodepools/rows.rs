//! Pool tables: rows joined with their class's prices, and the printers for one pool.

use std::collections::HashMap;

use rsspot::SpotClient;
use rsspot::raw::types::ServerClass;
use rsspot::services::ServerClassFilter;

use super::kind::PoolKind;
use crate::ctx::Ctx;
use crate::output::{Tabular, age, dash};

/// A pool of kind `P` with the price of its class the kind shows (market or on-demand), for
/// tables.
pub struct PoolRow<P: PoolKind> {
    /// The pool.
    pub pool: P::Item,
    /// The price of its server class, when known.
    pub price: Option<String>,
}

pub(super) fn pool_age(meta: &rsspot::types::ObjectMeta) -> String {
    age(meta.creation_timestamp.as_ref().map(|t| &t.0))
}

pub(super) fn autoscaling_cell(enabled: bool, min: Option<u32>, max: Option<u32>) -> String {
    match (enabled, min, max) {
        (true, Some(a), Some(b)) => format!("{a}-{b}"),
        (true, _, _) => "on".into(),
        _ => "-".into(),
    }
}

/// What a pool row shows, whichever the kind: the kinds differ only in the price and count
/// columns (and how their specs spell things), so one header list and one row builder serve
/// both.
pub(crate) struct PoolCells {
    pub(crate) name: String,
    pub(crate) cloudspace: String,
    pub(crate) class: String,
    /// The kind's price cell (already formatted).
    pub(crate) price: String,
    pub(crate) desired: Option<u32>,
    /// Nodes won (spot) or reserved (on-demand).
    pub(crate) count: Option<u32>,
    pub(crate) status: Option<String>,
    pub(crate) age: String,
    pub(crate) autoscaling: (bool, Option<u32>, Option<u32>),
    pub(crate) labels: usize,
    pub(crate) taints: usize,
}

/// [`PoolCells`] of a pool of either kind: the fields both generated pool types name alike are
/// read here; the kind gives its price cell, its count and status fields and its autoscaling
/// flag, with the pool's `spec`, `status` and `spec.autoscaling` (defaults when absent) in scope.
macro_rules! pool_cells {
    ($pool:expr, |$spec:ident, $status:ident, $a:ident| {
        price: $price:expr,
        count: $count:expr,
        status: $state:expr,
        enabled: $enabled:expr $(,)?
    }) => {{
        let pool = $pool;
        let $spec = pool.spec.clone();
        let $status = pool.status.clone().unwrap_or_default();
        let $a = $spec.autoscaling.clone().unwrap_or_default();
        $crate::commands::nodepools::rows::PoolCells {
            name: pool.metadata.name.clone(),
            price: $price,
            count: $count,
            status: $state,
            age: $crate::commands::nodepools::rows::pool_age(&pool.metadata),
            autoscaling: ($enabled, $a.min_nodes, $a.max_nodes),
            labels: $spec.custom_labels.len(),
            taints: $spec.custom_taints.len(),
            cloudspace: $spec.cloud_space,
            class: $spec.server_class,
            desired: $spec.desired,
        }
    }};
}
pub(super) use pool_cells;

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

/// The priority of the pool columns, stated as the order they go in when the table is too
/// wide: the age first, then the price (`-o wide` and `get` keep it), and only then what
/// identifies and decides (cloudspace, desired of won/reserved); the UUID name shrinks to its
/// unique prefix instead ([`crate::prefix`]).
const POOL_DROP_ORDER: &[&str] = &[
    "AGE",
    "ON-DEMAND $/H",
    "BID / MARKET",
    "CLOUDSPACE",
    "DESIRED",
];

impl PoolCells {
    fn row(self, wide: bool) -> Vec<String> {
        let mut r = vec![
            self.name,
            self.cloudspace,
            self.class,
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

impl<P: PoolKind> Tabular for PoolRow<P> {
    fn headers(wide: bool) -> Vec<&'static str> {
        pool_headers(P::PRICE_HEADER, P::COUNT_HEADER, wide)
    }

    fn drop_order() -> &'static [&'static str] {
        POOL_DROP_ORDER
    }

    fn row(&self, wide: bool) -> Vec<String> {
        P::cells(&self.pool, self.price.as_deref()).row(wide)
    }

    fn name(&self) -> String {
        rsspot::ResourceExt::name(&self.pool).to_string()
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
            .map(|c| (c.metadata.name.clone(), c))
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
) -> Vec<PoolRow<P>> {
    pools
        .iter()
        .map(|p| {
            let class = P::placement(p).1.and_then(|c| classes.get(c));
            PoolRow {
                pool: p.clone(),
                price: class.and_then(P::class_price),
            }
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
