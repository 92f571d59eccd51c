//! The ledger's SQL for a shared PostgreSQL database: connecting, migrating, rows to records.
//!
//! Same operations as [`super::sqlite`], for ledgers several hosts share. What differs:
//! reads inside a write transaction lock the rows they return (`FOR UPDATE`), so two hosts
//! never both change one record from the same old version; `claimable` skips rows another
//! claimer holds (`FOR UPDATE SKIP LOCKED`), so claimers never wait on each other; and
//! lease times come from the database clock (`now()`), not from any one host.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection as _, PgConnection};

use super::model::{RegistrationEvent, RegistrationRecord, RegistrationStatus, Scan, SkippedRow};
use super::sql::{damaged, ledger_statements};
use super::{EventEntry, ListFilter};
use crate::error::{Error, Result};

/// The PostgreSQL ledger's migrations (`migrations/postgres/`). sqlx runs them under a
/// session advisory lock, so replicas starting together migrate once.
pub(crate) static PG_MIGRATOR: sqlx::migrate::Migrator =
    embedded_migrations!("migrations/postgres");

/// A PostgreSQL ledger: the pool and where it points, without the password.
#[derive(Clone)]
pub(crate) struct PgLedger {
    pool: PgPool,
    location: String,
    /// The bound on connecting, on waiting for a pooled connection and on one statement.
    timeout: Duration,
}

impl fmt::Debug for PgLedger {
    // The pool's own Debug prints its connect options, password included.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgLedger")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// `postgres://user@host:port/db` from the options: never the password.
fn location_of(opts: &PgConnectOptions) -> String {
    let host = opts.get_host();
    let db = opts.get_database().unwrap_or("");
    format!(
        "postgres://{}@{host}:{}/{db}",
        opts.get_username(),
        opts.get_port()
    )
}

/// Parses a ledger URL. The error never repeats the URL (it may hold a password).
pub(crate) fn parse_url(url: &SecretString) -> Result<PgConnectOptions> {
    let text = url.expose_secret().trim();
    if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
        return Err(Error::invalid(
            "ledger_url",
            "must start with postgres:// or postgresql:// (unset it to keep the embedded ledger)",
        ));
    }
    PgConnectOptions::from_str(text).map_err(|e| {
        Error::invalid(
            "ledger_url",
            format!(
                "is not a valid PostgreSQL URL ({}); expected \
                 postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=...]",
                redact_kind(&e)
            ),
        )
    })
}

/// The kind of a URL parse error, without its text (which may quote the URL).
fn redact_kind(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::Configuration(_) => "bad option",
        _ => "unreadable",
    }
}

impl PgLedger {
    /// Connects (a small pool) and runs the migrations under the advisory lock.
    ///
    /// Nothing waits longer than `timeout`: connecting and migrating together, a connection
    /// from the pool (`acquire_timeout`), and one statement (the server's `statement_timeout`);
    /// a database that accepts and never answers ends in [`Error::DeadlineExceeded`].
    pub(crate) async fn connect(
        url: &SecretString,
        max_connections: u32,
        timeout: Duration,
    ) -> Result<Self> {
        let opts = parse_url(url)?.options([(
            "statement_timeout",
            format!("{}", timeout.as_millis().clamp(1, i32::MAX as u128)),
        )]);
        let location = location_of(&opts);
        let first = tokio::time::timeout(timeout, async {
            // One direct connection first: a wrong host or password fails at once with the
            // server's answer (a pool would retry until its timeout), and it migrates.
            let mut first = PgConnection::connect_with(&opts)
                .await
                .map_err(|e| state_err(&location, timeout, "cannot connect", e))?;
            // `run_direct` because `run(&mut conn)` trips a Send-lifetime limitation of sqlx's
            // `Acquire`; same locking (a session advisory lock around every migration).
            PG_MIGRATOR
                .run_direct(None, &mut first, false)
                .await
                .map_err(|e| state_err(&location, timeout, "cannot migrate the schema", e))?;
            Ok::<_, Error>(first)
        })
        .await
        .map_err(|_| Error::DeadlineExceeded {
            url: location.clone(),
            after: timeout,
        })??;
        first.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(timeout)
            .connect_lazy_with(opts);
        Ok(PgLedger {
            pool,
            location,
            timeout,
        })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the ledger is, without the password.
    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// An [`Error::State`] naming the database (without its password), keeping `cause` as
    /// its source.
    pub(crate) fn err(
        &self,
        what: &str,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        state_err(&self.location, self.timeout, what, cause)
    }
}

/// An [`Error::State`] for `cause`, or [`Error::DeadlineExceeded`] when the cause is a wait
/// that ran out: the pool's acquire timeout, or a statement the server cancelled at its
/// `statement_timeout` (SQLSTATE 57014).
fn state_err(
    location: &str,
    timeout: Duration,
    what: &str,
    cause: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    if timed_out(&cause) {
        return Error::DeadlineExceeded {
            url: location.to_owned(),
            after: timeout,
        };
    }
    Error::state_caused(location, format_args!("registration ledger: {what}"), cause)
}

/// Whether `cause` (a sqlx error, possibly inside a migration error) is a time-out.
fn timed_out(cause: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(cause);
    while let Some(e) = next {
        if let Some(e) = e.downcast_ref::<sqlx::Error>() {
            match e {
                sqlx::Error::PoolTimedOut => return true,
                sqlx::Error::Database(db) if db.code().as_deref() == Some("57014") => return true,
                sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => return true,
                _ => {}
            }
        }
        next = e.source();
    }
    false
}

/// `FOR UPDATE` inside a write transaction, nothing outside one.
fn lock_clause(locking: bool) -> &'static str {
    if locking { " FOR UPDATE" } else { "" }
}

/// Claimers never wait on each other: rows another transaction holds are skipped.
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";

/// A `NULL` limit keeps every row.
const NO_LIMIT: Option<i64> = None;

/// Timestamps are `timestamptz`.
fn bind_time(t: DateTime<Utc>) -> DateTime<Utc> {
    t
}

fn err(db: &PgLedger, what: &str, cause: impl std::error::Error + Send + Sync + 'static) -> Error {
    db.err(what, cause)
}

fn damaged_err(db: &PgLedger, bad: &SkippedRow) -> Error {
    Error::state(db.location(), damaged(bad))
}

ledger_statements!(PgLedger, PgConnection);

/// The database clock (the transaction's start inside a transaction).
pub(crate) async fn now(db: &PgLedger, conn: &mut PgConnection) -> Result<DateTime<Utc>> {
    sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| db.err("cannot read the database clock", e))
}

/// Leases up to `n` claimable records to `owner` until the database's `now()` + `ttl` in one
/// statement (one round trip besides BEGIN/COMMIT): what `claimable` + `save` do, without
/// sending rows back and forth. `None` when a picked row does not decode: the transaction is
/// rolled back and the caller takes the general path, which skips and reports damaged rows.
pub(crate) async fn claim_leases(
    db: &PgLedger,
    n: u32,
    ttl: chrono::Duration,
    owner: &str,
) -> Result<Option<Vec<RegistrationRecord>>> {
    let micros = ttl
        .num_microseconds()
        .ok_or_else(|| Error::invalid("ttl", "is too long"))?;
    let mut tx = db
        .pool()
        .begin()
        .await
        .map_err(|e| db.err("cannot start a transaction", e))?;
    let returning = COLUMNS
        .split(", ")
        .map(|c| format!("r.{}", c.trim()))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "WITH picked AS (SELECT registration_key FROM registration_ledger WHERE {ACTIONABLE} \
           AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= now()) \
           ORDER BY attempts, first_seen, registration_key LIMIT $1 FOR UPDATE SKIP LOCKED) \
         UPDATE registration_ledger r SET lease_owner = $2, \
           lease_expires_at = now() + $3 * INTERVAL '1 microsecond', \
           attempts = LEAST(r.attempts + 1, 4294967295) \
         FROM picked WHERE r.registration_key = picked.registration_key RETURNING {returning}"
    )))
    .bind(i64::from(n))
    .bind(owner)
    .bind(micros)
    .fetch_all(&mut *tx)
    .await
    .map_err(|e| db.err("claim failed", e))?;
    let page = scan(&rows, decode_record);
    if !page.skipped.is_empty() {
        tx.rollback()
            .await
            .map_err(|e| db.err("rollback failed", e))?;
        return Ok(None);
    }
    tx.commit().await.map_err(|e| db.err("commit failed", e))?;
    let mut items = page.items;
    items.sort_by(|a, b| {
        (a.attempts, a.first_seen, &a.registration_key).cmp(&(
            b.attempts,
            b.first_seen,
            &b.registration_key,
        ))
    });
    Ok(Some(items))
}

/// Moves the event id sequence past every copied id, so new events never collide.
pub(crate) async fn bump_event_ids(db: &PgLedger, conn: &mut PgConnection) -> Result<()> {
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('registration_events', 'id'), \
         GREATEST((SELECT COALESCE(MAX(id), 0) FROM registration_events), 1))",
    )
    .execute(&mut *conn)
    .await
    .map_err(|e| db.err("cannot advance the event ids", e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_urls_never_echo_the_password() {
        let url = SecretString::from("postgres://u:hunter2-secret@h:notaport/db");
        let err = parse_url(&url).unwrap_err().to_string();
        assert!(!err.contains("hunter2-secret"), "{err}");
        assert!(err.contains("ledger_url"), "{err}");
        let err = parse_url(&SecretString::from("mysql://u:pw@h/db"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("postgres://"), "{err}");
    }

    #[test]
    fn location_has_no_password() {
        let opts = parse_url(&SecretString::from(
            "postgres://orch:hunter2-secret@db.internal:6543/ledger?sslmode=require",
        ))
        .expect("valid url");
        let loc = location_of(&opts);
        assert_eq!(loc, "postgres://orch@db.internal:6543/ledger");
    }
}
