//! [`diff`]: what changed between two [`Snapshot`]s, as [`Change`]s.

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::Serialize;

use super::snapshot::{PoolKind, PoolState, Snapshot};

/// Which pool a change is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolRef {
    /// Spot, on-demand or VM.
    pub kind: PoolKind,
    /// The pool's name.
    pub name: String,
    /// Its cloudspace (VM cloudspace for VM pools).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloudspace: Option<String>,
    /// Its server class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
}

impl From<&PoolState> for PoolRef {
    fn from(p: &PoolState) -> Self {
        PoolRef {
            kind: p.kind,
            name: p.name.clone(),
            cloudspace: p.cloudspace.clone(),
            class: p.class.clone(),
        }
    }
}

/// One thing that changed between two snapshots. Serialized as the `data` of an event.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Change {
    /// Won nodes dropped: the auction took them back (pre-emption).
    NodesLost {
        /// The pool.
        #[serde(flatten)]
        pool: PoolRef,
        /// Won before.
        from: i64,
        /// Won now.
        to: i64,
    },
    /// Won nodes grew.
    NodesWon {
        /// The pool.
        #[serde(flatten)]
        pool: PoolRef,
        /// Won before.
        from: i64,
        /// Won now.
        to: i64,
    },
    /// The bid (or reservation) status changed.
    BidStatus {
        /// The pool.
        #[serde(flatten)]
        pool: PoolRef,
        /// Status before.
        from: Option<String>,
        /// Status now.
        to: Option<String>,
    },
    /// The market price of the pool's class rose above its bid.
    OutbidRisk {
        /// The pool.
        #[serde(flatten)]
        pool: PoolRef,
        /// The pool's bid.
        bid: Decimal,
        /// The market price now.
        market: Decimal,
    },
    /// The market price fell back to or below the pool's bid.
    OutbidCleared {
        /// The pool.
        #[serde(flatten)]
        pool: PoolRef,
        /// The pool's bid.
        bid: Decimal,
        /// The market price now.
        market: Decimal,
    },
    /// A cloudspace's (or VM cloudspace's) phase changed.
    Phase {
        /// The cloudspace.
        cloudspace: String,
        /// Whether it is a VM cloudspace.
        vm: bool,
        /// Phase before.
        from: Option<String>,
        /// Phase now.
        to: Option<String>,
    },
    /// A cloudspace's (or VM cloudspace's) health changed.
    Health {
        /// The cloudspace.
        cloudspace: String,
        /// Whether it is a VM cloudspace.
        vm: bool,
        /// Health before.
        from: Option<String>,
        /// Health now.
        to: Option<String>,
    },
    /// An autopilot pool now manages fewer vCPUs than its target.
    AutopilotUnderTarget {
        /// The autopilot pool.
        pool: String,
        /// Its cloudspace.
        cloudspace: Option<String>,
        /// vCPUs it manages.
        managed_vcpus: i64,
        /// vCPUs it aims for.
        target_vcpus: i64,
    },
    /// A server joined a VM cloudspace.
    VmServerAdded {
        /// The VM cloudspace.
        vmcloudspace: String,
        /// The server id.
        server: String,
        /// Its pool.
        pool: Option<String>,
    },
    /// A server left a VM cloudspace.
    VmServerRemoved {
        /// The VM cloudspace.
        vmcloudspace: String,
        /// The server id.
        server: String,
        /// Its pool.
        pool: Option<String>,
    },
    /// A VM server reports an error (newly, or a different one).
    VmServerError {
        /// The VM cloudspace.
        vmcloudspace: String,
        /// The server id.
        server: String,
        /// Its pool.
        pool: Option<String>,
        /// The error it reports.
        error: String,
    },
    /// A new entry of the organization's events feed.
    OrgEvent {
        /// The entry's time, as the feed writes it.
        time: String,
        /// The rest of the entry.
        message: String,
    },
}

impl Change {
    /// The event type's last part (`pool.preempted`); a CloudEvents type prefixes it with a
    /// reverse domain (`com.rackspace.spot.`).
    pub fn event_type(&self) -> &'static str {
        match self {
            Change::NodesLost { .. } => "pool.preempted",
            Change::NodesWon { .. } => "pool.won",
            Change::BidStatus { .. } => "pool.bid_status_changed",
            Change::OutbidRisk { .. } => "pool.outbid_risk",
            Change::OutbidCleared { .. } => "pool.outbid_cleared",
            Change::Phase { .. } => "cloudspace.phase_changed",
            Change::Health { .. } => "cloudspace.health_changed",
            Change::AutopilotUnderTarget { .. } => "autopilot.under_target",
            Change::VmServerAdded { .. } => "vm.server_added",
            Change::VmServerRemoved { .. } => "vm.server_removed",
            Change::VmServerError { .. } => "vm.server_error",
            Change::OrgEvent { .. } => "org.event",
        }
    }

    /// What the change is about, as a path (`cloudspaces/demo/spotnodepools/<name>`).
    pub fn subject(&self) -> String {
        let pool = |p: &PoolRef| {
            let (parent, kind) = match p.kind {
                PoolKind::Spot => ("cloudspaces", "spotnodepools"),
                PoolKind::OnDemand => ("cloudspaces", "ondemandnodepools"),
                PoolKind::Vm => ("vmcloudspaces", "vmpools"),
            };
            match &p.cloudspace {
                Some(cs) => format!("{parent}/{cs}/{kind}/{}", p.name),
                None => format!("{kind}/{}", p.name),
            }
        };
        let space = |name: &str, vm: bool| {
            format!(
                "{}/{name}",
                if vm { "vmcloudspaces" } else { "cloudspaces" }
            )
        };
        match self {
            Change::NodesLost { pool: p, .. }
            | Change::NodesWon { pool: p, .. }
            | Change::BidStatus { pool: p, .. }
            | Change::OutbidRisk { pool: p, .. }
            | Change::OutbidCleared { pool: p, .. } => pool(p),
            Change::Phase { cloudspace, vm, .. } | Change::Health { cloudspace, vm, .. } => {
                space(cloudspace, *vm)
            }
            Change::AutopilotUnderTarget {
                pool, cloudspace, ..
            } => match cloudspace {
                Some(cs) => format!("cloudspaces/{cs}/autopilotnodepools/{pool}"),
                None => format!("autopilotnodepools/{pool}"),
            },
            Change::VmServerAdded {
                vmcloudspace,
                server,
                ..
            }
            | Change::VmServerRemoved {
                vmcloudspace,
                server,
                ..
            }
            | Change::VmServerError {
                vmcloudspace,
                server,
                ..
            } => format!("vmcloudspaces/{vmcloudspace}/servers/{server}"),
            Change::OrgEvent { .. } => "events".to_string(),
        }
    }

    /// One line for a person (a Slack message, a log).
    pub fn summary(&self) -> String {
        let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "-".into());
        match self {
            Change::NodesLost { pool, from, to } => {
                format!(
                    "pool {} lost {} node(s): won {from} → {to}",
                    pool.name,
                    from - to
                )
            }
            Change::NodesWon { pool, from, to } => {
                format!(
                    "pool {} won {} node(s): won {from} → {to}",
                    pool.name,
                    to - from
                )
            }
            Change::BidStatus { pool, from, to } => {
                format!("pool {} status {} → {}", pool.name, opt(from), opt(to))
            }
            Change::OutbidRisk { pool, bid, market } => {
                format!(
                    "pool {} outbid risk: market {market} > bid {bid}",
                    pool.name
                )
            }
            Change::OutbidCleared { pool, bid, market } => {
                format!(
                    "pool {} no longer outbid: market {market} ≤ bid {bid}",
                    pool.name
                )
            }
            Change::Phase {
                cloudspace,
                from,
                to,
                ..
            } => format!("cloudspace {cloudspace} phase {} → {}", opt(from), opt(to)),
            Change::Health {
                cloudspace,
                from,
                to,
                ..
            } => format!("cloudspace {cloudspace} health {} → {}", opt(from), opt(to)),
            Change::AutopilotUnderTarget {
                pool,
                managed_vcpus,
                target_vcpus,
                ..
            } => format!(
                "autopilot pool {pool} under target: {managed_vcpus} of {target_vcpus} vCPUs"
            ),
            Change::VmServerAdded {
                vmcloudspace,
                server,
                ..
            } => format!("VM server {server} added to {vmcloudspace}"),
            Change::VmServerRemoved {
                vmcloudspace,
                server,
                ..
            } => format!("VM server {server} removed from {vmcloudspace}"),
            Change::VmServerError {
                vmcloudspace,
                server,
                error,
                ..
            } => format!("VM server {server} of {vmcloudspace} failed: {error}"),
            Change::OrgEvent { time, message } => format!("{time} {message}"),
        }
    }
}

/// What changed from `prev` to `next`, in a stable order: pools, cloudspaces, autopilot pools,
/// VM servers, then new entries of the events feed (oldest first). Objects that appear or
/// disappear are not changes by themselves (except VM servers): a new pool starts from its
/// first state, so a pool created with won nodes is not "won".
pub fn diff(prev: &Snapshot, next: &Snapshot) -> Vec<Change> {
    let mut out = Vec::new();
    for (key, now) in &next.pools {
        let Some(was) = prev.pools.get(key) else {
            continue;
        };
        let pool = || PoolRef::from(now);
        if let (Some(from), Some(to)) = (was.won, now.won) {
            if to < from {
                out.push(Change::NodesLost {
                    pool: pool(),
                    from,
                    to,
                });
            } else if to > from {
                out.push(Change::NodesWon {
                    pool: pool(),
                    from,
                    to,
                });
            }
        }
        if was.status != now.status {
            out.push(Change::BidStatus {
                pool: pool(),
                from: was.status.clone(),
                to: now.status.clone(),
            });
        }
        let (risk_was, risk_now) = (prev.outbid(was), next.outbid(now));
        if let (Some(bid), Some(market)) = (now.bid, next.market(now.class.as_deref())) {
            if risk_now && !risk_was {
                out.push(Change::OutbidRisk {
                    pool: pool(),
                    bid,
                    market,
                });
            } else if risk_was && !risk_now {
                out.push(Change::OutbidCleared {
                    pool: pool(),
                    bid,
                    market,
                });
            }
        }
    }
    for (key, now) in &next.cloudspaces {
        let Some(was) = prev.cloudspaces.get(key) else {
            continue;
        };
        if was.phase != now.phase {
            out.push(Change::Phase {
                cloudspace: now.name.clone(),
                vm: now.vm,
                from: was.phase.clone(),
                to: now.phase.clone(),
            });
        }
        if was.health != now.health {
            out.push(Change::Health {
                cloudspace: now.name.clone(),
                vm: now.vm,
                from: was.health.clone(),
                to: now.health.clone(),
            });
        }
    }
    for (key, now) in &next.autopilot {
        // A pool new since `prev` is being packed up to its target: its first state, not a
        // fall below it.
        let Some(was) = prev.autopilot.get(key) else {
            continue;
        };
        if let (true, false, Some(m), Some(t)) = (
            now.under_target(),
            was.under_target(),
            now.managed_vcpus,
            now.target_vcpus,
        ) {
            out.push(Change::AutopilotUnderTarget {
                pool: now.name.clone(),
                cloudspace: now.cloudspace.clone(),
                managed_vcpus: m,
                target_vcpus: t,
            });
        }
    }
    for (key, now) in &next.vm_servers {
        if !prev.vm_servers.contains_key(key) {
            out.push(Change::VmServerAdded {
                vmcloudspace: now.vmcloudspace.clone(),
                server: now.server.clone(),
                pool: now.pool.clone(),
            });
        }
        if let Some(error) = &now.error
            && prev.vm_servers.get(key).and_then(|w| w.error.as_ref()) != Some(error)
        {
            out.push(Change::VmServerError {
                vmcloudspace: now.vmcloudspace.clone(),
                server: now.server.clone(),
                pool: now.pool.clone(),
                error: error.clone(),
            });
        }
    }
    for (key, was) in &prev.vm_servers {
        if !next.vm_servers.contains_key(key) {
            out.push(Change::VmServerRemoved {
                vmcloudspace: was.vmcloudspace.clone(),
                server: was.server.clone(),
                pool: was.pool.clone(),
            });
        }
    }
    let seen: HashSet<&str> = prev.events.iter().map(String::as_str).collect();
    for entry in next.events.iter().rev() {
        if seen.contains(entry.as_str()) {
            continue;
        }
        let (time, message) = entry.split_once(' ').unwrap_or((entry.as_str(), ""));
        out.push(Change::OrgEvent {
            time: time.to_string(),
            message: message.to_string(),
        });
    }
    out
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
