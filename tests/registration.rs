//! The registration ledger's workflow, run against both backends: the embedded sqlite file
//! and PostgreSQL (see `ledger_support`; every test here runs once on each).

mod ledger_support;

#[path = "registration_parts/claims.rs"]
mod claims;
#[path = "registration_parts/statuses.rs"]
mod statuses;

use claims::{
    claim_hands_out_each_record_once_and_counts_attempts,
    concurrent_claims_from_separate_stores_on_one_ledger, leases_expire_and_guard_marks,
};
use ledger_support::{Kind, TestLedger};
use statuses::{
    discover_inserts_new_and_leaves_existing_alone, every_transition_pair,
    marks_merge_instead_of_wiping, reset_works_from_any_status,
};

use std::collections::BTreeMap;
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

async fn reconcile_marks_gone_and_brings_back(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    let a = candidate("a");
    let b = candidate("b");
    let other_org = RegistrationCandidate::new("z", None, Some("org-b".into()), None, None, None);
    wf.discover(&[a.clone(), b.clone(), other_org.clone()], "scan")
        .await
        .unwrap();
    wf.claim(10, Duration::from_secs(60), "w").await.unwrap();

    // Scoped: org-b's record is out of scope even though it is not live.
    let scope = ReconcileScope {
        org_id: Some("org-a".into()),
        vmcloudspace: None,
    };
    clock.advance(Duration::from_secs(1));
    let report = wf
        .reconcile_in(&[a.clone(), candidate("new")], &scope, "rec")
        .await
        .unwrap();
    assert_eq!(report.gone, vec![b.registration_key.clone()]);
    assert!(report.returned.is_empty());
    assert_eq!(report.unchanged, 1);
    assert_eq!(report.untracked, 1);
    let gone = wf.get(&b.registration_key).await.unwrap().unwrap();
    assert_eq!(gone.status, Gone);
    assert_eq!(gone.lease_owner, None);
    assert_eq!(gone.status_times.get(&Gone), Some(&clock.now()));
    assert_eq!(
        wf.get(&other_org.registration_key)
            .await
            .unwrap()
            .unwrap()
            .status,
        Discovered
    );
    let ev = wf.events(Some(&b.registration_key), 1).await.unwrap().items;
    assert_eq!(
        (ev[0].from, ev[0].to, ev[0].actor.as_str()),
        (Some(Discovered), Gone, "rec")
    );

    // Gone is not marked away; reconcile again is a no-op for it.
    assert!(matches!(
        wf.mark(&b.registration_key, TokenIssued, "w", MarkUpdate::default())
            .await,
        Err(Error::Invalid { .. })
    ));
    let again = wf
        .reconcile_in(std::slice::from_ref(&a), &scope, "rec")
        .await
        .unwrap();
    assert!(again.gone.is_empty() && again.returned.is_empty());

    // The VM comes back.
    let report = wf
        .reconcile(&[a.clone(), b.clone(), other_org.clone()], "rec")
        .await
        .unwrap();
    assert_eq!(report.returned, vec![b.registration_key.clone()]);
    assert!(report.gone.is_empty());
    assert_eq!(
        wf.get(&b.registration_key).await.unwrap().unwrap().status,
        Discovered
    );

    // Unscoped reconcile against an empty inventory: everything gone, nothing deleted.
    let report = wf.reconcile(&[], "rec").await.unwrap();
    assert_eq!(report.gone.len(), 3);
    assert_eq!(wf.list(Some(Gone), 0).await.unwrap().items.len(), 3);
    assert_eq!(wf.list(None, 0).await.unwrap().items.len(), 3);
}

async fn export_import_round_trip(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    let cs: Vec<_> = (0..4).map(|i| candidate(&format!("e{i}"))).collect();
    wf.discover(&cs, "scan").await.unwrap();
    wf.claim(2, Duration::from_secs(60), "w").await.unwrap();
    clock.advance(Duration::from_millis(1234));
    wf.mark(
        &cs[0].registration_key,
        TokenIssued,
        "w",
        MarkUpdate {
            token_id: Some("t".into()),
            token_expires_at: Some(clock.now() + chrono::Duration::hours(1)),
            payload: Some(json!({"k": [1, 2, {"x": null}]})),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    wf.mark(
        &cs[1].registration_key,
        Failed,
        "w",
        MarkUpdate {
            error: Some("boom".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // "w" may or may not hold this one's lease (claim order is by key); either way it may mark.
    wf.mark(&cs[2].registration_key, Skipped, "w", MarkUpdate::default())
        .await
        .unwrap();

    let exported = wf.export().await.unwrap().items;
    assert_eq!(exported.len(), 4);
    // Through JSON lines, as the CLI would write them.
    let lines: Vec<String> = exported
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let parsed: Vec<RegistrationRecord> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(parsed, exported);

    let fresh_ledger = TestLedger::new(kind).await;
    let fresh = RegistrationWorkflow::new(fresh_ledger.open().await);
    let report = fresh.import(&parsed, "restore").await.unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (4, 0, 0)
    );
    assert_eq!(fresh.export().await.unwrap().items, exported);
    assert_eq!(fresh.events(None, 0).await.unwrap().items.len(), 4);

    // Idempotent.
    let report = fresh.import(&parsed, "restore").await.unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (0, 0, 4)
    );
    assert_eq!(fresh.events(None, 0).await.unwrap().items.len(), 4);
    assert_eq!(fresh.export().await.unwrap().items, exported);

    // A changed record is overwritten and logged.
    let mut changed = parsed[3].clone();
    changed.status = Registered;
    changed.payload = json!({"restored": true});
    let report = fresh.import(&[changed.clone()], "restore").await.unwrap();
    assert_eq!(
        (report.inserted, report.updated, report.unchanged),
        (0, 1, 0)
    );
    assert_eq!(
        fresh.get(&changed.registration_key).await.unwrap().unwrap(),
        changed
    );
    let ev = fresh
        .events(Some(&changed.registration_key), 1)
        .await
        .unwrap()
        .items;
    assert_eq!((ev[0].from, ev[0].to), (Some(parsed[3].status), Registered));
}

async fn list_filters_and_orders_and_events_limit(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    let cs: Vec<_> = (0..3).map(|i| candidate(&format!("o{i}"))).collect();
    wf.discover(&cs, "scan").await.unwrap();
    for c in &cs {
        clock.advance(Duration::from_secs(1));
        wf.mark(&c.registration_key, TokenIssued, "w", MarkUpdate::default())
            .await
            .unwrap();
    }
    clock.advance(Duration::from_secs(1));
    wf.mark(
        &cs[0].registration_key,
        Submitted,
        "w",
        MarkUpdate::default(),
    )
    .await
    .unwrap();

    let all = wf.list(None, 0).await.unwrap().items;
    let order: Vec<&str> = all.iter().map(|r| r.vm_uid.as_str()).collect();
    assert_eq!(order, ["o0", "o2", "o1"]);
    assert_eq!(wf.list(None, 2).await.unwrap().items.len(), 2);
    let issued = wf.list(Some(TokenIssued), 0).await.unwrap().items;
    let issued: BTreeMap<_, _> = issued
        .iter()
        .map(|r| (r.vm_uid.clone(), r.status))
        .collect();
    assert_eq!(
        issued,
        BTreeMap::from([("o1".into(), TokenIssued), ("o2".into(), TokenIssued)])
    );

    let ev = wf
        .events(Some(&cs[0].registration_key), 0)
        .await
        .unwrap()
        .items;
    let path: Vec<_> = ev.iter().map(|e| (e.from, e.to)).collect();
    assert_eq!(
        path,
        [
            (None, Discovered),
            (Some(Discovered), TokenIssued),
            (Some(TokenIssued), Submitted)
        ]
    );
    assert!(
        ev.windows(2)
            .all(|w| w[0].id < w[1].id && w[0].at <= w[1].at)
    );
    let last_two = wf.events(None, 2).await.unwrap().items;
    assert_eq!(last_two.len(), 2);
    assert_eq!(last_two[1].to, Submitted);
    assert_eq!(wf.events(None, 0).await.unwrap().items.len(), 3 + 3 + 1);
}

async fn ledger_survives_reopen(kind: Kind) {
    let ledger = TestLedger::new(kind).await;
    let key = {
        let store = ledger.open().await;
        let wf = RegistrationWorkflow::new(store.clone());
        let c = candidate("p");
        wf.discover(std::slice::from_ref(&c), "scan").await.unwrap();
        wf.mark(&c.registration_key, Skipped, "w", MarkUpdate::default())
            .await
            .unwrap();
        store.close().await;
        c.registration_key
    };
    let wf = RegistrationWorkflow::new(ledger.open().await);
    assert_eq!(wf.get(&key).await.unwrap().unwrap().status, Skipped);
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
