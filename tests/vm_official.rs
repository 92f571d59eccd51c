//! VM kinds as the official tools send and show them (#24): the README's VM loop as written,
//! the default image, a bid on an on-demand pool, a failed inline pool that says what it
//! rolled back, the VMs view, and the environment names of the other Spot tools.
//!
//! Tests that run the emulator with a `vm-ondemand-bid` or `vm-image` variant, and the README
//! loop (its on-demand pool carries a bid, which the emulator's default `vm-ondemand-bid=ignored`
//! accepts), need the emulator of #24.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::process::Command;

use rsspot::emulator::{EmulatorOptions, Fault, Lifecycle, Variants};
use serde_json::Value;

use common::{Env, stderr_of, stdout_of};

/// A syntactically real ed25519 public key line.
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@laptop";

const NOTE: &str = "on-demand VM pools bill at the on-demand price whatever the bid";

/// An instant emulator running with the variants given as `name=value`.
async fn env_with(settings: &[&str]) -> Env {
    let mut variants = Variants::default();
    for s in settings {
        let setting = s.parse().unwrap_or_else(|e| {
            panic!("emulator variant {s}: {e} (needs the emulator change of #24)")
        });
        variants = variants.with(setting);
    }
    Env::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        variants,
        ..Default::default()
    })
    .await
}

fn create_key(env: &Env) {
    let file = env.home().join("id.pub");
    std::fs::write(&file, format!("{KEY}\n")).unwrap();
    env.ok(&[
        "vm-ssh-keys",
        "create",
        "laptop",
        "--public-key-file",
        file.to_str().unwrap(),
    ]);
}

/// The VM cloudspace `name` and its VM pools, as many as the emulator holds.
fn vm_objects(env: &Env, name: &str) -> usize {
    let snap = env.emu.snapshot();
    let mut n = 0;
    for ns in snap.as_object().into_iter().flat_map(|m| m.values()) {
        for plural in ["vmcloudspaces", "vmpools"] {
            n += ns[plural].as_object().map_or(0, |m| {
                m.values()
                    .filter(|d| d["metadata"]["name"] == name || d["spec"]["vmCloudSpace"] == name)
                    .count()
            });
        }
    }
    n
}

fn create_args<'a>(name: &'a str, pools: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "--region",
        "us-central-dfw-1",
        "vm-cloudspaces",
        "create",
        name,
        "--vm-ssh-key-name",
        "laptop",
    ];
    for p in pools {
        args.extend(["--vm-pool", p]);
    }
    args
}

/// The ```bash block of README.md's "## VMs" section, as written.
fn readme_vm_loop() -> String {
    let readme = include_str!("../README.md");
    let section = &readme[readme.find("\n## VMs\n").expect("a VMs section")..];
    let start = section.find("```bash\n").expect("a bash block") + "```bash\n".len();
    let end = start + section[start..].find("```\n").expect("end of the block");
    section[start..end].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn readme_vm_loop_runs_as_written() {
    // Verbatim, against the default emulator and against servers that need `vmImage`, need a
    // bid on on-demand pools, or refuse one (API-NOTES §9.4's open questions).
    for settings in [
        &[][..],
        &["vm-image=required"],
        &["vm-ondemand-bid=required"],
        &["vm-ondemand-bid=refused"],
    ] {
        run_readme_vm_loop(settings).await;
    }
}

async fn run_readme_vm_loop(settings: &[&str]) {
    let env = env_with(settings).await;
    let script = readme_vm_loop();
    assert!(
        !script.contains('<'),
        "placeholders in the README loop:\n{script}"
    );
    let ssh = env.home().join(".ssh");
    std::fs::create_dir_all(&ssh).unwrap();
    std::fs::write(ssh.join("id_ed25519.pub"), format!("{KEY}\n")).unwrap();
    let work = env.home().join("work");
    std::fs::create_dir_all(&work).unwrap();
    std::fs::write(
        work.join("cloud-init.yaml"),
        "#cloud-config\npackages: [jq]\n",
    )
    .unwrap();
    std::fs::write(work.join("loop.sh"), &script).unwrap();

    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // The environment of `env.cmd()`: the emulator's URLs and the demo token, a private HOME.
    let cmd = env.cmd();
    let mut sh = Command::new("bash");
    sh.args(["-euo", "pipefail", "loop.sh"]).current_dir(&work);
    sh.env_clear();
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    sh.env("PATH", path);
    let out = sh.output().expect("bash runs");
    let err = stderr_of(&out);
    assert!(
        out.status.success(),
        "README VM loop failed under {settings:?} ({:?}):\n{err}\nstdout:\n{}",
        out.status.code(),
        stdout_of(&out)
    );
    // The on-demand pool's bid is noted once; the VMs view printed the VMs.
    assert_eq!(err.matches(NOTE).count(), 1, "{err}");
    assert!(stdout_of(&out).contains("10.42."), "{}", stdout_of(&out));
    // Step 5 tore everything down.
    assert_eq!(vm_objects(&env, "vm-lab"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_default_image_is_sent() {
    let env = Env::instant().await;
    create_key(&env);
    let mut args = vec!["-o", "json"];
    args.extend(create_args(
        "vm-img",
        &["serverclass=gp.vs1.medium-dfw,bidprice=0.01"],
    ));
    args.push("--dry-run");
    let dry = env.ok_json(&args);
    assert_eq!(dry["vmPools"][0]["spec"]["vmImage"], "ubuntu24.04", "{dry}");
    // The same for vm-pools create and for a spotctl file without vmImage.
    env.ok(&create_args(
        "vm-img",
        &["serverclass=gp.vs1.medium-dfw,bidprice=0.01,vmimage=debian12"],
    ));
    let dry = env.ok_json(&[
        "-o",
        "json",
        "vm-pools",
        "create",
        "--vmcloudspace",
        "vm-img",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--bid-price",
        "0.01",
        "--dry-run",
    ]);
    assert_eq!(dry["spec"]["vmImage"], "ubuntu24.04", "{dry}");
    let file = env.home().join("vm.yaml");
    std::fs::write(
        &file,
        "vmCloudSpace: {name: vm-file, region: us-central-dfw-1, vmSshKeyRef: {name: laptop}}\n\
         vmPools:\n  - {serverClass: gp.vs1.medium-dfw, bidPrice: 0.01}\n",
    )
    .unwrap();
    let dry = env.ok_json(&[
        "-o",
        "json",
        "vmcs",
        "create",
        "-f",
        file.to_str().unwrap(),
        "--dry-run",
    ]);
    assert_eq!(dry["vmPools"][0]["spec"]["vmImage"], "ubuntu24.04", "{dry}");
    // A given image is kept.
    let pools = env.ok_json(&["-o", "json", "vmp", "list", "--vmcloudspace", "vm-img"]);
    assert_eq!(pools[0]["spec"]["vmImage"], "debian12", "{pools}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_requires_an_image_gets_the_default() {
    let env = env_with(&["vm-image=required"]).await;
    create_key(&env);
    env.ok(&create_args(
        "vm-req",
        &["serverclass=gp.vs1.medium-dfw,bidprice=0.01"],
    ));
    let pools = env.ok_json(&["-o", "json", "vmp", "list", "--vmcloudspace", "vm-req"]);
    assert_eq!(pools[0]["spec"]["vmImage"], "ubuntu24.04", "{pools}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_on_demand_bid_is_sent_and_noted_once() {
    let env = Env::instant().await;
    create_key(&env);
    let mut args = vec!["-o", "json"];
    args.extend(create_args(
        "vm-od",
        &[
            "serverclass=ch.vs1.xlarge-dfw,bidprice=0.30,pooltype=ondemand",
            "serverclass=ch.vs1.xlarge-dfw,bidprice=0.25,pooltype=ondemand,desired=2",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.01",
        ],
    ));
    args.push("--dry-run");
    let out = env.run(&args);
    let err = stderr_of(&out);
    assert!(out.status.success(), "{err}");
    let dry: Value = serde_json::from_str(&stdout_of(&out)).unwrap();
    assert_eq!(dry["vmPools"][0]["spec"]["bidPrice"], "0.30", "{dry}");
    assert_eq!(dry["vmPools"][0]["spec"]["poolType"], "ondemand", "{dry}");
    assert_eq!(dry["vmPools"][1]["spec"]["bidPrice"], "0.25", "{dry}");
    assert_eq!(err.matches(NOTE).count(), 1, "{err}");
    // A spot-only create says nothing of the kind.
    let (_, err) = env.ok(&create_args(
        "vm-spot",
        &["serverclass=gp.vs1.medium-dfw,bidprice=0.01"],
    ));
    assert!(!err.contains(NOTE), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_on_demand_bid_is_kept_by_a_server_that_ignores_it() {
    let env = env_with(&["vm-ondemand-bid=ignored"]).await;
    create_key(&env);
    let (_, err) = env.ok(&create_args(
        "vm-od",
        &["serverclass=ch.vs1.xlarge-dfw,bidprice=0.30,pooltype=ondemand"],
    ));
    assert_eq!(err.matches(NOTE).count(), 1, "{err}");
    let pools = env.ok_json(&["-o", "json", "vmp", "list", "--vmcloudspace", "vm-od"]);
    assert_eq!(pools[0]["spec"]["bidPrice"], "0.30", "{pools}");
    let name = pools[0]["metadata"]["name"].as_str().unwrap().to_string();
    let (_, err) = env.ok(&["vm-pools", "update", &name, "--bid-price", "0.35"]);
    assert_eq!(err.matches(NOTE).count(), 1, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_on_demand_bid_is_sent_the_way_each_server_takes_it() {
    // The bid of an on-demand pool does not change its price; whether the service needs,
    // ignores or refuses one is open (§9.4). A refusal either way is answered by sending the
    // pool once more the other way, so one command works under every answer.
    let pools_of = |env: &Env, cs: &str| -> Vec<Value> {
        let v = env.ok_json(&["-o", "json", "vm-pools", "list", "--vmcloudspace", cs]);
        v.as_array().cloned().unwrap_or_default()
    };
    // Refused when present: sent again without it.
    let env = env_with(&["vm-ondemand-bid=refused"]).await;
    create_key(&env);
    env.ok(&create_args(
        "vm-x",
        &["serverclass=ch.vs1.xlarge-dfw,bidprice=0.30,pooltype=ondemand"],
    ));
    let pools = pools_of(&env, "vm-x");
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert!(pools[0]["spec"].get("bidPrice").is_none(), "{pools:?}");
    // Required when absent: sent again with the class's on-demand price.
    let env = env_with(&["vm-ondemand-bid=required"]).await;
    create_key(&env);
    env.ok(&create_args(
        "vm-y",
        &["serverclass=ch.vs1.xlarge-dfw,pooltype=ondemand"],
    ));
    let pools = pools_of(&env, "vm-y");
    assert_eq!(pools.len(), 1, "{pools:?}");
    assert!(pools[0]["spec"]["bidPrice"].is_string(), "{pools:?}");
    // A refusal the client cannot answer for the user names the flag to change.
    let (code, err) = env.fails(&[
        "vm-pools",
        "create",
        "--vmcloudspace",
        "nope",
        "--server-class",
        "gp.vs1.medium-dfw",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("add --bid-price"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_second_inline_pool_names_the_pool_and_the_rollback() {
    let env = Env::instant().await;
    create_key(&env);
    // The first pool POST passes, the second is refused.
    env.emu
        .faults()
        .script("POST", "/vmpools", 1, 1, Fault::Status(422));
    let (code, err) = env.fails(&create_args(
        "vm-rb",
        &[
            "serverclass=gp.vs1.medium-dfw,bidprice=0.01",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.02,desired=2",
        ],
    ));
    assert_eq!(code, Some(2), "{err}");
    let error = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {err}"));
    // The pool by its place and spec, and the server's reason.
    assert!(
        error.contains(
            "vm pool 2 of 2 (serverclass=gp.vs1.medium-dfw, pooltype=spot, bidprice=0.02) failed"
        ),
        "{err}"
    );
    assert!(error.contains("injected fault: HTTP 422"), "{err}");
    // What was rolled back, without -v: the first pool (by name and spec) and the cloudspace.
    let rolled = err
        .lines()
        .find(|l| l.starts_with("rolled back:"))
        .unwrap_or_else(|| panic!("no rollback report: {err}"));
    assert!(
        rolled.contains("(serverclass=gp.vs1.medium-dfw, pooltype=spot, bidprice=0.01)"),
        "{rolled}"
    );
    assert!(rolled.contains("vm cloudspace vm-rb"), "{rolled}");
    assert!(rolled.contains("nothing is left"), "{rolled}");
    assert_eq!(vm_objects(&env, "vm-rb"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_vms_view_shows_name_ip_pool_and_class() {
    let env = Env::instant().await;
    create_key(&env);
    let mut args = create_args(
        "vm-see",
        &[
            "serverclass=gp.vs1.medium-dfw,bidprice=0.01,desired=2",
            "serverclass=ch.vs1.xlarge-dfw,pooltype=ondemand",
        ],
    );
    args.extend(["--wait", "--timeout", "30s"]);
    env.ok(&args);

    let vms = env.ok_json(&["-o", "json", "vmcs", "vms", "vm-see"]);
    let vms = vms.as_array().unwrap();
    assert_eq!(vms.len(), 3, "{vms:?}");
    for vm in vms {
        for key in ["serverName", "ipAddress", "nodePoolName", "serverClassName"] {
            assert!(
                vm[key].as_str().is_some_and(|v| !v.is_empty()),
                "{key}: {vm}"
            );
        }
    }
    let (names, _) = env.ok(&["-o", "name", "vmcs", "vms", "vm-see"]);
    assert_eq!(names.lines().count(), 3, "{names}");
    // Tables fit 80 columns, header included.
    let table = |args: &[&str]| {
        let out = env.cmd().env("COLUMNS", "80").args(args).output().unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        stdout_of(&out)
    };
    let vms_table = table(&["-o", "table", "vmcs", "vms", "vm-see"]);
    let header = vms_table.lines().next().unwrap();
    for col in ["NAME", "IP", "POOL", "CLASS", "STATE", "ERROR"] {
        assert!(header.contains(col), "{vms_table}");
    }
    for line in vms_table.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    let first = &vms[0];
    assert!(
        vms_table.contains(first["ipAddress"].as_str().unwrap()),
        "{vms_table}"
    );
    // `get` on a terminal: health, reason, bids with what each won, and the VMs.
    let detail = table(&["-o", "table", "vmcs", "get", "vm-see"]);
    for part in ["Health:", "Reason:", "Bids:", "VMs:", "3/3 ready"] {
        assert!(detail.contains(part), "{part} missing:\n{detail}");
    }
    // The bids the server reports, with what each won.
    let cs = env.ok_json(&["-o", "json", "vmcs", "get", "vm-see"]);
    if let Some(bids) = cs["status"]["bids"].as_object() {
        assert!(detail.contains("WON"), "{detail}");
        for (name, bid) in bids {
            let line = detail
                .lines()
                // On a terminal a UUID shows as its shortest unique prefix (8+ characters).
                .find(|l| l.starts_with(&name[..name.len().min(8)]))
                .unwrap_or_else(|| panic!("bid {name} missing:\n{detail}"));
            assert!(line.ends_with(&bid["wonCount"].to_string()), "{line}");
        }
    }
    assert!(
        detail.contains(first["serverClassName"].as_str().unwrap()),
        "{detail}"
    );
    for line in detail.lines() {
        assert!(line.chars().count() <= 80, "{line:?}");
    }
    // The list's wide view has the health.
    let wide = table(&["-o", "wide", "vmcs", "list"]);
    assert!(wide.lines().next().unwrap().contains("HEALTH"), "{wide}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_other_tools_env_names_work_and_are_explained() {
    let env = Env::instant().await;
    let url = env.emu.base_url();
    let other = || {
        let mut c = env.bare_cmd();
        c.env("NGPC_APISERVER", &url)
            .env("RSSPOT_OAUTH_URL", &url)
            .env("RSSPOT_PUBLIC_DATA_URL", &url)
            .env("RACKSPACE_SPOT_REFRESH_TOKEN", "demo-token");
        c
    };
    let out = other()
        .args(["-o", "json", "regions", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let regions: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!regions.as_array().unwrap().is_empty());

    let explain = |c: &mut assert_cmd::Command| {
        let out = c
            .args(["-o", "json", "config", "explain"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr_of(&out));
        let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
        let source = |key: &str| {
            rows.as_array()
                .unwrap()
                .iter()
                .find(|r| r["key"] == key)
                .map(|r| r["source"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default()
        };
        let text = rows.to_string();
        common::assert_no_secret(&text);
        (source("base_url"), source("refresh_token"))
    };
    let (base, token) = explain(&mut other());
    assert!(base.contains("NGPC_APISERVER"), "{base}");
    assert!(token.contains("RACKSPACE_SPOT_REFRESH_TOKEN"), "{token}");
    // Lowest precedence: an rsspot name for the same setting wins, the file variable included.
    let token_file = env.home().join("token");
    std::fs::write(&token_file, "demo-token\n").unwrap();
    let mut both = other();
    both.env("SPOT_BASE_URL", &url)
        .env("RSSPOT_REFRESH_TOKEN_FILE", &token_file);
    let (base, token) = explain(&mut both);
    assert!(base.contains("SPOT_BASE_URL"), "{base}");
    assert!(token.contains("RSSPOT_REFRESH_TOKEN_FILE"), "{token}");

    let (help, _) = env.ok(&["help", "environment"]);
    for var in ["RACKSPACE_SPOT_REFRESH_TOKEN", "NGPC_APISERVER"] {
        assert!(help.contains(var), "{var} missing:\n{help}");
    }
}
