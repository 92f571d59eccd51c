//! Autopilot pools make real spot pools (issue 16, official shape per #24): the emulator packs
//! the vCPU target into spot node pools of the cloudspace, traceable to the autopilot pool under
//! either answer of the `autopilot-owner` variant; their nodes are won servers; a new target
//! resizes them; deleting the autopilot pool, or the cloudspace through the CLI, leaves nothing
//! billed.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use rsspot::emulator::{AutopilotOwner, EmulatorOptions, Lifecycle, Variants};
use rsspot::services::{AutopilotPoolCreate, AutopilotPoolUpdate, CloudSpaceCreate, WaitOptions};
use serde_json::Value;

const CLASS_CPU: i64 = 2;

async fn env_with(owner: AutopilotOwner) -> common::Env {
    common::Env::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        variants: Variants {
            autopilot_owner: owner,
            ..Variants::default()
        },
        ..Default::default()
    })
    .await
}

async fn client(env: &common::Env) -> rsspot::SpotClient {
    rsspot::SpotClient::builder()
        .all_urls(env.emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .cache(false)
        .build()
        .await
        .unwrap()
}

/// The emulator's own spot pools and autopilot pools of a cloudspace.
fn stored(env: &common::Env, plural: &str, cloudspace: &str) -> Vec<Value> {
    let ns = env.emu.seed().orgs[0].namespace();
    env.emu.snapshot()[&ns]
        .get(plural)
        .and_then(Value::as_object)
        .map(|m| {
            m.values()
                .filter(|p| p["spec"]["cloudSpace"] == cloudspace)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn servers(env: &common::Env, cloudspace: &str) -> usize {
    let ns = env.emu.seed().orgs[0].namespace();
    env.emu.snapshot()[&ns]["cloudspaces"][cloudspace]["status"]["assignedServers"]
        .as_object()
        .map_or(0, |m| m.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_sees_the_pools_an_autopilot_pool_makes() {
    let env = env_with(AutopilotOwner::Label).await;
    let c = client(&env).await;
    c.cloudspaces()
        .create(&CloudSpaceCreate::new("ap-cli").region("us-central-dfw-1"))
        .await
        .unwrap();
    let made = env.ok_json(&[
        "-o",
        "json",
        "nodepools",
        "autopilot",
        "create",
        "--cloudspace",
        "ap-cli",
        "--vcpu",
        "8",
        "--min-vcpu-per-node",
        "2",
        "--max-vcpu-per-node",
        "2",
        "--budget-per-hour",
        "1",
        "--wait",
        "--timeout",
        "30s",
    ]);
    let ap = made["metadata"]["name"].as_str().unwrap().to_string();
    assert_eq!(made["status"]["managedVCPUs"], 8, "{made}");
    let spot = env.ok_json(&[
        "-o",
        "json",
        "nodepools",
        "spot",
        "list",
        "--cloudspace",
        "ap-cli",
    ]);
    let spot = spot.as_array().unwrap();
    assert_eq!(spot.len(), 1, "{spot:?}");
    let pool = &spot[0];
    assert_eq!(
        pool["metadata"]["labels"]["ngpc.rxt.io/autopilotnodepool"],
        ap.as_str(),
        "{pool}"
    );
    assert_eq!(pool["spec"]["desired"], 8 / CLASS_CPU, "{pool}");
    assert_eq!(
        made["status"]["allocations"][0]["spotNodePool"], pool["metadata"]["name"],
        "{made}"
    );
    // Its nodes are won servers of the cloudspace, like any pool's.
    assert_eq!(servers(&env, "ap-cli"), 4);

    // A new target resizes the pool it made.
    env.ok_json(&[
        "-o",
        "json",
        "np",
        "autopilot",
        "update",
        &ap,
        "--vcpu",
        "12",
    ]);
    env.ok_json(&["np", "autopilot", "wait", &ap, "--timeout", "30s"]);
    let spot = stored(&env, "spotnodepools", "ap-cli");
    assert_eq!(spot.len(), 1);
    assert_eq!(spot[0]["spec"]["desired"], 6, "{:?}", spot[0]);
    assert_eq!(servers(&env, "ap-cli"), 6);

    // Deleting the autopilot pool removes what it made.
    env.ok_json(&["--yes", "np", "autopilot", "delete", &ap]);
    let spot = env.ok_json(&[
        "-o",
        "json",
        "nodepools",
        "spot",
        "list",
        "--cloudspace",
        "ap-cli",
    ]);
    assert_eq!(spot, serde_json::json!([]));
    assert_eq!(servers(&env, "ap-cli"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudspace_delete_leaves_no_autopilot_pools_behind() {
    let env = env_with(AutopilotOwner::Label).await;
    let c = client(&env).await;
    c.cloudspaces()
        .create(&CloudSpaceCreate::new("ap-gone").region("us-central-dfw-1"))
        .await
        .unwrap();
    env.ok_json(&[
        "np",
        "autopilot",
        "create",
        "--cloudspace",
        "ap-gone",
        "--vcpu",
        "4",
        "--budget-per-hour",
        "1",
        "--wait",
        "--timeout",
        "30s",
    ]);
    assert_eq!(stored(&env, "spotnodepools", "ap-gone").len(), 1);
    let out = env.ok_json(&["-o", "json", "--yes", "cloudspaces", "delete", "ap-gone"]);
    assert_eq!(
        out["autopilot_pools"].as_array().map(Vec::len),
        Some(1),
        "{out}"
    );
    // The default `cascade-delete=no` keeps whatever the teardown forgets: nothing may be left.
    // One more request lets the emulator's controllers run after the delete.
    env.ok_json(&["-o", "json", "nodepools", "spot", "list"]);
    assert_eq!(
        stored(&env, "spotnodepools", "ap-gone"),
        Vec::<Value>::new()
    );
    assert_eq!(
        stored(&env, "autopilotnodepools", "ap-gone"),
        Vec::<Value>::new()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_traces_made_pools_under_both_owner_variants() {
    for owner in [AutopilotOwner::Label, AutopilotOwner::OwnerReference] {
        let env = env_with(owner).await;
        let c = client(&env).await;
        c.cloudspaces()
            .create(&CloudSpaceCreate::new("ap-sdk").region("us-central-dfw-1"))
            .await
            .unwrap();
        let ap = c
            .autopilot_pools()
            .create(&AutopilotPoolCreate::new("ap-sdk", 6, "1".parse().unwrap()).per_node(2, 2))
            .await
            .unwrap();
        let name = ap.metadata.name.clone();
        let opts = WaitOptions::with_timeout(std::time::Duration::from_secs(30));
        let ready = c.autopilot_pools().wait_ready(&name, &opts).await.unwrap();
        let uid = ready.metadata.uid.clone().unwrap();
        let pools = c.spot_pools().within(Some("ap-sdk")).list().await.unwrap();
        assert_eq!(pools.len(), 1, "{owner}");
        assert_eq!(pools[0].spec.desired, Some(3), "{owner}");
        let doc = &stored(&env, "spotnodepools", "ap-sdk")[0];
        match owner {
            AutopilotOwner::Label => {
                assert_eq!(
                    doc["metadata"]["labels"]["ngpc.rxt.io/autopilotnodepool"],
                    name
                );
                assert!(doc["metadata"].get("ownerReferences").is_none(), "{doc}");
            }
            AutopilotOwner::OwnerReference => {
                let r = &doc["metadata"]["ownerReferences"][0];
                assert_eq!(r["kind"], "AutopilotNodePool", "{doc}");
                assert_eq!(
                    (r["name"].as_str(), r["uid"].as_str()),
                    (Some(&*name), Some(&*uid))
                );
                assert!(
                    doc["metadata"]["labels"]
                        .get("ngpc.rxt.io/autopilotnodepool")
                        .is_none(),
                    "{doc}"
                );
            }
        }
        // A made pool deleted by hand comes back: the controller owns it.
        let made = pools[0].metadata.name.clone();
        c.spot_pools().delete(&made).await.unwrap();
        let again = c.spot_pools().within(Some("ap-sdk")).list().await.unwrap();
        assert_eq!(again.len(), 1, "{owner}");

        // A smaller target shrinks the pool it made; waiting means the vCPUs are won.
        let upd = AutopilotPoolUpdate::new().vcpu_total(4);
        c.autopilot_pools().update(&name, &upd).await.unwrap();
        let ap = c.autopilot_pools().wait_ready(&name, &opts).await.unwrap();
        assert_eq!(rsspot::services::autopilot::vcpu_progress(&ap), (4, 4));
        let pools = c.spot_pools().within(Some("ap-sdk")).list().await.unwrap();
        assert_eq!(pools[0].spec.desired, Some(2), "{owner}");

        c.autopilot_pools().delete(&name).await.unwrap();
        assert!(
            c.spot_pools()
                .within(Some("ap-sdk"))
                .list()
                .await
                .unwrap()
                .is_empty()
        );
    }
}
