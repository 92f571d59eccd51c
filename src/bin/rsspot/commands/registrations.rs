//! `registrations ...`: the VM registration ledger, driven by external orchestrators.
//!
//! Every command is a thin layer over `rsspot::workflows::RegistrationWorkflow` on the profile's
//! ledger: `ledger.db` beside `state.db`, or the shared PostgreSQL database that `--ledger-url`,
//! `RSSPOT_LEDGER_URL`, `RSSPOT_LEDGER_URL_FILE` or the profile's `ledger_url` names. Output is JSON when piped (tables on a TTY), `export`
//! writes JSON lines, and the exit codes carry the workflow's verdicts: a refused transition is
//! 2, a record leased to another owner is 1 (conflict), an unknown key is 3. Damaged rows are
//! reported on stderr (one warning each, naming the key) and skipped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Subcommand;
use rsspot::workflows::{
    LedgerStore, MarkUpdate, RegistrationEvent, RegistrationRecord, RegistrationStatus,
    RegistrationWorkflow, Scan, SkippedRow,
};
use secrecy::SecretString;
use serde::Serialize;

use crate::ctx::Ctx;
use crate::output::{Tabular, age, dash};

mod admin;
mod bulk;

use bulk::{discover, read_records, restore};

/// Who writes the event log entries of commands that take no `--owner`.
const DEFAULT_ACTOR: &str = "rsspot-cli";

/// `rsspot registrations [--ledger-url URL] COMMAND`.
#[derive(Debug, clap::Args)]
pub struct RegistrationsArgs {
    /// The ledger's database: postgres://USER@HOST[:PORT]/DB[?sslmode=require] selects a shared
    /// PostgreSQL ledger (password from the URL, PGPASSWORD or ~/.pgpass; keep it out of the
    /// command line with RSSPOT_LEDGER_URL_FILE). Default: RSSPOT_LEDGER_URL, the profile's
    /// ledger_url, else the embedded ledger.db beside state.db.
    #[arg(long, global = true, value_name = "URL", hide_env_values = true)]
    pub ledger_url: Option<String>,
    #[command(subcommand)]
    pub cmd: RegistrationsCmd,
}

#[derive(Debug, Subcommand)]
pub enum RegistrationsCmd {
    /// Read the VM inventory and record every new VM as `discovered`; VMs that left the
    /// inventory become `gone` (never deleted).
    Discover {
        /// Cluster the VMs are registered into (part of the registration key).
        #[arg(long, value_name = "CLUSTER")]
        omni_cluster: Option<String>,
        /// Only this VM cloudspace (and reconcile only its records).
        #[arg(long)]
        vmcloudspace: Option<String>,
        /// Include VMs and VM cloudspaces that are not ready yet.
        #[arg(long)]
        all: bool,
        /// Name written to the event log.
        #[arg(long, default_value = DEFAULT_ACTOR)]
        actor: String,
    },
    /// List records, most recently updated first.
    #[command(visible_alias = "ls")]
    List {
        /// Only records in this status (discovered, token_issued, submitted, registered,
        /// failed, skipped, gone).
        #[arg(long, value_parser = parse_status)]
        status: Option<RegistrationStatus>,
        /// At most this many records (0: all).
        #[arg(long, default_value_t = 0)]
        limit: u32,
    },
    /// Show one record.
    #[command(visible_alias = "get")]
    Show {
        /// Registration key (vmreg-...).
        key: String,
    },
    /// Lease up to N actionable records nobody holds, for --ttl seconds.
    Claim {
        /// How many records to lease.
        n: u32,
        /// Who takes the lease (an orchestrator instance id).
        #[arg(long)]
        owner: String,
        /// Lease length in seconds.
        #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
        ttl: u64,
    },
    /// Move a record to STATUS (merging the given fields into it).
    Mark {
        /// Registration key.
        key: String,
        /// New status: token_issued, submitted, registered, failed, skipped or discovered.
        #[arg(value_parser = parse_status)]
        status: RegistrationStatus,
        /// Who marks (must hold the lease, or nobody must).
        #[arg(long)]
        owner: String,
        /// Join token id.
        #[arg(long, value_name = "ID")]
        token_id: Option<String>,
        /// Token expiry (RFC 3339).
        #[arg(long, value_parser = parse_time, value_name = "TIME")]
        token_expires_at: Option<DateTime<Utc>>,
        /// Error text (stored as last_error).
        #[arg(long)]
        error: Option<String>,
        /// JSON merge patch for the record's payload.
        #[arg(long, value_parser = parse_json)]
        payload: Option<serde_json::Value>,
        /// Note for the event log.
        #[arg(long)]
        note: Option<String>,
    },
    /// Give up a lease.
    Release {
        /// Registration key.
        key: String,
        /// The lease owner.
        #[arg(long)]
        owner: String,
    },
    /// Put a record back to `discovered`, whoever holds it.
    Reset {
        /// Registration key.
        key: String,
        /// Name written to the event log.
        #[arg(long, default_value = DEFAULT_ACTOR)]
        actor: String,
    },
    /// The event log (of one record, or of all), oldest first.
    Events {
        /// Registration key.
        key: Option<String>,
        /// The most recent N events (0: all).
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Every record as JSON lines on stdout.
    Export,
    /// Restore records from JSON lines (as written by `export`); `-` reads stdin.
    Import {
        /// File of JSON lines, or `-`.
        file: String,
        /// Name written to the event log.
        #[arg(long, default_value = DEFAULT_ACTOR)]
        actor: String,
    },
    /// Copy this host's embedded ledger (records and events, losslessly) into a shared
    /// PostgreSQL ledger; reports counts and a checksum on both sides. Running it again
    /// changes nothing.
    MigrateLedger {
        /// The PostgreSQL ledger (postgres://...); `-` reads the URL from stdin.
        #[arg(long, value_name = "URL")]
        to: String,
    },
    /// Backend, schema version, record counts by status, expired leases and the clock skew
    /// between this host and the database.
    Doctor,
    /// Replace the whole ledger with a backup: a `ledger.db.bak-…` or `state.db.bak-…` left by
    /// `state reset`, or an `export` file. The current ledger is kept as a backup first.
    Restore {
        /// The backup file.
        backup: PathBuf,
        /// Name written to the event log (export files only).
        #[arg(long, default_value = DEFAULT_ACTOR)]
        actor: String,
    },
}

fn parse_status(s: &str) -> std::result::Result<RegistrationStatus, String> {
    s.parse::<RegistrationStatus>().map_err(|e| e.to_string())
}

fn parse_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("expected an RFC 3339 time like 2026-01-31T12:00:00Z: {e}"))
}

fn parse_json(s: &str) -> std::result::Result<serde_json::Value, String> {
    serde_json::from_str(s).map_err(|e| format!("not valid JSON: {e}"))
}

impl Tabular for RegistrationRecord {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec![
            "KEY",
            "STATUS",
            "VM",
            "VMCLOUDSPACE",
            "POOL",
            "ATTEMPTS",
            "LEASED TO",
            "UPDATED",
        ];
        if wide {
            h.extend(["ORG", "OMNI CLUSTER", "TOKEN ID", "LAST ERROR"]);
        }
        h
    }
    fn drop_order() -> &'static [&'static str] {
        // The key (whole: commands take it as is), status, VM and lease say what to do next;
        // the rest is for `-o wide`.
        &["POOL", "ATTEMPTS", "UPDATED", "VMCLOUDSPACE"]
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let mut r = vec![
            self.registration_key.clone(),
            self.status.to_string(),
            dash(self.vm_name.as_ref().or(Some(&self.vm_uid))),
            dash(self.vmcloudspace.as_ref()),
            dash(self.vmpool.as_ref()),
            self.attempts.to_string(),
            dash(self.lease_live_at(Utc::now())),
            age(Some(&self.updated_at)),
        ];
        if wide {
            r.push(dash(self.org_id.as_ref()));
            r.push(dash(self.omni_cluster.as_ref()));
            r.push(dash(self.token_id.as_ref()));
            r.push(dash(self.last_error.as_ref()));
        }
        r
    }
    fn name(&self) -> String {
        self.registration_key.clone()
    }
}

impl Tabular for RegistrationEvent {
    fn headers(_wide: bool) -> Vec<&'static str> {
        vec!["TIME", "KEY", "ACTOR", "FROM", "TO", "NOTE"]
    }
    fn row(&self, _wide: bool) -> Vec<String> {
        vec![
            self.at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            self.registration_key.clone(),
            self.actor.clone(),
            dash(self.from),
            self.to.to_string(),
            dash(self.note.as_ref()),
        ]
    }
    fn name(&self) -> String {
        self.registration_key.clone()
    }
}

/// What `discover` reports.
#[derive(Debug, Serialize)]
struct DiscoverSummary {
    org_id: String,
    vmcloudspace: Option<String>,
    omni_cluster: Option<String>,
    /// Candidates recorded (ready ones unless --all).
    candidates: usize,
    /// Keys recorded as `discovered` now.
    new: Vec<String>,
    /// Candidates already in the ledger.
    existing: u32,
    /// Keys whose VM left the inventory (now `gone`).
    gone: Vec<String>,
    /// Keys whose VM came back (`gone` → `discovered`).
    returned: Vec<String>,
}

/// What `release` reports.
#[derive(Debug, Serialize)]
struct Released<'a> {
    registration_key: &'a str,
    owner: &'a str,
    released: bool,
}

/// Which ledger the command works on: `--ledger-url`, else the settings' `ledger_url`, else
/// the embedded file.
pub struct LedgerChoice {
    url: Option<SecretString>,
}

/// Connections one CLI process opens to a PostgreSQL ledger: it runs one command at a time.
const CLI_PG_CONNECTIONS: u32 = 2;

/// The bound on a PostgreSQL ledger's waits: the request timeout (`--request-timeout`, else
/// the profile's `request_timeout_seconds`).
async fn ledger_timeout(ctx: &Ctx) -> Result<Duration> {
    Ok(match ctx.global.request_timeout {
        Some(t) => t,
        None => ctx.resolved().await?.settings.request_timeout,
    })
}

impl LedgerChoice {
    async fn open(&self, ctx: &Ctx) -> Result<LedgerStore> {
        let url = match &self.url {
            Some(url) => Some(url.clone()),
            None => ctx.resolved().await?.settings.ledger_url.clone(),
        };
        match url {
            Some(url) => Ok(LedgerStore::connect_with_timeout(
                &url,
                CLI_PG_CONNECTIONS,
                ledger_timeout(ctx).await?,
            )
            .await?),
            None => {
                let state_path = ctx.resolved().await?.settings.state_path.clone();
                open_ledger(ctx, &state_path).await
            }
        }
    }
}

/// The chosen ledger's workflow.
async fn workflow(ctx: &Ctx, ledger: &LedgerChoice) -> Result<RegistrationWorkflow> {
    Ok(RegistrationWorkflow::new(ledger.open(ctx).await?))
}

/// Opens the ledger beside `state_path`, first moving over a ledger an earlier rsspot kept
/// inside state.db (said once on stderr). A failed move is a warning: the ledger file works
/// on its own, and `state reset` refuses to move such a state.db without `--include-ledger`.
pub async fn open_ledger(ctx: &Ctx, state_path: &Path) -> Result<LedgerStore> {
    let path = LedgerStore::path_beside(state_path);
    let ledger = LedgerStore::open(&path).await?;
    if !is_sqlite_file(state_path) {
        return Ok(ledger);
    }
    match ledger.adopt_from_state_db(state_path).await {
        Ok(moved) if moved.records > 0 || moved.kept_existing > 0 => ctx.out.note(&format!(
            "Moved the registration ledger ({} record(s), {} event(s)) from {} to {}{}",
            moved.records,
            moved.events,
            state_path.display(),
            path.display(),
            if moved.kept_existing > 0 {
                format!(
                    "; {} record(s) already in {} were kept as they are",
                    moved.kept_existing,
                    path.display()
                )
            } else {
                String::new()
            }
        )),
        Ok(_) => {}
        Err(e) => ctx.out.warn(&format!(
            "could not move the registration ledger an earlier rsspot kept in {} to {}: {e}",
            state_path.display(),
            path.display()
        )),
    }
    Ok(ledger)
}

/// Whether `path` starts like a sqlite database (anything else holds no readable ledger).
pub fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read as _;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| &header == b"SQLite format 3\0")
}

/// One warning per damaged row, then the readable ones.
fn report_skipped(ctx: &Ctx, skipped: &[SkippedRow]) {
    for bad in skipped {
        ctx.out.warn(&format!(
            "{bad} (the row stays in the ledger; fix it with `rsspot registrations import` or \
             `restore`)"
        ));
    }
}

/// The readable items of a scan, after warning about the rest.
fn readable<T>(ctx: &Ctx, scan: Scan<T>) -> Vec<T> {
    report_skipped(ctx, &scan.skipped);
    scan.items
}

fn not_found(key: &str) -> anyhow::Error {
    anyhow::Error::new(rsspot::Error::not_found("registration", key))
}

fn show_record(ctx: &Ctx, rec: &RegistrationRecord) -> Result<()> {
    if !ctx.out.is_table() {
        return ctx.out.one(rec, rec);
    }
    let time = |t: Option<&DateTime<Utc>>| dash(t.map(|t| t.to_rfc3339()));
    let statuses: Vec<String> = rec
        .status_times
        .iter()
        .map(|(s, t)| format!("{s} {}", t.format("%Y-%m-%dT%H:%M:%SZ")))
        .collect();
    ctx.out.fields(&[
        ("KEY", rec.registration_key.clone()),
        ("STATUS", rec.status.to_string()),
        ("VM UID", rec.vm_uid.clone()),
        ("VM NAME", dash(rec.vm_name.as_ref())),
        ("ORG", dash(rec.org_id.as_ref())),
        ("VMCLOUDSPACE", dash(rec.vmcloudspace.as_ref())),
        ("POOL", dash(rec.vmpool.as_ref())),
        ("OMNI CLUSTER", dash(rec.omni_cluster.as_ref())),
        ("TOKEN ID", dash(rec.token_id.as_ref())),
        ("TOKEN EXPIRES", time(rec.token_expires_at.as_ref())),
        ("LAST ERROR", dash(rec.last_error.as_ref())),
        ("ATTEMPTS", rec.attempts.to_string()),
        ("LEASED TO", dash(rec.lease_live_at(Utc::now()))),
        ("LEASE EXPIRES", time(rec.lease_expires_at.as_ref())),
        ("FIRST SEEN", rec.first_seen.to_rfc3339()),
        ("UPDATED", rec.updated_at.to_rfc3339()),
        ("STATUS TIMES", dash(Some(statuses.join(", ")))),
        ("PAYLOAD", rec.payload.to_string()),
    ])
}

pub async fn run(ctx: &Ctx, args: RegistrationsArgs) -> Result<()> {
    let ledger = &LedgerChoice {
        url: args.ledger_url.map(SecretString::from),
    };
    match args.cmd {
        RegistrationsCmd::Discover {
            omni_cluster,
            vmcloudspace,
            all,
            actor,
        } => discover(ctx, ledger, omni_cluster, vmcloudspace, all, &actor).await,
        RegistrationsCmd::List { status, limit } => {
            let records = readable(ctx, workflow(ctx, ledger).await?.list(status, limit).await?);
            ctx.out.list(&records, &records)
        }
        RegistrationsCmd::Show { key } => {
            let rec = workflow(ctx, ledger)
                .await?
                .get(&key)
                .await?
                .ok_or_else(|| not_found(&key))?;
            show_record(ctx, &rec)
        }
        RegistrationsCmd::Claim { n, owner, ttl } => {
            let claimed = workflow(ctx, ledger)
                .await?
                .claim(n, Duration::from_secs(ttl), &owner)
                .await?;
            let records = readable(ctx, claimed);
            if ctx.out.is_table() && records.is_empty() {
                ctx.out.note("Nothing to claim.");
                return Ok(());
            }
            ctx.out.list(&records, &records)
        }
        RegistrationsCmd::Mark {
            key,
            status,
            owner,
            token_id,
            token_expires_at,
            error,
            payload,
            note,
        } => {
            let update = MarkUpdate {
                token_id,
                token_expires_at,
                error,
                payload,
                note,
            };
            let rec = workflow(ctx, ledger)
                .await?
                .mark(&key, status, &owner, update)
                .await?;
            show_record(ctx, &rec)
        }
        RegistrationsCmd::Release { key, owner } => {
            workflow(ctx, ledger).await?.release(&key, &owner).await?;
            if ctx.out.is_table() {
                return ctx.out.text(&format!("released {key}"));
            }
            ctx.out.data(&Released {
                registration_key: &key,
                owner: &owner,
                released: true,
            })
        }
        RegistrationsCmd::Reset { key, actor } => {
            let rec = workflow(ctx, ledger).await?.reset(&key, &actor).await?;
            show_record(ctx, &rec)
        }
        RegistrationsCmd::Events { key, limit } => {
            let wf = workflow(ctx, ledger).await?;
            if let Some(k) = &key
                && wf.get(k).await?.is_none()
            {
                return Err(not_found(k));
            }
            let events = readable(ctx, wf.events(key.as_deref(), limit).await?);
            ctx.out.list(&events, &events)
        }
        RegistrationsCmd::Export => {
            let records = readable(ctx, workflow(ctx, ledger).await?.export().await?);
            let mut text = String::new();
            for rec in &records {
                text.push_str(&serde_json::to_string(rec)?);
                text.push('\n');
            }
            ctx.out.text(&text)
        }
        RegistrationsCmd::Import { file, actor } => {
            let records = read_records(&file)?;
            let report = workflow(ctx, ledger)
                .await?
                .import(&records, &actor)
                .await?;
            if ctx.out.is_table() {
                return ctx.out.text(&format!(
                    "imported {} record(s): {} inserted, {} updated, {} unchanged",
                    records.len(),
                    report.inserted,
                    report.updated,
                    report.unchanged
                ));
            }
            ctx.out.data(&report)
        }
        RegistrationsCmd::Restore { backup, actor } => restore(ctx, ledger, &backup, &actor).await,
        RegistrationsCmd::MigrateLedger { to } => admin::migrate_ledger(ctx, &to).await,
        RegistrationsCmd::Doctor => admin::doctor(ctx, ledger).await,
    }
}

impl crate::shape::Shaped for RegistrationsArgs {
    fn shape(&self) -> crate::shape::Shape {
        match &self.cmd {
            RegistrationsCmd::Discover { .. }
            | RegistrationsCmd::List { .. }
            | RegistrationsCmd::Show { .. }
            | RegistrationsCmd::Claim { .. }
            | RegistrationsCmd::Mark { .. }
            | RegistrationsCmd::Release { .. }
            | RegistrationsCmd::Reset { .. }
            | RegistrationsCmd::Events { .. }
            | RegistrationsCmd::Export
            | RegistrationsCmd::Import { .. }
            | RegistrationsCmd::MigrateLedger { .. }
            | RegistrationsCmd::Doctor
            | RegistrationsCmd::Restore { .. } => crate::shape::Shape::RESOURCE,
        }
    }
}
