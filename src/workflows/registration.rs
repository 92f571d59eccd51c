//! The registration ledger: which Spot VMs an external orchestrator has registered elsewhere.
//!
//! An orchestrator (for example a script that joins Spot VMs to a Sidero Omni cluster) drives each
//! VM through these statuses, and the ledger keeps the record durable in `state.db`:
//!
//! ```text
//! discovered ──► token_issued ──► submitted ──► registered
//!     │  ▲            │  ▲ (re-issue)   │
//!     │  │            ▼  │              │
//!     │  └──────── failed ◄─────────────┘
//!     ▼               │
//!  skipped ◄──────────┘          gone: the VM left the inventory (set by `reconcile`)
//! ```
//!
//! What this fixes compared with the Python tool it replaces: transitions are validated (see
//! [`RegistrationStatus::can_transition_to`]); updates merge instead of wiping fields; every
//! record carries an attempts counter, per-status timestamps and an append-only event log; and
//! [`RegistrationWorkflow::claim`] hands out *leases*, so two orchestrator processes never work
//! the same VM at once.
//!
//! Every write runs in a `BEGIN IMMEDIATE` transaction: SQLite then serialises writers through its
//! busy timeout instead of failing a read-then-write transaction with "database is locked"; the
//! tasks of one process queue on the store's writer lock first.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};

use crate::error::{Error, Result};
use crate::state::{StateStore, WriteTransaction};
use crate::types::inventory::VmCloudSpace;

/// Where a VM is in its registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Seen in the inventory; nothing done yet.
    Discovered,
    /// The orchestrator issued a join token for the VM.
    TokenIssued,
    /// The token/config was pushed to the VM.
    Submitted,
    /// The VM is a confirmed member. Terminal until `reset`.
    Registered,
    /// An attempt failed (`last_error` says why); may be retried.
    Failed,
    /// The orchestrator decided not to register this VM. Terminal until `reset`.
    Skipped,
    /// The VM vanished from the inventory (set by `reconcile`, never by `mark`).
    Gone,
}

impl RegistrationStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RegistrationStatus; 7] = [
        RegistrationStatus::Discovered,
        RegistrationStatus::TokenIssued,
        RegistrationStatus::Submitted,
        RegistrationStatus::Registered,
        RegistrationStatus::Failed,
        RegistrationStatus::Skipped,
        RegistrationStatus::Gone,
    ];

    /// The wire/database name (`token_issued`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Discovered => "discovered",
            RegistrationStatus::TokenIssued => "token_issued",
            RegistrationStatus::Submitted => "submitted",
            RegistrationStatus::Registered => "registered",
            RegistrationStatus::Failed => "failed",
            RegistrationStatus::Skipped => "skipped",
            RegistrationStatus::Gone => "gone",
        }
    }

    /// The statuses [`RegistrationWorkflow::mark`] may move a record to from `self`.
    ///
    /// | from | allowed to |
    /// | --- | --- |
    /// | `discovered` | `token_issued`, `failed`, `skipped` |
    /// | `token_issued` | `submitted`, `failed`, `skipped`, `token_issued` (re-issue) |
    /// | `submitted` | `registered`, `failed` |
    /// | `failed` | `discovered`, `token_issued`, `skipped` |
    /// | `registered` | nothing (only [`RegistrationWorkflow::reset`]) |
    /// | `skipped` | nothing (only `reset`) |
    /// | `gone` | nothing (only `reset`, or reappearance in [`RegistrationWorkflow::reconcile`]) |
    pub fn allowed_next(self) -> &'static [RegistrationStatus] {
        use RegistrationStatus::*;
        match self {
            Discovered => &[TokenIssued, Failed, Skipped],
            TokenIssued => &[Submitted, Failed, Skipped, TokenIssued],
            Submitted => &[Registered, Failed],
            Failed => &[Discovered, TokenIssued, Skipped],
            Registered | Skipped | Gone => &[],
        }
    }

    /// Whether `mark` may move a record from `self` to `to` (see [`Self::allowed_next`]).
    pub fn can_transition_to(self, to: RegistrationStatus) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Whether an orchestrator still has work to do on a record in this status (what
    /// [`RegistrationWorkflow::claim`] hands out).
    pub fn is_actionable(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Discovered
                | RegistrationStatus::TokenIssued
                | RegistrationStatus::Submitted
                | RegistrationStatus::Failed
        )
    }
}

impl fmt::Display for RegistrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegistrationStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        RegistrationStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = RegistrationStatus::ALL.iter().map(|s| s.as_str()).collect();
                Error::invalid(
                    "status",
                    format!(
                        "unknown status \"{s}\"; expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }
}

/// The deterministic ledger key of a VM, compatible with the Python tool's:
/// `"vmreg-"` + the first 32 hex digits of SHA-256 of `"vm_uid|org_id|vmcloudspace|vmpool|omni_cluster"`,
/// where a missing part is written as the empty string (so `None` and `Some("")` give one key).
pub fn registration_key(
    vm_uid: &str,
    org_id: Option<&str>,
    vmcloudspace: Option<&str>,
    vmpool: Option<&str>,
    omni_cluster: Option<&str>,
) -> String {
    let joined = [
        vm_uid,
        org_id.unwrap_or(""),
        vmcloudspace.unwrap_or(""),
        vmpool.unwrap_or(""),
        omni_cluster.unwrap_or(""),
    ]
    .join("|");
    let digest = hex::encode(Sha256::digest(joined.as_bytes()));
    format!("vmreg-{}", &digest[..32])
}

/// One VM that could be registered, derived from the inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationCandidate {
    /// The ledger key ([`registration_key`] of the identity fields).
    pub registration_key: String,
    /// The VM's unique id (the server name).
    pub vm_uid: String,
    /// A human-friendly name.
    pub vm_name: String,
    /// The organization id, as given by the caller.
    pub org_id: Option<String>,
    /// The VM cloudspace the VM is assigned to.
    pub vmcloudspace: Option<String>,
    /// The VM pool the VM came from.
    pub vmpool: Option<String>,
    /// The cluster the orchestrator registers into.
    pub omni_cluster: Option<String>,
}

impl RegistrationCandidate {
    /// A candidate whose key is computed from its identity fields.
    pub fn new(
        vm_uid: impl Into<String>,
        vm_name: Option<String>,
        org_id: Option<String>,
        vmcloudspace: Option<String>,
        vmpool: Option<String>,
        omni_cluster: Option<String>,
    ) -> Self {
        let vm_uid = vm_uid.into();
        let registration_key = registration_key(
            &vm_uid,
            org_id.as_deref(),
            vmcloudspace.as_deref(),
            vmpool.as_deref(),
            omni_cluster.as_deref(),
        );
        RegistrationCandidate {
            registration_key,
            vm_name: vm_name.unwrap_or_else(|| vm_uid.clone()),
            vm_uid,
            org_id,
            vmcloudspace,
            vmpool,
            omni_cluster,
        }
    }
}

/// Candidates from VM cloudspaces: one per assigned server, in cloudspace order and, within a
/// cloudspace, sorted by server id.
///
/// `vm_uid` is the server's `serverName`, or its map key; `vm_name` is `displayName`, else
/// `serverName`, else the key; `vmpool` is `nodePoolName`. With `ready_only`, cloudspaces whose
/// phase is reported and is not `Ready` are skipped, and so are servers whose `state` is reported
/// and is not ready (see [`crate::types::inventory::AssignedServer::is_ready`]).
pub fn candidates(
    vmcloudspaces: &[VmCloudSpace],
    org_id: Option<&str>,
    omni_cluster: Option<&str>,
    ready_only: bool,
) -> Vec<RegistrationCandidate> {
    let non_empty = |s: &Option<String>| s.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
    let mut out = Vec::new();
    for cs in vmcloudspaces {
        if ready_only && !cs.is_ready() {
            continue;
        }
        for (server_id, server) in &cs.status.assigned_servers {
            if ready_only && !server.is_ready() {
                continue;
            }
            let vm_uid = non_empty(&server.server_name).unwrap_or_else(|| server_id.clone());
            let vm_name = non_empty(&server.display_name)
                .or_else(|| non_empty(&server.server_name))
                .unwrap_or_else(|| server_id.clone());
            out.push(RegistrationCandidate::new(
                vm_uid,
                Some(vm_name),
                org_id.map(str::to_owned),
                cs.metadata.name.clone(),
                server.node_pool_name.clone(),
                omni_cluster.map(str::to_owned),
            ));
        }
    }
    out
}

/// One VM's ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// The ledger key.
    pub registration_key: String,
    /// The VM's unique id.
    pub vm_uid: String,
    /// A human-friendly name.
    #[serde(default)]
    pub vm_name: Option<String>,
    /// Organization id.
    #[serde(default)]
    pub org_id: Option<String>,
    /// VM cloudspace.
    #[serde(default)]
    pub vmcloudspace: Option<String>,
    /// VM pool.
    #[serde(default)]
    pub vmpool: Option<String>,
    /// Target cluster.
    #[serde(default)]
    pub omni_cluster: Option<String>,
    /// Current status.
    pub status: RegistrationStatus,
    /// Id of the join token the orchestrator issued (an identifier, not the token itself).
    #[serde(default)]
    pub token_id: Option<String>,
    /// When that token expires.
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
    /// The most recent error reported by the orchestrator.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Free-form orchestrator data; marks merge-patch into it.
    #[serde(default)]
    pub payload: serde_json::Value,
    /// How many times the record was claimed.
    #[serde(default)]
    pub attempts: u32,
    /// When the record was first written.
    pub first_seen: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// When the record last entered each status.
    #[serde(default)]
    pub status_times: BTreeMap<RegistrationStatus, DateTime<Utc>>,
    /// Who holds the lease, if anyone (it may have expired: see `lease_expires_at`).
    #[serde(default)]
    pub lease_owner: Option<String>,
    /// When the lease ends.
    #[serde(default)]
    pub lease_expires_at: Option<DateTime<Utc>>,
}

impl RegistrationRecord {
    /// Whether someone holds a lease that has not expired at `now`.
    pub fn lease_live_at(&self, now: DateTime<Utc>) -> Option<&str> {
        match (&self.lease_owner, self.lease_expires_at) {
            (Some(owner), Some(until)) if until > now => Some(owner),
            _ => None,
        }
    }
}

/// One entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationEvent {
    /// Monotonic id.
    pub id: i64,
    /// The record concerned.
    pub registration_key: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (the lease owner or actor name).
    pub actor: String,
    /// Status before (`None` when the record was created).
    pub from: Option<RegistrationStatus>,
    /// Status after.
    pub to: RegistrationStatus,
    /// Free text.
    pub note: Option<String>,
}

/// What a [`RegistrationWorkflow::mark`] changes besides the status. Absent fields keep their
/// stored values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MarkUpdate {
    /// New token id (kept by later marks unless replaced).
    pub token_id: Option<String>,
    /// New token expiry.
    pub token_expires_at: Option<DateTime<Utc>>,
    /// Error text; becomes `last_error` (which later marks keep).
    pub error: Option<String>,
    /// A JSON merge patch (RFC 7386) applied over the stored payload.
    pub payload: Option<serde_json::Value>,
    /// Note for the event log.
    pub note: Option<String>,
}

/// Result of [`RegistrationWorkflow::discover`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoverReport {
    /// Keys inserted as `discovered`.
    pub new: Vec<String>,
    /// How many candidates were already in the ledger (left untouched).
    pub existing: u32,
}

/// Result of [`RegistrationWorkflow::reconcile`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileReport {
    /// Keys that became `gone`.
    pub gone: Vec<String>,
    /// Keys that were `gone` and reappeared (now `discovered`).
    pub returned: Vec<String>,
    /// Records in scope that were left as they were.
    pub unchanged: u32,
    /// Live VMs that have no record (run `discover` for them).
    pub untracked: u32,
}

/// Result of [`RegistrationWorkflow::import`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Records that did not exist.
    pub inserted: u32,
    /// Records that existed and differed (overwritten).
    pub updated: u32,
    /// Records that were already identical.
    pub unchanged: u32,
}

/// Limits which records [`RegistrationWorkflow::reconcile_in`] may touch, so reconciling one
/// organization's (or one VM cloudspace's) inventory never marks another's VMs gone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileScope {
    /// Only records of this organization.
    pub org_id: Option<String>,
    /// Only records of this VM cloudspace.
    pub vmcloudspace: Option<String>,
}

impl ReconcileScope {
    fn contains(&self, rec: &RegistrationRecord) -> bool {
        let matches = |want: &Option<String>, have: &Option<String>| {
            want.as_ref().is_none_or(|w| have.as_ref() == Some(w))
        };
        matches(&self.org_id, &rec.org_id) && matches(&self.vmcloudspace, &rec.vmcloudspace)
    }
}

/// The time source of a workflow (replaceable in tests).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The registration ledger over a [`StateStore`]. Cheap to clone.
#[derive(Clone)]
pub struct RegistrationWorkflow {
    store: StateStore,
    clock: Clock,
}

impl fmt::Debug for RegistrationWorkflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationWorkflow")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "registration_key, vm_uid, vm_name, org_id, vmcloudspace, vmpool, \
     omni_cluster, status, token_id, token_expires_at, last_error, payload_json, attempts, \
     first_seen, updated_at, status_times_json, lease_owner, lease_expires_at";

/// Fixed-width UTC text, so SQL text comparison orders like time.
fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_ts(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

/// RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces.
fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let serde_json::Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::Value::Object(serde_json::Map::new());
    }
    if let serde_json::Value::Object(map) = target {
        for (key, value) in patch {
            if value.is_null() {
                map.remove(key);
            } else {
                merge_patch(
                    map.entry(key.clone()).or_insert(serde_json::Value::Null),
                    value,
                );
            }
        }
    }
}

/// Payloads are compared and stored structurally; an absent payload is `{}`.
fn normalise_payload(p: &serde_json::Value) -> serde_json::Value {
    if p.is_null() {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        p.clone()
    }
}

impl RegistrationWorkflow {
    /// A workflow over `store`, using the system clock.
    pub fn new(store: StateStore) -> Self {
        RegistrationWorkflow {
            store,
            clock: Arc::new(Utc::now),
        }
    }

    /// Replaces the clock (tests use this to expire leases without sleeping).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The store this workflow writes to.
    pub fn store(&self) -> &StateStore {
        &self.store
    }

    /// Now, truncated to the microsecond precision the database keeps.
    fn now(&self) -> DateTime<Utc> {
        (self.clock)().trunc_subsecs(6)
    }

    fn db_err(&self, what: &str, e: impl fmt::Display) -> Error {
        self.store
            .error(format!("registration ledger: {what}: {e}"))
    }

    async fn begin(&self) -> Result<WriteTransaction> {
        self.store
            .begin_write()
            .await
            .map_err(|e| self.db_err("cannot start a transaction", e))
    }

    async fn commit(&self, tx: WriteTransaction) -> Result<()> {
        tx.commit()
            .await
            .map_err(|e| self.db_err("commit failed", e))
    }

    fn record_from_row(&self, row: &SqliteRow) -> Result<RegistrationRecord> {
        let bad = |e: String| self.db_err("corrupt record", e);
        let get_s = |col: &str| -> Result<String> {
            row.try_get::<String, _>(col)
                .map_err(|e| bad(e.to_string()))
        };
        let get_o = |col: &str| -> Result<Option<String>> {
            row.try_get::<Option<String>, _>(col)
                .map_err(|e| bad(e.to_string()))
        };
        let get_t = |col: &str| -> Result<Option<DateTime<Utc>>> {
            get_o(col)?.map(|s| parse_ts(&s).map_err(bad)).transpose()
        };
        let status: RegistrationStatus = get_s("status")?.parse()?;
        let attempts: i64 = row.try_get("attempts").map_err(|e| bad(e.to_string()))?;
        let payload = serde_json::from_str(&get_s("payload_json")?)
            .map_err(|e| bad(format!("payload_json: {e}")))?;
        let status_times = serde_json::from_str(&get_s("status_times_json")?)
            .map_err(|e| bad(format!("status_times_json: {e}")))?;
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
            attempts: u32::try_from(attempts).map_err(|e| bad(e.to_string()))?,
            first_seen: parse_ts(&get_s("first_seen")?).map_err(bad)?,
            updated_at: parse_ts(&get_s("updated_at")?).map_err(bad)?,
            status_times,
            lease_owner: get_o("lease_owner")?,
            lease_expires_at: get_t("lease_expires_at")?,
        })
    }

    async fn load(
        &self,
        conn: &mut SqliteConnection,
        key: &str,
    ) -> Result<Option<RegistrationRecord>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registration_ledger WHERE registration_key = ?"
        )))
        .bind(key)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| self.db_err("read failed", e))?;
        row.map(|r| self.record_from_row(&r)).transpose()
    }

    async fn load_existing(
        &self,
        conn: &mut SqliteConnection,
        key: &str,
    ) -> Result<RegistrationRecord> {
        self.load(conn, key)
            .await?
            .ok_or_else(|| Error::not_found("registration", key))
    }

    async fn save(&self, conn: &mut SqliteConnection, rec: &RegistrationRecord) -> Result<()> {
        let payload = serde_json::to_string(&normalise_payload(&rec.payload))
            .map_err(|e| self.db_err("cannot encode payload", e))?;
        let times = serde_json::to_string(&rec.status_times)
            .map_err(|e| self.db_err("cannot encode status times", e))?;
        sqlx::query(
            "INSERT INTO registration_ledger (registration_key, vm_uid, vm_name, org_id, \
             vmcloudspace, vmpool, omni_cluster, status, token_id, token_expires_at, last_error, \
             payload_json, attempts, first_seen, updated_at, status_times_json, lease_owner, \
             lease_expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
             ON CONFLICT (registration_key) DO UPDATE SET vm_uid = excluded.vm_uid, \
             vm_name = excluded.vm_name, org_id = excluded.org_id, \
             vmcloudspace = excluded.vmcloudspace, vmpool = excluded.vmpool, \
             omni_cluster = excluded.omni_cluster, status = excluded.status, \
             token_id = excluded.token_id, token_expires_at = excluded.token_expires_at, \
             last_error = excluded.last_error, payload_json = excluded.payload_json, \
             attempts = excluded.attempts, first_seen = excluded.first_seen, \
             updated_at = excluded.updated_at, status_times_json = excluded.status_times_json, \
             lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at",
        )
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
        .map_err(|e| self.db_err("write failed", e))?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn log_event(
        &self,
        conn: &mut SqliteConnection,
        key: &str,
        at: DateTime<Utc>,
        actor: &str,
        from: Option<RegistrationStatus>,
        to: RegistrationStatus,
        note: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO registration_events (registration_key, at, actor, from_status, \
             to_status, note) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(key)
        .bind(ts(at))
        .bind(actor)
        .bind(from.map(RegistrationStatus::as_str))
        .bind(to.as_str())
        .bind(note)
        .execute(&mut *conn)
        .await
        .map_err(|e| self.db_err("cannot append event", e))?;
        Ok(())
    }

    /// Records every new candidate as `discovered`; candidates already in the ledger (whatever
    /// their status) are left alone and counted.
    pub async fn discover(
        &self,
        candidates: &[RegistrationCandidate],
        actor: &str,
    ) -> Result<DiscoverReport> {
        for c in candidates {
            if c.registration_key.trim().is_empty() {
                return Err(Error::invalid("registration_key", "must not be empty"));
            }
            if c.vm_uid.trim().is_empty() {
                return Err(Error::invalid("vm_uid", "must not be empty"));
            }
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut report = DiscoverReport::default();
        for c in candidates {
            if self.load(&mut tx, &c.registration_key).await?.is_some() {
                report.existing += 1;
                continue;
            }
            let rec = RegistrationRecord {
                registration_key: c.registration_key.clone(),
                vm_uid: c.vm_uid.clone(),
                vm_name: Some(c.vm_name.clone()),
                org_id: c.org_id.clone(),
                vmcloudspace: c.vmcloudspace.clone(),
                vmpool: c.vmpool.clone(),
                omni_cluster: c.omni_cluster.clone(),
                status: RegistrationStatus::Discovered,
                token_id: None,
                token_expires_at: None,
                last_error: None,
                payload: serde_json::Value::Object(serde_json::Map::new()),
                attempts: 0,
                first_seen: now,
                updated_at: now,
                status_times: BTreeMap::from([(RegistrationStatus::Discovered, now)]),
                lease_owner: None,
                lease_expires_at: None,
            };
            self.save(&mut tx, &rec).await?;
            self.log_event(
                &mut tx,
                &rec.registration_key,
                now,
                actor,
                None,
                RegistrationStatus::Discovered,
                Some("discovered in the inventory"),
            )
            .await?;
            report.new.push(rec.registration_key);
        }
        self.commit(tx).await?;
        Ok(report)
    }

    /// One record, or `None`.
    pub async fn get(&self, key: &str) -> Result<Option<RegistrationRecord>> {
        let mut conn = self
            .store
            .pool()
            .acquire()
            .await
            .map_err(|e| self.db_err("cannot connect", e))?;
        self.load(&mut conn, key).await
    }

    /// Records, most recently updated first, optionally of one status. `limit` 0 means all.
    pub async fn list(
        &self,
        status: Option<RegistrationStatus>,
        limit: u32,
    ) -> Result<Vec<RegistrationRecord>> {
        // SQLite treats a negative LIMIT as "no limit".
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registration_ledger WHERE (?1 IS NULL OR status = ?1) \
             ORDER BY updated_at DESC, registration_key LIMIT ?2"
        )))
        .bind(status.map(RegistrationStatus::as_str))
        .bind(limit)
        .fetch_all(self.store.pool())
        .await
        .map_err(|e| self.db_err("list failed", e))?;
        rows.iter().map(|r| self.record_from_row(r)).collect()
    }

    /// Atomically leases up to `n` actionable records (`discovered`, `token_issued`, `submitted`,
    /// `failed`) that nobody holds or whose lease has expired, to `owner` for `ttl`, and counts an
    /// attempt on each. Records with the fewest attempts, then the oldest, come first. Two
    /// callers — in this process or another — never receive the same record while its lease
    /// lives.
    pub async fn claim(
        &self,
        n: u32,
        ttl: Duration,
        owner: &str,
    ) -> Result<Vec<RegistrationRecord>> {
        if owner.trim().is_empty() {
            return Err(Error::invalid("owner", "must not be empty"));
        }
        if ttl.is_zero() {
            return Err(Error::invalid("ttl", "must be longer than zero"));
        }
        if n == 0 {
            return Ok(Vec::new());
        }
        let ttl =
            chrono::Duration::from_std(ttl).map_err(|_| Error::invalid("ttl", "is too long"))?;
        let now = self.now();
        let until = now
            .checked_add_signed(ttl)
            .ok_or_else(|| Error::invalid("ttl", "is too long"))?;
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registration_ledger \
             WHERE status IN ('discovered', 'token_issued', 'submitted', 'failed') \
               AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?) \
             ORDER BY attempts, first_seen, registration_key LIMIT ?"
        )))
        .bind(ts(now))
        .bind(i64::from(n))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| self.db_err("claim failed", e))?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut rec = self.record_from_row(row)?;
            rec.lease_owner = Some(owner.to_owned());
            rec.lease_expires_at = Some(until);
            rec.attempts = rec.attempts.saturating_add(1);
            self.save(&mut tx, &rec).await?;
            claimed.push(rec);
        }
        self.commit(tx).await?;
        Ok(claimed)
    }

    /// Moves a record to `to` on behalf of `owner`, merging `update` into it.
    ///
    /// Refused with [`Error::Conflict`] while another owner holds a live lease, and with
    /// [`Error::Invalid`] when the transition is not in the table of
    /// [`RegistrationStatus::allowed_next`]. Merging: `token_id`/`token_expires_at` and
    /// `last_error` keep their stored values unless `update` supplies new ones; `payload` is a
    /// JSON merge patch over the stored payload. Reaching `registered` or `skipped` ends the
    /// lease, since there is nothing left to work on.
    pub async fn mark(
        &self,
        key: &str,
        to: RegistrationStatus,
        owner: &str,
        update: MarkUpdate,
    ) -> Result<RegistrationRecord> {
        if owner.trim().is_empty() {
            return Err(Error::invalid("owner", "must not be empty"));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut rec = self.load_existing(&mut tx, key).await?;
        self.check_lease(&rec, owner, now)?;
        let from = rec.status;
        if !from.can_transition_to(to) {
            let allowed: Vec<&str> = from.allowed_next().iter().map(|s| s.as_str()).collect();
            let hint = if allowed.is_empty() {
                "only `reset` leaves it".to_string()
            } else {
                format!("allowed: {}", allowed.join(", "))
            };
            return Err(Error::invalid(
                "status",
                format!("registration {key} cannot go from {from} to {to} ({hint})"),
            ));
        }
        if let Some(token_id) = update.token_id {
            rec.token_id = Some(token_id);
        }
        if let Some(expiry) = update.token_expires_at {
            rec.token_expires_at = Some(expiry.trunc_subsecs(6));
        }
        if let Some(error) = update.error {
            rec.last_error = Some(error);
        }
        if let Some(patch) = &update.payload {
            merge_patch(&mut rec.payload, patch);
        }
        rec.status = to;
        rec.updated_at = now;
        rec.status_times.insert(to, now);
        if !to.is_actionable() {
            rec.lease_owner = None;
            rec.lease_expires_at = None;
        }
        self.save(&mut tx, &rec).await?;
        self.log_event(
            &mut tx,
            key,
            now,
            owner,
            Some(from),
            to,
            update.note.as_deref(),
        )
        .await?;
        self.commit(tx).await?;
        Ok(rec)
    }

    fn check_lease(&self, rec: &RegistrationRecord, owner: &str, now: DateTime<Utc>) -> Result<()> {
        match rec.lease_live_at(now) {
            Some(holder) if holder != owner => Err(Error::Conflict {
                reason: "LeaseHeld".into(),
                message: format!(
                    "registration {} is leased to \"{holder}\" until {}",
                    rec.registration_key,
                    rec.lease_expires_at.map(ts).unwrap_or_default()
                ),
            }),
            _ => Ok(()),
        }
    }

    /// Gives up `owner`'s lease on a record. Refused ([`Error::Conflict`]) while another owner
    /// holds a live lease; a no-op when nobody does.
    pub async fn release(&self, key: &str, owner: &str) -> Result<()> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut rec = self.load_existing(&mut tx, key).await?;
        self.check_lease(&rec, owner, now)?;
        if rec.lease_owner.as_deref() == Some(owner) {
            rec.lease_owner = None;
            rec.lease_expires_at = None;
            self.save(&mut tx, &rec).await?;
        }
        self.commit(tx).await
    }

    /// Puts any record back to `discovered` and ends its lease, whoever holds it. Token, payload,
    /// last error and attempts are kept for the record; the event log says who reset it.
    pub async fn reset(&self, key: &str, actor: &str) -> Result<RegistrationRecord> {
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut rec = self.load_existing(&mut tx, key).await?;
        let from = rec.status;
        rec.status = RegistrationStatus::Discovered;
        rec.updated_at = now;
        rec.status_times.insert(RegistrationStatus::Discovered, now);
        rec.lease_owner = None;
        rec.lease_expires_at = None;
        self.save(&mut tx, &rec).await?;
        self.log_event(
            &mut tx,
            key,
            now,
            actor,
            Some(from),
            RegistrationStatus::Discovered,
            Some("reset"),
        )
        .await?;
        self.commit(tx).await?;
        Ok(rec)
    }

    /// The most recent `limit` events (all when 0), of one record or of all, oldest first.
    pub async fn events(&self, key: Option<&str>, limit: u32) -> Result<Vec<RegistrationEvent>> {
        let limit = if limit == 0 { -1 } else { i64::from(limit) };
        let rows = sqlx::query(
            "SELECT id, registration_key, at, actor, from_status, to_status, note \
             FROM registration_events WHERE (?1 IS NULL OR registration_key = ?1) \
             ORDER BY id DESC LIMIT ?2",
        )
        .bind(key)
        .bind(limit)
        .fetch_all(self.store.pool())
        .await
        .map_err(|e| self.db_err("cannot read events", e))?;
        let bad = |e: String| self.db_err("corrupt event", e);
        let mut events = rows
            .iter()
            .map(|row| -> Result<RegistrationEvent> {
                let get = |c: &str| {
                    row.try_get::<Option<String>, _>(c)
                        .map_err(|e| bad(e.to_string()))
                };
                let at = get("at")?.ok_or_else(|| bad("missing time".into()))?;
                let to = get("to_status")?.ok_or_else(|| bad("missing status".into()))?;
                Ok(RegistrationEvent {
                    id: row.try_get("id").map_err(|e| bad(e.to_string()))?,
                    registration_key: get("registration_key")?.unwrap_or_default(),
                    at: parse_ts(&at).map_err(bad)?,
                    actor: get("actor")?.unwrap_or_default(),
                    from: get("from_status")?.map(|s| s.parse()).transpose()?,
                    to: to.parse()?,
                    note: get("note")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        events.reverse();
        Ok(events)
    }

    /// [`Self::reconcile_in`] over the whole ledger: `live` must be the complete inventory.
    pub async fn reconcile(
        &self,
        live: &[RegistrationCandidate],
        actor: &str,
    ) -> Result<ReconcileReport> {
        self.reconcile_in(live, &ReconcileScope::default(), actor)
            .await
    }

    /// Compares the ledger with the live inventory. Records in `scope` whose `vm_uid` is not in
    /// `live` become `gone` (lease ended, event logged); records are never deleted. A `gone`
    /// record whose VM is live again goes back to `discovered`.
    pub async fn reconcile_in(
        &self,
        live: &[RegistrationCandidate],
        scope: &ReconcileScope,
        actor: &str,
    ) -> Result<ReconcileReport> {
        let live_uids: HashSet<&str> = live.iter().map(|c| c.vm_uid.as_str()).collect();
        let now = self.now();
        let mut tx = self.begin().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registration_ledger ORDER BY first_seen, registration_key"
        )))
        .fetch_all(&mut *tx)
        .await
        .map_err(|e| self.db_err("reconcile failed", e))?;
        let mut report = ReconcileReport::default();
        let mut tracked: HashSet<String> = HashSet::new();
        for row in &rows {
            let mut rec = self.record_from_row(row)?;
            tracked.insert(rec.vm_uid.clone());
            if !scope.contains(&rec) {
                continue;
            }
            let is_live = live_uids.contains(rec.vm_uid.as_str());
            let (to, note) = match (rec.status, is_live) {
                (RegistrationStatus::Gone, true) => (
                    RegistrationStatus::Discovered,
                    "VM reappeared in the inventory",
                ),
                (RegistrationStatus::Gone, false) | (_, true) => {
                    report.unchanged += 1;
                    continue;
                }
                (_, false) => (RegistrationStatus::Gone, "VM no longer in the inventory"),
            };
            let from = rec.status;
            rec.status = to;
            rec.updated_at = now;
            rec.status_times.insert(to, now);
            rec.lease_owner = None;
            rec.lease_expires_at = None;
            self.save(&mut tx, &rec).await?;
            self.log_event(
                &mut tx,
                &rec.registration_key,
                now,
                actor,
                Some(from),
                to,
                Some(note),
            )
            .await?;
            if to == RegistrationStatus::Gone {
                report.gone.push(rec.registration_key);
            } else {
                report.returned.push(rec.registration_key);
            }
        }
        report.untracked = u32::try_from(
            live_uids
                .iter()
                .filter(|uid| !tracked.contains(**uid))
                .count(),
        )
        .unwrap_or(u32::MAX);
        self.commit(tx).await?;
        Ok(report)
    }

    /// Every record, oldest first (the CLI writes them as JSON lines).
    pub async fn export(&self) -> Result<Vec<RegistrationRecord>> {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM registration_ledger ORDER BY first_seen, registration_key"
        )))
        .fetch_all(self.store.pool())
        .await
        .map_err(|e| self.db_err("export failed", e))?;
        rows.iter().map(|r| self.record_from_row(r)).collect()
    }

    /// Upserts exported records as they are (restore: the transition table does not apply).
    /// Idempotent: importing the same records again changes nothing and logs nothing. Inserted
    /// records, and records whose content changed, get an event by `actor`.
    pub async fn import(
        &self,
        records: &[RegistrationRecord],
        actor: &str,
    ) -> Result<ImportReport> {
        for rec in records {
            if rec.registration_key.trim().is_empty() {
                return Err(Error::invalid("registration_key", "must not be empty"));
            }
            if rec.vm_uid.trim().is_empty() {
                return Err(Error::invalid("vm_uid", "must not be empty"));
            }
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let mut report = ImportReport::default();
        for rec in records {
            // Normalise to what the database keeps, so a re-import compares equal.
            let mut incoming = rec.clone();
            incoming.payload = normalise_payload(&incoming.payload);
            incoming.first_seen = incoming.first_seen.trunc_subsecs(6);
            incoming.updated_at = incoming.updated_at.trunc_subsecs(6);
            incoming.token_expires_at = incoming.token_expires_at.map(|t| t.trunc_subsecs(6));
            incoming.lease_expires_at = incoming.lease_expires_at.map(|t| t.trunc_subsecs(6));
            for t in incoming.status_times.values_mut() {
                *t = t.trunc_subsecs(6);
            }
            let existing = self.load(&mut tx, &incoming.registration_key).await?;
            let from = match &existing {
                Some(old) if *old == incoming => {
                    report.unchanged += 1;
                    continue;
                }
                Some(old) => {
                    report.updated += 1;
                    Some(old.status)
                }
                None => {
                    report.inserted += 1;
                    None
                }
            };
            self.save(&mut tx, &incoming).await?;
            self.log_event(
                &mut tx,
                &incoming.registration_key,
                now,
                actor,
                from,
                incoming.status,
                Some("imported"),
            )
            .await?;
        }
        self.commit(tx).await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_vector_matches_python() {
        assert_eq!(
            registration_key("u", Some("o"), Some("cs"), None, None),
            "vmreg-c86d1e3a2fcbbd3c0fc28d6a680a28df"
        );
        assert_eq!(
            registration_key("u", Some("o"), Some("cs"), Some(""), Some("")),
            registration_key("u", Some("o"), Some("cs"), None, None)
        );
    }

    #[test]
    fn status_names_round_trip() {
        for st in RegistrationStatus::ALL {
            assert_eq!(st.as_str().parse::<RegistrationStatus>().ok(), Some(st));
            assert_eq!(
                serde_json::to_value(st).ok(),
                Some(serde_json::Value::String(st.to_string()))
            );
        }
        assert!(matches!(
            "registred".parse::<RegistrationStatus>(),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn merge_patch_follows_rfc7386() {
        let mut target = json!({"a": 1, "b": {"c": 2, "d": 3}, "e": [1]});
        merge_patch(
            &mut target,
            &json!({"b": {"c": null, "x": 9}, "e": [2], "f": "new"}),
        );
        assert_eq!(
            target,
            json!({"a": 1, "b": {"d": 3, "x": 9}, "e": [2], "f": "new"})
        );
        let mut scalar = json!("s");
        merge_patch(&mut scalar, &json!({"k": 1}));
        assert_eq!(scalar, json!({"k": 1}));
        merge_patch(&mut scalar, &json!(5));
        assert_eq!(scalar, json!(5));
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = parse_ts("2025-01-02T03:04:05Z").expect("valid");
        let b = a + chrono::Duration::microseconds(1);
        let c = a + chrono::Duration::seconds(60);
        assert!(ts(a) < ts(b) && ts(b) < ts(c));
        assert_eq!(parse_ts(&ts(b)), Ok(b));
    }
}
