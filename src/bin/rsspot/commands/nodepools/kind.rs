//! The two kinds of node pool a cloudspace holds, as the CLI shows them. The SDK's
//! [`NodePoolKind`] declares everything else once for both (the calls, how flags become a
//! request, what a pool says); a kind adds here only its words and its price and count columns,
//! so the commands ([`super::run_pools`]), the list view ([`crate::kinds::Pools`]), MCP's tools
//! and the rows are written once for both.

use rsspot::raw::types::{OnDemandNodePool, ServerClass, SpotNodePool};
use rsspot::services::node_pools::NodePoolKind;

use crate::commands::resources::money;
use crate::output::dash;

/// A kind of node pool's words and columns in the CLI.
pub trait PoolColumns: NodePoolKind {
    /// What one pool is called in messages ("spot pool").
    const WHAT: &'static str;
    /// The kind's word on the command line (`rsspot nodepools WORD wait`).
    const WORD: &'static str;
    /// The header of the table's price column.
    const PRICE_HEADER: &'static str;
    /// The header of the table's node-count column (won or reserved).
    const COUNT_HEADER: &'static str;
    /// The price cell of the pool, with its server class when known.
    fn price_cell(&self, class: Option<&ServerClass>) -> String;
}

/// Spot pools: nodes won at auction for a bid; the table shows the bid and the class's market
/// price.
impl PoolColumns for SpotNodePool {
    const WHAT: &'static str = "spot pool";
    const WORD: &'static str = "spot";
    const PRICE_HEADER: &'static str = "BID / MARKET";
    const COUNT_HEADER: &'static str = "WON";

    fn price_cell(&self, class: Option<&ServerClass>) -> String {
        // The bid as the API holds it (what the user typed), the market as server classes show it.
        let market = class
            .and_then(|c| {
                c.status
                    .as_ref()?
                    .spot_pricing
                    .as_ref()?
                    .market_price_per_hour
            })
            .map(|p| money(&p.to_string()));
        format!("{} / {}", dash(self.spec.bid_price), dash(market))
    }
}

/// On-demand pools: reserved nodes; the table shows the class's on-demand price.
impl PoolColumns for OnDemandNodePool {
    const WHAT: &'static str = "on-demand pool";
    const WORD: &'static str = "ondemand";
    const PRICE_HEADER: &'static str = "ON-DEMAND $/H";
    const COUNT_HEADER: &'static str = "RESERVED";

    fn price_cell(&self, class: Option<&ServerClass>) -> String {
        let cost = class.and_then(|c| c.spec.on_demand_pricing.as_ref()?.cost);
        dash(cost.map(|p| money(&p.to_string())))
    }
}
