//! A ledger several hosts share (issue 18), at SDK level, on both backends: leases on the
//! ledger's clock, takeover after expiry, discover racing discover, moving a ledger with a
//! checksum, and the doctor's figures. PostgreSQL-only checks (secrets in Debug and errors)
//! are at the end.

mod ledger_support;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use ledger_support::{Kind, TestLedger};
use rsspot::Error;
use rsspot::state::ledger::{LedgerBackend, LedgerStore};
use rsspot::workflows::{
    MarkUpdate, RegistrationCandidate, RegistrationStatus, RegistrationWorkflow,
};
use secrecy::SecretString;

use RegistrationStatus::*;

fn candidate(uid: &str) -> RegistrationCandidate {
    RegistrationCandidate::new(
        uid,
        None,
        Some("org-a".into()),
        Some("vms-a".into()),
        Some("pool-1".into()),
        None,
    )
}

fn candidates(prefix: &str, n: usize) -> Vec<RegistrationCandidate> {
    (0..n)
        .map(|i| candidate(&format!("{prefix}-{i:05}")))
        .collect()
}

/// Without a replacement clock, a lease is `ttl` past the ledger's own clock.
async fn leases_run_on_the_ledger_clock(kind: Kind) {
    let ledger = TestLedger::new(kind).await;
    let store = ledger.open().await;
    let wf = RegistrationWorkflow::new(store.clone());
    wf.discover(&candidates("clk", 1), "scan").await.unwrap();
    let before = store.now().await.unwrap();
    let got = wf
        .claim(1, Duration::from_secs(30), "a")
        .await
        .unwrap()
        .items;
    let after = store.now().await.unwrap();
    let until = got[0].lease_expires_at.expect("a lease");
    let ttl = chrono::Duration::seconds(30);
    let slack = chrono::Duration::milliseconds(1);
    assert!(
        until >= before + ttl - slack && until <= after + ttl + slack,
        "lease ends at {until}, ledger clock ran {before}..{after}"
    );
}

/// A lease that runs out can be taken over by another host; the first holder is then refused.
async fn expired_leases_are_taken_over(kind: Kind) {
    let ledger = TestLedger::new(kind).await;
    let host_a = RegistrationWorkflow::new(ledger.open().await);
    let host_b = RegistrationWorkflow::new(ledger.open().await);
    host_a
        .discover(&candidates("tko", 3), "scan")
        .await
        .unwrap();
    let a = host_a
        .claim(3, Duration::from_millis(800), "host-a")
        .await
        .unwrap()
        .items;
    assert_eq!(a.len(), 3);
    assert!(
        host_b
            .claim(3, Duration::from_secs(60), "host-b")
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let key = a[0].registration_key.clone();
    assert!(matches!(
        host_b
            .mark(&key, TokenIssued, "host-b", MarkUpdate::default())
            .await,
        Err(Error::Conflict { .. })
    ));
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let b = host_b
        .claim(3, Duration::from_secs(60), "host-b")
        .await
        .unwrap()
        .items;
    assert_eq!(b.len(), 3, "expired leases are handed out again");
    for rec in &b {
        assert_eq!(rec.lease_owner.as_deref(), Some("host-b"));
        assert_eq!(rec.attempts, 2);
    }
    assert!(matches!(
        host_a
            .mark(&key, TokenIssued, "host-a", MarkUpdate::default())
            .await,
        Err(Error::Conflict { .. })
    ));
    host_b
        .mark(&key, TokenIssued, "host-b", MarkUpdate::default())
        .await
        .unwrap();
}

/// Hosts discovering the same inventory at once insert each VM once, with one event each.
async fn racing_discovers_insert_once(kind: Kind) {
    let ledger = TestLedger::new(kind).await;
    let all = candidates("race", 200);
    let mut tasks = Vec::new();
    for host in 0..4 {
        let store = ledger.open_with(2).await;
        let mut mine = all.clone();
        // Different orders, so the hosts really overlap.
        mine.rotate_left(host * 50);
        tasks.push(tokio::spawn(async move {
            RegistrationWorkflow::new(store)
                .discover(&mine, &format!("host-{host}"))
                .await
        }));
    }
    let mut new = 0;
    let mut existing = 0;
    for t in tasks {
        let report = t.await.unwrap().unwrap();
        new += report.new.len();
        existing += report.existing as usize;
    }
    assert_eq!(new, 200);
    assert_eq!(existing, 600);
    let store = ledger.open().await;
    assert_eq!(store.events(None, 0).await.unwrap().items.len(), 200);
}

/// An embedded ledger copied into `kind` arrives whole (same checksum); again, nothing moves.
async fn copies_are_lossless_and_idempotent(kind: Kind) {
    let source_ledger = TestLedger::new(Kind::Sqlite).await;
    let source = source_ledger.open().await;
    let wf = RegistrationWorkflow::new(source.clone());
    wf.discover(&candidates("mv", 30), "scan").await.unwrap();
    let claimed = wf
        .claim(10, Duration::from_secs(600), "w")
        .await
        .unwrap()
        .items;
    for rec in &claimed[..5] {
        wf.mark(
            &rec.registration_key,
            TokenIssued,
            "w",
            MarkUpdate {
                token_id: Some("tok-1".into()),
                payload: Some(serde_json::json!({"node": {"ip": "10.0.0.1"}, "n": [1, 2]})),
                note: Some("issued".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let target_ledger = TestLedger::new(kind).await;
    let target = target_ledger.open().await;
    let first = source.copy_into(&target).await.unwrap();
    assert_eq!(first.source.records, 30);
    assert_eq!(first.source.events, 35);
    assert_eq!((first.records_copied, first.events_copied), (30, 35));
    assert_eq!(first.source, first.target, "counts and checksum match");
    assert_eq!(
        target.list(&Default::default()).await.unwrap().items.len(),
        30
    );
    let again = source.copy_into(&target).await.unwrap();
    assert_eq!((again.records_copied, again.events_copied), (0, 0));
    assert_eq!(again.records_unchanged, 30);
    assert_eq!(again.target.checksum, first.target.checksum);
    // New events on the target continue after the copied ids.
    let moved = RegistrationWorkflow::new(target.clone());
    moved
        .mark(
            &claimed[0].registration_key,
            Submitted,
            "w",
            MarkUpdate::default(),
        )
        .await
        .unwrap();
    let events = target.events(None, 0).await.unwrap().items;
    assert_eq!(events.len(), 36);
    let ids: HashSet<i64> = events.iter().map(|e| e.id).collect();
    assert_eq!(ids.len(), 36);
    assert_eq!(events.last().unwrap().to, Submitted);
}

/// The doctor's counts follow the ledger.
async fn health_counts_statuses_and_leases(kind: Kind) {
    let ledger = TestLedger::new(kind).await;
    let store = ledger.open().await;
    let wf = RegistrationWorkflow::new(store.clone());
    wf.discover(&candidates("dr", 6), "scan").await.unwrap();
    let short = wf
        .claim(2, Duration::from_millis(200), "a")
        .await
        .unwrap()
        .items;
    let long = wf
        .claim(1, Duration::from_secs(600), "b")
        .await
        .unwrap()
        .items;
    wf.mark(
        &long[0].registration_key,
        Skipped,
        "b",
        MarkUpdate::default(),
    )
    .await
    .unwrap();
    assert_eq!(short.len(), 2);
    wf.claim(1, Duration::from_secs(600), "c").await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let h = store.health().await.unwrap();
    assert_eq!(
        h.backend,
        match kind {
            Kind::Sqlite => LedgerBackend::Sqlite,
            Kind::Postgres => LedgerBackend::Postgres,
        }
    );
    assert_eq!(h.records_by_status[&Discovered], 5);
    assert_eq!(h.records_by_status[&Skipped], 1);
    assert_eq!(h.records_by_status[&Registered], 0);
    assert_eq!((h.live_leases, h.expired_leases), (1, 2));
    assert!(h.schema_version.is_some());
    assert!(h.clock_skew_ms.abs() < 5_000, "skew {}", h.clock_skew_ms);
}

/// Many claimers over separate stores: nobody gets a record twice, every event is kept.
async fn concurrent_claims_and_marks_lose_nothing(kind: Kind) {
    const RECORDS: usize = 400;
    let ledger = TestLedger::new(kind).await;
    let seed = RegistrationWorkflow::new(ledger.open().await);
    seed.discover(&candidates("cc", RECORDS), "scan")
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for i in 0..8 {
        let wf = RegistrationWorkflow::new(ledger.open_with(2).await);
        tasks.push(tokio::spawn(async move {
            let owner = format!("w{i}");
            let mut mine = Vec::new();
            loop {
                let batch = wf.claim(7, Duration::from_secs(600), &owner).await?.items;
                if batch.is_empty() {
                    return Ok::<_, Error>(mine);
                }
                for rec in batch {
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
        }));
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for t in tasks {
        for k in t.await.unwrap().unwrap() {
            *seen.entry(k).or_default() += 1;
        }
    }
    assert_eq!(seen.len(), RECORDS);
    assert!(seen.values().all(|n| *n == 1), "a record was claimed twice");
    let events = seed.events(None, 0).await.unwrap().items;
    assert_eq!(
        events.len(),
        2 * RECORDS,
        "one discover and one mark event each"
    );
}

ledger_suite!(
    leases_run_on_the_ledger_clock,
    expired_leases_are_taken_over,
    racing_discovers_insert_once,
    copies_are_lossless_and_idempotent,
    health_counts_statuses_and_leases,
    concurrent_claims_and_marks_lose_nothing,
);

/// What only a PostgreSQL ledger has to show.
#[cfg(feature = "postgres")]
mod postgres_only {
    use super::*;

    /// A URL with a password to look for.
    fn url_with_password(url: &str) -> (String, &'static str) {
        const PASSWORD: &str = "pw-hunter2-never-shown";
        let (scheme, rest) = url.split_once("://").unwrap();
        let rest = match rest.split_once('@') {
            Some((user, host)) => format!("{}:{PASSWORD}@{host}", user.split(':').next().unwrap()),
            None => format!("postgres:{PASSWORD}@{rest}"),
        };
        (format!("{scheme}://{rest}"), PASSWORD)
    }

    #[tokio::test]
    async fn postgres_debug_and_errors_never_show_the_password() {
        let db = ledger_support::fresh_pg_database().await;
        let (url, password) = url_with_password(&db);
        // The test server trusts loopback connections, so the password is carried but unused.
        let store = LedgerStore::connect(&SecretString::from(url.clone()))
            .await
            .unwrap();
        let shown = format!("{store:?} {}", store.location());
        assert!(!shown.contains(password), "{shown}");
        assert!(shown.contains("127.0.0.1"), "{shown}");
        let wf = RegistrationWorkflow::new(store);
        assert!(!format!("{wf:?}").contains(password));

        // Nothing listens on port 1: the error names the server, never the password.
        let dead = url.replacen(
            &url.split('@')
                .nth(1)
                .unwrap()
                .split('/')
                .next()
                .unwrap()
                .to_owned(),
            "127.0.0.1:1",
            1,
        );
        let err = LedgerStore::connect(&SecretString::from(dead))
            .await
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(!text.contains(password), "{text}");
        assert!(text.contains("127.0.0.1:1"), "{text}");
        let err = LedgerStore::connect(&SecretString::from("mysql://u:pw-x@h/db".to_owned()))
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Invalid { .. }), "{err}");
        assert!(!err.to_string().contains("pw-x"));
    }

    #[tokio::test]
    async fn postgres_replicas_starting_together_migrate_once() {
        let db = ledger_support::fresh_pg_database().await;
        let url = SecretString::from(db);
        let mut tasks = Vec::new();
        for _ in 0..6 {
            let url = url.clone();
            tasks.push(tokio::spawn(
                async move { LedgerStore::connect(&url).await },
            ));
        }
        let mut stores = Vec::new();
        for t in tasks {
            stores.push(t.await.unwrap().expect("every replica connects"));
        }
        let versions: HashSet<Option<i64>> = {
            let mut v = HashSet::new();
            for s in &stores {
                v.insert(s.schema_version().await.unwrap());
            }
            v
        };
        assert_eq!(versions.len(), 1);
        assert!(versions.iter().all(Option::is_some));
    }

    #[tokio::test]
    async fn postgres_claims_skip_and_report_damaged_rows() {
        let ledger = TestLedger::new(Kind::Postgres).await;
        let wf = RegistrationWorkflow::new(ledger.open().await);
        let cs = candidates("dmg", 3);
        wf.discover(&cs, "scan").await.unwrap();
        let bad = &cs[1].registration_key;
        let mut conn =
            <sqlx::PgConnection as sqlx::Connection>::connect(ledger.url.as_deref().unwrap())
                .await
                .unwrap();
        sqlx::query(
            "UPDATE registration_ledger SET payload_json = '{not json' WHERE registration_key = $1",
        )
        .bind(bad)
        .execute(&mut conn)
        .await
        .unwrap();
        let got = wf.claim(3, Duration::from_secs(60), "w").await.unwrap();
        assert_eq!(got.items.len(), 2);
        assert!(got.items.iter().all(|r| &r.registration_key != bad));
        assert_eq!(got.skipped.len(), 1);
        assert_eq!(&got.skipped[0].registration_key, bad);
        assert!(
            got.skipped[0].problem.contains("payload_json"),
            "{:?}",
            got.skipped
        );
        // The damaged row was not leased.
        let (owner,): (Option<String>,) = sqlx::query_as(
            "SELECT lease_owner FROM registration_ledger WHERE registration_key = $1",
        )
        .bind(bad)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(owner, None);
    }
}

/// Built without the `postgres` feature, a PostgreSQL URL is refused with an error naming the
/// feature, and nothing is contacted (the host below does not exist).
#[cfg(not(feature = "postgres"))]
#[tokio::test]
async fn without_the_feature_a_postgres_url_names_the_feature() {
    let url = SecretString::from("postgres://u:hunter2@db.invalid/ledger".to_string());
    let err = LedgerStore::connect(&url).await.unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("`postgres` feature"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
}
