//! One list/get view for every resource kind: a [`Kind`] says how to list and get its objects
//! and how to turn them into table rows; [`list`] and [`get`] fetch, print in the `-o` format
//! (table, wide, json, yaml, name) and, with `--watch`, keep polling ([`crate::watch`]).

use std::future::Future;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use rsspot::SpotClient;
use serde::Serialize;

use crate::commands::cloudspaces::NameArgs;
use crate::ctx::Ctx;
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
        value_parser = crate::progress::parse_duration,
        env = "RSSPOT_WATCH_INTERVAL",
        hide_env = true
    )]
    pub watch_interval: Option<Duration>,
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
        value_parser = crate::progress::parse_duration,
        env = "RSSPOT_WATCH_INTERVAL",
        hide_env = true
    )]
    pub watch_interval: Option<Duration>,
}

/// `get NAME [--watch]`.
#[derive(Debug, Clone, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub name: NameArgs,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// Lists a kind once, or watches the list.
pub async fn list<K: Kind>(ctx: &Ctx, kind: &K, watch: &WatchArgs) -> Result<()> {
    let client = ctx.client().await?;
    if watch.watch {
        return crate::watch::watch(ctx, kind, None, watch).await;
    }
    let items = kind.list(client).await?;
    ctx.out.list(&kind.rows(&items), &items)
}

/// Gets one object once, or watches it.
pub async fn get<K: Kind>(ctx: &Ctx, kind: &K, args: GetArgs) -> Result<()> {
    let name = args.name.get(K::WHAT)?;
    let client = ctx.client().await?;
    if args.watch.watch {
        return crate::watch::watch(ctx, kind, Some(&name), &args.watch).await;
    }
    let item = get_or_suggest(kind, client, &name).await?;
    show(ctx, kind, item)
}

/// [`Kind::get`]; a not-found gets a "did you mean" hint naming the closest existing names
/// (from one list request).
pub async fn get_or_suggest<K: Kind>(kind: &K, client: &SpotClient, name: &str) -> Result<K::Item> {
    let e = match kind.get(client, name).await {
        Ok(item) => return Ok(item),
        Err(e) => e,
    };
    let not_found = matches!(
        e.downcast_ref::<rsspot::Error>(),
        Some(rsspot::Error::NotFound { .. })
    );
    if !not_found {
        return Err(e);
    }
    let Ok(items) = kind.list(client).await else {
        return Err(e);
    };
    let names: Vec<String> = kind.rows(&items).iter().map(Tabular::name).collect();
    let close = crate::names::closest(name, &names);
    if close.is_empty() {
        return Err(e);
    }
    let hint = format!("did you mean {}?", close.join(" or "));
    Err(anyhow::Error::new(crate::output::Hinted::new(e, hint)))
}

/// `delete NAME`: asks `Delete {what} NAME{also}?` (refused without a terminal unless `--yes`),
/// deletes with `delete(name)` and says so.
pub async fn delete<F, Fut, E>(
    ctx: &Ctx,
    name: NameArgs,
    what: &str,
    also: &str,
    delete: F,
) -> Result<()>
where
    F: FnOnce(String) -> Fut,
    Fut: Future<Output = std::result::Result<(), E>>,
    E: Into<anyhow::Error>,
{
    let name = name.get(what)?;
    ctx.confirm(&format!("Delete {what} {name}{also}?"))?;
    delete(name.clone()).await.map_err(Into::into)?;
    ctx.out.note(&format!("{what} {name} deleted"));
    Ok(())
}

/// Prints one object (after a create, update or wait).
pub fn show<K: Kind>(ctx: &Ctx, kind: &K, item: K::Item) -> Result<()> {
    let rows = kind.rows(std::slice::from_ref(&item));
    ctx.out.list(&rows, &item)
}

