//! A library consumer, written as the README shows: an org handle, a typed list, names through
//! `ResourceExt`, an update built with a builder, a stream, a raw call with `?`, money as
//! `rsspot::Decimal`, and the blocking client inside `spawn_blocking`.
//!
//! Runs against the in-process emulator: `cargo run --example consumer`.

use futures::TryStreamExt;
use rsspot::emulator::Emulator;
use rsspot::services::{CloudSpaceCreate, SpotPoolCreate, SpotPoolUpdate};
use rsspot::{Decimal, ResourceExt, SpotClient};

#[tokio::main]
async fn main() -> rsspot::Result<()> {
    let emu = Emulator::start().await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await?;

    // An organization handle: made without a request; resolved on first use.
    let org = client.org("demo");
    org.cloudspaces()
        .create(&CloudSpaceCreate::new("shop").region("us-central-dfw-1"))
        .await?;
    let bid = "0.06".parse::<rsspot::pricing::Bid>()?;
    let pool = org
        .spot_pools()
        .create(&SpotPoolCreate::new("shop", "gp.vs1.medium-dfw", 2, bid))
        .await?;
    println!(
        "created spot pool {} in {:?}",
        pool.name(),
        pool.namespace()
    );

    // Scale it with a builder; list the cloudspace's pools.
    let pools = org.spot_pools().within("shop");
    pools
        .update(pool.name(), &SpotPoolUpdate::new().desired(3))
        .await?;
    for p in pools.list().await? {
        let desired = p.spec.desired.unwrap_or(0);
        println!(
            "{} wants {desired} nodes ({})",
            p.name(),
            p.phase().unwrap_or("-")
        );
    }

    // A stream, page by page, stopping after the first item.
    let first: Vec<_> = org
        .cloudspaces()
        .list_stream()
        .limit(1)
        .try_collect()
        .await?;
    println!("first cloudspace: {}", first[0].name());

    // Money is a Decimal, re-exported at the crate root.
    let monthly: Decimal = bid.value() * Decimal::from(3) * Decimal::from(730);
    println!("3 nodes at the bid: about ${monthly} a month");

    // The raw generated client, with `?` into rsspot::Result.
    let regions = client.raw().list_regions().send().await?;
    println!("{} regions (raw call)", regions.items.len());

    // The blocking client, inside spawn_blocking (it runs its own runtime thread).
    let base = emu.base_url().to_string();
    let names = tokio::task::spawn_blocking(move || -> rsspot::Result<Vec<String>> {
        let builder = SpotClient::builder()
            .all_urls(base)
            .refresh_token("demo-token")
            .in_memory_state();
        let blocking = rsspot::blocking::SpotClient::from_builder(builder)?;
        let spaces = blocking.org("demo").cloudspaces().list()?;
        Ok(spaces.iter().map(|c| c.name().to_string()).collect())
    })
    .await
    .map_err(|e| rsspot::Error::config(format!("the blocking task failed: {e}")))??;
    println!("blocking client sees: {}", names.join(", "));
    Ok(())
}
