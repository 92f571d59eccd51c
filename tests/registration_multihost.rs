//! Several hosts sharing one PostgreSQL ledger, as real `rsspot` processes (issue 18): 4
//! simulated hosts (each its own HOME and state.db) × 8 concurrent `registrations claim`
//! loops over 10,000 discovered VMs hand out every VM exactly once and lose no event; a lease
//! left by a crashed host is taken over once it expires.
#![cfg(feature = "cli")]

mod ledger_support;

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsspot::state::ledger::LedgerStore;
use rsspot::workflows::{RegistrationCandidate, RegistrationStatus, RegistrationWorkflow};
use secrecy::SecretString;
use serde_json::Value;

const VMS: usize = 10_000;
const HOSTS: usize = 4;
const CLAIMERS_PER_HOST: usize = 8;
const BATCH: usize = 50;

/// `rsspot` as a host would run it: its own HOME (so its own state.db) and the shared ledger.
fn rsspot(home: &Path, ledger_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rsspot"));
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") || k.starts_with("RACKSPACE_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("NO_COLOR", "1")
        .env("RSSPOT_LEDGER_URL", ledger_url)
        .env_remove("RUST_LOG");
    c
}

fn json_of(args: &[&str], out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn run_json(home: &Path, url: &str, args: &[&str]) -> Value {
    // Piped output is a tab-separated table unless JSON is asked for.
    let mut c = rsspot(home, url);
    c.args(args);
    if !args.contains(&"-o") {
        c.args(["-o", "json"]);
    }
    let out = c.output().unwrap();
    json_of(args, &out)
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a JSON array")
        .iter()
        .map(|r| r["registration_key"].as_str().unwrap().to_owned())
        .collect()
}

async fn seed(url: &str, prefix: &str, n: usize) -> RegistrationWorkflow {
    let store = LedgerStore::connect(&SecretString::from(url.to_owned()))
        .await
        .unwrap();
    let wf = RegistrationWorkflow::new(store);
    let cs: Vec<_> = (0..n)
        .map(|i| {
            RegistrationCandidate::new(
                format!("{prefix}-{i:05}"),
                None,
                Some("org-fleet".into()),
                Some("vms-fleet".into()),
                Some("pool".into()),
                Some("omni".into()),
            )
        })
        .collect();
    assert_eq!(wf.discover(&cs, "seed").await.unwrap().new.len(), n);
    wf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_hosts_times_eight_claimers_claim_each_vm_once() {
    let url = ledger_support::fresh_pg_database().await;
    let wf = seed(&url, "vm", VMS).await;
    let homes: Vec<tempfile::TempDir> = (0..HOSTS).map(|_| tempfile::tempdir().unwrap()).collect();
    let claimed: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
    let marked: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let mut threads = Vec::new();
    for (h, home) in homes.iter().enumerate() {
        for w in 0..CLAIMERS_PER_HOST {
            let home = home.path().to_path_buf();
            let url = url.clone();
            let claimed = claimed.clone();
            let marked = marked.clone();
            threads.push(std::thread::spawn(move || {
                let owner = format!("host{h}-claimer{w}");
                let batch = BATCH.to_string();
                let args = [
                    "registrations",
                    "claim",
                    &batch,
                    "--owner",
                    &owner,
                    "--ttl",
                    "600",
                    "-o",
                    "json",
                ];
                loop {
                    let got = keys(&run_json(&home, &url, &args));
                    if got.is_empty() {
                        return;
                    }
                    // Work one record per batch, so marks (and their events) race the claims.
                    let first = got[0].clone();
                    run_json(
                        &home,
                        &url,
                        &[
                            "registrations",
                            "mark",
                            &first,
                            "token_issued",
                            "--owner",
                            &owner,
                            "-o",
                            "json",
                        ],
                    );
                    marked.lock().unwrap().push((first, owner.clone()));
                    let mut c = claimed.lock().unwrap();
                    for k in got {
                        c.entry(k).or_default().push(owner.clone());
                    }
                }
            }));
        }
    }
    for t in threads {
        t.join().expect("a claimer thread panicked");
    }
    let claimed = std::mem::take(&mut *claimed.lock().unwrap());
    let twice: Vec<_> = claimed.iter().filter(|(_, o)| o.len() > 1).collect();
    assert!(
        twice.is_empty(),
        "claimed more than once: {:?}",
        &twice[..twice.len().min(5)]
    );
    assert_eq!(claimed.len(), VMS, "every VM claimed");
    let owners: std::collections::HashSet<&str> = claimed
        .values()
        .flat_map(|o| o.iter().map(|s| s.split('-').next().unwrap()))
        .collect();
    assert_eq!(owners.len(), HOSTS, "every host got work");

    // No lost events: one per discovery, one per mark; every mark's event is there.
    let marked = std::mem::take(&mut *marked.lock().unwrap());
    let events = wf.events(None, 0).await.unwrap();
    assert!(events.skipped.is_empty());
    assert_eq!(events.items.len(), VMS + marked.len());
    let issued: HashMap<&str, &str> = events
        .items
        .iter()
        .filter(|e| e.to == RegistrationStatus::TokenIssued)
        .map(|e| (e.registration_key.as_str(), e.actor.as_str()))
        .collect();
    for (key, owner) in marked.iter() {
        assert_eq!(issued.get(key.as_str()), Some(&owner.as_str()), "{key}");
    }
    let records = wf.list(None, 0).await.unwrap().items;
    assert_eq!(records.len(), VMS);
    assert!(
        records
            .iter()
            .all(|r| r.attempts == 1 && r.lease_owner.is_some())
    );
    // The hosts kept no ledger of their own.
    for home in &homes {
        assert!(!home.path().join(".local/state/rsspot/ledger.db").exists());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_hosts_leases_are_taken_over_after_expiry() {
    let url = ledger_support::fresh_pg_database().await;
    seed(&url, "tk", 20).await;
    let crashed = tempfile::tempdir().unwrap();
    let rescuer = tempfile::tempdir().unwrap();
    let claim = |home: &Path, owner: &str, ttl: &str| {
        keys(&run_json(
            home,
            &url,
            &[
                "registrations",
                "claim",
                "20",
                "--owner",
                owner,
                "--ttl",
                ttl,
                "-o",
                "json",
            ],
        ))
    };
    let held = claim(crashed.path(), "crashed-host", "1");
    assert_eq!(held.len(), 20);
    assert!(
        claim(rescuer.path(), "rescuer", "600").is_empty(),
        "leases are live"
    );
    std::thread::sleep(Duration::from_millis(1_500));
    let taken = run_json(
        rescuer.path(),
        &url,
        &[
            "registrations",
            "claim",
            "20",
            "--owner",
            "rescuer",
            "--ttl",
            "600",
            "-o",
            "json",
        ],
    );
    assert_eq!(keys(&taken).len(), 20, "expired leases are taken over");
    for rec in taken.as_array().unwrap() {
        assert_eq!(rec["lease_owner"], "rescuer");
        assert_eq!(rec["attempts"], 2);
    }
    // The crashed host, back, is refused: the record is the rescuer's now (exit 1, conflict).
    let out = rsspot(crashed.path(), &url)
        .args([
            "registrations",
            "mark",
            &held[0],
            "token_issued",
            "--owner",
            "crashed-host",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rescuer"), "{err}");
}
