//! Integration tests of `state.db`: migrations, refusal and degradation, cache, tokens, history,
//! concurrency, file modes and reset.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use rsspot::Error;
use rsspot::state::{CacheKey, CachedResponse, CachedToken, HistoryEntry, StateStore};
use secrecy::{ExposeSecret, SecretString};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

fn db_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("state").join("state.db")
}

async fn raw_pool(path: &Path) -> sqlx::SqlitePool {
    let options = SqliteConnectOptions::from_str("sqlite://")
        .unwrap()
        .filename(path)
        .create_if_missing(true);
    SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap()
}

/// The versions recorded in the file at `path`, read through a connection of our own.
async fn applied_versions(path: &Path) -> Vec<i64> {
    let pool = raw_pool(path).await;
    let versions = sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    versions
}

/// `migrations/` as sqlx itself resolves it at run time (what `sqlx::migrate!` embeds). A file
/// migrated with it must validate against the migrations the crate embeds: same checksums.
async fn sqlx_migrator() -> sqlx::migrate::Migrator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    sqlx::migrate::Migrator::new(dir.as_path()).await.unwrap()
}

async fn all_versions() -> Vec<i64> {
    sqlx_migrator().await.iter().map(|m| m.version).collect()
}

fn resp(body: &str) -> CachedResponse {
    CachedResponse {
        status: 200,
        body: body.as_bytes().to_vec(),
        etag: None,
        content_type: Some("application/json".into()),
    }
}

fn sha(path: &Path) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(std::fs::read(path).unwrap()).to_vec()
}

#[tokio::test]
async fn migrates_from_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = StateStore::open(&path).await.unwrap();
    assert_eq!(applied_versions(&path).await, all_versions().await);
    let info = store.info().await.unwrap();
    assert_eq!(info.path.as_deref(), Some(path.as_path()));
    assert_eq!(info.schema_version, *all_versions().await.last().unwrap());
    assert!(info.size_bytes > 0);
    let names: Vec<_> = info.tables.iter().map(|t| t.name.as_str()).collect();
    for table in ["preferences", "http_cache", "tokens", "command_history"] {
        assert!(names.contains(&table), "{table} missing from {names:?}");
    }
    // Reopening an up-to-date file applies nothing and keeps working.
    store.close().await;
    let again = StateStore::open(&path).await.unwrap();
    again.pref_set("k", "v").await.unwrap();
    assert_eq!(applied_versions(&path).await, all_versions().await);
    again.close().await;
}

#[tokio::test]
async fn migrates_from_each_earlier_version() {
    let migrations: Vec<_> = sqlx_migrator().await.iter().cloned().collect();
    assert!(
        migrations.len() >= 2,
        "expected the init migration and later ones"
    );
    // Up to all of them: a file fully migrated by sqlx's own resolver opens as it is.
    for applied in 1..=migrations.len() {
        let dir = tempfile::tempdir().unwrap();
        let path = db_path(&dir);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let pool = raw_pool(&path).await;
        let old = sqlx::migrate::Migrator::with_migrations(migrations[..applied].to_vec());
        old.run(&pool).await.unwrap();
        sqlx::query("INSERT INTO preferences (key, value, updated_at) VALUES ('k', 'kept', 'x')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        let store = StateStore::open(&path).await.unwrap();
        assert_eq!(
            applied_versions(&path).await,
            all_versions().await,
            "from {applied} migration(s)"
        );
        assert_eq!(store.pref_get("k").await.unwrap().as_deref(), Some("kept"));
        // Every later table is usable.
        let key = CacheKey::new("p|o", "GET", "https://h/x");
        store
            .cache_put(&key, &resp("{}"), Duration::from_secs(60), 10)
            .await
            .unwrap();
        assert!(store.cache_get(&key).await.unwrap().is_some());
        store.close().await;
    }
}

#[tokio::test]
async fn refuses_a_newer_schema_without_touching_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = StateStore::open(&path).await.unwrap();
    store.pref_set("k", "v").await.unwrap();
    store.close().await;
    let pool = raw_pool(&path).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (29991231000000, 'from the future', 1, x'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let before = sha(&path);

    let err = StateStore::open(&path).await.unwrap_err();
    match &err {
        Error::State {
            path: p, message, ..
        } => {
            assert_eq!(p, &path.display().to_string());
            assert!(message.contains("newer rsspot"), "{message}");
            assert!(message.contains("29991231000000"), "{message}");
        }
        other => panic!("expected Error::State, got {other:?}"),
    }
    assert_eq!(sha(&path), before, "a newer state.db must not be rewritten");

    // The degrading open still serves the command with in-memory state.
    let (fallback, warning) = StateStore::open_or_degrade(&path).await;
    let warning = warning.expect("a warning");
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    assert!(fallback.path().is_none());
    assert_eq!(fallback.pref_get("k").await.unwrap(), None);
    assert_eq!(sha(&path), before);
}

#[tokio::test]
async fn corrupt_file_degrades_to_memory_with_one_line_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    assert!(matches!(
        StateStore::open(&path).await,
        Err(Error::State { .. })
    ));
    let (store, warning) = StateStore::open_or_degrade(&path).await;
    let warning = warning.expect("a warning");
    assert!(!warning.contains('\n'), "{warning}");
    assert!(warning.contains(&path.display().to_string()), "{warning}");
    assert!(warning.contains("rsspot state reset"), "{warning}");
    assert!(store.path().is_none());

    // The in-memory store works for the rest of the run.
    store.pref_set("default_org", "acme").await.unwrap();
    assert_eq!(
        store.pref_get("default_org").await.unwrap().as_deref(),
        Some("acme")
    );
    let key = CacheKey::new("p|o", "GET", "https://h/regions");
    store
        .cache_put(&key, &resp("[1]"), Duration::from_secs(60), 10)
        .await
        .unwrap();
    assert_eq!(store.cache_get(&key).await.unwrap(), Some(resp("[1]")));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        garbage,
        "corrupt file untouched"
    );
}

#[tokio::test]
async fn open_or_degrade_is_silent_on_a_good_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let (store, warning) = StateStore::open_or_degrade(&path).await;
    assert_eq!(warning, None);
    assert_eq!(store.path(), Some(path.as_path()));
}

#[tokio::test]
async fn cache_is_isolated_between_scopes() {
    let store = StateStore::in_memory().await.unwrap();
    let url = "https://spot.rackspace.com/apis/ngpc.rxt.io/v1/namespaces/org-a/cloudspaces";
    let alice = CacheKey::new("work|org-a", "GET", url);
    let bob = CacheKey::new("home|org-b", "GET", url);
    store
        .cache_put(&alice, &resp("alice"), Duration::from_secs(60), 100)
        .await
        .unwrap();
    assert_eq!(store.cache_get(&bob).await.unwrap(), None);
    store
        .cache_put(&bob, &resp("bob"), Duration::from_secs(60), 100)
        .await
        .unwrap();
    assert_eq!(store.cache_get(&alice).await.unwrap(), Some(resp("alice")));
    assert_eq!(store.cache_get(&bob).await.unwrap(), Some(resp("bob")));
    // Same scope, different method or query: different entries.
    assert_eq!(
        store
            .cache_get(&CacheKey::new("work|org-a", "HEAD", url))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .cache_get(&CacheKey::new(
                "work|org-a",
                "GET",
                format!("{url}?limit=1")
            ))
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn entries_expire_by_the_store_clock() {
    let base = Utc::now();
    let offset_ms = Arc::new(AtomicI64::new(0));
    let clock = offset_ms.clone();
    let store = StateStore::in_memory()
        .await
        .unwrap()
        .with_clock(move || base + TimeDelta::milliseconds(clock.load(Ordering::SeqCst)));
    let short = CacheKey::new("s", "GET", "https://h/cloudspaces");
    let long = CacheKey::new("s", "GET", "https://h/regions");
    store
        .cache_put(&short, &resp("s"), Duration::from_secs(5), 100)
        .await
        .unwrap();
    store
        .cache_put(&long, &resp("l"), Duration::from_secs(3600), 100)
        .await
        .unwrap();
    offset_ms.store(4_999, Ordering::SeqCst);
    assert!(store.cache_get(&short).await.unwrap().is_some());
    offset_ms.store(5_000, Ordering::SeqCst);
    let stats = store.cache_stats().await.unwrap();
    assert_eq!((stats.entries, stats.expired), (2, 1));
    assert_eq!(store.cache_get(&short).await.unwrap(), None);
    assert!(store.cache_get(&long).await.unwrap().is_some());
    // The expired row was deleted on read.
    assert_eq!(store.cache_stats().await.unwrap().entries, 1);

    // A zero TTL is never served; a write prunes every expired row.
    store
        .cache_put(&short, &resp("s"), Duration::ZERO, 100)
        .await
        .unwrap();
    assert_eq!(store.cache_get(&short).await.unwrap(), None);
    store
        .cache_put(&short, &resp("s"), Duration::from_secs(1), 100)
        .await
        .unwrap();
    offset_ms.store(3_600_000, Ordering::SeqCst);
    assert_eq!(store.cache_clear(true).await.unwrap(), 2);
    assert_eq!(store.cache_stats().await.unwrap().entries, 0);
}

#[tokio::test]
async fn lru_cap_evicts_least_recently_used() {
    let store = StateStore::in_memory().await.unwrap();
    let key = |n: &str| CacheKey::new("s", "GET", format!("https://h/{n}"));
    let ttl = Duration::from_secs(60);
    for n in ["a", "b", "c"] {
        store.cache_put(&key(n), &resp(n), ttl, 3).await.unwrap();
    }
    // Touch `a`, so `b` is now the least recently used.
    assert!(store.cache_get(&key("a")).await.unwrap().is_some());
    store
        .cache_put(&key("d"), &resp("d"), ttl, 3)
        .await
        .unwrap();
    assert_eq!(store.cache_stats().await.unwrap().entries, 3);
    assert_eq!(store.cache_get(&key("b")).await.unwrap(), None);
    for n in ["a", "c", "d"] {
        assert!(store.cache_get(&key(n)).await.unwrap().is_some(), "{n}");
    }
    // Lowering the cap evicts down to it.
    store
        .cache_put(&key("e"), &resp("e"), ttl, 1)
        .await
        .unwrap();
    assert_eq!(store.cache_stats().await.unwrap().entries, 1);
    assert!(store.cache_get(&key("e")).await.unwrap().is_some());
}

#[path = "state_parts/more.rs"]
mod more;
