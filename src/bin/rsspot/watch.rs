//! `--watch` and `--follow`: poll with the library's [`Backoff`] (cache bypassed; back to the
//! first interval as soon as something changed, slower while nothing does), print what changed,
//! stop on Ctrl-C with exit 130.
//!
//! Output: on a terminal with a table format the screen is redrawn after each poll under a
//! line giving the real time of that poll and of the next one. With `--output-watch-events`,
//! or when stdout is not a terminal, one line per change instead, as kubectl prints them: the
//! header once, then the row of each object that changed (led by an EVENT column —
//! ADDED, MODIFIED, DELETED — with `--output-watch-events`). `-o json` prints an NDJSON event
//! `{"type":"ADDED|MODIFIED|DELETED","object":{...}}` (kubectl's `--watch -o json`), `-o yaml`
//! the same event as a YAML document, `-o name` the object's name.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Local};
use rsspot::services::Backoff;
use rsspot::services::stream::{DEFAULT_WATCH_INTERVAL, MAX_WATCH_INTERVAL};
use serde_json::Value;

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::listing::{FollowArgs, Kind, WatchArgs};
use crate::output::{Stopped, Tabular};

/// The library's poll interval for `--watch-interval` (its default when none is given).
fn backoff(start: Option<Duration>) -> Backoff {
    Backoff::new(start.unwrap_or(DEFAULT_WATCH_INTERVAL), MAX_WATCH_INTERVAL)
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

/// How changes are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A terminal and a table: the screen redrawn after each poll.
    Redraw,
    /// A table, one line per change; `events`: led by the EVENT column.
    Lines { events: bool },
    /// JSON, YAML or names: one record per change.
    Records,
}

/// Watches a list (`name` None) or one object until Ctrl-C.
pub async fn watch<K: Kind>(
    ctx: &Ctx,
    kind: &K,
    name: Option<&str>,
    args: &WatchArgs,
) -> Result<()> {
    let client = ctx.client().await?.without_cache();
    let mode = match (ctx.out.is_table(), std::io::stdout().is_terminal()) {
        (false, _) => Mode::Records,
        (true, true) if !args.output_watch_events => Mode::Redraw,
        (true, _) => Mode::Lines {
            events: args.output_watch_events,
        },
    };
    let wide = ctx.out.format == OutputFormat::Wide;
    let mut backoff = backoff(args.watch_interval);
    let mut seen: Option<BTreeMap<String, Value>> = None;
    // Each object's last row, so a DELETED line shows what went.
    let mut seen_rows: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut lines: Option<Lines> = None;
    let mut previous_poll: Option<DateTime<Local>> = None;
    until_ctrl_c(async {
        loop {
            let polled_at = Local::now();
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
            let mut now_rows = BTreeMap::new();
            for (row, item) in rows.iter().zip(&items) {
                now.insert(row.name(), serde_json::to_value(item)?);
                now_rows.insert(row.name(), row.row(wide));
            }
            let events = diff(seen.as_ref(), &now);
            let first = seen.is_none();
            let wait = backoff.next(!events.is_empty());
            match mode {
                Mode::Redraw => {
                    let status = status_line(polled_at, previous_poll, wait);
                    draw(ctx, &rows, &items, &status)?;
                }
                Mode::Lines { events: with_event } => {
                    let table = lines.get_or_insert_with(|| {
                        let headers = <K::Row as Tabular>::headers(wide);
                        let cells: Vec<Vec<String>> = now_rows.values().cloned().collect();
                        Lines::new(&headers, &cells, with_event)
                    });
                    if first {
                        ctx.out.text(&table.header())?;
                    }
                    for e in &events {
                        let cells = now_rows
                            .get(&e.name)
                            .or_else(|| seen_rows.get(&e.name))
                            .cloned()
                            .unwrap_or_else(|| vec![e.name.clone()]);
                        ctx.out.text(&table.line(e.kind, &cells))?;
                    }
                }
                Mode::Records => print_records(ctx, &events)?,
            }
            seen = Some(now);
            seen_rows = now_rows;
            previous_poll = Some(polled_at);
            tokio::time::sleep(wait).await;
        }
    })
    .await
}

/// A table printed one line at a time: column widths from the header and the first poll's
/// rows (a wider cell later widens its line only; nothing is cut).
#[derive(Debug, Clone)]
struct Lines {
    headers: Vec<String>,
    widths: Vec<usize>,
    events: bool,
}

impl Lines {
    fn new(headers: &[&str], rows: &[Vec<String>], events: bool) -> Lines {
        let mut headers: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
        if events {
            headers.insert(0, "EVENT".into());
        }
        let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
        if events {
            widths[0] = "MODIFIED".len();
        }
        let skip = usize::from(events);
        for row in rows {
            for (w, cell) in widths.iter_mut().skip(skip).zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        Lines {
            headers,
            widths,
            events,
        }
    }

    fn join(&self, cells: &[String]) -> String {
        let last = cells.len().saturating_sub(1);
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let w = self.widths.get(i).copied().unwrap_or(0);
                out.push_str(&" ".repeat(w.saturating_sub(cell.chars().count()) + 2));
            }
        }
        out
    }

    /// The header line.
    fn header(&self) -> String {
        self.join(&self.headers)
    }

    /// One change: `EVENT` (with --output-watch-events) and the object's row.
    fn line(&self, event: &str, row: &[String]) -> String {
        let mut cells = row.to_vec();
        if self.events {
            cells.insert(0, event.to_string());
        }
        self.join(&cells)
    }
}

/// "12:00:03" and "in 4s" as a status line: the real time of the poll just made, how long after
/// the one before, and when the next one comes.
fn status_line(
    polled: DateTime<Local>,
    previous: Option<DateTime<Local>>,
    wait: Duration,
) -> String {
    let next = polled + chrono::Duration::from_std(wait).unwrap_or_default();
    let after = previous
        .and_then(|p| (polled - p).to_std().ok())
        .map(|d| format!(" ({} after the last)", short(d)))
        .unwrap_or_default();
    format!(
        "Polled {}{after}; next {} (in {}). Ctrl-C to stop.",
        polled.format("%H:%M:%S"),
        next.format("%H:%M:%S"),
        short(wait)
    )
}

/// `500ms`, `4s`, `1m30s`.
fn short(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    let s = (ms + 500) / 1000;
    match s {
        s if s < 60 => format!("{s}s"),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{}m{}s", s / 60, s % 60),
    }
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
    status: &str,
) -> Result<()> {
    ctx.out.text(&format!("\x1b[H\x1b[2J{status}\n"))?;
    if rows.is_empty() {
        return ctx.out.text("No resources found.");
    }
    ctx.out.list(rows, items)
}

/// One record per change: an NDJSON or YAML event, or the name.
fn print_records(ctx: &Ctx, events: &[Event]) -> Result<()> {
    for e in events {
        match ctx.out.format {
            OutputFormat::Name => ctx.out.text(&e.name)?,
            OutputFormat::Yaml => {
                let doc = serde_json::json!({"type": e.kind, "object": e.object});
                ctx.out
                    .text(&format!("---\n{}", serde_norway::to_string(&doc)?))?;
            }
            _ => {
                let line = serde_json::json!({"type": e.kind, "object": e.object});
                ctx.out.text(&serde_json::to_string(&line)?)?;
            }
        }
    }
    Ok(())
}

/// `inventory events --follow`: prints the recent events, then each new one as it comes
/// (oldest first; a table line, or `{"time":…,"event":…}` per line with -o json).
pub async fn follow_events(ctx: &Ctx, limit: u32, args: &FollowArgs) -> Result<()> {
    let client = ctx.client().await?.without_cache();
    let mut backoff = backoff(args.watch_interval);
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
    fn the_status_line_gives_the_real_times() {
        let t = |h, m, s| {
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
                .unwrap()
                .and_hms_opt(h, m, s)
                .unwrap()
                .and_local_timezone(Local)
                .unwrap()
        };
        let line = status_line(t(12, 0, 7), Some(t(12, 0, 3)), Duration::from_secs(8));
        assert_eq!(
            line,
            "Polled 12:00:07 (4s after the last); next 12:00:15 (in 8s). Ctrl-C to stop."
        );
        let line = status_line(t(12, 0, 7), None, Duration::from_millis(500));
        assert!(
            line.starts_with("Polled 12:00:07; next 12:00:07 (in 500ms)"),
            "{line}"
        );
        assert_eq!(short(Duration::from_secs(90)), "1m30s");
    }

    #[test]
    fn event_lines_line_up_under_the_header() {
        let rows = vec![vec!["alpha".to_string(), "Ready".to_string()]];
        let t = Lines::new(&["NAME", "PHASE"], &rows, true);
        assert_eq!(t.line("ADDED", &rows[0]), "ADDED     alpha  Ready");
        let plain = Lines::new(&["NAME", "PHASE"], &rows, false);
        assert_eq!(plain.line("ADDED", &rows[0]), "alpha  Ready");
        assert_eq!(t.header(), "EVENT     NAME   PHASE");
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
