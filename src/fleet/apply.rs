//! Carrying a plan out: cloudspaces created and changed before their pools, pools deleted
//! before their cloudspace; a saved plan checked against the account first.

use std::sync::Arc;

use serde::Serialize;

use super::live::{self, Snapshot};
use super::plan::{Change, ObjectKind, ObjectRef, Observed, PLAN_VERSION, Plan};
use super::planner::{Managed, object, observed};
use super::steps::{Outcome, create, delete_one, update};
use super::{Fleet, autopilot_name, pool_name, vm_pool_name};
use crate::error::{ConflictReason, Error, Result};
use crate::resource::Org;
use crate::services::WaitOptions;

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
    /// Change nothing; report what would be done. Each step is sent with `dryRun=All` where
    /// the service takes it (outcome [`Outcome::Validated`]), else checked locally only
    /// ([`Outcome::DryRun`]).
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
    let seen = |object: &ObjectRef| seen_in(&snap, object);
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

/// What `snap` holds of `object`.
fn seen_in(snap: &Snapshot, object: &ObjectRef) -> Option<Observed> {
    fn find<S: Serialize>(list: &[live::Live<S>], name: &str) -> Option<Observed> {
        list.iter().find(|l| l.name == name).map(observed)
    }
    let name = object.name.as_str();
    match object.kind {
        ObjectKind::CloudSpace => find(&snap.cloudspaces, name),
        ObjectKind::SpotPool => find(&snap.spot, name),
        ObjectKind::OnDemandPool => find(&snap.ondemand, name),
        ObjectKind::AutopilotPool => find(&snap.autopilot, name),
        ObjectKind::VmSshKey => find(&snap.ssh_keys, name),
        ObjectKind::VmCloudSpace => find(&snap.vm_cloudspaces, name),
        ObjectKind::VmPool => find(&snap.vm_pools, name),
    }
}

/// The order a plan is carried out in: per rank (keys, cloudspaces, pools) its creates then
/// its updates; then the deletes, pools first, keys last.
fn order(plan: &Plan) -> Vec<(&Change, Step)> {
    let mut order: Vec<(&Change, Step)> = Vec::new();
    for rank in 0..=2 {
        let of_rank = |c: &&Change| c.object.kind.rank() == rank;
        order.extend(
            plan.creates
                .iter()
                .filter(of_rank)
                .map(|c| (c, Step::Create)),
        );
        order.extend(
            plan.updates
                .iter()
                .filter(of_rank)
                .map(|c| (c, Step::Update)),
        );
    }
    for rank in (0..=2).rev() {
        let of_rank = |c: &&Change| c.object.kind.rank() == rank;
        order.extend(
            plan.deletes
                .iter()
                .filter(of_rank)
                .map(|c| (c, Step::Delete)),
        );
    }
    order
}

/// Whether a dry-run step can be sent with `dryRun=All`: not when what it needs (its
/// cloudspace, or a VM cloudspace's key) is only created by this plan, since a dry run
/// creates nothing.
fn server_checkable(plan: &Plan, change: &Change) -> bool {
    !plan.creates.iter().any(|c| {
        let parent_of_pool = c.object.kind.rank() == 1
            && change.object.kind.rank() == 2
            && change.object.cloudspace.as_deref() == Some(c.object.name.as_str());
        let key_of_cloudspace =
            c.object.kind == ObjectKind::VmSshKey && change.object.kind == ObjectKind::VmCloudSpace;
        parent_of_pool || key_of_cloudspace
    })
}

/// Whether `e` is the service refusing the `dryRun` parameter itself (a 400 naming it), not
/// the write it was sent with.
fn refuses_dry_run(e: &Error) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    text.contains("dryrun") || text.contains("dry run") || text.contains("dry-run")
}

/// One step. Each kind's create, update and delete is a large future (every kind's request in one
/// `match`); boxed, so an apply's frame stays small on a task's stack.
async fn step(org: &Org<'_>, change: &Change, step: Step) -> Result<Outcome> {
    match step {
        Step::Create => Box::pin(create(org, change)).await,
        Step::Update => Box::pin(with_retry(|| update(org, change))).await,
        Step::Delete => Box::pin(delete_one(org, &change.object)).await,
    }
}

/// Carries `plan` out: cloudspaces created and changed, then pools created and changed, then
/// pools deleted, then cloudspaces deleted. A create that finds its object there already (an
/// interrupted earlier apply) counts as done; a 409 on an update is re-read and retried. Stops
/// at the first error (the next plan and apply finish the job).
pub async fn apply(org: &Org<'_>, plan: &Plan, opts: &ApplyOptions) -> Result<ApplyReport> {
    // Boxed: every kind's requests live in this future; inline, a caller's future (and the
    // stack that polls it in a debug build) would carry them all.
    Box::pin(run(org, plan, opts)).await
}

async fn run(org: &Org<'_>, plan: &Plan, opts: &ApplyOptions) -> Result<ApplyReport> {
    if plan.version != PLAN_VERSION {
        return Err(Error::invalid(
            "plan",
            format!("plan version {} is not {PLAN_VERSION}", plan.version),
        ));
    }
    if opts.verify {
        verify(org, plan).await?;
    }
    let mut report = ApplyReport::default();
    let dry_client = org.client().server_dry_run();
    let dry = org.on(&dry_client);
    let mut refused = std::collections::BTreeSet::new();
    for (change, how) in order(plan) {
        let outcome = if !opts.dry_run {
            step(org, change, how).await?
        } else if refused.contains(&change.object.kind) || !server_checkable(plan, change) {
            Outcome::DryRun
        } else {
            match step(&dry, change, how).await {
                Ok(_) => Outcome::Validated,
                Err(e) if refuses_dry_run(&e) => {
                    tracing::debug!(kind = %change.object.kind, error = %e, "dryRun=All not taken; checked locally");
                    refused.insert(change.object.kind);
                    Outcome::DryRun
                }
                Err(e) => return Err(e),
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
                ObjectKind::AutopilotPool => drop(
                    org.autopilot_pools()
                        .wait_ready(&c.object.name, wait)
                        .await?,
                ),
                ObjectKind::VmCloudSpace => drop(
                    org.vm_cloudspaces()
                        .wait_until_running(&c.object.name, wait)
                        .await?,
                ),
                ObjectKind::VmSshKey | ObjectKind::VmPool => {}
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
        for p in &cs.autopilot_pools {
            names.insert(autopilot_name(&snap.namespace, &cs.name, p));
        }
    }
    let vm_wanted: Vec<&str> = fleet
        .vm_cloudspaces
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    for cs in &fleet.vm_cloudspaces {
        for p in &cs.vm_pools {
            names.insert(vm_pool_name(&snap.namespace, &cs.name, p));
        }
    }
    let keys: Vec<&str> = fleet.vm_ssh_keys.iter().map(|k| k.name.as_str()).collect();
    let mut deletes = Vec::new();
    let pool = |l: &str, parent: Option<&str>, parents: &[&str]| {
        names.contains(l) || parents.contains(&parent.unwrap_or_default())
    };
    deletes_of(
        ObjectKind::AutopilotPool,
        &snap.autopilot,
        &mut deletes,
        |n, p| pool(n, p, &wanted),
    );
    deletes_of(ObjectKind::VmPool, &snap.vm_pools, &mut deletes, |n, p| {
        pool(n, p, &vm_wanted)
    });
    deletes_of(
        ObjectKind::VmCloudSpace,
        &snap.vm_cloudspaces,
        &mut deletes,
        |n, _| vm_wanted.contains(&n),
    );
    deletes_of(
        ObjectKind::VmSshKey,
        &snap.ssh_keys,
        &mut deletes,
        |n, _| keys.contains(&n),
    );
    deletes_of(ObjectKind::SpotPool, &snap.spot, &mut deletes, |n, p| {
        pool(n, p, &wanted)
    });
    deletes_of(
        ObjectKind::OnDemandPool,
        &snap.ondemand,
        &mut deletes,
        |n, p| pool(n, p, &wanted),
    );
    deletes_of(
        ObjectKind::CloudSpace,
        &snap.cloudspaces,
        &mut deletes,
        |n, _| wanted.contains(&n),
    );
    deletes.sort_by_key(|c| std::cmp::Reverse(c.object.kind.rank()));
    plan.deletes = deletes;
    plan.unchanged.clear();
    Ok(plan)
}

/// The deletes of the live objects of `kind` (not being deleted already) that `chosen` picks by
/// name and parent.
fn deletes_of<S: Managed>(
    kind: ObjectKind,
    list: &[live::Live<S>],
    out: &mut Vec<Change>,
    chosen: impl Fn(&str, Option<&str>) -> bool,
) {
    for l in list
        .iter()
        .filter(|l| !l.deleting && chosen(&l.name, l.state.parent()))
    {
        out.push(Change {
            object: object(kind, &l.name, l.state.parent(), None),
            fields: Vec::new(),
            observed: Some(observed(l)),
            target: None,
        });
    }
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
