//! Regions, the cheapest server classes and a bid advice: the read-only side of the SDK.
//!
//! Runs against the in-process emulator: `cargo run --example list-and-price`. Against your
//! account, build the client with `SpotClient::from_env()` instead.

use rsspot::SpotClient;
use rsspot::emulator::Emulator;
use rsspot::pricing::advice::Risk;

#[tokio::main(flavor = "current_thread")]
async fn main() -> rsspot::Result<()> {
    let emu = Emulator::start().await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await?;

    for region in client.regions().list().await? {
        let name = region.metadata.name;
        println!("region {name}");
    }

    // One row per server class: specs joined with the current market price for 3 nodes.
    let mut rows = client.pricing().rows(3).await?;
    rows.retain(|r| r.market.is_some());
    rows.sort_by_key(|r| r.market);
    for row in rows.iter().take(5) {
        let market = row.market.map(|m| m.to_string()).unwrap_or_default();
        println!("{:<24} {:<18} {market:>8} $/h", row.name, row.region);
    }

    let cheapest = rows
        .first()
        .ok_or_else(|| rsspot::Error::not_found("server class", "with a market price"))?;
    let advice = client.pricing().advise(&cheapest.name, Risk::Med).await?;
    println!("bid {} for {} ({})", advice.bid, advice.class, advice.basis);
    Ok(())
}
