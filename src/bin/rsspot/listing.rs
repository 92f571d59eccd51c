//! What the views are generic over: a [`Kind`] (how to list and get its objects and turn them
//! into rows) and the `--watch`/`--follow` arguments. It sits below the list/get views and the
//! watch loop, which both use it (and so need not import each other's types).

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use rsspot::SpotClient;
use serde::Serialize;

use crate::output::Tabular;

/// A kind of object we can list, get and render as rows.
pub trait Kind {
    /// The API object, as `-o json|yaml` prints it.
    type Item: Serialize;
    /// One table row for an object.
    type Row: Tabular;
    /// What one object is called in messages ("spot pool").
    const WHAT: &'static str;

    /// All objects (the kind's own filters applied).
    fn list(&self, client: &SpotClient) -> impl Future<Output = Result<Vec<Self::Item>>>;
    /// One object by name.
    fn get(&self, client: &SpotClient, name: &str) -> impl Future<Output = Result<Self::Item>>;
    /// Table rows, one per object, in the same order.
    fn rows(&self, items: &[Self::Item]) -> Vec<Self::Row>;
}

/// `-w/--watch` and its interval, flattened into every list/get that can watch.
#[derive(Debug, Clone, Default, Args)]
pub struct WatchArgs {
    /// Keep watching: on a terminal the table is redrawn when something changes; otherwise
    /// one line per change is printed: with -o json an event {"type":"ADDED|MODIFIED|DELETED",
    /// "object":{...}} (NDJSON, as kubectl --watch -o json), with -o name the name, with a table
    /// the whole table again. Ctrl-C stops (exit 130).
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// First poll interval of --watch; it doubles while nothing changes, up to 30s (default 2s;
    /// env RSSPOT_WATCH_INTERVAL).
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = crate::args::parse_duration,
        env = "RSSPOT_WATCH_INTERVAL",
        hide_env = true
    )]
    pub watch_interval: Option<Duration>,
    /// With --watch: one line per change led by its event (ADDED, MODIFIED, DELETED), as
    /// kubectl's --output-watch-events, instead of redrawing the table on a terminal.
    #[arg(long, requires = "watch")]
    pub output_watch_events: bool,
}

/// `--follow` for event streams (same polling and Ctrl-C rules as `--watch`).
#[derive(Debug, Clone, Default, Args)]
pub struct FollowArgs {
    /// Keep printing new events as they come (one line each; with -o json one
    /// {"time":…,"event":…} object per line). Ctrl-C stops (exit 130).
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// First poll interval of --follow; it doubles while nothing happens, up to 30s (default
    /// 2s; env RSSPOT_WATCH_INTERVAL).
    #[arg(
        long,
        value_name = "DURATION",
        value_parser = crate::args::parse_duration,
        env = "RSSPOT_WATCH_INTERVAL",
        hide_env = true
    )]
    pub watch_interval: Option<Duration>,
}
