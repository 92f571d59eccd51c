//! `--watch` and `--follow`: poll with backoff (cache bypassed), print what changed, stop on
//! Ctrl-C with exit 130.
//!
//! Output: on a terminal with a table format the screen is redrawn on each change; otherwise
//! one record per change: `-o json` an NDJSON event `{"type":"ADDED|MODIFIED|DELETED",
//! "object":{...}}` (kubectl's `--watch -o json`), `-o yaml` the same event as a YAML document,
//! `-o name` the object's name, a table the whole table again after a blank line.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::{Stopped, Tabular};
use crate::view::{FollowArgs, Kind, WatchArgs};

/// First poll interval when none is given.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// The interval never grows past this while nothing changes.
pub const MAX_INTERVAL: Duration = Duration::from_secs(30);

/// The poll interval: back to the start after a change, doubled (up to the cap) otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    start: Duration,
    current: Duration,
}

impl Backoff {
    /// Starts at `start` (or [`DEFAULT_INTERVAL`]).
    pub fn new(start: Option<Duration>) -> Backoff {
        let start = start
            .unwrap_or(DEFAULT_INTERVAL)
            .max(Duration::from_millis(50));
        Backoff {
            start,
            current: start,
        }
    }

    /// The wait before the next poll, given whether the last poll saw a change.
    pub fn next(&mut self, changed: bool) -> Duration {
        let now = self.current;
        self.current = if changed {
            self.start
        } else {
            (self.current * 2).min(MAX_INTERVAL.max(self.start))
        };
        if changed { self.start } else { now }
    }
}

/// Runs `body` until it ends or the user presses Ctrl-C ([`Stopped`], exit 130).
pub async fn until_ctrl_c(body: impl Future<Output = Result<()>>) -> Result<()> {
    // Biased, Ctrl-C first: the handler is installed before the body prints anything.
    tokio::select! {
        biased;
        _ = tokio::signal::ctrl_c() => Err(anyhow::Error::new(Stopped)),
        r = body => r,
    }
}

/// One change between two polls.
#[derive(Debug, PartialEq)]
pub struct Event {
    /// ADDED, MODIFIED or DELETED.
    pub kind: &'static str,
    /// The object's name.
    pub name: String,
    /// The object (its last state for DELETED).
    pub object: Value,
}

/// What changed from `before` (None: the first poll, everything is ADDED) to `now`.
pub fn diff(before: Option<&BTreeMap<String, Value>>, now: &BTreeMap<String, Value>) -> Vec<Event> {
    let empty = BTreeMap::new();
    let before = before.unwrap_or(&empty);
    let mut events = Vec::new();
    for (name, object) in now {
        let kind = match before.get(name) {
            None => "ADDED",
            Some(old) if old != object => "MODIFIED",
            Some(_) => continue,
        };
        events.push(Event {
            kind,
            name: name.clone(),
            object: object.clone(),
        });
    }
    for (name, object) in before {
        if !now.contains_key(name) {
            events.push(Event {
                kind: "DELETED",
                name: name.clone(),
                object: object.clone(),
            });
        }
    }
    events
}

/// Watches a list (`name` None) or one object until Ctrl-C.
pub async fn watch<K: Kind>(
    ctx: &Ctx,
    kind: &K,
    name: Option<&str>,
    args: &WatchArgs,
) -> Result<()> {
    let client = ctx.client().await?.without_cache();
    let redraw = ctx.out.is_table() && std::io::stdout().is_terminal();
    let mut backoff = Backoff::new(args.watch_interval);
    let mut seen: Option<BTreeMap<String, Value>> = None;
    until_ctrl_c(async {
        loop {
            let fetched = match name {
                None => kind.list(&client).await,
                Some(n) => match kind.get(&client, n).await {
                    Ok(item) => Ok(vec![item]),
                    // A watched object that goes away is a DELETED event, not the end.
                    Err(e) if seen.is_some() && is_not_found(&e) => Ok(Vec::new()),
                    Err(e) => Err(e),
                },
            };
            let items = match fetched {
                Ok(items) => items,
                Err(e) if seen.is_none() => return Err(e),
                Err(e) => {
                    ctx.out.warn(&format!("{e:#} (still watching)"));
                    tokio::time::sleep(backoff.next(false)).await;
                    continue;
                }
            };
            let rows = kind.rows(&items);
            let mut now = BTreeMap::new();
            for (row, item) in rows.iter().zip(&items) {
                now.insert(row.name(), serde_json::to_value(item)?);
            }
            let events = diff(seen.as_ref(), &now);
            let first = seen.is_none();
            if first || !events.is_empty() {
                if redraw {
                    draw(ctx, &rows, &items, backoff.start)?;
                } else {
                    print_events(ctx, &rows, &items, &events, first)?;
                }
            }
            let changed = !events.is_empty();
            seen = Some(now);
            tokio::time::sleep(backoff.next(changed)).await;
        }
    })
    .await
}

fn is_not_found(e: &anyhow::Error) -> bool {
    e.chain()
        .find_map(|c| c.downcast_ref::<rsspot::Error>())
        .is_some_and(rsspot::Error::is_not_found)
}

/// Clears the terminal and prints the table under a status line.
fn draw<R: Tabular, T: serde::Serialize>(
    ctx: &Ctx,
    rows: &[R],
    items: &[T],
    every: Duration,
) -> Result<()> {
    let status = format!(
        "Every {}s, backing off while nothing changes; updated {}. Ctrl-C to stop.",
        every.as_secs().max(1),
        chrono::Local::now().format("%H:%M:%S")
    );
    ctx.out.text(&format!("\x1b[H\x1b[2J{status}\n"))?;
    if rows.is_empty() {
        return ctx.out.text("No resources found.");
    }
    ctx.out.list(rows, items)
}

fn print_events<R: Tabular, T: serde::Serialize>(
    ctx: &Ctx,
    rows: &[R],
    items: &[T],
    events: &[Event],
    first: bool,
) -> Result<()> {
    match ctx.out.format {
        OutputFormat::Table | OutputFormat::Wide => {
            if !first {
                ctx.out.text("")?;
            }
            if rows.is_empty() {
                return ctx.out.text("No resources found.");
            }
            ctx.out.list(rows, items)
        }
        OutputFormat::Name => {
            for e in events {
                ctx.out.text(&e.name)?;
            }
            Ok(())
        }
        OutputFormat::Yaml => {
            for e in events {
                let doc = serde_json::json!({"type": e.kind, "object": e.object});
                ctx.out
                    .text(&format!("---\n{}", serde_norway::to_string(&doc)?))?;
            }
            Ok(())
        }
        _ => {
            for e in events {
                let line = serde_json::json!({"type": e.kind, "object": e.object});
                ctx.out.text(&serde_json::to_string(&line)?)?;
            }
            Ok(())
        }
    }
}

/// `inventory events --follow`: prints the recent events, then each new one as it comes
/// (oldest first; a table line, or `{"time":…,"event":…}` per line with -o json).
pub async fn follow_events(ctx: &Ctx, limit: u32, args: &FollowArgs) -> Result<()> {
    let client = ctx.client().await?.without_cache();
    let mut backoff = Backoff::new(args.watch_interval);
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    let mut first = true;
    until_ctrl_c(async {
        loop {
            let events = match client.inventory().events(limit).await {
                Ok(e) => e.events,
                Err(e) if first => return Err(e.into()),
                Err(e) => {
                    ctx.out.warn(&format!("{e} (still following)"));
                    tokio::time::sleep(backoff.next(false)).await;
                    continue;
                }
            };
            // The service lists newest first; print the new ones in the order they happened.
            let fresh: Vec<Vec<String>> = events
                .into_iter()
                .rev()
                .filter(|e| seen.insert(e.clone()))
                .collect();
            print_event_rows(ctx, &fresh, first)?;
            first = false;
            tokio::time::sleep(backoff.next(!fresh.is_empty())).await;
        }
    })
    .await
}

fn print_event_rows(ctx: &Ctx, events: &[Vec<String>], first: bool) -> Result<()> {
    let split = |e: &Vec<String>| -> (String, String) {
        match e.split_first() {
            Some((t, rest)) => (t.clone(), rest.join(" ")),
            None => (String::new(), String::new()),
        }
    };
    match ctx.out.format {
        OutputFormat::Table | OutputFormat::Wide => {
            if first {
                ctx.out.text("TIME                  EVENT")?;
            }
            for e in events {
                let (time, text) = split(e);
                ctx.out.text(&format!("{time:<20}  {text}"))?;
            }
            Ok(())
        }
        OutputFormat::Name => {
            for e in events {
                ctx.out.text(&e.join(" "))?;
            }
            Ok(())
        }
        OutputFormat::Yaml => {
            for e in events {
                let (time, event) = split(e);
                let doc = serde_json::json!({"time": time, "event": event});
                ctx.out
                    .text(&format!("---\n{}", serde_norway::to_string(&doc)?))?;
            }
            Ok(())
        }
        _ => {
            for e in events {
                let (time, event) = split(e);
                let line = serde_json::json!({"time": time, "event": event});
                ctx.out.text(&serde_json::to_string(&line)?)?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_while_quiet_and_resets_on_change() {
        let mut b = Backoff::new(Some(Duration::from_secs(2)));
        assert_eq!(b.next(false), Duration::from_secs(2));
        assert_eq!(b.next(false), Duration::from_secs(4));
        assert_eq!(b.next(false), Duration::from_secs(8));
        assert_eq!(b.next(false), Duration::from_secs(16));
        assert_eq!(b.next(false), Duration::from_secs(30));
        assert_eq!(b.next(false), Duration::from_secs(30));
        assert_eq!(b.next(true), Duration::from_secs(2));
        assert_eq!(b.next(false), Duration::from_secs(2));
    }

    #[test]
    fn diffs_name_what_changed() {
        let mut a = BTreeMap::new();
        a.insert("x".to_string(), serde_json::json!({"v": 1}));
        a.insert("y".to_string(), serde_json::json!({"v": 1}));
        let first = diff(None, &a);
        assert_eq!(
            first.iter().map(|e| e.kind).collect::<Vec<_>>(),
            ["ADDED", "ADDED"]
        );
        let mut b = a.clone();
        b.insert("x".to_string(), serde_json::json!({"v": 2}));
        b.remove("y");
        b.insert("z".to_string(), serde_json::json!({}));
        let events: Vec<(&str, String)> = diff(Some(&a), &b)
            .into_iter()
            .map(|e| (e.kind, e.name))
            .collect();
        assert_eq!(
            events,
            [
                ("MODIFIED", "x".to_string()),
                ("ADDED", "z".to_string()),
                ("DELETED", "y".to_string())
            ]
        );
        assert!(diff(Some(&b), &b).is_empty());
    }
}
