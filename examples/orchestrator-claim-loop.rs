//! An orchestrator's loop over the registration ledger: discover the org's ready VMs, then claim
//! them under a lease and drive each through `token_issued → submitted → registered`.
//!
//! Runs against the in-process emulator (whose `demo` org has a VM inventory) and an in-memory
//! ledger: `cargo run --example orchestrator-claim-loop`. A real orchestrator opens the ledger
//! with `StateStore::open(path)` so that several processes share it; leases keep them from
//! working the same VM.

use std::time::Duration;

use rsspot::SpotClient;
use rsspot::emulator::Emulator;
use rsspot::workflows::LedgerStore;
use rsspot::workflows::registration::{
    MarkUpdate, RegistrationStatus, RegistrationWorkflow, candidates,
};

#[tokio::main(flavor = "current_thread")]
async fn main() -> rsspot::Result<()> {
    let emu = Emulator::start().await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await?;
    let ledger = RegistrationWorkflow::new(LedgerStore::in_memory().await?);
    let owner = "example-worker";

    let vmcloudspaces = client.inventory().vm_cloudspaces().await?;
    let found = candidates(&vmcloudspaces, Some("demo"), Some("omni-demo"), true);
    let report = ledger.discover(&found, owner).await?;
    println!("discovered {} new VMs", report.new.len());

    loop {
        let batch = ledger.claim(2, Duration::from_secs(300), owner).await?;
        // A damaged ledger row is reported and skipped, never fatal.
        for skipped in &batch.skipped {
            eprintln!("skipped: {skipped:?}");
        }
        if batch.items.is_empty() {
            break;
        }
        for rec in batch.items {
            let key = &rec.registration_key;
            // A real orchestrator issues a join token, submits it to the VM and checks the
            // cluster here; each step is recorded so a crash resumes where it stopped.
            let token = MarkUpdate {
                token_id: Some(format!("token-{}", rec.vm_uid)),
                ..MarkUpdate::default()
            };
            ledger
                .mark(key, RegistrationStatus::TokenIssued, owner, token)
                .await?;
            ledger
                .mark(
                    key,
                    RegistrationStatus::Submitted,
                    owner,
                    MarkUpdate::default(),
                )
                .await?;
            let done = ledger
                .mark(
                    key,
                    RegistrationStatus::Registered,
                    owner,
                    MarkUpdate::default(),
                )
                .await?;
            println!("{} ({}) {}", done.vm_uid, key, done.status.as_str());
        }
    }
    let registered = ledger
        .list(Some(RegistrationStatus::Registered), 0)
        .await?
        .items
        .len();
    println!("{registered} VMs registered");
    Ok(())
}
