//! The create wizard (issue 26): `cloudspaces create` with no name on a terminal asks for
//! region, name and pools (classes with prices and advised bids), shows the exact command and
//! runs it once confirmed; without a terminal it never asks.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

/// `rsspot ARGS` under `script` (stdin, stdout and stderr a pseudo-terminal), fed `input`.
fn tty(env: &common::Env, args: &str, input: &str) -> (Option<i32>, String) {
    let template = env.cmd();
    let mut c = Command::new("script");
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let bin = env!("CARGO_BIN_EXE_rsspot");
    let mut child = c
        .args(["-qec", &format!("{bin} {args}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    if let Some(mut i) = child.stdin.take() {
        // The terminal buffers the lines until each prompt reads one.
        let _ = i.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::stdout_of(&out).replace('\r', ""))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_wizard_asks_shows_the_command_and_runs_it() {
    let env = common::Env::instant().await;
    // Region, name, a pool (first class, 2 nodes, the advised bid), no second pool, run it.
    let (code, screen) = tty(&env, "cs create", "uk-lon-1\nwiz\ny\n1\n2\n\nn\ny\n");
    assert_eq!(code, Some(0), "{screen}");
    for asked in [
        "Region",
        "Name",
        "Add a spot pool?",
        "Server class",
        "Nodes",
        "Bid per",
    ] {
        assert!(screen.contains(asked), "{asked} not asked: {screen}");
    }
    assert!(
        screen.contains("MARKET/H") && screen.contains("BID/H"),
        "{screen}"
    );
    let shown = screen
        .lines()
        .skip_while(|l| !l.starts_with("About to run:"))
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(
        shown.starts_with(
            "rsspot cloudspaces create wiz --region uk-lon-1 --spot-nodepool serverclass="
        ),
        "{screen}"
    );
    assert!(shown.contains(",desired=2,bidprice="), "{shown}");
    // What it showed is what it ran.
    let cs = env.ok_json(&["cs", "get", "wiz", "-o", "json"]);
    assert_eq!(cs["spec"]["region"], "uk-lon-1");
    let pools = env.ok_json(&["np", "spot", "list", "--cloudspace", "wiz", "-o", "json"]);
    let pools = pools.as_array().unwrap();
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert_eq!(pools[0]["spec"]["desired"], 2);
    let class = pools[0]["spec"]["serverClass"].as_str().unwrap_or_default();
    assert!(
        shown.contains(&format!("serverclass={class},")),
        "{shown} vs {class}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_vm_wizard_asks_for_the_key_and_a_pool() {
    let env = common::Env::instant().await;
    env.ok(&[
        "vm-ssh-keys",
        "create",
        "me",
        "--public-key",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl me@host",
    ]);
    // Region, name, key 1, a pool (class 1, 1 node, advised bid), no second pool, run it.
    let (code, screen) = tty(&env, "vmcs create", "uk-lon-1\nvmwiz\n1\n1\n1\n\nn\ny\n");
    assert_eq!(code, Some(0), "{screen}");
    assert!(screen.contains("SSH key"), "{screen}");
    let shown = screen
        .lines()
        .skip_while(|l| !l.starts_with("About to run:"))
        .nth(1)
        .unwrap_or_default()
        .trim()
        .to_string();
    assert!(
        shown.starts_with(
            "rsspot vm-cloudspaces create vmwiz --region uk-lon-1 --vm-ssh-key-name me --vm-pool serverclass="
        ),
        "{screen}"
    );
    let cs = env.ok_json(&["vmcs", "get", "vmwiz", "-o", "json"]);
    assert_eq!(cs["spec"]["region"], "uk-lon-1", "{cs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn answering_no_creates_nothing() {
    let env = common::Env::instant().await;
    let (code, screen) = tty(&env, "cs create", "\nwiz2\nn\nn\n");
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("About to run:"), "{screen}");
    assert_eq!(env.api_requests("POST", "cloudspaces"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_terminal_it_never_asks() {
    let env = common::Env::instant().await;
    let out = env
        .cmd()
        .args(["cs", "create"])
        .write_stdin("uk-lon-1\nwiz\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr_of(&out);
    assert!(!err.contains("Region"), "{err}");
    assert!(err.contains("give the cloudspace name"), "{err}");
}
