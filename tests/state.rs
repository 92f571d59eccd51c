//! Integration tests of `state.db`: migrations, refusal and degradation, cache, tokens, history,
//! concurrency, file modes and reset.

#[path = "state_parts/cache.rs"]
mod cache;

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
async fn token_is_shared_between_two_stores_on_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let first = StateStore::open(&path).await.unwrap();
    let second = StateStore::open(&path).await.unwrap();
    let token = CachedToken {
        id_token: SecretString::from("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.".to_owned()),
        expires_at: Utc::now() + TimeDelta::hours(1),
    };
    assert!(
        second
            .token_get("default", "org-a")
            .await
            .unwrap()
            .is_none()
    );
    first.token_put("default", "org-a", &token).await.unwrap();
    let got = second
        .token_get("default", "org-a")
        .await
        .unwrap()
        .expect("token written by the other store");
    assert_eq!(got.id_token.expose_secret(), token.id_token.expose_secret());
    assert_eq!(
        got.expires_at.timestamp_millis(),
        token.expires_at.timestamp_millis()
    );
    assert!(
        second
            .token_get("default", "org-b")
            .await
            .unwrap()
            .is_none()
    );
    assert!(!format!("{got:?}").contains("eyJ"));
    second.token_delete("default", "org-a").await.unwrap();
    assert!(first.token_get("default", "org-a").await.unwrap().is_none());
}

#[tokio::test]
async fn history_is_capped_newest_first_and_redacted_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = StateStore::open(&path).await.unwrap();
    let t0 = Utc::now();
    for i in 0..7i64 {
        let entry = HistoryEntry {
            started_at: t0 + TimeDelta::seconds(i),
            argv: vec![
                "rsspot".into(),
                "configure".into(),
                "--refresh-token".into(),
                format!("super-secret-{i}"),
                "monkey-cluster".into(),
            ],
            profile: Some("default".into()),
            org: Some("acme".into()),
            exit_code: i32::try_from(i).unwrap(),
            duration_ms: 5,
        };
        store.history_add(&entry, 5).await.unwrap();
    }
    assert_eq!(store.history_count().await.unwrap(), 5);
    let rows = store.history_list(100).await.unwrap();
    let codes: Vec<i32> = rows.iter().map(|r| r.exit_code).collect();
    assert_eq!(codes, [6, 5, 4, 3, 2]);
    assert_eq!(
        rows[0].argv,
        [
            "rsspot",
            "configure",
            "--refresh-token",
            "<redacted>",
            "monkey-cluster"
        ]
    );
    assert_eq!(rows[0].org.as_deref(), Some("acme"));
    store.close().await;

    // Nothing secret reaches the file (database or WAL).
    for file in std::fs::read_dir(path.parent().unwrap()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(
            !bytes.windows(12).any(|w| w == b"super-secret"),
            "secret found on disk"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_concurrent_writers_never_fail() {
    const WRITERS: usize = 8;
    const ROUNDS: usize = 20;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let path = path.clone();
        tasks.push(tokio::spawn(async move {
            // Separate stores (pools) opening a fresh file at once: migrations race too.
            let store = StateStore::open(&path).await?;
            for r in 0..ROUNDS {
                let entry = HistoryEntry {
                    started_at: Utc::now(),
                    argv: vec!["rsspot".into(), format!("w{w}"), format!("r{r}")],
                    profile: None,
                    org: None,
                    exit_code: 0,
                    duration_ms: 1,
                };
                store.history_add(&entry, 10_000).await?;
                let key = CacheKey::new(format!("p{w}"), "GET", format!("https://h/{}", r % 5));
                store
                    .cache_put(&key, &resp("body"), Duration::from_secs(60), 25)
                    .await?;
                store.cache_get(&key).await?;
                store
                    .cache_invalidate(&format!("p{w}"), "https://h/0")
                    .await?;
                store.pref_set(&format!("w{w}"), &r.to_string()).await?;
                let token = CachedToken {
                    id_token: SecretString::from(format!("t{w}-{r}")),
                    expires_at: Utc::now() + TimeDelta::hours(1),
                };
                store
                    .token_put("default", &format!("id{w}"), &token)
                    .await?;
            }
            store.close().await;
            Ok::<_, Error>(())
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let store = StateStore::open(&path).await.unwrap();
    assert_eq!(
        store.history_count().await.unwrap(),
        (WRITERS * ROUNDS) as u64
    );
    assert!(store.cache_stats().await.unwrap().entries <= 25);
    for w in 0..WRITERS {
        assert_eq!(
            store.pref_get(&format!("w{w}")).await.unwrap().as_deref(),
            Some((ROUNDS - 1).to_string().as_str())
        );
    }
    assert_eq!(applied_versions(&path).await, all_versions().await);
}

#[cfg(unix)]
#[tokio::test]
async fn file_and_directory_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = StateStore::open(&path).await.unwrap();
    store.pref_set("k", "v").await.unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    assert_eq!(mode(&path), 0o600);
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    assert!(wal.exists(), "WAL mode expected");
    assert_eq!(mode(&wal), 0o600);
}

#[tokio::test]
async fn close_leaves_a_self_contained_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = StateStore::open(&path).await.unwrap();
    for i in 0..50 {
        store.pref_set(&format!("k{i}"), "v").await.unwrap();
    }
    store.close().await;
    // Copy the main file alone: everything written must be in it, not only in the WAL.
    let copy = dir.path().join("copy").join("state.db");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(&path, &copy).unwrap();
    let reopened = StateStore::open(&copy).await.unwrap();
    assert_eq!(
        reopened.pref_get("k49").await.unwrap().as_deref(),
        Some("v")
    );
    reopened.close().await;
}

#[tokio::test]
async fn reset_moves_files_aside_and_never_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let store = StateStore::open(&path).await.unwrap();
    store.pref_set("k", "before reset").await.unwrap();
    store.close().await;
    // Make sure a WAL sidecar is there, as a crashed process would leave it (without
    // truncating one that still holds frames: reset must carry them along).
    let wal = PathBuf::from(format!("{}-wal", path.display()));
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&wal)
        .unwrap();

    let backup = StateStore::reset(&path).unwrap();
    assert!(!path.exists());
    assert!(!wal.exists());
    assert!(backup.exists());
    assert!(PathBuf::from(format!("{}-wal", backup.display())).exists());
    let name = backup.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("state.db.bak-"), "{name}");

    // A second reset in the same second does not overwrite the first backup.
    let fresh = StateStore::open(&path).await.unwrap();
    assert_eq!(fresh.pref_get("k").await.unwrap(), None);
    fresh.close().await;
    let second = StateStore::reset(&path).unwrap();
    assert_ne!(second, backup);
    assert!(backup.exists() && second.exists());

    let old = StateStore::open(&backup).await.unwrap();
    assert_eq!(
        old.pref_get("k").await.unwrap().as_deref(),
        Some("before reset")
    );
    assert!(StateStore::reset(&path).is_err(), "nothing left to reset");
}

#[tokio::test]
async fn vacuum_prunes_expired_rows_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = db_path(&dir);
    let base = Utc::now();
    let offset_ms = Arc::new(AtomicI64::new(0));
    let clock = offset_ms.clone();
    let store = StateStore::open(&path)
        .await
        .unwrap()
        .with_clock(move || base + TimeDelta::milliseconds(clock.load(Ordering::SeqCst)));
    let big = "x".repeat(64 * 1024);
    for i in 0..20 {
        let key = CacheKey::new("s", "GET", format!("https://h/{i}"));
        store
            .cache_put(&key, &resp(&big), Duration::from_secs(1), 100)
            .await
            .unwrap();
    }
    store.pref_set("k", "v").await.unwrap();
    offset_ms.store(2_000, Ordering::SeqCst);
    store.vacuum().await.unwrap();
    assert_eq!(store.cache_stats().await.unwrap().entries, 0);
    assert_eq!(store.pref_get("k").await.unwrap().as_deref(), Some("v"));
    let info = store.info().await.unwrap();
    assert!(
        info.size_bytes < 512 * 1024,
        "space reclaimed: {} bytes",
        info.size_bytes
    );
}
