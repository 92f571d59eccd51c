//! Instruction counts of one SDK call against the raw HTTP call it wraps, for `callgrind`.
//!
//! Wall-clock medians of a ~150 µs loopback call move by ±30 µs between runs, more than the
//! difference being measured (issue 6: `regions().list()` ≤ 1.2× a raw `reqwest` GET). Counted
//! instructions do not: `benches/instructions.sh` runs this binary under
//! `valgrind --tool=callgrind` once with 0 and once with N calls per mode, and reports the
//! instructions per call and their ratios.
//!
//! `instructions MODE N` with MODE one of:
//! - `sdk`: `client.regions().list()`, cache off (routing, bearer, retry loop, paging check,
//!   typed decoding);
//! - `raw`: a `reqwest` GET of the same URL with the same bearer, body read as bytes;
//! - `raw-typed`: the same GET, body decoded into the same typed model as the SDK's.
//!
//! The emulator runs in the same process, so every count includes its side of the request; it
//! is the same for all three modes.

use rsspot::SpotClient;
use rsspot::emulator::{CLIENT_ID, Emulator};
use rsspot::raw::types::RegionList;
use rsspot::retry::RetryConfig;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let mode = args.next().unwrap_or_else(|| "sdk".into());
    let n: usize = args.next().map(|s| s.parse()).transpose()?.unwrap_or(100);
    let emu = Emulator::start().await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(RetryConfig::none())
        .in_memory_state()
        .cache(false)
        .build()
        .await?;
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    let http = reqwest::Client::new();
    let form = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT_ID),
        ("refresh_token", "demo-token"),
    ];
    let token: serde_json::Value = http
        .post(format!("{}/oauth/token", emu.base_url()))
        .form(&form)
        .send()
        .await?
        .json()
        .await?;
    let token = token["id_token"].as_str().ok_or("no id_token")?.to_string();
    let url = format!("{}/apis/ngpc.rxt.io/v1/regions", emu.base_url());
    // One call of each kind outside the counted loop: connections, the SDK's token.
    client.regions().list().await?;
    http.get(&url).bearer_auth(&token).send().await?;
    for _ in 0..n {
        match mode.as_str() {
            "sdk" => {
                std::hint::black_box(client.regions().list().await?);
            }
            "raw" => {
                let req = http.get(&url).bearer_auth(&token);
                let body = req.send().await?.error_for_status()?.bytes().await?;
                std::hint::black_box(body);
            }
            "raw-typed" => {
                let req = http.get(&url).bearer_auth(&token);
                let body = req.send().await?.error_for_status()?.bytes().await?;
                std::hint::black_box(serde_json::from_slice::<RegionList>(&body)?);
            }
            other => return Err(format!("unknown mode {other:?}: sdk, raw or raw-typed").into()),
        }
    }
    Ok(())
}
