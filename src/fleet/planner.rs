//! The planner: the fleet file against one snapshot of the account, object by object.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde::Serialize;

use super::live::{CloudSpaceState, Live, PoolState, Snapshot};
use super::live_more::{AutopilotState, SshKeyState, VmCloudSpaceState, VmPoolState};
use super::model::{BidRule, Fleet, FleetBid, FleetCloudSpace, FleetPool, pool_label};
use super::plan::*;
use crate::error::{Error, Result};
use crate::pricing::Bid;
use crate::pricing::guard;
use crate::pricing::view::{ClassInput, MONTH_HOURS, PriceRow};

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

/// What the generic planning path needs of a kind's managed state: the parent it lives in.
/// Each kind of the fleet declares it once here; finding, recording and pruning are shared.
pub(super) trait Managed: Serialize {
    /// The cloudspace (or VM cloudspace) a pool lives in; `None` for top-level objects.
    fn parent(&self) -> Option<&str> {
        None
    }
}

impl Managed for CloudSpaceState {}

impl Managed for SshKeyState {}

impl Managed for VmCloudSpaceState {}

impl Managed for PoolState {
    fn parent(&self) -> Option<&str> {
        Some(&self.cloudspace)
    }
}

impl Managed for VmPoolState {
    fn parent(&self) -> Option<&str> {
        Some(&self.vm_cloudspace)
    }
}

impl Managed for AutopilotState {
    fn parent(&self) -> Option<&str> {
        Some(&self.cloudspace)
    }
}

/// How errors name a pool kind and its parent, and what they add to an ambiguous match.
fn words(kind: ObjectKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        ObjectKind::VmPool => ("VM pool", "VM cloudspace", ""),
        ObjectKind::AutopilotPool => ("autopilot pool", "cloudspace", ""),
        _ => (
            "pool",
            "cloudspace",
            " (a spot and an on-demand pool?); give the pool another key",
        ),
    }
}

/// The reference of an object of `kind`.
pub(super) fn object(
    kind: ObjectKind,
    name: &str,
    parent: Option<&str>,
    key: Option<&String>,
) -> ObjectRef {
    ObjectRef {
        kind,
        name: name.to_string(),
        cloudspace: parent.map(str::to_string),
        key: key.cloned(),
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

impl<'s> Planner<'s> {
    /// Records a create, an update or an unchanged object.
    pub(super) fn record<S: Serialize>(
        &mut self,
        object: ObjectRef,
        live: Option<&Live<S>>,
        fields: Vec<FieldChange>,
        target: Target,
    ) {
        match live {
            None => self.plan.creates.push(Change {
                object,
                fields: Vec::new(),
                observed: None,
                target: Some(target),
            }),
            Some(l) if fields.is_empty() => self.plan.unchanged.push(Unchanged {
                object,
                observed: observed(l),
            }),
            Some(l) => self.plan.updates.push(Change {
                object,
                fields,
                observed: Some(observed(l)),
                target: Some(target),
            }),
        }
    }

    /// The live object of `kind` named `name` (kept from pruning): refused when more than one
    /// could be it (`clash`: a live object of another kind with that name), or when it lives
    /// in another parent than `parent`.
    pub(super) fn find_live<S: Managed>(
        &mut self,
        kind: ObjectKind,
        list: &'s [Live<S>],
        clash: &[Live<S>],
        name: &str,
        label: &str,
        parent: &str,
    ) -> Result<Option<&'s Live<S>>> {
        let (noun, parent_noun, hint) = words(kind);
        let mut found = list.iter().filter(|l| l.name == name);
        let live = found.next();
        if found.next().is_some() || clash.iter().any(|l| l.name == name) {
            return Err(Error::invalid(
                label,
                format!("ambiguous: more than one live {noun} is named {name}{hint}"),
            ));
        }
        if let Some(have) = live.and_then(|l| l.state.parent())
            && have != parent
        {
            return Err(Error::invalid(
                label,
                format!("{noun} {name} is in {parent_noun} {have:?}, not {parent:?}"),
            ));
        }
        self.kept.insert((kind, name.to_string()));
        Ok(live)
    }

    /// The server class of a pool of `kind` and its prices; refused when it does not exist or
    /// is in another region than the pool's parent.
    pub(super) fn class(
        &self,
        kind: ObjectKind,
        server_class: &str,
        label: &str,
        parent: &str,
        region: Option<&str>,
    ) -> Result<&'s (ClassInput, PriceRow)> {
        let snap = self.snap;
        let found @ (class, _) = snap.classes.get(server_class).ok_or_else(|| {
            Error::invalid(
                format!("{label}.serverClass"),
                format!("server class {server_class:?} does not exist"),
            )
        })?;
        if let Some(region) = region
            && !class.region.is_empty()
            && class.region != region
        {
            let parent_noun = words(kind).1;
            return Err(Error::invalid(
                format!("{label}.serverClass"),
                format!(
                    "server class {} is in {}, but {parent_noun} {parent} is in {region}",
                    class.name, class.region
                ),
            ));
        }
        Ok(found)
    }

    /// The bid a pool gets: a price as given; an advice resolved when the pool is created (or
    /// with `rebid`), else the live pool's bid kept.
    pub(super) fn bid(
        &self,
        bid: Option<&FleetBid>,
        label: &str,
        live_bid: Option<Option<&str>>,
        row: &PriceRow,
    ) -> Result<Option<Bid>> {
        Ok(match bid.map(|b| b.rule(label)).transpose()? {
            None => None,
            Some(BidRule::Price(b)) => Some(b),
            Some(BidRule::Advice(_)) if live_bid.is_some() && !self.opts.rebid => {
                live_bid.flatten().and_then(|b| b.parse().ok())
            }
            Some(BidRule::Advice(risk)) => Some(crate::pricing::advice::advise(row, risk).bid),
        })
    }

    fn cloudspace(&mut self, cs: &FleetCloudSpace) -> Result<()> {
        self.kept.insert((ObjectKind::CloudSpace, cs.name.clone()));
        let live = self.snap.cloudspaces.iter().find(|c| c.name == cs.name);
        let had = live.map(|l| l.state.clone()).unwrap_or_default();
        let (fields, target) = cloudspace_fields(cs, &had)?;
        let region = match live {
            None => target.region.clone(),
            Some(l) => l.state.region.clone(),
        };
        let obj = object(ObjectKind::CloudSpace, &cs.name, None, None);
        let ha_asked = live.is_none() || fields.iter().any(|f| f.field == "haControlPlane");
        if ha_asked && target.ha_control_plane == Some(true) {
            let w = guard::assess_ha_control_plane(&self.opts.limits);
            self.concern(
                &obj,
                w.to_string(),
                w.needs_confirmation(),
                w.is_over_limit(),
            );
        }
        self.record(obj, live, fields, Target::CloudSpace(target));
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
        let snap = self.snap;
        let label = pool_label(&cs.name, pool);
        let name = super::pool_name(&snap.namespace, &cs.name, pool);
        let (same, other) = match kind {
            ObjectKind::SpotPool => (&snap.spot, &snap.ondemand),
            _ => (&snap.ondemand, &snap.spot),
        };
        let live = self.find_live(kind, same, other, &name, &label, &cs.name)?;
        let (class, row) = self.class(kind, &pool.server_class, &label, &cs.name, region)?;
        let live_bid = live.map(|l| l.state.bid.as_deref());
        let bid = self.bid(pool.bid.as_ref(), &label, live_bid, row)?;
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
        let per_hour = snap.node_price(&target);
        self.hourly_after += per_hour * Decimal::from(target.desired);
        let mut fields = Vec::new();
        if let Some(l) = live {
            if l.state.server_class != target.server_class {
                return Err(Error::invalid(
                    format!("{label}.serverClass"),
                    format!(
                        "cannot change from {} to {} in place; give the pool a new key",
                        l.state.server_class, target.server_class
                    ),
                ));
            }
            fields = pool_fields(&l.state, &target);
        }
        let obj = object(kind, &name, Some(&cs.name), pool.key.as_ref());
        let max_nodes = pool.autoscaling.map(|a| a.max);
        let created = live.is_none();
        self.assess(
            &obj,
            created,
            &fields,
            bid,
            target.desired,
            max_nodes,
            per_hour,
            class,
        );
        self.record(obj, live, fields, Target::Pool(target));
        Ok(())
    }

    /// Without prune: adds what an object of `kind` the file does not name costs after to
    /// the plan's cost. With prune: deletes it. Returns what the kind costs now.
    fn prune_kind<S: Managed>(
        &mut self,
        kind: ObjectKind,
        list: &[Live<S>],
        now: impl Fn(&Live<S>) -> Decimal,
        after: impl Fn(&Live<S>) -> Decimal,
    ) -> Decimal {
        let mut before = Decimal::ZERO;
        for l in list {
            before += now(l);
            if self.kept.contains(&(kind, l.name.clone())) || l.deleting {
                continue;
            }
            if self.opts.prune {
                self.plan.deletes.push(Change {
                    object: object(kind, &l.name, l.state.parent(), None),
                    fields: Vec::new(),
                    observed: Some(observed(l)),
                    target: None,
                });
            } else {
                self.hourly_after += after(l);
            }
        }
        before
    }

    /// Deletes (with prune) and the cost of everything the file does not touch.
    fn prune_and_cost(&mut self) {
        let snap = self.snap;
        let none = Decimal::ZERO;
        let pool_now = |l: &Live<PoolState>| snap.node_price(&l.state) * Decimal::from(l.nodes_now);
        let pool_after =
            |l: &Live<PoolState>| snap.node_price(&l.state) * Decimal::from(l.state.desired);
        let mut before = self.prune_kind(ObjectKind::SpotPool, &snap.spot, pool_now, pool_after);
        before += self.prune_kind(
            ObjectKind::OnDemandPool,
            &snap.ondemand,
            pool_now,
            pool_after,
        );
        let cloudspaces = self.plan.deletes.len();
        self.prune_kind(
            ObjectKind::CloudSpace,
            &snap.cloudspaces,
            |_| none,
            |_| none,
        );
        self.plan.deletes[cloudspaces..].sort_by(|a, b| a.object.name.cmp(&b.object.name));
        before += self.prune_kind(
            ObjectKind::VmPool,
            &snap.vm_pools,
            |l| snap.vm_price(&l.state) * Decimal::from(l.nodes_now),
            |l| snap.vm_price(&l.state) * Decimal::from(l.state.desired),
        );
        let autopilot_now = |l: &Live<AutopilotState>| {
            snap.autopilot_hourly
                .get(&l.name)
                .copied()
                .unwrap_or_default()
        };
        before += self.prune_kind(
            ObjectKind::AutopilotPool,
            &snap.autopilot,
            autopilot_now,
            autopilot_now,
        );
        self.prune_kind(
            ObjectKind::VmCloudSpace,
            &snap.vm_cloudspaces,
            |_| none,
            |_| none,
        );
        self.prune_kind(ObjectKind::VmSshKey, &snap.ssh_keys, |_| none, |_| none);
        // Pools first, then cloudspaces, then keys: the order an apply deletes in.
        self.plan
            .deletes
            .sort_by_key(|c| std::cmp::Reverse(c.object.kind.rank()));
        let hours = Decimal::from(MONTH_HOURS);
        let after = self.hourly_after;
        self.plan.cost = Cost {
            hourly_before: before.round_dp(4).normalize(),
            hourly_after: after.round_dp(4).normalize(),
            monthly_before: (before * hours).round_dp(2).normalize(),
            monthly_after: (after * hours).round_dp(2).normalize(),
        };
    }
}
