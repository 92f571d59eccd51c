//! The blocking client in a plain `fn main`: no async runtime to set up.
//!
//! The emulator is async, so it runs on its own thread here; a script against your account just
//! calls `rsspot::blocking::SpotClient::from_env()?`. `cargo run --example blocking-script`.

use std::sync::mpsc;

use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::services::{CloudSpaceCreate, WaitOptions};

fn main() -> rsspot::Result<()> {
    let (base_url, _stop) = emulator_thread()?;
    let client = rsspot::blocking::SpotClient::from_builder(
        rsspot::SpotClient::builder()
            .all_urls(&base_url)
            .refresh_token("demo-token")
            .in_memory_state(),
    )?;

    for org in client.organizations().list()? {
        println!("organization {}", org.name.unwrap_or_default());
    }
    client
        .cloudspaces()
        .create(&CloudSpaceCreate::new("script").region("us-central-dfw-1"))?;
    let cs = client.cloudspaces().wait_ready(
        "script",
        &WaitOptions::with_timeout(std::time::Duration::from_secs(10)),
    )?;
    println!("cloudspace script: {:?}", cs.status.and_then(|s| s.phase));
    client.cloudspaces().delete("script")?;
    Ok(())
}

/// Starts the emulator on a thread with its own runtime; it stops when the sender is dropped.
fn emulator_thread() -> rsspot::Result<(String, mpsc::Sender<()>)> {
    let (url_tx, url_rx) = mpsc::channel();
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rt = match tokio::runtime::Runtime::new() {
            Ok(rt) => rt,
            Err(e) => {
                let e = rsspot::Error::config(format!("cannot start a runtime: {e}"));
                return drop(url_tx.send(Err(e)));
            }
        };
        rt.block_on(async {
            let started = Emulator::start_with(EmulatorOptions {
                lifecycle: Lifecycle::instant(),
                ..EmulatorOptions::default()
            })
            .await;
            let emu = match started {
                Ok(emu) => emu,
                Err(e) => return drop(url_tx.send(Err(e.into()))),
            };
            let _ = url_tx.send(Ok(emu.base_url()));
            // Keep serving until main drops the sender.
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
        });
    });
    let url = url_rx
        .recv()
        .map_err(|_| rsspot::Error::config("the emulator thread ended before it started"))??;
    Ok((url, stop_tx))
}
