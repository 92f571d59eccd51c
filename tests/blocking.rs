//! The blocking facade: same services, synchronous, refuses to run inside a runtime.
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
    client.cloudspaces().create(&CloudSpaceCreate::new("sync").region("us-east-iad-1"))
        .unwrap();
    let ready = client
        .cloudspaces()
        .wait_ready(
            "sync",
            &WaitOptions::with_timeout(Duration::from_secs(5)).interval(Duration::from_millis(10)),
        )
        .unwrap();
    assert_eq!(ready.status.unwrap().phase.as_deref(), Some("Ready"));
    assert!(
        client.cloudspaces().kubeconfig("sync")
            .unwrap()
            .contains("apiVersion")
    );
    client.cloudspaces().delete("sync").unwrap();
    let err = client.regions().get("nowhere").unwrap_err();
    assert!(matches!(err, rsspot::Error::NotFound { .. }));
}

#[tokio::test]
async fn blocking_client_refuses_inside_a_runtime() {
    let err =
        rsspot::blocking::SpotClient::from_builder(rsspot::SpotClient::builder()).unwrap_err();
    assert!(err.to_string().contains("inside an async runtime"), "{err}");
}
