//! Runtime state in `state.db` (sqlite through sqlx): preferences, HTTP cache, token cache,
//! command history and the registration ledger.
//!
//! One [`StateStore`] wraps a `SqlitePool` opened with WAL, a busy timeout and foreign keys, and
//! runs the embedded migrations in `migrations/` on open.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::error::{Error, Result};

/// The embedded migrations (`migrations/`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Handle on `state.db`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct StateStore {
    pool: SqlitePool,
    path: Option<PathBuf>,
}

impl StateStore {
    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    pub async fn open(path: &Path) -> Result<Self> {
        let state_err = |message: String| Error::State {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent() {
            crate::fsutil::create_private_dir(dir)?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| state_err(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(30))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(|e| state_err(format!("cannot open: {e}")))?;
        crate::fsutil::set_private(path)?;
        let store = StateStore {
            pool,
            path: Some(path.to_path_buf()),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// An in-memory store (tests, or when `state.db` cannot be used).
    pub async fn in_memory() -> Result<Self> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")
            .map_err(|e| Error::State {
                path: ":memory:".into(),
                message: e.to_string(),
            })?
            .foreign_keys(true);
        // One connection: every connection to `:memory:` is a separate database.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|e| Error::State {
                path: ":memory:".into(),
                message: e.to_string(),
            })?;
        let store = StateStore { pool, path: None };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> Result<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| self.error(format!("migration failed: {e}")))
    }

    /// The underlying pool, for modules that own their own tables.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The database file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Builds an [`Error::State`] for this store.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::State {
            path: self
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| ":memory:".into()),
            message: message.into(),
        }
    }
}
