//! The model the script builds (the cloudspaces and pools it meant to leave), the suite that
//! runs each operation and checks how it ended against its journal window, and the final
//! comparison of the emulator's state with the model.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use rsspot::Error;
use rsspot::emulator::{Emulator, JournalEntry};
use serde_json::Value;

use super::journal::{
    Failure, applied, attempts_for, describe, failure_of, fault_of, groups, longest_fault_run,
    trailing_faults,
};
use super::{API, FAULT_RATE, FAULT_SEED, POOL_ID};

/// How a scripted operation is meant to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect {
    /// Succeeds (random faults may still exhaust the retries: then the failure is checked).
    Ok,
    /// Ends in `Error::NotFound` (or an exhausted fault, as above).
    NotFound,
    /// A forced burst longer than the attempts: must fail with exactly this.
    Fail(Failure),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CsModel {
    pub(crate) region: String,
    pub(crate) ha: bool,
    pub(crate) webhook: String,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PoolModel {
    pub(crate) spot: bool,
    pub(crate) cloudspace: String,
    pub(crate) class: String,
    pub(crate) desired: u64,
    pub(crate) bid: Option<String>,
}

/// A pool the script made: its id label, and its generated name once the client learnt it.
#[derive(Debug, Clone)]
pub(crate) struct PoolRef {
    pub(crate) id: String,
    pub(crate) name: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Figures {
    pub(crate) ops: usize,
    pub(crate) ok: usize,
    pub(crate) failed_forced: usize,
    pub(crate) failed_random: usize,
    pub(crate) not_found: usize,
    pub(crate) retried_ops: usize,
    pub(crate) ambiguous_applied: usize,
    /// Operations that failed, with their error.
    pub(crate) failures: Vec<String>,
}

pub(crate) struct Suite<'a> {
    pub(crate) emu: &'a Emulator,
    pub(crate) ns: String,
    pub(crate) figures: Figures,
    pub(crate) violations: Vec<String>,
    pub(crate) cloudspaces: BTreeMap<String, CsModel>,
    pub(crate) pools: BTreeMap<String, PoolModel>,
    pub(crate) journal_seen: usize,
}

impl Suite<'_> {
    pub(crate) fn path(&self, plural: &str, name: Option<&str>) -> String {
        match name {
            Some(n) => format!("{API}/namespaces/{}/{plural}/{n}", self.ns),
            None => format!("{API}/namespaces/{}/{plural}", self.ns),
        }
    }

    pub(crate) fn violation(&mut self, what: &str, msg: impl AsRef<str>) {
        self.violations.push(format!("{what}: {}", msg.as_ref()));
    }

    /// Runs one operation and checks how it ended against the journal window it produced.
    pub(crate) async fn run<T>(
        &mut self,
        what: &str,
        expect: Expect,
        fut: impl Future<Output = rsspot::Result<T>>,
    ) -> (Option<T>, Vec<JournalEntry>) {
        // Reseeded per operation: how many polls a wait makes depends on timing, and must not
        // shift the faults every later operation meets.
        // With these seeds no lookup that resolves a lost create is faulted; other seeds can
        // meet the bug `create_resolution_survives_a_fault_on_its_lookup` shows.
        let seed = FAULT_SEED.wrapping_add(self.figures.ops as u64);
        self.emu.faults().fail_rate(FAULT_RATE, seed);
        // Boxed: the SDK futures are large in debug builds and would overflow the test stack.
        let result = Box::pin(fut).await;
        let journal = self.emu.journal();
        let window = journal[self.journal_seen..].to_vec();
        self.journal_seen = journal.len();
        self.figures.ops += 1;

        // No request was tried more often than configured.
        for ((method, path), entries) in groups(&window) {
            let limit = attempts_for(&method, &path);
            if longest_fault_run(&entries) > limit {
                self.violation(
                    what,
                    format!("{method} {path} failed more than {limit} times in a row"),
                );
            }
            if entries.len() > 1 && entries.iter().any(|e| e.fault.is_some()) {
                self.figures.retried_ops += 1;
            }
        }

        match (result, expect) {
            (Ok(v), Expect::Ok) => {
                self.figures.ok += 1;
                (Some(v), window)
            }
            (Ok(_), other) => {
                self.violation(what, format!("succeeded, expected {other:?}"));
                (None, window)
            }
            (Err(Error::NotFound { .. }), Expect::NotFound) => {
                self.figures.not_found += 1;
                (None, window)
            }
            // A DELETE whose answer was lost and whose retry met 404: the object is gone (the
            // right final state) and the client says "not found" rather than claiming a success
            // it never saw (issue 13).
            (Err(Error::NotFound { .. }), Expect::Ok)
                if window.iter().any(|e| {
                    e.method == "DELETE" && e.fault.as_deref() == Some("lost response")
                }) && window
                    .iter()
                    .any(|e| e.method == "DELETE" && e.status == 404) =>
            {
                self.figures.not_found += 1;
                (None, window)
            }
            (Err(err), expect) => {
                self.figures.failures.push(format!("{what}: {err}"));
                match self.explain(&err, &window) {
                    Ok(failure) => match expect {
                        Expect::Fail(want) if want == failure => self.figures.failed_forced += 1,
                        Expect::Fail(want) => self.violation(
                            what,
                            format!("failed with {failure:?}, expected {want:?}: {err}"),
                        ),
                        Expect::Ok | Expect::NotFound => self.figures.failed_random += 1,
                    },
                    Err(why) => self.violation(what, format!("{why} (error: {err:?})")),
                }
                (None, window)
            }
        }
    }

    /// A failure is right when some request of the window ran out of its configured attempts
    /// and the error names the last fault it met.
    fn explain(&self, err: &Error, window: &[JournalEntry]) -> Result<Failure, String> {
        let want = failure_of(err)
            .ok_or_else(|| format!("an error no injected fault explains; {}", describe(window)))?;
        for ((method, path), entries) in groups(window) {
            let run = trailing_faults(&entries);
            if run.len() == attempts_for(&method, &path)
                && run.last().and_then(|e| fault_of(e)) == Some(want)
            {
                return Ok(want);
            }
        }
        Err(format!(
            "no request ended with its configured attempts all failing with {want:?}; {}",
            describe(window)
        ))
    }

    /// Creates are never carried out twice: at most one 201 per create operation.
    pub(crate) fn check_single_create(
        &mut self,
        what: &str,
        window: &[JournalEntry],
        collection: &str,
    ) {
        let created = window
            .iter()
            .filter(|e| e.method == "POST" && e.path == collection && e.status == 201)
            .count();
        if created > 1 {
            self.violation(what, format!("created {created} times"));
        }
    }

    /// Records a write the client saw fail but the server carried out.
    pub(crate) fn ambiguous(&mut self, window: &[JournalEntry], method: &str, path: &str) -> bool {
        let done = applied(window, method, path);
        if done {
            self.figures.ambiguous_applied += 1;
        }
        done
    }
}

/// Compares the emulator's namespace with the model the script built.
pub(crate) fn check_final_state(s: &mut Suite<'_>, ns_state: &Value) {
    let mut actual_cs = BTreeMap::new();
    if let Some(map) = ns_state.get("cloudspaces").and_then(Value::as_object) {
        for (name, doc) in map {
            let spec = &doc["spec"];
            actual_cs.insert(
                name.clone(),
                CsModel {
                    region: spec["region"].as_str().unwrap_or_default().into(),
                    ha: spec["HAControlPlane"].as_bool().unwrap_or(false),
                    webhook: spec["webhook"].as_str().unwrap_or_default().into(),
                },
            );
        }
    }
    if actual_cs != s.cloudspaces {
        let msg = format!("cloudspaces {actual_cs:?} != intended {:?}", s.cloudspaces);
        s.violation("final state", msg);
    }

    let mut actual_pools = BTreeMap::new();
    let mut seen_ids = BTreeSet::new();
    for (plural, spot) in [("spotnodepools", true), ("ondemandnodepools", false)] {
        let Some(map) = ns_state.get(plural).and_then(Value::as_object) else {
            continue;
        };
        for (name, doc) in map {
            let spec = &doc["spec"];
            let Some(id) = spec["customLabels"][POOL_ID].as_str() else {
                s.violation("final state", format!("{plural}/{name} has no id label"));
                continue;
            };
            if !seen_ids.insert(id.to_string()) {
                s.violation("final state", format!("pool {id} exists twice"));
            }
            actual_pools.insert(
                id.to_string(),
                PoolModel {
                    spot,
                    cloudspace: spec["cloudSpace"].as_str().unwrap_or_default().into(),
                    class: spec["serverClass"].as_str().unwrap_or_default().into(),
                    desired: spec["desired"].as_u64().unwrap_or(0),
                    bid: spec["bidPrice"].as_str().map(str::to_string),
                },
            );
        }
    }
    if actual_pools != s.pools {
        let msg = format!("pools {actual_pools:?} != intended {:?}", s.pools);
        s.violation("final state", msg);
    }
}
