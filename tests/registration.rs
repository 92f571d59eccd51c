//! The registration ledger's workflow, run against both backends: the embedded sqlite file
//! and PostgreSQL (see `ledger_support`; every test here runs once on each).

mod ledger_support;

use ledger_support::{Kind, TestLedger};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rsspot::Error;
use rsspot::types::inventory::{VmCloudSpace, VmCloudSpaceList};
use rsspot::workflows::{
    MarkUpdate, ReconcileScope, RegistrationCandidate, RegistrationRecord, RegistrationStatus,
    RegistrationWorkflow, candidates, registration_key,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use RegistrationStatus::*;

/// A clock the test moves by hand.
#[derive(Clone)]
struct TestClock(Arc<Mutex<DateTime<Utc>>>);

impl TestClock {
    fn new() -> Self {
        TestClock(Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
        )))
    }
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
    fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap();
        *t += chrono::Duration::from_std(d).unwrap();
    }
    fn clock(&self) -> rsspot::workflows::Clock {
        let inner = self.0.clone();
        Arc::new(move || *inner.lock().unwrap())
    }
}

async fn workflow(kind: Kind) -> (RegistrationWorkflow, TestClock, TestLedger) {
    let clock = TestClock::new();
    let ledger = TestLedger::new(kind).await;
    let store = ledger.open().await;
    (
        RegistrationWorkflow::new(store).with_clock(clock.clock()),
        clock,
        ledger,
    )
}

fn candidate(uid: &str) -> RegistrationCandidate {
    RegistrationCandidate::new(
        uid,
        Some(format!("name-{uid}")),
        Some("org-a".into()),
        Some("vms-a".into()),
        Some("pool-1".into()),
        Some("omni-1".into()),
    )
}

/// Puts a record directly into `status` (import bypasses the transition table).
async fn record_in(wf: &RegistrationWorkflow, uid: &str, status: RegistrationStatus) -> String {
    let c = candidate(uid);
    wf.discover(std::slice::from_ref(&c), "test").await.unwrap();
    let mut rec = wf.get(&c.registration_key).await.unwrap().unwrap();
    rec.status = status;
    wf.import(&[rec], "test").await.unwrap();
    c.registration_key
}

fn expected_sha_key(parts: [&str; 5]) -> String {
    let digest = Sha256::digest(parts.join("|").as_bytes());
    format!("vmreg-{}", &hex::encode(digest)[..32])
}

#[test]
fn key_vectors() {
    // The vector verified against the Python tool.
    assert_eq!(
        registration_key("u", Some("o"), Some("cs"), None, None),
        "vmreg-c86d1e3a2fcbbd3c0fc28d6a680a28df"
    );
    // None and "" are the same part.
    assert_eq!(
        registration_key("u", None, None, None, None),
        registration_key("u", Some(""), Some(""), Some(""), Some(""))
    );
    assert_eq!(
        registration_key("u", None, None, None, None),
        expected_sha_key(["u", "", "", "", ""])
    );
    let full = registration_key("vm-1", Some("org-x"), Some("cs"), Some("p"), Some("omni"));
    assert_eq!(full, expected_sha_key(["vm-1", "org-x", "cs", "p", "omni"]));
    assert_eq!(full.len(), "vmreg-".len() + 32);
    // Every part matters, and its position matters.
    assert_ne!(
        registration_key("u", Some("o"), Some("cs"), Some("p"), None),
        registration_key("u", Some("o"), Some("cs"), None, Some("p"))
    );
    assert_eq!(
        candidate("x").registration_key,
        registration_key(
            "x",
            Some("org-a"),
            Some("vms-a"),
            Some("pool-1"),
            Some("omni-1")
        )
    );
}

fn inventory() -> Vec<VmCloudSpace> {
    let list: VmCloudSpaceList = serde_json::from_value(json!({
        "items": [
            {
                "metadata": {"name": "vms-ready", "namespace": "org-a"},
                "status": {"phase": "Ready", "assignedServers": {
                    "srv-1": {"serverName": "srv-1", "displayName": "web-1", "nodePoolName": "p1", "state": "Ready"},
                    "srv-2": {"nodePoolName": "p1", "state": "Provisioning"},
                    "srv-3": {"serverName": "srv-3-name", "IP": "10.0.0.3"}
                }}
            },
            {
                "metadata": {"name": "vms-pending"},
                "status": {"phase": "Provisioning", "assignedServers": {
                    "srv-9": {"serverName": "srv-9", "state": "Ready"}
                }}
            },
            {"metadata": {"name": "vms-empty"}}
        ]
    }))
    .unwrap();
    list.items
}

#[test]
fn candidates_from_inventory() {
    let all = candidates(&inventory(), Some("org-a"), Some("omni"), false);
    let uids: Vec<&str> = all.iter().map(|c| c.vm_uid.as_str()).collect();
    assert_eq!(uids, ["srv-1", "srv-2", "srv-3-name", "srv-9"]);
    let names: Vec<&str> = all.iter().map(|c| c.vm_name.as_str()).collect();
    assert_eq!(names, ["web-1", "srv-2", "srv-3-name", "srv-9"]);
    assert_eq!(all[0].vmpool.as_deref(), Some("p1"));
    assert_eq!(all[0].vmcloudspace.as_deref(), Some("vms-ready"));
    assert_eq!(all[3].vmcloudspace.as_deref(), Some("vms-pending"));
    for c in &all {
        assert_eq!(
            c.registration_key,
            registration_key(
                &c.vm_uid,
                Some("org-a"),
                c.vmcloudspace.as_deref(),
                c.vmpool.as_deref(),
                Some("omni")
            )
        );
    }

    let ready = candidates(&inventory(), None, None, true);
    let uids: Vec<&str> = ready.iter().map(|c| c.vm_uid.as_str()).collect();
    // srv-2 is provisioning; vms-pending is not Ready; srv-3 reports no state (counts as ready).
    assert_eq!(uids, ["srv-1", "srv-3-name"]);
    assert_eq!(ready[0].org_id, None);
}

async fn discover_inserts_new_and_leaves_existing_alone(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    let a = candidate("a");
    let b = candidate("b");
    let report = wf
        .discover(&[a.clone(), b.clone()], "scanner")
        .await
        .unwrap();
    assert_eq!(
        report.new,
        vec![a.registration_key.clone(), b.registration_key.clone()]
    );
    assert_eq!(report.existing, 0);

    let rec = wf.get(&a.registration_key).await.unwrap().unwrap();
    assert_eq!(rec.status, Discovered);
    assert_eq!(rec.vm_uid, "a");
    assert_eq!(rec.vm_name.as_deref(), Some("name-a"));
    assert_eq!(rec.org_id.as_deref(), Some("org-a"));
    assert_eq!(rec.first_seen, clock.now());
    assert_eq!(rec.status_times.get(&Discovered), Some(&clock.now()));
    assert_eq!(rec.attempts, 0);

    wf.mark(&a.registration_key, TokenIssued, "w", MarkUpdate::default())
        .await
        .unwrap();
    clock.advance(Duration::from_secs(5));
    let report = wf
        .discover(&[a.clone(), b.clone(), candidate("c")], "scanner")
        .await
        .unwrap();
    assert_eq!(report.new, vec![candidate("c").registration_key]);
    assert_eq!(report.existing, 2);
    // Re-discovery did not reset the record that moved on.
    let rec = wf.get(&a.registration_key).await.unwrap().unwrap();
    assert_eq!(rec.status, TokenIssued);
    assert_eq!(wf.list(None, 0).await.unwrap().items.len(), 3);
    assert!(wf.get("vmreg-missing").await.unwrap().is_none());
}

/// The transition table, written out independently of the implementation.
fn allowed(from: RegistrationStatus, to: RegistrationStatus) -> bool {
    let table: &[(RegistrationStatus, &[RegistrationStatus])] = &[
        (Discovered, &[TokenIssued, Failed, Skipped]),
        (TokenIssued, &[Submitted, Failed, Skipped, TokenIssued]),
        (Submitted, &[Registered, Failed]),
        (Failed, &[Discovered, TokenIssued, Skipped]),
        (Registered, &[]),
        (Skipped, &[]),
        (Gone, &[]),
    ];
    table
        .iter()
        .find(|(f, _)| *f == from)
        .is_some_and(|(_, tos)| tos.contains(&to))
}

async fn every_transition_pair(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    let mut allowed_count = 0;
    for (i, from) in RegistrationStatus::ALL.into_iter().enumerate() {
        for (j, to) in RegistrationStatus::ALL.into_iter().enumerate() {
            let key = record_in(&wf, &format!("vm-{i}-{j}"), from).await;
            clock.advance(Duration::from_secs(1));
            let before = wf.get(&key).await.unwrap().unwrap();
            let events_before = wf.events(Some(&key), 0).await.unwrap().items.len();
            let result = wf
                .mark(
                    &key,
                    to,
                    "worker",
                    MarkUpdate {
                        note: Some("n".into()),
                        ..Default::default()
                    },
                )
                .await;
            let after = wf.get(&key).await.unwrap().unwrap();
            let events = wf.events(Some(&key), 0).await.unwrap().items;
            assert_eq!(
                from.can_transition_to(to),
                allowed(from, to),
                "{from} -> {to}"
            );
            if allowed(from, to) {
                allowed_count += 1;
                let rec = result.unwrap_or_else(|e| panic!("{from} -> {to} refused: {e}"));
                assert_eq!(rec, after);
                assert_eq!(after.status, to);
                assert_eq!(after.updated_at, clock.now());
                assert_eq!(after.status_times.get(&to), Some(&clock.now()));
                assert_eq!(events.len(), events_before + 1);
                let last = events.last().unwrap();
                assert_eq!((last.from, last.to), (Some(from), to));
                assert_eq!(last.actor, "worker");
                assert_eq!(last.note.as_deref(), Some("n"));
                assert_eq!(last.at, clock.now());
            } else {
                match result {
                    Err(Error::Invalid { field, message }) => {
                        assert_eq!(field.as_deref(), Some("status"));
                        assert!(message.contains(from.as_str()) && message.contains(to.as_str()));
                    }
                    other => panic!("{from} -> {to} should be refused, got {other:?}"),
                }
                assert_eq!(after, before, "refused mark changed {from} -> {to}");
                assert_eq!(events.len(), events_before);
            }
        }
    }
    assert_eq!(allowed_count, 3 + 4 + 2 + 3);
}

async fn reset_works_from_any_status(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    for (i, from) in RegistrationStatus::ALL.into_iter().enumerate() {
        let key = record_in(&wf, &format!("r{i}"), from).await;
        wf.claim(100, Duration::from_secs(60), "holder")
            .await
            .unwrap();
        clock.advance(Duration::from_secs(1));
        let rec = wf.reset(&key, "admin").await.unwrap();
        assert_eq!(rec.status, Discovered);
        assert_eq!(rec.lease_owner, None);
        let last = wf.events(Some(&key), 1).await.unwrap().items;
        assert_eq!(last.len(), 1);
        assert_eq!((last[0].from, last[0].to), (Some(from), Discovered));
        assert_eq!(last[0].actor, "admin");
    }
    assert!(matches!(
        wf.reset("vmreg-nope", "admin").await,
        Err(Error::NotFound { .. })
    ));
}

async fn marks_merge_instead_of_wiping(kind: Kind) {
    let (wf, _clock, _ledger) = workflow(kind).await;
    let c = candidate("m");
    let key = c.registration_key.clone();
    wf.discover(&[c], "scan").await.unwrap();
    let expiry = Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).unwrap();
    wf.mark(
        &key,
        TokenIssued,
        "w",
        MarkUpdate {
            token_id: Some("tok-1".into()),
            token_expires_at: Some(expiry),
            payload: Some(json!({"machine": {"id": "m1", "labels": {"a": "1"}}, "step": 1})),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let rec = wf
        .mark(
            &key,
            Submitted,
            "w",
            MarkUpdate {
                payload: Some(json!({"machine": {"labels": {"b": "2"}}, "step": 2})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    // Token survives `submitted`; the payload patch merged.
    assert_eq!(rec.token_id.as_deref(), Some("tok-1"));
    assert_eq!(rec.token_expires_at, Some(expiry));
    assert_eq!(
        rec.payload,
        json!({"machine": {"id": "m1", "labels": {"a": "1", "b": "2"}}, "step": 2})
    );

    let rec = wf
        .mark(
            &key,
            Failed,
            "w",
            MarkUpdate {
                error: Some("join timed out".into()),
                payload: Some(json!({"step": null})),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rec.last_error.as_deref(), Some("join timed out"));
    assert_eq!(
        rec.payload,
        json!({"machine": {"id": "m1", "labels": {"a": "1", "b": "2"}}})
    );
    assert_eq!(rec.token_id.as_deref(), Some("tok-1"));

    // The error is kept by later marks; a re-issued token replaces the old one.
    let rec = wf
        .mark(
            &key,
            TokenIssued,
            "w",
            MarkUpdate {
                token_id: Some("tok-2".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(rec.last_error.as_deref(), Some("join timed out"));
    assert_eq!(rec.token_id.as_deref(), Some("tok-2"));
    assert_eq!(rec.token_expires_at, Some(expiry));
    // What the mark returned is what is stored.
    assert_eq!(wf.get(&key).await.unwrap().unwrap(), rec);
    // Every status visited has a time.
    let visited: HashSet<_> = rec.status_times.keys().copied().collect();
    assert_eq!(
        visited,
        HashSet::from([Discovered, TokenIssued, Submitted, Failed])
    );
}

async fn claim_hands_out_each_record_once_and_counts_attempts(kind: Kind) {
    let (wf, _clock, _ledger) = workflow(kind).await;
    let cs: Vec<_> = (0..5).map(|i| candidate(&format!("c{i}"))).collect();
    wf.discover(&cs, "scan").await.unwrap();
    // Terminal records are not handed out.
    wf.mark(&cs[4].registration_key, Skipped, "x", MarkUpdate::default())
        .await
        .unwrap();

    let first = wf
        .claim(3, Duration::from_secs(60), "a")
        .await
        .unwrap()
        .items;
    let second = wf
        .claim(3, Duration::from_secs(60), "b")
        .await
        .unwrap()
        .items;
    let third = wf
        .claim(3, Duration::from_secs(60), "c")
        .await
        .unwrap()
        .items;
    assert_eq!(first.len(), 3);
    assert_eq!(second.len(), 1);
    assert!(third.is_empty());
    let keys: HashSet<_> = first
        .iter()
        .chain(&second)
        .map(|r| r.registration_key.clone())
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(!keys.contains(&cs[4].registration_key));
    for r in &first {
        assert_eq!(r.lease_owner.as_deref(), Some("a"));
        assert_eq!(r.attempts, 1);
        assert_eq!(wf.get(&r.registration_key).await.unwrap().unwrap(), *r);
    }
    assert!(matches!(
        wf.claim(1, Duration::ZERO, "a").await,
        Err(Error::Invalid { .. })
    ));
    assert!(matches!(
        wf.claim(1, Duration::from_secs(1), " ").await,
        Err(Error::Invalid { .. })
    ));
}

ledger_suite!(
    discover_inserts_new_and_leaves_existing_alone,
    every_transition_pair,
    reset_works_from_any_status,
    marks_merge_instead_of_wiping,
    claim_hands_out_each_record_once_and_counts_attempts,
    leases_expire_and_guard_marks,
    concurrent_claims_from_separate_stores_on_one_ledger,
    reconcile_marks_gone_and_brings_back,
    export_import_round_trip,
    list_filters_and_orders_and_events_limit,
    ledger_survives_reopen,
);

#[path = "registration_parts/leases.rs"]
mod leases;
use leases::*;
