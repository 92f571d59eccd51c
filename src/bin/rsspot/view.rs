//! One list/get view for every resource kind: a [`Kind`] says how to list and get its objects
//! and how to turn them into table rows; [`list`] and [`get`] fetch, print in the `-o` format
//! (table, wide, json, yaml, name) and, with `--watch`, keep polling ([`crate::watch`]).

use std::future::Future;

use anyhow::Result;
use clap::Args;
use rsspot::SpotClient;

use crate::args::NameArgs;
use crate::ctx::Ctx;
use crate::output::Tabular;

pub use crate::listing::{FollowArgs, Kind, WatchArgs};

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

/// Gets one object once, or watches it. A unique prefix of a UUID name is accepted.
pub async fn get<K: Kind>(ctx: &Ctx, kind: &K, args: GetArgs) -> Result<()> {
    let name = args.name.get(K::WHAT)?;
    let client = ctx.client().await?;
    if args.watch.watch {
        let name = resolve(kind, client, &name).await?;
        return crate::watch::watch(ctx, kind, Some(&name), &args.watch).await;
    }
    let item = get_or_suggest(kind, client, &name).await?;
    show(ctx, kind, item)
}

/// [`Kind::get`]; on a not-found, one list request finds the object a unique prefix names
/// (an ambiguous one is a usage error listing the candidates), else the error gets a "did you
/// mean" hint naming the closest existing names.
pub async fn get_or_suggest<K: Kind>(kind: &K, client: &SpotClient, name: &str) -> Result<K::Item> {
    let e = match kind.get(client, name).await {
        Ok(item) => return Ok(item),
        Err(e) => e,
    };
    if !is_not_found(&e) {
        return Err(e);
    }
    let Ok(items) = kind.list(client).await else {
        return Err(e);
    };
    let names: Vec<String> = kind.rows(&items).iter().map(Tabular::name).collect();
    match crate::prefix::find(name, &names) {
        crate::prefix::Match::Exact(full) | crate::prefix::Match::Unique(full) => {
            match names.iter().position(|n| *n == full) {
                Some(at) => Ok(items.into_iter().nth(at).ok_or(e)?),
                None => Err(e),
            }
        }
        crate::prefix::Match::Ambiguous(candidates) => Err(ambiguous(K::WHAT, name, &candidates)),
        crate::prefix::Match::None => Err(suggest(e, name, &names)),
    }
}

/// The full name of the object `typed` names: itself when it is a whole UUID (no request),
/// else looked up in one list: an exact name, or a unique prefix of a UUID name. An ambiguous
/// prefix is a usage error (exit 2) listing the candidates; no match is a not-found (exit 3)
/// with a "did you mean" hint.
pub async fn resolve<K: Kind>(kind: &K, client: &SpotClient, typed: &str) -> Result<String> {
    if crate::prefix::is_uuid(typed) {
        return Ok(typed.to_string());
    }
    let items = kind.list(client).await?;
    let names: Vec<String> = kind.rows(&items).iter().map(Tabular::name).collect();
    match crate::prefix::find(typed, &names) {
        crate::prefix::Match::Exact(full) | crate::prefix::Match::Unique(full) => Ok(full),
        crate::prefix::Match::Ambiguous(candidates) => Err(ambiguous(K::WHAT, typed, &candidates)),
        crate::prefix::Match::None => {
            let e = anyhow::Error::new(rsspot::Error::not_found(K::WHAT, typed));
            Err(suggest(e, typed, &names))
        }
    }
}

/// [`resolve`] for a `NAME`/`--name` argument: the same argument with the full name in it.
pub async fn resolve_arg<K: Kind>(
    kind: &K,
    client: &SpotClient,
    name: NameArgs,
) -> Result<NameArgs> {
    let typed = name.get(K::WHAT)?;
    Ok(NameArgs {
        name: Some(resolve(kind, client, &typed).await?),
        name_flag: None,
    })
}

fn is_not_found(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<rsspot::Error>(),
        Some(rsspot::Error::NotFound { .. })
    )
}

/// `e` with a "did you mean" hint when some of `names` are close to `typed`.
fn suggest(e: anyhow::Error, typed: &str, names: &[String]) -> anyhow::Error {
    let mut close = crate::names::closest(typed, names);
    if close.is_empty() {
        close = crate::prefix::close_prefixes(typed, names);
    }
    if close.is_empty() {
        return e;
    }
    let hint = format!("did you mean {}?", close.join(" or "));
    anyhow::Error::new(crate::output::Hinted::new(e, hint))
}

/// The usage error of a prefix that several objects share.
fn ambiguous(what: &str, typed: &str, candidates: &[String]) -> anyhow::Error {
    anyhow::Error::new(crate::output::Usage(format!(
        "{what} prefix {typed:?} is ambiguous: it matches {}; type more of the name",
        candidates.join(", ")
    )))
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
