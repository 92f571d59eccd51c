//! Planning benchmark of declarative fleets (issue 27; std-only timing, `harness = false`).
//!
//! A fleet of 10 cloudspaces × 5 spot pools is applied to the in-process emulator, then planned
//! again (in sync) with a fixed latency injected per request, so that the requests dominate as
//! they do against the real service. Reported, from the same run:
//! - the requests one plan sends, from the emulator's journal: the goal is at most one list per
//!   kind plus the public pricing documents, and no request per object;
//! - the median time of `fleet::plan` against the median time of those same requests alone,
//!   sent at once with a raw `reqwest` client and the same bearer (goal ≤ 1.2×).
//!
//! `cargo bench --bench fleet` (7 timed runs each, alternating); run as a test
//! (`cargo test --bench fleet`) it does one.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{BenchResult, bearer, time_pair};
use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::fleet::{self, ApplyOptions, Fleet, FleetBid, FleetCloudSpace, FleetPool, PlanOptions};
use rsspot::retry::RetryConfig;

/// Injected latency per request, as a nearby real service would answer.
const LATENCY: Duration = Duration::from_millis(20);
const CLOUDSPACES: usize = 10;
const POOLS: usize = 5;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn the_fleet() -> Fleet {
    let mut fleet = Fleet::default();
    for c in 0..CLOUDSPACES {
        let mut cs = FleetCloudSpace {
            name: format!("bench-{c}"),
            region: Some("us-central-dfw-1".into()),
            ..Default::default()
        };
        for p in 0..POOLS {
            cs.spot_pools.push(FleetPool {
                key: Some(format!("p{p}")),
                server_class: "gp.vs1.medium-dfw".into(),
                desired: 1,
                bid: Some(FleetBid::Text("0.02".into())),
                ..Default::default()
            });
        }
        fleet.cloudspaces.push(cs);
    }
    fleet
}

/// The path's kind: the last segment of a collection, `…/spotnodepools` → `spotnodepools`.
fn kind_of(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .to_string()
}

async fn run(runs: usize) -> BenchResult<()> {
    let emu = Emulator::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..EmulatorOptions::default()
    })
    .await?;
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(RetryConfig::none())
        .in_memory_state()
        .build()
        .await?;
    let org = client.default_org();
    let wanted = the_fleet();
    let opts = PlanOptions::default();
    let plan = fleet::plan(&org, &wanted, &opts).await?;
    fleet::apply(&org, &plan, &ApplyOptions::default()).await?;
    let plan = fleet::plan(&org, &wanted, &opts).await?;
    if !plan.in_sync() || plan.unchanged.len() != CLOUDSPACES * (POOLS + 1) {
        return Err(format!("the applied fleet is not in sync: {plan:?}").into());
    }

    // The requests of one plan, from the journal.
    emu.clear_journal();
    fleet::plan(&org, &wanted, &opts).await?;
    let journal = emu.journal();
    let mut per_kind: BTreeMap<String, usize> = BTreeMap::new();
    for e in &journal {
        *per_kind.entry(kind_of(&e.path)).or_default() += 1;
    }
    let urls: Vec<String> = journal
        .iter()
        .map(|e| match &e.query {
            Some(q) => format!("{}{}?{q}", emu.base_url(), e.path),
            None => format!("{}{}", emu.base_url(), e.path),
        })
        .collect();
    if journal.iter().any(|e| e.method != "GET") {
        return Err("planning sent a write".into());
    }

    // Time: the plan vs the same requests alone (at once, raw reqwest, same bearer).
    // reqwest is built without a crypto provider of its own.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let token = bearer(&http, &emu).await?;
    emu.faults().set_latency(LATENCY);
    let raw = || async {
        let sends = urls.iter().map(|u| {
            let req = http.get(u).bearer_auth(&token);
            async move {
                let resp = req.send().await?.error_for_status()?;
                resp.bytes().await.map(drop)
            }
        });
        futures::future::try_join_all(sends).await.map(drop)
    };
    let plan = || async {
        fleet::plan(&org, &wanted, &opts).await?;
        Ok(())
    };
    let raw = || async { raw().await.map_err(Into::into) };
    let (planned, alone) = time_pair(1, runs, plan, raw).await?;
    let ratio = planned.as_secs_f64() / alone.as_secs_f64();

    println!(
        "fleet planning: {CLOUDSPACES} cloudspaces × {POOLS} spot pools ({} objects), {} ms latency per request\n",
        CLOUDSPACES * (POOLS + 1),
        LATENCY.as_millis()
    );
    println!("| requests of one plan | count |");
    println!("| --- | --- |");
    for (kind, n) in &per_kind {
        println!("| GET …/{kind} | {n} |");
    }
    println!("| total | {} |", journal.len());
    let most = per_kind.values().copied().max().unwrap_or(0);
    println!(
        "\nat most {most} request(s) per kind: {}",
        if most <= 1 { "goal met" } else { "goal MISSED" }
    );
    println!("\n| measured | median | baseline | ratio | goal |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| fleet::plan | {} | {} (the same {} requests alone, at once) | {ratio:.2}× | ≤ 1.2×, {} |",
        ms(planned),
        ms(alone),
        urls.len(),
        if ratio <= 1.2 { "met" } else { "MISSED" }
    );
    println!(
        "\nmedian of {runs} runs each, alternating; emulator on 127.0.0.1 in the same process."
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let runs = if args.iter().any(|a| a == "--bench") {
        7
    } else {
        1
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("fleet bench: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(runs)) {
        eprintln!("fleet bench: {e}");
        std::process::exit(1);
    }
}
