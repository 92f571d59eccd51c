//! The request pipeline: the one path every request rsspot sends takes, as named stages behind
//! progenitor's `ClientHooks`. The stages are composed, in order, in [`pipeline`]; each is a
//! function of explicit inputs and outputs there or in its own module:
//!
//! ```text
//! generated builder ─► exec hook ─► check (operation known, path fits its template)
//!                                  ─► plan (a list is followed to its end: paging)
//!                                  ─► route (host of the operation, merge-patch type)
//!                                  ─► cache (lookup; a hit ends here)
//!                                  ─► auth (bearer; a 401 refreshes once, replays once)
//!                                  ─► retry (classifier, Retry-After, deadline) ─► send
//!                                      (3xx to another origin: refused)
//!                                  ─► create resolution (409 after an ambiguous attempt)
//!                                  ─► limits (bounded body) ─► cache store / invalidate
//! caller (services::call) ◄─ classify (errors: answers and failures → crate::Error)
//! ```
//!
//! The token exchange ([`auth`]), create resolution and the `api` escape hatch ([`escape`]) use
//! the same retry engine ([`retry::run`]). Errors raised here travel to the caller as typed
//! values inside the hook's error ([`failure`]).

pub(crate) mod auth;
pub(crate) mod cache;
pub(crate) mod create_resolution;
pub(crate) mod delete;
pub(crate) mod errors;
pub(crate) mod escape;
pub(crate) mod failure;
pub(crate) mod limits;
#[cfg(feature = "cli")]
pub(crate) mod outbound;
pub(crate) mod paging;
pub mod paths;
pub(crate) mod pipeline;
pub(crate) mod retry;
pub(crate) mod route;
pub(crate) mod span;
pub(crate) mod user_agent;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use progenitor_client::{ClientHooks, OperationInfo};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::error::Error;
use crate::raw;
use crate::state::StateStore;

use self::auth::TokenManager;
use self::cache::CachePolicy;
use self::failure::strip_query;
use self::retry::{Idempotency, Outcome, RetryConfig};
use self::route::Hosts;

/// Request counters of a client (shared by its clones), for tests, benchmarks and `-v` output.
#[derive(Debug, Default)]
pub struct Stats {
    sent: AtomicU64,
    retries: AtomicU64,
    cache_hits: AtomicU64,
    resolved_creates: AtomicU64,
}

impl Stats {
    /// HTTP requests put on the wire (retries, replays and token exchanges included).
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }
    /// Retries made after a failure.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
    /// Answers served from the HTTP cache.
    pub fn cache_hits(&self) -> u64 {
        self.cache_hits.load(Ordering::Relaxed)
    }
    /// Creates resolved to an existing object after an ambiguous failure.
    pub fn resolved_creates(&self) -> u64 {
        self.resolved_creates.load(Ordering::Relaxed)
    }
    pub(crate) fn add_sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_cache_hit(&self) {
        self.cache_hits.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn add_resolved_create(&self) {
        self.resolved_creates.fetch_add(1, Ordering::Relaxed);
    }
}

/// Everything the stages share between clones of a client.
pub(crate) struct Pipeline {
    pub hosts: Hosts,
    pub profile: String,
    pub auth: Arc<TokenManager>,
    pub state: Option<StateStore>,
    pub retry: RetryConfig,
    /// Bound on one call, all its attempts (and pages) included.
    pub request_timeout: Duration,
    pub cache: CachePolicy,
    pub stats: Arc<Stats>,
}

/// The state the generated client carries (progenitor's `inner` type). Cheap to clone.
#[doc(hidden)]
#[derive(Clone)]
pub struct Inner {
    pub(crate) pipeline: Arc<Pipeline>,
    pub(crate) bypass_cache: bool,
    /// Writes carry `dryRun=All` (`SpotClient::server_dry_run`).
    pub(crate) server_dry_run: bool,
    /// A hard deadline over everything this client does (`SpotClient::with_deadline`); during a
    /// call, the call's own deadline.
    pub(crate) deadline: Option<Instant>,
    /// During a call whose span is recorded, what the call did so far ([`span`]).
    pub(crate) tally: Option<Arc<span::Tally>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("api_url", &self.pipeline.hosts.base(raw::HostKind::Api))
            .field("profile", &self.pipeline.profile)
            .field("bypass_cache", &self.bypass_cache)
            .finish_non_exhaustive()
    }
}

impl ClientHooks<Inner> for raw::Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        use progenitor_client::ClientInfo;
        let inner: &Inner = self.inner();
        // Boxed once here: the pipeline is a large state machine, and every generated call and
        // service method would otherwise carry it inline.
        match Box::pin(inner.execute(self.client(), request, info.operation_id)).await {
            Ok(resp) => Ok(resp),
            // The typed error rides in the hook's own error type (see [`failure`]).
            Err(e) => Err(failure::into_reqwest(e).await),
        }
    }
}

/// The HTTP client every request goes out through: timeouts, the redirect rule, TLS, user agent
/// (see [`user_agent`]).
pub(crate) fn http_client(
    timeout: Duration,
    connect_timeout: Duration,
    verify_ssl: bool,
    user_agent: &str,
) -> Result<reqwest::Client, Error> {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(connect_timeout.min(timeout))
        .redirect(route::redirect_policy())
        .user_agent(user_agent)
        .pool_idle_timeout(Duration::from_secs(30));
    let http = if verify_ssl {
        // Same verification as reqwest's default, but the system's roots are read on the first
        // handshake instead of here (a cached or plain-HTTP run never needs them).
        http.tls_backend_preconfigured(crate::tls::client_config()?)
    } else {
        http.tls_backend_preconfigured(crate::tls::insecure_client_config()?)
    };
    http.build()
        .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
}

/// Where one dispatch goes and how it may be retried.
pub(crate) struct Dispatch<'a> {
    pub http: &'a reqwest::Client,
    pub retry: &'a RetryConfig,
    pub stats: &'a Stats,
    pub idem: Idempotency,
    pub deadline: Option<Instant>,
    /// The HTTP client's own timeout of one attempt, when it has one (see [`retry::run`]).
    pub attempt_timeout: Option<Duration>,
    /// Names the request in log lines (no query, no secret).
    pub what: &'a str,
    /// Counts the attempts into the call's span, when it is recorded.
    pub tally: Option<&'a span::Tally>,
}

impl Dispatch<'_> {
    /// Sends `request` through the retry engine, with `bearer` on every attempt. Answers every
    /// HTTP answer as it came (except a cross-origin redirect, which is an error), and whether an
    /// earlier attempt may have been carried out unseen.
    pub(crate) async fn send(
        &self,
        request: &reqwest::Request,
        bearer: Option<&HeaderValue>,
    ) -> Result<(reqwest::Response, bool), Error> {
        let started = Instant::now();
        if request.body().is_some_and(|b| b.as_bytes().is_none()) {
            return Err(Error::invalid(
                "body",
                "a streamed request body cannot be replayed",
            ));
        }
        let sent = retry::run(
            self.retry,
            self.idem,
            (self.deadline, self.attempt_timeout),
            self.what,
            self.stats,
            |_| {
                // Cannot fail: the body is in memory (checked above).
                let mut req = request.try_clone().unwrap_or_else(|| {
                    reqwest::Request::new(request.method().clone(), request.url().clone())
                });
                if let Some(value) = bearer {
                    req.headers_mut().insert(AUTHORIZATION, value.clone());
                }
                self.http.execute(req)
            },
        )
        .await;
        if let Some(tally) = self.tally {
            tally.add_run(sent.attempts);
        }
        match sent.outcome {
            Outcome::Answer(resp) if resp.status().is_redirection() => {
                Err(route::redirected(&resp))
            }
            Outcome::Answer(resp) => Ok((resp, sent.ambiguous)),
            Outcome::Failed(e) => Err(failure::transport(request.url().as_str(), e)),
            Outcome::TimedOut => Err(Error::DeadlineExceeded {
                url: strip_query(request.url().as_str()),
                after: self.deadline.map_or_else(
                    || started.elapsed(),
                    |d| d.saturating_duration_since(started),
                ),
            }),
        }
    }
}

/// `Authorization: Bearer …`, marked sensitive so no log or Debug shows it.
pub(crate) fn bearer_header(token: &SecretString) -> HeaderValue {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
        .unwrap_or_else(|_| HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}
