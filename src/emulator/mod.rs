//! An emulator of the Rackspace Spot public API, served over real HTTP on 127.0.0.1.
//!
//! One loopback port serves all three hosts of the real service (the OAuth token endpoint, the
//! Kubernetes-style `/apis/...` API and the public pricing documents). The emulator is stateful:
//! objects live in memory as JSON documents, get server-set metadata, are validated like the real
//! API validates them and move through their lifecycle on a clock the caller controls
//! ([`Emulator::advance`]). Tests can inject faults ([`Faults`]) and read a request journal.
//!
//! ```no_run
//! # async fn demo() -> rsspot::Result<()> {
//! use rsspot::emulator::Emulator;
//! let emu = Emulator::start().await?;
//! println!("point RSSPOT_BASE_URL at {}", emu.base_url());
//! emu.advance(std::time::Duration::from_secs(600)); // cloudspaces become Ready
//! # Ok(()) }
//! ```

mod faults;
mod jwt;
mod patch;
mod reply;
mod routes;
mod seed;
mod store;

use std::convert::Infallible;
use std::fmt;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use chrono::{DateTime, SubsecRound, Utc};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

pub use faults::{Faults, JournalEntry};
pub use jwt::CLIENT_ID;
pub use seed::{Seed, SeedOrg, VmInventory, namespace_for};

use crate::{Error, Result};
use faults::PreFault;
use reply::Reply;
use store::Store;

/// Durations of the simulated lifecycle, measured on the emulator's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifecycle {
    /// A new cloudspace goes from `Provisioning` to `Ready` after this long.
    pub cloudspace_ready_after: Duration,
    /// A pool is fulfilled this long after max(its creation, its cloudspace becoming Ready).
    pub pool_fulfilled_after: Duration,
    /// A deleted cloudspace stays `Deleting` this long, then disappears with its pools
    /// (zero: it disappears at once).
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
    /// Whether bids off the bid ladder are refused (the floor and format are always enforced).
    pub enforce_bid_ladder: bool,
    /// Largest page a list is answered with even when the client sends no `limit`, like a
    /// gateway that chunks; the rest follows through `metadata.continue`. `None` (default):
    /// lists are paged only on `?limit=`, as Kubernetes does.
    pub page_size: Option<usize>,
}

impl Default for EmulatorOptions {
    /// Built-in seed, any port, manual clock, 24 h tokens, [`Lifecycle::default`], ladder on.
    fn default() -> Self {
        EmulatorOptions {
            port: 0,
            seed: Seed::builtin(),
            token_lifetime: Duration::from_secs(86_400),
            lifecycle: Lifecycle::default(),
            clock: ClockMode::Manual,
            enforce_bid_ladder: true,
            page_size: None,
        }
    }
}

impl EmulatorOptions {
    /// Options for `rsspot emulator serve`: wall clock and [`Lifecycle::short`].
    pub fn for_serve() -> Self {
        EmulatorOptions {
            lifecycle: Lifecycle::short(),
            clock: ClockMode::Wall,
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
            .map_err(|e| Error::config(format!("emulator: cannot listen on {bind}: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::config(format!("emulator: no local address: {e}")))?;
        let clock = Clock::new(opts.clock);
        let store = Store::new(
            &opts.seed,
            opts.lifecycle,
            opts.enforce_bid_ladder,
            clock.now(),
        );
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
        });
        let router = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(accept_loop(listener, router));
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
/// line, then `export` lines pointing rsspot at it, and serves until Ctrl-C.
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
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Error::config(format!("emulator: cannot wait for Ctrl-C: {e}")))?;
    emu.shutdown().await;
    Ok(())
}

// ----- network layer --------------------------------------------------------------------------

/// Lets a request close its own connection without a response.
#[derive(Clone)]
struct ConnAbort(Arc<Notify>);

async fn accept_loop(listener: TcpListener, router: Router) {
    // Owning the connections here means aborting this task closes every connection too.
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    conns.spawn(serve_connection(stream, router.clone()));
                }
                Err(e) => {
                    tracing::warn!("emulator: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
}

async fn serve_connection(stream: TcpStream, router: Router) {
    let abort = Arc::new(Notify::new());
    let handle = ConnAbort(Arc::clone(&abort));
    let service =
        hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(handle.clone());
            router.clone().oneshot(req.map(Body::new))
        });
    let conn = http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        biased;
        () = abort.notified() => {}
        _ = conn => {}
    }
}

fn is_write(m: &http::Method) -> bool {
    matches!(
        *m,
        http::Method::POST | http::Method::PATCH | http::Method::PUT | http::Method::DELETE
    )
}

fn into_response(r: Reply) -> Response {
    let mut builder = Response::builder()
        .status(r.status)
        .header(http::header::CONTENT_TYPE, r.content_type);
    for (k, v) in r.headers {
        builder = builder.header(k, v);
    }
    builder.body(Body::from(r.body)).unwrap_or_else(|_| {
        let mut resp = Response::new(Body::from("emulator: bad response"));
        *resp.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
        resp
    })
}

fn fault_reply(status: u16, retry_after: Option<Duration>) -> Reply {
    let reason = match status {
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    };
    let secs = retry_after.map(|d| d.as_secs() + u64::from(d.subsec_nanos() > 0));
    let details = secs.map(|s| serde_json::json!({"retryAfterSeconds": s}));
    let r = reply::status(
        status,
        reason,
        &format!("injected fault: HTTP {status}"),
        details,
    );
    match secs {
        Some(s) => r.with_header("retry-after", s.to_string()),
        None => r,
    }
}

/// Closes the connection carrying this request; never returns when that is possible.
async fn close_connection(abort: Option<ConnAbort>) -> Response {
    if let Some(a) = abort {
        a.0.notify_one();
        // The connection task drops this future together with the connection.
        std::future::pending::<()>().await;
    }
    into_response(Reply::text(503, "connection closed"))
}

/// Admin path for out-of-process users (benchmarks, CLI tests): `GET` reads the request journal,
/// `DELETE` clears it. Never journaled and never faulted.
pub const JOURNAL_PATH: &str = "/_emulator/journal";

async fn handle(State(shared): State<Arc<Shared>>, req: Request) -> Result<Response, Infallible> {
    if req.uri().path() == JOURNAL_PATH {
        let reply = match *req.method() {
            axum::http::Method::GET => Reply::json(
                200,
                &serde_json::to_value(&*shared.journal()).unwrap_or_default(),
            ),
            axum::http::Method::DELETE => {
                shared.journal().clear();
                Reply::json(200, &serde_json::json!({"cleared": true}))
            }
            _ => Reply::text(405, "method not allowed"),
        };
        return Ok(into_response(reply));
    }
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let abort = req.extensions().get::<ConnAbort>().cloned();
    let (parts, body) = req.into_parts();
    let record = |status: u16, fault: Option<String>| {
        shared.journal().push(JournalEntry {
            method: parts.method.as_str().to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(String::from),
            status,
            at: shared.clock.now(),
            fault,
        });
    };
    match shared.faults.before_request() {
        Some(PreFault::Drop) => {
            record(0, Some("dropped connection".into()));
            return Ok(close_connection(abort).await);
        }
        Some(PreFault::Fail {
            status,
            retry_after,
        }) => {
            record(status, Some(format!("status {status}")));
            return Ok(into_response(fault_reply(status, retry_after)));
        }
        None => {}
    }
    let bytes = match axum::body::to_bytes(body, 16 * 1024 * 1024).await {
        Ok(b) => b,
        Err(e) => {
            let r = reply::bad_request(&format!("could not read the request body: {e}"));
            record(r.status, None);
            return Ok(into_response(r));
        }
    };
    let reply = {
        let ctx = routes::Ctx {
            seed: &shared.seed,
            secret: &shared.secret,
            base_url: &shared.base_url,
            now: shared.clock.now(),
            token_lifetime: shared.token_lifetime,
            page_size: shared.page_size,
        };
        let req = routes::Req {
            method: &parts.method,
            path: parts.uri.path(),
            query: parts.uri.query(),
            headers: &parts.headers,
            body: &bytes,
        };
        let mut store = shared.store();
        routes::route(&mut store, &ctx, &req)
    };
    if is_write(&parts.method) && shared.faults.lose_write_response() {
        record(reply.status, Some("lost response".into()));
        return Ok(close_connection(abort).await);
    }
    record(reply.status, None);
    Ok(into_response(reply))
}
