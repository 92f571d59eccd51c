//! The ledger's record model: statuses and their transitions, records, events, and the
//! bounds every stored payload keeps (so every export re-imports).
//!
//! The model belongs to the ledger, not to one backend: the embedded sqlite file and a future
//! shared database store the same records.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where a VM is in its registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Seen in the inventory; nothing done yet.
    Discovered,
    /// The orchestrator issued a join token for the VM.
    TokenIssued,
    /// The token/config was pushed to the VM.
    Submitted,
    /// The VM is a confirmed member. Terminal until `reset`.
    Registered,
    /// An attempt failed (`last_error` says why); may be retried.
    Failed,
    /// The orchestrator decided not to register this VM. Terminal until `reset`.
    Skipped,
    /// The VM vanished from the inventory (set by `reconcile`, never by `mark`).
    Gone,
}

impl RegistrationStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [RegistrationStatus; 7] = [
        RegistrationStatus::Discovered,
        RegistrationStatus::TokenIssued,
        RegistrationStatus::Submitted,
        RegistrationStatus::Registered,
        RegistrationStatus::Failed,
        RegistrationStatus::Skipped,
        RegistrationStatus::Gone,
    ];

    /// The wire/database name (`token_issued`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            RegistrationStatus::Discovered => "discovered",
            RegistrationStatus::TokenIssued => "token_issued",
            RegistrationStatus::Submitted => "submitted",
            RegistrationStatus::Registered => "registered",
            RegistrationStatus::Failed => "failed",
            RegistrationStatus::Skipped => "skipped",
            RegistrationStatus::Gone => "gone",
        }
    }

    /// The statuses [`crate::workflows::RegistrationWorkflow::mark`] may move a record to from `self`.
    ///
    /// | from | allowed to |
    /// | --- | --- |
    /// | `discovered` | `token_issued`, `failed`, `skipped` |
    /// | `token_issued` | `submitted`, `failed`, `skipped`, `token_issued` (re-issue) |
    /// | `submitted` | `registered`, `failed` |
    /// | `failed` | `discovered`, `token_issued`, `skipped` |
    /// | `registered` | nothing (only [`crate::workflows::RegistrationWorkflow::reset`]) |
    /// | `skipped` | nothing (only `reset`) |
    /// | `gone` | nothing (only `reset`, or reappearance in [`crate::workflows::RegistrationWorkflow::reconcile`]) |
    pub fn allowed_next(self) -> &'static [RegistrationStatus] {
        use RegistrationStatus::*;
        match self {
            Discovered => &[TokenIssued, Failed, Skipped],
            TokenIssued => &[Submitted, Failed, Skipped, TokenIssued],
            Submitted => &[Registered, Failed],
            Failed => &[Discovered, TokenIssued, Skipped],
            Registered | Skipped | Gone => &[],
        }
    }

    /// Whether `mark` may move a record from `self` to `to` (see [`Self::allowed_next`]).
    pub fn can_transition_to(self, to: RegistrationStatus) -> bool {
        self.allowed_next().contains(&to)
    }

    /// Whether an orchestrator still has work to do on a record in this status (what
    /// [`crate::workflows::RegistrationWorkflow::claim`] hands out).
    pub fn is_actionable(self) -> bool {
        matches!(
            self,
            RegistrationStatus::Discovered
                | RegistrationStatus::TokenIssued
                | RegistrationStatus::Submitted
                | RegistrationStatus::Failed
        )
    }
}

impl fmt::Display for RegistrationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RegistrationStatus {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let wanted = s.trim();
        RegistrationStatus::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                let names: Vec<&str> = RegistrationStatus::ALL.iter().map(|s| s.as_str()).collect();
                Error::invalid(
                    "status",
                    format!(
                        "unknown status \"{s}\"; expected one of {}",
                        names.join(", ")
                    ),
                )
            })
    }
}

/// One VM's ledger entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationRecord {
    /// The ledger key.
    pub registration_key: String,
    /// The VM's unique id.
    pub vm_uid: String,
    /// A human-friendly name.
    #[serde(default)]
    pub vm_name: Option<String>,
    /// Organization id.
    #[serde(default)]
    pub org_id: Option<String>,
    /// VM cloudspace.
    #[serde(default)]
    pub vmcloudspace: Option<String>,
    /// VM pool.
    #[serde(default)]
    pub vmpool: Option<String>,
    /// Target cluster.
    #[serde(default)]
    pub omni_cluster: Option<String>,
    /// Current status.
    pub status: RegistrationStatus,
    /// Id of the join token the orchestrator issued (an identifier, not the token itself).
    #[serde(default)]
    pub token_id: Option<String>,
    /// When that token expires.
    #[serde(default)]
    pub token_expires_at: Option<DateTime<Utc>>,
    /// The most recent error reported by the orchestrator.
    #[serde(default)]
    pub last_error: Option<String>,
    /// Free-form orchestrator data; marks merge-patch into it.
    #[serde(default)]
    pub payload: serde_json::Value,
    /// How many times the record was claimed.
    #[serde(default)]
    pub attempts: u32,
    /// When the record was first written.
    pub first_seen: DateTime<Utc>,
    /// When the record last changed.
    pub updated_at: DateTime<Utc>,
    /// When the record last entered each status.
    #[serde(default)]
    pub status_times: BTreeMap<RegistrationStatus, DateTime<Utc>>,
    /// Who holds the lease, if anyone (it may have expired: see `lease_expires_at`).
    #[serde(default)]
    pub lease_owner: Option<String>,
    /// When the lease ends.
    #[serde(default)]
    pub lease_expires_at: Option<DateTime<Utc>>,
}

impl RegistrationRecord {
    /// Whether someone holds a lease that has not expired at `now`.
    pub fn lease_live_at(&self, now: DateTime<Utc>) -> Option<&str> {
        match (&self.lease_owner, self.lease_expires_at) {
            (Some(owner), Some(until)) if until > now => Some(owner),
            _ => None,
        }
    }
}

/// One entry of the append-only event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationEvent {
    /// Monotonic id.
    pub id: i64,
    /// The record concerned.
    pub registration_key: String,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who did it (the lease owner or actor name).
    pub actor: String,
    /// Status before (`None` when the record was created).
    pub from: Option<RegistrationStatus>,
    /// Status after.
    pub to: RegistrationStatus,
    /// Free text.
    pub note: Option<String>,
}

/// A stored row that could not be read (bad JSON, unknown status, bad timestamp). Readers skip
/// it and report it, so one damaged row never stops `list`, `claim` or `export`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedRow {
    /// The row's registration key (or `<unreadable>` when even the key cannot be read).
    pub registration_key: String,
    /// What is wrong with it, naming the column.
    pub problem: String,
}

impl fmt::Display for SkippedRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "registration {} skipped: {}",
            self.registration_key, self.problem
        )
    }
}

/// What a reader returns: the rows that decoded, and the ones it skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan<T> {
    /// Rows that decoded.
    pub items: Vec<T>,
    /// Rows that did not, with the reason (report them; they are not lost from the ledger).
    pub skipped: Vec<SkippedRow>,
}

impl<T> Default for Scan<T> {
    fn default() -> Self {
        Scan {
            items: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

/// The deepest nesting a payload may have. serde_json refuses documents nested deeper than
/// 128 levels, and an exported record wraps its payload; 64 leaves room for both.
pub const MAX_PAYLOAD_DEPTH: usize = 64;

/// The largest payload, as compact JSON (256 KiB).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// Refuses a payload that the ledger could not export and import again: nested deeper than
/// [`MAX_PAYLOAD_DEPTH`] or larger than [`MAX_PAYLOAD_BYTES`] as compact JSON.
pub fn check_payload(payload: &serde_json::Value) -> Result<()> {
    let depth = payload_depth(payload);
    if depth > MAX_PAYLOAD_DEPTH {
        return Err(Error::invalid(
            "payload",
            format!(
                "nests {depth} levels deep; the limit is {MAX_PAYLOAD_DEPTH} levels (flatten it)"
            ),
        ));
    }
    let size = serde_json::to_vec(payload)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_PAYLOAD_BYTES {
        return Err(Error::invalid(
            "payload",
            format!(
                "is {size} bytes as JSON; the limit is {MAX_PAYLOAD_BYTES} bytes (256 KiB): keep \
                 large data elsewhere and store a reference"
            ),
        ));
    }
    Ok(())
}

/// Nesting depth (a scalar is 0, `{}` or `[]` is 1), without recursion: a library caller may
/// hand in a value deeper than any stack.
pub(crate) fn payload_depth(value: &serde_json::Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match v {
            serde_json::Value::Array(a) => Box::new(a.iter()),
            serde_json::Value::Object(o) => Box::new(o.values()),
            _ => {
                deepest = deepest.max(depth);
                continue;
            }
        };
        deepest = deepest.max(depth + 1);
        stack.extend(children.map(|c| (c, depth + 1)));
    }
    deepest
}

/// Fixed-width UTC text, so SQL text comparison orders like time.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn parse_ts(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("bad timestamp {s:?}: {e}"))
}

/// Payloads are compared and stored structurally; an absent payload is `{}`.
pub(crate) fn normalise_payload(p: &serde_json::Value) -> serde_json::Value {
    if p.is_null() {
        serde_json::Value::Object(serde_json::Map::new())
    } else {
        p.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn status_names_round_trip() {
        for st in RegistrationStatus::ALL {
            assert_eq!(st.as_str().parse::<RegistrationStatus>().ok(), Some(st));
            assert_eq!(
                serde_json::to_value(st).ok(),
                Some(serde_json::Value::String(st.to_string()))
            );
        }
        assert!(matches!(
            "registred".parse::<RegistrationStatus>(),
            Err(Error::Invalid { .. })
        ));
    }

    #[test]
    fn timestamps_sort_as_text() {
        let a = parse_ts("2025-01-02T03:04:05Z").expect("valid");
        let b = a + chrono::Duration::microseconds(1);
        let c = a + chrono::Duration::seconds(60);
        assert!(ts(a) < ts(b) && ts(b) < ts(c));
        assert_eq!(parse_ts(&ts(b)), Ok(b));
    }

    fn nested(levels: usize) -> serde_json::Value {
        let mut v = json!(1);
        for _ in 0..levels {
            v = json!({ "a": v });
        }
        v
    }

    #[test]
    fn payload_depth_counts_containers() {
        assert_eq!(payload_depth(&json!(1)), 0);
        assert_eq!(payload_depth(&json!({})), 1);
        assert_eq!(payload_depth(&json!({"a": [1, {"b": 2}]})), 3);
        assert_eq!(payload_depth(&nested(127)), 127);
    }

    #[test]
    fn payload_bounds_name_the_limit() {
        assert!(check_payload(&nested(MAX_PAYLOAD_DEPTH)).is_ok());
        let deep = check_payload(&nested(MAX_PAYLOAD_DEPTH + 1)).unwrap_err();
        assert!(deep.to_string().contains("limit is 64 levels"), "{deep}");
        let big = json!({ "blob": "x".repeat(MAX_PAYLOAD_BYTES) });
        let err = check_payload(&big).unwrap_err();
        assert!(err.to_string().contains("262144 bytes"), "{err}");
        assert!(!err.to_string().contains('\n'));
    }
}
