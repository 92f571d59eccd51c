#![cfg(all(feature = "cli", feature = "emulator"))]
//! Fleets under faults: an apply killed (SIGKILL) after its first create, and one whose
//! requests fail, are finished by the next apply with no duplicate and no leftover; and an
//! export of a randomly generated fleet plans to no change (seeded property test, SDK).

mod common;

use std::time::{Duration, Instant};

use common::Env;
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

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_apply_is_finished_by_the_next_with_no_duplicate() {
    let env = Env::instant().await;
    let path = env.home().join("fleet.yaml");
    std::fs::write(&path, fleet_text(6)).expect("write");
    let file = path.display().to_string();
    // Slow every request so the kill lands mid-apply.
    env.emu.faults().set_latency(Duration::from_millis(150));
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("rsspot"))
        .args(["apply", "-f", &file, "--yes", "-q"])
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
        .expect("spawn");
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

/// A small seeded generator (no dependency): xorshift.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn random_fleet(rng: &mut Rng, case: usize) -> Fleet {
    let classes = ["gp.vs1.medium-dfw", "gp.vs1.large-dfw", "ch.vs1.xlarge-dfw"];
    let bids = ["0.02", "0.04", "0.06", "0.08"];
    let mut fleet = Fleet::default();
    for c in 0..=rng.below(2) {
        let mut cs = FleetCloudSpace {
            name: format!("prop-{case}-{c}"),
            region: Some("us-central-dfw-1".into()),
            ha_control_plane: Some(rng.below(2) == 0),
            ..Default::default()
        };
        for p in 0..rng.below(4) {
            let desired = 1 + rng.below(3) as u32;
            let mut pool = FleetPool {
                key: Some(format!("k{p}")),
                server_class: classes[rng.below(3) as usize].into(),
                desired,
                ..Default::default()
            };
            if rng.below(2) == 0 {
                pool.autoscaling = Some(fleet::FleetAutoscaling {
                    min: 1,
                    max: desired + 2,
                });
            }
            if rng.below(2) == 0 {
                pool.labels = Some([("team".to_string(), format!("t{}", rng.below(9)))].into());
            }
            if rng.below(3) == 0 {
                cs.on_demand_pools.push(pool);
            } else {
                pool.bid = Some(FleetBid::Text(bids[rng.below(4) as usize].into()));
                cs.spot_pools.push(pool);
            }
        }
        fleet.cloudspaces.push(cs);
    }
    fleet
}

#[tokio::test(flavor = "multi_thread")]
async fn export_of_a_random_fleet_plans_to_no_change() {
    let env = Env::instant().await;
    let client = env.client().await;
    let org = client.default_org();
    let mut rng = Rng(0x5eed_f1ee7);
    for case in 0..12 {
        let wanted = random_fleet(&mut rng, case);
        let plan = fleet::plan(&org, &wanted, &PlanOptions::default())
            .await
            .expect("plan");
        fleet::apply(&org, &plan, &ApplyOptions::default())
            .await
            .expect("apply");
        let again = fleet::plan(&org, &wanted, &PlanOptions::default())
            .await
            .expect("plan");
        assert!(
            again.in_sync(),
            "case {case}: the file applied is in sync: {again:?}"
        );
        let exported = fleet::export(&org, None).await.expect("export");
        // Through the text form, as `export | diff -f -` goes.
        let text = exported.to_yaml().expect("yaml");
        let parsed = Fleet::parse("export.yaml", &text).expect("parses");
        let opts = PlanOptions {
            prune: true,
            ..PlanOptions::default()
        };
        let plan = fleet::plan(&org, &parsed, &opts).await.expect("plan");
        assert!(
            plan.in_sync(),
            "case {case}: export round trip changed something:\n{text}\n{plan:?}"
        );
    }
}
