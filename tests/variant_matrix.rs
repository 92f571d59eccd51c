//! The variant matrix: the CLI's everyday flows under every value of every emulator variant.
//!
//! One emulator per variant setting (the defaults with that one setting changed), each with a
//! small gateway page size and a short wall-clock lifecycle. Every flow must succeed under every
//! setting: the emulator's variants are the plausible answers of the real service, so a flow
//! that breaks under one of them is a client bug. Failures are collected and reported together,
//! each naming the variant setting and the flow. It drives the `rsspot` binary, so it needs the
//! `cli` feature too (without it there is no binary of this build to drive).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Env, stderr_of, stdout_of, variant_options};
use rsspot::emulator::VariantSetting;
use serde_json::Value;

const REGION: &str = "us-central-dfw-1";
const OTHER_REGION: &str = "us-east-iad-1";
const CLASS: &str = "gp.vs1.medium-dfw";
const OTHER_CLASS: &str = "gp.vs1.xlarge-iad";
/// On the ladder and above the floor of both classes.
const BID: &str = "0.02";
const NEW_BID: &str = "0.01";
/// The refresh token of the seed's second org, used only by the auth flow.
const FRESH_TOKEN: &str = "acme-token";

type Outcome = Result<(), String>;
/// A named CLI flow run against one variant setting's emulator.
type Flow = (&'static str, fn(&Run) -> Outcome);

/// One variant setting's emulator, HOME and the facts flows hand to each other.
struct Run {
    env: Env,
    setting: VariantSetting,
}

impl Run {
    /// `rsspot ARGS` with the emulator's credentials; `Err` names the command and its output.
    fn ok(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .env
            .cmd()
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(stdout_of(&out))
        } else {
            Err(format!(
                "`rsspot {}` exited {:?}: {}",
                args.join(" "),
                out.status.code(),
                stderr_of(&out).trim()
            ))
        }
    }

    fn ns(&self) -> String {
        self.env.emu.seed().orgs[0].namespace()
    }

    /// The emulator's own objects of `plural` in the demo namespace.
    fn stored(&self, plural: &str) -> Vec<Value> {
        let snap = self.env.emu.snapshot();
        snap[self.ns()]
            .get(plural)
            .and_then(Value::as_object)
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }

    fn stored_names(&self, plural: &str, keep: impl Fn(&Value) -> bool) -> BTreeSet<String> {
        self.stored(plural)
            .iter()
            .filter(|d| keep(d))
            .filter_map(|d| d.pointer("/metadata/name")?.as_str().map(String::from))
            .collect()
    }
}

fn lines(s: &str) -> BTreeSet<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn expect_eq<T: std::fmt::Debug + PartialEq>(what: &str, got: T, want: T) -> Outcome {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got {got:?}, want {want:?}"))
    }
}

/// create → wait → spot pool (wait) → update pool → kubeconfig → delete cloudspace; afterwards
/// no pool is left in the emulator's store.
fn lifecycle(r: &Run) -> Outcome {
    r.ok(&[
        "cloudspaces",
        "create",
        "life",
        "--region",
        REGION,
        "--wait",
        "--timeout",
        "30s",
    ])?;
    let pool = r.ok(&[
        "nodepools",
        "spot",
        "create",
        "--cloudspace",
        "life",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--bid-price",
        BID,
        "--wait",
        "--timeout",
        "30s",
        "-o",
        "name",
    ])?;
    let pool = pool.trim().to_string();
    if pool.is_empty() {
        return Err("spot create -o name printed no pool name".into());
    }
    r.ok(&[
        "nodepools",
        "spot",
        "update",
        &pool,
        "--desired",
        "2",
        "--bid-price",
        NEW_BID,
    ])?;
    let stored = r.stored("spotnodepools");
    let doc = stored
        .iter()
        .find(|p| p["metadata"]["name"] == pool.as_str())
        .ok_or("the updated pool is not in the emulator")?;
    expect_eq("stored desired", &doc["spec"]["desired"], &Value::from(2))?;
    expect_eq(
        "stored bid",
        &doc["spec"]["bidPrice"],
        &Value::from(NEW_BID),
    )?;
    let kc = r.env.home().join("life.kubeconfig");
    let kc_arg = kc.to_string_lossy().into_owned();
    r.ok(&["cloudspaces", "kubeconfig", "life", "-f", &kc_arg])?;
    let text = std::fs::read_to_string(&kc).map_err(|e| format!("kubeconfig file: {e}"))?;
    if !text.contains("server: https://") {
        return Err(format!("kubeconfig has no https server: {text}"));
    }
    r.ok(&["cloudspaces", "delete", "life", "--yes"])?;
    // The emulator settles deletions on its own clock; give it a few lifecycles.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let spaces = r.stored_names("cloudspaces", |d| d["metadata"]["name"] == "life");
        let pools = r.stored("spotnodepools").len() + r.stored("ondemandnodepools").len();
        if spaces.is_empty() && pools == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "after `cloudspaces delete`: cloudspace left: {}, pools left in the emulator: {pools}",
                !spaces.is_empty()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Lists narrowed by region and by cloudspace show exactly what the emulator holds.
fn filters(r: &Run) -> Outcome {
    r.ok(&["cloudspaces", "create", "fa", "--region", REGION])?;
    r.ok(&["cloudspaces", "create", "fb", "--region", OTHER_REGION])?;
    let a = r.ok(&[
        "nodepools",
        "spot",
        "create",
        "--cloudspace",
        "fa",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--bid-price",
        BID,
        "-o",
        "name",
    ])?;
    r.ok(&[
        "nodepools",
        "spot",
        "create",
        "--cloudspace",
        "fb",
        "--server-class",
        OTHER_CLASS,
        "--desired",
        "1",
        "--bid-price",
        BID,
        "-o",
        "name",
    ])?;
    let got = lines(&r.ok(&[
        "nodepools",
        "spot",
        "list",
        "--cloudspace",
        "fa",
        "-o",
        "name",
    ])?);
    expect_eq("spot pools of cloudspace fa", got, lines(&a))?;
    let got = lines(&r.ok(&[
        "server-classes",
        "list",
        "--region",
        OTHER_REGION,
        "-o",
        "name",
    ])?);
    let want: BTreeSet<String> = r
        .env
        .emu
        .seed()
        .server_classes
        .iter()
        .filter(|c| c["spec"]["region"] == OTHER_REGION)
        .filter_map(|c| c["metadata"]["name"].as_str().map(String::from))
        .collect();
    expect_eq("server classes of the other region", got, want)
}

/// Lists longer than the gateway's page (2) come back whole.
fn paging(r: &Run) -> Outcome {
    for n in ["pa", "pb", "pc"] {
        r.ok(&["cloudspaces", "create", n, "--region", REGION])?;
    }
    let got = lines(&r.ok(&["cloudspaces", "list", "-o", "name"])?);
    expect_eq("cloudspaces", got, r.stored_names("cloudspaces", |_| true))?;
    let got = lines(&r.ok(&["regions", "list", "-o", "name"])?);
    expect_eq("regions", got.len(), r.env.emu.seed().regions.len())
}

/// A bad refresh token is exit 4 with the server's description; a configured profile keeps
/// working over consecutive runs (each exchanging its token, so rotation is exercised).
/// The profile holds the second seeded org's token, which no other flow has spent (under
/// `token-rotation=on` the demo org's seed token is rotated away by the first CLI run).
fn auth(r: &Run) -> Outcome {
    let bad_home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = r
        .env
        .cmd()
        .env("HOME", bad_home.path())
        .env("XDG_CONFIG_HOME", bad_home.path().join(".config"))
        .env("XDG_STATE_HOME", bad_home.path().join(".local/state"))
        .env("RSSPOT_REFRESH_TOKEN", "not-a-valid-token")
        .args(["regions", "list"])
        .output()
        .map_err(|e| e.to_string())?;
    let err = stderr_of(&out);
    let description = match r.env.emu.variants().bad_refresh_token {
        rsspot::emulator::BadRefreshToken::Auth0 => "Unknown or invalid refresh token.",
        rsspot::emulator::BadRefreshToken::Spec => "Unauthorized",
    };
    if out.status.code() != Some(4) || !err.contains(description) {
        return Err(format!(
            "bad refresh token: exit {:?}, stderr {:?} (want exit 4 naming {description:?})",
            out.status.code(),
            err.trim()
        ));
    }

    let home = tempfile::tempdir().map_err(|e| e.to_string())?;
    let base = r.env.emu.base_url();
    let cmd = || {
        let mut c = r.env.bare_cmd();
        c.env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join(".config"))
            .env("XDG_STATE_HOME", home.path().join(".local/state"))
            .env("RSSPOT_NO_TOKEN_CACHE", "1")
            .env("RSSPOT_NO_CACHE", "1");
        c
    };
    let out = cmd()
        .args([
            "configure",
            "--no-input",
            "--refresh-token",
            FRESH_TOKEN,
            "--base-url",
            &base,
            "--oauth-url",
            &base,
            "--public-data-url",
            &base,
        ])
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("configure: {}", stderr_of(&out).trim()));
    }
    for run in 1..=2 {
        let exchanges = r.env.emu.count("POST", "/oauth/token");
        let out = cmd()
            .args(["regions", "list", "-o", "name"])
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "run {run} with a configured profile: exit {:?}: {}",
                out.status.code(),
                stderr_of(&out).trim()
            ));
        }
        if r.env.emu.count("POST", "/oauth/token") == exchanges {
            return Err(format!(
                "run {run} did not exchange its refresh token (RSSPOT_NO_TOKEN_CACHE=1, RSSPOT_NO_CACHE=1)"
            ));
        }
    }
    Ok(())
}

/// generate-kubeconfig for an unknown cloudspace: not found (exit 3), no Rust Debug text.
fn kubeconfig_unknown(r: &Run) -> Outcome {
    let out = r
        .env
        .cmd()
        .args(["cloudspaces", "kubeconfig", "nosuch"])
        .output()
        .map_err(|e| e.to_string())?;
    let err = stderr_of(&out);
    if out.status.code() != Some(3) || err.contains(" { ") || err.contains("Some(") {
        return Err(format!(
            "exit {:?}, stderr {:?} (want exit 3, no Debug text)",
            out.status.code(),
            err.trim()
        ));
    }
    Ok(())
}

/// An OpenSSH public key the emulator accepts.
const SSH_KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";

/// Polls `check` against the emulator for up to 10 s; `Err` is the last complaint.
fn eventually(mut check: impl FnMut() -> Outcome) -> Outcome {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match check() {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() > deadline => return Err(e),
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
}

/// A VM cloudspace with a spot and an on-demand VM pool (exercising `vm-ondemand-bid` and
/// `vm-image`), then an autopilot pool fulfilled to its vCPU target (exercising
/// `autopilot-phases`: fulfilment is read from `managedVCPUs`, never a phase name) and
/// deleted with its child pools.
fn vm_and_autopilot(r: &Run) -> Outcome {
    let key = r.env.home().join("matrix.pub");
    std::fs::write(&key, SSH_KEY).map_err(|e| e.to_string())?;
    let key_arg = key.to_string_lossy().into_owned();
    r.ok(&[
        "vm-ssh-keys",
        "create",
        "mkey",
        "--public-key-file",
        &key_arg,
    ])?;
    r.ok(&[
        "--region",
        REGION,
        "vm-cloudspaces",
        "create",
        "mvm",
        "--vm-ssh-key-name",
        "mkey",
        "--vm-pool",
        &format!("serverclass={CLASS},bidprice={BID},desired=1,pooltype=spot"),
        "--vm-pool",
        &format!("serverclass={CLASS},desired=1,pooltype=ondemand"),
        "--wait",
        "--timeout",
        "30s",
    ])?;
    let pools = r.stored_names("vmpools", |d| d["spec"]["vmCloudSpace"] == "mvm");
    expect_eq("VM pools of mvm", pools.len(), 2)?;

    r.ok(&[
        "cloudspaces",
        "create",
        "apf",
        "--region",
        REGION,
        "--wait",
        "--timeout",
        "30s",
    ])?;
    r.ok(&[
        "nodepools",
        "autopilot",
        "create",
        "--cloudspace",
        "apf",
        "--vcpu",
        "4",
        "--budget-per-hour",
        BID,
        "--yes",
    ])?;
    let ap_name = || {
        r.stored_names("autopilotnodepools", |d| d["spec"]["cloudSpace"] == "apf")
            .into_iter()
            .next()
    };
    let name = ap_name().ok_or("the autopilot pool is not in the emulator")?;
    eventually(|| {
        let ap = r
            .stored("autopilotnodepools")
            .into_iter()
            .find(|d| d["metadata"]["name"] == name.as_str())
            .ok_or("the autopilot pool vanished")?;
        let st = &ap["status"];
        if st["targetVCPUs"] == 4 && st["managedVCPUs"] == 4 {
            Ok(())
        } else {
            Err(format!("autopilot pool never fulfilled: {st}"))
        }
    })?;
    r.ok(&["--yes", "nodepools", "autopilot", "delete", &name])?;
    eventually(|| {
        let left = r.stored_names("spotnodepools", |d| d["spec"]["cloudSpace"] == "apf");
        if left.is_empty() && ap_name().is_none() {
            Ok(())
        } else {
            Err(format!(
                "after autopilot delete, child pools left: {left:?}"
            ))
        }
    })
}

/// The flows, in the order they run against one emulator.
const FLOWS: [Flow; 6] = [
    ("lifecycle", lifecycle),
    ("filters", filters),
    ("paging", paging),
    ("auth", auth),
    ("kubeconfig-unknown", kubeconfig_unknown),
    ("vm-and-autopilot", vm_and_autopilot),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_flow_works_under_every_variant() {
    let settings = VariantSetting::all();
    // The CLI runs are blocking subprocesses; a few settings at a time keeps a 2-core box usable.
    let permits = Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    for setting in settings.iter().copied() {
        let run = Run {
            env: Env::start_with(variant_options(setting)).await,
            setting,
        };
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            tokio::task::spawn_blocking(move || {
                FLOWS
                    .iter()
                    .map(|(flow, f)| (run.setting, *flow, f(&run)))
                    .collect::<Vec<_>>()
            })
            .await
            .unwrap_or_default()
        });
    }
    let mut results = Vec::new();
    while let Some(r) = tasks.join_next().await {
        results.extend(r.unwrap_or_default());
    }
    results.sort_by_key(|(s, f, _)| (s.to_string(), *f));
    let failures: Vec<String> = results
        .iter()
        .filter_map(|(s, f, r)| r.as_ref().err().map(|e| format!("[{s} × {f}] {e}")))
        .collect();
    eprintln!(
        "variant matrix: {} variant settings × {} flows = {} runs / {} failures",
        settings.len(),
        FLOWS.len(),
        results.len(),
        failures.len()
    );
    assert_eq!(
        results.len(),
        settings.len() * FLOWS.len(),
        "a setting's flows did not all run"
    );
    assert!(
        failures.is_empty(),
        "{} of {} (variant, flow) runs failed:\n{}",
        failures.len(),
        results.len(),
        failures.join("\n")
    );
}
