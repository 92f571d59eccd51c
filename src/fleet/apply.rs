//! Carrying a plan out: cloudspaces created and changed before their pools, pools deleted
//! before their cloudspace; a saved plan checked against the account first.

use std::sync::Arc;

use serde::Serialize;

use super::live::{self, CloudSpaceState, PoolState};
use super::plan::{Change, ObjectKind, ObjectRef, Observed, PLAN_VERSION, Plan, Target};
use super::planner::observed;
use super::{Fleet, pool_name};
use crate::error::{ConflictReason, Error, Result};
use crate::pricing::Bid;
use crate::pricing::guard::SpendLimits;
use crate::resource::Org;
use crate::services::{
    CloudSpaceCreate, CloudSpaceUpdate, OnDemandPoolCreate, PoolCommon, PoolUpdate, SpotPoolCreate,
    SpotPoolUpdate, WaitOptions,
};

/// What was done to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Created.
    Created,
    /// Changed.
    Updated,
    /// Deleted.
    Deleted,
    /// A create found the object there already (an earlier, interrupted apply made it).
    AlreadyThere,
    /// A delete found the object gone already.
    AlreadyGone,
    /// Nothing sent (`dry_run`).
    DryRun,
}

/// One object's step of an apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The object.
    pub object: ObjectRef,
    /// What was done.
    pub outcome: Outcome,
}

/// Called after each object.
pub type ProgressFn = Arc<dyn Fn(&Applied) + Send + Sync>;

/// How a plan is applied.
#[derive(Clone, Default)]
pub struct ApplyOptions {
    /// Send nothing; report what would be done.
    pub dry_run: bool,
    /// Check first that the account is still as the plan saw it (a saved plan).
    pub verify: bool,
    /// Wait for created cloudspaces and pools to be ready.
    pub wait: Option<WaitOptions>,
    /// Called after each object.
    pub progress: Option<ProgressFn>,
}

impl std::fmt::Debug for ApplyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplyOptions")
            .field("dry_run", &self.dry_run)
            .field("verify", &self.verify)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

/// What an apply did, object by object, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    /// Each object's step.
    pub applied: Vec<Applied>,
}

impl ApplyReport {
    /// How many objects had `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.applied.iter().filter(|a| a.outcome == outcome).count()
    }
}

fn changed_since(object: &ObjectRef, what: &str) -> Error {
    Error::Conflict {
        reason: ConflictReason::ResourceVersion,
        message: format!("{object} {what} since the plan was made; make a new plan"),
    }
}

/// Checks that the account is as `plan` saw it: every object to change, delete or keep holds
/// the state it had, and nothing to create exists. Refuses naming the first object that
/// differs.
pub async fn verify(org: &Org<'_>, plan: &Plan) -> Result<()> {
    let snap = live::snapshot(org).await?;
    if snap.namespace != plan.namespace {
        return Err(Error::invalid(
            "plan",
            format!(
                "the plan was made for {}, not {}",
                plan.namespace, snap.namespace
            ),
        ));
    }
    let seen = |object: &ObjectRef| -> Option<Observed> {
        match object.kind {
            ObjectKind::CloudSpace => snap
                .cloudspaces
                .iter()
                .find(|l| l.name == object.name)
                .map(observed),
            ObjectKind::SpotPool => snap
                .spot
                .iter()
                .find(|l| l.name == object.name)
                .map(observed),
            ObjectKind::OnDemandPool => snap
                .ondemand
                .iter()
                .find(|l| l.name == object.name)
                .map(observed),
        }
    };
    let changes = plan
        .creates
        .iter()
        .chain(&plan.updates)
        .chain(&plan.deletes);
    let expected = changes.map(|c| (&c.object, c.observed.as_ref())).chain(
        plan.unchanged
            .iter()
            .map(|u| (&u.object, Some(&u.observed))),
    );
    for (object, was) in expected {
        match (was, seen(object)) {
            (None, Some(_)) => return Err(changed_since(object, "was created")),
            (Some(_), None) => return Err(changed_since(object, "was deleted")),
            (Some(was), Some(now)) if was.state != now.state => {
                return Err(changed_since(object, "was changed"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Carries `plan` out: cloudspaces created and changed, then pools created and changed, then
/// pools deleted, then cloudspaces deleted. A create that finds its object there already (an
/// interrupted earlier apply) counts as done; a 409 on an update is re-read and retried. Stops
/// at the first error (the next plan and apply finish the job).
pub async fn apply(org: &Org<'_>, plan: &Plan, opts: &ApplyOptions) -> Result<ApplyReport> {
    if plan.version != PLAN_VERSION {
        return Err(Error::invalid(
            "plan",
            format!("plan version {} is not {PLAN_VERSION}", plan.version),
        ));
    }
    if opts.verify {
        verify(org, plan).await?;
    }
    let is_cs = |c: &&Change| c.object.kind == ObjectKind::CloudSpace;
    let mut order: Vec<(&Change, Step)> = Vec::new();
    order.extend(plan.creates.iter().filter(is_cs).map(|c| (c, Step::Create)));
    order.extend(plan.updates.iter().filter(is_cs).map(|c| (c, Step::Update)));
    order.extend(
        plan.creates
            .iter()
            .filter(|c| !is_cs(c))
            .map(|c| (c, Step::Create)),
    );
    order.extend(
        plan.updates
            .iter()
            .filter(|c| !is_cs(c))
            .map(|c| (c, Step::Update)),
    );
    order.extend(
        plan.deletes
            .iter()
            .filter(|c| !is_cs(c))
            .map(|c| (c, Step::Delete)),
    );
    order.extend(plan.deletes.iter().filter(is_cs).map(|c| (c, Step::Delete)));
    let mut report = ApplyReport::default();
    for (change, step) in order {
        let outcome = if opts.dry_run {
            Outcome::DryRun
        } else {
            match step {
                Step::Create => create(org, change).await?,
                Step::Update => with_retry(|| update(org, change)).await?,
                Step::Delete => delete_one(org, &change.object).await?,
            }
        };
        let applied = Applied {
            object: change.object.clone(),
            outcome,
        };
        if let Some(progress) = &opts.progress {
            progress(&applied);
        }
        report.applied.push(applied);
    }
    if let Some(wait) = opts.wait.as_ref().filter(|_| !opts.dry_run) {
        for c in &plan.creates {
            match c.object.kind {
                ObjectKind::CloudSpace => {
                    drop(org.cloudspaces().wait_ready(&c.object.name, wait).await?)
                }
                ObjectKind::SpotPool => {
                    drop(org.spot_pools().wait_ready(&c.object.name, wait).await?)
                }
                ObjectKind::OnDemandPool => drop(
                    org.ondemand_pools()
                        .wait_ready(&c.object.name, wait)
                        .await?,
                ),
            }
        }
    }
    Ok(report)
}

#[derive(Clone, Copy)]
enum Step {
    Create,
    Update,
    Delete,
}

async fn with_retry<F, Fut>(mut f: F) -> Result<Outcome>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Outcome>>,
{
    let mut tries = 0;
    loop {
        match f().await {
            Err(Error::Conflict {
                reason: ConflictReason::ResourceVersion,
                ..
            }) if tries < 3 => tries += 1,
            other => return other,
        }
    }
}

fn target_of(change: &Change) -> Result<&Target> {
    change
        .target
        .as_ref()
        .ok_or_else(|| Error::invalid("plan", format!("{} has no target state", change.object)))
}

fn bid_of(state: &PoolState, object: &ObjectRef) -> Result<Bid> {
    state
        .bid
        .as_deref()
        .ok_or_else(|| Error::invalid("plan", format!("{object} has no bid")))?
        .parse()
}

fn common(name: &str, s: &PoolState) -> PoolCommon {
    let mut req = OnDemandPoolCreate::new(&s.cloudspace, &s.server_class, s.desired).name(name);
    if let Some(a) = s.autoscaling {
        req = req.autoscaling(a.min, a.max);
    }
    let mut c = req.common;
    c.labels = s.labels.clone().unwrap_or_default();
    c.annotations = s.annotations.clone().unwrap_or_default();
    c.taints = taints(s);
    c
}

fn taints(s: &PoolState) -> Vec<crate::services::Taint> {
    s.taints
        .iter()
        .flatten()
        .map(|t| crate::services::Taint {
            key: t.key.clone(),
            value: t.value.clone(),
            effect: t.effect.clone(),
        })
        .collect()
}

/// A create; an object of that name already there is an earlier apply's work.
async fn create(org: &Org<'_>, change: &Change) -> Result<Outcome> {
    let name = change.object.name.as_str();
    let result = match target_of(change)? {
        Target::CloudSpace(s) => create_cloudspace(org, name, s).await,
        Target::Pool(s) => match change.object.kind {
            ObjectKind::SpotPool => {
                let req = SpotPoolCreate {
                    common: common(name, s),
                    bid_price: bid_of(s, &change.object)?,
                };
                let api = org.spot_pools();
                let prepared = api.prepare_create(&req, &SpendLimits::default()).await?;
                api.send_create(prepared).await.map(drop)
            }
            _ => {
                let req = OnDemandPoolCreate {
                    common: common(name, s),
                };
                let api = org.ondemand_pools();
                let prepared = api.prepare_create(&req, &SpendLimits::default()).await?;
                api.send_create(prepared).await.map(drop)
            }
        },
    };
    match result {
        Ok(()) => Ok(Outcome::Created),
        Err(Error::Conflict {
            reason: ConflictReason::AlreadyExists,
            ..
        }) => Ok(Outcome::AlreadyThere),
        Err(e) => Err(e),
    }
}

async fn create_cloudspace(org: &Org<'_>, name: &str, s: &CloudSpaceState) -> Result<()> {
    let mut req = CloudSpaceCreate::new(name).ha_control_plane(s.ha_control_plane.unwrap_or(false));
    if let Some(r) = &s.region {
        req = req.region(r);
    }
    if let Some(v) = &s.kubernetes_version {
        req = req.kubernetes_version(v);
    }
    if let Some(c) = &s.cni {
        req = req.cni(c);
    }
    if let Some(w) = s.webhook.as_deref().filter(|w| !w.is_empty()) {
        req = req.webhook(w);
    }
    org.cloudspaces().create(&req).await.map(drop)
}

async fn update(org: &Org<'_>, change: &Change) -> Result<Outcome> {
    let name = change.object.name.as_str();
    let has = |f: &str| change.fields.iter().any(|c| c.field == f);
    match target_of(change)? {
        Target::CloudSpace(s) => {
            let upd = CloudSpaceUpdate {
                webhook: s.webhook.clone().filter(|_| has("webhook")),
                ha_control_plane: s.ha_control_plane.filter(|_| has("haControlPlane")),
                kubernetes_version: s
                    .kubernetes_version
                    .clone()
                    .filter(|_| has("kubernetesVersion")),
            };
            org.cloudspaces().update(name, &upd).await?;
        }
        Target::Pool(s) => {
            let common = PoolUpdate {
                desired: has("desired").then_some(s.desired),
                autoscaling: has("autoscaling").then(|| {
                    s.autoscaling.map(|a| crate::services::Autoscaling {
                        min_nodes: a.min,
                        max_nodes: a.max,
                    })
                }),
                labels: s.labels.clone().filter(|_| has("labels")),
                annotations: s.annotations.clone().filter(|_| has("annotations")),
                taints: has("taints").then(|| taints(s)),
            };
            if change.object.kind == ObjectKind::SpotPool {
                let bid_price = if has("bid") {
                    Some(bid_of(s, &change.object)?)
                } else {
                    None
                };
                let upd = SpotPoolUpdate { common, bid_price };
                org.spot_pools().update(name, &upd).await?;
            } else {
                org.ondemand_pools().update(name, &common).await?;
            }
        }
    }
    Ok(Outcome::Updated)
}

async fn delete_one(org: &Org<'_>, object: &ObjectRef) -> Result<Outcome> {
    let name = object.name.as_str();
    let result = match object.kind {
        ObjectKind::CloudSpace => org.cloudspaces().delete(name).await,
        ObjectKind::SpotPool => org.spot_pools().delete(name).await,
        ObjectKind::OnDemandPool => org.ondemand_pools().delete(name).await,
    };
    match result {
        Ok(()) => Ok(Outcome::Deleted),
        Err(Error::NotFound { .. }) => Ok(Outcome::AlreadyGone),
        Err(e) => Err(e),
    }
}

/// The plan that tears down everything `fleet` describes and the account holds: its pools,
/// then its cloudspaces (with any other pool they hold, so the cloudspace can go).
pub async fn delete_plan(org: &Org<'_>, fleet: &Fleet) -> Result<Plan> {
    fleet.validate()?;
    let snap = live::snapshot(org).await?;
    let mut plan =
        super::planner::plan_from(&snap, &Fleet::default(), &super::PlanOptions::default())?;
    let wanted: Vec<&str> = fleet.cloudspaces.iter().map(|c| c.name.as_str()).collect();
    let mut names = std::collections::BTreeSet::new();
    for cs in &fleet.cloudspaces {
        for p in cs.spot_pools.iter().chain(&cs.on_demand_pools) {
            names.insert(pool_name(&snap.namespace, &cs.name, p));
        }
    }
    let del = |kind, name: &str, cloudspace: Option<String>, observed: Observed| Change {
        object: ObjectRef {
            kind,
            name: name.to_string(),
            cloudspace,
            key: None,
        },
        fields: Vec::new(),
        observed: Some(observed),
        target: None,
    };
    let mut deletes = Vec::new();
    for (kind, list) in [
        (ObjectKind::SpotPool, &snap.spot),
        (ObjectKind::OnDemandPool, &snap.ondemand),
    ] {
        for l in list.iter().filter(|l| !l.deleting) {
            if names.contains(&l.name) || wanted.contains(&l.state.cloudspace.as_str()) {
                deletes.push(del(
                    kind,
                    &l.name,
                    Some(l.state.cloudspace.clone()),
                    observed(l),
                ));
            }
        }
    }
    for l in snap
        .cloudspaces
        .iter()
        .filter(|l| !l.deleting && wanted.contains(&l.name.as_str()))
    {
        deletes.push(del(ObjectKind::CloudSpace, &l.name, None, observed(l)));
    }
    plan.deletes = deletes;
    plan.unchanged.clear();
    Ok(plan)
}

/// Tears down everything `fleet` describes, pools first, reporting each object.
pub async fn delete(org: &Org<'_>, fleet: &Fleet, opts: &ApplyOptions) -> Result<ApplyReport> {
    let plan = delete_plan(org, fleet).await?;
    apply(
        org,
        &plan,
        &ApplyOptions {
            verify: false,
            wait: None,
            ..opts.clone()
        },
    )
    .await
}
