//! SDK benchmarks against the in-process emulator (std-only timing loops; `harness = false`).
//!
//! `cargo bench --bench sdk` prints one table:
//! (a) `regions().list()` with the cache off vs a raw `reqwest` GET of the same URL with the same
//!     bearer (goal ≤ 1.2×); (b) a cache hit vs an emulator round trip; (c) price history for 40
//!     classes with 50 ms injected latency at concurrency 8 (goal ≤ 1.5 × ceil(40/8) × 50 ms);
//! (d) `pricing().rows()` with 50 ms latency vs one round trip per concurrent batch.
//!
//! `RSSPOT_BENCH_RUNS` overrides the number of timed runs of (a) and (b) (default 400).

mod common;

use std::time::Duration;

use common::{BenchResult, bearer, time, time_pair};
use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions, Seed};
use rsspot::retry::RetryConfig;
use serde_json::Value;

/// Injected latency of the fan-out benchmarks.
const LATENCY: Duration = Duration::from_millis(50);
/// Classes in the price-history benchmark, and the client's fan-out limit.
const CLASSES: usize = 40;
const CONCURRENCY: usize = 8;
/// Timed runs of the fan-out benchmarks (each takes hundreds of ms).
const FANOUT_RUNS: usize = 7;

/// How many timed runs: full under `cargo bench` (which passes `--bench`), a smoke run when the
/// target is run as a test (`cargo test --benches`).
struct Runs {
    quick: usize,
    fanout: usize,
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

async fn client(emu: &Emulator, cache: bool) -> BenchResult<SpotClient> {
    Ok(SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(RetryConfig::none())
        .in_memory_state()
        .cache(cache)
        .concurrency(CONCURRENCY)
        .build()
        .await?)
}

/// The built-in seed with its classes cloned under new names until there are at least `n`.
fn seed_with_classes(n: usize) -> Seed {
    let mut seed = Seed::builtin();
    let originals = seed.server_classes.clone();
    let mut i = 0;
    while seed.server_classes.len() < n {
        let mut doc = originals[i % originals.len()].clone();
        let name = doc["metadata"]["name"]
            .as_str()
            .unwrap_or("class")
            .to_string();
        let copy = format!("{name}-b{i}");
        doc["metadata"]["name"] = Value::String(copy.clone());
        if let Some(h) = seed.price_history.get(&name).cloned() {
            seed.price_history.insert(copy, h);
        }
        seed.server_classes.push(doc);
        i += 1;
    }
    seed
}

struct Row {
    what: &'static str,
    measured: Duration,
    baseline: Duration,
    baseline_what: String,
    goal: Option<f64>,
}

fn print_table(rows: &[Row]) {
    println!();
    println!(
        "{:<44} {:>12} {:>12}  {:<34} {:>8}  goal",
        "benchmark", "median", "baseline", "baseline is", "ratio"
    );
    for r in rows {
        let ratio = r.measured.as_secs_f64() / r.baseline.as_secs_f64();
        let goal = match r.goal {
            Some(g) if ratio <= g => format!("≤ {g}× met"),
            Some(g) => format!("≤ {g}× MISSED"),
            None => "-".into(),
        };
        println!(
            "{:<44} {:>12} {:>12}  {:<34} {:>7.2}×  {goal}",
            r.what,
            ms(r.measured),
            ms(r.baseline),
            r.baseline_what,
            ratio
        );
    }
}

async fn run(n: Runs) -> BenchResult<()> {
    let runs = n.quick;
    let mut rows = Vec::new();

    // (a) and (b): the request path and the cache, no injected latency.
    let emu = Emulator::start().await?;
    let uncached = client(&emu, false).await?;
    let cached = client(&emu, true).await?;
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    let http = reqwest::Client::new();
    let token = bearer(&http, &emu).await?;
    let url = format!("{}/apis/ngpc.rxt.io/v1/regions", emu.base_url());
    let raw_get = || {
        let req = http.get(&url).bearer_auth(&token);
        async move {
            let body = req.send().await?.error_for_status()?.bytes().await?;
            std::hint::black_box(body);
            Ok(())
        }
    };
    let raw_get_parse = || {
        let req = http.get(&url).bearer_auth(&token);
        async move {
            let body = req.send().await?.error_for_status()?.bytes().await?;
            std::hint::black_box(serde_json::from_slice::<Value>(&body)?);
            Ok(())
        }
    };
    let sdk_list = || async {
        std::hint::black_box(uncached.regions().list().await?);
        Ok(())
    };
    let (sdk, raw) = time_pair(50, runs, sdk_list, raw_get).await?;
    rows.push(Row {
        what: "(a) regions().list(), cache off",
        measured: sdk,
        baseline: raw,
        baseline_what: "raw reqwest GET, same bearer".into(),
        goal: Some(1.2),
    });
    let (sdk, raw_parsed) = time_pair(50, runs, sdk_list, raw_get_parse).await?;
    rows.push(Row {
        what: "(a') regions().list(), cache off",
        measured: sdk,
        baseline: raw_parsed,
        baseline_what: "raw GET + serde_json::Value".into(),
        goal: None,
    });
    cached.regions().list().await?;
    let cache_hit = || async {
        std::hint::black_box(cached.regions().list().await?);
        Ok(())
    };
    let (hit, raw) = time_pair(50, runs, cache_hit, raw_get).await?;
    rows.push(Row {
        what: "(b) regions().list(), cache hit",
        measured: hit,
        baseline: raw,
        baseline_what: "emulator round trip (raw GET)".into(),
        goal: None,
    });
    let requests_before = emu.journal().len();
    cached.regions().list().await?;
    if emu.journal().len() != requests_before {
        return Err("the cache hit went to the server".into());
    }
    drop(emu);

    // (c) and (d): fan-out with 50 ms injected latency per request.
    let emu = Emulator::start_with(EmulatorOptions {
        seed: seed_with_classes(CLASSES),
        ..Default::default()
    })
    .await?;
    let c = client(&emu, false).await?;
    let classes: Vec<String> = emu
        .seed()
        .server_classes
        .iter()
        .filter_map(|d| d["metadata"]["name"].as_str().map(str::to_string))
        .take(CLASSES)
        .collect();
    c.namespace(None).await?; // token exchange outside the timed runs
    emu.faults().set_latency(LATENCY);
    let batches = CLASSES.div_ceil(CONCURRENCY) as u32;
    let history = time(1, n.fanout, || async {
        let all = c.pricing().histories(&classes).await;
        if let Some((class, Err(e))) = all.iter().find(|(_, r)| r.is_err()) {
            return Err(format!("history of {class}: {e}").into());
        }
        if all.len() != CLASSES {
            return Err(format!("{} histories, expected {CLASSES}", all.len()).into());
        }
        Ok(())
    })
    .await?;
    rows.push(Row {
        what: "(c) histories(40 classes), 50 ms, conc. 8",
        measured: history,
        baseline: LATENCY * batches,
        baseline_what: format!("ideal {batches} × 50 ms (goal {} ms)", batches * 75),
        goal: Some(1.5),
    });
    let table = time(1, n.fanout, || async {
        let rows = c.pricing().rows(1).await?;
        if rows.len() < CLASSES {
            return Err(format!("{} price rows, expected ≥ {CLASSES}", rows.len()).into());
        }
        Ok(())
    })
    .await?;
    rows.push(Row {
        what: "(d) pricing().rows(), 50 ms",
        measured: table,
        baseline: LATENCY,
        baseline_what: "one round trip (3 fetches at once)".into(),
        // Not a stated goal of the issue: the same 1.5× allowance as (c).
        goal: Some(1.5),
    });

    print_table(&rows);
    println!(
        "\n(a)/(b): median of {runs} runs each, alternating; (c)/(d): median of {} runs. \
         Emulator on 127.0.0.1 in the same process.",
        n.fanout
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let runs = if args.iter().any(|a| a == "--bench") {
        Runs {
            quick: std::env::var("RSSPOT_BENCH_RUNS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(400),
            fanout: FANOUT_RUNS,
        }
    } else {
        Runs {
            quick: 20,
            fanout: 1,
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("bench: cannot start a runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(runs)) {
        eprintln!("bench failed: {e}");
        std::process::exit(1);
    }
}
