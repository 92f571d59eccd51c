//! The webhook's queue, kept in `state.db` so that a watch killed with events still queued
//! delivers them after a restart, and never posts one twice.
//!
//! The guarantee is **at most once, never silently lost**:
//! - every event gets a sequence number; a poll's events are saved in the outbox *before* the
//!   poll's snapshot (which records the last sequence number), and reach the delivery task only
//!   after both are saved. Entries newer than the saved snapshot belong to a poll that was not
//!   committed; the restart's first poll finds those changes again, so they are dropped;
//! - before each POST the delivery task marks the event in flight, after a 2xx it marks it
//!   delivered. A restart sends every saved event after the last delivered one, in order, except
//!   one left in flight: the receiver may have it, so it is not posted again, and a warning
//!   names it (its CloudEvent `id`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use rsspot::observe::Snapshot;
use rsspot::state::StateStore;
use serde::{Deserialize, Serialize};

/// One queued webhook body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Queued {
    /// Its sequence number (1, 2, ... over the life of this watcher).
    pub seq: u64,
    /// The CloudEvent's `id`.
    pub id: String,
    /// The CloudEvent's `type` and `subject`, for the warning about an event left in flight.
    pub what: String,
    /// The body to POST.
    pub body: String,
}

/// How far delivery got.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
struct Cursor {
    /// Every event up to this one was accepted.
    sent_through: u64,
    /// The event being posted, if any.
    in_flight: Option<u64>,
}

/// What `state.db` holds for a watcher: its last snapshot and the last sequence number given.
#[derive(Debug, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Saved {
    /// Since the webhook queue is saved.
    Numbered {
        /// The last sequence number given.
        seq: u64,
        /// The last snapshot (`None`: next poll is a baseline).
        snapshot: Option<Snapshot>,
    },
    /// As saved by earlier versions: the snapshot alone.
    Bare(Option<Snapshot>),
}

impl Saved {
    /// The snapshot and the sequence number.
    pub fn into_parts(self) -> (Option<Snapshot>, u64) {
        match self {
            Saved::Numbered { seq, snapshot } => (snapshot, seq),
            Saved::Bare(snapshot) => (snapshot, 0),
        }
    }
}

/// The outbox of one watcher (see the module docs).
#[derive(Clone)]
pub struct Outbox {
    state: StateStore,
    queue_key: String,
    cursor_key: String,
    /// Mirrors the saved cursor's `sent_through`, so saving the queue can leave delivered
    /// events out.
    sent_through: Arc<AtomicU64>,
}

/// What a restart finds in the outbox.
pub struct Recovered {
    /// Events to deliver first, in order.
    pub resend: Vec<Queued>,
    /// The event left in flight, not posted again.
    pub in_flight: Option<Queued>,
    /// The last event known delivered (or given up as in flight): numbering goes on after it,
    /// also when `--reset` forgot the snapshot.
    pub sent_through: u64,
}

impl Outbox {
    /// The outbox of the watcher saved under `key`.
    pub fn new(state: StateStore, key: &str) -> Outbox {
        Outbox {
            state,
            queue_key: format!("{key}:webhook-queue"),
            cursor_key: format!("{key}:webhook-cursor"),
            sent_through: Arc::default(),
        }
    }

    /// Reads what the last run left: events saved with a snapshot (`seq` ≤ `committed`) that
    /// were not delivered. Marks the one left in flight as done.
    pub async fn recover(&self, committed: u64) -> Result<Recovered> {
        let queue: Vec<Queued> = self.read(&self.queue_key).await?.unwrap_or_default();
        let mut cursor: Cursor = self.read(&self.cursor_key).await?.unwrap_or_default();
        let mut in_flight = None;
        if let Some(s) = cursor.in_flight.take().filter(|s| *s > cursor.sent_through) {
            in_flight = queue.iter().find(|q| q.seq == s).cloned();
            cursor.sent_through = s;
        }
        self.write_cursor(cursor).await?;
        let resend = queue
            .into_iter()
            .filter(|q| q.seq > cursor.sent_through && q.seq <= committed)
            .collect();
        Ok(Recovered {
            resend,
            in_flight,
            sent_through: cursor.sent_through,
        })
    }

    /// Saves `pending` (the events not yet known delivered are kept, the rest dropped). Call
    /// before saving the snapshot that numbers them.
    pub async fn save(&self, pending: &mut Vec<Queued>) -> Result<()> {
        let done = self.sent_through.load(Ordering::SeqCst);
        pending.retain(|q| q.seq > done);
        let json = serde_json::to_string(pending)?;
        self.state.watch_state_set(&self.queue_key, &json).await?;
        Ok(())
    }

    /// Marks `seq` in flight (before its POST).
    pub async fn posting(&self, seq: u64) -> Result<()> {
        let sent_through = self.sent_through.load(Ordering::SeqCst);
        self.write_cursor(Cursor {
            sent_through,
            in_flight: Some(seq),
        })
        .await
    }

    /// Marks `seq` delivered (after a 2xx).
    pub async fn delivered(&self, seq: u64) -> Result<()> {
        self.sent_through.store(seq, Ordering::SeqCst);
        self.write_cursor(Cursor {
            sent_through: seq,
            in_flight: None,
        })
        .await
    }

    async fn write_cursor(&self, cursor: Cursor) -> Result<()> {
        self.sent_through
            .store(cursor.sent_through, Ordering::SeqCst);
        let json = serde_json::to_string(&cursor)?;
        self.state.watch_state_set(&self.cursor_key, &json).await?;
        Ok(())
    }

    async fn read<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        Ok(match self.state.watch_state_get(key).await? {
            // Unreadable: as if empty (the warning about lost events would be a guess).
            Some(json) => serde_json::from_str(&json).ok(),
            None => None,
        })
    }
}
