//! Ledgers in other files: adopting the one earlier versions kept inside `state.db`, and
//! restoring a backup (a moved-aside `ledger.db` or `state.db`, or an export).
//!
//! Both attach the other file to one connection of the ledger, so rows move by SQL without
//! passing through the record model (a damaged row moves as it is and is reported by readers).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Connection as _;
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection};

use super::model::{RegistrationRecord, RegistrationStatus, check_payload};
use super::sql::COLUMNS;
use super::sqlite::{self, db_err};
use super::{EventEntry, LedgerStore};
use crate::error::{Error, Result};
use crate::state::StateStore;
use crate::state::maintenance::backup_name;

const EVENT_COPY: &str = "registration_key, at, actor, from_status, to_status, note";

/// What [`LedgerStore::adopt_from_state_db`] moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AdoptReport {
    /// Records copied into the ledger file.
    pub records: u64,
    /// Events copied with them.
    pub events: u64,
    /// Records whose key the ledger file already had (the ledger file's version is kept).
    pub kept_existing: u64,
}

/// Where [`LedgerStore::restore`] takes the ledger from.
#[derive(Debug, Clone, PartialEq)]
pub enum RestoreSource {
    /// A sqlite file holding ledger tables: a `ledger.db` backup, or a `state.db` (backup)
    /// from a version that kept the ledger there. Records and events are copied as they are.
    File(PathBuf),
    /// Records from an export (JSON lines); each gets a `restored` event.
    Records(Vec<RegistrationRecord>),
}

/// What [`LedgerStore::restore`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Records in the ledger now.
    pub records: u64,
    /// Events in the ledger now.
    pub events: u64,
    /// Records the ledger held before.
    pub replaced_records: u64,
    /// Where the ledger as it was before went (`None` in memory).
    pub previous_backup: Option<PathBuf>,
}

/// `path` as text for `ATTACH` (sqlite takes a file name, not bytes).
fn attach_name(path: &Path) -> Result<String> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| Error::io_message(path, "the path is not valid UTF-8"))
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

async fn count(conn: &mut SqliteConnection, sql: &str) -> std::result::Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Whether schema `db` of the connection has both ledger tables.
async fn has_ledger(
    conn: &mut SqliteConnection,
    db: &str,
) -> std::result::Result<bool, sqlx::Error> {
    let n = count(
        conn,
        &format!(
            "SELECT COUNT(*) FROM {db}.sqlite_master WHERE type = 'table' \
             AND name IN ('registration_ledger', 'registration_events')"
        ),
    )
    .await?;
    Ok(n == 2)
}

/// Runs `work` on a connection with `file` attached as `alias`, then detaches it; a connection
/// left in an unknown state by an error is closed instead of going back to the pool.
async fn with_attached(
    db: &StateStore,
    file: &Path,
    alias: &str,
) -> Result<(PoolConnection<Sqlite>, tokio::sync::OwnedMutexGuard<()>)> {
    let guard = db.writer.clone().lock_owned().await;
    let mut conn = db
        .pool()
        .acquire()
        .await
        .map_err(|e| db_err(db, "cannot connect", e))?;
    sqlx::query(sqlx::AssertSqlSafe(format!("ATTACH DATABASE ? AS {alias}")))
        .bind(attach_name(file)?)
        .execute(&mut *conn)
        .await
        .map_err(|e| db_err(db, &format!("cannot open {}", file.display()), e))?;
    Ok((conn, guard))
}

async fn finish<T>(mut conn: PoolConnection<Sqlite>, alias: &str, result: Result<T>) -> Result<T> {
    if result.is_ok() {
        let detached = sqlx::query(sqlx::AssertSqlSafe(format!("DETACH DATABASE {alias}")))
            .execute(&mut *conn)
            .await;
        if detached.is_ok() {
            return result;
        }
    }
    let _ = conn.close().await;
    result
}

impl LedgerStore {
    /// Moves a ledger that an earlier rsspot kept inside `state_path` into this ledger.
    ///
    /// Records this ledger lacks are copied with their events in one transaction; records it
    /// already has keep this ledger's version. Afterwards the ledger tables are dropped from
    /// `state_path`, so `state reset` can never move a ledger aside again and a restored ledger
    /// is not refilled from stale rows. Idempotent; a `state_path` without ledger tables (or
    /// that does not exist) is left alone, and so is every `state_path` for a PostgreSQL ledger
    /// (move a local ledger there with [`LedgerStore::copy_into`]).
    pub async fn adopt_from_state_db(&self, state_path: &Path) -> Result<AdoptReport> {
        let Some(db) = self.embedded() else {
            return Ok(AdoptReport::default());
        };
        if !state_path.exists() || db.path().is_some_and(|own| same_file(own, state_path)) {
            return Ok(AdoptReport::default());
        }
        let (mut conn, _guard) = with_attached(db, state_path, "legacy").await?;
        let result = adopt_on(db, &mut conn, state_path).await;
        finish(conn, "legacy", result).await
    }

    /// Replaces the whole ledger (records and events) with `source`, atomically: readers and
    /// other writers see the old ledger or the new one, never a mix. The ledger as it was is
    /// first copied to `<ledger>.bak-<timestamp>` (0600), which `restore` accepts in turn.
    /// Embedded ledgers only: a shared PostgreSQL ledger is backed up and restored with the
    /// database's own tools, or fed with `import`.
    pub async fn restore(&self, source: RestoreSource, actor: &str) -> Result<RestoreReport> {
        let Some(db) = self.embedded() else {
            return Err(Error::invalid(
                "ledger_url",
                "restore replaces an embedded ledger file; a PostgreSQL ledger is restored \
                 with pg_restore, or fed records by an import",
            ));
        };
        match source {
            RestoreSource::File(file) => {
                if !file.is_file() {
                    return Err(Error::io_message(&file, "no such file"));
                }
                if db.path().is_some_and(|own| same_file(own, &file)) {
                    return Err(Error::invalid(
                        "BACKUP",
                        "is the ledger itself; name a backup file",
                    ));
                }
                let (mut conn, _guard) = with_attached(db, &file, "src").await?;
                let result = restore_on(db, &mut conn, Some(&file), &[], actor).await;
                finish(conn, "src", result).await
            }
            RestoreSource::Records(records) => {
                for rec in &records {
                    if rec.registration_key.trim().is_empty() || rec.vm_uid.trim().is_empty() {
                        return Err(Error::invalid(
                            "BACKUP",
                            "a record has an empty registration_key or vm_uid",
                        ));
                    }
                    check_payload(&rec.payload).map_err(|e| {
                        Error::invalid("BACKUP", format!("{}: {e}", rec.registration_key))
                    })?;
                }
                let _guard = db.writer.clone().lock_owned().await;
                let mut conn = db
                    .pool()
                    .acquire()
                    .await
                    .map_err(|e| db_err(db, "cannot connect", e))?;
                restore_on(db, &mut conn, None, &records, actor).await
            }
        }
    }
}

async fn adopt_on(
    db: &StateStore,
    conn: &mut SqliteConnection,
    state_path: &Path,
) -> Result<AdoptReport> {
    let err =
        |what: &str, e: sqlx::Error| db_err(db, &format!("{what} ({})", state_path.display()), e);
    if !has_ledger(conn, "legacy")
        .await
        .map_err(|e| err("cannot read the old ledger", e))?
    {
        return Ok(AdoptReport::default());
    }
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|e| err("cannot start a transaction", e))?;
    let report = async {
        sqlx::query(
            "CREATE TEMP TABLE IF NOT EXISTS ledger_moving (registration_key TEXT PRIMARY KEY)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM temp.ledger_moving")
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO temp.ledger_moving SELECT registration_key FROM legacy.registration_ledger \
             WHERE registration_key NOT IN (SELECT registration_key FROM main.registration_ledger)",
        )
        .execute(&mut *tx)
        .await?;
        let total = count(&mut tx, "SELECT COUNT(*) FROM legacy.registration_ledger").await?;
        let records = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO main.registration_ledger ({COLUMNS}) SELECT {COLUMNS} \
             FROM legacy.registration_ledger \
             WHERE registration_key IN (SELECT registration_key FROM temp.ledger_moving)"
        )))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let events = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO main.registration_events ({EVENT_COPY}) SELECT {EVENT_COPY} \
             FROM legacy.registration_events \
             WHERE registration_key IN (SELECT registration_key FROM temp.ledger_moving) \
             ORDER BY id"
        )))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        Ok::<_, sqlx::Error>(AdoptReport {
            records,
            events,
            kept_existing: total.saturating_sub(records),
        })
    }
    .await
    .map_err(|e| err("cannot move the old ledger", e))?;
    tx.commit()
        .await
        .map_err(|e| err("cannot move the old ledger", e))?;
    // Only once the copy is committed: dropping first could lose the ledger in a crash. A
    // failure here is harmless (the next adoption copies nothing and tries again).
    if let Ok(mut tx) = conn.begin_with("BEGIN IMMEDIATE").await {
        let dropped = async {
            sqlx::query("DROP TABLE legacy.registration_events")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DROP TABLE legacy.registration_ledger")
                .execute(&mut *tx)
                .await?;
            Ok::<_, sqlx::Error>(())
        }
        .await;
        if dropped.is_ok() {
            let _ = tx.commit().await;
        }
    }
    Ok(report)
}

/// Attempts at taking a consistent backup while other processes keep writing.
const RESTORE_ATTEMPTS: u32 = 5;

async fn data_version(conn: &mut SqliteConnection) -> std::result::Result<i64, sqlx::Error> {
    sqlx::query_scalar("PRAGMA data_version")
        .fetch_one(&mut *conn)
        .await
}

async fn restore_on(
    db: &StateStore,
    conn: &mut SqliteConnection,
    file: Option<&Path>,
    records: &[RegistrationRecord],
    actor: &str,
) -> Result<RestoreReport> {
    let err = |what: &str, e: sqlx::Error| db_err(db, what, e);
    if let Some(file) = file
        && !has_ledger(conn, "src")
            .await
            .map_err(|e| err(&format!("cannot read {}", file.display()), e))?
    {
        return Err(Error::invalid(
            "BACKUP",
            format!(
                "{} holds no registration ledger (expected a ledger.db or state.db backup, or \
                 an export's JSON lines)",
                file.display()
            ),
        ));
    }
    for _ in 0..RESTORE_ATTEMPTS {
        let before = data_version(conn)
            .await
            .map_err(|e| err("cannot read", e))?;
        let previous_backup = match db.path() {
            Some(path) => {
                let backup = backup_name(path);
                crate::state::create_private_file(&backup)?;
                sqlx::query("VACUUM main INTO ?")
                    .bind(attach_name(&backup)?)
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| err("cannot back up the ledger before restoring", e))?;
                Some(backup)
            }
            None => None,
        };
        let mut tx = conn
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(|e| err("cannot start a transaction", e))?;
        let after = data_version(&mut tx)
            .await
            .map_err(|e| err("cannot read", e))?;
        if before != after {
            // Another process wrote between the backup and the lock: the backup is stale.
            drop(tx);
            if let Some(stale) = &previous_backup {
                let _ = std::fs::remove_file(stale);
            }
            continue;
        }
        let replaced_records = count(&mut tx, "SELECT COUNT(*) FROM main.registration_ledger")
            .await
            .map_err(|e| err("cannot read", e))?;
        let wipe = async {
            sqlx::query("DELETE FROM main.registration_events")
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM main.registration_ledger")
                .execute(&mut *tx)
                .await?;
            if file.is_some() {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO main.registration_ledger ({COLUMNS}) SELECT {COLUMNS} \
                     FROM src.registration_ledger"
                )))
                .execute(&mut *tx)
                .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO main.registration_events ({EVENT_COPY}) SELECT {EVENT_COPY} \
                     FROM src.registration_events \
                     WHERE registration_key IN (SELECT registration_key FROM main.registration_ledger) \
                     ORDER BY id"
                )))
                .execute(&mut *tx)
                .await?;
            }
            Ok::<_, sqlx::Error>(())
        };
        wipe.await.map_err(|e| err("restore failed", e))?;
        let now: DateTime<Utc> = db.now();
        for rec in records {
            sqlite::write(db, &mut tx, rec, true).await?;
            let event = EventEntry {
                key: &rec.registration_key,
                at: now,
                actor,
                from: None::<RegistrationStatus>,
                to: rec.status,
                note: Some("restored"),
            };
            sqlite::log_event(db, &mut tx, &event).await?;
        }
        let records = count(&mut tx, "SELECT COUNT(*) FROM main.registration_ledger")
            .await
            .map_err(|e| err("cannot read", e))?;
        let events = count(&mut tx, "SELECT COUNT(*) FROM main.registration_events")
            .await
            .map_err(|e| err("cannot read", e))?;
        tx.commit().await.map_err(|e| err("commit failed", e))?;
        return Ok(RestoreReport {
            records,
            events,
            replaced_records,
            previous_backup,
        });
    }
    Err(db.error("registration ledger: other processes kept writing; restore again"))
}
