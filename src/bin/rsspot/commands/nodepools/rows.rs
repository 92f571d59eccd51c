//! Pool tables: rows joined with their class (for its prices), one layout for both kinds.

use std::collections::HashMap;

use rsspot::raw::types::ServerClass;
use rsspot::services::{AutoscalingState, ServerClassFilter};
use rsspot::{ResourceExt, SpotClient};

use super::kind::PoolColumns;
use crate::ctx::Ctx;
use crate::output::{Tabular, age, dash};

/// A pool of kind `K` with its server class (for the price column), for tables.
pub struct PoolRow<K> {
    /// The pool.
    pub pool: K,
    /// Its server class, when known.
    pub class: Option<ServerClass>,
}

fn autoscaling_cell(a: AutoscalingState) -> String {
    match (a.enabled, a.min_nodes, a.max_nodes) {
        (true, Some(min), Some(max)) => format!("{min}-{max}"),
        (true, _, _) => "on".into(),
        _ => "-".into(),
    }
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

impl<K: PoolColumns> Tabular for PoolRow<K> {
    fn headers(wide: bool) -> Vec<&'static str> {
        pool_headers(K::PRICE_HEADER, K::COUNT_HEADER, wide)
    }

    fn drop_order() -> &'static [&'static str] {
        POOL_DROP_ORDER
    }

    fn row(&self, wide: bool) -> Vec<String> {
        let pool = &self.pool;
        let f = pool.facts();
        let mut r = vec![
            pool.name().to_string(),
            f.cloudspace.to_string(),
            f.server_class.to_string(),
            pool.price_cell(self.class.as_ref()),
            dash(f.desired),
            dash(f.nodes),
            dash(pool.phase()),
            age(pool.created().as_ref()),
        ];
        if wide {
            r.push(autoscaling_cell(f.autoscaling));
            r.push(f.labels.len().to_string());
            r.push(f.taints.len().to_string());
        }
        r
    }

    fn name(&self) -> String {
        self.pool.name().to_string()
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

/// Table rows of pools, each with its server class.
pub(crate) fn pool_rows<K: PoolColumns>(
    pools: &[K],
    classes: &HashMap<String, ServerClass>,
) -> Vec<PoolRow<K>> {
    pools
        .iter()
        .map(|p| PoolRow {
            pool: p.clone(),
            class: classes.get(p.facts().server_class).cloned(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoscaling_cells() {
        let a = |enabled, min_nodes, max_nodes| AutoscalingState {
            enabled,
            min_nodes,
            max_nodes,
        };
        assert_eq!(autoscaling_cell(a(true, Some(1), Some(3))), "1-3");
        assert_eq!(autoscaling_cell(a(true, None, None)), "on");
        assert_eq!(autoscaling_cell(a(false, Some(1), Some(3))), "-");
    }
}
