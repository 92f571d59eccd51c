//! Waiting for an object to reach a state: poll with backoff up to a timeout, report each change.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// What a waiter reports on every observed change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitEvent {
    /// What is waited for, e.g. `cloudspace "demo"`.
    pub what: String,
    /// Current phase / bid status.
    pub phase: String,
    /// Extra detail: reason, `won 1/3`, ...
    pub detail: String,
    /// Time since the wait started.
    pub elapsed: Duration,
}

/// Progress callback type.
pub type Progress = Arc<dyn Fn(&WaitEvent) + Send + Sync>;

/// How to wait.
#[derive(Clone)]
pub struct WaitOptions {
    /// Give up after this long.
    pub timeout: Duration,
    /// First poll interval; it grows ×1.5 up to `max_interval`.
    pub interval: Duration,
    /// Upper bound of the poll interval.
    pub max_interval: Duration,
    /// How long an `Error` phase is tolerated before it counts (the service reports transient
    /// errors while provisioning).
    pub error_grace: Duration,
    /// Called on every change of phase/detail.
    pub progress: Option<Progress>,
}

impl std::fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl WaitOptions {
    /// Defaults with the given timeout (polls every 2 s growing to 15 s; 2-minute error grace).
    pub fn with_timeout(timeout: Duration) -> Self {
        WaitOptions {
            timeout,
            interval: Duration::from_secs(2),
            max_interval: Duration::from_secs(15),
            error_grace: Duration::from_secs(120),
            progress: None,
        }
    }

    /// Sets the poll interval (and its cap to the same value).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self.max_interval = self.max_interval.max(interval);
        self
    }

    /// Sets the progress callback.
    pub fn on_progress(mut self, f: impl Fn(&WaitEvent) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(f));
        self
    }
}

/// What one poll of a wait concluded: [`Kind::readiness`](crate::resource::Kind::readiness).
pub enum Readiness<T> {
    /// Done.
    Ready(T),
    /// Keep waiting; `(phase, detail)`.
    Pending(String, String),
    /// The object is in an error phase; `(phase, detail)`.
    Errored(String, String),
    /// It will not get there.
    Failed(String),
}

impl<T> Readiness<T> {
    /// `Ready(value)` when `done`, else `Pending(phase, progress)`.
    pub fn ready_when(done: bool, value: T, phase: String, progress: String) -> Self {
        if done {
            Readiness::Ready(value)
        } else {
            Readiness::Pending(phase, progress)
        }
    }
}

/// Polls `check` until it says Ready, fails, or the timeout passes. `check` reads through its
/// own uncached copy of `client`: each poll must see the server's state, not the cache's.
pub(crate) async fn poll_uncached<T, F, Fut>(
    client: &crate::SpotClient,
    what: &str,
    done: &str,
    opts: &WaitOptions,
    mut check: F,
) -> Result<T>
where
    F: FnMut(crate::SpotClient) -> Fut,
    Fut: std::future::Future<Output = Result<Readiness<T>>>,
{
    let client = client.without_cache();
    let start = Instant::now();
    let mut interval = opts.interval;
    let mut last: Option<(String, String)> = None;
    let mut errors_in_a_row = 0;
    loop {
        let elapsed = start.elapsed();
        let report = |phase: &str, detail: &str, last: &mut Option<(String, String)>| {
            let now = (phase.to_string(), detail.to_string());
            if last.as_ref() != Some(&now) {
                if let Some(p) = &opts.progress {
                    p(&WaitEvent {
                        what: what.to_string(),
                        phase: now.0.clone(),
                        detail: now.1.clone(),
                        elapsed,
                    });
                }
                *last = Some(now);
            }
        };
        // The timeout is a hard deadline: a poll that hangs (a server that accepts and never
        // answers) is cut off at it, not at the request timeout.
        let left = opts.timeout.saturating_sub(start.elapsed());
        let polled = match tokio::time::timeout(left, check(client.clone())).await {
            Ok(polled) => polled,
            Err(_) => {
                return Err(Error::Timeout {
                    what: what.to_string(),
                    elapsed: start.elapsed(),
                    last_seen: last
                        .map(|(p, d)| if d.is_empty() { p } else { format!("{p}: {d}") })
                        .or_else(|| Some("no answer from the server".into())),
                });
            }
        };
        match polled? {
            Readiness::Ready(v) => {
                report(done, "", &mut last);
                return Ok(v);
            }
            Readiness::Pending(phase, detail) => {
                errors_in_a_row = 0;
                report(&phase, &detail, &mut last);
            }
            Readiness::Errored(phase, detail) => {
                report(&phase, &detail, &mut last);
                if elapsed >= opts.error_grace {
                    errors_in_a_row += 1;
                    if errors_in_a_row >= 3 {
                        return Err(Error::Failed {
                            what: what.to_string(),
                            message: format!("phase {phase}: {detail}"),
                        });
                    }
                }
            }
            Readiness::Failed(message) => {
                return Err(Error::Failed {
                    what: what.to_string(),
                    message,
                });
            }
        }
        let elapsed = start.elapsed();
        if elapsed >= opts.timeout {
            return Err(Error::Timeout {
                what: what.to_string(),
                elapsed,
                last_seen: last.map(|(p, d)| if d.is_empty() { p } else { format!("{p}: {d}") }),
            });
        }
        tokio::time::sleep(interval.min(opts.timeout - elapsed)).await;
        interval = interval.mul_f64(1.5).min(opts.max_interval);
    }
}
