//! The two kinds of node pool a cloudspace holds, as the CLI sees them. The SDK's
//! [`NodePoolKind`] gives both the same calls; [`PoolKind`] names what differs on the command
//! line (the flags, the bid, the price column), so the commands ([`super::run_pools`]), the list
//! view ([`crate::kinds::Pools`]) and the rows are written once for both.

use rsspot::Api;
use rsspot::pricing::Bid;
use rsspot::raw::types::{OnDemandNodePool, ServerClass, SpotNodePool};
use rsspot::services::node_pools::{Mismatch, NodePoolKind};
use rsspot::services::{OnDemandPoolCreate, OnDemandPoolUpdate, SpotPoolCreate, SpotPoolUpdate};

use super::rows::{PoolCells, pool_cells};
use super::{
    PoolCreateArgs, PoolUpdateArgs, SpotCreateArgs, SpotUpdateArgs, create_common, update_common,
};
use crate::commands::resources::money;
use crate::output::dash;

/// The bid and the desired count a create or an update sent, for the check that re-reads the
/// pool afterwards (`None`: not sent, or not a field of the kind).
pub type Sent = (Option<Bid>, Option<u32>);

/// What differs between spot and on-demand pools in the CLI.
pub trait PoolKind {
    /// The API object.
    type Item: NodePoolKind<Create = Self::Create, Update = Self::Update>;
    /// The `create` flags.
    type CreateArgs;
    /// The `update` flags.
    type UpdateArgs;
    /// The SDK's create request.
    type Create;
    /// The SDK's update request.
    type Update;
    /// What one pool is called in messages ("spot pool").
    const WHAT: &'static str;
    /// The kind's word on the command line (`rsspot nodepools WORD wait`).
    const WORD: &'static str;

    /// The flags both kinds take on `create`.
    fn create_flags(a: &Self::CreateArgs) -> &PoolCreateArgs;
    /// The flags both kinds take on `update`.
    fn update_flags(a: &Self::UpdateArgs) -> &PoolUpdateArgs;
    /// The SDK request a `create` sends.
    fn create_request(a: &Self::CreateArgs) -> Self::Create;
    /// The SDK request an `update` sends.
    fn update_request(a: &Self::UpdateArgs) -> Self::Update;
    /// What a create sent that the server must hold afterwards.
    fn created(req: &Self::Create) -> Sent;
    /// What an update sent that the server must hold afterwards.
    fn updated(req: &Self::Update) -> Sent;
    /// The pool's bid (`None` for on-demand pools, or a bid that does not parse).
    fn bid_of(pool: &Self::Item) -> Option<Bid>;
    /// The pool's `spec.cloudSpace` and `spec.serverClass`.
    fn placement(pool: &Self::Item) -> (Option<&str>, Option<&str>);
    /// The price of a server class the kind's table shows (market or on-demand).
    fn class_price(class: &ServerClass) -> Option<String>;
    /// The header of the table's price column.
    const PRICE_HEADER: &'static str;
    /// The header of the table's node-count column (won or reserved).
    const COUNT_HEADER: &'static str;
    /// What a table row of `pool` shows, `price` being its class's [`Self::class_price`].
    fn cells(pool: &Self::Item, price: Option<&str>) -> PoolCells;

    /// Re-reads the pool and lists where the server holds something other than `sent`.
    async fn verify(
        api: &Api<'_, Self::Item>,
        name: &str,
        sent: Sent,
    ) -> rsspot::Result<Vec<Mismatch>>;
}

/// What is spelled the same for both kinds: the fields of their objects.
macro_rules! same_for_both {
    () => {
        fn placement(pool: &Self::Item) -> (Option<&str>, Option<&str>) {
            (
                Some(pool.spec.cloud_space.as_str()),
                Some(pool.spec.server_class.as_str()),
            )
        }
    };
}

/// Spot pools: nodes won at auction for a bid; the table shows the class's market price.
pub(crate) struct Spot;

/// On-demand pools: reserved nodes; the table shows the class's on-demand price.
pub(crate) struct OnDemand;

impl PoolKind for Spot {
    type Item = SpotNodePool;
    type CreateArgs = SpotCreateArgs;
    type UpdateArgs = SpotUpdateArgs;
    type Create = SpotPoolCreate;
    type Update = SpotPoolUpdate;
    const WHAT: &'static str = "spot pool";
    const WORD: &'static str = "spot";
    const PRICE_HEADER: &'static str = "BID / MARKET";
    const COUNT_HEADER: &'static str = "WON";

    fn create_flags(a: &SpotCreateArgs) -> &PoolCreateArgs {
        &a.common
    }

    fn update_flags(a: &SpotUpdateArgs) -> &PoolUpdateArgs {
        &a.common
    }

    fn create_request(a: &SpotCreateArgs) -> SpotPoolCreate {
        SpotPoolCreate {
            common: create_common(&a.common),
            bid_price: a.bid_price,
        }
    }

    fn update_request(a: &SpotUpdateArgs) -> SpotPoolUpdate {
        SpotPoolUpdate {
            common: update_common(&a.common),
            bid_price: a.bid_price,
        }
    }

    fn created(req: &SpotPoolCreate) -> Sent {
        (Some(req.bid_price), Some(req.common.desired))
    }

    fn updated(req: &SpotPoolUpdate) -> Sent {
        (req.bid_price, req.common.desired)
    }

    fn bid_of(pool: &SpotNodePool) -> Option<Bid> {
        pool.spec.bid_price
    }

    fn class_price(class: &ServerClass) -> Option<String> {
        let pricing = class.status.as_ref()?.spot_pricing.as_ref()?;
        pricing.market_price_per_hour.map(|p| p.to_string())
    }

    fn cells(pool: &SpotNodePool, market: Option<&str>) -> PoolCells {
        // The bid as the API holds it (what the user typed), the market as server classes show it.
        pool_cells!(pool, |spec, status, autoscaling| {
            price: format!("{} / {}", dash(spec.bid_price), dash(market.map(money))),
            count: status.won_count,
            status: status.bid_status.map(|s| s.to_string()),
            enabled: autoscaling.enabled,
        })
    }

    async fn verify(
        api: &Api<'_, SpotNodePool>,
        name: &str,
        (bid, desired): Sent,
    ) -> rsspot::Result<Vec<Mismatch>> {
        api.verify(name, bid, desired).await
    }

    same_for_both!();
}

impl PoolKind for OnDemand {
    type Item = OnDemandNodePool;
    type CreateArgs = PoolCreateArgs;
    type UpdateArgs = PoolUpdateArgs;
    type Create = OnDemandPoolCreate;
    type Update = OnDemandPoolUpdate;
    const WHAT: &'static str = "on-demand pool";
    const WORD: &'static str = "ondemand";
    const PRICE_HEADER: &'static str = "ON-DEMAND $/H";
    const COUNT_HEADER: &'static str = "RESERVED";

    fn create_flags(a: &PoolCreateArgs) -> &PoolCreateArgs {
        a
    }

    fn update_flags(a: &PoolUpdateArgs) -> &PoolUpdateArgs {
        a
    }

    fn create_request(a: &PoolCreateArgs) -> OnDemandPoolCreate {
        OnDemandPoolCreate {
            common: create_common(a),
        }
    }

    fn update_request(a: &PoolUpdateArgs) -> OnDemandPoolUpdate {
        update_common(a)
    }

    fn created(req: &OnDemandPoolCreate) -> Sent {
        (None, Some(req.common.desired))
    }

    fn updated(req: &OnDemandPoolUpdate) -> Sent {
        (None, req.desired)
    }

    fn bid_of(_pool: &OnDemandNodePool) -> Option<Bid> {
        None
    }

    fn class_price(class: &ServerClass) -> Option<String> {
        let pricing = class.spec.on_demand_pricing.as_ref()?;
        pricing.cost.map(|p| p.to_string())
    }

    fn cells(pool: &OnDemandNodePool, price: Option<&str>) -> PoolCells {
        pool_cells!(pool, |_spec, status, autoscaling| {
            price: dash(price.map(money)),
            count: status.reserved_count,
            status: status.reserved_status.map(|s| s.to_string()),
            enabled: autoscaling.enabled.unwrap_or(false),
        })
    }

    async fn verify(
        api: &Api<'_, OnDemandNodePool>,
        name: &str,
        (_, desired): Sent,
    ) -> rsspot::Result<Vec<Mismatch>> {
        api.verify(name, desired).await
    }

    same_for_both!();
}
