#![cfg(all(feature = "cli", feature = "emulator"))]
//! Fleets under faults: an apply killed (SIGKILL) after its first pool create, then one whose
//! requests fail (under every emulator variant setting; every kind under the default), are
//! finished by the next apply with no duplicate and no leftover; and an
//! export of a randomly generated fleet of every kind plans to no change (property test, SDK).

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{Env, variant_options};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rsspot::ResourceExt;
use rsspot::emulator::{Fault, VariantSetting};
use rsspot::fleet::{
    self, ApplyOptions, Fleet, FleetBid, FleetCloudSpace, FleetPool, ObjectKind, PlanOptions,
};

type Check = Result<(), String>;

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Check {
    if ok { Ok(()) } else { Err(what()) }
}

/// A small fleet of the kinds every variant touches: a key, a cloudspace with two spot pools
/// and an on-demand pool, a VM cloudspace with a VM pool.
const KILL_FLEET: &str = r#"
vmSshKeys:
  - name: kv-key
    publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host"
cloudspaces:
  - name: kv-web
    region: us-central-dfw-1
    spotPools:
      - {key: a, serverClass: gp.vs1.medium-dfw, desired: 1, bid: 0.02}
      - {key: b, serverClass: gp.vs1.medium-dfw, desired: 1, bid: 0.02}
    onDemandPools:
      - {key: base, serverClass: gp.vs1.medium-dfw, desired: 1}
vmCloudspaces:
  - name: kv-vms
    region: us-central-dfw-1
    sshKey: kv-key
    vmPools:
      - {key: v, serverClass: gp.vs1.medium-dfw, desired: 1, bid: 0.02}
"#;

/// What the account holds of the kill fleet's cloudspaces and key: (kind, name), sorted, one
/// entry per object (a duplicate shows as a second entry of its kind).
async fn held(org: &rsspot::Org<'_>) -> Result<Vec<(ObjectKind, String)>, String> {
    fn live<K: ResourceExt>(
        kind: ObjectKind,
        list: rsspot::Result<Vec<K>>,
    ) -> Result<Vec<(ObjectKind, String)>, String> {
        Ok(list
            .map_err(|e| e.to_string())?
            .iter()
            // Pools are listed within the fleet's cloudspaces; keys and cloudspaces by name.
            .filter(|o| !o.is_deleting() && (kind.rank() == 2 || o.name().starts_with("kv-")))
            .map(|o| (kind, o.name().to_string()))
            .collect())
    }
    let mut held = live(ObjectKind::VmSshKey, org.vm_ssh_keys().list().await)?;
    held.extend(live(
        ObjectKind::CloudSpace,
        org.cloudspaces().list().await,
    )?);
    held.extend(live(
        ObjectKind::VmCloudSpace,
        org.vm_cloudspaces().list().await,
    )?);
    held.extend(live(
        ObjectKind::SpotPool,
        org.spot_pools().within("kv-web").list().await,
    )?);
    held.extend(live(
        ObjectKind::OnDemandPool,
        org.ondemand_pools().within("kv-web").list().await,
    )?);
    held.extend(live(
        ObjectKind::VmPool,
        org.vm_pools().within("kv-vms").list().await,
    )?);
    held.sort();
    Ok(held)
}

/// Under one variant setting: `rsspot apply` SIGKILLed as soon as its first pool create has
/// landed; then an apply under faults (a dropped connection, 503s, a 429, a lost write
/// response); then a clean apply. Afterwards the account is the file: a plan shows no change,
/// each object of the file is there once (per kind and name), and a pruning plan deletes
/// only what the seed held before.
async fn killed_then_faulted(setting: VariantSetting) -> Check {
    let env = Env::start_with(variant_options(setting)).await;
    let path = env.home().join("fleet.yaml");
    std::fs::write(&path, KILL_FLEET).map_err(|e| e.to_string())?;
    let wanted = Fleet::load(&path).map_err(|e| format!("load: {e}"))?;
    // The CLI's state file: under token rotation, the CLI and this client hand the rotated
    // refresh token to each other through it.
    let client = rsspot::SpotClient::builder()
        .all_urls(env.emu.base_url())
        .refresh_token("demo-token")
        .state_path(env.state_db())
        .build()
        .await
        .map_err(|e| format!("client: {e}"))?;
    let org = client.default_org();
    let plan_of = |prune: bool| {
        let (org, wanted) = (org.clone(), wanted.clone());
        async move {
            let opts = PlanOptions {
                prune,
                ..PlanOptions::default()
            };
            fleet::plan(&org, &wanted, &opts)
                .await
                .map_err(|e| format!("plan: {e}"))
        }
    };
    let prune = PlanOptions {
        prune: true,
        ..PlanOptions::default()
    };
    let seeded: BTreeSet<String> = fleet::plan(&org, &Fleet::default(), &prune)
        .await
        .map_err(|e| format!("plan: {e}"))?
        .deletes
        .iter()
        .map(|c| c.object.name.clone())
        .collect();

    // SIGKILL as soon as the first pool create has landed; the second is held meanwhile, so
    // the kill lands mid-apply.
    let held_for = Duration::from_millis(300);
    env.emu
        .faults()
        .script("POST", "/spotnodepools", 1, 1, Fault::Delay(held_for));
    let file = path.display().to_string();
    let mut child = env.spawn(&["apply", "-f", &file, "--yes", "-q"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.api_requests("POST", "spotnodepools") == 0 {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("the apply ended ({status}) before it made a pool"));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            return Err("the apply made no pool in 60 s".into());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let running = child.try_wait().map_err(|e| e.to_string())?.is_none();
    child.kill().map_err(|e| format!("SIGKILL: {e}"))?;
    child.wait().map_err(|e| e.to_string())?;
    ensure(running, || "the apply finished before the kill".into())?;
    // The held create may still land (the server got it): let it, before going on.
    let held_until = Instant::now() + held_for * 2;
    while env.api_requests("POST", "spotnodepools") < 2 && Instant::now() < held_until {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ensure(env.api_requests("POST", "vmpools") == 0, || {
        "the kill landed after the VM pool".into()
    })?;

    // An apply under faults: whatever it finishes or leaves, the next apply completes it.
    let faults = env.emu.faults();
    faults.clear();
    faults.drop_next_connections(1);
    faults.fail_next(2, 503, None);
    faults.script("*", "/vmpools", 0, 1, Fault::Status(429));
    faults.lose_next_write_responses(1);
    if let Ok(plan) = plan_of(false).await {
        let _ = fleet::apply(&org, &plan, &ApplyOptions::default()).await;
    }
    ensure(faults.injected() >= 4, || {
        format!("only {} faults injected", faults.injected())
    })?;
    faults.clear();

    // A clean re-apply leaves exactly the file.
    let plan = plan_of(false).await?;
    fleet::apply(&org, &plan, &ApplyOptions::default())
        .await
        .map_err(|e| format!("clean apply: {e}"))?;
    let after = plan_of(false).await?;
    ensure(after.in_sync(), || {
        format!("not in sync after the re-apply: {after:?}")
    })?;
    let mut want: Vec<(ObjectKind, String)> = after
        .unchanged
        .iter()
        .map(|u| (u.object.kind, u.object.name.clone()))
        .collect();
    want.sort();
    ensure(want.len() == 7, || {
        format!("7 objects in the plan, got {want:?}")
    })?;
    let got = held(&org).await?;
    ensure(got == want, || {
        format!("duplicates or leftovers: the account holds {got:?}, the file {want:?}")
    })?;
    let pruned: BTreeSet<String> = plan_of(true)
        .await?
        .deletes
        .iter()
        .map(|c| c.object.name.clone())
        .collect();
    ensure(pruned == seeded, || {
        format!("a pruning plan deletes {pruned:?}, not only the seed's {seeded:?}")
    })
}

/// The kill and the faults under every variant setting, each in its own emulator, all at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_then_faulted_apply_is_finished_exactly_under_every_variant() {
    let settings = VariantSetting::all();
    let mut tasks = tokio::task::JoinSet::new();
    for setting in settings.iter().copied() {
        tasks.spawn(async move { (setting, killed_then_faulted(setting).await) });
    }
    let mut failures = Vec::new();
    let mut ran = 0;
    while let Some(r) = tasks.join_next().await {
        let (setting, result) = r.expect("a run panicked");
        ran += 1;
        if let Err(e) = result {
            failures.push(format!("[{setting}] {e}"));
        }
    }
    failures.sort();
    eprintln!(
        "fleet kill and faults: {ran} settings, {} failures",
        failures.len()
    );
    assert_eq!(ran, settings.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

const EVERY_KIND: &str = r#"
vmSshKeys:
  - name: rk-key
    publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host"
cloudspaces:
  - name: rk-web
    region: us-central-dfw-1
    spotPools:
      - {key: a, serverClass: gp.vs1.medium-dfw, desired: 1, bid: 0.02}
    autopilotPools:
      - {key: elastic, vcpu: 4, budgetPerHour: 0.02}
vmCloudspaces:
  - name: rk-vms
    region: us-central-dfw-1
    sshKey: rk-key
    vmPools:
      - {key: v1, serverClass: gp.vs1.medium-dfw, desired: 1, bid: 0.02}
      - {key: v2, serverClass: gp.vs1.medium-dfw, desired: 1, bid: 0.02}
      - {key: v3, serverClass: gp.vs1.medium-dfw, desired: 1, poolType: ondemand}
"#;

/// How many objects of the file's every-kind fleet the account holds, per kind.
async fn every_kind_counts(env: &Env) -> [usize; 4] {
    let client = env.client().await;
    let org = client.default_org();
    let n = |r: rsspot::Result<usize>| r.expect("list");
    [
        n(org
            .vm_ssh_keys()
            .list()
            .await
            .map(|l| l.iter().filter(|k| k.name() == "rk-key").count())),
        // Not the spot pools the autopilot pool made (labelled so under the default variant).
        n(org.spot_pools().within("rk-web").list().await.map(|l| {
            l.iter()
                .filter(|p| !p.labels().contains_key("ngpc.rxt.io/autopilotnodepool"))
                .count()
        })),
        n(org
            .autopilot_pools()
            .list()
            .await
            .map(|l| l.iter().filter(|a| a.spec.cloud_space == "rk-web").count())),
        n(org
            .vm_pools()
            .within("rk-vms")
            .list()
            .await
            .map(|l| l.len())),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_killed_or_faulted_mid_apply_is_finished_with_no_duplicate() {
    let env = Env::instant().await;
    let path = env.home().join("every.yaml");
    std::fs::write(&path, EVERY_KIND).expect("write");
    let file = path.display().to_string();
    // SIGKILL once the VM pools are being created.
    env.emu.faults().set_latency(Duration::from_millis(150));
    let mut child = env.spawn(&["apply", "-f", &file, "--yes", "-q"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.api_requests("POST", "vmpools") == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    env.emu.faults().set_latency(Duration::ZERO);
    let [_, _, _, vm] = every_kind_counts(&env).await;
    assert!(
        vm < 3,
        "the kill landed before the apply finished ({vm} VM pools)"
    );
    // Then lost write answers: the server acts, the client never hears.
    env.emu.faults().lose_next_write_responses(2);
    let _ = env.run(&["apply", "-f", &file, "--yes"]);
    env.emu.faults().clear();
    env.ok(&["apply", "-f", &file, "--yes"]);
    assert_eq!(
        every_kind_counts(&env).await,
        [1, 1, 1, 3],
        "no duplicate, none missing"
    );
    assert_eq!(
        env.run(&["diff", "-f", &file]).status.code(),
        Some(0),
        "no leftover change"
    );
}

const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";
const CLASSES: [&str; 3] = ["gp.vs1.medium-dfw", "gp.vs1.large-dfw", "ch.vs1.xlarge-dfw"];
const BIDS: [&str; 4] = ["0.02", "0.04", "0.06", "0.08"];

/// One generated pool: (kind 0 spot / 1 on-demand, class, desired, autoscaling, label, bid).
type PoolSeed = (u8, usize, u32, bool, Option<u8>, usize);
/// One generated autopilot pool: (vcpu, budget index, per-node bounds, label).
type AutopilotSeed = (u32, usize, bool, Option<u8>);
/// One generated VM pool: (on-demand, class, desired, bid, user data).
type VmPoolSeed = (bool, usize, u32, usize, Option<u8>);

fn pool_seed() -> impl Strategy<Value = PoolSeed> {
    (
        0u8..2,
        0usize..3,
        1u32..4,
        any::<bool>(),
        proptest::option::of(0u8..9),
        0usize..4,
    )
}

/// A fleet of every kind from generated seeds. Keys carry what cannot change in place (the
/// class, the image, the user data), so fleets of later cases plan as updates or creates.
fn build_fleet(
    cloudspaces: Vec<(bool, Vec<PoolSeed>, Vec<AutopilotSeed>)>,
    vms: Vec<Vec<VmPoolSeed>>,
) -> Fleet {
    let mut fleet = Fleet::default();
    for (c, (ha, pools, autopilot)) in cloudspaces.into_iter().enumerate() {
        let mut cs = FleetCloudSpace {
            name: format!("prop-{c}"),
            region: Some("us-central-dfw-1".into()),
            ha_control_plane: Some(ha),
            ..Default::default()
        };
        for (p, (kind, class, desired, scale, label, bid)) in pools.into_iter().enumerate() {
            let mut pool = FleetPool {
                key: Some(format!("k{p}-{class}")),
                server_class: CLASSES[class].into(),
                desired,
                // The service takes one autoscaling spot pool per cloudspace.
                autoscaling: (scale && p == 0).then_some(fleet::FleetAutoscaling {
                    min: 1,
                    max: desired + 2,
                }),
                labels: label.map(|l| [("team".to_string(), format!("t{l}"))].into()),
                ..Default::default()
            };
            if kind == 1 {
                cs.on_demand_pools.push(pool);
            } else {
                pool.bid = Some(FleetBid::Text(BIDS[bid].into()));
                cs.spot_pools.push(pool);
            }
        }
        for (a, (vcpu, budget, per_node, label)) in autopilot.into_iter().enumerate() {
            cs.autopilot_pools.push(fleet::FleetAutopilotPool {
                key: Some(format!("a{a}")),
                vcpu,
                budget_per_hour: fleet::FleetPrice::Text(BIDS[budget].into()),
                vcpu_per_node: per_node.then_some(fleet::FleetAutoscaling { min: 1, max: 8 }),
                labels: label.map(|l| [("team".to_string(), format!("t{l}"))].into()),
                ..Default::default()
            });
        }
        fleet.cloudspaces.push(cs);
    }
    if !vms.is_empty() {
        fleet.vm_ssh_keys.push(fleet::FleetSshKey {
            name: "prop-key".into(),
            public_key: SSH_KEY.into(),
            description: None,
        });
    }
    for (v, pools) in vms.into_iter().enumerate() {
        let mut cs = fleet::FleetVmCloudSpace {
            name: format!("prop-vm-{v}"),
            region: "us-central-dfw-1".into(),
            ssh_key: "prop-key".into(),
            ..Default::default()
        };
        for (p, (on_demand, class, desired, bid, data)) in pools.into_iter().enumerate() {
            let user_data = data.map(|d| {
                let text = format!("#!/bin/sh\necho {d}\n");
                let base64 = rsspot::services::vm_pools::user_data_wire(text.as_bytes());
                fleet::FleetUserData::Base64(fleet::UserDataBase64 { base64 })
            });
            cs.vm_pools.push(fleet::FleetVmPool {
                key: Some(format!("v{p}-{class}-{}", data.map_or(-1, i16::from))),
                server_class: CLASSES[class].into(),
                desired,
                pool_type: on_demand.then(|| "ondemand".into()),
                bid: (!on_demand).then(|| FleetBid::Text(BIDS[bid].into())),
                user_data,
                ..Default::default()
            });
        }
        fleet.vm_cloudspaces.push(cs);
    }
    fleet
}

fn fleet_strategy() -> impl Strategy<Value = Fleet> {
    let autopilot = (
        2u32..9,
        0usize..4,
        any::<bool>(),
        proptest::option::of(0u8..9),
    );
    let cloudspace = (
        any::<bool>(),
        proptest::collection::vec(pool_seed(), 0..4),
        proptest::collection::vec(autopilot, 0..2),
    );
    let vm_pool = (
        any::<bool>(),
        0usize..3,
        1u32..3,
        0usize..4,
        proptest::option::of(0u8..3),
    );
    (
        proptest::collection::vec(cloudspace, 1..3),
        proptest::collection::vec(proptest::collection::vec(vm_pool, 0..3), 0..2),
    )
        .prop_map(|(c, v)| build_fleet(c, v))
}

/// Property: whatever fleet is applied, exporting the account and planning the export (with
/// prune, through its YAML text as `export | diff -f -` goes) finds no change.
#[test]
fn export_of_a_random_fleet_plans_to_no_change() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let env = rt.block_on(Env::instant());
    let client = rt.block_on(env.client());
    let org = client.default_org();
    let config = proptest::test_runner::Config {
        cases: 16,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    };
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&fleet_strategy(), |mut wanted| {
        // Fresh names per case (shrinking included): each case is a fleet of its own.
        let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for cs in &mut wanted.cloudspaces {
            cs.name = format!("{}-c{n}", cs.name);
        }
        for cs in &mut wanted.vm_cloudspaces {
            cs.name = format!("{}-c{n}", cs.name);
        }
        rt.block_on(async {
            let plan = fleet::plan(&org, &wanted, &PlanOptions::default())
                .await
                .map_err(|e| TestCaseError::fail(format!("plan: {e}")))?;
            fleet::apply(&org, &plan, &ApplyOptions::default())
                .await
                .map_err(|e| TestCaseError::fail(format!("apply: {e}")))?;
            let again = fleet::plan(&org, &wanted, &PlanOptions::default())
                .await
                .map_err(|e| TestCaseError::fail(format!("plan: {e}")))?;
            prop_assert!(
                again.in_sync(),
                "the file applied is not in sync: {again:?}"
            );
            let exported = fleet::export(&org, None)
                .await
                .map_err(|e| TestCaseError::fail(format!("export: {e}")))?;
            let text = exported
                .to_yaml()
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            let parsed = Fleet::parse("export.yaml", &text).map_err(|e| {
                TestCaseError::fail(format!("the export does not parse: {e}\n{text}"))
            })?;
            let opts = PlanOptions {
                prune: true,
                ..PlanOptions::default()
            };
            let plan = fleet::plan(&org, &parsed, &opts)
                .await
                .map_err(|e| TestCaseError::fail(format!("plan of the export: {e}")))?;
            prop_assert!(
                plan.in_sync(),
                "export round trip changed something:\n{text}\n{plan:?}"
            );
            Ok(())
        })
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
