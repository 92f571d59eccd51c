//! `state info`, `state vacuum` and `state reset`: looking after the database files.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::{StateInfo, StateStore, TableCount, sidecar};
use crate::error::{Error, Result};

impl StateStore {
    /// Path, size, schema version and row counts, for `rsspot state info`.
    pub async fn info(&self) -> Result<StateInfo> {
        let applied = retry_busy!(self, "read schema version", {
            self.applied_versions().await
        })?;
        let tables: Vec<String> = retry_busy!(self, "list tables", {
            sqlx::query_scalar::<_, String>(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name <> '_sqlx_migrations' \
                     ORDER BY name",
            )
            .fetch_all(&self.pool)
            .await
        })?;
        let mut counts = Vec::with_capacity(tables.len());
        for name in tables {
            // Identifiers cannot be bound; the name comes from sqlite_master and is quoted.
            let sql = format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\""));
            let rows: i64 = retry_busy!(self, "count rows", {
                sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql.clone()))
                    .fetch_one(&self.pool)
                    .await
            })?;
            counts.push(TableCount {
                name,
                rows: u64::try_from(rows).unwrap_or(0),
            });
        }
        let size_bytes = match &self.path {
            Some(path) => {
                let main = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
                let wal = std::fs::metadata(sidecar(path, "-wal"))
                    .map(|m| m.len())
                    .unwrap_or(0);
                main + wal
            }
            None => 0,
        };
        Ok(StateInfo {
            path: self.path.clone(),
            size_bytes,
            schema_version: applied.iter().copied().max().unwrap_or(0),
            latest_known_version: self.migrator.iter().map(|m| m.version).max().unwrap_or(0),
            tables: counts,
        })
    }

    /// Prunes expired cache rows, rebuilds the file to reclaim space and truncates the WAL.
    pub async fn vacuum(&self) -> Result<()> {
        self.cache_clear(true).await?;
        retry_busy!(write self, "vacuum", {
            sqlx::query("VACUUM").execute(&self.pool).await?;
            if self.path.is_some() {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&self.pool)
                    .await?;
            }
            Ok(())
        })
    }

    /// Moves `path` (and its `-wal`/`-shm` files) aside to `<path>.bak-<UTC timestamp>` and
    /// returns the new path of the database. Never deletes anything; the next open starts fresh.
    ///
    /// Only this file moves: the registration ledger lives in its own file
    /// ([`crate::state::ledger::LedgerStore::path_beside`]), which the CLI moves only when asked.
    pub fn reset(path: &Path) -> Result<PathBuf> {
        move_aside(path)
    }
}

/// Moves a sqlite file and its `-wal`/`-shm` files to `<path>.bak-<UTC timestamp>` (never over
/// an earlier backup) and returns the backup path.
pub(crate) fn move_aside(path: &Path) -> Result<PathBuf> {
    if !path.exists() {
        return Err(Error::io_message(path, "does not exist; nothing to reset"));
    }
    let backup = backup_name(path);
    std::fs::rename(path, &backup).map_err(|e| Error::io(path, e))?;
    for suffix in ["-wal", "-shm"] {
        let from = sidecar(path, suffix);
        if from.exists() {
            let to = sidecar(&backup, suffix);
            std::fs::rename(&from, &to).map_err(|e| Error::io(&from, e))?;
        }
    }
    Ok(backup)
}

/// A free `<path>.bak-<UTC timestamp>[-n]` name: never an earlier backup taken within the same
/// second.
pub(crate) fn backup_name(path: &Path) -> PathBuf {
    let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
    let base = format!("{}.bak-{stamp}", path.display());
    let mut backup = PathBuf::from(&base);
    let mut n = 1;
    while backup.exists() || sidecar(&backup, "-wal").exists() {
        backup = PathBuf::from(format!("{base}-{n}"));
        n += 1;
    }
    backup
}
