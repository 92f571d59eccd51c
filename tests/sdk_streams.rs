//! Lists as streams and watches (issue #25), against the emulator: `list_stream` follows
//! pages and stops fetching at `.limit(n)`; `watch` reports a create, a scale and a delete made
//! meanwhile.
#![cfg(feature = "emulator")]

mod common;

use std::time::Duration;

use common::{API, Env};
use futures::{StreamExt, TryStreamExt};
use rsspot::emulator::{EmulatorOptions, Lifecycle};
use rsspot::services::{CloudSpaceCreate, SpotPoolCreate, VmSshKeyCreate, WatchEvent};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@sync";

/// List requests (GETs of the collection itself) the emulator saw for `collection`.
fn list_gets(env: &Env, collection: &str) -> Vec<Option<String>> {
    env.emu
        .journal()
        .into_iter()
        .filter(|e| e.method == "GET" && e.path.starts_with(API))
        .filter(|e| e.path.ends_with(&format!("/{collection}")))
        .map(|e| e.query)
        .collect()
}

#[tokio::test]
async fn list_stream_follows_pages_and_stops_at_the_limit() {
    let env = Env::start_with(EmulatorOptions {
        page_size: Some(2),
        ..Default::default()
    })
    .await;
    let c = env.client().await;
    for i in 1..=5 {
        c.vm_ssh_keys()
            .create(&VmSshKeyCreate::new(format!("key-{i}"), KEY))
            .await
            .unwrap();
    }

    env.emu.clear_journal();
    let all: Vec<_> = c.vm_ssh_keys().list_stream().try_collect().await.unwrap();
    let names: Vec<String> = all.iter().map(|k| k.metadata.name.clone()).collect();
    assert_eq!(names, ["key-1", "key-2", "key-3", "key-4", "key-5"]);
    let pages = list_gets(&env, "vmsshkeys");
    assert_eq!(pages.len(), 3, "5 items in pages of 2: {pages:?}");
    assert!(pages[1].as_deref().unwrap_or("").contains("continue="));

    env.emu.clear_journal();
    let first: Vec<_> = c
        .vm_ssh_keys()
        .list_stream()
        .limit(3)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(first.len(), 3);
    let pages = list_gets(&env, "vmsshkeys");
    assert_eq!(
        pages.len(),
        2,
        "3 items need 2 pages of 2, no third: {pages:?}"
    );
    // The last page asks only for what is still wanted.
    assert!(
        pages[1].as_deref().unwrap_or("").contains("limit=1"),
        "{pages:?}"
    );

    // Taken one at a time, a page is fetched only when the one before is used up.
    env.emu.clear_journal();
    let mut s = c.vm_ssh_keys().list_stream();
    s.next().await.unwrap().unwrap();
    assert_eq!(list_gets(&env, "vmsshkeys").len(), 1);

    // `list` still returns the whole list, following the pages itself.
    assert_eq!(c.vm_ssh_keys().list().await.unwrap().len(), 5);
}

#[tokio::test]
async fn list_stream_of_a_list_fetched_whole_still_honours_the_limit() {
    let env = Env::instant().await;
    let c = env.client().await;
    for name in ["a-dfw", "b-dfw", "c-dfw"] {
        c.cloudspaces()
            .create(&CloudSpaceCreate::new(name).region("us-central-dfw-1"))
            .await
            .unwrap();
    }
    let two: Vec<_> = c
        .cloudspaces()
        .list_stream()
        .limit(2)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(two.len(), 2);
    let all: Vec<_> = c.cloudspaces().list_stream().try_collect().await.unwrap();
    assert_eq!(all.len(), 3);
}

type Pool = rsspot::raw::types::SpotNodePool;

/// The next event of a watch, within 20 s.
async fn next(events: &mut rsspot::services::WatchStream<Pool>) -> WatchEvent<Pool> {
    tokio::time::timeout(Duration::from_secs(20), events.next())
        .await
        .expect("an event within 20 s")
        .expect("the watch goes on")
        .expect("no poll fails")
}

fn desired(p: &rsspot::raw::types::SpotNodePool) -> Option<u32> {
    p.spec.desired
}

#[tokio::test]
async fn watch_reports_a_create_a_scale_and_a_delete() {
    let env = Env::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await;
    let c = env.client().await;
    c.cloudspaces()
        .create(&CloudSpaceCreate::new("demo-dfw").region("us-central-dfw-1"))
        .await
        .unwrap();
    let mut events = c
        .spot_pools()
        .within(Some("demo-dfw"))
        .watch()
        .interval(Duration::from_millis(50))
        .max_interval(Duration::from_millis(200));

    let bid = "0.06".parse::<rsspot::pricing::Bid>().unwrap();
    let pool = c
        .spot_pools()
        .create(&SpotPoolCreate::new(
            "demo-dfw",
            "gp.vs1.medium-dfw",
            1,
            bid,
        ))
        .await
        .unwrap();
    let name = pool.metadata.name;
    let name_of = |p: &rsspot::raw::types::SpotNodePool| p.metadata.name.clone();

    // The first poll reports what exists as Added.
    let added = next(&mut events).await;
    assert!(
        matches!(&added, WatchEvent::Added(p) if name_of(p) == name),
        "{added:?}"
    );

    let scaled = c.spot_pools().scale(&name, 3).await.unwrap();
    assert_eq!(desired(&scaled), Some(3));
    loop {
        match next(&mut events).await {
            WatchEvent::Modified(p) if name_of(&p) == name && desired(&p) == Some(3) => break,
            WatchEvent::Modified(_) => continue,
            other => panic!("expected the scale as Modified, got {other:?}"),
        }
    }

    c.spot_pools().delete(&name).await.unwrap();
    loop {
        match next(&mut events).await {
            WatchEvent::Deleted(p) => {
                assert_eq!(name_of(&p), name);
                break;
            }
            WatchEvent::Modified(_) => continue,
            other => panic!("expected the delete, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn scale_sends_a_merge_patch_of_desired_only() {
    let env = Env::instant().await;
    let c = env.client().await;
    c.cloudspaces()
        .create(&CloudSpaceCreate::new("demo-dfw").region("us-central-dfw-1"))
        .await
        .unwrap();
    let bid = "0.06".parse::<rsspot::pricing::Bid>().unwrap();
    let pool = c
        .spot_pools()
        .create(&SpotPoolCreate::new(
            "demo-dfw",
            "gp.vs1.medium-dfw",
            1,
            bid,
        ))
        .await
        .unwrap();
    let name = pool.metadata.name;
    let after = c.spot_pools().scale(&name, 2).await.unwrap();
    assert_eq!(desired(&after), Some(2));
    assert_eq!(
        after.spec.bid_price.map(|b| b.to_string()).as_deref(),
        Some("0.06"),
        "the bid is untouched"
    );
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 1);
    assert!(c.spot_pools().scale(&name, 0).await.is_err());
}
