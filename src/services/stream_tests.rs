use std::sync::{Arc, Mutex};

use futures::TryStreamExt;
use serde_json::{Value, json};

use super::*;

/// A pager over `n` numbers in pages of at most `max`, recording each request.
fn numbers(n: u32, max: u32, log: Arc<Mutex<Vec<PageRequest>>>) -> ListStream<u32> {
    ListStream::new(Box::new(move |req: PageRequest| {
        log.lock().unwrap().push(req.clone());
        let start: u32 = req.continue_.as_deref().map_or(0, |t| t.parse().unwrap());
        let end = (start + req.limit.min(max)).min(n);
        let next = (end < n).then(|| end.to_string());
        Box::pin(async move { Ok(Page::new((start..end).collect(), next)) })
    }))
}

#[tokio::test]
async fn pages_are_followed_and_the_limit_stops_fetching() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let all: Vec<u32> = numbers(5, 2, log.clone()).try_collect().await.unwrap();
    assert_eq!(all, [0, 1, 2, 3, 4]);
    assert_eq!(log.lock().unwrap().len(), 3);
    log.lock().unwrap().clear();
    let first: Vec<u32> = numbers(5, 2, log.clone())
        .limit(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first, [0, 1, 2]);
    let asked: Vec<u32> = log.lock().unwrap().iter().map(|r| r.limit).collect();
    assert_eq!(asked, [3, 1], "pages no larger than what is still wanted");
    let none: Vec<u32> = numbers(5, 2, log).limit(0).try_collect().await.unwrap();
    assert!(none.is_empty());
}

#[test]
fn backoff_doubles_while_quiet_and_resets_on_change() {
    let s = Duration::from_secs;
    let mut b = Backoff::new(s(2), s(30));
    let waits: Vec<Duration> = (0..6).map(|_| b.next(false)).collect();
    assert_eq!(waits, [s(2), s(4), s(8), s(16), s(30), s(30)]);
    assert_eq!(b.next(true), s(2));
    assert_eq!(b.next(false), s(2));
    assert_eq!(
        Backoff::new(Duration::ZERO, Duration::ZERO).start(),
        MIN_WATCH_INTERVAL
    );
}

#[test]
fn changes_compare_resource_versions_else_content() {
    let obj = |name: &str, rv: Option<&str>, v: i64| -> Value {
        match rv {
            Some(rv) => json!({"metadata": {"name": name, "resourceVersion": rv}, "v": v}),
            None => json!({"metadata": {"name": name}, "v": v}),
        }
    };
    let name = |o: &Value| {
        o["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let a = snapshot(vec![obj("x", Some("1"), 1), obj("y", None, 1)], name);
    let kinds = |e: &[WatchEvent<Value>]| e.iter().map(WatchEvent::kind).collect::<Vec<_>>();
    assert_eq!(kinds(&changes(&BTreeMap::new(), &a)), ["ADDED", "ADDED"]);
    // Same resourceVersion: unchanged even if the content differs; no version: by content.
    let b = snapshot(
        vec![obj("x", Some("1"), 2), obj("y", None, 2), obj("z", None, 0)],
        name,
    );
    assert_eq!(kinds(&changes(&a, &b)), ["MODIFIED", "ADDED"]);
    let c = snapshot(vec![obj("x", Some("2"), 2)], name);
    let events = changes(&b, &c);
    assert_eq!(kinds(&events), ["MODIFIED", "DELETED", "DELETED"]);
    assert_eq!(events[1].object()["metadata"]["name"], "y");
    assert!(changes(&c, &c).is_empty());
}
