//! Declarative fleets: *the account should look like this file*.
//!
//! A [`Fleet`] (YAML or JSON, see `docs/fleet.md`) lists an organization's cloudspaces with
//! their spot and on-demand pools. [`plan`] reads the account once — one list per kind plus
//! the public pricing documents, no request per object — and says what would be created,
//! changed (field by field, old → new) and, with `prune`, deleted, what it costs before and
//! after, and the guardrails' concerns. [`apply`] carries a plan out in dependency order
//! (cloudspaces before their pools; pools deleted before their cloudspace). [`export`] writes
//! what the account holds as a fleet that plans to no change.
//!
//! **Identity without a state file.** A cloudspace is its `name`. A pool is its `name:` when
//! the file gives one (a pool made elsewhere), else [`pool_name`]: the UUIDv5 of
//! `"{org namespace}/{cloudspace}/{key}"` in the namespace [`FLEET_NAMESPACE`]. The same file
//! gives the same names on every machine, so an interrupted apply is finished by the next one
//! without duplicates. A name matched by two live pools (a spot and an on-demand pool) is
//! refused as ambiguous.
//!
//! ```no_run
//! # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
//! use rsspot::fleet::{self, ApplyOptions, Fleet, PlanOptions};
//! let org = client.org("acme");
//! let file = Fleet::parse("fleet.yaml", &std::fs::read_to_string("fleet.yaml").unwrap_or_default())?;
//! let plan = fleet::plan(&org, &file, &PlanOptions::default()).await?;
//! if !plan.in_sync() {
//!     fleet::apply(&org, &plan, &ApplyOptions::default()).await?;
//! }
//! # Ok(()) }
//! ```

mod apply;
mod concerns;
mod export_more;
mod live;
mod live_more;
mod model;
mod model_more;
mod model_values;
mod plan;
mod planner;
mod planner_more;
mod steps;

pub use apply::{
    Applied, ApplyOptions, ApplyReport, ProgressFn, apply, delete, delete_plan, verify,
};
pub use live::{CloudSpaceState, PoolState};
pub use live_more::{AutopilotState, SshKeyState, VmCloudSpaceState, VmPoolState};
pub use model::{
    AdviceBid, AdviceRisk, BidRule, Fleet, FleetAutoscaling, FleetBid, FleetCloudSpace,
    FleetFormat, FleetPool, FleetTaint, pool_label,
};
pub use model_more::{
    FleetAutopilotPool, FleetPrice, FleetSshKey, FleetUserData, FleetVmCloudSpace, FleetVmPool,
    USER_DATA_MAX, UserDataBase64, UserDataFile, autopilot_label, vm_pool_label,
};
pub use plan::{
    Change, Cost, FieldChange, ObjectKind, ObjectRef, Observed, PLAN_VERSION, Plan, PlanConcern,
    PlanOptions, Target, Unchanged,
};
pub use steps::Outcome;

use sha1::Digest;

use crate::error::Result;
use crate::resource::Org;

/// The UUID namespace of derived pool names: a fixed UUID chosen for rsspot, never to change
/// (changing it would rename every pool of every fleet).
pub const FLEET_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x5b0e_0f6c_4b1c_5d4e_9a3e_0c2f_7d61_a8b3);

/// UUIDv5 (RFC 9562 §5.5) of `name` in `namespace`.
fn uuid_v5(namespace: &uuid::Uuid, name: &str) -> uuid::Uuid {
    let mut hash = sha1::Sha1::new();
    hash.update(namespace.as_bytes());
    hash.update(name.as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_sha1_bytes(bytes).into_uuid()
}

/// The name of a pool of the file: its `name:`, else the UUIDv5 of
/// `"{namespace}/{cloudspace}/{key}"` in [`FLEET_NAMESPACE`].
///
/// ```
/// use rsspot::fleet::{FleetPool, pool_name};
/// let pool = FleetPool { key: Some("workers".into()), ..Default::default() };
/// let a = pool_name("org-acme", "web", &pool);
/// assert_eq!(a, pool_name("org-acme", "web", &pool)); // the same everywhere
/// assert_ne!(a, pool_name("org-acme", "api", &pool));
/// assert_eq!(a.len(), 36);
/// ```
pub fn pool_name(namespace: &str, cloudspace: &str, pool: &FleetPool) -> String {
    match (&pool.name, &pool.key) {
        (Some(name), _) => name.clone(),
        (None, key) => uuid_v5(
            &FLEET_NAMESPACE,
            &format!(
                "{namespace}/{cloudspace}/{}",
                key.as_deref().unwrap_or_default()
            ),
        )
        .to_string(),
    }
}

/// The name of a VM pool of the file: its `name:`, else the UUIDv5 of
/// `"{namespace}/vm/{vm cloudspace}/{key}"` in [`FLEET_NAMESPACE`].
pub fn vm_pool_name(namespace: &str, vm_cloudspace: &str, pool: &FleetVmPool) -> String {
    derived(
        namespace,
        &format!("vm/{vm_cloudspace}"),
        &pool.key,
        &pool.name,
    )
}

/// The name of an autopilot pool of the file: its `name:`, else the UUIDv5 of
/// `"{namespace}/{cloudspace}/autopilot/{key}"` in [`FLEET_NAMESPACE`].
pub fn autopilot_name(namespace: &str, cloudspace: &str, pool: &FleetAutopilotPool) -> String {
    derived(
        namespace,
        &format!("{cloudspace}/autopilot"),
        &pool.key,
        &pool.name,
    )
}

fn derived(namespace: &str, parent: &str, key: &Option<String>, name: &Option<String>) -> String {
    match (name, key) {
        (Some(name), _) => name.clone(),
        (None, key) => uuid_v5(
            &FLEET_NAMESPACE,
            &format!(
                "{namespace}/{parent}/{}",
                key.as_deref().unwrap_or_default()
            ),
        )
        .to_string(),
    }
}

/// The plan of `fleet` in `org`: one list per kind plus the pricing documents, read
/// concurrently and uncached; nothing is written.
pub async fn plan(org: &Org<'_>, fleet: &Fleet, opts: &PlanOptions) -> Result<Plan> {
    fleet.validate()?;
    let snap = Box::pin(live::snapshot(org)).await?;
    planner::plan_from(&snap, fleet, opts)
}

/// What `org` holds (or only the cloudspace `cloudspace`) as a fleet: every pool by its
/// `name:`, bids as prices. Planning it against the same account finds no change.
pub async fn export(org: &Org<'_>, cloudspace: Option<&str>) -> Result<Fleet> {
    let snap = Box::pin(live::snapshot(org)).await?;
    let mut fleet = Fleet::default();
    for cs in &snap.cloudspaces {
        if cs.deleting || cloudspace.is_some_and(|c| c != cs.name) {
            continue;
        }
        let s = &cs.state;
        let pools = |list: &[live::Live<PoolState>]| -> Vec<FleetPool> {
            list.iter()
                .filter(|p| !p.deleting && p.state.cloudspace == cs.name)
                .map(|p| FleetPool {
                    key: None,
                    name: Some(p.name.clone()),
                    server_class: p.state.server_class.clone(),
                    desired: p.state.desired,
                    autoscaling: p.state.autoscaling,
                    bid: p.state.bid.clone().map(FleetBid::Text),
                    labels: p.state.labels.clone().filter(|l| !l.is_empty()),
                    annotations: p.state.annotations.clone().filter(|l| !l.is_empty()),
                    taints: p.state.taints.clone().filter(|l| !l.is_empty()),
                })
                .collect()
        };
        fleet.cloudspaces.push(FleetCloudSpace {
            name: cs.name.clone(),
            region: s.region.clone(),
            kubernetes_version: s.kubernetes_version.clone(),
            cni: s.cni.clone(),
            ha_control_plane: s.ha_control_plane,
            webhook: s.webhook.clone().filter(|w| !w.is_empty()),
            spot_pools: pools(&snap.spot),
            on_demand_pools: pools(&snap.ondemand),
            autopilot_pools: export_more::autopilot_pools(&snap, &cs.name),
        });
    }
    if cloudspace.is_none() {
        export_more::vm_kinds(&snap, &mut fleet);
    }
    Ok(fleet)
}

/// The JSON Schema of a fleet file (for editors).
#[cfg(feature = "schema")]
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Fleet)).unwrap_or(serde_json::Value::Null)
}
