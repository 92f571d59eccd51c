//! The registration ledger's storage: records, leases and the append-only event log.
//!
//! [`LedgerStore`] is the small typed API the registration workflow
//! ([`crate::workflows::RegistrationWorkflow`]) runs on: reads that skip damaged rows
//! ([`LedgerStore::list`], [`LedgerStore::events`]), and write transactions ([`LedgerTx`]) in
//! which the workflow loads, claims, saves and logs. The workflow owns the rules (transitions,
//! leases, merge patches); this module owns the SQL. Backends are variants of a private enum:
//! the embedded sqlite file (the default, no server needed) and a shared PostgreSQL database
//! ([`LedgerStore::connect`], selected by a `postgres://` `ledger_url`) for orchestrators
//! running on several hosts. Both keep the same records, transitions, leases and events.
//!
//! # One ledger, several hosts
//! On PostgreSQL, reads inside a write transaction lock what they read, claims skip the rows
//! another claimer holds (`FOR UPDATE SKIP LOCKED`), and [`LedgerTx::now`] is the database
//! clock, so a lease means the same instant on every host.
//!
//! # Its own file
//! The embedded ledger lives in `ledger.db` beside `state.db` ([`LedgerStore::path_beside`]),
//! not inside it. `state.db` holds what rsspot can rebuild (cache, history, cached tokens) and
//! `rsspot state reset` moves it aside when it is damaged; the ledger is an orchestrator's
//! durable record and must survive that, without being read out of a damaged file and without
//! orchestrators that hold it open writing into a file that was just moved. Ledgers written by
//! earlier versions inside `state.db` are moved over by [`LedgerStore::adopt_from_state_db`].

/// Runs the backend's statement `$f` on a connection from the pool.
macro_rules! on_conn {
    ($store:expr, $f:ident($($arg:expr),*)) => {
        match &$store.backend {
            Backend::Sqlite(db) => {
                let mut conn = db
                    .pool()
                    .acquire()
                    .await
                    .map_err(|e| sqlite::db_err(db, "cannot connect", e))?;
                sqlite::$f(db, &mut conn, $($arg),*).await
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => {
                let mut conn = $crate::state::ledger::pg_conn(db).await?;
                postgres::$f(db, &mut conn, $($arg),*).await
            }
        }
    };
}

/// Runs the backend's statement `$f` inside the write transaction.
macro_rules! on_tx {
    ($ledger_tx:expr, $f:ident($($arg:expr),*)) => {
        match &mut $ledger_tx.inner {
            TxBackend::Sqlite { db, tx } => sqlite::$f(db, tx, $($arg),*).await,
            #[cfg(feature = "postgres")]
            TxBackend::Postgres { db, tx } => postgres::$f(db, tx, $($arg),*).await,
        }
    };
}

mod legacy;
mod model;
#[cfg(feature = "postgres")]
mod postgres;
mod sql;
mod sqlite;
mod transfer;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use secrecy::SecretString;

#[cfg(feature = "postgres")]
use self::postgres::PgLedger;
pub use legacy::{AdoptReport, RestoreReport, RestoreSource};
pub use model::{
    MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH, RegistrationEvent, RegistrationRecord,
    RegistrationStatus, Scan, SkippedRow, check_payload,
};
pub(crate) use model::{normalise_payload, ts};
// For the check that the embedded migrations match sqlx's (src/state/mod.rs).
#[cfg(all(test, feature = "postgres"))]
pub(crate) use postgres::PG_MIGRATOR;
pub use transfer::{LedgerDigest, LedgerHealth, TransferReport};

use super::{StateStore, WriteTransaction};
use crate::error::{Error, Result};

/// The ledger file's migrations (`migrations/ledger/`).
pub(crate) static LEDGER_MIGRATOR: sqlx::migrate::Migrator =
    embedded_migrations!("migrations/ledger");

/// Which records [`LedgerStore::list`] returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only records in this status.
    pub status: Option<RegistrationStatus>,
    /// At most this many (0: all).
    pub limit: u32,
    /// Oldest first (`first_seen`) instead of most recently updated first.
    pub oldest_first: bool,
}

/// One event to append (see [`LedgerTx::log_event`]).
#[derive(Debug, Clone, Copy)]
pub struct EventEntry<'a> {
    /// The record concerned.
    pub key: &'a str,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it.
    pub actor: &'a str,
    /// Status before (`None` when the record was created).
    pub from: Option<RegistrationStatus>,
    /// Status after.
    pub to: RegistrationStatus,
    /// Free text.
    pub note: Option<&'a str>,
}

/// Handle on a registration ledger. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LedgerStore {
    backend: Backend,
}

#[derive(Debug, Clone)]
enum Backend {
    /// The embedded file, through the same sqlite plumbing as `state.db` (WAL, busy timeout,
    /// 0600, migrations, in-process writer lock).
    Sqlite(StateStore),
    /// A shared PostgreSQL database (its Debug prints no password).
    #[cfg(feature = "postgres")]
    Postgres(PgLedger),
}

/// Which kind of database a [`LedgerStore`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerBackend {
    /// The embedded sqlite file (`ledger.db`).
    Sqlite,
    /// A shared PostgreSQL database.
    Postgres,
}

/// A write transaction on the ledger: everything in it commits together or not at all, and
/// no other writer (in this process or another) runs meanwhile.
pub struct LedgerTx {
    inner: TxBackend,
}

enum TxBackend {
    Sqlite {
        db: StateStore,
        tx: WriteTransaction,
    },
    #[cfg(feature = "postgres")]
    Postgres {
        db: PgLedger,
        tx: sqlx::Transaction<'static, sqlx::Postgres>,
    },
}

#[cfg(feature = "postgres")]
/// Connections a PostgreSQL ledger opens per process: a CLI process runs one command at a time,
/// an SDK caller with many concurrent claimers passes more to [`LedgerStore::connect_with`].
const DEFAULT_PG_CONNECTIONS: u32 = 4;

impl LedgerStore {
    /// Where the embedded ledger lives for a given `state.db`: `ledger.db` in the same
    /// directory (`<stem>.ledger.db` when the state file is not called `state.db`, so two state
    /// files in one directory never share a ledger by accident).
    pub fn path_beside(state_path: &Path) -> PathBuf {
        let name = match state_path.file_stem().and_then(|s| s.to_str()) {
            Some("state") | None => "ledger.db".to_owned(),
            Some(stem) => format!("{stem}.ledger.db"),
        };
        state_path.with_file_name(name)
    }

    /// Moves the embedded ledger file at `path` (and its `-wal`/`-shm` files) to
    /// `<path>.bak-<UTC timestamp>`, which [`Self::restore`] accepts; returns the backup path.
    /// Processes that hold the ledger open keep writing to the moved file, so stop them first.
    pub fn move_aside(path: &Path) -> Result<PathBuf> {
        crate::state::maintenance::move_aside(path)
    }

    /// Opens (creating if needed, mode 0600) the embedded ledger at `path`.
    pub async fn open(path: &Path) -> Result<Self> {
        let db = StateStore::open_with(path, &LEDGER_MIGRATOR, 4).await?;
        Ok(LedgerStore {
            backend: Backend::Sqlite(db),
        })
    }

    /// A ledger in memory (tests, tools).
    pub async fn in_memory() -> Result<Self> {
        let db = StateStore::in_memory_with(&LEDGER_MIGRATOR).await?;
        Ok(LedgerStore {
            backend: Backend::Sqlite(db),
        })
    }

    /// Connects to a shared PostgreSQL ledger (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`,
    /// TLS through `sslmode`; a password missing from the URL comes from `PGPASSWORD` or
    /// `~/.pgpass`), creating or upgrading its schema under an advisory lock first.
    pub async fn connect(url: &SecretString) -> Result<Self> {
        #[cfg(not(feature = "postgres"))]
        const DEFAULT_PG_CONNECTIONS: u32 = 0;
        Self::connect_with(url, DEFAULT_PG_CONNECTIONS).await
    }

    /// [`Self::connect`] with a pool of up to `max_connections` (one per concurrent claimer).
    ///
    /// Built without the `postgres` feature, this is an [`Error::Config`] naming the feature:
    /// the URL is neither parsed nor contacted.
    pub async fn connect_with(url: &SecretString, max_connections: u32) -> Result<Self> {
        Self::connect_with_timeout(url, max_connections, crate::client::DEFAULT_REQUEST_TIMEOUT)
            .await
    }

    /// [`Self::connect_with`], waiting at most `timeout` for anything: connecting (with the
    /// migrations), a connection from the pool, one statement (the server's
    /// `statement_timeout`). A database that does not answer in time is an
    /// [`Error::DeadlineExceeded`]. The CLI passes its request timeout.
    pub async fn connect_with_timeout(
        url: &SecretString,
        max_connections: u32,
        timeout: std::time::Duration,
    ) -> Result<Self> {
        #[cfg(feature = "postgres")]
        {
            Ok(LedgerStore {
                backend: Backend::Postgres(PgLedger::connect(url, max_connections, timeout).await?),
            })
        }
        #[cfg(not(feature = "postgres"))]
        {
            let _ = (url, max_connections, timeout);
            Err(Error::config(
                "ledger_url names a PostgreSQL ledger, but this build of rsspot has no \
                 PostgreSQL support: enable the `postgres` feature of the rsspot crate (part of \
                 `cli`), or unset ledger_url to use the embedded ledger",
            ))
        }
    }

    /// Which kind of database this ledger uses.
    pub fn backend(&self) -> LedgerBackend {
        match &self.backend {
            Backend::Sqlite(_) => LedgerBackend::Sqlite,
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => LedgerBackend::Postgres,
        }
    }

    /// Where the ledger is, for people: the file, `:memory:`, or the database URL without
    /// its password.
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Sqlite(db) => db
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| ":memory:".into()),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.location().to_owned(),
        }
    }

    /// The embedded ledger's store, or `None` on PostgreSQL.
    pub(crate) fn embedded(&self) -> Option<&StateStore> {
        match &self.backend {
            Backend::Sqlite(db) => Some(db),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => None,
        }
    }

    /// The file, or `None` in memory or on PostgreSQL.
    pub fn path(&self) -> Option<&Path> {
        match &self.backend {
            Backend::Sqlite(db) => db.path(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => None,
        }
    }

    /// Closes every connection (committed writes are kept).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(db) => db.close().await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => db.pool().close().await,
        }
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<LedgerTx> {
        match &self.backend {
            Backend::Sqlite(db) => {
                let tx = db
                    .begin_write()
                    .await
                    .map_err(|e| sqlite::db_err(db, "cannot start a transaction", e))?;
                Ok(LedgerTx {
                    inner: TxBackend::Sqlite { db: db.clone(), tx },
                })
            }
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => {
                let tx = db
                    .pool()
                    .begin()
                    .await
                    .map_err(|e| db.err("cannot start a transaction", e))?;
                Ok(LedgerTx {
                    inner: TxBackend::Postgres { db: db.clone(), tx },
                })
            }
        }
    }

    /// The ledger's clock: the database's on PostgreSQL, this host's for the embedded file.
    pub async fn now(&self) -> Result<DateTime<Utc>> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(Utc::now()),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => {
                let mut conn = pg_conn(db).await?;
                postgres::now(db, &mut conn).await
            }
        }
    }

    /// Leases up to `n` claimable records to `owner` for `ttl` from the ledger's clock in one
    /// statement, where the backend can (PostgreSQL); `None` means "use [`LedgerTx::claimable`]
    /// and save": on the embedded file, or when a picked row is damaged.
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub async fn claim_leases(
        &self,
        n: u32,
        ttl: chrono::Duration,
        owner: &str,
    ) -> Result<Option<Vec<RegistrationRecord>>> {
        match &self.backend {
            Backend::Sqlite(_) => Ok(None),
            #[cfg(feature = "postgres")]
            Backend::Postgres(db) => postgres::claim_leases(db, n, ttl, owner).await,
        }
    }

    /// One record, or `None`; a damaged row is an error naming the key.
    pub async fn get(&self, key: &str) -> Result<Option<RegistrationRecord>> {
        on_conn!(self, load(key, false))
    }

    /// Records matching `filter`; damaged rows are skipped and reported.
    pub async fn list(&self, filter: &ListFilter) -> Result<Scan<RegistrationRecord>> {
        on_conn!(self, list(filter, false))
    }

    /// The most recent `limit` events (all when 0), of one record or of all, oldest first;
    /// damaged rows are skipped and reported.
    pub async fn events(&self, key: Option<&str>, limit: u32) -> Result<Scan<RegistrationEvent>> {
        on_conn!(self, events(key, limit))
    }
}

impl LedgerTx {
    /// One record by key (damaged: an error naming the key).
    pub async fn load(&mut self, key: &str) -> Result<Option<RegistrationRecord>> {
        on_tx!(self, load(key, true))
    }

    /// One row by key: the record, or the damage that keeps it from being read (so an import
    /// can replace a damaged row).
    pub async fn load_row(
        &mut self,
        key: &str,
    ) -> Result<Option<std::result::Result<RegistrationRecord, SkippedRow>>> {
        on_tx!(self, load_row(key, true))
    }

    /// Whether a row with `key` exists, readable or not.
    pub async fn exists(&mut self, key: &str) -> Result<bool> {
        on_tx!(self, exists(key))
    }

    /// Like [`Self::load`], but a missing record is [`Error::NotFound`].
    pub async fn load_existing(&mut self, key: &str) -> Result<RegistrationRecord> {
        self.load(key)
            .await?
            .ok_or_else(|| Error::not_found("registration", key))
    }

    /// Records matching `filter` (damaged rows skipped), read inside the transaction.
    pub async fn list(&mut self, filter: &ListFilter) -> Result<Scan<RegistrationRecord>> {
        on_tx!(self, list(filter, true))
    }

    /// Up to `n` actionable records whose lease is free at `now` (none held, or expired),
    /// fewest attempts then oldest first. Damaged rows are skipped and do not count.
    pub async fn claimable(
        &mut self,
        now: DateTime<Utc>,
        n: u32,
    ) -> Result<Scan<RegistrationRecord>> {
        on_tx!(self, claimable(now, n))
    }

    /// Inserts or replaces a record.
    pub async fn save(&mut self, rec: &RegistrationRecord) -> Result<()> {
        on_tx!(self, write(rec, true)).map(|_| ())
    }

    /// Appends an event.
    pub async fn log_event(&mut self, event: &EventEntry<'_>) -> Result<()> {
        on_tx!(self, log_event(event))
    }

    /// Commits (dropping the transaction instead rolls it back).
    pub async fn commit(self) -> Result<()> {
        match self.inner {
            TxBackend::Sqlite { db, tx } => tx
                .commit()
                .await
                .map_err(|e| sqlite::db_err(&db, "commit failed", e)),
            #[cfg(feature = "postgres")]
            TxBackend::Postgres { db, tx } => {
                tx.commit().await.map_err(|e| db.err("commit failed", e))
            }
        }
    }

    /// The ledger's clock for this transaction: on PostgreSQL the database's `now()` (the
    /// same instant on every host), on the embedded file this host's.
    pub async fn now(&mut self) -> Result<DateTime<Utc>> {
        match &mut self.inner {
            TxBackend::Sqlite { .. } => Ok(Utc::now()),
            #[cfg(feature = "postgres")]
            TxBackend::Postgres { db, tx } => postgres::now(db, tx).await,
        }
    }

    /// Inserts `rec` unless a row with its key exists (readable or not); returns whether it
    /// was inserted. Two hosts discovering one VM at once insert it once.
    pub async fn insert_new(&mut self, rec: &RegistrationRecord) -> Result<bool> {
        on_tx!(self, write(rec, false))
    }
}

#[cfg(feature = "postgres")]
async fn pg_conn(db: &PgLedger) -> Result<sqlx::pool::PoolConnection<sqlx::Postgres>> {
    db.pool()
        .acquire()
        .await
        .map_err(|e| db.err("cannot connect", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_lives_beside_state() {
        assert_eq!(
            LedgerStore::path_beside(Path::new("/x/rsspot/state.db")),
            PathBuf::from("/x/rsspot/ledger.db")
        );
        assert_eq!(
            LedgerStore::path_beside(Path::new("/x/other.db")),
            PathBuf::from("/x/other.ledger.db")
        );
    }
}
