#![cfg(all(feature = "cli", feature = "emulator"))]
//! Fleets under faults: an apply killed (SIGKILL) after its first create, and one whose
//! requests fail, are finished by the next apply with no duplicate and no leftover; and an
//! export of a randomly generated fleet of every kind plans to no change (property test, SDK).

mod common;

use std::time::{Duration, Instant};

use common::Env;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use rsspot::ResourceExt;
use rsspot::fleet::{self, ApplyOptions, Fleet, FleetBid, FleetCloudSpace, FleetPool, PlanOptions};

fn fleet_text(pools: usize) -> String {
    let mut s = String::from(
        "cloudspaces:\n  - name: resume\n    region: us-central-dfw-1\n    spotPools:\n",
    );
    for i in 0..pools {
        s.push_str(&format!(
            "      - key: p{i}\n        serverClass: gp.vs1.medium-dfw\n        desired: 1\n        bid: 0.02\n"
        ));
    }
    s
}

async fn pool_names(env: &Env) -> Vec<String> {
    let client = env.client().await;
    let org = client.default_org();
    let mut names: Vec<String> = org
        .spot_pools()
        .within("resume")
        .list()
        .await
        .expect("list")
        .iter()
        .map(|p| p.name().to_string())
        .collect();
    names.sort();
    names
}

/// `rsspot apply -f FILE --yes -q` in the background, on `env`'s emulator.
fn spawn_apply(env: &Env, file: &str) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("rsspot"))
        .args(["apply", "-f", file, "--yes", "-q"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("XDG_CACHE_HOME", env.home().join(".cache"))
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .spawn()
        .expect("spawn")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_is_finished_by_the_next_with_no_duplicate() {
    let env = Env::instant().await;
    let path = env.home().join("fleet.yaml");
    std::fs::write(&path, fleet_text(6)).expect("write");
    let file = path.display().to_string();
    // Slow every request so the kill lands mid-apply.
    env.emu.faults().set_latency(Duration::from_millis(150));
    let mut child = spawn_apply(&env, &file);
    let deadline = Instant::now() + Duration::from_secs(60);
    while env.api_requests("POST", "spotnodepools") == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    env.emu.faults().set_latency(Duration::ZERO);
    let created = pool_names(&env).await.len();
    assert!(
        created < 6,
        "the kill landed before the apply finished ({created} pools)"
    );

    env.ok(&["apply", "-f", &file, "--yes"]);
    let names = pool_names(&env).await;
    assert_eq!(names.len(), 6, "no duplicate, none missing: {names:?}");
    let out = env.run(&["diff", "-f", &file, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "no leftover change");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_under_faults_then_a_clean_reapply_leaves_exactly_the_file() {
    let env = Env::instant().await;
    let path = env.home().join("fleet.yaml");
    std::fs::write(&path, fleet_text(4)).expect("write");
    let file = path.display().to_string();
    // Lost write responses: the server made the object, the client never heard.
    env.emu.faults().lose_next_write_responses(2);
    let _ = env.run(&["apply", "-f", &file, "--yes"]);
    env.emu.faults().clear();
    env.ok(&["apply", "-f", &file, "--yes"]);
    assert_eq!(pool_names(&env).await.len(), 4, "no duplicate");
    assert_eq!(env.run(&["diff", "-f", &file]).status.code(), Some(0));
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
    let mut child = spawn_apply(&env, &file);
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
