//! Fleet observation: what `rsspot events watch` and `rsspot metrics serve` are built on.
//!
//! A [`Poller`] takes one [`Snapshot`] of an organization per call: one list per kind
//! (cloudspaces, spot, on-demand and autopilot pools, VM cloudspaces, VM pools — each through the
//! generic [`Api::list`](crate::Api::list)), the market prices (server classes and the public
//! percentiles document) and the organization's own events feed. [`diff`] compares two snapshots
//! and says what changed, as [`Change`]s: nodes lost (pre-emption) and won, bid status changes,
//! the market price crossing a pool's bid, cloudspace phase and health changes, an autopilot pool
//! managing fewer vCPUs than its target, VM servers added, removed or failing, and new entries of
//! the events feed.
//!
//! A snapshot is plain data (serde), so a watcher can keep the last one it saw (the CLI keeps it
//! in `state.db`) and compare the first poll after a restart with it: nothing is replayed and
//! nothing is missed.
//!
//! ```no_run
//! # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
//! use rsspot::observe::{Poller, diff};
//! let mut poller = Poller::new(client, Some("acme".into()));
//! let first = poller.poll().await?;
//! let next = poller.poll().await?;
//! for change in diff(&first.snapshot, &next.snapshot) {
//!     println!("{} {}", change.event_type(), change.subject());
//! }
//! # Ok(()) }
//! ```

mod diff;
mod poll;
mod snapshot;

pub use diff::{Change, PoolRef, diff};
pub use poll::{EVENTS_KEPT, OpSample, PollReport, Poller, operations};
pub use snapshot::{
    AutopilotState, ClassPrice, CloudspaceState, Observed, PoolKind, PoolState, Snapshot,
    VmServerState,
};
