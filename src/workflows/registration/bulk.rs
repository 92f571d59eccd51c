//! Whole-ledger operations: reconciling with the inventory, export and import.

use std::collections::HashSet;

use chrono::SubsecRound;

use super::{
    ImportReport, ReconcileReport, ReconcileScope, RegistrationCandidate, RegistrationRecord,
    RegistrationStatus, RegistrationWorkflow, Scan, check_payload, move_to, require_ids,
};
use crate::error::{Error, Result};
use crate::state::ledger::{EventEntry, ListFilter, normalise_payload};

/// Every record, oldest first.
const ALL_OLDEST_FIRST: ListFilter = ListFilter {
    status: None,
    limit: 0,
    oldest_first: true,
};

impl RegistrationWorkflow {
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
    /// record whose VM is live again goes back to `discovered`. Damaged rows are left alone.
    pub async fn reconcile_in(
        &self,
        live: &[RegistrationCandidate],
        scope: &ReconcileScope,
        actor: &str,
    ) -> Result<ReconcileReport> {
        let live_uids: HashSet<&str> = live.iter().map(|c| c.vm_uid.as_str()).collect();
        let (mut tx, now) = self.begin().await?;
        let records = tx.list(&ALL_OLDEST_FIRST).await?.items;
        let mut report = ReconcileReport::default();
        let mut tracked: HashSet<String> = HashSet::new();
        for mut rec in records {
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
            // A VM that left (or came back) holds no lease.
            rec.lease_owner = None;
            rec.lease_expires_at = None;
            move_to(&mut tx, &mut rec, to, now, actor, Some(note)).await?;
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
        tx.commit().await?;
        Ok(report)
    }

    /// Every record, oldest first (the CLI writes them as JSON lines). Damaged rows are
    /// skipped and listed in [`Scan::skipped`]; they stay in the ledger.
    pub async fn export(&self) -> Result<Scan<RegistrationRecord>> {
        self.ledger.list(&ALL_OLDEST_FIRST).await
    }

    /// Upserts exported records as they are (restore: the transition table does not apply).
    /// Idempotent: importing the same records again changes nothing and logs nothing. Inserted
    /// records, and records whose content changed, get an event by `actor`. A record whose
    /// payload passes the ledger's bounds is refused, naming the record.
    pub async fn import(
        &self,
        records: &[RegistrationRecord],
        actor: &str,
    ) -> Result<ImportReport> {
        for rec in records {
            require_ids(&rec.registration_key, &rec.vm_uid)?;
            check_payload(&rec.payload).map_err(|e| {
                Error::invalid(
                    "payload",
                    format!("registration {}: {e}", rec.registration_key),
                )
            })?;
        }
        let (mut tx, now) = self.begin().await?;
        let mut report = ImportReport::default();
        // Key order, so concurrent imports lock rows in one order (no deadlock).
        let mut sorted: Vec<&RegistrationRecord> = records.iter().collect();
        sorted.sort_by(|a, b| a.registration_key.cmp(&b.registration_key));
        for rec in sorted {
            let incoming = normalised(rec);
            // A damaged stored row is replaced: importing is how it gets fixed.
            let existing = tx.load_row(&incoming.registration_key).await?;
            let from = match &existing {
                Some(Ok(old)) if *old == incoming => {
                    report.unchanged += 1;
                    continue;
                }
                Some(Ok(old)) => {
                    report.updated += 1;
                    Some(old.status)
                }
                Some(Err(_damaged)) => {
                    report.updated += 1;
                    None
                }
                None => {
                    report.inserted += 1;
                    None
                }
            };
            tx.save(&incoming).await?;
            tx.log_event(&EventEntry {
                key: &incoming.registration_key,
                at: now,
                actor,
                from,
                to: incoming.status,
                note: Some("imported"),
            })
            .await?;
        }
        tx.commit().await?;
        Ok(report)
    }
}

/// A record as the database keeps it (microsecond times, `{}` for no payload), so a re-import
/// compares equal.
fn normalised(rec: &RegistrationRecord) -> RegistrationRecord {
    let mut out = rec.clone();
    out.payload = normalise_payload(&out.payload);
    out.first_seen = out.first_seen.trunc_subsecs(6);
    out.updated_at = out.updated_at.trunc_subsecs(6);
    out.token_expires_at = out.token_expires_at.map(|t| t.trunc_subsecs(6));
    out.lease_expires_at = out.lease_expires_at.map(|t| t.trunc_subsecs(6));
    for t in out.status_times.values_mut() {
        *t = t.trunc_subsecs(6);
    }
    out
}
