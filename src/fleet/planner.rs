//! The planner: the fleet file against one snapshot of the account, object by object.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::Serialize;

use super::live::{CloudSpaceState, Live, PoolState, Snapshot};
use super::model::{BidRule, Fleet, FleetCloudSpace, FleetPool, pool_label};
use super::plan::*;
use crate::error::{Error, Result};
use crate::pricing::guard::{self, Concern};
use crate::pricing::view::MONTH_HOURS;

pub(super) fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

pub(crate) fn observed<S: Serialize>(live: &Live<S>) -> Observed {
    Observed {
        resource_version: live.resource_version.clone(),
        state: json(&live.state),
    }
}

pub(super) fn field<T: Serialize + PartialEq>(
    out: &mut Vec<FieldChange>,
    name: &str,
    old: &T,
    new: &T,
) {
    if old != new {
        out.push(FieldChange {
            field: name.into(),
            old: json(old),
            new: json(new),
        });
    }
}

/// The cloudspace fields that differ (only those the file gives); region and CNI cannot change.
fn cloudspace_fields(
    cs: &FleetCloudSpace,
    live: &CloudSpaceState,
) -> Result<(Vec<FieldChange>, CloudSpaceState)> {
    for (name, want, have) in [
        ("region", &cs.region, &live.region),
        ("cni", &cs.cni, &live.cni),
    ] {
        if want.is_some() && have.is_some() && want != have {
            return Err(Error::invalid(
                format!("{}.{name}", cs.name),
                format!(
                    "cannot change from {} to {} in place; create a cloudspace of another name",
                    json(have),
                    json(want)
                ),
            ));
        }
    }
    let target = CloudSpaceState {
        region: cs.region.clone().or(live.region.clone()),
        cni: cs.cni.clone().or(live.cni.clone()),
        kubernetes_version: cs
            .kubernetes_version
            .clone()
            .or(live.kubernetes_version.clone()),
        ha_control_plane: cs.ha_control_plane.or(live.ha_control_plane),
        webhook: cs.webhook.clone().or(live.webhook.clone()),
    };
    let mut out = Vec::new();
    field(
        &mut out,
        "kubernetesVersion",
        &live.kubernetes_version,
        &target.kubernetes_version,
    );
    field(
        &mut out,
        "haControlPlane",
        &live.ha_control_plane,
        &target.ha_control_plane,
    );
    field(&mut out, "webhook", &live.webhook, &target.webhook);
    Ok((out, target))
}

/// The pool's wanted state over what is there (fields the file leaves out keep their value).
fn pool_target(
    pool: &FleetPool,
    cloudspace: &str,
    bid: Option<String>,
    live: Option<&PoolState>,
) -> PoolState {
    PoolState {
        cloudspace: cloudspace.to_string(),
        server_class: pool.server_class.clone(),
        desired: pool.desired,
        autoscaling: pool.autoscaling,
        bid,
        labels: pool
            .labels
            .clone()
            .or_else(|| live.and_then(|l| l.labels.clone())),
        annotations: pool
            .annotations
            .clone()
            .or_else(|| live.and_then(|l| l.annotations.clone())),
        taints: pool
            .taints
            .clone()
            .or_else(|| live.and_then(|l| l.taints.clone())),
    }
}

fn pool_fields(live: &PoolState, target: &PoolState) -> Vec<FieldChange> {
    let mut out = Vec::new();
    field(&mut out, "desired", &live.desired, &target.desired);
    field(
        &mut out,
        "autoscaling",
        &live.autoscaling,
        &target.autoscaling,
    );
    field(&mut out, "bid", &live.bid, &target.bid);
    field(&mut out, "labels", &live.labels, &target.labels);
    field(
        &mut out,
        "annotations",
        &live.annotations,
        &target.annotations,
    );
    field(&mut out, "taints", &live.taints, &target.taints);
    out
}

pub(super) struct Planner<'a> {
    pub(super) snap: &'a Snapshot,
    pub(super) opts: &'a PlanOptions,
    pub(super) plan: Plan,
    pub(super) hourly_after: Decimal,
    pub(super) kept: BTreeSet<(ObjectKind, String)>,
}

/// Makes the plan of `fleet` against `snap` (no request).
pub fn plan_from(snap: &Snapshot, fleet: &Fleet, opts: &PlanOptions) -> Result<Plan> {
    fleet.validate()?;
    let mut p = Planner {
        snap,
        opts,
        plan: Plan {
            version: PLAN_VERSION,
            namespace: snap.namespace.clone(),
            prune: opts.prune,
            creates: Vec::new(),
            updates: Vec::new(),
            deletes: Vec::new(),
            unchanged: Vec::new(),
            cost: Cost::default(),
            concerns: Vec::new(),
        },
        hourly_after: Decimal::ZERO,
        kept: BTreeSet::new(),
    };
    for key in &fleet.vm_ssh_keys {
        p.ssh_key(key)?;
    }
    for cs in &fleet.cloudspaces {
        p.cloudspace(cs)?;
    }
    for cs in &fleet.vm_cloudspaces {
        p.vm_cloudspace(cs)?;
    }
    p.prune_and_cost();
    Ok(p.plan)
}

impl Planner<'_> {
    fn cloudspace(&mut self, cs: &FleetCloudSpace) -> Result<()> {
        let object = ObjectRef {
            kind: ObjectKind::CloudSpace,
            name: cs.name.clone(),
            cloudspace: None,
            key: None,
        };
        self.kept.insert((ObjectKind::CloudSpace, cs.name.clone()));
        let live = self.snap.cloudspaces.iter().find(|c| c.name == cs.name);
        let region = match live {
            None => {
                let (_, target) = cloudspace_fields(cs, &CloudSpaceState::default())?;
                let region = target.region.clone();
                self.plan.creates.push(Change {
                    object,
                    fields: Vec::new(),
                    observed: None,
                    target: Some(Target::CloudSpace(target)),
                });
                region
            }
            Some(live) => {
                let (fields, target) = cloudspace_fields(cs, &live.state)?;
                let region = live.state.region.clone();
                if fields.is_empty() {
                    self.plan.unchanged.push(Unchanged {
                        object,
                        observed: observed(live),
                    });
                } else {
                    self.plan.updates.push(Change {
                        object,
                        fields,
                        observed: Some(observed(live)),
                        target: Some(Target::CloudSpace(target)),
                    });
                }
                region
            }
        };
        for pool in &cs.spot_pools {
            self.pool(cs, pool, ObjectKind::SpotPool, region.as_deref())?;
        }
        for pool in &cs.on_demand_pools {
            self.pool(cs, pool, ObjectKind::OnDemandPool, region.as_deref())?;
        }
        for pool in &cs.autopilot_pools {
            self.autopilot(cs, pool, region.as_deref())?;
        }
        Ok(())
    }

    fn pool(
        &mut self,
        cs: &FleetCloudSpace,
        pool: &FleetPool,
        kind: ObjectKind,
        region: Option<&str>,
    ) -> Result<()> {
        let label = pool_label(&cs.name, pool);
        let name = super::pool_name(&self.snap.namespace, &cs.name, pool);
        let (same, other) = match kind {
            ObjectKind::SpotPool => (&self.snap.spot, &self.snap.ondemand),
            _ => (&self.snap.ondemand, &self.snap.spot),
        };
        let found: Vec<&Live<PoolState>> = same.iter().filter(|l| l.name == name).collect();
        if found.len() > 1 || other.iter().any(|l| l.name == name) {
            return Err(Error::invalid(
                label,
                format!(
                    "ambiguous: more than one live pool is named {name} (a spot and an on-demand pool?); give the pool another key"
                ),
            ));
        }
        let live = found.first().copied();
        if let Some(l) = live
            && l.state.cloudspace != cs.name
        {
            return Err(Error::invalid(
                label,
                format!(
                    "pool {name} is in cloudspace {:?}, not {:?}",
                    l.state.cloudspace, cs.name
                ),
            ));
        }
        self.kept.insert((kind, name.clone()));
        let (class, row) = self.snap.classes.get(&pool.server_class).ok_or_else(|| {
            Error::invalid(
                format!("{label}.serverClass"),
                format!("server class {:?} does not exist", pool.server_class),
            )
        })?;
        if let Some(region) = region
            && !class.region.is_empty()
            && class.region != region
        {
            return Err(Error::invalid(
                format!("{label}.serverClass"),
                format!(
                    "server class {} is in {}, but cloudspace {} is in {region}",
                    class.name, class.region, cs.name
                ),
            ));
        }
        let object = ObjectRef {
            kind,
            name,
            cloudspace: Some(cs.name.clone()),
            key: pool.key.clone(),
        };
        let bid = match pool.bid.as_ref().map(|b| b.rule(&label)).transpose()? {
            None => None,
            Some(BidRule::Price(b)) => Some(b),
            Some(BidRule::Advice(_)) if live.is_some() && !self.opts.rebid => live
                .and_then(|l| l.state.bid.as_deref())
                .and_then(|b| b.parse().ok()),
            Some(BidRule::Advice(risk)) => Some(crate::pricing::advice::advise(row, risk).bid),
        };
        if let Some(b) = bid {
            guard::check_floor(b, class)
                .map_err(|e| Error::invalid(format!("{label}.bid"), e.to_string()))?;
        }
        let target = pool_target(
            pool,
            &cs.name,
            bid.map(|b| b.api_form()),
            live.map(|l| &l.state),
        );
        self.hourly_after += self.snap.node_price(&target) * Decimal::from(target.desired);
        let concerns = |changed_bid: bool, changed_desired: bool| -> Vec<Concern> {
            let mut c = match bid {
                Some(b) => guard::assess_spot(b, target.desired, class, &self.opts.limits),
                None => guard::assess_on_demand(target.desired, class, &self.opts.limits),
            };
            c.retain(|c| match c {
                Concern::BidAboveOnDemand { .. } | Concern::OffLadder { .. } => changed_bid,
                Concern::DesiredAboveAvailable { .. } => changed_desired,
                Concern::MonthlyOverLimit { .. } => true,
            });
            c
        };
        let (concerns, change) = match live {
            None => (concerns(true, true), Some((Vec::new(), None))),
            Some(l) => {
                if l.state.server_class != target.server_class {
                    return Err(Error::invalid(
                        format!("{label}.serverClass"),
                        format!(
                            "cannot change from {} to {} in place; give the pool a new key",
                            l.state.server_class, target.server_class
                        ),
                    ));
                }
                let fields = pool_fields(&l.state, &target);
                if fields.is_empty() {
                    self.plan.unchanged.push(Unchanged {
                        object: object.clone(),
                        observed: observed(l),
                    });
                    (Vec::new(), None)
                } else {
                    let has = |f: &str| fields.iter().any(|c| c.field == f);
                    (
                        concerns(has("bid"), has("desired")),
                        Some((fields, Some(observed(l)))),
                    )
                }
            }
        };
        let object_text = object.to_string();
        self.plan
            .concerns
            .extend(concerns.into_iter().map(|c| PlanConcern {
                object: object_text.clone(),
                needs_confirmation: c.needs_confirmation(),
                message: c.to_string(),
            }));
        if let Some((fields, observed)) = change {
            let change = Change {
                object,
                fields,
                target: Some(Target::Pool(target)),
                observed,
            };
            if change.observed.is_none() {
                self.plan.creates.push(change);
            } else {
                self.plan.updates.push(change);
            }
        }
        Ok(())
    }

    /// Deletes (with prune) and the cost of everything the file does not touch.
    fn prune_and_cost(&mut self) {
        let snap = self.snap;
        let mut before = self.prune_and_cost_more();
        let more_deletes = std::mem::take(&mut self.plan.deletes);
        let mut untouched = Decimal::ZERO;
        let mut pool_deletes = Vec::new();
        let mut deleted_cs: BTreeMap<String, Change> = BTreeMap::new();
        for (kind, pools) in [
            (ObjectKind::SpotPool, &snap.spot),
            (ObjectKind::OnDemandPool, &snap.ondemand),
        ] {
            for l in pools {
                let now = snap.node_price(&l.state) * Decimal::from(l.nodes_now);
                before += now;
                if self.kept.contains(&(kind, l.name.clone())) || l.deleting {
                    continue;
                }
                if self.opts.prune {
                    pool_deletes.push(Change {
                        object: ObjectRef {
                            kind,
                            name: l.name.clone(),
                            cloudspace: Some(l.state.cloudspace.clone()),
                            key: None,
                        },
                        fields: Vec::new(),
                        observed: Some(observed(l)),
                        target: None,
                    });
                } else {
                    untouched += snap.node_price(&l.state) * Decimal::from(l.state.desired);
                }
            }
        }
        if self.opts.prune {
            for l in &snap.cloudspaces {
                if !l.deleting
                    && !self
                        .kept
                        .contains(&(ObjectKind::CloudSpace, l.name.clone()))
                {
                    deleted_cs.insert(
                        l.name.clone(),
                        Change {
                            object: ObjectRef {
                                kind: ObjectKind::CloudSpace,
                                name: l.name.clone(),
                                cloudspace: None,
                                key: None,
                            },
                            fields: Vec::new(),
                            observed: Some(observed(l)),
                            target: None,
                        },
                    );
                }
            }
        }
        self.plan.deletes = pool_deletes;
        self.plan.deletes.extend(deleted_cs.into_values());
        self.plan.deletes.extend(more_deletes);
        // Pools first, then cloudspaces, then keys: the order an apply deletes in.
        self.plan
            .deletes
            .sort_by_key(|c| std::cmp::Reverse(c.object.kind.rank()));
        let hours = Decimal::from(MONTH_HOURS);
        let after = self.hourly_after + untouched;
        self.plan.cost = Cost {
            hourly_before: before.round_dp(4).normalize(),
            hourly_after: after.round_dp(4).normalize(),
            monthly_before: (before * hours).round_dp(2).normalize(),
            monthly_after: (after * hours).round_dp(2).normalize(),
        };
    }
}
