//! Fault injection (latency, error statuses, dropped connections, lost write responses) and the
//! request journal. Everything here takes `&self`: tests flip faults while the server runs.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One request as the emulator saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct JournalEntry {
    /// HTTP method, upper case.
    pub method: String,
    /// Request path without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Response status; 0 when the connection was closed without a response.
    pub status: u16,
    /// When the request arrived, on the emulator's clock.
    pub at: DateTime<Utc>,
    /// The injected fault, if any (`status 503`, `dropped`, `lost response`, ...).
    pub fault: Option<String>,
}

/// Fault injection switches of a running emulator.
#[derive(Debug, Default)]
pub struct Faults {
    latency_ms: AtomicU64,
    fail_count: AtomicU32,
    fail_status: AtomicU32,
    // Retry-After in milliseconds + 1; 0 means none.
    fail_retry_after: AtomicU64,
    drop_count: AtomicU32,
    lose_count: AtomicU32,
    rate: Mutex<Option<(u32, StdRng)>>,
    rules: Mutex<Vec<Rule>>,
    injected: AtomicU64,
}

/// What a scripted fault ([`Faults::script`]) does to the request it hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close the connection before the request is handled.
    Drop,
    /// Handle the request, then close the connection without answering.
    LoseResponse,
    /// Answer this status without handling the request.
    Status(u16),
    /// Hold the request this long, then handle it normally (a slow write to interrupt).
    Delay(Duration),
}

/// A scripted fault: the matching requests after the first `skip` get `fault`, `times` times.
#[derive(Debug)]
struct Rule {
    method: String,
    path_suffix: String,
    skip: u32,
    times: u32,
    fault: Fault,
}

/// What the server must do with a request before handling it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PreFault {
    /// Answer with this status (and `Retry-After` seconds when set) instead of handling.
    Fail {
        status: u16,
        retry_after: Option<Duration>,
    },
    /// Close the connection without answering.
    Drop,
}

/// Decrements `counter` if it is positive; true when it was.
fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

impl Faults {
    /// Adds `d` of latency before every request is handled (zero turns it off).
    pub fn set_latency(&self, d: Duration) {
        self.latency_ms.store(
            d.as_millis().try_into().unwrap_or(u64::MAX),
            Ordering::SeqCst,
        );
    }

    /// The next `n` requests answer `status` (429, 500, 502, 503, ...) without being handled,
    /// with a `Retry-After` header (whole seconds, rounded up) when `retry_after` is set.
    pub fn fail_next(&self, n: u32, status: u16, retry_after: Option<Duration>) {
        self.fail_status.store(u32::from(status), Ordering::SeqCst);
        let ra = retry_after.map_or(0, |d| {
            u64::try_from(d.as_millis())
                .unwrap_or(u64::MAX - 1)
                .saturating_add(1)
        });
        self.fail_retry_after.store(ra, Ordering::SeqCst);
        self.fail_count.store(n, Ordering::SeqCst);
    }

    /// The next `n` requests have their connection closed before they are handled.
    pub fn drop_next_connections(&self, n: u32) {
        self.drop_count.store(n, Ordering::SeqCst);
    }

    /// The next `n` writes (POST/PATCH/PUT/DELETE) are carried out, then their connection is
    /// closed without an answer.
    pub fn lose_next_write_responses(&self, n: u32) {
        self.lose_count.store(n, Ordering::SeqCst);
    }

    /// Injects random faults into `per_mille`/1000 of the requests, deterministically from
    /// `seed`: a mix of 429 (with `Retry-After: 0`), 500, 502, 503 and dropped connections.
    /// `per_mille == 0` turns it off.
    pub fn fail_rate(&self, per_mille: u32, seed: u64) {
        let mut rate = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        *rate = (per_mille > 0).then(|| (per_mille.min(1000), StdRng::seed_from_u64(seed)));
    }

    /// Scripts a fault for chosen requests: of the requests with this method (`"*"`: any) whose
    /// path ends with `path_suffix`, the first `skip` pass and the next `times` get `fault`.
    /// Rules count independently, so two rules can script an attempt and its retries, e.g.
    /// "the second `POST .../vmpools` loses its response, the two after it are dropped".
    pub fn script(&self, method: &str, path_suffix: &str, skip: u32, times: u32, fault: Fault) {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.push(Rule {
            method: method.to_ascii_uppercase(),
            path_suffix: path_suffix.to_string(),
            skip,
            times,
            fault,
        });
    }

    /// Turns every fault off (the injected counter is kept).
    pub fn clear(&self) {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clear();
        self.set_latency(Duration::ZERO);
        self.fail_count.store(0, Ordering::SeqCst);
        self.drop_count.store(0, Ordering::SeqCst);
        self.lose_count.store(0, Ordering::SeqCst);
        self.fail_rate(0, 0);
    }

    /// How many faults were injected so far (latency is not counted).
    pub fn injected(&self) -> u64 {
        self.injected.load(Ordering::SeqCst)
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    /// The scripted fault of a request, if a rule hits it (every matching rule counts it).
    pub(crate) fn scripted(&self, method: &str, path: &str) -> Option<Fault> {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let mut hit = None;
        for r in rules
            .iter_mut()
            .filter(|r| (r.method == "*" || r.method == method) && path.ends_with(&r.path_suffix))
        {
            if r.skip > 0 {
                r.skip -= 1;
            } else if r.times > 0 {
                r.times -= 1;
                hit = hit.or(Some(r.fault));
            }
        }
        if hit.is_some() {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        hit
    }

    /// Decides the fault, if any, for a request about to be handled.
    pub(crate) fn before_request(&self) -> Option<PreFault> {
        let fault = if take(&self.drop_count) {
            Some(PreFault::Drop)
        } else if take(&self.fail_count) {
            let ra = self.fail_retry_after.load(Ordering::SeqCst);
            Some(PreFault::Fail {
                status: u16::try_from(self.fail_status.load(Ordering::SeqCst)).unwrap_or(500),
                retry_after: (ra > 0).then(|| Duration::from_millis(ra - 1)),
            })
        } else {
            self.random_fault()
        };
        if fault.is_some() {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        fault
    }

    fn random_fault(&self) -> Option<PreFault> {
        let mut guard = self.rate.lock().unwrap_or_else(|e| e.into_inner());
        let (per_mille, rng) = guard.as_mut()?;
        if rng.random_range(0..1000) >= *per_mille {
            return None;
        }
        Some(match rng.random_range(0..5) {
            0 => PreFault::Fail {
                status: 429,
                retry_after: Some(Duration::ZERO),
            },
            1 => PreFault::Fail {
                status: 500,
                retry_after: None,
            },
            2 => PreFault::Fail {
                status: 502,
                retry_after: None,
            },
            3 => PreFault::Fail {
                status: 503,
                retry_after: None,
            },
            _ => PreFault::Drop,
        })
    }

    /// Whether the response to this (write) request must be lost.
    pub(crate) fn lose_write_response(&self) -> bool {
        let lost = take(&self.lose_count);
        if lost {
            self.injected.fetch_add(1, Ordering::SeqCst);
        }
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_run_down_and_count_injections() {
        let f = Faults::default();
        f.fail_next(2, 429, Some(Duration::from_secs(3)));
        let expect = PreFault::Fail {
            status: 429,
            retry_after: Some(Duration::from_secs(3)),
        };
        assert_eq!(f.before_request(), Some(expect.clone()));
        assert_eq!(f.before_request(), Some(expect));
        assert_eq!(f.before_request(), None);
        f.drop_next_connections(1);
        assert_eq!(f.before_request(), Some(PreFault::Drop));
        f.lose_next_write_responses(1);
        assert!(f.lose_write_response());
        assert!(!f.lose_write_response());
        assert_eq!(f.injected(), 4);
    }

    #[test]
    fn fail_rate_is_deterministic_and_roughly_proportional() {
        let run = || {
            let f = Faults::default();
            f.fail_rate(250, 42);
            (0..400).map(|_| f.before_request()).collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let hits = a.iter().filter(|x| x.is_some()).count();
        assert!((60..140).contains(&hits), "{hits}");
        assert!(a.contains(&Some(PreFault::Drop)));
    }

    #[test]
    fn scripted_rules_skip_then_hit_their_requests() {
        let f = Faults::default();
        let pools = "/apis/ngpc.rxt.io/v1/namespaces/ns/vmpools";
        f.script("POST", "/vmpools", 1, 1, Fault::LoseResponse);
        f.script("post", "/vmpools", 2, 2, Fault::Drop);
        assert_eq!(f.scripted("GET", pools), None);
        assert_eq!(f.scripted("POST", pools), None);
        assert_eq!(f.scripted("POST", pools), Some(Fault::LoseResponse));
        assert_eq!(f.scripted("POST", pools), Some(Fault::Drop));
        assert_eq!(f.scripted("POST", "/other"), None);
        assert_eq!(f.scripted("POST", pools), Some(Fault::Drop));
        assert_eq!(f.scripted("POST", pools), None);
        assert_eq!(f.injected(), 3);
        f.script("*", "/x", 0, 1, Fault::Status(503));
        f.clear();
        assert_eq!(f.scripted("GET", "/x"), None);
    }

    #[test]
    fn clear_turns_everything_off() {
        let f = Faults::default();
        f.fail_next(5, 500, None);
        f.fail_rate(1000, 1);
        f.set_latency(Duration::from_millis(5));
        f.clear();
        assert_eq!(f.before_request(), None);
        assert_eq!(f.latency(), Duration::ZERO);
    }
}
