//! Schema versions: WAL set-up, applying the embedded migrations under the write lock, and
//! refusing files written by a newer rsspot.

use super::{BUSY_RETRIES, StateStore, backoff, is_busy};
use crate::error::{Error, Result};

impl StateStore {
    /// Puts a file-backed database in WAL mode and applies pending migrations.
    ///
    /// A `fresh` (empty) file is set up with `synchronous = OFF`: creating it then costs no
    /// fsync (the WAL switch and the first WAL write would cost five, ≈ 3 ms, on every first
    /// run). Only a power loss within that first set-up could damage the new, still empty,
    /// file, and an unusable file is reported with its fix (`rsspot state reset`). Existing
    /// files, whose data matters, are migrated with the normal sync level.
    pub(super) async fn migrate(&self, fresh: bool) -> Result<()> {
        // One connection for the set-up, the check and the migration: a second acquire right
        // after the first connection's release would open another (sqlx returns connections
        // lazily).
        let mut conn = retry_busy!(self, "open", { self.pool.acquire().await })?;
        if self.path.is_none() {
            return self.migrate_on(&mut conn).await;
        }
        if fresh {
            retry_busy!(self, "set up", {
                sqlx::query("PRAGMA synchronous = OFF")
                    .execute(&mut *conn)
                    .await
            })?;
        }
        // Needs a moment of exclusive access on a new file: BUSY while another process does
        // the same is retried.
        let mut result = retry_busy!(self, "switch to WAL", {
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&mut *conn)
                .await
        })
        .map(|_| ());
        if result.is_ok() {
            result = self.migrate_on(&mut conn).await;
        }
        if fresh {
            // The connection returns to the pool: restore the level every connection uses.
            let restored = retry_busy!(self, "set up", {
                sqlx::query("PRAGMA synchronous = NORMAL")
                    .execute(&mut *conn)
                    .await
            });
            result = result.and(restored.map(|_| ()));
        }
        result
    }

    async fn migrate_on(&self, conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>) -> Result<()> {
        let known: Vec<i64> = self.migrator.iter().map(|m| m.version).collect();
        let applied = retry_busy!(self, "read schema version", {
            applied_versions_on(conn).await
        })?;
        self.refuse_unknown(&applied, &known)?;
        if known.iter().all(|v| applied.contains(v)) {
            return Ok(());
        }
        let mut attempt = 0;
        loop {
            match self.migrate_locked(conn, &known).await {
                Err(MigrateFailure::Sqlx(e)) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                Err(MigrateFailure::Sqlx(e)) => {
                    return Err(self.failed("migration failed", e));
                }
                Err(MigrateFailure::Migrate(e)) => {
                    return Err(self.failed("migration failed", e));
                }
                Err(MigrateFailure::Refused(e)) => return Err(e),
                Ok(()) => return Ok(()),
            }
        }
    }

    /// Applies pending migrations under the write lock, so concurrent first opens of one file
    /// serialise instead of racing on `CREATE TABLE`.
    async fn migrate_locked(
        &self,
        conn: &mut sqlx::SqliteConnection,
        known: &[i64],
    ) -> std::result::Result<(), MigrateFailure> {
        use sqlx::Connection as _;
        let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        // Re-check under the lock: another process may have migrated meanwhile.
        let applied = applied_versions_on(&mut tx).await?;
        self.refuse_unknown(&applied, known)
            .map_err(MigrateFailure::Refused)?;
        // `run_direct` instead of `run(&mut *tx)`: the latter's `Acquire` bound makes this
        // future non-`Send` (sqlx's own workaround for that inference limit).
        self.migrator
            .run_direct(None, &mut *tx, false)
            .await
            .map_err(MigrateFailure::Migrate)?;
        tx.commit().await?;
        Ok(())
    }

    pub(super) async fn applied_versions(&self) -> std::result::Result<Vec<i64>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        applied_versions_on(&mut conn).await
    }

    fn refuse_unknown(&self, applied: &[i64], known: &[i64]) -> Result<()> {
        let newest_known = known.iter().copied().max().unwrap_or(0);
        let unknown = applied.iter().copied().filter(|v| !known.contains(v)).max();
        match unknown {
            Some(version) => Err(self.error(format!(
                "was written by a newer rsspot (schema version {version}; this rsspot knows up to \
                 {newest_known}); it was not modified. Upgrade rsspot, or move it aside and start \
                 fresh"
            ))),
            None => Ok(()),
        }
    }
}

enum MigrateFailure {
    Sqlx(sqlx::Error),
    Migrate(sqlx::migrate::MigrateError),
    Refused(Error),
}

impl From<sqlx::Error> for MigrateFailure {
    fn from(e: sqlx::Error) -> Self {
        MigrateFailure::Sqlx(e)
    }
}

async fn applied_versions_on(
    conn: &mut sqlx::SqliteConnection,
) -> std::result::Result<Vec<i64>, sqlx::Error> {
    let exists: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await?;
    if exists == 0 {
        return Ok(Vec::new());
    }
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await
}
