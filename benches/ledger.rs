//! Registration ledger benchmarks, sqlite vs PostgreSQL (issue 18), at SDK level
//! (`harness = false`).
//!
//! `cargo bench --bench ledger` prints a markdown table: `discover` of 10,000 VMs, then claims
//! per second and p50/p99 claim latency at 1, 8 and 32 concurrent claimers, with batches of 1
//! and of 50, on each backend, and checks that no VM was handed to two claimers. PostgreSQL is
//! the server `RSSPOT_TEST_PG_URL` names (`source .ci/postgres.sh && pg_start` starts one); each
//! scenario gets a fresh database.
//!
//! `RSSPOT_BENCH_SINGLE_CLAIMS` overrides how many single claims a scenario times (default 3000).

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsspot::state::ledger::LedgerStore;
use rsspot::workflows::{RegistrationCandidate, RegistrationWorkflow};
use secrecy::SecretString;
use sqlx::Connection as _;

const VMS: usize = 10_000;
const CONCURRENCY: [usize; 3] = [1, 8, 32];
const BATCHES: [u32; 2] = [1, 50];

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

#[derive(Clone, Copy, PartialEq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A fresh, empty ledger; the temp dir keeps a sqlite file alive.
async fn fresh(
    backend: Backend,
    connections: u32,
) -> BenchResult<(LedgerStore, Option<tempfile::TempDir>)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir()?;
            let store = LedgerStore::open(&dir.path().join("ledger.db")).await?;
            Ok((store, Some(dir)))
        }
        Backend::Postgres => {
            let server = std::env::var("RSSPOT_TEST_PG_URL").map_err(|_| {
                "RSSPOT_TEST_PG_URL is not set: start a server with `source .ci/postgres.sh && \
                 pg_start` and run the bench in that shell"
            })?;
            let name = format!("rsspot_bench_{}", uuid::Uuid::new_v4().simple());
            let mut conn = sqlx::PgConnection::connect(&server).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await?;
            conn.close().await?;
            let (base, _) = server
                .rsplit_once('/')
                .ok_or("RSSPOT_TEST_PG_URL has no database")?;
            let url = SecretString::from(format!("{base}/{name}"));
            Ok((LedgerStore::connect_with(&url, connections).await?, None))
        }
    }
}

fn inventory() -> Vec<RegistrationCandidate> {
    (0..VMS)
        .map(|i| {
            RegistrationCandidate::new(
                format!("vm-{i:05}"),
                None,
                Some("org-bench".into()),
                Some("vms-bench".into()),
                Some("pool".into()),
                Some("omni".into()),
            )
        })
        .collect()
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

struct Outcome {
    claims: usize,
    vms: usize,
    wall: Duration,
    latencies: Vec<Duration>,
}

/// `claimers` tasks claim `batch` at a time until `budget` claims are made (or nothing is
/// left); panics when a VM is handed out twice.
async fn claim_run(
    wf: RegistrationWorkflow,
    claimers: usize,
    batch: u32,
    budget: usize,
) -> BenchResult<Outcome> {
    let seen: Arc<Mutex<HashSet<String>>> = Arc::default();
    let left = Arc::new(std::sync::atomic::AtomicIsize::new(budget as isize));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..claimers {
        let wf = wf.clone();
        let seen = seen.clone();
        let left = left.clone();
        tasks.push(tokio::spawn(async move {
            let owner = format!("claimer-{c}");
            let mut lat = Vec::new();
            while left.fetch_sub(1, std::sync::atomic::Ordering::SeqCst) > 0 {
                let t = Instant::now();
                let got = wf.claim(batch, Duration::from_secs(3600), &owner).await?;
                lat.push(t.elapsed());
                if got.items.is_empty() {
                    break;
                }
                let mut s = seen.lock().map_err(|_| "poisoned")?;
                for rec in got.items {
                    if !s.insert(rec.registration_key.clone()) {
                        return Err(format!("{} handed out twice", rec.registration_key).into());
                    }
                }
            }
            Ok::<_, Box<dyn std::error::Error + Send + Sync>>(lat)
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await??);
    }
    let wall = start.elapsed();
    latencies.sort();
    let vms = seen.lock().map_err(|_| "poisoned")?.len();
    Ok(Outcome {
        claims: latencies.len(),
        vms,
        wall,
        latencies,
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 4)]
async fn main() -> BenchResult<()> {
    let quick = !std::env::args().any(|a| a == "--bench");
    let singles: usize = std::env::var("RSSPOT_BENCH_SINGLE_CLAIMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if quick { 100 } else { 3000 });
    let cs = inventory();
    println!("| backend | scenario | claims | VMs | claims/s | VMs/s | p50 ms | p99 ms |");
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let (store, _dir) = fresh(backend, 4).await?;
        let t = Instant::now();
        let report = RegistrationWorkflow::new(store.clone())
            .discover(&cs, "bench")
            .await?;
        let took = t.elapsed();
        assert_eq!(report.new.len(), VMS);
        println!(
            "| {} | discover {VMS} VMs (one call) | - | {VMS} | - | {:.0} | {} | - |",
            backend.name(),
            VMS as f64 / took.as_secs_f64(),
            ms(took)
        );
        store.close().await;
        for batch in BATCHES {
            for claimers in CONCURRENCY {
                let (store, _dir) = fresh(backend, claimers as u32).await?;
                let wf = RegistrationWorkflow::new(store.clone());
                wf.discover(&cs, "bench").await?;
                let budget = if batch == 1 {
                    singles
                } else {
                    VMS / batch as usize
                };
                let out = claim_run(wf, claimers, batch, budget).await?;
                let secs = out.wall.as_secs_f64();
                println!(
                    "| {} | {claimers} claimer(s), batch {batch} | {} | {} | {:.0} | {:.0} | {} | {} |",
                    backend.name(),
                    out.claims,
                    out.vms,
                    out.claims as f64 / secs,
                    out.vms as f64 / secs,
                    ms(pct(&out.latencies, 0.50)),
                    ms(pct(&out.latencies, 0.99)),
                );
                store.close().await;
            }
        }
    }
    println!("\nNo VM was handed to two claimers in any scenario.");
    Ok(())
}
