//! `registrations` through the real binary against the emulator: the orchestrator loop of
//! `docs/orchestrator-loop.md` (run verbatim), leases between owners, refused transitions and
//! their exit codes, export → import.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Keys of the ready VMs of the demo org's inventory (vm-lab-dfw has three ready servers;
/// vm-build-iad is still provisioning).
const READY_VMS: usize = 3;

fn run(env: &common::Env, args: &[&str]) -> std::process::Output {
    env.cmd().args(args).output().unwrap()
}

/// Runs `rsspot ARGS`, asserts success, parses stdout as JSON.
fn json(env: &common::Env, args: &[&str]) -> Value {
    let out = run(env, &common::with_json(args));
    assert!(
        out.status.success(),
        "{args:?}: {}",
        common::stderr_of(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", common::stdout_of(&out)))
}

fn keys(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|r| r["registration_key"].as_str().unwrap().to_string())
        .collect()
}

/// `rsspot` as a plain child process (assert_cmd runs one at a time), with the same
/// environment as `env.cmd()`.
fn std_cmd(env: &common::Env) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("rsspot"));
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn code(env: &common::Env, args: &[&str]) -> (Option<i32>, String) {
    let out = run(env, &common::with_json(args));
    (out.status.code(), common::stderr_of(&out))
}

#[tokio::test(flavor = "multi_thread")]
async fn discover_claim_mark_release_loop() {
    let env = common::Env::start().await;
    let d = json(
        &env,
        &["registrations", "discover", "--omni-cluster", "lab"],
    );
    assert_eq!(d["org_id"], "org_DemoOrg0000000001");
    assert_eq!(d["candidates"], READY_VMS);
    assert_eq!(d["new"].as_array().unwrap().len(), READY_VMS);
    // The key is the Python tool's: vmreg- + sha256(vm_uid|org_id|vmcloudspace|vmpool|cluster).
    let list = json(&env, &["registrations", "list"]);
    for rec in list.as_array().unwrap() {
        let expected = rsspot::workflows::registration_key(
            rec["vm_uid"].as_str().unwrap(),
            Some("org_DemoOrg0000000001"),
            Some("vm-lab-dfw"),
            rec["vmpool"].as_str(),
            Some("lab"),
        );
        assert_eq!(rec["registration_key"], expected.as_str());
        assert_eq!(rec["status"], "discovered");
    }
    // Discovering again is idempotent; --all adds the VMs that are not ready yet.
    let again = json(
        &env,
        &["registrations", "discover", "--omni-cluster", "lab"],
    );
    assert_eq!(again["existing"], READY_VMS);
    assert!(again["new"].as_array().unwrap().is_empty());
    let all = json(
        &env,
        &[
            "registrations",
            "discover",
            "--omni-cluster",
            "lab",
            "--all",
        ],
    );
    assert_eq!(all["new"].as_array().unwrap().len(), 2);
    let (c, err) = code(
        &env,
        &["registrations", "discover", "--vmcloudspace", "nowhere"],
    );
    assert_eq!(c, Some(3), "{err}");

    // One VM through the whole lifecycle.
    let claimed = json(
        &env,
        &[
            "registrations",
            "claim",
            "1",
            "--owner",
            "w1",
            "--ttl",
            "60",
        ],
    );
    let key = keys(&claimed).remove(0);
    assert_eq!(claimed[0]["lease_owner"], "w1");
    assert_eq!(claimed[0]["attempts"], 1);
    let rec = json(
        &env,
        &[
            "registrations",
            "mark",
            &key,
            "token_issued",
            "--owner",
            "w1",
            "--token-id",
            "tok-1",
            "--token-expires-at",
            "2030-01-01T00:00:00Z",
            "--payload",
            r#"{"a": 1, "nested": {"x": 1}}"#,
        ],
    );
    assert_eq!(rec["status"], "token_issued");
    let rec = json(
        &env,
        &[
            "registrations",
            "mark",
            &key,
            "submitted",
            "--owner",
            "w1",
            "--payload",
            r#"{"nested": {"y": 2}}"#,
            "--note",
            "pushed",
        ],
    );
    // Merged, not wiped: the token survives `submitted`, the payload patch merges.
    assert_eq!(rec["token_id"], "tok-1");
    assert_eq!(
        rec["payload"],
        serde_json::json!({"a": 1, "nested": {"x": 1, "y": 2}})
    );
    let rec = json(
        &env,
        &["registrations", "mark", &key, "registered", "--owner", "w1"],
    );
    assert_eq!(rec["status"], "registered");
    assert!(rec["lease_owner"].is_null(), "{rec}");
    let released = json(&env, &["registrations", "release", &key, "--owner", "w1"]);
    assert_eq!(released["released"], true);

    let shown = json(&env, &["registrations", "show", &key]);
    assert_eq!(shown["token_expires_at"], "2030-01-01T00:00:00Z");
    for s in ["discovered", "token_issued", "submitted", "registered"] {
        assert!(shown["status_times"].get(s).is_some(), "{shown}");
    }
    let events = json(&env, &["registrations", "events", &key]);
    let moves: Vec<(Value, Value, Value)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["from"].clone(), e["to"].clone(), e["actor"].clone()))
        .collect();
    assert_eq!(
        moves[1..],
        [
            ("discovered".into(), "token_issued".into(), "w1".into()),
            ("token_issued".into(), "submitted".into(), "w1".into()),
            ("submitted".into(), "registered".into(), "w1".into()),
        ]
    );
    assert_eq!(events[2]["note"], "pushed");

    let registered = json(&env, &["registrations", "list", "--status", "registered"]);
    assert_eq!(keys(&registered), vec![key.clone()]);
    let out = run(&env, &["registrations", "list", "-o", "table"]);
    let text = common::stdout_of(&out);
    assert!(text.starts_with("KEY"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with(&key) && l.contains("registered")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn leases_keep_owners_apart() {
    let env = common::Env::start().await;
    json(&env, &["registrations", "discover"]);
    let a = keys(&json(
        &env,
        &["registrations", "claim", "2", "--owner", "alice"],
    ));
    let b = keys(&json(
        &env,
        &["registrations", "claim", "5", "--owner", "bob"],
    ));
    assert_eq!(a.len(), 2);
    assert_eq!(b.len(), READY_VMS - 2);
    assert!(a.iter().all(|k| !b.contains(k)));
    assert!(
        keys(&json(
            &env,
            &["registrations", "claim", "5", "--owner", "carol"]
        ))
        .is_empty()
    );

    // Bob cannot mark or release Alice's record: conflict, exit 1.
    let (c, err) = code(
        &env,
        &[
            "registrations",
            "mark",
            &a[0],
            "token_issued",
            "--owner",
            "bob",
        ],
    );
    assert_eq!(c, Some(1), "{err}");
    assert!(err.contains("alice"), "{err}");
    let (c, _) = code(&env, &["registrations", "release", &a[0], "--owner", "bob"]);
    assert_eq!(c, Some(1));
    // Once Alice releases, Bob gets it.
    json(
        &env,
        &["registrations", "release", &a[0], "--owner", "alice"],
    );
    let got = keys(&json(
        &env,
        &["registrations", "claim", "5", "--owner", "bob"],
    ));
    assert_eq!(got, vec![a[0].clone()]);

    // Processes claiming at once never get the same record.
    let env2 = common::Env::start().await;
    json(&env2, &["registrations", "discover", "--all"]);
    let children: Vec<_> = (0..4)
        .map(|i| {
            std_cmd(&env2)
                .args([
                    "registrations",
                    "claim",
                    "2",
                    "--owner",
                    &format!("p{i}"),
                    "-o",
                    "json",
                ])
                .spawn()
                .unwrap()
        })
        .collect();
    let mut seen = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", common::stderr_of(&out));
        seen.extend(keys(&serde_json::from_slice(&out.stdout).unwrap()));
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "{seen:?}");
    assert_eq!(seen.len(), READY_VMS + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_transitions_and_unknown_keys() {
    let env = common::Env::start().await;
    json(&env, &["registrations", "discover"]);
    let key = keys(&json(&env, &["registrations", "list"])).remove(0);

    // discovered → registered skips steps: refused, exit 2, nothing changes.
    let (c, err) = code(
        &env,
        &["registrations", "mark", &key, "registered", "--owner", "w"],
    );
    assert_eq!(c, Some(2), "{err}");
    assert!(
        err.contains("cannot go from discovered to registered"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        json(&env, &["registrations", "show", &key])["status"],
        "discovered"
    );
    // `gone` is for reconcile only; unknown statuses and bad values are usage errors.
    for args in [
        &["registrations", "mark", &key, "gone", "--owner", "w"][..],
        &["registrations", "mark", &key, "bogus", "--owner", "w"],
        &[
            "registrations",
            "mark",
            &key,
            "token_issued",
            "--owner",
            "w",
            "--token-expires-at",
            "tomorrow",
        ],
        &[
            "registrations",
            "mark",
            &key,
            "token_issued",
            "--owner",
            "w",
            "--payload",
            "{not json",
        ],
        &["registrations", "list", "--status", "done"],
    ] {
        let (c, err) = code(&env, args);
        assert_eq!(c, Some(2), "{args:?}: {err}");
    }

    // Registered is terminal until reset.
    for to in ["token_issued", "submitted", "registered"] {
        json(&env, &["registrations", "mark", &key, to, "--owner", "w"]);
    }
    let (c, _) = code(
        &env,
        &["registrations", "mark", &key, "discovered", "--owner", "w"],
    );
    assert_eq!(c, Some(2));
    let rec = json(&env, &["registrations", "reset", &key, "--actor", "admin"]);
    assert_eq!(rec["status"], "discovered");
    let events = json(&env, &["registrations", "events", &key]);
    let last = events.as_array().unwrap().last().unwrap();
    assert_eq!(
        (&last["from"], &last["to"], &last["actor"]),
        (&"registered".into(), &"discovered".into(), &"admin".into())
    );

    // Unknown keys: exit 3.
    for args in [
        &["registrations", "show", "vmreg-0000"][..],
        &[
            "registrations",
            "mark",
            "vmreg-0000",
            "failed",
            "--owner",
            "w",
        ],
        &["registrations", "release", "vmreg-0000", "--owner", "w"],
        &["registrations", "reset", "vmreg-0000"],
        &["registrations", "events", "vmreg-0000"],
    ] {
        let (c, err) = code(&env, args);
        assert_eq!(c, Some(3), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn export_import_round_trip() {
    let env = common::Env::start().await;
    json(&env, &["registrations", "discover", "--all"]);
    let key = keys(&json(
        &env,
        &["registrations", "claim", "1", "--owner", "w"],
    ))
    .remove(0);
    json(
        &env,
        &[
            "registrations",
            "mark",
            &key,
            "token_issued",
            "--owner",
            "w",
            "--token-id",
            "t-9",
            "--payload",
            r#"{"k": [1, 2]}"#,
        ],
    );
    let out = run(&env, &["registrations", "export"]);
    assert!(out.status.success());
    let exported = common::stdout_of(&out);
    assert_eq!(exported.lines().count(), READY_VMS + 2);
    for line in exported.lines() {
        serde_json::from_str::<Value>(line).unwrap();
    }

    // Into an empty ledger from a file, then again from stdin: the second import changes nothing.
    let other = common::Env::start().await;
    let file = other.home().join("ledger.jsonl");
    std::fs::write(&file, &exported).unwrap();
    let report = json(&other, &["registrations", "import", file.to_str().unwrap()]);
    assert_eq!(report["inserted"], READY_VMS + 2);
    let out = other
        .cmd()
        .args(["registrations", "import", "-", "-o", "json"])
        .write_stdin(exported.clone())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["unchanged"], READY_VMS + 2);
    let out = run(&other, &["registrations", "export"]);
    assert_eq!(common::stdout_of(&out), exported);
    // The imported lease still binds.
    let (c, _) = code(
        &other,
        &[
            "registrations",
            "mark",
            &key,
            "submitted",
            "--owner",
            "intruder",
        ],
    );
    assert_eq!(c, Some(1));

    // A bad line names itself and exits 2.
    let bad = other.home().join("bad.jsonl");
    std::fs::write(
        &bad,
        format!("{}\n{{\"nope\": 1}}\n", exported.lines().next().unwrap()),
    )
    .unwrap();
    let (c, err) = code(&other, &["registrations", "import", bad.to_str().unwrap()]);
    assert_eq!(c, Some(2), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

/// The worker loop of docs/orchestrator-loop.md, extracted verbatim and run by bash.
fn doc_loop_script() -> String {
    let doc = include_str!("../docs/orchestrator-loop.md");
    let start = doc
        .find("#!/usr/bin/env bash")
        .expect("the doc has the loop script");
    let end = doc[start..].find("\n```").expect("the script block ends");
    doc[start..start + end + 1].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_documented_orchestrator_loop_runs() {
    let env = common::Env::start().await;
    let script_path = env.home().join("orchestrator-loop.sh");
    std::fs::File::create(&script_path)
        .and_then(|mut f| f.write_all(doc_loop_script().as_bytes()))
        .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Two workers at once, as the doc suggests; the leases keep them apart.
    let workers: Vec<_> = ["worker-a", "worker-b"]
        .iter()
        .map(|owner| {
            // The doc's step 1 exports these from `rsspot emulator serve`.
            let c = std_cmd(&env);
            let mut bash = Command::new("bash");
            bash.arg(&script_path);
            for (k, v) in c.get_envs() {
                match v {
                    Some(v) => bash.env(k, v),
                    None => bash.env_remove(k),
                };
            }
            bash.env("RSSPOT_ORG", "demo")
                .env("PATH", &path)
                .env("OWNER", owner)
                .env("OMNI_CLUSTER", "lab")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            bash.spawn().unwrap()
        })
        .collect();
    let mut done = Vec::new();
    for w in workers {
        let out = w.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "loop failed: {}\n{}",
            common::stdout_of(&out),
            common::stderr_of(&out)
        );
        done.extend(common::stdout_of(&out).lines().map(str::to_owned));
    }
    assert_eq!(done.len(), READY_VMS, "{done:?}");

    let registered = json(&env, &["registrations", "list", "--status", "registered"]);
    assert_eq!(registered.as_array().unwrap().len(), READY_VMS);
    for rec in registered.as_array().unwrap() {
        assert_eq!(rec["omni_cluster"], "lab");
        assert!(rec["token_id"].as_str().unwrap().starts_with("token-"));
        assert!(!rec["token_expires_at"].is_null());
        assert!(rec["lease_owner"].is_null());
        // One worker took each VM through all three steps.
        let key = rec["registration_key"].as_str().unwrap();
        let events = json(&env, &["registrations", "events", key]);
        let actors: BTreeSet<&str> = events.as_array().unwrap()[1..]
            .iter()
            .map(|e| e["actor"].as_str().unwrap())
            .collect();
        assert_eq!(actors.len(), 1, "{events}");
        assert_eq!(rec["payload"]["worker"], *actors.iter().next().unwrap());
    }
}
