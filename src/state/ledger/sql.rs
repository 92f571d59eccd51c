//! The ledger's SQL, written once for both backends.
//!
//! The statements use `$N` placeholders, which PostgreSQL and sqlx's SQLite driver both bind by
//! number, and only portable SQL (`CAST(.. AS TEXT)`, `ON CONFLICT .. DO ..`). What differs
//! between the backends is small and each backend module supplies it to
//! [`ledger_statements!`]: how a timestamp is bound (RFC 3339 text in the file, `timestamptz`
//! on PostgreSQL), the value that means "no limit", the row locks PostgreSQL takes inside a
//! write transaction, and how an error names the database. Rows are read back through
//! [`LedgerRow`], so one decoder serves both.

use chrono::{DateTime, Utc};
use sqlx::Row;
#[cfg(feature = "postgres")]
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::model::{RegistrationEvent, RegistrationRecord, RegistrationStatus, Scan, SkippedRow};
use super::model::{normalise_payload, parse_ts};
use crate::error::{Error, Result};

/// The ledger table's columns, in the order of the insert's placeholders.
pub(crate) const COLUMNS: &str = "registration_key, vm_uid, vm_name, org_id, vmcloudspace, \
     vmpool, omni_cluster, status, token_id, token_expires_at, last_error, payload_json, \
     attempts, first_seen, updated_at, status_times_json, lease_owner, lease_expires_at";

pub(super) const EVENT_COLUMNS: &str =
    "id, registration_key, at, actor, from_status, to_status, note";

/// The statuses the workflow still acts on.
pub(super) const ACTIONABLE: &str =
    "status IN ('discovered', 'token_issued', 'submitted', 'failed')";

/// Every column but the key takes the new row's value.
pub(super) const UPSERT: &str = "ON CONFLICT (registration_key) DO UPDATE SET \
     vm_uid = excluded.vm_uid, vm_name = excluded.vm_name, org_id = excluded.org_id, \
     vmcloudspace = excluded.vmcloudspace, vmpool = excluded.vmpool, \
     omni_cluster = excluded.omni_cluster, status = excluded.status, \
     token_id = excluded.token_id, token_expires_at = excluded.token_expires_at, \
     last_error = excluded.last_error, payload_json = excluded.payload_json, \
     attempts = excluded.attempts, first_seen = excluded.first_seen, \
     updated_at = excluded.updated_at, status_times_json = excluded.status_times_json, \
     lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at";

/// The message of a row that one read by key cannot decode.
pub(super) fn damaged(bad: &SkippedRow) -> String {
    format!(
        "registration ledger: registration {} is damaged: {} (replace it by \
         importing the record again)",
        bad.registration_key, bad.problem
    )
}

/// A record's two JSON columns, as stored.
pub(super) fn encode_json(
    rec: &RegistrationRecord,
) -> std::result::Result<(String, String), (&'static str, serde_json::Error)> {
    let payload = serde_json::to_string(&normalise_payload(&rec.payload))
        .map_err(|e| ("cannot encode payload", e))?;
    let times =
        serde_json::to_string(&rec.status_times).map_err(|e| ("cannot encode status times", e))?;
    Ok((payload, times))
}

/// Reading one column of a ledger row; errors are `"<column>: <why>"`.
pub(super) trait LedgerRow {
    /// A text column, `NULL` refused.
    fn text(&self, col: &str) -> std::result::Result<String, String>;
    /// A text column that may be `NULL`.
    fn opt_text(&self, col: &str) -> std::result::Result<Option<String>, String>;
    /// A timestamp column that may be `NULL`.
    fn opt_time(&self, col: &str) -> std::result::Result<Option<DateTime<Utc>>, String>;
    /// A timestamp column, `NULL` refused.
    fn time(&self, col: &str) -> std::result::Result<DateTime<Utc>, String>;
    /// An integer column.
    fn int(&self, col: &str) -> std::result::Result<i64, String>;
}

fn at<T, E: std::fmt::Display>(col: &str, r: std::result::Result<T, E>) -> Result<T, String> {
    r.map_err(|e| format!("{col}: {e}"))
}

/// Implements [`LedgerRow`] for a driver's row type; the backends differ only in how a
/// timestamp column is read (`opt_time`, `time`: functions of the row and the column).
macro_rules! ledger_row {
    ($row:ty, $opt_time:expr, $time:expr) => {
        impl LedgerRow for $row {
            fn text(&self, col: &str) -> std::result::Result<String, String> {
                at(col, self.try_get(col))
            }
            fn opt_text(&self, col: &str) -> std::result::Result<Option<String>, String> {
                at(col, self.try_get(col))
            }
            fn opt_time(&self, col: &str) -> std::result::Result<Option<DateTime<Utc>>, String> {
                $opt_time(self, col)
            }
            fn time(&self, col: &str) -> std::result::Result<DateTime<Utc>, String> {
                $time(self, col)
            }
            fn int(&self, col: &str) -> std::result::Result<i64, String> {
                at(col, self.try_get(col))
            }
        }
    };
}

// The embedded file stores timestamps as RFC 3339 text (see `super::ts`).
ledger_row!(
    SqliteRow,
    |row: &SqliteRow, col: &str| row
        .opt_text(col)?
        .map(|s| at(col, parse_ts(&s)))
        .transpose(),
    |row: &SqliteRow, col: &str| at(col, parse_ts(&row.text(col)?))
);
// PostgreSQL's are `timestamptz`.
#[cfg(feature = "postgres")]
ledger_row!(
    PgRow,
    |row: &PgRow, col: &str| at(col, row.try_get(col)),
    |row: &PgRow, col: &str| at(col, row.try_get(col))
);

/// The key of a row, as far as it can be read.
fn row_key(row: &impl LedgerRow) -> String {
    row.text("registration_key")
        .unwrap_or_else(|_| "<unreadable>".to_owned())
}

/// Decodes one ledger row; the error names the key and the column at fault.
pub(super) fn decode_record(
    row: &impl LedgerRow,
) -> std::result::Result<RegistrationRecord, SkippedRow> {
    let skipped = |problem: String| SkippedRow {
        registration_key: row_key(row),
        problem,
    };
    let status: RegistrationStatus = row
        .text("status")
        .map_err(skipped)?
        .parse()
        .map_err(|e: Error| skipped(format!("status: {e}")))?;
    let attempts = row.int("attempts").map_err(skipped)?;
    let payload = serde_json::from_str(&row.text("payload_json").map_err(skipped)?)
        .map_err(|e| skipped(format!("payload_json is not valid JSON: {e}")))?;
    let status_times = serde_json::from_str(&row.text("status_times_json").map_err(skipped)?)
        .map_err(|e| skipped(format!("status_times_json: {e}")))?;
    let text = |col: &str| row.text(col).map_err(skipped);
    let opt = |col: &str| row.opt_text(col).map_err(skipped);
    Ok(RegistrationRecord {
        registration_key: text("registration_key")?,
        vm_uid: text("vm_uid")?,
        vm_name: opt("vm_name")?,
        org_id: opt("org_id")?,
        vmcloudspace: opt("vmcloudspace")?,
        vmpool: opt("vmpool")?,
        omni_cluster: opt("omni_cluster")?,
        status,
        token_id: opt("token_id")?,
        token_expires_at: row.opt_time("token_expires_at").map_err(skipped)?,
        last_error: opt("last_error")?,
        payload,
        attempts: u32::try_from(attempts).map_err(|e| skipped(format!("attempts: {e}")))?,
        first_seen: row.time("first_seen").map_err(skipped)?,
        updated_at: row.time("updated_at").map_err(skipped)?,
        status_times,
        lease_owner: opt("lease_owner")?,
        lease_expires_at: row.opt_time("lease_expires_at").map_err(skipped)?,
    })
}

/// Decodes one event row.
pub(super) fn decode_event(
    row: &impl LedgerRow,
) -> std::result::Result<RegistrationEvent, SkippedRow> {
    let skipped = |problem: String| SkippedRow {
        registration_key: row_key(row),
        problem: format!("event: {problem}"),
    };
    let get = |c: &str| row.opt_text(c).map_err(skipped);
    let status = |c: &str, s: String| {
        s.parse::<RegistrationStatus>()
            .map_err(|e| skipped(format!("{c}: {e}")))
    };
    let to = get("to_status")?.ok_or_else(|| skipped("to_status: missing".into()))?;
    Ok(RegistrationEvent {
        id: row.int("id").map_err(skipped)?,
        registration_key: get("registration_key")?.unwrap_or_default(),
        at: row
            .opt_time("at")
            .map_err(skipped)?
            .ok_or_else(|| skipped("at: missing".into()))?,
        actor: get("actor")?.unwrap_or_default(),
        from: get("from_status")?
            .map(|s| status("from_status", s))
            .transpose()?,
        to: status("to_status", to)?,
        note: get("note")?,
    })
}

/// Decodes `rows`, setting aside those that do not decode.
pub(super) fn scan<R, T>(
    rows: &[R],
    decode: impl Fn(&R) -> std::result::Result<T, SkippedRow>,
) -> Scan<T> {
    let mut out = Scan::default();
    for row in rows {
        match decode(row) {
            Ok(item) => out.items.push(item),
            Err(bad) => out.skipped.push(bad),
        }
    }
    out
}

/// Defines, in the backend module that invokes it, the statements both backends share:
/// `load_row`, `load`, `exists`, `list`, `claimable`, `events`, `write`, `log_event` and
/// `copy_event`, each taking the database handle (`$db`) for its errors and the connection or
/// transaction (`$conn`) it runs on.
///
/// The invoking module provides: `err(&$db, &str, impl std::error::Error) -> Error` (the cause
/// kept as the source),
/// `damaged_err(&$db, &SkippedRow) -> Error`, `bind_time(DateTime<Utc>)` (the bound form of a
/// timestamp), `NO_LIMIT: Option<i64>` (a `LIMIT` that keeps every row), `lock_clause(bool)`
/// (appended to reads inside a write transaction) and `SKIP_LOCKED` (appended to the claim).
macro_rules! ledger_statements {
    ($db:ty, $conn:ty) => {
        use $crate::state::ledger::sql::{
            ACTIONABLE, COLUMNS, EVENT_COLUMNS, UPSERT, decode_event, decode_record, encode_json,
            scan,
        };

        /// One row by key, decoded or with what is wrong with it.
        pub(crate) async fn load_row(
            db: &$db,
            conn: &mut $conn,
            key: &str,
            locking: bool,
        ) -> Result<Option<std::result::Result<RegistrationRecord, SkippedRow>>> {
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM registration_ledger WHERE registration_key = $1{}",
                lock_clause(locking)
            )))
            .bind(key)
            .fetch_optional(&mut *conn)
            .await
            .map_err(|e| err(db, "read failed", e))?;
            Ok(row.map(|r| decode_record(&r)))
        }

        /// One record by key; a damaged row is an error naming the key and the problem.
        pub(crate) async fn load(
            db: &$db,
            conn: &mut $conn,
            key: &str,
            locking: bool,
        ) -> Result<Option<RegistrationRecord>> {
            load_row(db, conn, key, locking)
                .await?
                .map(|r| r.map_err(|bad| damaged_err(db, &bad)))
                .transpose()
        }

        /// Whether a row with `key` exists, readable or not.
        pub(crate) async fn exists(db: &$db, conn: &mut $conn, key: &str) -> Result<bool> {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM registration_ledger WHERE registration_key = $1",
            )
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| err(db, "read failed", e))?;
            Ok(n > 0)
        }

        /// Records matching `filter`, damaged rows skipped.
        pub(crate) async fn list(
            db: &$db,
            conn: &mut $conn,
            filter: &ListFilter,
            locking: bool,
        ) -> Result<Scan<RegistrationRecord>> {
            let limit = if filter.limit == 0 {
                NO_LIMIT
            } else {
                Some(i64::from(filter.limit))
            };
            let order = if filter.oldest_first {
                "first_seen, registration_key"
            } else {
                "updated_at DESC, registration_key"
            };
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM registration_ledger \
                 WHERE (CAST($1 AS TEXT) IS NULL OR status = $1) ORDER BY {order} LIMIT $2{}",
                lock_clause(locking)
            )))
            .bind(filter.status.map(RegistrationStatus::as_str))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| err(db, "read failed", e))?;
            Ok(scan(&rows, decode_record))
        }

        /// Up to `n` actionable records whose lease is free at `now`, fewest attempts then
        /// oldest first; damaged rows are skipped (and do not count towards `n`). On
        /// PostgreSQL the rows are locked for this transaction and rows another transaction
        /// holds are skipped, not waited for.
        pub(crate) async fn claimable(
            db: &$db,
            conn: &mut $conn,
            now: DateTime<Utc>,
            n: u32,
        ) -> Result<Scan<RegistrationRecord>> {
            let mut out = Scan::default();
            let mut offset: i64 = 0;
            loop {
                let want = i64::from(n) - i64::try_from(out.items.len()).unwrap_or(i64::MAX);
                if want <= 0 {
                    break;
                }
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM registration_ledger WHERE {ACTIONABLE} \
                       AND (lease_owner IS NULL OR lease_expires_at IS NULL \
                            OR lease_expires_at <= $1) \
                     ORDER BY attempts, first_seen, registration_key LIMIT $2 OFFSET $3\
                     {SKIP_LOCKED}"
                )))
                .bind(bind_time(now))
                .bind(want)
                .bind(offset)
                .fetch_all(&mut *conn)
                .await
                .map_err(|e| err(db, "claim failed", e))?;
                let fetched = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                let page = scan(&rows, decode_record);
                out.items.extend(page.items);
                out.skipped.extend(page.skipped);
                if fetched < want {
                    break;
                }
                // Rows already taken still match (they are saved later); skip past them.
                offset += fetched;
            }
            Ok(out)
        }

        /// The most recent `limit` events (all when 0), of one record or of all, oldest first.
        pub(crate) async fn events(
            db: &$db,
            conn: &mut $conn,
            key: Option<&str>,
            limit: u32,
        ) -> Result<Scan<RegistrationEvent>> {
            let limit = if limit == 0 {
                NO_LIMIT
            } else {
                Some(i64::from(limit))
            };
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {EVENT_COLUMNS} FROM registration_events \
                 WHERE (CAST($1 AS TEXT) IS NULL OR registration_key = $1) \
                 ORDER BY id DESC LIMIT $2"
            )))
            .bind(key)
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| err(db, "cannot read events", e))?;
            let mut out = scan(&rows, decode_event);
            out.items.reverse();
            Ok(out)
        }

        /// Inserts or replaces a record (`replace`), or inserts it only when the key is new;
        /// returns whether a row was written.
        pub(crate) async fn write(
            db: &$db,
            conn: &mut $conn,
            rec: &RegistrationRecord,
            replace: bool,
        ) -> Result<bool> {
            let (payload, times) = encode_json(rec).map_err(|(what, e)| err(db, what, e))?;
            let tail = if replace {
                UPSERT
            } else {
                "ON CONFLICT (registration_key) DO NOTHING"
            };
            let done = sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO registration_ledger ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
                 $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) {tail}"
            )))
            .bind(&rec.registration_key)
            .bind(&rec.vm_uid)
            .bind(&rec.vm_name)
            .bind(&rec.org_id)
            .bind(&rec.vmcloudspace)
            .bind(&rec.vmpool)
            .bind(&rec.omni_cluster)
            .bind(rec.status.as_str())
            .bind(&rec.token_id)
            .bind(rec.token_expires_at.map(bind_time))
            .bind(&rec.last_error)
            .bind(payload)
            .bind(i64::from(rec.attempts))
            .bind(bind_time(rec.first_seen))
            .bind(bind_time(rec.updated_at))
            .bind(times)
            .bind(&rec.lease_owner)
            .bind(rec.lease_expires_at.map(bind_time))
            .execute(&mut *conn)
            .await
            .map_err(|e| err(db, "write failed", e))?;
            Ok(done.rows_affected() > 0)
        }

        /// Appends one event.
        pub(crate) async fn log_event(
            db: &$db,
            conn: &mut $conn,
            event: &EventEntry<'_>,
        ) -> Result<()> {
            sqlx::query(
                "INSERT INTO registration_events (registration_key, at, actor, from_status, \
                 to_status, note) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(event.key)
            .bind(bind_time(event.at))
            .bind(event.actor)
            .bind(event.from.map(RegistrationStatus::as_str))
            .bind(event.to.as_str())
            .bind(event.note)
            .execute(&mut *conn)
            .await
            .map_err(|e| err(db, "cannot append event", e))?;
            Ok(())
        }

        /// The newest applied migration's version.
        pub(crate) async fn schema_version(db: &$db, conn: &mut $conn) -> Result<Option<i64>> {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&mut *conn)
                .await
                .map_err(|e| err(db, "cannot read the schema version", e))
        }

        /// Copies an event with its id (moving a ledger over); an id already present is left
        /// alone. Returns whether it was written.
        pub(crate) async fn copy_event(
            db: &$db,
            conn: &mut $conn,
            event: &RegistrationEvent,
        ) -> Result<bool> {
            let done = sqlx::query(
                "INSERT INTO registration_events (id, registration_key, at, actor, from_status, \
                 to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(event.id)
            .bind(&event.registration_key)
            .bind(bind_time(event.at))
            .bind(&event.actor)
            .bind(event.from.map(RegistrationStatus::as_str))
            .bind(event.to.as_str())
            .bind(&event.note)
            .execute(&mut *conn)
            .await
            .map_err(|e| err(db, "cannot copy event", e))?;
            Ok(done.rows_affected() > 0)
        }
    };
}
pub(super) use ledger_statements;
