//! The ledger's SQL for the embedded sqlite file.
//!
//! The statements are [`super::sql`]'s; this module says how the file differs: timestamps are
//! RFC 3339 text, a negative `LIMIT` means none, and no row locks (a write transaction holds
//! the whole file, `BEGIN IMMEDIATE`). Every function takes the connection (or transaction) it
//! runs on, so the caller decides the transaction boundaries.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use super::model::{RegistrationEvent, RegistrationRecord, RegistrationStatus, Scan, SkippedRow};
use super::sql::{damaged, ledger_statements};
use super::{EventEntry, ListFilter};
use crate::error::{Error, Result};
use crate::state::StateStore;

/// SQLite treats a negative `LIMIT` as "no limit".
const NO_LIMIT: Option<i64> = Some(-1);

/// No row locks: the write transaction already holds the file.
const SKIP_LOCKED: &str = "";

fn lock_clause(_locking: bool) -> &'static str {
    ""
}

/// Timestamps are stored as text that sorts in time order ([`super::ts`]).
fn bind_time(t: DateTime<Utc>) -> String {
    super::ts(t)
}

/// An [`Error::State`] on the ledger file, keeping `cause` as its source.
pub(crate) fn db_err(
    db: &StateStore,
    what: &str,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    db.failed(format_args!("registration ledger: {what}"), cause)
}

fn err(
    db: &StateStore,
    what: &str,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    db_err(db, what, cause)
}

fn damaged_err(db: &StateStore, bad: &SkippedRow) -> Error {
    db.error(damaged(bad))
}

ledger_statements!(StateStore, SqliteConnection);
