//! Operating a ledger: `migrate-ledger` (this host's embedded ledger into a shared PostgreSQL
//! one) and `doctor` (what the ledger is, and whether its leases and clock look right).

use anyhow::Result;
use rsspot::state::ledger::{LedgerDigest, LedgerStore};
use secrecy::SecretString;

use super::{CLI_PG_CONNECTIONS, LedgerChoice, ledger_timeout, open_ledger};
use crate::ctx::Ctx;

/// A clock skew (database minus host) above this is worth a warning: leases run on the
/// database clock, but the times people read come from both.
const SKEW_WARN_MS: i64 = 2_000;

/// The target URL: as given, or read from stdin with `-` (keeps a password off the command line).
fn target_url(to: &str) -> Result<SecretString> {
    if to != "-" {
        return Ok(SecretString::from(to.to_owned()));
    }
    let text = rsspot::cli_support::read_stdin_text(
        rsspot::cli_support::SECRET_FILE_MAX,
        "a PostgreSQL URL",
    )?;
    let url = text.trim();
    if url.is_empty() {
        anyhow::bail!(rsspot::Error::invalid(
            "--to",
            "stdin was empty; pipe the PostgreSQL URL in, or give it as --to URL"
        ));
    }
    Ok(SecretString::from(url.to_owned()))
}

fn digest_line(label: &str, where_: &str, d: &LedgerDigest) -> String {
    let damaged = if d.damaged > 0 {
        format!(", {} damaged row(s) not copied", d.damaged)
    } else {
        String::new()
    };
    format!(
        "{label} {where_}: {} record(s), {} event(s){damaged}, checksum {}",
        d.records, d.events, d.checksum
    )
}

/// `registrations migrate-ledger --to URL`.
pub(super) async fn migrate_ledger(ctx: &Ctx, to: &str) -> Result<()> {
    let url = target_url(to)?;
    let target =
        LedgerStore::connect_with_timeout(&url, CLI_PG_CONNECTIONS, ledger_timeout(ctx).await?)
            .await?;
    // The source is always this host's embedded ledger, whatever ledger_url says.
    let state_path = ctx.resolved().await?.settings.state_path.clone();
    let source = open_ledger(ctx, &state_path).await?;
    let report = source.copy_into(&target).await?;
    if !ctx.out.is_table() {
        return ctx.out.data(&report);
    }
    let mut lines = vec![
        format!(
            "Copied {} record(s) and {} event(s) into {} ({} record(s) already there)",
            report.records_copied,
            report.events_copied,
            target.location(),
            report.records_unchanged
        ),
        digest_line("source", &source.location(), &report.source),
        digest_line("target", &target.location(), &report.target),
    ];
    if report.records_kept_in_target > 0 {
        lines.push(format!(
            "{} record(s) differ in the target and were kept as the target has them (it is in \
             use already)",
            report.records_kept_in_target
        ));
    }
    lines.push(if report.source.checksum == report.target.checksum {
        "Checksums match: the target holds exactly this ledger.".to_owned()
    } else {
        "Checksums differ: the target holds more than this ledger (or kept its own versions)."
            .to_owned()
    });
    ctx.out.text(&lines.join("\n"))
}

/// `registrations doctor`.
pub(super) async fn doctor(ctx: &Ctx, ledger: &LedgerChoice) -> Result<()> {
    let store = ledger.open(ctx).await?;
    let health = store.health().await?;
    if health.clock_skew_ms.abs() > SKEW_WARN_MS {
        ctx.out.warn(&format!(
            "this host's clock is {} ms {} the database's; leases use the database clock, but \
             fix the host's (NTP) so times read alike",
            health.clock_skew_ms.abs(),
            if health.clock_skew_ms > 0 {
                "behind"
            } else {
                "ahead of"
            }
        ));
    }
    if !ctx.out.is_table() {
        return ctx.out.data(&health);
    }
    let counts: Vec<String> = health
        .records_by_status
        .iter()
        .map(|(status, n)| format!("{status} {n}"))
        .collect();
    let total: u64 = health.records_by_status.values().sum();
    ctx.out.fields(&[
        ("BACKEND", format!("{:?}", health.backend).to_lowercase()),
        ("LOCATION", health.location.clone()),
        (
            "SCHEMA VERSION",
            health
                .schema_version
                .map(|v| v.to_string())
                .unwrap_or_else(|| "-".into()),
        ),
        ("RECORDS", format!("{total} ({})", counts.join(", "))),
        ("DAMAGED ROWS", health.damaged.to_string()),
        ("LIVE LEASES", health.live_leases.to_string()),
        ("EXPIRED LEASES", health.expired_leases.to_string()),
        ("CLOCK SKEW", format!("{} ms", health.clock_skew_ms)),
    ])
}
