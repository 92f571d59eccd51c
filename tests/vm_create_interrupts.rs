//! `vm-cloudspaces create` with two inline pools, interrupted on the second pool (issue 16):
//! by the network (a dropped connection, a lost response, a lost response whose retries all
//! fail) and by Ctrl-C. The end state is always all created or all gone, never half, and no
//! create is carried out twice.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rsspot::emulator::Fault;
use serde_json::Value;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@laptop";
const POOLS: &str = "/vmpools";

/// `(skip, times, fault)` of one scripted rule on `POST .../vmpools`.
type Rule = (u32, u32, Fault);

async fn env_with_key() -> common::Env {
    let env = common::Env::instant().await;
    let client = env.client().await;
    client
        .vm_ssh_keys()
        .create(&rsspot::services::VmSshKeyCreate::new("laptop", KEY))
        .await
        .unwrap();
    env
}

fn create_args(name: &str) -> Vec<String> {
    [
        "--yes",
        "--region",
        "us-central-dfw-1",
        "-o",
        "json",
        "vm-cloudspaces",
        "create",
        name,
        "--vm-ssh-key-name",
        "laptop",
        "--vm-pool",
        "serverclass=gp.vs1.medium-dfw,bidprice=0.01,desired=1",
        "--vm-pool",
        "serverclass=ch.vs1.xlarge-dfw,desired=1,pooltype=ondemand",
    ]
    .map(String::from)
    .to_vec()
}

/// (VM cloudspaces, VM pools) the emulator holds under this name.
fn held(env: &common::Env, name: &str) -> (usize, usize) {
    let ns = env.emu.seed().orgs[0].namespace();
    let snap = env.emu.snapshot();
    let count = |plural: &str, keep: &dyn Fn(&Value) -> bool| {
        snap[&ns][plural]
            .as_object()
            .map_or(0, |m| m.values().filter(|d| keep(d)).count())
    };
    (
        count("vmcloudspaces", &|d| d["metadata"]["name"] == name),
        count("vmpools", &|d| d["spec"]["vmCloudSpace"] == name),
    )
}

/// Creates carried out (201) of a kind: a replayed create must not add one.
fn carried_out(env: &common::Env, plural: &str) -> usize {
    env.emu
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.status == 201 && e.path.ends_with(plural))
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_network_fault_on_the_second_pool_never_leaves_half_a_cloudspace() {
    // (name, scripted faults on POST .../vmpools, whether the create can still succeed)
    let cases: [(&str, &[Rule], bool); 3] = [
        ("vm-drop", &[(1, 1, Fault::Drop)], true),
        ("vm-lost", &[(1, 1, Fault::LoseResponse)], true),
        // Carried out, answer lost, and every replay dropped: the create fails with the pool
        // on the server, which the rollback must find although it never saw it created.
        (
            "vm-gone",
            &[(1, 1, Fault::LoseResponse), (2, 10, Fault::Drop)],
            false,
        ),
    ];
    for (name, faults, succeeds) in cases {
        let env = env_with_key().await;
        for (skip, times, fault) in faults {
            env.emu
                .faults()
                .script("POST", POOLS, *skip, *times, *fault);
        }
        let out = env.cmd().args(create_args(name)).output().unwrap();
        let err = common::stderr_of(&out);
        env.emu.faults().clear();
        assert!(
            env.emu.faults().injected() >= 1,
            "{name}: no fault injected"
        );
        match held(&env, name) {
            (1, 2) => {
                assert!(
                    out.status.success(),
                    "{name}: all created but failed: {err}"
                );
                assert!(succeeds, "{name}: expected the create to fail");
                let made: Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
                assert_eq!(made["metadata"]["name"], name);
            }
            (0, 0) => {
                assert!(!out.status.success(), "{name}: nothing created yet success");
                assert!(!succeeds, "{name}: rolled back although recoverable: {err}");
                assert_eq!(out.status.code(), Some(1), "{name}: {err}");
            }
            half => panic!("{name}: half state {half:?} (exit {:?}): {err}", out.status),
        }
        // 0 duplicates: one cloudspace and at most two pools were ever carried out.
        assert_eq!(carried_out(&env, "/vmcloudspaces"), 1, "{name}");
        assert_eq!(carried_out(&env, POOLS), 2, "{name}");
    }
}

/// `rsspot ARGS` as a child process (so it can be sent SIGINT), configured as `Env::cmd` does.
fn spawn(env: &common::Env, args: &[String]) -> std::process::Child {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("rsspot"));
    for (k, _) in std::env::vars() {
        if ["RSSPOT_", "SPOT_", "RACKSPACE_", "RXTSPOT_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            c.env_remove(k);
        }
    }
    c.env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("RUST_LOG")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c.spawn().expect("rsspot starts")
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_the_second_pool_rolls_back_and_exits_130() {
    let env = env_with_key().await;
    let hold = Duration::from_secs(4);
    // The second pool's create is held on the server while we interrupt.
    env.emu
        .faults()
        .script("POST", POOLS, 1, 1, Fault::Delay(hold));
    let child = spawn(&env, &create_args("vm-int"));
    let started = Instant::now();
    while held(&env, "vm-int") != (1, 1) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the cloudspace and first pool never appeared"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The second POST follows the first pool's answer at once; give it time to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = child.id().to_string();
    let sent = Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert!(sent.success());
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = common::stderr_of(&out);
    assert_eq!(out.status.code(), Some(130), "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert_eq!(held(&env, "vm-int"), (0, 0), "left behind: {err}");
    // The held create is answered after the rollback: it must not bring a pool back.
    tokio::time::sleep(hold).await;
    assert_eq!(
        held(&env, "vm-int"),
        (0, 0),
        "a late create came back: {err}"
    );
    let ns = env.emu.seed().orgs[0].namespace();
    let billed = env.emu.snapshot()[&ns]["vmpools"]
        .as_object()
        .map_or(0, |m| {
            m.values()
                .filter(|p| p["spec"]["vmCloudSpace"] == "vm-int")
                .count()
        });
    assert_eq!(billed, 0, "no billed pools may remain");
}

/// The undo deletes by name, so a name that is already taken is refused before anything is
/// sent: the existing VM cloudspace and its pools are never touched.
#[tokio::test(flavor = "multi_thread")]
async fn a_taken_name_is_refused_before_anything_is_sent() {
    let env = env_with_key().await;
    let first = env.cmd().args(create_args("vm-taken")).output().unwrap();
    assert!(first.status.success(), "{}", common::stderr_of(&first));
    assert_eq!(held(&env, "vm-taken"), (1, 2));
    let posts = |env: &common::Env| {
        env.emu
            .journal()
            .iter()
            .filter(|e| e.method == "POST" && e.path.contains("/vm"))
            .count()
    };
    let before = posts(&env);

    let again = env.cmd().args(create_args("vm-taken")).output().unwrap();
    assert!(!again.status.success());
    let err = common::stderr_of(&again);
    assert!(
        err.contains("vm cloudspace vm-taken already exists"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert_eq!(
        held(&env, "vm-taken"),
        (1, 2),
        "the existing cloudspace is untouched"
    );
    assert_eq!(posts(&env), before, "nothing was sent");
}
