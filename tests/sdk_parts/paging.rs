//! Paged lists: the SDK follows `metadata.continue` to the end and caches the whole list, and
//! the emulator pages like Kubernetes (`limit`, `continue`, expired and bad tokens).

use rsspot::Error;
use rsspot::emulator::{Emulator, EmulatorOptions};
use rsspot::services::CloudSpaceCreate;

use super::client_for;

#[tokio::test]
async fn paged_lists_are_followed_to_the_end_and_cached_whole() {
    // A server that answers lists two items at a time (`metadata.continue`).
    let emu = Emulator::start_with(EmulatorOptions {
        page_size: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client_for(&emu).await;
    for i in 0..5 {
        c.cloudspaces()
            .create(&CloudSpaceCreate::new(format!("page-{i}")).region("us-central-dfw-1"))
            .await
            .unwrap();
    }
    emu.clear_journal();
    let listed = c.cloudspaces().list().await.unwrap();
    let mut names: Vec<String> = listed.iter().map(|cs| cs.metadata.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
    let pages: Vec<Option<String>> = emu
        .journal()
        .iter()
        .filter(|j| j.path.ends_with("/cloudspaces"))
        .map(|j| j.query.clone())
        .collect();
    assert_eq!(
        pages,
        [
            None,
            Some("continue=emu-2".into()),
            Some("continue=emu-4".into())
        ]
    );
    // The whole list is cached under the list's own URL: no request, all five.
    emu.clear_journal();
    assert_eq!(c.cloudspaces().list().await.unwrap().len(), 5);
    assert_eq!(emu.count("GET", "/apis"), 0);
    // Cluster-scoped lists page the same way (5 regions in the built-in seed).
    let regions = c.without_cache().regions().list().await.unwrap();
    assert_eq!(regions.len(), 5);
}

#[tokio::test]
async fn emulator_pages_like_kubernetes() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    let get = |q: &str| {
        let path = format!("/apis/ngpc.rxt.io/v1/regions{q}");
        let c = c.clone();
        async move { c.api_request("GET", &path, None).await }
    };
    let page = get("?limit=2").await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["continue"], "emu-2");
    assert_eq!(page["metadata"]["remainingItemCount"], 3);
    let last = get("?limit=10&continue=emu-2").await.unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 3);
    assert_eq!(last["metadata"]["continue"], "");
    // Without limit, everything at once.
    let all = get("").await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    // A token the server does not know: 410 Expired; a bad limit: 400.
    match get("?continue=bogus").await {
        Err(Error::Api {
            status: 410,
            message,
            ..
        }) => assert!(message.contains("continue"), "{message}"),
        other => panic!("{other:?}"),
    }
    let bad = get("?limit=0").await.unwrap_err();
    assert!(bad.to_string().contains("limit"), "{bad:?}");
}
