//! Reading failures from the emulator's journal: which injected fault a request met, which
//! failure a typed error claims, how often a request was tried, and whether a write the client
//! saw fail was carried out by the server.

use std::collections::BTreeMap;

use rsspot::Error;
use rsspot::emulator::JournalEntry;

use super::MAX_ATTEMPTS;

/// What made a request fail, as the journal and the error both tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// An HTTP status (429 or 5xx).
    Status(u16),
    /// No answer: the connection was dropped or the response lost.
    Transport,
}

pub(crate) fn fault_of(e: &JournalEntry) -> Option<Failure> {
    let f = e.fault.as_deref()?;
    Some(if f.starts_with("status") {
        Failure::Status(e.status)
    } else {
        Failure::Transport
    })
}

/// The failure a typed error claims; `None` for errors a fault can never explain.
pub(crate) fn failure_of(err: &Error) -> Option<Failure> {
    match err {
        Error::Api { status, .. } if *status >= 500 => Some(Failure::Status(*status)),
        Error::RateLimited { .. } => Some(Failure::Status(429)),
        Error::Transport { .. } => Some(Failure::Transport),
        _ => None,
    }
}

/// Configured attempts of a request (the kubeconfig POST has no side effect, so it is replayed
/// like a GET).
pub(crate) fn attempts_for(_method: &str, _path: &str) -> usize {
    MAX_ATTEMPTS
}

/// Requests of a window grouped by (method, path), in order.
pub(crate) fn groups(window: &[JournalEntry]) -> BTreeMap<(String, String), Vec<&JournalEntry>> {
    let mut g: BTreeMap<(String, String), Vec<&JournalEntry>> = BTreeMap::new();
    for e in window {
        g.entry((e.method.clone(), e.path.clone()))
            .or_default()
            .push(e);
    }
    g
}

pub(crate) fn longest_fault_run(entries: &[&JournalEntry]) -> usize {
    let (mut best, mut run) = (0, 0);
    for e in entries {
        run = if e.fault.is_some() { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

pub(crate) fn trailing_faults<'a>(entries: &[&'a JournalEntry]) -> Vec<&'a JournalEntry> {
    let n = entries
        .iter()
        .rev()
        .take_while(|e| e.fault.is_some())
        .count();
    entries[entries.len() - n..].to_vec()
}

/// The journal window, for failure messages.
pub(crate) fn describe(window: &[JournalEntry]) -> String {
    let lines: Vec<String> = window
        .iter()
        .map(|e| {
            let fault = e
                .fault
                .as_deref()
                .map(|f| format!(" [{f}]"))
                .unwrap_or_default();
            format!("{} {} -> {}{fault}", e.method, e.path, e.status)
        })
        .collect();
    format!("requests: {}", lines.join(", "))
}

/// Whether the server carried out `method path` in this window (answered 2xx, seen or lost).
pub(crate) fn applied(window: &[JournalEntry], method: &str, path: &str) -> bool {
    window.iter().any(|e| {
        e.method == method
            && e.path == path
            && (200..300).contains(&e.status)
            && e.fault.as_deref().is_none_or(|f| f == "lost response")
    })
}
