//! An emulator of the Rackspace Spot public API, served over real HTTP on 127.0.0.1.
//!
//! One loopback port serves all three hosts of the real service (the OAuth token endpoint, the
//! Kubernetes-style `/apis/...` API and the public pricing documents). The emulator is stateful:
//! objects live in memory as JSON documents, get server-set metadata, are validated like the real
//! API validates them and move through their lifecycle on a clock the caller controls
//! ([`Emulator::advance`]). Tests can inject faults ([`Faults`]) and read a request journal.
//!
//! Where the real service's behaviour is unknown, the emulator offers each possibility as a
//! variant ([`Variants`], table there): a client must work under every one of them.
//!
//! ```no_run
//! # async fn demo() -> rsspot_emulator::Result<()> {
//! use rsspot_emulator::Emulator;
//! let emu = Emulator::start().await?;
//! println!("point RSSPOT_BASE_URL at {}", emu.base_url());
//! emu.advance(std::time::Duration::from_secs(600)); // cloudspaces become Ready
//! # Ok(()) }
//! ```

mod bids;
mod cluster_api;
mod documents;
mod error;
mod faults;
mod fixtures;
mod ids;
mod inventory;
mod jwt;
mod oauth;
mod patch;
mod reply;
mod request;
mod routes;
mod seed;
mod server;
mod store;
mod variants;

use std::fmt;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use chrono::{DateTime, SubsecRound, Utc};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use faults::{Fault, Faults, JournalEntry};
pub use jwt::CLIENT_ID;
pub use seed::{Seed, SeedOrg, VmInventory, namespace_for};
pub use server::JOURNAL_PATH;
pub use variants::{
    AutopilotOwner, AutopilotPhases, BadRefreshToken, BidRules, CascadeDelete, DeleteReturns,
    DryRun, KubeconfigUnknown, LabelSelector, Paging, Phases, TokenRotation, VariantSetting,
    Variants, VmImage, VmOnDemandBid, WebhookDenial,
};

pub use error::{Error, Result};
use store::Store;

/// Durations of the simulated lifecycle, measured on the emulator's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// A new cloudspace goes from `Provisioning` to `Ready` after this long.
    pub cloudspace_ready_after: Duration,
    /// A pool is fulfilled this long after max(its creation, its cloudspace becoming Ready).
    pub pool_fulfilled_after: Duration,
    /// A deleted cloudspace stays `Deleting` this long, then disappears (zero, or the `basic`
    /// phases variant: it disappears at once). Its pools go with it only under
    /// `cascade-delete=yes`.
    pub delete_after: Duration,
    /// A `kubernetesVersion` change keeps the cloudspace `Upgrading` this long.
    pub upgrade_after: Duration,
}

impl Default for Lifecycle {
    /// Realistic-but-short simulated durations: ready after 2 min, pools after 1 min, deletion
    /// after 30 s, upgrades after 2 min.
    fn default() -> Self {
        Lifecycle {
            cloudspace_ready_after: Duration::from_secs(120),
            pool_fulfilled_after: Duration::from_secs(60),
            delete_after: Duration::from_secs(30),
            upgrade_after: Duration::from_secs(120),
        }
    }
}

impl Lifecycle {
    /// Everything happens at the next request (useful when tests cannot advance the clock).
    pub fn instant() -> Self {
        Lifecycle {
            cloudspace_ready_after: Duration::ZERO,
            pool_fulfilled_after: Duration::ZERO,
            delete_after: Duration::ZERO,
            upgrade_after: Duration::ZERO,
        }
    }

    /// The wall-clock lifecycle of `rsspot emulator serve`: ready after 5 s, pools after 3 s.
    pub fn short() -> Self {
        Lifecycle {
            cloudspace_ready_after: Duration::from_secs(5),
            pool_fulfilled_after: Duration::from_secs(3),
            delete_after: Duration::from_secs(2),
            upgrade_after: Duration::from_secs(5),
        }
    }
}

/// Which clock drives the lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockMode {
    /// Time stands still except for [`Emulator::advance`] (tests).
    #[default]
    Manual,
    /// Wall-clock time (plus any [`Emulator::advance`]) — for `rsspot emulator serve`.
    Wall,
}

/// How to start an emulator.
#[derive(Debug, Clone)]
pub struct EmulatorOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Organizations, market and inventory.
    pub seed: Seed,
    /// Lifetime of issued id tokens (`expires_in`, JWT `exp`).
    pub token_lifetime: Duration,
    /// Simulated lifecycle durations.
    pub lifecycle: Lifecycle,
    /// Manual (tests) or wall clock (serve).
    pub clock: ClockMode,
    /// Largest page a list is answered with even when the client sends no `limit`, like a
    /// gateway that chunks; the rest follows through `metadata.continue`. `None` (default):
    /// lists are paged only on `?limit=`, as Kubernetes does. Ignored under `paging=ignored`.
    pub page_size: Option<usize>,
    /// Answers to the open questions about the real service (bid rules included); see the
    /// table on [`Variants`].
    pub variants: Variants,
    /// Advertise each Ready cloudspace's `APIServerEndpoint` as the emulated cluster API on
    /// this port (`127.0.0.1:PORT/k8s/<namespace>/<cloudspace>`, TLS), so generated kubeconfigs
    /// work with a real kubectl. Off (default): a realistic but unreachable
    /// `hcp-….spot.rackspace.com` host; the cluster API answers under `/k8s/` either way.
    pub cluster_endpoints: bool,
}

impl Default for EmulatorOptions {
    /// Built-in seed, any port, manual clock, 24 h tokens, [`Lifecycle::default`], default
    /// [`Variants`].
    fn default() -> Self {
        EmulatorOptions {
            port: 0,
            seed: Seed::builtin(),
            token_lifetime: Duration::from_secs(86_400),
            lifecycle: Lifecycle::default(),
            clock: ClockMode::Manual,
            page_size: None,
            variants: Variants::default(),
            cluster_endpoints: false,
        }
    }
}

impl EmulatorOptions {
    /// Options for `rsspot emulator serve`: wall clock, [`Lifecycle::short`] and cluster API
    /// endpoints a real kubectl can reach.
    pub fn for_serve() -> Self {
        EmulatorOptions {
            lifecycle: Lifecycle::short(),
            clock: ClockMode::Wall,
            cluster_endpoints: true,
            ..EmulatorOptions::default()
        }
    }
}

/// The emulator's clock: an origin plus an offset moved by `advance`.
#[derive(Debug)]
struct Clock {
    mode: ClockMode,
    origin: DateTime<Utc>,
    started: Instant,
    offset_ms: AtomicI64,
}

impl Clock {
    fn new(mode: ClockMode) -> Clock {
        Clock {
            mode,
            // Start at the real time so token expiry looks sane to clients using the wall clock.
            origin: Utc::now().trunc_subsecs(0),
            started: Instant::now(),
            offset_ms: AtomicI64::new(0),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::milliseconds(self.offset_ms.load(Ordering::SeqCst));
        let elapsed = match self.mode {
            ClockMode::Manual => chrono::Duration::zero(),
            ClockMode::Wall => {
                chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
            }
        };
        self.origin + elapsed + offset
    }

    fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 4);
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
    }
}

/// State shared by the server tasks and the [`Emulator`] handle.
struct Shared {
    store: Mutex<Store>,
    faults: Faults,
    journal: Mutex<Vec<JournalEntry>>,
    clock: Clock,
    seed: Seed,
    secret: [u8; 32],
    base_url: String,
    token_lifetime: Duration,
    page_size: Option<usize>,
    variants: Variants,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn journal(&self) -> MutexGuard<'_, Vec<JournalEntry>> {
        self.journal.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: Option<JoinHandle<()>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Emulator {
    /// Starts an emulator with [`EmulatorOptions::default`].
    pub async fn start() -> Result<Emulator> {
        Emulator::start_with(EmulatorOptions::default()).await
    }

    /// Starts an emulator on 127.0.0.1.
    pub async fn start_with(opts: EmulatorOptions) -> Result<Emulator> {
        let bind = SocketAddr::from((Ipv4Addr::LOCALHOST, opts.port));
        let listener = TcpListener::bind(bind)
            .await
            .map_err(|source| Error::Listen { addr: bind, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| Error::Listen { addr: bind, source })?;
        let clock = Clock::new(opts.clock);
        let mut store = Store::new(&opts.seed, opts.lifecycle, opts.variants, clock.now());
        if opts.cluster_endpoints {
            store.cluster_authority = Some(addr.to_string());
        }
        let tls = cluster_api::tls_acceptor()?;
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            faults: Faults::default(),
            journal: Mutex::new(Vec::new()),
            clock,
            seed: opts.seed,
            secret: rand::random(),
            base_url: format!("http://{addr}"),
            token_lifetime: opts.token_lifetime,
            page_size: opts.page_size,
            variants: opts.variants,
        });
        let router = Router::new()
            .fallback(server::handle)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(server::accept_loop(listener, router, tls));
        Ok(Emulator {
            shared,
            addr,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash; use it for all three base URLs.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Moves the simulated clock forward (also with the wall clock).
    pub fn advance(&self, d: Duration) {
        self.shared.clock.advance(d);
    }

    /// The emulator's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.clock.now()
    }

    /// Fault injection switches.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Every request seen so far, oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.shared.journal().clone()
    }

    /// Forgets the journal.
    pub fn clear_journal(&self) {
        self.shared.journal().clear();
    }

    /// How many journal entries have `method` (case-insensitive; `""` or `"*"` for any) and a
    /// path starting with `path_prefix`.
    pub fn count(&self, method: &str, path_prefix: &str) -> usize {
        let any = method.is_empty() || method == "*";
        self.shared
            .journal()
            .iter()
            .filter(|e| any || e.method.eq_ignore_ascii_case(method))
            .filter(|e| e.path.starts_with(path_prefix))
            .count()
    }

    /// Makes a refresh token unusable from now on (token exchange answers `invalid_grant`).
    pub fn revoke_refresh_token(&self, token: &str) {
        self.shared.store().revoked.insert(token.to_string());
    }

    /// Moves a server class's market price (e.g. `"0.400000"`), as an auction would. Spot pools
    /// bidding below it become `Lost` at the next request. False when the class does not exist.
    pub fn set_market_price(&self, server_class: &str, price: &str) -> bool {
        self.shared.store().set_market_price(server_class, price)
    }

    /// Preempts `nodes` won nodes of spot node pool `pool` (of any seeded org), as the auction
    /// would: from the next request its `wonCount` is that much lower (until its spec changes),
    /// and an autopilot pool owning it puts the class into cooldown and re-packs. False when
    /// there is no such spot pool.
    pub fn preempt_nodes(&self, pool: &str, nodes: i64) -> bool {
        let now = self.now();
        let mut store = self.shared.store();
        store.tick(now);
        self.shared
            .seed
            .orgs
            .iter()
            .any(|o| store.preempt(&o.namespace(), pool, nodes))
    }

    /// Makes server class `class` fail with `reason` (no capacity): its spot pools win nothing
    /// (`Lost`), its VMs show as failed servers with `reason` as their `error`, and autopilot
    /// pools put it into cooldown. False when the class does not exist.
    pub fn fail_server_class(&self, class: &str, reason: &str) -> bool {
        self.shared.store().set_class_failing(class, Some(reason))
    }

    /// Undoes [`Emulator::fail_server_class`]. False when the class does not exist.
    pub fn restore_server_class(&self, class: &str) -> bool {
        self.shared.store().set_class_failing(class, None)
    }

    /// The variants this emulator runs with.
    pub fn variants(&self) -> Variants {
        self.shared.variants
    }

    /// Puts cloudspace `name` (of any seeded org) into the `Error` phase with `reason` (under
    /// `phases=basic` only its `health` turns `Unhealthy`). False when there is no such cloudspace.
    pub fn break_cloudspace(&self, name: &str, reason: &str) -> bool {
        let now = self.now();
        let mut store = self.shared.store();
        store.tick(now);
        self.shared
            .seed
            .orgs
            .iter()
            .any(|o| store.break_cloudspace(&o.namespace(), name, reason))
    }

    /// The seed the emulator started from.
    pub fn seed(&self) -> &Seed {
        &self.shared.seed
    }

    /// All namespaced objects as `{namespace: {plural: {name: object}}}`, after applying the
    /// lifecycle up to [`Emulator::now`].
    pub fn snapshot(&self) -> serde_json::Value {
        let now = self.now();
        let mut store = self.shared.store();
        store.tick(now);
        store.snapshot()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            // A cancelled task is the expected outcome.
            let _ = task.await;
        }
    }
}

/// Runs an emulator for `rsspot emulator serve`: prints the base URL alone as the first stdout
/// line, then `export` lines pointing rsspot at it, and serves until Ctrl-C. Variants that
/// differ from the defaults are named on stderr.
pub async fn serve(opts: EmulatorOptions) -> Result<()> {
    let emu = Emulator::start_with(opts).await?;
    let url = emu.base_url();
    let org = emu
        .seed()
        .orgs
        .iter()
        .find(|o| o.name == "demo")
        .or_else(|| emu.seed().orgs.first());
    {
        let mut out = std::io::stdout().lock();
        // A closed stdout must not stop the server: the URL may already have been read.
        let _ = writeln!(out, "{url}");
        for (k, v) in [
            ("RSSPOT_BASE_URL", url.as_str()),
            ("RSSPOT_OAUTH_URL", url.as_str()),
            ("RSSPOT_PUBLIC_DATA_URL", url.as_str()),
        ] {
            let _ = writeln!(out, "export {k}={v}");
        }
        if let Some(org) = org {
            let _ = writeln!(out, "export RSSPOT_REFRESH_TOKEN={}", org.refresh_token);
            let _ = writeln!(out, "export RSSPOT_ORG={}", org.name);
        }
        let _ = out.flush();
    }
    let changed: Vec<String> = emu
        .variants()
        .settings()
        .into_iter()
        .zip(Variants::default().settings())
        .filter(|(v, d)| v != d)
        .map(|(v, _)| v.to_string())
        .collect();
    if !changed.is_empty() {
        eprintln!("emulator variants: {}", changed.join(" "));
    }
    tokio::signal::ctrl_c()
        .await
        .map_err(|source| Error::Signal { source })?;
    emu.shutdown().await;
    Ok(())
}
