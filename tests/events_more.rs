//! `rsspot events watch` against the emulator for the event kinds `tests/events.rs` leaves out
//! (issue 28): VM servers added, failing and removed; an autopilot pool falling below its vCPU
//! target (and not a new one while it is being packed); new entries of the organization's own
//! events feed. Each test first checks that the first poll is a baseline (nothing already there
//! is announced).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;
mod events_support;

use std::time::Duration;

use common::Env;
use events_support::{Watch, types};
use serde_json::Value;

const CLASS: &str = "gp.vs1.medium-dfw";
// An autopilot pool name is a lowercase UUID.
const AUTOPILOT: &str = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f";
const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";

/// Applies the fleet document `text` (written to the test's home).
fn apply(env: &Env, text: &str) {
    let path = env.home().join("fleet.yaml");
    std::fs::write(&path, text).unwrap();
    env.ok(&["apply", "-f", path.to_str().unwrap(), "-y", "--wait"]);
}

/// The baseline: announced on stderr, and no event for what was there already.
fn baseline(watch: &Watch) {
    watch.note("baseline");
    let flood = watch.drain(Duration::from_millis(600));
    assert!(flood.is_empty(), "the baseline announced {flood:#?}");
}

/// Events until `count` of type `want` were seen (or 30 s passed); those of type `want`.
fn collect(watch: &Watch, want: &str, count: usize) -> Vec<Value> {
    let mut got: Vec<Value> = Vec::new();
    while got.len() < count {
        let events = watch.until(want);
        got.extend(events.into_iter().filter(|e| e["type"] == want));
    }
    got
}

fn assert_cloudevent(e: &Value) {
    assert_eq!(e["specversion"], "1.0", "{e}");
    assert_eq!(e["source"], "/organizations/demo", "{e}");
    for key in ["id", "time", "subject"] {
        assert!(e[key].as_str().is_some_and(|s| !s.is_empty()), "{e}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn vm_servers_added_failing_and_removed_are_cloudevents() {
    let env = Env::instant().await;
    apply(
        &env,
        &format!(
            "vmSshKeys:\n  - name: me\n    publicKey: \"{SSH_KEY}\"\nvmCloudspaces:\n  - name: \
             builders\n    region: us-central-dfw-1\n    sshKey: me\n"
        ),
    );
    let watch = Watch::start(&env, &[]);
    baseline(&watch);

    env.ok(&[
        "vm-pools",
        "create",
        "--vmcloudspace",
        "builders",
        "--server-class",
        CLASS,
        "--desired",
        "2",
        "--bid-price",
        "0.06",
        "-y",
    ]);
    // The seed has VM pools of its own: the one of `builders`.
    let pools = env.ok_json(&["vm-pools", "list", "-o", "json"]);
    let pool = pools
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["spec"]["vmCloudSpace"] == "builders")
        .and_then(|p| p["metadata"]["name"].as_str())
        .unwrap_or_else(|| panic!("no pool of builders: {pools}"))
        .to_string();
    let added = collect(&watch, "com.rackspace.spot.vm.server_added", 2);
    let mut servers = Vec::new();
    for e in &added {
        assert_cloudevent(e);
        assert_eq!(e["data"]["vmcloudspace"], "builders", "{e}");
        assert_eq!(e["data"]["pool"], pool.as_str(), "{e}");
        let server = e["data"]["server"].as_str().unwrap().to_string();
        assert_eq!(
            e["subject"],
            format!("vmcloudspaces/builders/servers/{server}")
        );
        servers.push(server);
    }
    servers.sort();
    servers.dedup();
    assert_eq!(servers.len(), 2, "{added:#?}");

    assert!(env.emu.fail_server_class(CLASS, "no capacity in dfw"));
    let failed = collect(&watch, "com.rackspace.spot.vm.server_error", 2);
    for e in &failed {
        assert_cloudevent(e);
        assert_eq!(e["data"]["error"], "no capacity in dfw", "{e}");
        assert!(servers.contains(&e["data"]["server"].as_str().unwrap().to_string()));
    }
    // The same error again is not news.
    let later = watch.drain(Duration::from_millis(600));
    assert!(
        !types(&later).iter().any(|t| t.ends_with("vm.server_error")),
        "{later:#?}"
    );

    env.ok(&["vm-pools", "delete", &pool, "-y"]);
    let removed = collect(&watch, "com.rackspace.spot.vm.server_removed", 2);
    let mut gone: Vec<String> = removed
        .iter()
        .map(|e| {
            assert_cloudevent(e);
            assert_eq!(e["data"]["pool"], pool.as_str(), "{e}");
            e["data"]["server"].as_str().unwrap().to_string()
        })
        .collect();
    gone.sort();
    assert_eq!(gone, servers);
    watch.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_autopilot_pool_below_its_target_is_a_cloudevent() {
    let env = Env::instant().await;
    apply(
        &env,
        &format!(
            "cloudspaces:\n  - name: ap\n    region: us-central-dfw-1\n    autopilotPools:\n      \
             - name: {AUTOPILOT}\n        vcpu: 8\n        budgetPerHour: 0.05\n"
        ),
    );
    // Fulfilled before the watch starts: the baseline is at its target.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (classes, children) = loop {
        let ap = env.ok_json(&["np", "autopilot", "get", AUTOPILOT, "-o", "json"]);
        let st = &ap["status"];
        let allocations = st["allocations"].as_array().cloned().unwrap_or_default();
        if st["managedVCPUs"] == 8 && !allocations.is_empty() {
            let field = |f: &str| -> Vec<String> {
                allocations
                    .iter()
                    .filter_map(|a| a[f].as_str().map(str::to_string))
                    .collect()
            };
            break (field("serverClass"), field("spotNodePool"));
        }
        assert!(std::time::Instant::now() < deadline, "not fulfilled: {ap}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let watch = Watch::start(&env, &[]);
    baseline(&watch);

    // Every class it could use fails: its child pools win nothing, and none is left to re-pack
    // into.
    let all = env.ok(&["server-classes", "list", "-o", "name"]).0;
    for class in all.lines().map(str::trim).filter(|c| !c.is_empty()) {
        env.emu.fail_server_class(class, "no capacity");
    }
    let events = watch.until("com.rackspace.spot.autopilot.under_target");
    let under = events.last().unwrap();
    assert_cloudevent(under);
    assert_eq!(
        under["subject"],
        format!("cloudspaces/ap/autopilotnodepools/{AUTOPILOT}"),
        "{under}"
    );
    assert_eq!(under["data"]["pool"], AUTOPILOT);
    assert_eq!(under["data"]["cloudspace"], "ap");
    assert_eq!(under["data"]["target_vcpus"], 8);
    assert!(
        under["data"]["managed_vcpus"].as_i64().unwrap() < 8,
        "{under}"
    );
    // Still under target: announced once, not every poll.
    let later = watch.drain(Duration::from_millis(600));
    assert!(
        !types(&later).iter().any(|t| t.ends_with("under_target")),
        "{later:#?}"
    );
    assert!(!classes.is_empty() && !children.is_empty());
    watch.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_organizations_events_feed_is_merged_in() {
    let env = Env::instant().await;
    // An entry of the feed from before the watch ("CloudSpace before is Ready").
    env.ok(&[
        "cs",
        "create",
        "before",
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
    let watch = Watch::start(&env, &[]);
    baseline(&watch);

    env.ok(&[
        "cs",
        "create",
        "after",
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
    let events = watch.until("com.rackspace.spot.org.event");
    let entry = events.last().unwrap();
    assert_cloudevent(entry);
    assert_eq!(entry["subject"], "events", "{entry}");
    let message = entry["data"]["message"].as_str().unwrap();
    assert!(message.contains("after"), "{entry}");
    assert!(
        entry["data"]["time"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "{entry}"
    );
    // The entry from before the watch never comes; the new one comes once.
    let later = watch.drain(Duration::from_millis(600));
    let all: Vec<&Value> = events.iter().chain(&later).collect();
    let feed: Vec<&str> = all
        .iter()
        .filter(|e| e["type"] == "com.rackspace.spot.org.event")
        .map(|e| e["data"]["message"].as_str().unwrap_or_default())
        .collect();
    assert!(!feed.iter().any(|m| m.contains("before")), "{feed:?}");
    assert_eq!(
        feed.iter().filter(|m| **m == message).count(),
        1,
        "{feed:?}"
    );
    watch.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_autopilot_pool_being_packed_is_not_under_target() {
    // The manual clock: the pool stays at 0 managed vCPUs until the clock moves.
    let env = Env::start().await;
    env.ok(&["cs", "create", "ap", "--region", "us-central-dfw-1"]);
    env.emu.advance(Duration::from_secs(3600));
    let watch = Watch::start(&env, &[]);
    baseline(&watch);
    // Created while watched: it starts at 0 managed vCPUs and is packed up to its target; that
    // is its first state, not a fall below the target.
    env.ok(&[
        "np",
        "autopilot",
        "create",
        AUTOPILOT,
        "--cloudspace",
        "ap",
        "--vcpu",
        "8",
        "--budget-per-hour",
        "0.05",
        "-y",
    ]);
    let events = watch.drain(Duration::from_secs(1));
    assert!(
        !types(&events).iter().any(|t| t.ends_with("under_target")),
        "{events:#?}"
    );
    watch.stop();
}
