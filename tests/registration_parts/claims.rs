//! Handing records out to workers: claims that give each record once and count attempts,
//! leases that expire and guard marks, and concurrent claims from separate stores on one
//! ledger (each run on both backends).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use rsspot::Error;
use rsspot::workflows::{MarkUpdate, RegistrationStatus, RegistrationWorkflow};

use super::{Kind, TestLedger, candidate, workflow};

use RegistrationStatus::*;

pub(crate) async fn claim_hands_out_each_record_once_and_counts_attempts(kind: Kind) {
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

pub(crate) async fn leases_expire_and_guard_marks(kind: Kind) {
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

pub(crate) async fn concurrent_claims_from_separate_stores_on_one_ledger(kind: Kind) {
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
