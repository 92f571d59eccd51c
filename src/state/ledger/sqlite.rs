//! The ledger's SQL for the embedded sqlite file: rows to records and back.
//!
//! Every function takes the connection (or transaction) it runs on, so the caller decides the
//! transaction boundaries. Rows that do not decode become [`SkippedRow`]s for readers that scan
//! many rows; reading one row by key reports the damage as an error naming the key.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use super::model::{
    RegistrationEvent, RegistrationRecord, RegistrationStatus, Scan, SkippedRow, normalise_payload,
    parse_ts, ts,
};
use super::{EventEntry, ListFilter};
use crate::error::{Error, Result};
use crate::state::StateStore;

pub(crate) const COLUMNS: &str = "registration_key, vm_uid, vm_name, org_id, vmcloudspace, \
     vmpool, omni_cluster, status, token_id, token_expires_at, last_error, payload_json, \
     attempts, first_seen, updated_at, status_times_json, lease_owner, lease_expires_at";

const EVENT_COLUMNS: &str = "id, registration_key, at, actor, from_status, to_status, note";

/// An [`Error::State`] on the ledger file.
pub(crate) fn db_err(db: &StateStore, what: &str, e: impl std::fmt::Display) -> Error {
    db.error(format!(
        "registration ledger: {what}: {}",
        crate::state::one_line(&e)
    ))
}

/// The key of a row, as far as it can be read.
fn row_key(row: &SqliteRow) -> String {
    row.try_get::<String, _>("registration_key")
        .unwrap_or_else(|_| "<unreadable>".to_owned())
}

/// Decodes one ledger row; the error names the key and the column at fault.
pub(crate) fn decode_record(
    row: &SqliteRow,
) -> std::result::Result<RegistrationRecord, SkippedRow> {
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
    let get_t = |col: &str| -> std::result::Result<Option<DateTime<Utc>>, SkippedRow> {
        get_o(col)?
            .map(|s| parse_ts(&s).map_err(|e| skipped(format!("{col}: {e}"))))
            .transpose()
    };
    let get_ts = |col: &str| parse_ts(&get_s(col)?).map_err(|e| skipped(format!("{col}: {e}")));
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

fn decode_event(row: &SqliteRow) -> std::result::Result<RegistrationEvent, SkippedRow> {
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
    let at = get("at")?.ok_or_else(|| skipped("at: missing".into()))?;
    let to = get("to_status")?.ok_or_else(|| skipped("to_status: missing".into()))?;
    Ok(RegistrationEvent {
        id: row.try_get("id").map_err(|e| skipped(format!("id: {e}")))?,
        registration_key: get("registration_key")?.unwrap_or_default(),
        at: parse_ts(&at).map_err(|e| skipped(format!("at: {e}")))?,
        actor: get("actor")?.unwrap_or_default(),
        from: get("from_status")?
            .map(|s| status("from_status", s))
            .transpose()?,
        to: status("to_status", to)?,
        note: get("note")?,
    })
}

fn scan<T>(
    rows: &[SqliteRow],
    decode: impl Fn(&SqliteRow) -> std::result::Result<T, SkippedRow>,
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

/// One row by key, decoded or with what is wrong with it.
pub(crate) async fn load_row(
    db: &StateStore,
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<std::result::Result<RegistrationRecord, SkippedRow>>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registration_ledger WHERE registration_key = ?"
    )))
    .bind(key)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| db_err(db, "read failed", e))?;
    Ok(row.map(|r| decode_record(&r)))
}

/// One record by key; a damaged row is an error naming the key and the problem.
pub(crate) async fn load(
    db: &StateStore,
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<RegistrationRecord>> {
    load_row(db, conn, key)
        .await?
        .map(|r| {
            r.map_err(|bad| {
                db.error(format!(
                    "registration ledger: registration {} is damaged: {} (replace it with \
                     `rsspot registrations import`)",
                    bad.registration_key, bad.problem
                ))
            })
        })
        .transpose()
}

/// Whether a row with `key` exists, readable or not.
pub(crate) async fn exists(
    db: &StateStore,
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<bool> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM registration_ledger WHERE registration_key = ?")
            .bind(key)
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| db_err(db, "read failed", e))?;
    Ok(n > 0)
}

/// Records matching `filter`, damaged rows skipped.
pub(crate) async fn list(
    db: &StateStore,
    conn: &mut SqliteConnection,
    filter: &ListFilter,
) -> Result<Scan<RegistrationRecord>> {
    // SQLite treats a negative LIMIT as "no limit".
    let limit = if filter.limit == 0 {
        -1
    } else {
        i64::from(filter.limit)
    };
    let order = if filter.oldest_first {
        "first_seen, registration_key"
    } else {
        "updated_at DESC, registration_key"
    };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM registration_ledger WHERE (?1 IS NULL OR status = ?1) \
         ORDER BY {order} LIMIT ?2"
    )))
    .bind(filter.status.map(RegistrationStatus::as_str))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| db_err(db, "read failed", e))?;
    Ok(scan(&rows, decode_record))
}

/// Up to `n` actionable records nobody holds at `now`, fewest attempts then oldest first;
/// damaged rows are skipped (and do not count towards `n`).
pub(crate) async fn claimable(
    db: &StateStore,
    conn: &mut SqliteConnection,
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
            "SELECT {COLUMNS} FROM registration_ledger \
             WHERE status IN ('discovered', 'token_issued', 'submitted', 'failed') \
               AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?) \
             ORDER BY attempts, first_seen, registration_key LIMIT ? OFFSET ?"
        )))
        .bind(ts(now))
        .bind(want)
        .bind(offset)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| db_err(db, "claim failed", e))?;
        let fetched = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        let page = scan(&rows, decode_record);
        out.items.extend(page.items);
        out.skipped.extend(page.skipped);
        if fetched < want {
            break;
        }
        offset += fetched;
    }
    Ok(out)
}

/// The most recent `limit` events (all when 0), of one record or of all, oldest first.
pub(crate) async fn events(
    db: &StateStore,
    conn: &mut SqliteConnection,
    key: Option<&str>,
    limit: u32,
) -> Result<Scan<RegistrationEvent>> {
    let limit = if limit == 0 { -1 } else { i64::from(limit) };
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {EVENT_COLUMNS} FROM registration_events \
         WHERE (?1 IS NULL OR registration_key = ?1) ORDER BY id DESC LIMIT ?2"
    )))
    .bind(key)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await
    .map_err(|e| db_err(db, "cannot read events", e))?;
    let mut out = scan(&rows, decode_event);
    out.items.reverse();
    Ok(out)
}

/// Inserts or replaces a record.
pub(crate) async fn save(
    db: &StateStore,
    conn: &mut SqliteConnection,
    rec: &RegistrationRecord,
) -> Result<()> {
    let payload = serde_json::to_string(&normalise_payload(&rec.payload))
        .map_err(|e| db_err(db, "cannot encode payload", e))?;
    let times = serde_json::to_string(&rec.status_times)
        .map_err(|e| db_err(db, "cannot encode status times", e))?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO registration_ledger ({COLUMNS}) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
         ON CONFLICT (registration_key) DO UPDATE SET vm_uid = excluded.vm_uid, \
         vm_name = excluded.vm_name, org_id = excluded.org_id, \
         vmcloudspace = excluded.vmcloudspace, vmpool = excluded.vmpool, \
         omni_cluster = excluded.omni_cluster, status = excluded.status, \
         token_id = excluded.token_id, token_expires_at = excluded.token_expires_at, \
         last_error = excluded.last_error, payload_json = excluded.payload_json, \
         attempts = excluded.attempts, first_seen = excluded.first_seen, \
         updated_at = excluded.updated_at, status_times_json = excluded.status_times_json, \
         lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at"
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
    .bind(rec.token_expires_at.map(ts))
    .bind(&rec.last_error)
    .bind(payload)
    .bind(i64::from(rec.attempts))
    .bind(ts(rec.first_seen))
    .bind(ts(rec.updated_at))
    .bind(times)
    .bind(&rec.lease_owner)
    .bind(rec.lease_expires_at.map(ts))
    .execute(&mut *conn)
    .await
    .map_err(|e| db_err(db, "write failed", e))?;
    Ok(())
}

/// Appends one event.
pub(crate) async fn log_event(
    db: &StateStore,
    conn: &mut SqliteConnection,
    event: &EventEntry<'_>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO registration_events (registration_key, at, actor, from_status, \
         to_status, note) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(event.key)
    .bind(ts(event.at))
    .bind(event.actor)
    .bind(event.from.map(RegistrationStatus::as_str))
    .bind(event.to.as_str())
    .bind(event.note)
    .execute(&mut *conn)
    .await
    .map_err(|e| db_err(db, "cannot append event", e))?;
    Ok(())
}

/// Writes an event with its own id (copying a ledger); an id already present is left alone.
pub(crate) async fn copy_event(
    db: &StateStore,
    conn: &mut SqliteConnection,
    event: &RegistrationEvent,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO registration_events (id, registration_key, at, actor, \
         from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(event.id)
    .bind(&event.registration_key)
    .bind(ts(event.at))
    .bind(&event.actor)
    .bind(event.from.map(RegistrationStatus::as_str))
    .bind(event.to.as_str())
    .bind(&event.note)
    .execute(&mut *conn)
    .await
    .map_err(|e| db_err(db, "cannot copy event", e))?;
    Ok(())
}
