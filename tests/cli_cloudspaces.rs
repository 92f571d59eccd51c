//! `cloudspaces ...` through the real binary against the emulator.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[path = "cli_cloudspaces_parts/kubeconfig.rs"]
mod kubeconfig;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::API;

/// Runs and asserts success; returns (stdout, stderr).
fn ok(env: &common::Env, args: &[&str]) -> (String, String) {
    let (o, e) = env.ok(args);
    common::assert_no_secret(&e);
    // Printing a kubeconfig prints its credentials on purpose; nothing else may.
    if !args
        .iter()
        .any(|a| *a == "kubeconfig" || *a == "get-config")
    {
        common::assert_no_secret(&o);
    }
    (o, e)
}

fn table_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"hcp-[0-9a-f]{8}", "hcp-[ID]"),
        (r"(?m)(\s)\d{1,3}s(\s|$)", "$1[AGE]$2"),
    ]
}

fn json_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "[TIME]",
        ),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        (r"hcp-[0-9a-f]{8}", "hcp-[ID]"),
        (
            r#""resourceVersion": "\d+""#,
            r#""resourceVersion": "[RV]""#,
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn create_wait_list_get_with_snapshots() {
    let env = common::Env::instant().await;
    let (out, err) = ok(
        &env,
        &[
            "cloudspaces",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--cni",
            "cilium",
            "--wait",
            "--timeout",
            "90s",
            "-o",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"]["phase"], "Ready");
    assert_eq!(v["spec"]["cni"], "cilium");
    assert!(err.contains("phase: Ready"), "{err}");
    common::assert_no_secret(&out);
    common::assert_no_secret(&err);
    // A second one via --name, not waited for.
    let (out, _) = ok(
        &env,
        &[
            "cs",
            "create",
            "--name",
            "demo-iad",
            "--region",
            "us-east-iad-1",
            "--ha-control-plane",
            "--yes",
            "-o",
            "name",
        ],
    );
    assert_eq!(out.trim(), "demo-iad");

    let (table, _) = ok(&env, &["cloudspaces", "list", "-o", "table"]);
    insta::with_settings!({filters => table_filters()}, {
        insta::assert_snapshot!("cloudspaces_list_table", table);
    });
    let (wide, _) = ok(&env, &["cloudspaces", "list", "-o", "wide"]);
    insta::with_settings!({filters => table_filters()}, {
        insta::assert_snapshot!("cloudspaces_list_wide", wide);
    });
    // Piped without -o: tab-separated rows, no header (as gh).
    let (piped, _) = ok(&env, &["cloudspaces", "list"]);
    assert_eq!(piped.lines().count(), 2, "{piped}");
    assert!(
        piped.lines().all(|l| l.contains('\t') && !l.contains("  ")),
        "{piped}"
    );
    let (piped, _) = ok(&env, &["cloudspaces", "list", "-o", "json"]);
    let list: serde_json::Value = serde_json::from_str(&piped).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (json, _) = ok(&env, &["cloudspaces", "get", "demo-dfw", "-o", "json"]);
    insta::with_settings!({filters => json_filters()}, {
        insta::assert_snapshot!("cloudspaces_get_json", json);
    });
    let (yaml, _) = ok(
        &env,
        &["cloudspaces", "get", "--name", "demo-iad", "-o", "yaml"],
    );
    assert!(yaml.contains("HAControlPlane: true"), "{yaml}");
    let (names, _) = ok(&env, &["cs", "list", "-o", "name"]);
    assert_eq!(names.lines().collect::<Vec<_>>(), ["demo-dfw", "demo-iad"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn not_found_and_bad_input_exit_codes() {
    let env = common::Env::instant().await;
    let out = env.run(&["cloudspaces", "get", "nope"]);
    assert_eq!(out.status.code(), Some(3));
    let err = common::stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    for args in [
        // Invalid name.
        &[
            "cloudspaces",
            "create",
            "Bad_Name",
            "--region",
            "us-east-iad-1",
        ][..],
        // No region anywhere.
        &["cloudspaces", "create", "demo"],
        // Unknown region.
        &["cloudspaces", "create", "demo", "--region", "mars-1"],
        // Unknown CNI.
        &[
            "cloudspaces",
            "create",
            "demo",
            "--region",
            "uk-lon-1",
            "--cni",
            "weave",
        ],
        // Not a duration.
        &["cloudspaces", "wait", "demo", "--timeout", "soon"],
        // --timeout needs --wait on create.
        &[
            "cloudspaces",
            "create",
            "demo",
            "--region",
            "uk-lon-1",
            "--timeout",
            "5m",
        ],
        // Nothing to update.
        &["cloudspaces", "update", "demo"],
        // No name at all.
        &["cloudspaces", "get"],
    ] {
        let out = env.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr_of(&out)
        );
    }
    assert_eq!(env.emu.count("POST", API), 0, "nothing was created");
    let out = env.run(&["cloudspaces", "kubeconfig", "nope"]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
    let out = env.run(&[
        "cloudspaces",
        "update",
        "nope",
        "--webhook",
        "https://h.example",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_the_body_and_sends_nothing() {
    let env = common::Env::instant().await;
    let (out, err) = ok(
        &env,
        &[
            "cloudspaces",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--webhook",
            "https://hooks.example/spot",
            "--dry-run",
        ],
    );
    assert!(err.contains("nothing was sent"), "{err}");
    let body: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(body["kind"], "CloudSpace");
    assert_eq!(body["metadata"]["name"], "demo-dfw");
    assert_eq!(body["spec"]["region"], "us-central-dfw-1");
    assert_eq!(body["spec"]["webhook"], "https://hooks.example/spot");
    assert_eq!(body["spec"]["kubernetesVersion"], "1.31.1");
    assert_eq!(env.emu.count("POST", API), 0);
    let (out, _) = ok(&env, &["cloudspaces", "list", "-o", "json"]);
    assert_eq!(out.trim(), "[]");

    ok(
        &env,
        &[
            "cloudspaces",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
        ],
    );
    env.emu.clear_journal();
    let (out, _) = ok(
        &env,
        &[
            "cloudspaces",
            "update",
            "demo-dfw",
            "--ha-control-plane",
            "true",
            "--dry-run",
            "-o",
            "yaml",
        ],
    );
    let patch: serde_json::Value = serde_norway::from_str(&out).unwrap();
    assert_eq!(patch, serde_json::json!({"spec": {"HAControlPlane": true}}));
    assert_eq!(env.emu.count("PATCH", API), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_sends_only_given_fields_and_waits() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &[
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
    );
    let (out, _) = ok(
        &env,
        &[
            "cs",
            "update",
            "demo-dfw",
            "--webhook",
            "https://hooks.example/a",
            "-o",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["spec"]["webhook"], "https://hooks.example/a");
    assert_eq!(v["spec"]["HAControlPlane"], false);
    assert_eq!(v["spec"]["cni"], "calico");
    let (out, err) = ok(
        &env,
        &[
            "cs",
            "update",
            "demo-dfw",
            "--kubernetes-version",
            "1.33.0",
            "--wait",
            "-o",
            "json",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"]["phase"], "Ready");
    assert_eq!(v["status"]["currentKubernetesVersion"], "1.33.0");
    assert!(err.contains("is Ready"), "{err}");
    let (out, _) = ok(&env, &["cs", "wait", "demo-dfw", "-o", "name"]);
    assert_eq!(out.trim(), "demo-dfw");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_times_out_with_exit_5_and_the_last_phase() {
    // Manual clock that never advances: the cloudspace stays Provisioning.
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let started = Instant::now();
    let out = env.run(&["cs", "wait", "slow", "--timeout", "1s"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("phase: Provisioning"), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: timed out"), "{err}");
    assert!(last.contains("Provisioning"), "{err}");
    // create --wait times out the same way.
    let out = env.run(&[
        "cs",
        "create",
        "slow2",
        "--region",
        "uk-lon-1",
        "--wait",
        "--timeout",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    common::assert_no_secret(&common::stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_waiting_without_cancelling() {
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let mut child = std_cmd(env.cmd(), "")
        .args(["cs", "wait", "slow", "--timeout", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    // The first progress line means the waiter (and the Ctrl-C handler) is running.
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("phase: Provisioning"), "{first}");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(Instant::now() < deadline, "rsspot did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(code, Some(130), "{rest}");
    assert!(rest.contains("interrupted"), "{rest}");
    assert!(rest.contains("not cancelled"), "{rest}");
    assert_eq!(env.emu.count("DELETE", API), 0);
    let (out, _) = ok(&env, &["cs", "get", "slow", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"]["phase"], "Provisioning");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_needs_confirmation() {
    let env = common::Env::instant().await;
    ok(&env, &["cs", "create", "gone", "--region", "uk-lon-1"]);
    let out = env.run(&["cs", "delete", "gone"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr_of(&out).contains("--yes"));
    assert_eq!(env.emu.count("DELETE", API), 0);
    let (_, err) = ok(&env, &["cs", "delete", "gone", "--yes"]);
    assert!(err.contains("gone"), "{err}");
    assert_eq!(env.emu.count("DELETE", API), 1);
    let out = env.run(&["cs", "get", "gone"]);
    assert_eq!(out.status.code(), Some(3));
    let out = env.run(&["cs", "delete", "gone", "-y"]);
    assert_eq!(out.status.code(), Some(3));
}

/// A std `Command` with the environment of `template` (the harness's isolated HOME and
/// emulator URLs); `program` replaces the binary unless empty.
fn std_cmd(template: assert_cmd::Command, program: &str) -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let mut cmd = if program.is_empty() {
        std::process::Command::new(&bin)
    } else {
        std::process::Command::new(program)
    };
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// A command line run under `script`, so stdin, stdout and stderr are a terminal.
fn tty(env: &common::Env, args: &str, stdin: &str) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let mut child = std_cmd(env.cmd(), "script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    if let Some(mut i) = child.stdin.take() {
        // The prompt reads one line; the terminal buffers it until then.
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::stdout_of(&out).replace('\r', ""))
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_defaults_table_and_asks_before_deleting() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &["cs", "create", "demo-dfw", "--region", "us-central-dfw-1"],
    );
    let (code, screen) = tty(&env, "cloudspaces list", "");
    assert_eq!(code, Some(0), "{screen}");
    let header = screen
        .lines()
        .find(|l| l.starts_with("NAME"))
        .unwrap_or_default();
    // The table fits the terminal (narrow here): the columns that identify a cloudspace and
    // say whether it is usable stay, the others go first.
    for col in ["NAME", "PHASE", "HEALTH"] {
        assert!(header.contains(col), "{screen}");
    }
    assert!(!screen.contains('{'), "not JSON on a terminal: {screen}");
    // Answering "n" cancels: exit 2 and no DELETE.
    let (code, screen) = tty(&env, "cloudspaces delete demo-dfw", "n\n");
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("Delete cloudspace demo-dfw"), "{screen}");
    assert!(screen.contains("cancelled"), "{screen}");
    assert_eq!(env.emu.count("DELETE", API), 0);
    let (code, screen) = tty(&env, "cloudspaces delete demo-dfw", "y\n");
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.emu.count("DELETE", API), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_wait_shows_a_spinner_instead_of_lines() {
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let (code, screen) = tty(&env, "cloudspaces wait slow --timeout 1s", "");
    assert_eq!(code, Some(5), "{screen}");
    assert!(
        !screen.contains("phase: "),
        "plain lines on a terminal: {screen}"
    );
    assert!(screen.contains("cloudspace slow: Provisioning"), "{screen}");
    assert!(screen.contains("error: timed out"), "{screen}");
    common::assert_no_secret(&screen);
}
