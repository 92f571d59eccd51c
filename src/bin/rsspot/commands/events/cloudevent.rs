//! One change as a CloudEvent (v1.0, JSON format).

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};
use rsspot::observe::Change;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The reverse-domain prefix of every event type.
pub const TYPE_PREFIX: &str = "com.rackspace.spot.";

/// A CloudEvent: `specversion`, `type`, `source`, `id`, `time`, `subject`, `data`.
#[derive(Debug, Serialize)]
pub struct CloudEvent {
    /// Always `1.0`.
    pub specversion: &'static str,
    /// `com.rackspace.spot.pool.preempted`, ...
    #[serde(rename = "type")]
    pub type_: String,
    /// `/organizations/<org>`.
    pub source: String,
    /// Stable for one change seen at one poll: a consumer can drop duplicates by it.
    pub id: String,
    /// When the poll that saw the change was taken.
    pub time: String,
    /// What it is about (`cloudspaces/demo/spotnodepools/<pool>`).
    pub subject: String,
    /// `application/json`.
    pub datacontenttype: &'static str,
    /// The change.
    pub data: serde_json::Value,
}

impl CloudEvent {
    /// The event of `change`, seen by the poll taken at `time`.
    pub fn new(source: &str, time: DateTime<Utc>, change: &Change) -> Result<CloudEvent> {
        let type_ = format!("{TYPE_PREFIX}{}", change.event_type());
        let time = time.to_rfc3339_opts(SecondsFormat::Millis, true);
        let subject = change.subject();
        let data = serde_json::to_value(change)?;
        let mut hash = Sha256::new();
        for part in [source, &type_, &subject, &time, &data.to_string()] {
            hash.update(part.as_bytes());
            hash.update([0]);
        }
        let id = hex::encode(&hash.finalize()[..16]);
        Ok(CloudEvent {
            specversion: "1.0",
            type_,
            source: source.to_string(),
            id,
            time,
            subject,
            datacontenttype: "application/json",
            data,
        })
    }
}
