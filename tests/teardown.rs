//! Teardown that leaves nothing billed: `cloudspaces delete` (SDK and CLI) deletes the
//! cloudspace's spot and on-demand pools itself, then the cloudspace, so no pool survives on a
//! server that does not cascade. The checks count the pool DELETEs in the emulator's journal
//! (they pass whether or not the emulator cascades) and list pools through a fresh client.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::pricing::Bid;
use rsspot::services::{CloudSpaceCreate, OnDemandPoolCreate, SpotPoolCreate};

const API: &str = "/apis/ngpc.rxt.io/v1";

fn options() -> EmulatorOptions {
    EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    }
}

async fn client_for(emu: &Emulator) -> SpotClient {
    SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await
        .unwrap()
}

fn bid(s: &str) -> Bid {
    s.parse().unwrap()
}

/// Requests with `method` to a path under the API containing `part`, in journal order.
fn hits(emu: &Emulator, method: &str, part: &str) -> Vec<String> {
    emu.journal()
        .into_iter()
        .filter(|e| e.method.eq_ignore_ascii_case(method))
        .filter(|e| e.path.starts_with(API) && e.path.contains(part))
        .map(|e| e.path)
        .collect()
}

/// Cloudspace `name` in dfw with two spot pools and one on-demand pool; returns pool names.
async fn cluster(c: &SpotClient, name: &str) -> Vec<String> {
    let cs = CloudSpaceCreate::new(name).region("us-central-dfw-1");
    c.cloudspaces().create(&cs).await.unwrap();
    let mut pools = Vec::new();
    for _ in 0..2 {
        let req = SpotPoolCreate::new(name, "gp.vs1.medium-dfw", 1, bid("0.02"));
        let p = c.spot_pools().create(&req).await.unwrap();
        pools.push(p.metadata.name);
    }
    let req = OnDemandPoolCreate::new(name, "ch.vs1.xlarge-dfw", 1);
    let p = c.ondemand_pools().create(&req).await.unwrap();
    pools.push(p.metadata.name);
    pools
}

/// Pools of `cloudspace` seen by a fresh client (no cache), by `spec.cloudSpace`.
async fn pools_left(emu: &Emulator, cloudspace: &str) -> usize {
    let fresh = client_for(emu).await;
    let spot = fresh.spot_pools().list().await.unwrap();
    let od = fresh.ondemand_pools().list().await.unwrap();
    let of = |cs: &str| cs == cloudspace;
    spot.iter().filter(|p| of(&p.spec.cloud_space)).count()
        + od.iter().filter(|p| of(&p.spec.cloud_space)).count()
}

#[tokio::test]
async fn sdk_deletes_every_pool_before_the_cloudspace() {
    let emu = Emulator::start_with(options()).await.unwrap();
    let c = client_for(&emu).await;
    let pools = cluster(&c, "doomed").await;
    let neighbours = cluster(&c, "neighbour").await;
    emu.clear_journal();

    let report = c.cloudspaces().delete_with_pools("doomed").await.unwrap();
    assert_eq!(report.cloudspace, "doomed");
    assert_eq!(report.spot_pools.len(), 2, "{report:?}");
    assert_eq!(report.ondemand_pools, vec![pools[2].clone()]);
    for p in &pools[..2] {
        assert!(report.spot_pools.contains(p), "{report:?}");
    }

    // One DELETE per pool, sent by us (not left to a cascade), then the cloudspace.
    let spot_deletes = hits(&emu, "DELETE", "/spotnodepools/");
    let od_deletes = hits(&emu, "DELETE", "/ondemandnodepools/");
    assert_eq!(spot_deletes.len(), 2, "{spot_deletes:?}");
    assert_eq!(od_deletes.len(), 1, "{od_deletes:?}");
    let order: Vec<String> = hits(&emu, "DELETE", "/");
    assert_eq!(order.len(), 4, "{order:?}");
    assert!(order[3].contains("/cloudspaces/doomed"), "{order:?}");
    // The neighbour's pools were not touched.
    for p in &neighbours {
        assert!(!order.iter().any(|d| d.ends_with(p.as_str())), "{order:?}");
    }

    let wait = rsspot::services::WaitOptions::with_timeout(std::time::Duration::from_secs(10))
        .interval(std::time::Duration::from_millis(10));
    c.cloudspaces()
        .wait_until_gone(&report, &wait)
        .await
        .unwrap();
    assert_eq!(pools_left(&emu, "doomed").await, 0);
    assert_eq!(pools_left(&emu, "neighbour").await, 3);

    // A missing cloudspace is NotFound and deletes nothing.
    emu.clear_journal();
    let gone = c.cloudspaces().delete_with_pools("doomed").await;
    assert!(
        matches!(gone, Err(rsspot::Error::NotFound { ref kind, .. }) if kind == "cloudspace"),
        "{gone:?}"
    );
    assert!(hits(&emu, "DELETE", "/").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_reports_what_it_deleted_and_missing_is_exit_3() {
    let env = common::Env::start_with(options()).await;
    let c = client_for(&env.emu).await;
    let pools = cluster(&c, "demo").await;
    env.emu.clear_journal();

    let out = env
        .cmd()
        .args([
            "cloudspaces",
            "delete",
            "demo",
            "--yes",
            "--wait",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let stderr = common::stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("go with it"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["cloudspace"], "demo");
    assert_eq!(report["spot_pools"].as_array().unwrap().len(), 2);
    assert_eq!(report["ondemand_pools"], serde_json::json!([pools[2]]));
    assert_eq!(hits(&env.emu, "DELETE", "nodepools/").len(), 3);
    assert_eq!(pools_left(&env.emu, "demo").await, 0);

    // Table: one row per deleted object.
    let c2 = client_for(&env.emu).await;
    cluster(&c2, "demo2").await;
    let out = env
        .cmd()
        .args(["cloudspaces", "delete", "demo2", "-y", "-o", "table"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let table = common::stdout_of(&out);
    assert_eq!(table.lines().count(), 5, "{table}");
    assert!(table.contains("on-demand pool"), "{table}");

    // Missing: not found, exit 3, one line; --ignore-not-found: exit 0 with a note.
    let out = env
        .cmd()
        .args(["cloudspaces", "delete", "no-such", "-y"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(
        err.starts_with("error: cloudspace \"no-such\" not found"),
        "{err}"
    );
    let out = env
        .cmd()
        .args([
            "cloudspaces",
            "delete",
            "no-such",
            "-y",
            "--ignore-not-found",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("not found"));
    assert!(out.stdout.is_empty());
}
