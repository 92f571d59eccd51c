//! The flags of `nodepools spot|ondemand`, and the SDK requests they make: the flags both
//! kinds take, plus the kind's bid flag ([`BidFlag`]).

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use rsspot::pricing::Bid;
use rsspot::services::node_pools::PoolCommon;
use rsspot::services::{Autoscaling, OnDemandPoolCreate, PoolUpdate, Taint};

use crate::args::{NameArgs, WaitFlags};
use crate::progress;
use crate::view::WatchArgs;

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only pools of this cloudspace.
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: Option<String>,
    /// Only pools of these server classes, e.g. gp.vs1.medium-dfw, or gp.vs1.medium for every
    /// region (repeatable, comma-separated).
    #[arg(long = "class", alias = "server-class", value_name = "CLASS")]
    pub classes: Vec<String>,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// `wait`.
#[derive(Debug, Args)]
pub struct PoolWaitArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Give up after: 90s, 20m, 1h or seconds (default 30m).
    #[arg(long, value_parser = progress::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// Create flags shared by spot and on-demand pools.
#[derive(Debug, Args)]
pub struct PoolCreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Cloudspace the pool belongs to.
    #[arg(long, value_parser = crate::names::cloudspace)]
    pub cloudspace: String,
    /// Server class, e.g. gp.vs1.medium-dfw.
    #[arg(long, alias = "serverclass", value_name = "CLASS")]
    pub server_class: String,
    /// Desired node count.
    #[arg(long)]
    pub desired: u32,
    /// Autoscaling minimum (with --autoscaling-max).
    #[arg(long, requires = "autoscaling_max", value_name = "N")]
    pub autoscaling_min: Option<u32>,
    /// Autoscaling maximum (with --autoscaling-min).
    #[arg(long, requires = "autoscaling_min", value_name = "N")]
    pub autoscaling_max: Option<u32>,
    /// Node label key=value (repeatable).
    #[arg(long = "label", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub labels: Vec<(String, String)>,
    /// Node annotation key=value (repeatable).
    #[arg(long = "annotation", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub annotations: Vec<(String, String)>,
    /// Node taint key=value:Effect (NoSchedule, PreferNoSchedule, NoExecute; repeatable).
    #[arg(long = "taint", value_parser = parse_taint, value_name = "KEY=VALUE:EFFECT")]
    pub taints: Vec<Taint>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `create`: the flags both kinds take and the kind's bid flag.
#[derive(Debug, Args)]
pub struct CreateArgs<B: Args> {
    #[command(flatten)]
    pub common: PoolCreateArgs,
    #[command(flatten)]
    pub bid: B,
}

/// `update`: the flags both kinds take and the kind's bid flag.
#[derive(Debug, Args)]
pub struct UpdateArgs<U: Args> {
    #[command(flatten)]
    pub common: PoolUpdateArgs,
    #[command(flatten)]
    pub bid: U,
}

/// The bid a pool kind's flags give, if any.
pub trait BidFlag {
    /// The bid given.
    fn bid(&self) -> Option<Bid>;
}

/// `spot create --bid-price`.
#[derive(Debug, Args)]
pub struct SpotBid {
    /// Maximum price per node-hour in USD, e.g. 0.06 or $0.06 (at most three decimals; checked
    /// against the class's floor).
    #[arg(long, alias = "bidprice", value_name = "USD")]
    pub bid_price: Bid,
}

/// `spot update --bid-price`.
#[derive(Debug, Args)]
pub struct SpotBidChange {
    /// New bid in USD per node-hour (at most three decimals; checked against the class's floor).
    #[arg(long, alias = "bidprice", value_name = "USD")]
    pub bid_price: Option<Bid>,
}

/// On-demand pools have no bid.
#[derive(Debug, Args)]
pub struct NoBid {}

impl BidFlag for SpotBid {
    fn bid(&self) -> Option<Bid> {
        Some(self.bid_price)
    }
}

impl BidFlag for SpotBidChange {
    fn bid(&self) -> Option<Bid> {
        self.bid_price
    }
}

impl BidFlag for NoBid {
    fn bid(&self) -> Option<Bid> {
        None
    }
}

/// Update flags shared by spot and on-demand pools.
#[derive(Debug, Args)]
pub struct PoolUpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New desired node count.
    #[arg(long)]
    pub desired: Option<u32>,
    /// Enable autoscaling with this minimum (with --autoscaling-max).
    #[arg(long, requires = "autoscaling_max", value_name = "N")]
    pub autoscaling_min: Option<u32>,
    /// Enable autoscaling with this maximum (with --autoscaling-min).
    #[arg(long, requires = "autoscaling_min", value_name = "N")]
    pub autoscaling_max: Option<u32>,
    /// Disable autoscaling.
    #[arg(long, conflicts_with_all = ["autoscaling_min", "autoscaling_max"])]
    pub no_autoscaling: bool,
    /// Replace the node labels with these key=value pairs (repeatable).
    #[arg(long = "label", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub labels: Vec<(String, String)>,
    /// Replace the node annotations with these key=value pairs (repeatable).
    #[arg(long = "annotation", value_parser = parse_kv, value_name = "KEY=VALUE")]
    pub annotations: Vec<(String, String)>,
    /// Replace the node taints with these key=value:Effect taints (repeatable).
    #[arg(long = "taint", value_parser = parse_taint, value_name = "KEY=VALUE:EFFECT")]
    pub taints: Vec<Taint>,
    /// Accepted for older scripts: must match the pool's cloudspace (a pool cannot move).
    #[arg(long, hide = true, value_parser = crate::names::cloudspace)]
    pub cloudspace: Option<String>,
    /// Accepted for older scripts: must match the pool's server class (it cannot change).
    #[arg(long, alias = "serverclass", hide = true)]
    pub server_class: Option<String>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact merge-patch body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `key=value` (split on the first `=`, both sides trimmed, key non-empty).
pub fn parse_kv(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().into(), v.trim().into())),
        _ => Err(format!("expected key=value, got {s:?}")),
    }
}

pub fn parse_taint(s: &str) -> Result<Taint, String> {
    s.parse::<Taint>().map_err(|e| e.to_string())
}

fn to_map(pairs: Vec<(String, String)>) -> BTreeMap<String, String> {
    pairs.into_iter().collect()
}

/// The fields both pool kinds share, from the flags (the SDK validates them).
pub(super) fn create_common(a: &PoolCreateArgs) -> PoolCommon {
    // The on-demand builder is the plain shared part; spot adds only its bid.
    let mut req = OnDemandPoolCreate::new(&a.cloudspace, &a.server_class, a.desired);
    if let Some(n) = a.name.name.clone().or(a.name.name_flag.clone()) {
        req = req.name(n);
    }
    if let (Some(min), Some(max)) = (a.autoscaling_min, a.autoscaling_max) {
        req = req.autoscaling(min, max);
    }
    for (k, v) in &a.labels {
        req = req.label(k.clone(), v.clone());
    }
    for (k, v) in &a.annotations {
        req = req.annotation(k.clone(), v.clone());
    }
    for t in &a.taints {
        req = req.taint(t.clone());
    }
    req.common
}

pub(super) fn update_common(a: &PoolUpdateArgs) -> PoolUpdate {
    let autoscaling = if a.no_autoscaling {
        Some(None)
    } else {
        match (a.autoscaling_min, a.autoscaling_max) {
            (Some(min), Some(max)) => Some(Some(Autoscaling {
                min_nodes: min,
                max_nodes: max,
            })),
            _ => None,
        }
    };
    PoolUpdate {
        desired: a.desired,
        autoscaling,
        labels: (!a.labels.is_empty()).then(|| to_map(a.labels.clone())),
        annotations: (!a.annotations.is_empty()).then(|| to_map(a.annotations.clone())),
        taints: (!a.taints.is_empty()).then(|| a.taints.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_values() {
        assert_eq!(parse_kv("team=a"), Ok(("team".into(), "a".into())));
        assert_eq!(parse_kv(" k = v=w "), Ok(("k".into(), "v=w".into())));
        assert_eq!(parse_kv("k="), Ok(("k".into(), String::new())));
        assert!(parse_kv("novalue").is_err());
        assert!(parse_kv("=v").is_err());
    }

    #[test]
    fn update_sends_only_given_flags() {
        let a = PoolUpdateArgs {
            name: NameArgs {
                name: Some("x".into()),
                name_flag: None,
            },
            desired: None,
            autoscaling_min: None,
            autoscaling_max: None,
            no_autoscaling: false,
            labels: vec![],
            annotations: vec![],
            taints: vec![],
            cloudspace: None,
            server_class: None,
            wait: WaitFlags {
                wait: false,
                timeout: None,
            },
            dry_run: false,
        };
        assert_eq!(update_common(&a), PoolUpdate::default());
        let b = PoolUpdateArgs {
            no_autoscaling: true,
            labels: vec![("a".into(), "1".into())],
            ..a
        };
        let u = update_common(&b);
        assert_eq!(u.autoscaling, Some(None));
        assert_eq!(u.labels.unwrap().get("a").map(String::as_str), Some("1"));
        assert_eq!(u.desired, None);
        assert_eq!(u.taints, None);
    }
}
