//! One step of an apply per kind: the create, update or delete of one object of a plan, sent
//! through the kind's service (its local checks included).

use serde::Serialize;

use super::live::{CloudSpaceState, PoolState};
use super::live_more::{AutopilotState, VmPoolState};
use super::plan::{Change, ObjectKind, ObjectRef, Target};
use crate::error::{ConflictReason, Error, Result};
use crate::pricing::Bid;
use crate::pricing::guard::SpendLimits;
use crate::raw::types::{OnDemandNodePool, SpotNodePool};
use crate::resource::Org;
use crate::services::{
    AutopilotPoolCreate, AutopilotPoolUpdate, CloudSpaceCreate, CloudSpaceUpdate, NodePoolKind,
    OnDemandPoolCreate, PoolCommon, PoolUpdate, VmCloudSpaceCreate, VmPoolCreate, VmPoolUpdate,
    VmSshKeyCreate,
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
    /// Nothing sent (`dry_run`), checked locally only: the service does not take
    /// `dryRun=All` for this kind, or the object's parent is itself only planned.
    DryRun,
    /// Sent with `dryRun=All` (`dry_run`): the service checked it and changed nothing.
    Validated,
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
    fleet_taints(&s.taints)
}

/// A node pool's create, the same for both kinds (a spot pool's target carries its bid).
async fn create_pool<K: NodePoolKind>(
    org: &Org<'_>,
    name: &str,
    s: &PoolState,
    object: &ObjectRef,
) -> Result<()> {
    let bid = match s.bid {
        Some(_) => Some(bid_of(s, object)?),
        None => None,
    };
    let req = K::create_request(common(name, s), bid)?;
    let api = org.api::<K>();
    let prepared = K::prepare_create(&api, &req, &SpendLimits::default()).await?;
    api.send_create(prepared).await.map(drop)
}

/// A node pool's update: the changed shared fields and, when it changed, the bid.
async fn update_pool<K: NodePoolKind>(
    org: &Org<'_>,
    name: &str,
    common: PoolUpdate,
    bid: Option<Bid>,
) -> Result<()> {
    let update = K::update_request(common, bid)?;
    org.api::<K>().update(name, &update).await.map(drop)
}

/// A create; an object of that name already there is an earlier apply's work.
pub(super) async fn create(org: &Org<'_>, change: &Change) -> Result<Outcome> {
    let name = change.object.name.as_str();
    let result = match target_of(change)? {
        Target::CloudSpace(s) => create_cloudspace(org, name, s).await,
        Target::SshKey(s) => {
            let mut req = VmSshKeyCreate::new(name, &s.public_key);
            req.description = s.description.clone();
            org.vm_ssh_keys().create(&req).await.map(drop)
        }
        Target::VmCloudSpace(s) => {
            let mut req = VmCloudSpaceCreate::new(
                name,
                s.region.clone().unwrap_or_default(),
                s.ssh_key.clone().unwrap_or_default(),
            );
            req.webhook = s.webhook.clone().filter(|w| !w.is_empty());
            org.vm_cloudspaces().create(&req).await.map(drop)
        }
        Target::VmPool(s) => {
            let req = vm_pool_request(name, s, &change.object)?;
            let api = org.vm_pools();
            let prepared = api
                .prepare_create(&req, None, &SpendLimits::default())
                .await?;
            api.send_create(prepared).await.map(drop)
        }
        Target::Autopilot(s) => {
            let req = autopilot_request(name, s)?;
            org.autopilot_pools().create(&req).await.map(drop)
        }
        Target::Pool(s) => match change.object.kind {
            ObjectKind::SpotPool => create_pool::<SpotNodePool>(org, name, s, &change.object).await,
            _ => create_pool::<OnDemandNodePool>(org, name, s, &change.object).await,
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

fn vm_pool_request(name: &str, s: &VmPoolState, object: &ObjectRef) -> Result<VmPoolCreate> {
    let bid = s
        .bid
        .as_deref()
        .map(str::parse::<Bid>)
        .transpose()
        .map_err(|e| Error::invalid("plan", format!("{object}: {e}")))?;
    Ok(VmPoolCreate {
        name: Some(name.to_string()),
        vm_cloudspace: s.vm_cloudspace.clone(),
        server_class: s.server_class.clone(),
        desired: s.desired,
        pool_type: s.pool_type.parse()?,
        bid_price: bid,
        vm_image: s.image.clone(),
        vm_user_data: s.user_data.clone(),
    })
}

fn price(text: &Option<String>, field: &str) -> Result<rust_decimal::Decimal> {
    text.as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|_| Error::invalid(field, format!("{text:?} is not a price")))
}

fn autopilot_request(name: &str, s: &AutopilotState) -> Result<AutopilotPoolCreate> {
    let budget = price(&s.budget_per_hour, "budgetPerHour")?;
    let mut req = AutopilotPoolCreate::new(&s.cloudspace, s.vcpu, budget).name(name);
    req.region = s.region.clone();
    if let Some(b) = s.vcpu_per_node {
        req = req.per_node(b.min, b.max);
    }
    if let Some(m) = &s.memory_per_vcpu {
        req = req.memory_per_vcpu(m.parse()?);
    }
    if let Some(a) = &s.allocation_strategy {
        req.allocation_strategy = a.parse()?;
    }
    req.labels = s.labels.clone().unwrap_or_default();
    req.annotations = s.annotations.clone().unwrap_or_default();
    req.taints = fleet_taints(&s.taints);
    Ok(req)
}

fn fleet_taints(t: &Option<Vec<super::model::FleetTaint>>) -> Vec<crate::services::Taint> {
    t.iter()
        .flatten()
        .map(|t| crate::services::Taint {
            key: t.key.clone(),
            value: t.value.clone(),
            effect: t.effect.clone(),
        })
        .collect()
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

pub(super) async fn update(org: &Org<'_>, change: &Change) -> Result<Outcome> {
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
        Target::SshKey(_) => {
            return Err(Error::invalid(
                "plan",
                format!("{}: a VM SSH key cannot change in place", change.object),
            ));
        }
        Target::VmCloudSpace(s) => {
            let webhook = s.webhook.clone().unwrap_or_default();
            org.vm_cloudspaces().update_webhook(name, &webhook).await?;
        }
        Target::VmPool(s) => {
            let upd = VmPoolUpdate {
                desired: has("desired").then_some(s.desired),
                bid_price: match s.bid.as_deref().filter(|_| has("bid")) {
                    Some(b) => Some(b.parse()?),
                    None => None,
                },
            };
            org.vm_pools().update(name, &upd).await?;
        }
        Target::Autopilot(s) => {
            let upd = AutopilotPoolUpdate {
                vcpu_total: has("vcpu").then_some(s.vcpu),
                budget_per_hour: match has("budgetPerHour") {
                    true => Some(price(&s.budget_per_hour, "budgetPerHour")?),
                    false => None,
                },
                vcpu_per_node: s
                    .vcpu_per_node
                    .filter(|_| has("vcpuPerNode"))
                    .map(|b| (b.min, b.max)),
                memory_per_vcpu: match s
                    .memory_per_vcpu
                    .as_deref()
                    .filter(|_| has("memoryPerVCPU"))
                {
                    Some(m) => Some(m.parse()?),
                    None => None,
                },
                allocation_strategy: match s
                    .allocation_strategy
                    .as_deref()
                    .filter(|_| has("allocationStrategy"))
                {
                    Some(a) => Some(a.parse()?),
                    None => None,
                },
                labels: s.labels.clone().filter(|_| has("labels")),
                annotations: s.annotations.clone().filter(|_| has("annotations")),
                taints: has("taints").then(|| fleet_taints(&s.taints)),
            };
            org.autopilot_pools().update(name, &upd).await?;
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
            let bid = match has("bid") {
                true => Some(bid_of(s, &change.object)?),
                false => None,
            };
            match change.object.kind {
                ObjectKind::SpotPool => update_pool::<SpotNodePool>(org, name, common, bid).await?,
                _ => update_pool::<OnDemandNodePool>(org, name, common, bid).await?,
            }
        }
    }
    Ok(Outcome::Updated)
}

pub(super) async fn delete_one(org: &Org<'_>, object: &ObjectRef) -> Result<Outcome> {
    let name = object.name.as_str();
    let result = match object.kind {
        ObjectKind::CloudSpace => org.cloudspaces().delete(name).await,
        ObjectKind::SpotPool => org.spot_pools().delete(name).await,
        ObjectKind::OnDemandPool => org.ondemand_pools().delete(name).await,
        ObjectKind::AutopilotPool => org.autopilot_pools().delete(name).await,
        ObjectKind::VmSshKey => org.vm_ssh_keys().delete(name).await,
        ObjectKind::VmCloudSpace => org.vm_cloudspaces().delete(name).await,
        ObjectKind::VmPool => org.vm_pools().delete(name).await,
    };
    match result {
        Ok(()) => Ok(Outcome::Deleted),
        Err(Error::NotFound { .. }) => Ok(Outcome::AlreadyGone),
        Err(e) => Err(e),
    }
}
