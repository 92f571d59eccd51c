//! Create a cloudspace and a spot node pool with an advised bid, wait for both, fetch the
//! kubeconfig, clean up.
//!
//! Runs against the in-process emulator, whose cloudspaces become Ready after 2 s and pools are
//! fulfilled 1 s later (on the wall clock): `cargo run --example create-cluster-and-wait`.

use std::time::Duration;

use rsspot::SpotClient;
use rsspot::emulator::{ClockMode, Emulator, EmulatorOptions, Lifecycle};
use rsspot::pricing::advice::Risk;
use rsspot::services::{CloudSpaceCreate, SpotPoolCreate, WaitOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> rsspot::Result<()> {
    let emu = Emulator::start_with(EmulatorOptions {
        clock: ClockMode::Wall,
        lifecycle: Lifecycle {
            cloudspace_ready_after: Duration::from_secs(2),
            pool_fulfilled_after: Duration::from_secs(1),
            ..Lifecycle::instant()
        },
        ..EmulatorOptions::default()
    })
    .await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await?;

    let region = "us-central-dfw-1";
    let class = "gp.vs1.medium-dfw";
    client
        .cloudspaces()
        .create(&CloudSpaceCreate::new("example").region(region))
        .await?;
    let wait = WaitOptions::with_timeout(Duration::from_secs(60))
        .interval(Duration::from_millis(250))
        .on_progress(|e| eprintln!("  {}: {} {}", e.what, e.phase, e.detail));
    let cs = client.cloudspaces().wait_ready("example", &wait).await?;
    println!("cloudspace example: {:?}", cs.status.and_then(|s| s.phase));

    let advice = client.pricing().advise(class, Risk::Med).await?;
    let pool = client
        .spot_pools()
        .create(&SpotPoolCreate::new("example", class, 2, advice.bid))
        .await?;
    let name = pool.metadata.name;
    client.spot_pools().wait_ready(&name, &wait).await?;
    println!("spot pool {name}: 2 × {class} at {} $/h", advice.bid);

    let kubeconfig = client.cloudspaces().kubeconfig("example").await?;
    println!("kubeconfig: {} bytes", kubeconfig.len());

    client.spot_pools().delete(&name).await?;
    client.cloudspaces().delete("example").await?;
    println!("cleaned up");
    Ok(())
}
