//! The response cache of `state.db`: entries isolated between scopes, expiry by the store's
//! clock, the LRU cap, and invalidation of a list and its items without their siblings.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use rsspot::state::{CacheKey, StateStore};

use super::resp;

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

#[tokio::test]
async fn invalidation_drops_list_and_items_but_not_siblings() {
    let store = StateStore::in_memory().await.unwrap();
    let ns = "https://spot.rackspace.com/apis/ngpc.rxt.io/v1/namespaces/org-a";
    let ttl = Duration::from_secs(60);
    let gone = [
        format!("{ns}/cloudspaces"),
        format!("{ns}/cloudspaces?limit=5"),
        format!("{ns}/cloudspaces/demo"),
        format!("{ns}/cloudspaces/demo/status"),
    ];
    let kept = [
        format!("{ns}/cloudspacesx"),
        format!("{ns}/cloudspacesx/demo"),
        format!("{ns}/spotnodepools"),
        "https://spot.rackspace.com/apis/ngpc.rxt.io/v1/regions".to_owned(),
    ];
    for url in gone.iter().chain(&kept) {
        store
            .cache_put(&CacheKey::new("me|org-a", "GET", url), &resp("x"), ttl, 100)
            .await
            .unwrap();
    }
    // Another identity's copy of the same list is not touched.
    let other = CacheKey::new("you|org-b", "GET", format!("{ns}/cloudspaces"));
    store.cache_put(&other, &resp("x"), ttl, 100).await.unwrap();

    let deleted = store
        .cache_invalidate("me|org-a", &format!("{ns}/cloudspaces"))
        .await
        .unwrap();
    assert_eq!(deleted, gone.len() as u64);
    for url in &gone {
        let k = CacheKey::new("me|org-a", "GET", url);
        assert_eq!(store.cache_get(&k).await.unwrap(), None, "{url}");
    }
    for url in &kept {
        let k = CacheKey::new("me|org-a", "GET", url);
        assert!(store.cache_get(&k).await.unwrap().is_some(), "{url}");
    }
    assert!(store.cache_get(&other).await.unwrap().is_some());

    // An item write invalidates that item only (a trailing slash does not matter).
    store
        .cache_put(
            &CacheKey::new("me|org-a", "GET", format!("{ns}/cloudspaces/demo")),
            &resp("x"),
            ttl,
            100,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .cache_invalidate("me|org-a", &format!("{ns}/cloudspaces/demo/"))
            .await
            .unwrap(),
        1
    );
}
