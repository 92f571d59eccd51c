//! Whole-ledger jobs that work the same on every backend: a digest (counts and a checksum),
//! copying one ledger into another (`registrations migrate-ledger`), and health figures
//! (`registrations doctor`).

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::model::{RegistrationEvent, RegistrationRecord, RegistrationStatus};
#[cfg(feature = "postgres")]
use super::postgres;
use super::{Backend, LedgerBackend, LedgerStore, ListFilter, TxBackend, sqlite};
use crate::error::{Error, Result};

/// Counts and a checksum of a ledger's readable content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerDigest {
    /// Readable records.
    pub records: u64,
    /// Readable events.
    pub events: u64,
    /// Rows that could not be read (not in the checksum).
    pub damaged: u64,
    /// SHA-256 over every record (by key) and event (by id) as JSON: equal checksums mean
    /// equal ledgers, whatever the backend.
    pub checksum: String,
}

/// What [`LedgerStore::copy_into`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransferReport {
    /// The source before the copy.
    pub source: LedgerDigest,
    /// The target after it.
    pub target: LedgerDigest,
    /// Records written (new, or damaged in the target).
    pub records_copied: u64,
    /// Records the target already held, identical.
    pub records_unchanged: u64,
    /// Records the target held with other content (kept: the target may be in use already).
    pub records_kept_in_target: u64,
    /// Events written.
    pub events_copied: u64,
}

/// What `registrations doctor` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerHealth {
    /// Which kind of database.
    pub backend: LedgerBackend,
    /// Where it is (no password).
    pub location: String,
    /// The newest applied migration.
    pub schema_version: Option<i64>,
    /// Readable records by status (every status listed).
    pub records_by_status: BTreeMap<RegistrationStatus, u64>,
    /// Rows that could not be read.
    pub damaged: u64,
    /// Leases held and still running.
    pub live_leases: u64,
    /// Leases whose time is up (the records can be claimed again).
    pub expired_leases: u64,
    /// Database clock minus this host's, in milliseconds (0 for the embedded file, which
    /// uses this host's clock).
    pub clock_skew_ms: i64,
}

const ALL: ListFilter = ListFilter {
    status: None,
    limit: 0,
    oldest_first: true,
};

fn digest_of(
    records: &[RegistrationRecord],
    events: &[RegistrationEvent],
    damaged: u64,
) -> Result<LedgerDigest> {
    let mut records: Vec<&RegistrationRecord> = records.iter().collect();
    records.sort_by(|a, b| a.registration_key.cmp(&b.registration_key));
    let mut events: Vec<&RegistrationEvent> = events.iter().collect();
    events.sort_by_key(|e| e.id);
    let mut hash = Sha256::new();
    let encode = |e: serde_json::Error| Error::invalid("ledger", format!("cannot encode: {e}"));
    for rec in &records {
        hash.update(serde_json::to_vec(rec).map_err(encode)?);
        hash.update(b"\n");
    }
    hash.update(b"--events--\n");
    for ev in &events {
        hash.update(serde_json::to_vec(ev).map_err(encode)?);
        hash.update(b"\n");
    }
    Ok(LedgerDigest {
        records: records.len() as u64,
        events: events.len() as u64,
        damaged,
        checksum: hex::encode(hash.finalize()),
    })
}

impl LedgerStore {
    /// Counts and checksum of everything readable in the ledger.
    pub async fn digest(&self) -> Result<LedgerDigest> {
        let records = self.list(&ALL).await?;
        let events = self.events(None, 0).await?;
        let damaged = (records.skipped.len() + events.skipped.len()) as u64;
        digest_of(&records.items, &events.items, damaged)
    }

    /// Copies every readable record and event of this ledger into `target` (another backend,
    /// typically a shared PostgreSQL ledger), in one target transaction. Events keep their ids
    /// and times; records keep every field. Running it again copies nothing. A record the target
    /// already holds with other content is kept as the target has it (and counted), and an event
    /// id the target uses for another event stops the copy: the target is someone else's ledger.
    pub async fn copy_into(&self, target: &LedgerStore) -> Result<TransferReport> {
        let source_records = self.list(&ALL).await?;
        let source_events = self.events(None, 0).await?;
        let source = digest_of(
            &source_records.items,
            &source_events.items,
            (source_records.skipped.len() + source_events.skipped.len()) as u64,
        )?;
        let mut report = TransferReport {
            target: source.clone(),
            source,
            records_copied: 0,
            records_unchanged: 0,
            records_kept_in_target: 0,
            events_copied: 0,
        };
        let mut tx = target.begin().await?;
        let existing: HashMap<i64, RegistrationEvent> = tx
            .list_events()
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
        for rec in &source_records.items {
            match tx.load_row(&rec.registration_key).await? {
                Some(Ok(have)) if have == *rec => report.records_unchanged += 1,
                Some(Ok(_)) => report.records_kept_in_target += 1,
                Some(Err(_)) | None => {
                    tx.save(rec).await?;
                    report.records_copied += 1;
                }
            }
        }
        for ev in &source_events.items {
            match existing.get(&ev.id) {
                Some(have) if have == ev => {}
                Some(_) => {
                    return Err(Error::invalid(
                        "--to",
                        format!(
                            "the target ledger already has a different event {} (it is another \
                             ledger in use); copy into an empty database, or one this command \
                             filled before",
                            ev.id
                        ),
                    ));
                }
                None => {
                    tx.copy_event(ev).await?;
                    report.events_copied += 1;
                }
            }
        }
        tx.finish_copy().await?;
        tx.commit().await?;
        report.target = target.digest().await?;
        Ok(report)
    }

    /// Backend, schema, counts, leases and clock skew.
    pub async fn health(&self) -> Result<LedgerHealth> {
        let before = Utc::now();
        let db_now = self.now().await?;
        let after = Utc::now();
        let host_mid = before + (after - before) / 2;
        let records = self.list(&ALL).await?;
        let mut by_status: BTreeMap<RegistrationStatus, u64> =
            RegistrationStatus::ALL.iter().map(|s| (*s, 0)).collect();
        let (mut live, mut expired) = (0, 0);
        for rec in &records.items {
            *by_status.entry(rec.status).or_default() += 1;
            if rec.lease_owner.is_some() {
                if rec.lease_live_at(db_now).is_some() {
                    live += 1;
                } else {
                    expired += 1;
                }
            }
        }
        Ok(LedgerHealth {
            backend: self.backend(),
            location: self.location(),
            schema_version: self.schema_version().await?,
            records_by_status: by_status,
            damaged: records.skipped.len() as u64,
            live_leases: live,
            expired_leases: expired,
            // The embedded file has no clock of its own.
            clock_skew_ms: match self.backend() {
                LedgerBackend::Sqlite => 0,
                LedgerBackend::Postgres => (db_now - host_mid).num_milliseconds(),
            },
        })
    }

    /// The newest applied migration of the ledger's schema.
    pub async fn schema_version(&self) -> Result<Option<i64>> {
        on_conn!(self, schema_version())
    }
}

impl super::LedgerTx {
    /// Every event, inside the transaction.
    async fn list_events(&mut self) -> Result<Vec<RegistrationEvent>> {
        let scan = on_tx!(self, events(None, 0))?;
        Ok(scan.items)
    }

    /// Writes an event with its own id.
    async fn copy_event(&mut self, ev: &RegistrationEvent) -> Result<()> {
        on_tx!(self, copy_event(ev)).map(|_| ())
    }

    /// After copying events with their ids: new events get ids after them.
    async fn finish_copy(&mut self) -> Result<()> {
        match &mut self.inner {
            // AUTOINCREMENT already continues after the largest id.
            TxBackend::Sqlite { .. } => Ok(()),
            #[cfg(feature = "postgres")]
            TxBackend::Postgres { db, tx } => postgres::bump_event_ids(db, tx).await,
        }
    }
}
