//! Fault suite addition for the VM kinds (issue 16): a scripted SDK workload of SSH key, VM
//! cloudspace (with inline pools), VM pool update, webhook update and pools-first delete
//! operations against an emulator injecting 429/5xx, dropped connections and lost write
//! responses. Counted from the journal: no create is carried out twice, and the final state
//! equals the one the script intended.
#![cfg(feature = "emulator")]

use std::collections::BTreeMap;
use std::time::Duration;

use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::retry::RetryConfig;
use rsspot::services::{VmCloudSpaceCreate, VmPoolCreate, VmPoolUpdate, VmSshKeyCreate};
use serde_json::Value;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g ci@suite";
const ROUNDS: usize = 10;
const FAULT_RATE: u32 = 120;
const FAULT_SEED: u64 = 0x5EED_0016;
const API: &str = "/apis/ngpc.rxt.io/v1";

fn created(emu: &Emulator, plural: &str) -> usize {
    emu.journal()
        .iter()
        .filter(|e| e.method == "POST" && e.status == 201)
        .filter(|e| e.path.starts_with(API) && e.path.ends_with(&format!("/{plural}")))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn vm_workload_under_faults() {
    let emu = Emulator::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(RetryConfig {
            max_attempts: 8,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            jitter: 0.0,
            ..Default::default()
        })
        .in_memory_state()
        .cache(false)
        .build()
        .await
        .unwrap();
    let ns = c.namespace(None).await.unwrap();
    let bid = "0.01".parse().unwrap();

    emu.faults().fail_rate(FAULT_RATE, FAULT_SEED);
    let mut ops = 0usize;
    let mut failures = Vec::new();
    macro_rules! op {
        ($what:expr, $fut:expr) => {{
            ops += 1;
            match $fut.await {
                Ok(v) => Some(v),
                Err(e) => {
                    failures.push(format!("{}: {e}", $what));
                    None
                }
            }
        }};
    }
    // Every third write has its answer lost after the server carried it out.
    emu.faults().lose_next_write_responses(1);
    op!(
        "create key",
        c.vm_ssh_keys().create(&VmSshKeyCreate::new("suite", KEY))
    );
    let mut intended: BTreeMap<String, (i64, String)> = BTreeMap::new();
    for r in 0..ROUNDS {
        let name = format!("vf-{r:02}");
        let req = VmCloudSpaceCreate::new(&name, "us-central-dfw-1", "suite")
            .pool(VmPoolCreate::spot("", "gp.vs1.medium-dfw", 1, bid))
            .pool(
                VmPoolCreate::on_demand("", "ch.vs1.xlarge-dfw", 1).user_data(b"#cloud-config\n"),
            );
        if r % 3 == 0 {
            emu.faults().lose_next_write_responses(1);
        }
        let Some(made) = op!(format!("create {name}"), c.vm_cloudspaces().create(&req)) else {
            continue;
        };
        let spot = made.pools[0].metadata.name.clone();
        if r % 3 == 1 {
            emu.faults().lose_next_write_responses(1);
        }
        let update = VmPoolUpdate {
            desired: Some(3),
            bid_price: None,
        };
        op!(format!("scale {spot}"), c.vm_pools().update(&spot, &update));
        let hook = format!("https://hooks.example.com/{name}");
        op!(
            format!("webhook {name}"),
            c.vm_cloudspaces().update_webhook(&name, &hook)
        );
        if r % 2 == 1 {
            if r % 3 == 2 {
                emu.faults().lose_next_write_responses(1);
            }
            op!(
                format!("delete {name}"),
                c.vm_cloudspaces().delete_with_pools(&name)
            );
        } else {
            intended.insert(name, (3, hook));
        }
    }
    let injected = emu.faults().injected();
    emu.faults().clear();

    assert!(
        failures.is_empty(),
        "operations failed under faults: {failures:#?}"
    );
    assert!(injected >= 10, "only {injected} faults injected");
    // 0 duplicates: each create was carried out exactly once.
    assert_eq!(created(&emu, "vmsshkeys"), 1);
    assert_eq!(created(&emu, "vmcloudspaces"), ROUNDS);
    assert_eq!(created(&emu, "vmpools"), 2 * ROUNDS);
    // 0 wrong final states.
    let snap = emu.snapshot();
    let cloudspaces: BTreeMap<String, Value> = snap[&ns]["vmcloudspaces"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with("vf-"))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        cloudspaces.keys().collect::<Vec<_>>(),
        intended.keys().collect::<Vec<_>>()
    );
    for (name, (desired, hook)) in &intended {
        assert_eq!(cloudspaces[name]["spec"]["webhook"], hook.as_str());
        let pools: Vec<&Value> = snap[&ns]["vmpools"]
            .as_object()
            .unwrap()
            .values()
            .filter(|p| p["spec"]["vmCloudSpace"] == name.as_str())
            .collect();
        assert_eq!(pools.len(), 2, "{name}");
        let spot = pools
            .iter()
            .find(|p| p["spec"]["poolType"] == "spot")
            .unwrap();
        assert_eq!(spot["spec"]["desired"], *desired, "{name}");
    }
    let orphans = snap[&ns]["vmpools"]
        .as_object()
        .unwrap()
        .values()
        .filter(|p| {
            let cs = p["spec"]["vmCloudSpace"].as_str().unwrap_or_default();
            cs.starts_with("vf-") && !intended.contains_key(cs)
        })
        .count();
    assert_eq!(orphans, 0, "pools left behind by deletes");
    println!(
        "vm fault suite: {ops} operations, {injected} faults injected, {} requests, 0 duplicates, 0 wrong final states",
        emu.journal().len()
    );
}
