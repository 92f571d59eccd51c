//! Runtime state in `state.db` (sqlite through sqlx): preferences, HTTP cache, token cache,
//! command history and the registration ledger.
//!
//! One [`StateStore`] wraps a `SqlitePool` opened with WAL, a busy timeout and foreign keys, and
//! runs the embedded migrations in `migrations/` on open. The submodules own one table family each:
//! [`cache`] (`http_cache`), [`tokens`] (`tokens`), [`history`] (`command_history`); preferences
//! live here. [`redact`] holds the argv/text redaction used before history is written.
//!
//! # Location and file safety
//! The file is created with mode 0600 inside a directory created with mode 0700. When the
//! configuration does not name a `state_path`, [`StateStore::default_path`] follows the XDG base
//! directory spec for *state* data (`$XDG_STATE_HOME/rsspot/state.db`, else
//! `~/.local/state/rsspot/state.db`): it is data the program learns between runs, which is neither
//! configuration nor a disposable cache.
//!
//! # Concurrency
//! Several processes may use one file at once. Every connection has a 30 s `busy_timeout`,
//! read-modify-write operations run in `BEGIN IMMEDIATE` transactions (so they take the write lock
//! up front instead of failing when upgrading a read lock), and the rare `SQLITE_BUSY` that sqlite
//! returns without waiting is retried with a short jittered backoff. Within one process, writers
//! (cache lookups included: they count hits and refresh LRU order) queue on an async lock shared
//! by every clone of the store, so concurrent tasks never wait in sqlite's sleeping busy handler.
//!
//! # Versions
//! A `state.db` whose `_sqlx_migrations` table lists a version this binary does not know was
//! written by a newer rsspot: it is refused with [`Error::State`] and never modified.

/// Runs an async block returning `Result<T, sqlx::Error>`, retrying it when sqlite reports
/// BUSY/LOCKED without waiting; other errors become [`Error::State`] prefixed with `$what`.
///
/// A macro rather than a closure-taking method: futures built from closures that return async
/// blocks borrowing their arguments are not `Send` for every lifetime, which would make every
/// store call unusable inside `tokio::spawn`.
macro_rules! retry_busy {
    // A write: tasks of this process queue on the store's writer lock instead of meeting each
    // other inside sqlite, whose busy handler sleeps in 1, 2, 5, 10 ms steps.
    (write $store:expr, $what:expr, { $($body:tt)* }) => {{
        let _writer = $store.writer.lock().await;
        retry_busy!($store, $what, { $($body)* })
    }};
    ($store:expr, $what:expr, { $($body:tt)* }) => {{
        let mut attempt: u32 = 0;
        loop {
            let result: ::std::result::Result<_, ::sqlx::Error> = async { $($body)* }.await;
            match result {
                Ok(value) => break Ok(value),
                Err(e) if $crate::state::is_busy(&e) && attempt < $crate::state::BUSY_RETRIES => {
                    attempt += 1;
                    $crate::state::backoff(attempt).await;
                }
                Err(e) => break Err($store.failed($what, e)),
            }
        }
    }};
}

// `embedded_migrations!("dir")`: `sqlx::migrate!` without sqlx's proc macros (see build.rs).
include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

pub mod cache;
pub mod history;
pub mod ledger;
pub(crate) mod maintenance;
mod prefs;
pub mod redact;
mod schema;
pub mod tokens;
mod watch;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};

pub use cache::{CacheKey, CacheStats, CachedResponse};
pub use history::{HistoryEntry, HistoryRow};
pub use tokens::{CachedToken, TOKEN_EXPIRY_MARGIN};

/// The embedded migrations of `state.db` (`migrations/`; subdirectories belong to other files).
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = embedded_migrations!("migrations");

/// How long a connection waits for another writer before sqlite reports `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Extra attempts after an immediate `SQLITE_BUSY`/`SQLITE_LOCKED` (the busy handler is not
/// consulted in every case, e.g. a WAL snapshot conflict or recovery).
pub(crate) const BUSY_RETRIES: u32 = 10;

/// The store's notion of "now"; replaceable so expiry can be tested without sleeping.
type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Handle on `state.db`. Cheap to clone.
#[derive(Clone)]
pub struct StateStore {
    pool: SqlitePool,
    path: Option<PathBuf>,
    /// The schema this file follows (`state.db`'s, or the ledger's for `ledger.db`).
    migrator: &'static sqlx::migrate::Migrator,
    clock: Clock,
    /// Serialises this process's writers (clones share it); other processes are met by sqlite's
    /// busy timeout.
    writer: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for StateStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// A write transaction that also holds the store's in-process writer lock
/// ([`StateStore::begin_write`]); derefs to the connection for queries.
pub(crate) struct WriteTransaction {
    tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTransaction {
    /// Commits, then releases the writer lock.
    pub(crate) async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTransaction {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTransaction {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

/// What `rsspot state info` shows.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StateInfo {
    /// The database file, or `None` for an in-memory store.
    pub path: Option<PathBuf>,
    /// Bytes on disk: the database file plus its `-wal` file (0 in memory).
    pub size_bytes: u64,
    /// The newest migration applied to this database (0 when none).
    pub schema_version: i64,
    /// The newest migration this binary knows.
    pub latest_known_version: i64,
    /// Row counts of every table except sqlx's bookkeeping, by name.
    pub tables: Vec<TableCount>,
}

/// One table's row count in [`StateInfo`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableCount {
    /// Table name.
    pub name: String,
    /// Number of rows.
    pub rows: u64,
}

impl StateStore {
    /// The default location of `state.db` when the configuration names none:
    /// `$XDG_STATE_HOME/rsspot/state.db` (`~/.local/state/rsspot/state.db`), or the platform's
    /// local data directory where there is no XDG state directory (macOS, Windows).
    pub fn default_path() -> Option<PathBuf> {
        dirs::state_dir()
            .or_else(dirs::data_local_dir)
            .map(|d| d.join("rsspot").join("state.db"))
    }

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    ///
    /// The directory is created 0700 and the file 0600 before sqlite touches it. Fails with
    /// [`Error::State`] when the file is not a usable database or was written by a newer rsspot.
    pub async fn open(path: &Path) -> Result<Self> {
        // One connection: the cache, token and history statements are short, writers queue on
        // one lock anyway, and sqlx hands a released connection back from a spawned task, so a
        // larger pool opens a second connection (the file, its WAL and shared memory, the
        // PRAGMAs) for the query right after the migration check, a cost every one-shot command
        // paid, `auth kube-token` (run by kubectl before each call) included.
        Self::open_with(path, &MIGRATOR, 1).await
    }

    /// [`Self::open`] for a database file following another schema (the ledger's `ledger.db`),
    /// with a pool of up to `connections`.
    pub(crate) async fn open_with(
        path: &Path,
        migrator: &'static sqlx::migrate::Migrator,
        connections: u32,
    ) -> Result<Self> {
        let state_err =
            |what: &str, e: sqlx::Error| Error::state_caused(path.display().to_string(), what, e);
        if let Some(dir) = path.parent() {
            crate::fsutil::create_private_dir(dir)?;
        }
        create_private_file(path)?;
        // An empty file is a database yet to be created: see `migrate`.
        let fresh = std::fs::metadata(path).is_ok_and(|m| m.len() == 0);
        // WAL is switched on by `migrate` (it persists in the file), not by the connection
        // options: sqlx would issue it before `synchronous`, i.e. with FULL syncs.
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| state_err("cannot open", e))?
            .filename(path)
            .create_if_missing(true)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let mut attempt = 0;
        let pool = loop {
            // Switching a fresh file to WAL needs an exclusive lock and may report BUSY at once
            // while another process does the same.
            match SqlitePoolOptions::new()
                .max_connections(connections)
                // A local file does not drop connections: no ping round trip to sqlite's
                // worker thread before every statement.
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await
            {
                Ok(pool) => break pool,
                Err(e) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                Err(e) => return Err(state_err("cannot open", e)),
            }
        };
        crate::fsutil::set_private(path)?;
        let store = StateStore {
            pool,
            path: Some(path.to_path_buf()),
            migrator,
            clock: Arc::new(Utc::now),
            writer: Arc::default(),
        };
        if let Err(e) = store.migrate(fresh).await {
            store.pool.close().await;
            return Err(e);
        }
        Ok(store)
    }

    /// Opens `path`, or falls back to an in-memory store when the file cannot be used.
    ///
    /// The second value is a one-line warning for the user when the fallback happened: it names
    /// the path and how to recover (`rsspot state reset`). Read-only commands keep working;
    /// nothing is written to the unusable file.
    pub async fn open_or_degrade(path: &Path) -> (StateStore, Option<String>) {
        match Self::open(path).await {
            Ok(store) => (store, None),
            Err(err) => {
                let mut warning = format!(
                    "warning: {err}; using temporary in-memory state for this run (run `rsspot state reset` to move {} aside)",
                    path.display()
                );
                let store = match Self::in_memory().await {
                    Ok(store) => store,
                    Err(e) => {
                        // Practically unreachable; keep going with a store whose calls will fail.
                        warning.push_str(&format!("; in-memory state failed too: {e}"));
                        Self::lazy_memory(&MIGRATOR)
                    }
                };
                (store, Some(one_line(&warning)))
            }
        }
    }

    /// An in-memory store (tests, or when `state.db` cannot be used).
    pub async fn in_memory() -> Result<Self> {
        Self::in_memory_with(&MIGRATOR).await
    }

    /// [`Self::in_memory`] following another schema.
    pub(crate) async fn in_memory_with(migrator: &'static sqlx::migrate::Migrator) -> Result<Self> {
        let store = Self::lazy_memory(migrator);
        store.migrate(false).await?;
        Ok(store)
    }

    fn lazy_memory(migrator: &'static sqlx::migrate::Migrator) -> Self {
        // The plain `:memory:` name rather than `in_memory(true)`: that sets SQLITE_OPEN_MEMORY
        // on the connection, which sqlite also applies to ATTACHed files (a ledger restored
        // from a file would read an empty in-memory database instead).
        let options = SqliteConnectOptions::new()
            .filename(":memory:")
            .in_memory(false)
            .foreign_keys(true);
        // One connection that is never recycled: every connection to `:memory:` is a separate
        // database, and closing the last one discards it.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_lazy_with(options);
        StateStore {
            pool,
            path: None,
            migrator,
            clock: Arc::new(Utc::now),
            writer: Arc::default(),
        }
    }

    /// Replaces the store's clock (expiry, timestamps). For tests and tools that need to control
    /// time; the default is the system clock.
    pub fn with_clock(mut self, now: impl Fn() -> DateTime<Utc> + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now);
        self
    }

    /// The store's current time.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The store's current time in Unix milliseconds (the unit of every stored timestamp).
    pub(crate) fn now_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// Closes every connection (pending writes are already committed). Later calls fail.
    ///
    /// Before closing, the write-ahead log is checkpointed into the database file (passively:
    /// it never waits for another process), so a closed file is self-contained even where the
    /// pool does not run sqlite's own checkpoint-on-close.
    pub async fn close(&self) {
        if self.path.is_some() {
            // Best effort: a busy checkpoint leaves the frames in the WAL, which stays valid.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&self.pool)
                .await;
        }
        self.pool.close().await;
    }

    /// Starts a `BEGIN IMMEDIATE` transaction holding this process's writer lock until it is
    /// committed or dropped, for modules that own their own tables.
    pub(crate) async fn begin_write(&self) -> std::result::Result<WriteTransaction, sqlx::Error> {
        let guard = self.writer.clone().lock_owned().await;
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        Ok(WriteTransaction { tx, _guard: guard })
    }

    /// The underlying pool, for modules that own their own tables.
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Builds an [`Error::State`] for this store.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::state(self.location(), message)
    }

    /// Builds an [`Error::State`] for this store: `what` failed because of `cause` (kept as
    /// the error's source).
    pub(crate) fn failed(
        &self,
        what: impl std::fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::state_caused(self.location(), what, cause)
    }

    /// The file, or `:memory:`.
    fn location(&self) -> String {
        self.path
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| ":memory:".into())
    }
}

/// True for `SQLITE_BUSY` and `SQLITE_LOCKED` (and their extended codes).
pub(crate) fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db
            .code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 5 | 6)),
        _ => false,
    }
}

pub(crate) async fn backoff(attempt: u32) {
    let base = 5u64 << attempt.min(5);
    let jitter = fastrand::u64(0..=base);
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

/// `path` with `suffix` appended to its file name (`state.db` → `state.db-wal`).
pub(crate) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Creates an empty file with mode 0600 if `path` does not exist, so the database is never
/// readable by others, not even between sqlite creating it and our chmod.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map(|_| ())
        .map_err(|e| Error::io(path, e))
}

/// Error text on one line (sqlite messages rarely contain newlines, but warnings must not).
pub(crate) fn one_line(e: &impl std::fmt::Display) -> String {
    e.to_string().replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn preferences_round_trip() {
        let store = StateStore::in_memory().await.unwrap();
        assert_eq!(store.pref_get("default_org").await.unwrap(), None);
        store.pref_set("default_org", "acme").await.unwrap();
        store.pref_set("default_org", "globex").await.unwrap();
        assert_eq!(
            store.pref_get("default_org").await.unwrap().as_deref(),
            Some("globex")
        );
        assert!(store.pref_delete("default_org").await.unwrap());
        assert!(!store.pref_delete("default_org").await.unwrap());
        assert_eq!(store.pref_get("default_org").await.unwrap(), None);
    }

    #[tokio::test]
    async fn info_reports_schema_and_tables() {
        let store = StateStore::in_memory().await.unwrap();
        store.pref_set("a", "b").await.unwrap();
        let info = store.info().await.unwrap();
        assert_eq!(info.path, None);
        assert_eq!(info.schema_version, info.latest_known_version);
        let prefs = info
            .tables
            .iter()
            .find(|t| t.name == "preferences")
            .unwrap();
        assert_eq!(prefs.rows, 1);
        for table in ["http_cache", "tokens", "command_history"] {
            assert!(info.tables.iter().any(|t| t.name == table), "{table}");
        }
        assert!(!info.tables.iter().any(|t| t.name == "_sqlx_migrations"));
    }

    /// `embedded_migrations!` must build what `sqlx::migrate!` would: sqlx's run-time resolver
    /// reads the same directories, and every field that reaches `_sqlx_migrations` or decides
    /// how a migration runs must match (a checksum mismatch would refuse existing databases).
    #[tokio::test]
    async fn embedded_migrations_match_sqlx_own_resolution() {
        let embedded = [
            ("migrations", &MIGRATOR),
            ("migrations/ledger", &ledger::LEDGER_MIGRATOR),
            #[cfg(feature = "postgres")]
            ("migrations/postgres", &ledger::PG_MIGRATOR),
        ];
        for (dir, ours) in embedded {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
            let theirs = sqlx::migrate::Migrator::new(path.as_path()).await.unwrap();
            let fields = |m: &sqlx::migrate::Migrator| -> Vec<_> {
                m.iter()
                    .map(|m| {
                        (
                            m.version,
                            m.description.to_string(),
                            m.migration_type,
                            m.sql.as_str().to_string(),
                            m.checksum.to_vec(),
                            m.no_tx,
                        )
                    })
                    .collect()
            };
            assert!(!fields(ours).is_empty(), "{dir}: no migrations embedded");
            assert_eq!(fields(ours), fields(&theirs), "{dir}");
            assert_eq!(
                (
                    ours.locking,
                    ours.no_tx,
                    ours.ignore_missing,
                    &ours.table_name
                ),
                (
                    theirs.locking,
                    theirs.no_tx,
                    theirs.ignore_missing,
                    &theirs.table_name
                ),
                "{dir}"
            );
        }
    }

    // Needs the store's own connections: an integration test cannot reach them.
    #[tokio::test]
    async fn fresh_file_ends_in_wal_with_normal_sync_on_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state").join("state.db");
        // Empty file: set up without syncs, then back to NORMAL. Four connections, as the
        // ledger's pool has (state.db's has one).
        let store = StateStore::open_with(&path, &MIGRATOR, 4).await.unwrap();
        let mut held = Vec::new();
        for _ in 0..4 {
            let mut conn = store.pool().acquire().await.unwrap();
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(
                (mode.as_str(), sync),
                ("wal", 1),
                "journal mode, synchronous=NORMAL"
            );
            held.push(conn);
        }
        drop(held);
        store.pref_set("k", "v").await.unwrap();
        store.close().await;
        // Reopening an existing file keeps its data and mode.
        let again = StateStore::open(&path).await.unwrap();
        assert_eq!(again.pref_get("k").await.unwrap().as_deref(), Some("v"));
        again.close().await;
    }

    #[test]
    fn sidecar_appends_to_file_name() {
        assert_eq!(
            sidecar(Path::new("/x/state.db"), "-wal"),
            PathBuf::from("/x/state.db-wal")
        );
    }

    #[tokio::test]
    async fn a_damaged_file_keeps_the_sqlite_error_as_the_source() {
        use std::error::Error as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        std::fs::write(&path, vec![7u8; 8192]).unwrap();
        let err = StateStore::open(&path).await.unwrap_err();
        assert!(matches!(err, Error::State { .. }), "{err:?}");
        let cause = err.source().expect("a source");
        assert!(cause.downcast_ref::<sqlx::Error>().is_some(), "{cause:?}");
    }

    #[test]
    fn one_line_collapses_newlines() {
        assert_eq!(one_line(&"a\nb\r\nc"), "a b  c");
    }
}
