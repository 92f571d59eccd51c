//! `history`, `state …` and `cache …`: the local `state.db`.
//!
//! Read-only commands work on a degraded (in-memory) store when `state.db` is unusable, with the
//! warning `Ctx::state` prints; commands that would change the file refuse instead, pointing at
//! `rsspot state reset`. `state reset` never opens `state.db` through the store: it moves the file
//! aside, and moves the registration ledger (`ledger.db`) only with `--include-ledger`.

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::state::ledger::LedgerStore;
use rsspot::state::{HistoryRow, StateStore};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::{Tabular, dash};

/// `rsspot history [--limit N]` and `rsspot history clear`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct HistoryArgs {
    #[command(subcommand)]
    pub command: Option<HistoryCmd>,
    /// How many of the newest entries to show (oldest first).
    #[arg(short = 'n', long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub limit: u32,
}

/// `rsspot history …` subcommands.
#[derive(Debug, Subcommand)]
pub enum HistoryCmd {
    /// Delete every recorded invocation.
    Clear,
}

/// `rsspot state …`.
#[derive(Debug, Subcommand)]
pub enum StateCmd {
    /// Print the state.db path.
    Path,
    /// Size, schema version and row counts.
    Info,
    /// Drop expired cache rows and compact the file.
    Vacuum,
    /// Move state.db aside (never deleted) so the next command starts fresh: command history,
    /// HTTP cache and cached tokens. The registration ledger (ledger.db) stays unless
    /// --include-ledger is given.
    Reset {
        /// Also move the registration ledger aside (restore it with `rsspot registrations
        /// restore BACKUP`).
        #[arg(long)]
        include_ledger: bool,
    },
}

/// `rsspot cache …`.
#[derive(Debug, Subcommand)]
pub enum CacheCmd {
    /// Entries, bytes, hits and misses.
    Stats,
    /// Delete cached responses.
    Clear {
        /// Only the entries whose TTL has passed.
        #[arg(long)]
        expired: bool,
    },
}

/// `1.2 KiB`.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

/// `850ms`, `1.2s`, `3m04s`.
fn human_duration(ms: u64) -> String {
    match ms {
        m if m < 1000 => format!("{m}ms"),
        m if m < 60_000 => format!("{:.1}s", m as f64 / 1000.0),
        m => format!("{}m{:02}s", m / 60_000, (m % 60_000) / 1000),
    }
}

/// Joins argv for display, quoting only tokens a shell would split.
fn shell_join(argv: &[String]) -> String {
    argv.iter()
        .map(|a| {
            if a.is_empty()
                || a.chars()
                    .any(|c| c.is_whitespace() || "'\"\\$`".contains(c))
            {
                format!("'{}'", a.replace('\'', r"'\''"))
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The store, or a `State` error when it is only the in-memory fallback (writes would be lost).
async fn writable_store<'a>(ctx: &'a Ctx, what: &str) -> Result<&'a StateStore> {
    let (store, warning) = ctx.state().await?;
    if warning.is_some() {
        let path = ctx
            .resolved()
            .await?
            .settings
            .state_path
            .display()
            .to_string();
        anyhow::bail!(rsspot::Error::state(
            path,
            format!("cannot {what}: the file is unusable (see the warning above)"),
        ));
    }
    Ok(store)
}

/// A history row for the table.
struct HistoryView<'a>(&'a HistoryRow);

impl Tabular for HistoryView<'_> {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["TIME", "EXIT", "DURATION", "PROFILE", "COMMAND"];
        if wide {
            h.insert(4, "ORG");
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let r = self.0;
        let mut row = vec![
            r.started_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string(),
            r.exit_code.to_string(),
            human_duration(r.duration_ms),
            dash(r.profile.as_ref()),
            shell_join(&r.argv),
        ];
        if wide {
            row.insert(4, dash(r.org.as_ref()));
        }
        row
    }
    fn name(&self) -> String {
        shell_join(&self.0.argv)
    }
}

/// `rsspot history`.
pub async fn history(ctx: &Ctx, a: HistoryArgs) -> Result<()> {
    match a.command {
        Some(HistoryCmd::Clear) => {
            let store = writable_store(ctx, "clear the history").await?;
            let n = store.history_clear().await?;
            done(
                ctx,
                &format!(
                    "Cleared {n} history entr{}",
                    if n == 1 { "y" } else { "ies" }
                ),
                serde_json::json!({"cleared": n}),
            )
        }
        None => {
            let (store, _) = ctx.state().await?;
            let mut rows = store.history_list(a.limit).await?;
            // Oldest first, like a shell's history: the latest command is nearest the prompt.
            rows.reverse();
            if rows.is_empty() && ctx.out.is_table() {
                let enabled = ctx.resolved().await?.settings.history.enabled;
                ctx.out.note(if enabled {
                    "No history recorded yet."
                } else {
                    "No history: recording is off (history.enabled = false or RSSPOT_NO_HISTORY)."
                });
                return Ok(());
            }
            let views: Vec<HistoryView<'_>> = rows.iter().map(HistoryView).collect();
            ctx.out.list(&views, &rows)
        }
    }
}

/// What `state info` prints in JSON/YAML.
#[derive(Serialize)]
struct InfoOut {
    #[serde(flatten)]
    info: rsspot::state::StateInfo,
    /// Set when the file is unusable and this run uses in-memory state.
    degraded: Option<String>,
}

/// `rsspot state …`.
pub async fn state(ctx: &Ctx, cmd: StateCmd) -> Result<()> {
    match cmd {
        StateCmd::Path => {
            let path = ctx.resolved().await?.settings.state_path.clone();
            if matches!(
                ctx.global.output,
                Some(OutputFormat::Json | OutputFormat::Yaml)
            ) {
                ctx.out.data(&serde_json::json!({
                    "path": path,
                    "exists": path.exists(),
                }))
            } else {
                ctx.out.text(&path.display().to_string())
            }
        }
        StateCmd::Info => {
            let (store, warning) = ctx.state().await?;
            let info = store.info().await?;
            if !ctx.out.is_table() {
                return ctx.out.data(&InfoOut {
                    info,
                    degraded: warning.map(str::to_string),
                });
            }
            let path = match (&info.path, warning) {
                (Some(p), _) => p.display().to_string(),
                (None, _) => format!(
                    "(in memory for this run; {} is unusable)",
                    ctx.resolved().await?.settings.state_path.display()
                ),
            };
            let mut pairs = vec![
                ("path", path),
                ("size", human_bytes(info.size_bytes)),
                (
                    "schema",
                    // Short enough for 80 columns: the latest known only when it differs.
                    if info.schema_version == info.latest_known_version {
                        format!("version {} (current)", info.schema_version)
                    } else {
                        format!(
                            "version {} (latest known {})",
                            info.schema_version, info.latest_known_version
                        )
                    },
                ),
            ];
            let counts: Vec<(String, String)> = info
                .tables
                .iter()
                .map(|t| (format!("rows in {}", t.name), t.rows.to_string()))
                .collect();
            pairs.extend(counts.iter().map(|(k, v)| (k.as_str(), v.clone())));
            ctx.out.fields(&pairs)
        }
        StateCmd::Vacuum => {
            let store = writable_store(ctx, "vacuum").await?;
            let before = store.info().await?.size_bytes;
            store.vacuum().await?;
            let after = store.info().await?.size_bytes;
            done(
                ctx,
                &format!(
                    "Vacuumed {}: {} -> {}",
                    store
                        .path()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default(),
                    human_bytes(before),
                    human_bytes(after)
                ),
                serde_json::json!({"path": store.path(), "size_before": before, "size_after": after}),
            )
        }
        StateCmd::Reset { include_ledger } => reset(ctx, include_ledger).await,
    }
}

/// `rsspot state reset [--include-ledger]`.
async fn reset(ctx: &Ctx, include_ledger: bool) -> Result<()> {
    // Deliberately not `ctx.state()`: an open pool would hold the file we move.
    let path = ctx.resolved().await?.settings.state_path.clone();
    let ledger_path = LedgerStore::path_beside(&path);
    let state_exists = path.exists();
    let move_ledger = include_ledger && ledger_path.exists();
    if !state_exists && !move_ledger {
        ctx.out.note(&format!(
            "Nothing to reset: {} does not exist.",
            path.display()
        ));
        return Ok(());
    }
    if state_exists && !include_ledger {
        keep_ledger_out_of(ctx, &path, &ledger_path).await?;
    }
    let mut moves = Vec::new();
    if state_exists {
        moves.push(format!(
            "{} (command history, HTTP cache and cached tokens start empty)",
            path.display()
        ));
    }
    if move_ledger {
        moves.push(format!(
            "the registration ledger {} (every registration record and event)",
            ledger_path.display()
        ));
    }
    let kept = if include_ledger {
        String::new()
    } else {
        format!(
            "; the registration ledger {} stays where it is",
            ledger_path.display()
        )
    };
    ctx.confirm(&format!("Move {} aside{kept}", moves.join(" and ")))?;
    let backup = if state_exists {
        Some(StateStore::reset(&path)?)
    } else {
        None
    };
    let ledger_backup = if move_ledger {
        Some(LedgerStore::move_aside(&ledger_path)?)
    } else {
        None
    };
    let mut lines = Vec::new();
    if let Some(b) = &backup {
        lines.push(format!(
            "Moved {} to {}; the next command starts a fresh state.db",
            path.display(),
            b.display()
        ));
    }
    match &ledger_backup {
        Some(b) => lines.push(format!(
            "Moved the registration ledger {} to {} (bring it back with `rsspot registrations restore {}`)",
            ledger_path.display(),
            b.display(),
            b.display()
        )),
        None if !include_ledger => lines.push(format!(
            "Kept the registration ledger {}",
            ledger_path.display()
        )),
        None => {}
    }
    done(
        ctx,
        &lines.join("\n"),
        serde_json::json!({
            "path": path,
            "backup": backup,
            "ledger": ledger_path,
            "ledger_backup": ledger_backup,
            "ledger_kept": ledger_backup.is_none(),
        }),
    )
}

/// Before state.db moves aside without `--include-ledger`: a ledger an earlier rsspot kept
/// inside it is moved to the ledger file first, and when that cannot be done the reset is
/// refused rather than carrying the ledger away with the file.
async fn keep_ledger_out_of(
    ctx: &Ctx,
    path: &std::path::Path,
    ledger_path: &std::path::Path,
) -> Result<()> {
    if !super::registrations::is_sqlite_file(path) {
        // Not a database (damaged beyond its header, or something else): no ledger to read.
        return Ok(());
    }
    let ledger = LedgerStore::open(ledger_path).await;
    let moved = match ledger {
        Ok(ledger) => {
            let moved = ledger.adopt_from_state_db(path).await;
            ledger.close().await;
            moved
        }
        Err(e) => Err(e),
    };
    match moved {
        Ok(report) if report.records > 0 => {
            ctx.out.note(&format!(
                "Moved the registration ledger ({} record(s)) from {} to {} before the reset",
                report.records,
                path.display(),
                ledger_path.display()
            ));
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => anyhow::bail!(rsspot::Error::invalid(
            "--include-ledger",
            format!(
                "{} may hold a registration ledger from an earlier rsspot that could not be \
                 moved to {} ({e}); resetting would move it aside with the file. Pass \
                 --include-ledger to do that anyway (`rsspot registrations restore BACKUP` \
                 brings it back)",
                path.display(),
                ledger_path.display()
            )
        )),
    }
}

/// `rsspot cache …`.
pub async fn cache(ctx: &Ctx, cmd: CacheCmd) -> Result<()> {
    match cmd {
        CacheCmd::Stats => {
            let (store, _) = ctx.state().await?;
            let stats = store.cache_stats().await?;
            if !ctx.out.is_table() {
                return ctx.out.data(&stats);
            }
            let lookups = stats.hits + stats.misses;
            let ratio = if lookups == 0 {
                "-".to_string()
            } else {
                format!("{:.0}%", stats.hits as f64 * 100.0 / lookups as f64)
            };
            ctx.out.fields(&[
                ("entries", stats.entries.to_string()),
                ("expired", stats.expired.to_string()),
                ("size", human_bytes(stats.bytes)),
                ("hits", stats.hits.to_string()),
                ("misses", stats.misses.to_string()),
                ("hit ratio", ratio),
            ])
        }
        CacheCmd::Clear { expired } => {
            let store = writable_store(ctx, "clear the cache").await?;
            let n = store.cache_clear(expired).await?;
            done(
                ctx,
                &format!(
                    "Removed {n} {}cache entr{}",
                    if expired { "expired " } else { "" },
                    if n == 1 { "y" } else { "ies" }
                ),
                serde_json::json!({"removed": n, "expired_only": expired}),
            )
        }
    }
}

/// A one-line confirmation on a terminal, a small JSON/YAML object otherwise.
fn done(ctx: &Ctx, line: &str, data: serde_json::Value) -> Result<()> {
    if ctx.out.is_table() || ctx.out.format == OutputFormat::Name {
        ctx.out.text(line)
    } else {
        ctx.out.data(&data)
    }
}

impl crate::shape::Shaped for HistoryArgs {
    fn shape(&self) -> crate::shape::Shape {
        match self.command {
            None | Some(HistoryCmd::Clear) => crate::shape::Shape::RESOURCE,
        }
    }
}

impl crate::shape::Shaped for StateCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            StateCmd::Info => Shape::REPORT,
            StateCmd::Path | StateCmd::Vacuum | StateCmd::Reset { .. } => Shape::RESOURCE,
        }
    }
}

impl crate::shape::Shaped for CacheCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            CacheCmd::Stats => Shape::REPORT,
            CacheCmd::Clear { .. } => Shape::RESOURCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024), "5.0 MiB");
        assert_eq!(human_duration(850), "850ms");
        assert_eq!(human_duration(1250), "1.2s");
        assert_eq!(human_duration(184_000), "3m04s");
    }

    #[test]
    fn shell_join_quotes_only_what_a_shell_would_split() {
        let argv: Vec<String> = [
            "configure",
            "--refresh-token",
            "<redacted>",
            "a b",
            "it's",
            "",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            shell_join(&argv),
            r#"configure --refresh-token <redacted> 'a b' 'it'\''s' ''"#
        );
    }
}
