//! The one retry engine: which failures are retried (an idempotency classifier), how long to wait
//! (exponential backoff with jitter, or the server's `Retry-After`), and when to stop (attempt
//! count and a hard deadline over all attempts). Every request rsspot sends goes through
//! [`run`]: generated operations, pages of a list, create resolution, the token exchange and the
//! `api` escape hatch.

use std::future::Future;
use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use tokio::time::Instant;

pub use crate::config::RetryConfig;

/// `Retry-After` is honoured up to this bound, so a misbehaving server cannot stall us for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// A wait longer than this is announced on stderr (through `tracing` at warn level).
const ANNOUNCE_WAIT: Duration = Duration::from_secs(1);

/// The engine's reading of the policy (the type itself is the config's, so the file, the
/// builder and the engine share one set of fields and defaults).
impl RetryConfig {
    /// Whether `status` is in the retried set.
    pub(crate) fn retries_status(&self, status: u16) -> bool {
        self.retry_statuses.contains(&status)
    }

    /// Delay before retry number `attempt` (1 = after the first failure). A server-given
    /// `Retry-After` wins over the computed backoff (capped at [`MAX_RETRY_AFTER`]).
    pub(crate) fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(MAX_RETRY_AFTER);
        }
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1)));
        let d = exp.min(self.max_delay);
        if self.jitter <= 0.0 || d.is_zero() {
            return d;
        }
        let spread = d.as_secs_f64() * self.jitter.min(1.0);
        let offset = (fastrand::f64() * 2.0 - 1.0) * spread;
        Duration::from_secs_f64((d.as_secs_f64() + offset).max(0.0))
    }
}

/// Parses a `Retry-After` header: delta-seconds or an HTTP date.
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or_default())
}

/// The `Retry-After` of an answer, if it has a valid one.
pub(crate) fn retry_after_of(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after)
}

/// Whether replaying a request is safe: the classifier's input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// GET, PUT, DELETE, merge-patch to a fixed value, the token exchange: replay freely.
    Safe,
    /// A create: replayed, and a 409 for our own object is resolved afterwards.
    Create,
    /// Anything else (the `api` escape hatch's writes): replayed only when it surely never
    /// reached the server (connect failure, 429).
    Unsafe,
}

/// What one attempt produced, as the classifier sees it.
pub(crate) enum Outcome {
    /// The server answered.
    Answer(reqwest::Response),
    /// The request failed on the way; `reached` says whether it may have reached the server.
    Failed(reqwest::Error),
    /// The attempt ran out of time (the deadline, or the per-request timeout).
    TimedOut,
}

/// What the engine hands back.
pub(crate) struct Sent {
    /// The last outcome (an answer of any status, a transport error or a time-out).
    pub outcome: Outcome,
    /// Set when an earlier attempt may have been carried out by the server without us seeing its
    /// answer: a create's 409 or a delete's 404 then needs a second look.
    pub ambiguous: bool,
    /// Requests put on the wire (the first attempt and every retry).
    pub attempts: u32,
}

/// Whether a transport error may have reached the server.
fn may_have_reached(e: &reqwest::Error) -> bool {
    !e.is_connect()
}

/// The classifier: should this outcome be retried?
fn verdict(policy: &RetryConfig, idem: Idempotency, outcome: &Outcome) -> Option<Option<Duration>> {
    match outcome {
        Outcome::Answer(r) => {
            let status = r.status().as_u16();
            // A 429 means the server did not act on the request: safe for any method.
            let replayable = idem != Idempotency::Unsafe || status == 429;
            (replayable && policy.retries_status(status)).then(|| retry_after_of(r))
        }
        Outcome::Failed(e) => {
            if super::failure::is_certificate_error(e) {
                return None;
            }
            (idem != Idempotency::Unsafe || !may_have_reached(e)).then_some(None)
        }
        Outcome::TimedOut => (idem != Idempotency::Unsafe).then_some(None),
    }
}

/// How far past the call's deadline the HTTP client's own attempt timeout may end an attempt.
const DEADLINE_SLACK: Duration = Duration::from_millis(50);

/// Runs `attempt` until it gives a final outcome, the attempts are used up, or `deadline` comes.
///
/// `attempt` receives the 1-based attempt number. Each attempt is bounded by the time left until
/// `deadline`; a wait that would pass the deadline is not started (the last outcome is returned).
/// `what` names the request in log lines (no query string, no secrets).
///
/// `attempt_timeout` is the HTTP client's own timeout of one attempt, when it has one: an attempt
/// that the client's timer ends no later than [`DEADLINE_SLACK`] after `deadline` needs no timer
/// of its own (the first attempt of a call whose deadline is the request timeout: one timer
/// registration less per call, a tenth of the SDK's own cost of a request).
pub(crate) async fn run<F, Fut>(
    policy: &RetryConfig,
    idem: Idempotency,
    (deadline, attempt_timeout): (Option<Instant>, Option<Duration>),
    what: &str,
    stats: &super::Stats,
    mut attempt: F,
) -> Sent
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = reqwest::Result<reqwest::Response>>,
{
    let mut ambiguous = false;
    let mut n: u32 = 0;
    loop {
        n += 1;
        stats.add_sent();
        let started = std::time::Instant::now();
        let own_timer = deadline
            .filter(|at| attempt_timeout.is_none_or(|t| Instant::now() + t > *at + DEADLINE_SLACK));
        let outcome = match own_timer {
            Some(at) => match tokio::time::timeout_at(at, attempt(n)).await {
                Ok(r) => r.map_or_else(Outcome::Failed, Outcome::Answer),
                Err(_) => Outcome::TimedOut,
            },
            None => attempt(n)
                .await
                .map_or_else(Outcome::Failed, Outcome::Answer),
        };
        let outcome = match outcome {
            Outcome::Failed(e) if e.is_timeout() => {
                tracing::debug!(what, "the per-request timeout passed");
                Outcome::TimedOut
            }
            other => other,
        };
        match &outcome {
            Outcome::Answer(r) => tracing::debug!(
                what,
                attempt = n,
                status = r.status().as_u16(),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "response"
            ),
            Outcome::Failed(e) => tracing::debug!(
                what,
                attempt = n,
                error = %super::failure::describe_reqwest_error(e),
                "transport error"
            ),
            Outcome::TimedOut => {}
        }
        let Some(retry_after) = verdict(policy, idem, &outcome) else {
            return Sent {
                outcome,
                ambiguous,
                attempts: n,
            };
        };
        if n >= policy.max_attempts {
            return Sent {
                outcome,
                ambiguous,
                attempts: n,
            };
        }
        let wait = policy.backoff(n, retry_after);
        if let Some(at) = deadline
            && Instant::now() + wait >= at
        {
            // The server asked for a wait the deadline does not leave: waiting cannot help, so
            // the call ends now as a time-out (never sleeping past the deadline).
            if let Some(asked) = retry_after.filter(|ra| Instant::now() + *ra >= at) {
                tracing::warn!(
                    "{what}: the server asked to retry after {}s, past the deadline (in {:.1}s); giving up",
                    asked.as_secs(),
                    at.saturating_duration_since(Instant::now()).as_secs_f64()
                );
                return Sent {
                    outcome: Outcome::TimedOut,
                    ambiguous,
                    attempts: n,
                };
            }
            return Sent {
                outcome,
                ambiguous,
                attempts: n,
            };
        }
        let reason = match &outcome {
            Outcome::Answer(r) => format!("HTTP {}", r.status().as_u16()),
            Outcome::Failed(e) => super::failure::describe_reqwest_error(e),
            Outcome::TimedOut => "no answer in time".into(),
        };
        ambiguous |= match &outcome {
            Outcome::Answer(r) => r.status().is_server_error() || r.status().as_u16() == 408,
            Outcome::Failed(e) => may_have_reached(e),
            Outcome::TimedOut => true,
        };
        if matches!(outcome, Outcome::TimedOut) || wait > ANNOUNCE_WAIT {
            tracing::warn!(
                "{what}: {reason}; retrying in {:.1}s (attempt {} of {})",
                wait.as_secs_f64(),
                n + 1,
                policy.max_attempts
            );
        } else {
            tracing::debug!(what, attempt = n, %reason, "retrying");
        }
        stats.add_retry();
        drop(outcome);
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_and_capped() {
        let p = RetryConfig {
            jitter: 0.0,
            ..Default::default()
        };
        assert_eq!(p.backoff(1, None), Duration::from_millis(200));
        assert_eq!(p.backoff(2, None), Duration::from_millis(400));
        assert_eq!(p.backoff(3, None), Duration::from_millis(800));
        assert_eq!(p.backoff(10, None), Duration::from_millis(2500));
    }

    #[test]
    fn jitter_stays_in_band() {
        let p = RetryConfig::default();
        for _ in 0..100 {
            let d = p.backoff(1, None).as_secs_f64();
            assert!((0.16..=0.24).contains(&d), "{d}");
        }
    }

    #[test]
    fn retry_after_wins_and_is_bounded() {
        let p = RetryConfig::default();
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(9999))),
            MAX_RETRY_AFTER
        );
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    fn answer(status: u16, retry_after: Option<&str>) -> Outcome {
        let mut b = http::Response::builder().status(status);
        if let Some(v) = retry_after {
            b = b.header(RETRY_AFTER, v);
        }
        Outcome::Answer(reqwest::Response::from(
            b.body(bytes::Bytes::new()).expect("response"),
        ))
    }

    #[test]
    fn classifier() {
        let p = RetryConfig::default();
        use Idempotency::*;
        assert_eq!(verdict(&p, Safe, &answer(503, None)), Some(None));
        assert_eq!(
            verdict(&p, Safe, &answer(429, Some("2"))),
            Some(Some(Duration::from_secs(2)))
        );
        assert_eq!(verdict(&p, Create, &answer(408, None)), Some(None));
        // A write of unknown effect is replayed only when the server surely did not act.
        assert_eq!(verdict(&p, Unsafe, &answer(503, None)), None);
        assert_eq!(verdict(&p, Unsafe, &answer(429, None)), Some(None));
        assert_eq!(verdict(&p, Safe, &answer(404, None)), None);
        assert_eq!(verdict(&p, Safe, &answer(401, None)), None);
        assert_eq!(verdict(&p, Safe, &Outcome::TimedOut), Some(None));
        assert_eq!(verdict(&p, Unsafe, &Outcome::TimedOut), None);
    }
}
