//! The consumer of issue #25's "Done when", as a test: the README's way of using the SDK
//! compiles and runs against the emulator (the same steps as `examples/consumer.rs`).
#![cfg(feature = "emulator")]

use futures::TryStreamExt;
use rsspot::emulator::Emulator;
use rsspot::services::{CloudSpaceCreate, SpotPoolCreate, SpotPoolUpdate};
use rsspot::{Decimal, ResourceExt, SpotClient};

#[tokio::test]
async fn the_readme_consumer_runs_against_the_emulator() -> rsspot::Result<()> {
    let emu = Emulator::start().await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await?;
    let org = client.org("demo");
    org.cloudspaces()
        .create(&CloudSpaceCreate::new("shop").region("us-central-dfw-1"))
        .await?;
    let bid = "0.06".parse::<rsspot::pricing::Bid>()?;
    let pool = org
        .spot_pools()
        .create(&SpotPoolCreate::new("shop", "gp.vs1.medium-dfw", 2, bid))
        .await?;
    let pools = org.spot_pools().within("shop");
    let scaled = pools
        .update(pool.name(), &SpotPoolUpdate::new().desired(3))
        .await?;
    assert_eq!(scaled.spec.desired, Some(3));
    let listed = pools.list().await?;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name(), pool.name());
    assert!(
        listed[0]
            .namespace()
            .is_some_and(|ns| ns.starts_with("org-"))
    );
    let first: Vec<_> = org
        .cloudspaces()
        .list_stream()
        .limit(1)
        .try_collect()
        .await?;
    assert_eq!(first[0].name(), "shop");
    let monthly: Decimal = bid.value() * Decimal::from(3) * Decimal::from(730);
    assert_eq!(monthly, Decimal::new(13140, 2));
    let regions = client.raw().list_regions().send().await?;
    assert!(!regions.items.is_empty());
    // An org that does not exist fails on first use, not when the handle is made.
    let nowhere = client.org("no-such-org");
    assert!(matches!(
        nowhere.cloudspaces().list().await,
        Err(rsspot::Error::NotFound { .. })
    ));
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
    .expect("the blocking task panicked")?;
    assert_eq!(names, ["shop"]);
    Ok(())
}
