//! Ledger safety (issue 13): a damaged row is reported and skipped, payloads are bounded so
//! every export re-imports, `state reset` keeps the ledger unless `--include-ledger`, and
//! `registrations restore` brings a backup back. Library and CLI, against real files.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[path = "ledger_safety_parts/cli.rs"]
mod cli;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rsspot::state::StateStore;
use rsspot::state::ledger::{LedgerStore, RestoreSource};
use rsspot::workflows::{
    MarkUpdate, RegistrationCandidate, RegistrationRecord, RegistrationStatus, RegistrationWorkflow,
};
use serde_json::{Value, json};
use sqlx::{Connection, SqliteConnection};

fn candidate(uid: &str) -> RegistrationCandidate {
    RegistrationCandidate::new(
        uid,
        None,
        Some("org_1".into()),
        Some("cs".into()),
        Some("pool".into()),
        Some("lab".into()),
    )
}

/// A payload nested `levels` deep (`{"a": {"a": … 1}}`).
fn nested(levels: usize) -> Value {
    let mut v = json!(1);
    for _ in 0..levels {
        v = json!({ "a": v });
    }
    v
}

/// Runs raw SQL on a database file, bypassing rsspot (CHECK constraints off, to plant rows the
/// schema would refuse).
async fn raw_sql(path: &Path, statements: &[&str]) {
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut conn)
        .await
        .unwrap();
    for sql in statements {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut conn)
            .await
            .unwrap();
    }
    conn.close().await.unwrap();
}

async fn ledger_with(path: &Path, uids: &[&str]) -> (RegistrationWorkflow, Vec<String>) {
    let wf = RegistrationWorkflow::new(LedgerStore::open(path).await.unwrap());
    let cands: Vec<_> = uids.iter().map(|u| candidate(u)).collect();
    wf.discover(&cands, "test").await.unwrap();
    let keys = cands.into_iter().map(|c| c.registration_key).collect();
    (wf, keys)
}

#[tokio::test]
async fn one_damaged_row_is_reported_and_skipped_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let (wf, keys) = ledger_with(&path, &["good", "badjson", "badstatus", "badtime"]).await;
    raw_sql(
        &path,
        &[
            &format!(
                "UPDATE registration_ledger SET payload_json = '{{not json' WHERE registration_key = '{}'",
                keys[1]
            ),
            &format!(
                "UPDATE registration_ledger SET status = 'exploded' WHERE registration_key = '{}'",
                keys[2]
            ),
            &format!(
                "UPDATE registration_ledger SET first_seen = 'yesterday' WHERE registration_key = '{}'",
                keys[3]
            ),
        ],
    )
    .await;

    let check = |skipped: &[rsspot::workflows::SkippedRow], with_status: bool| {
        let mut by_key: Vec<(String, String)> = skipped
            .iter()
            .map(|s| (s.registration_key.clone(), s.problem.clone()))
            .collect();
        by_key.sort();
        let mut expected = vec![
            (keys[1].clone(), "payload_json"),
            (keys[3].clone(), "first_seen"),
        ];
        if with_status {
            expected.push((keys[2].clone(), "status"));
        }
        expected.sort();
        assert_eq!(by_key.len(), expected.len(), "{by_key:?}");
        for ((key, problem), (want_key, column)) in by_key.iter().zip(&expected) {
            assert_eq!(key, want_key);
            assert!(problem.starts_with(column), "{problem}");
        }
        for s in skipped {
            assert!(!s.to_string().contains('\n'), "one line: {s}");
        }
    };
    let listed = wf.list(None, 0).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].registration_key, keys[0]);
    check(&listed.skipped, true);
    let exported = wf.export().await.unwrap();
    assert_eq!(exported.items.len(), 1);
    check(&exported.skipped, true);
    let claimed = wf.claim(10, Duration::from_secs(60), "w").await.unwrap();
    assert_eq!(claimed.items.len(), 1, "only the good row is handed out");
    assert_eq!(claimed.items[0].registration_key, keys[0]);
    // A row whose status is unknown is not actionable, so claim never even selects it.
    check(&claimed.skipped, false);
    // Reading the damaged row by key is an error naming the key, not a panic or a skip.
    let err = wf.get(&keys[1]).await.unwrap_err().to_string();
    assert!(
        err.contains(&keys[1]) && err.contains("payload_json"),
        "{err}"
    );
    // Writers keep working on the good rows.
    wf.mark(
        &keys[0],
        RegistrationStatus::TokenIssued,
        "w",
        MarkUpdate::default(),
    )
    .await
    .unwrap();
    // Discover counts a damaged row as known instead of failing the whole batch.
    let again = wf
        .discover(&[candidate("badjson"), candidate("new")], "t")
        .await
        .unwrap();
    assert_eq!((again.new.len(), again.existing), (1, 1));
    // Import is how a damaged row gets fixed: it replaces it.
    let mut fixed = wf.get(&keys[0]).await.unwrap().unwrap();
    fixed.registration_key = keys[1].clone();
    fixed.vm_uid = "badjson".into();
    fixed.lease_owner = None;
    fixed.lease_expires_at = None;
    let report = wf.import(&[fixed], "t").await.unwrap();
    assert_eq!(report.updated, 1);
    let listed = wf.list(None, 0).await.unwrap();
    assert_eq!((listed.items.len(), listed.skipped.len()), (3, 2));
}

#[tokio::test]
async fn payload_bounds_are_enforced_on_mark_and_import() {
    let wf = RegistrationWorkflow::new(LedgerStore::in_memory().await.unwrap());
    let c = candidate("vm-1");
    wf.discover(std::slice::from_ref(&c), "t").await.unwrap();
    let key = &c.registration_key;
    let mark = |payload: Value| MarkUpdate {
        payload: Some(payload),
        ..MarkUpdate::default()
    };
    let err = wf
        .mark(key, RegistrationStatus::TokenIssued, "w", mark(nested(127)))
        .await
        .unwrap_err();
    assert!(matches!(err, rsspot::Error::Invalid { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("limit is 64 levels") && !text.contains('\n'),
        "{text}"
    );
    // A patch that is shallow by itself but deepens the stored payload past the limit.
    wf.mark(
        key,
        RegistrationStatus::TokenIssued,
        "w",
        mark(json!({"x": nested(60)})),
    )
    .await
    .unwrap();
    let err = wf
        .mark(
            key,
            RegistrationStatus::TokenIssued,
            "w",
            mark(json!({"x": {"a": {"a": {"a": {"a": {"a": nested(60)}}}}}})),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("limit is 64"), "{err}");
    let big = json!({ "blob": "x".repeat(300 * 1024) });
    let err = wf
        .mark(key, RegistrationStatus::TokenIssued, "w", mark(big))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("262144 bytes"), "{err}");
    // Nothing refused was stored.
    let rec = wf.get(key).await.unwrap().unwrap();
    assert_eq!(rec.payload, json!({"x": nested(60)}));

    // Import refuses the same, naming the record.
    let mut too_deep = rec.clone();
    too_deep.payload = nested(100);
    let err = wf.import(&[too_deep], "t").await.unwrap_err().to_string();
    assert!(err.contains(key) && err.contains("limit is 64"), "{err}");
}

#[tokio::test]
async fn export_then_import_is_lossless_for_varied_payloads() {
    let wf = RegistrationWorkflow::new(LedgerStore::in_memory().await.unwrap());
    let payloads = [
        json!({}),
        json!({"unicode": "żółw 🐢 \u{0} \"quoted\" \\ back", "n": -1.5e300, "i": u64::MAX}),
        json!({"deep": nested(63)}),
        json!({"list": [1, "two", null, [3, [4, {"five": 5}]], true, false]}),
        json!({"big": "y".repeat(200 * 1024)}),
        json!({"empty": {"obj": {}, "arr": []}, "": "empty key"}),
    ];
    for (i, payload) in payloads.iter().enumerate() {
        let c = candidate(&format!("vm-{i}"));
        wf.discover(std::slice::from_ref(&c), "t").await.unwrap();
        wf.mark(
            &c.registration_key,
            RegistrationStatus::TokenIssued,
            "w",
            MarkUpdate {
                payload: Some(payload.clone()),
                token_id: Some(format!("tok-{i}")),
                ..MarkUpdate::default()
            },
        )
        .await
        .unwrap();
    }
    let exported = wf.export().await.unwrap().items;
    assert_eq!(exported.len(), payloads.len());
    // Through the text form the CLI writes: one JSON line per record.
    let lines: Vec<String> = exported
        .iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect();
    let parsed: Vec<RegistrationRecord> = lines
        .iter()
        .map(|l| serde_json::from_str(l).expect("every exported line parses"))
        .collect();
    let fresh = RegistrationWorkflow::new(LedgerStore::in_memory().await.unwrap());
    let report = fresh.import(&parsed, "t").await.unwrap();
    assert_eq!(report.inserted as usize, payloads.len());
    assert_eq!(fresh.export().await.unwrap().items, exported);
    for (rec, payload) in exported.iter().zip(&payloads) {
        assert_eq!(&rec.payload, payload);
    }
}

#[tokio::test]
async fn a_ledger_kept_in_state_db_moves_to_ledger_db_once() {
    let dir = tempfile::tempdir().unwrap();
    let state_path = dir.path().join("state.db");
    // An earlier rsspot: the ledger tables live in state.db (its migration still creates them).
    let old = StateStore::open(&state_path).await.unwrap();
    old.close().await;
    let (legacy_wf, keys) = {
        // Write the legacy rows with the ledger code itself, then copy them into state.db.
        let tmp = dir.path().join("seed.db");
        let (wf, keys) = ledger_with(&tmp, &["a", "b"]).await;
        wf.ledger().close().await;
        raw_sql(
            &state_path,
            &[
                &format!("ATTACH DATABASE '{}' AS seed", tmp.display()),
                "INSERT INTO registration_ledger SELECT * FROM seed.registration_ledger",
                "INSERT INTO registration_events SELECT * FROM seed.registration_events",
            ],
        )
        .await;
        (wf, keys)
    };
    drop(legacy_wf);
    let ledger_path = LedgerStore::path_beside(&state_path);
    let ledger = LedgerStore::open(&ledger_path).await.unwrap();
    let moved = ledger.adopt_from_state_db(&state_path).await.unwrap();
    assert_eq!(
        (moved.records, moved.events, moved.kept_existing),
        (2, 2, 0)
    );
    let wf = RegistrationWorkflow::new(ledger.clone());
    let mut listed: Vec<String> = wf
        .list(None, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.registration_key)
        .collect();
    listed.sort();
    let mut want = keys.clone();
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(wf.events(None, 0).await.unwrap().items.len(), 2);
    // The tables left state.db, so a second adoption (or a reset) has nothing to carry.
    let again = ledger.adopt_from_state_db(&state_path).await.unwrap();
    assert_eq!(again.records, 0);
    let store = StateStore::open(&state_path).await.unwrap();
    let tables: Vec<String> = store
        .info()
        .await
        .unwrap()
        .tables
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(
        !tables.iter().any(|t| t.starts_with("registration_")),
        "{tables:?}"
    );
}

#[tokio::test]
async fn restore_replaces_the_ledger_and_keeps_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let (wf, keys) = ledger_with(&path, &["one", "two"]).await;
    // A backup of this state, as `state reset --include-ledger` leaves it.
    let copy = dir.path().join("copy.db");
    std::fs::write(&copy, b"").unwrap();
    raw_sql(&path, &[&format!("VACUUM INTO '{}'", copy.display())]).await;
    let (_, more) = {
        let c = candidate("three");
        wf.discover(std::slice::from_ref(&c), "t").await.unwrap();
        (0, vec![c.registration_key])
    };
    assert_eq!(wf.list(None, 0).await.unwrap().items.len(), 3);

    let report = wf
        .ledger()
        .restore(RestoreSource::File(copy.clone()), "t")
        .await
        .unwrap();
    assert_eq!(
        (report.records, report.events, report.replaced_records),
        (2, 2, 3)
    );
    let previous: PathBuf = report.previous_backup.clone().unwrap();
    assert!(previous.exists());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&previous).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "backup is private: {mode:o}");
    }
    let now: Vec<String> = wf
        .list(None, 0)
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.registration_key)
        .collect();
    assert_eq!(now.len(), 2);
    assert!(!now.contains(&more[0]) && keys.iter().all(|k| now.contains(k)));

    // The previous ledger's backup restores the third record in turn.
    wf.ledger()
        .restore(RestoreSource::File(previous), "t")
        .await
        .unwrap();
    assert_eq!(wf.list(None, 0).await.unwrap().items.len(), 3);

    // From an export: records only, each with a `restored` event.
    let exported = wf.export().await.unwrap().items;
    let report = wf
        .ledger()
        .restore(RestoreSource::Records(exported[..1].to_vec()), "op")
        .await
        .unwrap();
    assert_eq!((report.records, report.events), (1, 1));
    let ev = wf.events(None, 0).await.unwrap().items;
    assert_eq!(ev[0].note.as_deref(), Some("restored"));
    assert_eq!(ev[0].actor, "op");

    // Not a ledger at all: refused, nothing changed.
    let err = wf
        .ledger()
        .restore(RestoreSource::File(dir.path().join("nope.db")), "t")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nope.db"), "{err}");
    assert_eq!(wf.list(None, 0).await.unwrap().items.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn readers_never_see_a_half_restored_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let small = dir.path().join("small.db");
    let names = |prefix: &str, n: usize| -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    };
    let ten = names("s", 10);
    let (seed, _) = ledger_with(&small, &ten.iter().map(String::as_str).collect::<Vec<_>>()).await;
    seed.ledger().close().await;
    let forty = names("b", 40);
    let (wf, _) = ledger_with(&path, &forty.iter().map(String::as_str).collect::<Vec<_>>()).await;

    // Another handle on the same file, as another process would have.
    let other = LedgerStore::open(&path).await.unwrap();
    let reader = tokio::spawn(async move {
        let mut reads = 0;
        for _ in 0..300 {
            let n = other.list(&Default::default()).await.unwrap().items.len();
            assert!(n == 40 || n == 10, "a reader saw {n} records mid-restore");
            reads += 1;
            tokio::task::yield_now().await;
        }
        reads
    });
    for _ in 0..3 {
        let to_small = wf
            .ledger()
            .restore(RestoreSource::File(small.clone()), "t")
            .await
            .unwrap();
        assert_eq!(to_small.records, 10);
        let big = to_small.previous_backup.unwrap();
        let back = wf
            .ledger()
            .restore(RestoreSource::File(big), "t")
            .await
            .unwrap();
        assert_eq!(back.records, 40);
    }
    assert_eq!(reader.await.unwrap(), 300);
    assert_eq!(wf.list(None, 0).await.unwrap().items.len(), 40);
}

#[tokio::test]
async fn restore_accepts_a_state_db_backup_from_before_ledger_db() {
    let dir = tempfile::tempdir().unwrap();
    let old_state = dir.path().join("state.db.bak-20261101T000000Z");
    StateStore::open(&old_state).await.unwrap().close().await;
    let seed_db = dir.path().join("seed.db");
    let (seed, keys) = ledger_with(&seed_db, &["x", "y", "z"]).await;
    seed.ledger().close().await;
    raw_sql(
        &old_state,
        &[
            &format!("ATTACH DATABASE '{}' AS seed", seed_db.display()),
            "INSERT INTO registration_ledger SELECT * FROM seed.registration_ledger",
            "INSERT INTO registration_events SELECT * FROM seed.registration_events",
        ],
    )
    .await;
    let wf = RegistrationWorkflow::new(LedgerStore::in_memory().await.unwrap());
    let report = wf
        .ledger()
        .restore(RestoreSource::File(old_state), "t")
        .await
        .unwrap();
    assert_eq!((report.records, report.events), (3, 3));
    let mut got: Vec<String> = wf
        .export()
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|r| r.registration_key)
        .collect();
    got.sort();
    let mut want = keys;
    want.sort();
    assert_eq!(got, want);
    // A sqlite file without ledger tables is refused by name.
    let empty = dir.path().join("other.db");
    StateStore::open(&empty).await.unwrap().close().await;
    raw_sql(
        &empty,
        &[
            "DROP TABLE registration_events",
            "DROP TABLE registration_ledger",
        ],
    )
    .await;
    let err = wf
        .ledger()
        .restore(RestoreSource::File(empty), "t")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("holds no registration ledger"), "{err}");
}
