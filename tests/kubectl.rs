//! End-to-end: a real `kubectl` (from the PATH; `.ci/run` installs Debian's `kubernetes-client`
//! when it is missing) against the emulated cluster API, through the kubeconfigs
//! `rsspot cloudspaces kubeconfig` writes and the `rsspot auth kube-token` exec plugin.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use rsspot::emulator::{ClockMode, EmulatorOptions, Lifecycle};

/// The emulator with cluster endpoints a kubectl can reach and an instant lifecycle.
async fn env_with(clock: ClockMode, token_lifetime: Duration) -> common::Env {
    common::Env::start_with(EmulatorOptions {
        cluster_endpoints: true,
        lifecycle: Lifecycle::instant(),
        clock,
        token_lifetime,
        ..EmulatorOptions::default()
    })
    .await
}

fn ok(env: &common::Env, args: &[&str]) -> String {
    let out = env.cmd().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rsspot {args:?}: {}",
        common::stderr_of(&out)
    );
    common::stdout_of(&out)
}

/// A Ready cloudspace `demo-dfw` with a spot pool of 2 won servers.
fn cluster(env: &common::Env) {
    ok(
        env,
        &[
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
    );
    ok(
        env,
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "2",
            "--bid-price",
            "0.50",
            // Above the class's on-demand price: the guardrail asks, and a test cannot answer.
            "--yes",
        ],
    );
}

/// Writes the cloudspace's kubeconfig to `name` under HOME (extra args: `--static-token`).
fn kubeconfig(env: &common::Env, name: &str, extra: &[&str]) -> PathBuf {
    let path = env.home().join(name);
    let mut args = vec![
        "cs",
        "kubeconfig",
        "demo-dfw",
        "--file",
        path.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    ok(env, &args);
    path
}

fn kubectl_on_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
        .expect("kubectl is not on the PATH: install Debian's kubernetes-client (.ci/run does)")
}

/// `kubectl ARGS` with `kubeconfig`, the test's HOME and the rsspot under test first on the
/// PATH, as a user's shell would run it.
fn kubectl(env: &common::Env, kubeconfig: &Path, args: &[&str]) -> Output {
    let rsspot = PathBuf::from(env!("CARGO_BIN_EXE_rsspot"));
    let mut path = vec![rsspot.parent().unwrap().to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Command::new(kubectl_on_path())
        .args(args)
        .env_clear()
        .env("PATH", std::env::join_paths(path).unwrap())
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("KUBECONFIG", kubeconfig)
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .output()
        .unwrap()
}

fn exchanges(env: &common::Env) -> usize {
    env.emu.count("POST", "/oauth/token")
}

#[tokio::test(flavor = "multi_thread")]
async fn kubectl_lists_nodes_through_the_exec_plugin() {
    let env = env_with(ClockMode::Manual, Duration::from_secs(86_400)).await;
    let namespace = env.emu.seed().orgs[0].namespace();
    cluster(&env);
    let config = kubeconfig(&env, "exec.yaml", &[]);
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.contains("command: rsspot"), "{text}");
    assert!(text.contains("interactiveMode: Never"), "{text}");
    assert!(!text.contains("token: eyJ"), "no static token: {text}");

    let out = kubectl(
        &env,
        &config,
        &[
            "get",
            "nodes",
            "-L",
            "ngpc.rxt.io/nodepool,ngpc.rxt.io/serverclass",
        ],
    );
    let (stdout, stderr) = (common::stdout_of(&out), common::stderr_of(&out));
    assert!(out.status.success(), "{stderr}");
    let nodes: Vec<&str> = stdout.lines().skip(1).collect();
    assert_eq!(nodes.len(), 2, "{stdout}");
    assert!(
        nodes
            .iter()
            .all(|n| n.contains("Ready") && n.contains("gp.vs1.medium-dfw")),
        "{stdout}"
    );
    // Discovery resolves the short names too.
    let out = kubectl(&env, &config, &["get", "ns", "-o", "name"]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert!(common::stdout_of(&out).contains("namespace/kube-system"));

    // Warm: the plugin answers from the token cache, with no request at all, and records no
    // history line.
    env.emu.clear_journal();
    let history_before = ok(&env, &["history", "-n", "1000", "-o", "json"]);
    env.emu.clear_journal();
    let out = env
        .cmd()
        .args(["auth", "kube-token", "--org", &namespace])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(env.emu.journal().len(), 0, "{:?}", env.emu.journal());
    let cred: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cred["kind"], "ExecCredential");
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1");
    assert!(cred["status"]["token"].as_str().unwrap().starts_with("eyJ"));
    assert!(cred["status"]["expirationTimestamp"].is_string());
    assert!(out.stderr.is_empty(), "{}", common::stderr_of(&out));
    let history_after = ok(&env, &["history", "-n", "1000", "-o", "json"]);
    let len = |h: &str| {
        serde_json::from_str::<serde_json::Value>(h)
            .unwrap()
            .as_array()
            .map_or(0, Vec::len)
    };
    // Only the first `history` call itself was added.
    assert_eq!(len(&history_after), len(&history_before) + 1);

    // v1beta1 when kubectl asks for it.
    let out = env
        .cmd()
        .env(
            "KUBERNETES_EXEC_INFO",
            r#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","spec":{"interactive":false}}"#,
        )
        .args(["auth", "kube-token"])
        .output()
        .unwrap();
    let cred: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cred["apiVersion"], "client.authentication.k8s.io/v1beta1");

    // Another org's namespace is refused in one line, before kubectl sends anything.
    let out = env
        .cmd()
        .args(["auth", "kube-token", "--org", "org-someoneelse"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        common::stderr_of(&out).lines().count(),
        1,
        "{}",
        common::stderr_of(&out)
    );

    // auth status names the profile, the org and where the token comes from; --verify exchanges.
    let before = exchanges(&env);
    let status = ok(&env, &["auth", "status", "--verify", "-o", "table"]);
    assert!(status.contains("RSSPOT_REFRESH_TOKEN"), "{status}");
    assert!(status.contains(&namespace), "{status}");
    assert!(status.contains("verified"), "{status}");
    assert!(
        !status.contains("demo-token") && !status.contains("eyJ"),
        "{status}"
    );
    assert_eq!(exchanges(&env), before + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn after_expiry_the_exec_context_renews_and_the_static_one_fails() {
    // Tokens live 64 s: rsspot (60 s skew) treats one as stale ~4 s after issue, and moving the
    // emulator's clock makes the cluster API reject it.
    let env = env_with(ClockMode::Wall, Duration::from_secs(64)).await;
    cluster(&env);
    let exec = kubeconfig(&env, "exec.yaml", &[]);
    let out = env
        .cmd()
        .args([
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--static-token",
            "--file",
            env.home().join("static.yaml").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        common::stderr_of(&out).contains("expires at"),
        "{}",
        common::stderr_of(&out)
    );
    let static_config = env.home().join("static.yaml");
    for config in [&exec, &static_config] {
        let out = kubectl(&env, config, &["get", "nodes"]);
        assert!(out.status.success(), "{}", common::stderr_of(&out));
    }

    std::thread::sleep(Duration::from_millis(4_200));
    env.emu.advance(Duration::from_secs(600));

    let out = kubectl(&env, &static_config, &["get", "nodes"]);
    assert!(!out.status.success(), "a dead static token still worked");
    assert!(
        common::stderr_of(&out).contains("Unauthorized")
            || common::stderr_of(&out).contains("logged in"),
        "{}",
        common::stderr_of(&out)
    );

    let before = exchanges(&env);
    let out = kubectl(&env, &exec, &["get", "nodes"]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(common::stdout_of(&out).lines().count(), 3);
    assert_eq!(
        exchanges(&env),
        before + 1,
        "exactly one new token exchange"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_refresh_token_gives_kubectl_one_clear_line() {
    // Tokens shorter than the refresh skew are never reused: every plugin run exchanges.
    let env = env_with(ClockMode::Manual, Duration::from_secs(30)).await;
    cluster(&env);
    let exec = kubeconfig(&env, "exec.yaml", &[]);
    env.emu.revoke_refresh_token("demo-token");
    let out = kubectl(&env, &exec, &["get", "nodes"]);
    assert!(!out.status.success());
    let stderr = common::stderr_of(&out);
    let ours: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    // kubectl retries discovery and runs the plugin each time: each run says the same one line.
    assert!(!ours.is_empty(), "{stderr}");
    assert!(ours.iter().all(|l| *l == ours[0]), "{stderr}");
    assert!(ours[0].contains("refresh token"), "{stderr}");
    assert!(stderr.contains("executable rsspot failed"), "{stderr}");
    assert!(!stderr.contains("demo-token"), "{stderr}");
}
