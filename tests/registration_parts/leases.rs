//! Part of `tests/registration.rs`: leases, concurrent claims, reconcile, export/import, listing
//! and reopening, on both backends.

use super::*;

pub(super) async fn leases_expire_and_guard_marks(kind: Kind) {
    let (wf, clock, _ledger) = workflow(kind).await;
    let c = candidate("l");
    let key = c.registration_key.clone();
    wf.discover(&[c], "scan").await.unwrap();

    let got = wf
        .claim(1, Duration::from_secs(30), "alice")
        .await
        .unwrap()
        .items;
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].lease_expires_at,
        Some(clock.now() + chrono::Duration::seconds(30))
    );
    assert!(
        wf.claim(1, Duration::from_secs(30), "bob")
            .await
            .unwrap()
            .items
            .is_empty()
    );

    // A non-owner may neither mark nor release while the lease lives.
    let refused = wf
        .mark(&key, TokenIssued, "bob", MarkUpdate::default())
        .await;
    assert!(
        matches!(
            refused,
            Err(Error::Conflict {
                reason: rsspot::ConflictReason::LeaseHeld,
                ..
            })
        ),
        "{refused:?}"
    );
    assert!(matches!(
        wf.release(&key, "bob").await,
        Err(Error::Conflict { .. })
    ));
    assert_eq!(wf.get(&key).await.unwrap().unwrap().status, Discovered);

    // The owner may, and keeps the lease while work remains.
    let rec = wf
        .mark(&key, TokenIssued, "alice", MarkUpdate::default())
        .await
        .unwrap();
    assert_eq!(rec.lease_owner.as_deref(), Some("alice"));

    // Just before expiry the lease still holds; at expiry it is free again.
    clock.advance(Duration::from_secs(29));
    assert!(
        wf.claim(1, Duration::from_secs(30), "bob")
            .await
            .unwrap()
            .items
            .is_empty()
    );
    clock.advance(Duration::from_secs(1));
    let got = wf
        .claim(1, Duration::from_secs(30), "bob")
        .await
        .unwrap()
        .items;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].lease_owner.as_deref(), Some("bob"));
    assert_eq!(got[0].attempts, 2);
    assert_eq!(got[0].status, TokenIssued);

    // Now alice is the outsider.
    assert!(matches!(
        wf.mark(&key, Submitted, "alice", MarkUpdate::default())
            .await,
        Err(Error::Conflict { .. })
    ));
    // Releasing frees the record at once.
    wf.release(&key, "bob").await.unwrap();
    assert_eq!(wf.get(&key).await.unwrap().unwrap().lease_owner, None);
    let got = wf
        .claim(1, Duration::from_secs(30), "carol")
        .await
        .unwrap()
        .items;
    assert_eq!(got.len(), 1);

    // Reaching a terminal status ends the lease.
    wf.mark(&key, Submitted, "carol", MarkUpdate::default())
        .await
        .unwrap();
    let rec = wf
        .mark(&key, Registered, "carol", MarkUpdate::default())
        .await
        .unwrap();
    assert_eq!(rec.lease_owner, None);
    assert!(
        wf.claim(1, Duration::from_secs(30), "dave")
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(matches!(
        wf.mark("vmreg-none", Failed, "carol", MarkUpdate::default())
            .await,
        Err(Error::NotFound { .. })
    ));
}

pub(super) async fn concurrent_claims_from_separate_stores_on_one_ledger(kind: Kind) {
    const RECORDS: usize = 120;
    const WORKERS: usize = 8;
    let ledger = TestLedger::new(kind).await;
    let seed = RegistrationWorkflow::new(ledger.open().await);
    let cs: Vec<_> = (0..RECORDS)
        .map(|i| candidate(&format!("vm-{i:03}")))
        .collect();
    assert_eq!(seed.discover(&cs, "scan").await.unwrap().new.len(), RECORDS);

    // Separate stores = separate pools, as separate orchestrator processes would have.
    let mut stores = Vec::new();
    for _ in 0..WORKERS {
        stores.push(ledger.open_with(2).await);
    }
    let mut tasks = Vec::new();
    for (i, store) in stores.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let wf = RegistrationWorkflow::new(store);
            let owner = format!("worker-{i}");
            let mut mine = Vec::new();
            loop {
                let batch = wf.claim(3, Duration::from_secs(600), &owner).await?.items;
                if batch.is_empty() {
                    break;
                }
                for rec in batch {
                    assert_eq!(rec.lease_owner.as_deref(), Some(owner.as_str()));
                    // Work the record so marks contend with claims too.
                    wf.mark(
                        &rec.registration_key,
                        TokenIssued,
                        &owner,
                        MarkUpdate::default(),
                    )
                    .await?;
                    mine.push(rec.registration_key);
                }
            }
            Ok::<_, Error>(mine)
        }));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for task in tasks {
        let keys = tokio::time::timeout(Duration::from_secs(120), task)
            .await
            .expect("workers finish")
            .unwrap()
            .unwrap_or_else(|e| panic!("worker failed: {e}"));
        for k in keys {
            *seen.entry(k).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), RECORDS);
    assert!(seen.values().all(|&n| n == 1), "a record was claimed twice");
    for rec in seed.export().await.unwrap().items {
        assert_eq!(rec.attempts, 1);
        assert_eq!(rec.status, TokenIssued);
    }
}

pub(super) async fn reconcile_marks_gone_and_brings_back(kind: Kind) {
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

pub(super) async fn export_import_round_trip(kind: Kind) {
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

pub(super) async fn list_filters_and_orders_and_events_limit(kind: Kind) {
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

pub(super) async fn ledger_survives_reopen(kind: Kind) {
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
