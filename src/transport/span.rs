//! The call span: one `tracing` span per call (target `rsspot::transport::span`, name
//! `spot_call`), opened when the call starts and filled in when it ends, so a subscriber sees
//! what each call cost without parsing log lines.
//!
//! Fields, all free of secrets and query strings:
//! - `op`: the operation id (`list_cloud_spaces`; `api_read`/`api_write` for the escape hatch);
//! - `method`, and `path`: the operation's path *template* (never the filled-in URL);
//! - `status`: the HTTP status the caller gets (absent when the call failed without one);
//! - `attempts`: requests put on the wire for this call (every page, retry, 401 replay and the
//!   read before a DELETE; token exchanges are not counted), and `retries` among them;
//! - `cache_hit`: whether an answer came from the HTTP cache;
//! - `duration_ms`: wall time of the whole call;
//! - `error`: the error's sentence, when the call failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Instant;

use tracing::Span;
use tracing::field::Empty;

use crate::error::Error;

/// What one call did, counted by the stages while it runs.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    attempts: AtomicU32,
    retries: AtomicU32,
    cache_hit: AtomicBool,
}

impl Tally {
    /// Counts `attempts` requests sent by one run of the retry engine (all but the first were
    /// retries).
    pub(crate) fn add_run(&self, attempts: u32) {
        self.attempts.fetch_add(attempts, Ordering::Relaxed);
        self.retries
            .fetch_add(attempts.saturating_sub(1), Ordering::Relaxed);
    }

    /// Notes an answer served from the cache.
    pub(crate) fn add_cache_hit(&self) {
        self.cache_hit.store(true, Ordering::Relaxed);
    }
}

/// The span of one call, with its counters.
pub(crate) struct CallSpan {
    pub span: Span,
    /// `None` when no subscriber wants the span: then nothing is counted.
    pub tally: Option<Arc<Tally>>,
    started: Instant,
}

impl CallSpan {
    /// Opens the span of a call of `op_id` (`method` on the template `path`).
    pub(crate) fn open(op_id: &str, method: &str, path: &str) -> Self {
        let span = tracing::info_span!(
            "spot_call",
            op = op_id,
            method,
            path,
            status = Empty,
            attempts = Empty,
            retries = Empty,
            cache_hit = Empty,
            duration_ms = Empty,
            error = Empty,
        );
        CallSpan {
            tally: (!span.is_disabled()).then(Arc::default),
            span,
            started: Instant::now(),
        }
    }

    /// Records how the call ended: `status` of its answer, or `error`.
    pub(crate) fn close(&self, status: Option<u16>, error: Option<&Error>) {
        let span = &self.span;
        let Some(t) = &self.tally else { return };
        if let Some(status) = status {
            span.record("status", status);
        }
        if let Some(e) = error {
            // Errors name URLs without their query and never carry a secret.
            span.record("error", tracing::field::display(e));
        }
        span.record("attempts", t.attempts.load(Ordering::Relaxed));
        span.record("retries", t.retries.load(Ordering::Relaxed));
        span.record("cache_hit", t.cache_hit.load(Ordering::Relaxed));
        span.record(
            "duration_ms",
            u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        );
    }
}
