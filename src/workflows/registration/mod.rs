//! The registration ledger: which Spot VMs an external orchestrator has registered elsewhere.
//!
//! An orchestrator (for example a script that joins Spot VMs to a Sidero Omni cluster) drives each
//! VM through these statuses, and the ledger keeps the record durable
//! (in `ledger.db` beside `state.db`, see [`crate::state::ledger`]):
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
//! The rules live here; the storage (SQL, transactions, damaged-row handling) behind
//! [`LedgerStore`]. Readers skip a damaged row and report it in [`Scan::skipped`] instead of
//! failing, and every payload a mark writes stays within [`MAX_PAYLOAD_DEPTH`] and
//! [`MAX_PAYLOAD_BYTES`], so every export imports again.

mod bulk;
mod candidates;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

pub use self::candidates::{RegistrationCandidate, candidates, registration_key};
use crate::error::{Error, Result};
use crate::state::ledger::{EventEntry, LedgerTx, ListFilter, ts};
pub use crate::state::ledger::{
    LedgerStore, MAX_PAYLOAD_BYTES, MAX_PAYLOAD_DEPTH, RegistrationEvent, RegistrationRecord,
    RegistrationStatus, Scan, SkippedRow, check_payload,
};

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

/// The registration ledger's rules over a [`LedgerStore`]. Cheap to clone.
///
/// Times (leases, status times, events) come from the ledger's clock
/// ([`crate::state::ledger::LedgerTx::now`]): on a shared PostgreSQL ledger the database's, so
/// hosts whose clocks disagree still agree on when a lease ends.
#[derive(Clone)]
pub struct RegistrationWorkflow {
    ledger: LedgerStore,
    /// A replacement clock (tests); `None` uses the ledger's.
    clock: Option<Clock>,
}

impl fmt::Debug for RegistrationWorkflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistrationWorkflow")
            .field("ledger", &self.ledger)
            .finish_non_exhaustive()
    }
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

fn require(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::invalid(field, "must not be empty"));
    }
    Ok(())
}

/// Both identifiers of a record are required.
fn require_ids(registration_key: &str, vm_uid: &str) -> Result<()> {
    require("registration_key", registration_key)?;
    require("vm_uid", vm_uid)
}

impl RegistrationWorkflow {
    /// A workflow over `ledger`, using the ledger's clock.
    pub fn new(ledger: LedgerStore) -> Self {
        RegistrationWorkflow {
            ledger,
            clock: None,
        }
    }

    /// Replaces the clock (tests use this to expire leases without sleeping).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = Some(clock);
        self
    }

    /// The ledger this workflow writes to.
    pub fn ledger(&self) -> &LedgerStore {
        &self.ledger
    }

    /// Now by the ledger's clock (or the replacement), truncated to the microsecond precision
    /// the database keeps.
    /// A write transaction and the workflow's clock reading for it.
    async fn begin(&self) -> Result<(LedgerTx, DateTime<Utc>)> {
        let mut tx = self.ledger.begin().await?;
        let now = self.now(&mut tx).await?;
        Ok((tx, now))
    }

    async fn now(&self, tx: &mut LedgerTx) -> Result<DateTime<Utc>> {
        let now = match &self.clock {
            Some(clock) => clock(),
            None => tx.now().await?,
        };
        Ok(now.trunc_subsecs(6))
    }

    /// Records every new candidate as `discovered`; candidates already in the ledger (whatever
    /// their status) are left alone and counted.
    pub async fn discover(
        &self,
        candidates: &[RegistrationCandidate],
        actor: &str,
    ) -> Result<DiscoverReport> {
        for c in candidates {
            require_ids(&c.registration_key, &c.vm_uid)?;
        }
        let (mut tx, now) = self.begin().await?;
        let mut report = DiscoverReport::default();
        // Inserted in key order: two hosts discovering overlapping inventories then wait on
        // each other's rows in one order and never deadlock. Reported in the caller's order.
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by(|a, b| {
            candidates[*a]
                .registration_key
                .cmp(&candidates[*b].registration_key)
        });
        let mut inserted = Vec::new();
        for i in order {
            let c = &candidates[i];
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
            // A row with this key, readable or damaged, is "already known"; two hosts
            // discovering the same VM at once insert it once.
            if !tx.insert_new(&rec).await? {
                report.existing += 1;
                continue;
            }
            tx.log_event(&EventEntry {
                key: &rec.registration_key,
                at: now,
                actor,
                from: None,
                to: RegistrationStatus::Discovered,
                note: Some("discovered in the inventory"),
            })
            .await?;
            inserted.push(i);
        }
        tx.commit().await?;
        inserted.sort_unstable();
        report.new = inserted
            .into_iter()
            .map(|i| candidates[i].registration_key.clone())
            .collect();
        Ok(report)
    }

    /// One record, or `None`. A damaged record is an error naming its key and the problem.
    pub async fn get(&self, key: &str) -> Result<Option<RegistrationRecord>> {
        self.ledger.get(key).await
    }

    /// Records, most recently updated first, optionally of one status. `limit` 0 means all.
    /// Damaged rows are skipped and listed in [`Scan::skipped`].
    pub async fn list(
        &self,
        status: Option<RegistrationStatus>,
        limit: u32,
    ) -> Result<Scan<RegistrationRecord>> {
        self.ledger
            .list(&ListFilter {
                status,
                limit,
                oldest_first: false,
            })
            .await
    }

    /// Atomically leases up to `n` actionable records (`discovered`, `token_issued`, `submitted`,
    /// `failed`) that nobody holds or whose lease has expired, to `owner` for `ttl`, and counts an
    /// attempt on each. Records with the fewest attempts, then the oldest, come first. Two
    /// callers — in this process or another — never receive the same record while its lease
    /// lives. Damaged rows are never handed out; they are listed in [`Scan::skipped`].
    pub async fn claim(
        &self,
        n: u32,
        ttl: Duration,
        owner: &str,
    ) -> Result<Scan<RegistrationRecord>> {
        require("owner", owner)?;
        if ttl.is_zero() {
            return Err(Error::invalid("ttl", "must be longer than zero"));
        }
        if n == 0 {
            return Ok(Scan::default());
        }
        let ttl =
            chrono::Duration::from_std(ttl).map_err(|_| Error::invalid("ttl", "is too long"))?;
        // On the ledger's own clock a backend may lease in one statement (PostgreSQL); a test
        // clock, the embedded file or a damaged row take the general path below.
        if Utc::now().checked_add_signed(ttl).is_none() {
            return Err(Error::invalid("ttl", "is too long"));
        }
        if self.clock.is_none()
            && let Some(items) = self.ledger.claim_leases(n, ttl, owner).await?
        {
            return Ok(Scan {
                items,
                skipped: Vec::new(),
            });
        }
        let (mut tx, now) = self.begin().await?;
        let until = now
            .checked_add_signed(ttl)
            .ok_or_else(|| Error::invalid("ttl", "is too long"))?;
        let mut found = tx.claimable(now, n).await?;
        for rec in &mut found.items {
            rec.lease_owner = Some(owner.to_owned());
            rec.lease_expires_at = Some(until);
            rec.attempts = rec.attempts.saturating_add(1);
            tx.save(rec).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Moves a record to `to` on behalf of `owner`, merging `update` into it.
    ///
    /// Refused with [`Error::Conflict`] while another owner holds a live lease, and with
    /// [`Error::Invalid`] when the transition is not in the table of
    /// [`RegistrationStatus::allowed_next`] or the merged payload passes [`MAX_PAYLOAD_DEPTH`]
    /// or [`MAX_PAYLOAD_BYTES`]. Merging: `token_id`/`token_expires_at` and `last_error` keep
    /// their stored values unless `update` supplies new ones; `payload` is a JSON merge patch
    /// over the stored payload. Reaching `registered` or `skipped` ends the lease, since there
    /// is nothing left to work on.
    pub async fn mark(
        &self,
        key: &str,
        to: RegistrationStatus,
        owner: &str,
        update: MarkUpdate,
    ) -> Result<RegistrationRecord> {
        require("owner", owner)?;
        // Checked before the lock too, so an oversized patch costs no transaction.
        if let Some(patch) = &update.payload {
            check_payload(patch)?;
        }
        let (mut tx, now) = self.begin().await?;
        let mut rec = tx.load_existing(key).await?;
        check_lease(&rec, owner, now)?;
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
            check_payload(&rec.payload)?;
        }
        if !to.is_actionable() {
            rec.lease_owner = None;
            rec.lease_expires_at = None;
        }
        move_to(&mut tx, &mut rec, to, now, owner, update.note.as_deref()).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// Gives up `owner`'s lease on a record. Refused ([`Error::Conflict`]) while another owner
    /// holds a live lease; a no-op when nobody does.
    pub async fn release(&self, key: &str, owner: &str) -> Result<()> {
        let (mut tx, now) = self.begin().await?;
        let mut rec = tx.load_existing(key).await?;
        check_lease(&rec, owner, now)?;
        if rec.lease_owner.as_deref() == Some(owner) {
            rec.lease_owner = None;
            rec.lease_expires_at = None;
            tx.save(&rec).await?;
        }
        tx.commit().await
    }

    /// Puts any record back to `discovered` and ends its lease, whoever holds it. Token, payload,
    /// last error and attempts are kept for the record; the event log says who reset it.
    pub async fn reset(&self, key: &str, actor: &str) -> Result<RegistrationRecord> {
        let (mut tx, now) = self.begin().await?;
        let mut rec = tx.load_existing(key).await?;
        rec.lease_owner = None;
        rec.lease_expires_at = None;
        let to = RegistrationStatus::Discovered;
        move_to(&mut tx, &mut rec, to, now, actor, Some("reset")).await?;
        tx.commit().await?;
        Ok(rec)
    }

    /// The most recent `limit` events (all when 0), of one record or of all, oldest first.
    pub async fn events(&self, key: Option<&str>, limit: u32) -> Result<Scan<RegistrationEvent>> {
        self.ledger.events(key, limit).await
    }
}

fn check_lease(rec: &RegistrationRecord, owner: &str, now: DateTime<Utc>) -> Result<()> {
    match rec.lease_live_at(now) {
        Some(holder) if holder != owner => Err(Error::Conflict {
            reason: crate::error::ConflictReason::LeaseHeld,
            message: format!(
                "registration {} is leased to \"{holder}\" until {}",
                rec.registration_key,
                rec.lease_expires_at.map(ts).unwrap_or_default()
            ),
        }),
        _ => Ok(()),
    }
}

/// Moves `rec` to `to` at `now`, saves it and logs the move by `actor` with `note`.
async fn move_to(
    tx: &mut LedgerTx,
    rec: &mut RegistrationRecord,
    to: RegistrationStatus,
    now: DateTime<Utc>,
    actor: &str,
    note: Option<&str>,
) -> Result<()> {
    let from = rec.status;
    rec.status = to;
    rec.updated_at = now;
    rec.status_times.insert(to, now);
    tx.save(rec).await?;
    tx.log_event(&EventEntry {
        key: &rec.registration_key,
        at: now,
        actor,
        from: Some(from),
        to,
        note,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
