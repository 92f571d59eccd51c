//! The blocking facade: same services, synchronous, on a runtime thread of its own, so it runs in
//! plain sync code, inside `spawn_blocking` and on a blocking thread of an async test.
#![cfg(feature = "emulator")]

use std::time::Duration;

use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::services::{CloudSpaceCreate, WaitOptions};

/// Runs the emulator on its own runtime thread; returns its base URL and a stop handle.
fn background_emulator() -> (String, std::sync::mpsc::Sender<()>) {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let emu = Emulator::start_with(EmulatorOptions {
                lifecycle: Lifecycle::instant(),
                ..Default::default()
            })
            .await
            .unwrap();
            url_tx.send(emu.base_url()).unwrap();
            tokio::task::spawn_blocking(move || stop_rx.recv())
                .await
                .ok();
        });
    });
    (url_rx.recv().unwrap(), stop_tx)
}

#[test]
fn blocking_client_runs_the_main_flow() {
    let (url, _stop) = background_emulator();
    let client = rsspot::blocking::SpotClient::from_builder(
        rsspot::SpotClient::builder()
            .all_urls(&url)
            .refresh_token("demo-token")
            .in_memory_state(),
    )
    .unwrap();
    assert!(!client.regions().list().unwrap().is_empty());
    assert!(client.organizations().get("demo").is_ok());
    client
        .cloudspaces()
        .create(&CloudSpaceCreate::new("sync").region("us-east-iad-1"))
        .unwrap();
    let ready = client
        .cloudspaces()
        .wait_ready(
            "sync",
            &WaitOptions::with_timeout(Duration::from_secs(5)).interval(Duration::from_millis(10)),
        )
        .unwrap();
    assert_eq!(ready.status.unwrap().phase.unwrap(), "Ready");
    assert!(
        client
            .cloudspaces()
            .kubeconfig("sync")
            .unwrap()
            .contains("apiVersion")
    );
    client.cloudspaces().delete("sync").unwrap();
    let err = client.regions().get("nowhere").unwrap_err();
    assert!(matches!(err, rsspot::Error::NotFound { .. }));
}

fn emulator_client(url: &str) -> rsspot::SpotClientBuilder {
    rsspot::SpotClient::builder()
        .all_urls(url)
        .refresh_token("demo-token")
        .in_memory_state()
}

/// Inside an async test, against the emulator on the test's own runtime: built in async code,
/// used inside `spawn_blocking`, dropped in async code again (used to be refused outright).
#[tokio::test]
async fn blocking_client_works_inside_spawn_blocking_of_an_async_test() {
    let emu = Emulator::start().await.unwrap();
    let client = rsspot::blocking::SpotClient::from_builder(emulator_client(&emu.base_url()))
        .expect("a blocking client can be built inside a runtime");
    let (client, regions, missing) = tokio::task::spawn_blocking(move || {
        let regions = client.regions().list().unwrap();
        let missing = client.regions().get("nowhere").unwrap_err();
        (client, regions, missing)
    })
    .await
    .unwrap();
    assert!(!regions.is_empty());
    assert!(
        matches!(missing, rsspot::Error::NotFound { .. }),
        "{missing}"
    );
    assert!(emu.count("GET", "/apis/ngpc.rxt.io/v1/regions") >= 1);
    // Clones share the runtime thread; the last one goes in async code without a panic.
    let clone = client.clone();
    drop(client);
    let again = tokio::task::spawn_blocking(move || {
        let n = clone.regions().list().unwrap().len();
        (clone, n)
    })
    .await
    .unwrap();
    assert_eq!(again.1, regions.len());
    drop(again);
}

/// In a multi-threaded async test, a blocking client may be built and driven on a plain thread
/// too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_client_works_from_a_thread_of_an_async_test() {
    let emu = Emulator::start().await.unwrap();
    let url = emu.base_url();
    let handle = std::thread::spawn(move || {
        let client = rsspot::blocking::SpotClient::from_builder(emulator_client(&url)).unwrap();
        client.organizations().get("demo").map(|_| ())
    });
    tokio::task::spawn_blocking(move || handle.join().unwrap())
        .await
        .unwrap()
        .unwrap();
}

/// `initialise` sets the default shared client once; `shared_default(None, None)` hands out
/// clones of it; a second `initialise` is refused. (One test: the default is process-wide.)
#[test]
fn initialise_sets_the_shared_default_once() {
    let (url, _stop) = background_emulator();
    let first = rsspot::blocking::initialise(emulator_client(&url)).unwrap();
    let err = rsspot::blocking::initialise(emulator_client(&url)).unwrap_err();
    assert!(err.to_string().contains("set already"), "{err}");
    let shared = rsspot::blocking::shared_default(None, None).unwrap();
    let sent = first.as_async().stats().sent();
    assert!(!shared.regions().list().unwrap().is_empty());
    assert!(
        first.as_async().stats().sent() > sent,
        "the shared default is the initialised client (same counters)"
    );
    // Also inside spawn_blocking of a runtime made here.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let n = rt
        .block_on(async {
            tokio::task::spawn_blocking(|| {
                rsspot::blocking::shared_default(None, None)
                    .and_then(|c| c.regions().list())
                    .map(|r| r.len())
            })
            .await
        })
        .unwrap()
        .unwrap();
    assert!(n > 0);
}
