//! How a record's status moves: discovery, every pair of the transition table, reset, and
//! marks that merge their payload instead of wiping it (each run on both backends).

use std::collections::HashSet;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use rsspot::Error;
use rsspot::workflows::{MarkUpdate, RegistrationStatus};
use serde_json::json;

use super::{Kind, candidate, record_in, workflow};

use RegistrationStatus::*;

pub(crate) async fn discover_inserts_new_and_leaves_existing_alone(kind: Kind) {
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

pub(crate) async fn every_transition_pair(kind: Kind) {
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

pub(crate) async fn reset_works_from_any_status(kind: Kind) {
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

pub(crate) async fn marks_merge_instead_of_wiping(kind: Kind) {
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
