//! The ledger's SQL for a shared PostgreSQL database: connecting, migrating, rows to records.
//!
//! Same operations as [`super::sqlite`], for ledgers several hosts share. What differs:
//! reads inside a write transaction lock the rows they return (`FOR UPDATE`), so two hosts
//! never both change one record from the same old version; `claimable` skips rows another
//! claimer holds (`FOR UPDATE SKIP LOCKED`), so claimers never wait on each other; and
//! lease times come from the database clock (`now()`), not from any one host.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection as _, PgConnection, Row};

use super::model::{
    RegistrationEvent, RegistrationRecord, RegistrationStatus, Scan, SkippedRow, normalise_payload,
};
use super::{EventEntry, ListFilter};
use crate::error::{Error, Result};

/// The PostgreSQL ledger's migrations (`migrations/postgres/`). sqlx runs them under a
/// session advisory lock, so replicas starting together migrate once.
pub(crate) static PG_MIGRATOR: sqlx::migrate::Migrator =
    embedded_migrations!("migrations/postgres");

const COLUMNS: &str = "registration_key, vm_uid, vm_name, org_id, vmcloudspace, \
     vmpool, omni_cluster, status, token_id, token_expires_at, last_error, payload_json, \
     attempts, first_seen, updated_at, status_times_json, lease_owner, lease_expires_at";

const EVENT_COLUMNS: &str = "id, registration_key, at, actor, from_status, to_status, note";

const ACTIONABLE: &str = "status IN ('discovered', 'token_issued', 'submitted', 'failed')";

/// A PostgreSQL ledger: the pool and where it points, without the password.
#[derive(Clone)]
pub(crate) struct PgLedger {
    pool: PgPool,
    location: String,
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
    pub(crate) async fn connect(url: &SecretString, max_connections: u32) -> Result<Self> {
        let opts = parse_url(url)?;
        let location = location_of(&opts);
        // One direct connection first: a wrong host or password fails at once with the
        // server's answer (a pool would retry until its timeout), and it migrates.
        let mut first = PgConnection::connect_with(&opts)
            .await
            .map_err(|e| state_err(&location, "cannot connect", &e))?;
        // `run_direct` because `run(&mut conn)` trips a Send-lifetime limitation of sqlx's
        // `Acquire`; same locking (a session advisory lock around every migration).
        PG_MIGRATOR
            .run_direct(None, &mut first, false)
            .await
            .map_err(|e| state_err(&location, "cannot migrate the schema", &e))?;
        first.close().await.ok();
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(std::time::Duration::from_secs(30))
            .connect_lazy_with(opts);
        Ok(PgLedger { pool, location })
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Where the ledger is, without the password.
    pub(crate) fn location(&self) -> &str {
        &self.location
    }

    /// An [`Error::State`] naming the database (without its password).
    pub(crate) fn err(&self, what: &str, e: impl fmt::Display) -> Error {
        state_err(&self.location, what, &e)
    }
}

fn state_err(location: &str, what: &str, e: &impl fmt::Display) -> Error {
    Error::State {
        path: location.to_owned(),
        message: format!("registration ledger: {what}: {}", crate::state::one_line(e)),
    }
}

fn row_key(row: &PgRow) -> String {
    row.try_get::<String, _>("registration_key")
        .unwrap_or_else(|_| "<unreadable>".to_owned())
}

fn decode_record(row: &PgRow) -> std::result::Result<RegistrationRecord, SkippedRow> {
    let skipped = |problem: String| SkippedRow {
        registration_key: row_key(row),
        problem,
    };
    let get_s = |col: &str| {
        row.try_get::<String, _>(col)
            .map_err(|e| skipped(format!("{col}: {e}")))
    };
    let get_o = |col: &str| {
        row.try_get::<Option<String>, _>(col)
            .map_err(|e| skipped(format!("{col}: {e}")))
    };
    let get_t = |col: &str| {
        row.try_get::<Option<DateTime<Utc>>, _>(col)
            .map_err(|e| skipped(format!("{col}: {e}")))
    };
    let get_ts = |col: &str| {
        row.try_get::<DateTime<Utc>, _>(col)
            .map_err(|e| skipped(format!("{col}: {e}")))
    };
    let status: RegistrationStatus = get_s("status")?
        .parse()
        .map_err(|e: Error| skipped(format!("status: {e}")))?;
    let attempts: i64 = row
        .try_get("attempts")
        .map_err(|e| skipped(format!("attempts: {e}")))?;
    let payload = serde_json::from_str(&get_s("payload_json")?)
        .map_err(|e| skipped(format!("payload_json is not valid JSON: {e}")))?;
    let status_times = serde_json::from_str(&get_s("status_times_json")?)
        .map_err(|e| skipped(format!("status_times_json: {e}")))?;
    Ok(RegistrationRecord {
        registration_key: get_s("registration_key")?,
        vm_uid: get_s("vm_uid")?,
        vm_name: get_o("vm_name")?,
        org_id: get_o("org_id")?,
        vmcloudspace: get_o("vmcloudspace")?,
        vmpool: get_o("vmpool")?,
        omni_cluster: get_o("omni_cluster")?,
        status,
        token_id: get_o("token_id")?,
        token_expires_at: get_t("token_expires_at")?,
        last_error: get_o("last_error")?,
        payload,
        attempts: u32::try_from(attempts).map_err(|e| skipped(format!("attempts: {e}")))?,
        first_seen: get_ts("first_seen")?,
        updated_at: get_ts("updated_at")?,
        status_times,
        lease_owner: get_o("lease_owner")?,
        lease_expires_at: get_t("lease_expires_at")?,
    })
}

fn decode_event(row: &PgRow) -> std::result::Result<RegistrationEvent, SkippedRow> {
    let skipped = |problem: String| SkippedRow {
        registration_key: row_key(row),
        problem: format!("event: {problem}"),
    };
    let get = |c: &str| {
        row.try_get::<Option<String>, _>(c)
            .map_err(|e| skipped(format!("{c}: {e}")))
    };
    let status = |c: &str, s: String| {
        s.parse::<RegistrationStatus>()
            .map_err(|e| skipped(format!("{c}: {e}")))
    };
    let to = get("to_status")?.ok_or_else(|| skipped("to_status: missing".into()))?;
    Ok(RegistrationEvent {
        id: row.try_get("id").map_err(|e| skipped(format!("id: {e}")))?,
        registration_key: get("registration_key")?.unwrap_or_default(),
        at: row
            .try_get::<DateTime<Utc>, _>("at")
            .map_err(|e| skipped(format!("at: {e}")))?,
        actor: get("actor")?.unwrap_or_default(),
        from: get("from_status")?
            .map(|s| status("from_status", s))
            .transpose()?,
        to: status("to_status", to)?,
        note: get("note")?,
    })
}

fn scan<T>(
    rows: &[PgRow],
    decode: impl Fn(&PgRow) -> std::result::Result<T, SkippedRow>,
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

/// `FOR UPDATE` inside a write transaction, nothing outside one.
fn lock_clause(locking: bool) -> &'static str {
    if locking { " FOR UPDATE" } else { "" }
}

/// The database clock (the transaction's start inside a transaction).
pub(crate) async fn now(db: &PgLedger, conn: &mut PgConnection) -> Result<DateTime<Utc>> {
    sqlx::query_scalar("SELECT now()")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| db.err("cannot read the database clock", e))
}

/// One row by key, decoded or with what is wrong with it.
pub(crate) async fn load_row(
    db: &PgLedger,
    conn: &mut PgConnection,
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
    .map_err(|e| db.err("read failed", e))?;
    Ok(row.map(|r| decode_record(&r)))
}

/// One record by key; a damaged row is an error naming the key.
pub(crate) async fn load(
    db: &PgLedger,
    conn: &mut PgConnection,
    key: &str,
    locking: bool,
) -> Result<Option<RegistrationRecord>> {
    load_row(db, conn, key, locking)
        .await?
        .map(|r| {
            r.map_err(|bad| {
                db.err(
                    &format!("registration {} is damaged", bad.registration_key),
                    format!(
                        "{} (replace it with `rsspot registrations import`)",
                        bad.problem
                    ),
                )
            })
        })
        .transpose()
}

/// Whether a row with `key` exists, readable or not.
pub(crate) async fn exists(db: &PgLedger, conn: &mut PgConnection, key: &str) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM registration_ledger WHERE registration_key = $1")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| db.err("read failed", e))?;
    Ok(n > 0)
}

/// Records matching `filter`, damaged rows skipped.
pub(crate) async fn list(
    db: &PgLedger,
    conn: &mut PgConnection,
    filter: &ListFilter,
    locking: bool,
) -> Result<Scan<RegistrationRecord>> {
    let limit = (filter.limit > 0).then(|| i64::from(filter.limit));
    let order = if filter.oldest_first {
        "first_seen, registration_key"
    } else {
        "updated_at DESC, registration_key"
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registration_ledger \
         WHERE ($1::text IS NULL OR status = $1) ORDER BY {order} LIMIT $2{}",
        lock_clause(locking)
    )))
    .bind(filter.status.map(RegistrationStatus::as_str))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| db.err("read failed", e))?;
    Ok(scan(&rows, decode_record))
}

/// Up to `n` actionable records whose lease is free at `now`, locked for this transaction;
/// rows another transaction holds are skipped, not waited for.
pub(crate) async fn claimable(
    db: &PgLedger,
    conn: &mut PgConnection,
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
               AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= $1) \
             ORDER BY attempts, first_seen, registration_key LIMIT $2 OFFSET $3 \
             FOR UPDATE SKIP LOCKED"
        )))
        .bind(now)
        .bind(want)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| db.err("claim failed", e))?;
        let fetched = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let page = scan(&rows, decode_record);
        out.items.extend(page.items);
        out.skipped.extend(page.skipped);
        if fetched < want {
            break;
        }
        // Rows this transaction locked still match (they are saved later); skip past them.
        offset += fetched;
    }
    Ok(out)
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

/// The most recent `limit` events (all when 0), of one record or of all, oldest first.
pub(crate) async fn events(
    db: &PgLedger,
    conn: &mut PgConnection,
    key: Option<&str>,
    limit: u32,
) -> Result<Scan<RegistrationEvent>> {
    let limit = (limit > 0).then(|| i64::from(limit));
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM registration_events \
         WHERE ($1::text IS NULL OR registration_key = $1) ORDER BY id DESC LIMIT $2"
    )))
    .bind(key)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| db.err("cannot read events", e))?;
    let mut out = scan(&rows, decode_event);
    out.items.reverse();
    Ok(out)
}

const UPSERT_TAIL: &str = "ON CONFLICT (registration_key) DO UPDATE SET vm_uid = excluded.vm_uid, \
     vm_name = excluded.vm_name, org_id = excluded.org_id, \
     vmcloudspace = excluded.vmcloudspace, vmpool = excluded.vmpool, \
     omni_cluster = excluded.omni_cluster, status = excluded.status, \
     token_id = excluded.token_id, token_expires_at = excluded.token_expires_at, \
     last_error = excluded.last_error, payload_json = excluded.payload_json, \
     attempts = excluded.attempts, first_seen = excluded.first_seen, \
     updated_at = excluded.updated_at, status_times_json = excluded.status_times_json, \
     lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at";

/// Inserts or replaces a record (`replace`), or inserts it only when the key is new; returns
/// whether a row was written.
pub(crate) async fn write(
    db: &PgLedger,
    conn: &mut PgConnection,
    rec: &RegistrationRecord,
    replace: bool,
) -> Result<bool> {
    let payload = serde_json::to_string(&normalise_payload(&rec.payload))
        .map_err(|e| db.err("cannot encode payload", e))?;
    let times = serde_json::to_string(&rec.status_times)
        .map_err(|e| db.err("cannot encode status times", e))?;
    let tail = if replace {
        UPSERT_TAIL
    } else {
        "ON CONFLICT (registration_key) DO NOTHING"
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO registration_ledger ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) {tail}"
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
    .bind(rec.token_expires_at)
    .bind(&rec.last_error)
    .bind(payload)
    .bind(i64::from(rec.attempts))
    .bind(rec.first_seen)
    .bind(rec.updated_at)
    .bind(times)
    .bind(&rec.lease_owner)
    .bind(rec.lease_expires_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| db.err("write failed", e))?;
    Ok(done.rows_affected() > 0)
}

/// Appends one event.
pub(crate) async fn log_event(
    db: &PgLedger,
    conn: &mut PgConnection,
    event: &EventEntry<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO registration_events (registration_key, at, actor, from_status, \
         to_status, note) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(event.key)
    .bind(event.at)
    .bind(event.actor)
    .bind(event.from.map(RegistrationStatus::as_str))
    .bind(event.to.as_str())
    .bind(event.note)
    .execute(&mut *conn)
    .await
    .map_err(|e| db.err("cannot append event", e))?;
    Ok(())
}

/// Copies an event with its id (moving a ledger over); an id already present is left alone.
/// Returns whether it was written.
pub(crate) async fn copy_event(
    db: &PgLedger,
    conn: &mut PgConnection,
    event: &RegistrationEvent,
) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO registration_events (id, registration_key, at, actor, from_status, \
         to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
    )
    .bind(event.id)
    .bind(&event.registration_key)
    .bind(event.at)
    .bind(&event.actor)
    .bind(event.from.map(RegistrationStatus::as_str))
    .bind(event.to.as_str())
    .bind(&event.note)
    .execute(&mut *conn)
    .await
    .map_err(|e| db.err("cannot copy event", e))?;
    Ok(done.rows_affected() > 0)
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

/// The newest applied migration's version.
pub(crate) async fn schema_version(db: &PgLedger) -> Result<Option<i64>> {
    sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(db.pool())
        .await
        .map_err(|e| db.err("cannot read the schema version", e))
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
