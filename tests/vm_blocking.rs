//! The VM services through the blocking facade.
#![cfg(feature = "emulator")]

use std::time::Duration;

use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::services::{
    AutopilotPoolCreate, CloudSpaceCreate, VmCloudSpaceCreate, VmPoolCreate, VmPoolUpdate,
    VmSshKeyCreate, WaitOptions,
};

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@sync";

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
fn blocking_client_runs_the_vm_flow() {
    let (url, _stop) = background_emulator();
    let client = rsspot::blocking::SpotClient::from_builder(
        rsspot::SpotClient::builder()
            .all_urls(&url)
            .refresh_token("demo-token")
            .in_memory_state()
            .cache(false),
    )
    .unwrap();
    let wait =
        WaitOptions::with_timeout(Duration::from_secs(10)).interval(Duration::from_millis(5));
    let key = client
        .vm_ssh_keys()
        .create(&VmSshKeyCreate::new("sync", KEY))
        .unwrap();
    assert_eq!(key.status.unwrap().validated, Some(true));
    let made = client
        .vm_cloudspaces()
        .create(
            &VmCloudSpaceCreate::new("vm-sync", "us-central-dfw-1", "sync")
                .pool(VmPoolCreate::on_demand("", "ch.vs1.xlarge-dfw", 2)),
        )
        .unwrap();
    assert_eq!(made.pools.len(), 1);
    let pool = made.pools[0].metadata.name.clone();
    let cs = client
        .vm_cloudspaces()
        .wait_until_running("vm-sync", &wait)
        .unwrap();
    assert_eq!(cs.status.assigned_servers.len(), 2);
    let upd = VmPoolUpdate {
        desired: Some(1),
        bid_price: None,
    };
    client.vm_pools().update(&pool, &upd).unwrap();
    let p = client.vm_pools().wait_ready(&pool, &wait).unwrap();
    assert_eq!(p.status.won_count, Some(1));
    let gone = client
        .vm_cloudspaces()
        .delete_with_pools("vm-sync")
        .unwrap();
    assert_eq!(gone.pools, vec![pool]);
    assert!(
        client
            .vm_pools()
            .within(Some("vm-sync"))
            .list()
            .unwrap()
            .is_empty()
    );

    client
        .cloudspaces()
        .create(&CloudSpaceCreate::new("ap-sync").region("us-central-dfw-1"))
        .unwrap();
    let req = AutopilotPoolCreate::new("ap-sync", 4, "1".parse().unwrap());
    // The estimate and what the service then packs agree (same prices, same rule).
    let preview = client.autopilot_pools().preview(&req).unwrap();
    assert_eq!(preview.packed_vcpus, 4, "{preview:?}");
    let ap = client.autopilot_pools().create(&req).unwrap();
    let name = ap.metadata.name;
    let ap = client.autopilot_pools().wait_ready(&name, &wait).unwrap();
    assert!(ap.status.unwrap().managed_vcpus.unwrap_or(0) >= 4);
    client.autopilot_pools().delete(&name).unwrap();
    client.vm_ssh_keys().delete("sync").unwrap();
}
