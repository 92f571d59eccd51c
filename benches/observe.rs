//! `rsspot metrics serve` and `rsspot events watch` with 1,000 pools (issue 28), against the
//! in-process emulator, the binary run as a child process as a user runs it.
//!
//! `cargo bench --bench observe` prints:
//! (e) a scrape of `/metrics` (the OpenMetrics text Prometheus asks for) served from the refreshed
//!     state: p50/p99 over `RSSPOT_BENCH_RUNS` scrapes (default 2,000), alternating with the
//!     baseline, a GET of a static body of the same size from a hyper server in this process
//!     (goal p99 ≤ 5 ms; the ratio is against the baseline of the same run);
//! (f) peak RSS (`VmHWM`) of `metrics serve` and of `events watch` after several intervals with
//!     1,000 pools (goal ≤ 30 MiB each);
//! (g) the requests of each during a window of intervals, from the emulator's journal, by
//!     route (goal: one list per kind per interval).
//!
//! `cargo test --bench observe` is a quick smoke run (100 scrapes).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::pricing::Bid;
use rsspot::services::{CloudSpaceCreate, OnDemandPoolCreate, SpotPoolCreate};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Pools in the fleet: spot and on-demand across the cloudspaces below.
const POOLS: usize = 1_000;
/// Every fourth pool is on-demand.
const ON_DEMAND_EVERY: usize = 4;
/// Cloudspaces and the server class their pools use (two per region).
const CLOUDSPACES: [(&str, &str, &str); 8] = [
    ("bench-dfw-a", "us-central-dfw-1", "gp.vs1.medium-dfw"),
    ("bench-dfw-b", "us-central-dfw-1", "gp.vs1.large-dfw"),
    ("bench-iad-a", "us-east-iad-1", "gp.vs1.medium-iad"),
    ("bench-iad-b", "us-east-iad-1", "gp.vs1.xlarge-iad"),
    ("bench-lon-a", "uk-lon-1", "gp.vs1.medium-lon"),
    ("bench-lon-b", "uk-lon-1", "gp.vs1.medium-lon"),
    ("bench-sjc-a", "us-west-sjc-1", "gp.vs2.medium-sjc"),
    ("bench-sjc-b", "us-west-sjc-1", "gp.vs2.medium-sjc"),
];
/// The refresh / poll interval of both commands.
const INTERVAL: Duration = Duration::from_secs(1);
/// Intervals the request window and the memory measurement span.
const WINDOW: u32 = 5;
/// What Prometheus sends.
const PROMETHEUS_ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
const MIB: f64 = 1024.0 * 1024.0;

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// The `q` quantile of sorted samples.
fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// 1,000 pools across eight cloudspaces in four regions, through the SDK.
async fn seed(emu: &Emulator, pools: usize) -> BenchResult<()> {
    let client = rsspot::SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .cache(false)
        .build()
        .await?;
    for (name, region, _) in CLOUDSPACES {
        client
            .cloudspaces()
            .create(&CloudSpaceCreate::new(name).region(region))
            .await?;
    }
    let bid: Bid = "0.50".parse()?;
    let t = Instant::now();
    for i in 0..pools {
        if i % 250 == 0 {
            eprintln!("seeding: {i} pools in {:.1} s", t.elapsed().as_secs_f64());
        }
        let (cs, _, class) = CLOUDSPACES[i % CLOUDSPACES.len()];
        let desired = (i % 5 + 1) as u32;
        if i % ON_DEMAND_EVERY == 0 {
            client
                .ondemand_pools()
                .create(&OnDemandPoolCreate::new(cs, class, desired))
                .await?;
        } else {
            client
                .spot_pools()
                .create(&SpotPoolCreate::new(cs, class, desired, bid))
                .await?;
        }
    }
    Ok(())
}

fn lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A child `rsspot` that is killed when dropped.
struct Running {
    child: Child,
    err: Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Starts `rsspot ARGS` against `emu` with a private HOME.
    fn start(emu: &Emulator, home: &std::path::Path, args: &[&str]) -> BenchResult<Running> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_rsspot"));
        for (k, _) in std::env::vars() {
            if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") {
                cmd.env_remove(k);
            }
        }
        let mut child = cmd
            .args(args)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_STATE_HOME", home.join(".local/state"))
            .env("RSSPOT_BASE_URL", emu.base_url())
            .env("RSSPOT_OAUTH_URL", emu.base_url())
            .env("RSSPOT_PUBLIC_DATA_URL", emu.base_url())
            .env("RSSPOT_REFRESH_TOKEN", "demo-token")
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()?;
        let err = lines(child.stderr.take().ok_or("no stderr")?);
        Ok(Running { child, err })
    }

    /// The first stderr line containing `text` (60 s at most).
    fn line_with(&self, text: &str) -> BenchResult<String> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.err.recv_timeout(left) {
                Ok(line) if line.contains(text) => return Ok(line),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        Err(format!("no stderr line with {text:?}").into())
    }

    /// Peak resident set size, bytes (`VmHWM` of `/proc/<pid>/status`).
    fn peak_rss(&self) -> BenchResult<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .ok_or("no VmHWM")?;
        Ok(kb * 1024)
    }
}

/// Requests in the journal during `WINDOW` intervals, by method and route (the path's last
/// segment, which names the kind), and the number of polls in the window (the most frequent
/// route's count).
async fn requests_per_route(emu: &Emulator) -> BTreeMap<String, usize> {
    // Start the window just after a poll so the window holds whole polls.
    emu.clear_journal();
    tokio::time::sleep(INTERVAL * WINDOW).await;
    let mut routes = BTreeMap::new();
    for e in emu.journal() {
        let route = e.path.rsplit('/').next().unwrap_or_default().to_string();
        *routes.entry(format!("{} {route}", e.method)).or_insert(0) += 1;
    }
    routes
}

fn print_routes(what: &str, routes: &BTreeMap<String, usize>) {
    let polls = routes.values().copied().max().unwrap_or(0);
    println!("(g) {what}: {polls} polls in {WINDOW} × {INTERVAL:?}; requests by route:");
    for (route, n) in routes {
        println!("      {route:<40} {n}");
    }
}

/// A hyper server answering every GET with `body` (the baseline of (e)), on its own runtime:
/// the same server code as `metrics serve` (hyper's HTTP/1 connection, a `String` body).
fn static_server(body: String) -> BenchResult<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build();
        let Ok(rt) = rt else { return };
        rt.block_on(async move {
            let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                return;
            };
            while let Ok((stream, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |_req| {
                        let body = body.clone();
                        async move { Ok::<_, Infallible>(hyper::Response::new(body)) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    Ok(addr)
}

async fn get(client: &reqwest::Client, url: &str) -> BenchResult<usize> {
    let r = client
        .get(url)
        .header(reqwest::header::ACCEPT, PROMETHEUS_ACCEPT)
        .send()
        .await?
        .error_for_status()?;
    Ok(r.bytes().await?.len())
}

#[tokio::main]
async fn main() -> BenchResult<()> {
    let full = std::env::args().any(|a| a == "--bench");
    let runs: usize = match std::env::var("RSSPOT_BENCH_RUNS") {
        Ok(v) => v.parse()?,
        Err(_) if full => 2_000,
        Err(_) => 100,
    };
    let emu = Emulator::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await?;
    // RSSPOT_BENCH_POOLS: fewer pools for a smoke run in the dev profile, where the emulator's
    // per-request bookkeeping (linear in the objects it holds) makes seeding 1,000 take minutes.
    let pools: usize = match std::env::var("RSSPOT_BENCH_POOLS") {
        Ok(v) => v.parse()?,
        Err(_) => POOLS,
    };
    let t = Instant::now();
    seed(&emu, pools).await?;
    println!(
        "seeded {pools} pools ({} on-demand) in {} cloudspaces in {:.1} s",
        pools.div_ceil(ON_DEMAND_EVERY),
        CLOUDSPACES.len(),
        t.elapsed().as_secs_f64()
    );
    let interval = format!("{}s", INTERVAL.as_secs());

    // metrics serve
    let home = tempfile::tempdir()?;
    let serve = Running::start(
        &emu,
        home.path(),
        &[
            "metrics",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            &interval,
        ],
    )?;
    let line = serve.line_with("http://")?;
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .ok_or("no address")?
        .to_string();
    let url = format!("http://{addr}/metrics");
    // reqwest is built without a crypto provider of its own.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build()?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let text = loop {
        let text = client
            .get(&url)
            .header(reqwest::header::ACCEPT, PROMETHEUS_ACCEPT)
            .send()
            .await?
            .text()
            .await?;
        if text.matches("rsspot_pool_desired_nodes{").count() >= pools {
            break text;
        }
        if Instant::now() > deadline {
            return Err("metrics serve never showed every pool".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let routes = requests_per_route(&emu).await;

    let baseline = static_server(text.clone())?;
    let base_url = format!("http://{baseline}/metrics");
    for _ in 0..50 {
        get(&client, &url).await?;
        get(&client, &base_url).await?;
    }
    let (mut scrape, mut base) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        get(&client, &url).await?;
        scrape.push(t.elapsed());
        let t = Instant::now();
        get(&client, &base_url).await?;
        base.push(t.elapsed());
    }
    scrape.sort();
    base.sort();
    let serve_rss = serve.peak_rss()?;
    drop(serve);

    println!(
        "(e) scrape of /metrics, {} bytes, {runs} scrapes: p50 {} p99 {} | baseline (static \
         body, same size): p50 {} p99 {} | ratio p50 {:.2}× p99 {:.2}× | goal p99 ≤ 5 ms: {}",
        text.len(),
        ms(quantile(&scrape, 0.5)),
        ms(quantile(&scrape, 0.99)),
        ms(quantile(&base, 0.5)),
        ms(quantile(&base, 0.99)),
        quantile(&scrape, 0.5).as_secs_f64() / quantile(&base, 0.5).as_secs_f64(),
        quantile(&scrape, 0.99).as_secs_f64() / quantile(&base, 0.99).as_secs_f64(),
        if quantile(&scrape, 0.99) <= Duration::from_millis(5) {
            "met"
        } else {
            "MISSED"
        }
    );
    print_routes("metrics serve", &routes);

    // events watch: a baseline, then changes every interval (pre-emptions) to diff and deliver.
    let home = tempfile::tempdir()?;
    let watch = Running::start(
        &emu,
        home.path(),
        &["events", "watch", "--interval", &interval],
    )?;
    watch.line_with("baseline")?;
    let routes = requests_per_route(&emu).await;
    let spot = rsspot::SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .cache(false)
        .build()
        .await?
        .spot_pools()
        .list()
        .await?;
    for pool in spot.iter().take(WINDOW as usize * 20) {
        use rsspot::ResourceExt;
        emu.preempt_nodes(pool.name(), 1);
        tokio::time::sleep(INTERVAL / 20).await;
    }
    tokio::time::sleep(INTERVAL * 2).await;
    let watch_rss = watch.peak_rss()?;
    drop(watch);
    let verdict = |b: u64| {
        if b as f64 <= 30.0 * MIB {
            "met"
        } else {
            "MISSED"
        }
    };
    println!(
        "(f) peak RSS (VmHWM) after ≥ {WINDOW} intervals with {pools} pools: metrics serve \
         {:.1} MiB ({}), events watch {:.1} MiB ({}); goal ≤ 30 MiB each",
        serve_rss as f64 / MIB,
        verdict(serve_rss),
        watch_rss as f64 / MIB,
        verdict(watch_rss),
    );
    print_routes("events watch", &routes);
    Ok(())
}
