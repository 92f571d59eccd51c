//! The commands that work on many records at once: `discover` (inventory in, reconcile),
//! `restore` (a whole ledger from a backup) and the JSON-lines reader `import` shares.

use std::path::Path;

use anyhow::Result;
use rsspot::state::ledger::RestoreSource;
use rsspot::workflows::{ReconcileScope, RegistrationRecord, candidates};

use super::{DiscoverSummary, LedgerChoice, is_sqlite_file, workflow};
use crate::cli::OutputFormat;
use crate::ctx::Ctx;

/// `registrations restore BACKUP`: asks, then swaps the ledger's content in one transaction.
pub(super) async fn restore(
    ctx: &Ctx,
    ledger: &LedgerChoice,
    backup: &Path,
    actor: &str,
) -> Result<()> {
    let (source, what) = if is_sqlite_file(backup) {
        (
            RestoreSource::File(backup.to_path_buf()),
            "the records and events".to_owned(),
        )
    } else {
        let records = read_records(&backup.display().to_string())?;
        let n = records.len();
        (
            RestoreSource::Records(records),
            format!("{n} exported record(s)"),
        )
    };
    let wf = workflow(ctx, ledger).await?;
    let ledger = wf.ledger();
    let current = ledger.list(&Default::default()).await?;
    let here = ledger.location();
    ctx.confirm(&format!(
        "Replace the registration ledger {here} ({} record(s)) with {what} of {} (the current \
         ledger is copied to a backup first)",
        current.items.len() + current.skipped.len(),
        backup.display()
    ))?;
    let report = ledger.restore(source, actor).await?;
    if ctx.out.is_table() || ctx.out.format == OutputFormat::Name {
        let previous = report
            .previous_backup
            .as_ref()
            .map(|p| {
                format!(
                    "; the previous ledger ({} record(s)) is at {}",
                    report.replaced_records,
                    p.display()
                )
            })
            .unwrap_or_default();
        return ctx.out.text(&format!(
            "Restored {} record(s) and {} event(s) from {} into {here}{previous}",
            report.records,
            report.events,
            backup.display()
        ));
    }
    ctx.out.data(&report)
}

/// Reads JSON lines (blank lines skipped) from a file or stdin, naming the bad line on error.
pub(super) fn read_records(file: &str) -> Result<Vec<RegistrationRecord>> {
    use rsspot::cli_support::BULK_FILE_MAX;
    let what = "registration records";
    let text = if file == "-" {
        rsspot::cli_support::read_stdin_text(BULK_FILE_MAX, what)?
    } else {
        rsspot::cli_support::read_bounded_text(Path::new(file), BULK_FILE_MAX, what)?
    };
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str::<RegistrationRecord>(line).map_err(|e| {
                anyhow::Error::new(rsspot::Error::invalid(
                    "FILE",
                    format!("{file} line {}: not a registration record: {e}", i + 1),
                ))
            })
        })
        .collect()
}

pub(super) async fn discover(
    ctx: &Ctx,
    ledger: &LedgerChoice,
    omni_cluster: Option<String>,
    vmcloudspace: Option<String>,
    all: bool,
    actor: &str,
) -> Result<()> {
    let wf = workflow(ctx, ledger).await?;
    let client = ctx.client().await?;
    // The key uses the org id (org_...), as the Python tool's callers passed it.
    let ns = client.namespace(ctx.org()).await?;
    let org_id = client
        .organizations()
        .get(&ns)
        .await
        .ok()
        .and_then(|o| o.id)
        .unwrap_or(ns);
    let mut spaces = client
        .org_or_default(ctx.org())
        .inventory()
        .vm_cloudspaces()
        .await?;
    if let Some(name) = &vmcloudspace {
        spaces.retain(|s| rsspot::ResourceExt::name(s) == name.as_str());
        if spaces.is_empty() {
            anyhow::bail!(rsspot::Error::not_found("vmcloudspace", name));
        }
    }
    let found = candidates(&spaces, Some(&org_id), omni_cluster.as_deref(), !all);
    let report = wf.discover(&found, actor).await?;
    // Every VM still in the inventory counts as live, ready or not: a VM that is merely not
    // ready yet has not gone away.
    let live = candidates(&spaces, Some(&org_id), omni_cluster.as_deref(), false);
    let scope = ReconcileScope {
        org_id: Some(org_id.clone()),
        vmcloudspace: vmcloudspace.clone(),
    };
    let rec = wf.reconcile_in(&live, &scope, actor).await?;
    let summary = DiscoverSummary {
        org_id,
        vmcloudspace,
        omni_cluster,
        candidates: found.len(),
        new: report.new,
        existing: report.existing,
        gone: rec.gone,
        returned: rec.returned,
    };
    match ctx.out.format {
        OutputFormat::Table | OutputFormat::Wide => ctx.out.text(&format!(
            "{} candidate(s): {} new, {} already known; {} gone, {} returned",
            summary.candidates,
            summary.new.len(),
            summary.existing,
            summary.gone.len(),
            summary.returned.len()
        )),
        OutputFormat::Name => ctx.out.text(&summary.new.join("\n")),
        _ => ctx.out.data(&summary),
    }
}
