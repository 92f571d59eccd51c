//! The line is the context (issue 26): `-p`/`--org`/`--cloudspace` typed on the line drive
//! completion, an explicit `-p` wins over token variables (said once on stderr and in
//! `config explain`), and every hint repeats the `-p`/`--org` the user gave.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Env, stderr_of, stdout_of};

/// Profile `slow`: the emulator's second org (`acme-dev`, token `acme-token`), not active.
/// The environment of `Env::cmd` keeps `RSSPOT_REFRESH_TOKEN=demo-token` (org `demo`).
fn add_profile(env: &Env, name: &str, token: &str) {
    let url = env.emu.base_url();
    let out = env
        .bare_cmd()
        .args([
            "-p",
            name,
            "configure",
            "--refresh-token",
            token,
            "--base-url",
            &url,
            "--oauth-url",
            &url,
            "--public-data-url",
            &url,
            "--no-activate",
            "--no-input",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
}

/// `rsspot` as the bash completion hook calls it for the last of `words`.
fn complete(env: &Env, words: &[&str]) -> Vec<String> {
    let out = env
        .cmd()
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    stdout_of(&out).lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_explicit_profile_wins_over_the_token_variable_and_says_so() {
    let env = Env::start().await;
    add_profile(&env, "slow", "acme-token");
    env.ok(&["cs", "create", "demo-cs", "--region", "us-central-dfw-1"]);
    env.ok(&[
        "-p",
        "slow",
        "cs",
        "create",
        "acme-cs",
        "--region",
        "us-central-dfw-1",
    ]);
    // Profile slow's org, not the variable's; the variable is named once on stderr.
    let (out, err) = env.ok(&["-p", "slow", "cs", "list", "-o", "name"]);
    assert!(out.contains("acme-cs") && !out.contains("demo-cs"), "{out}");
    assert_eq!(
        err.matches("RSSPOT_REFRESH_TOKEN ignored").count(),
        1,
        "{err}"
    );
    assert!(err.contains("--profile slow"), "{err}");
    // Not said when kubectl runs the credential plugin (it shows the plugin's stderr).
    let out = env
        .cmd()
        .env(
            "KUBERNETES_EXEC_INFO",
            r#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}}"#,
        )
        .args(["auth", "kube-token", "--profile", "slow"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(out.stderr.is_empty(), "{}", stderr_of(&out));
    // Without -p the variable still rules.
    let (out, err) = env.ok(&["cs", "list", "-o", "name"]);
    assert!(out.contains("demo-cs") && !out.contains("acme-cs"), "{out}");
    assert!(!err.contains("ignored"), "{err}");
    // `config explain` shows it.
    let (out, _) = env.ok(&["-p", "slow", "config", "explain", "refresh_token"]);
    assert!(out.contains("RSSPOT_REFRESH_TOKEN ignored"), "{out}");
    assert!(out.contains("profile"), "{out}");
    common::assert_no_secret(&out);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_profile_without_a_token_still_uses_the_variable() {
    let env = Env::start().await;
    let url = env.emu.base_url();
    let out = env
        .bare_cmd()
        .args([
            "-p",
            "notoken",
            "configure",
            "--region",
            "uk-lon-1",
            "--base-url",
            &url,
            "--no-activate",
            "--no-input",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));
    let (_, err) = env.ok(&["-p", "notoken", "regions", "list"]);
    assert!(!err.contains("ignored"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn completion_uses_the_profile_and_cloudspace_on_the_line() {
    let env = Env::start().await;
    add_profile(&env, "slow", "acme-token");
    env.ok(&["cs", "create", "demo-cs", "--region", "us-central-dfw-1"]);
    env.ok(&[
        "-p", "slow", "cs", "create", "acme-cs", "--region", "uk-lon-1",
    ]);
    // Fill the cache the completion reads (a Tab press gets 100 ms of network at most).
    env.ok(&["-p", "slow", "cs", "list"]);
    env.ok(&["-p", "slow", "cs", "get", "acme-cs"]);
    env.ok(&["-p", "slow", "server-classes", "list"]);
    env.ok(&["cs", "list"]);

    let names = complete(&env, &["rsspot", "-p", "slow", "cs", "get", ""]);
    assert!(names.contains(&"acme-cs".to_string()), "{names:?}");
    assert!(!names.contains(&"demo-cs".to_string()), "{names:?}");
    let names = complete(&env, &["rsspot", "--profile=slow", "cs", "get", ""]);
    assert!(names.contains(&"acme-cs".to_string()), "{names:?}");
    let names = complete(&env, &["rsspot", "cs", "get", ""]);
    assert!(names.contains(&"demo-cs".to_string()), "{names:?}");
    assert!(!names.contains(&"acme-cs".to_string()), "{names:?}");

    // Server classes of the typed cloudspace's region only.
    let classes = complete(
        &env,
        &[
            "rsspot",
            "-p",
            "slow",
            "nodepools",
            "spot",
            "create",
            "--cloudspace",
            "acme-cs",
            "--server-class",
            "",
        ],
    );
    assert!(!classes.is_empty(), "no classes offered");
    assert!(
        classes.iter().all(|c| c.ends_with("-lon")),
        "classes of other regions offered: {classes:?}"
    );
    let all = complete(&env, &["rsspot", "-p", "slow", "server-classes", "get", ""]);
    assert!(all.len() > classes.len(), "{all:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_on_a_named_profile_suggests_configuring_that_profile() {
    let env = Env::start().await;
    add_profile(&env, "bad", "not-a-valid-token");
    let (code, err) = env.fails(&["-p", "bad", "regions", "list", "--no-cache"]);
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("`rsspot configure --profile bad`"), "{err}");
    // --org typed on the line comes along too.
    let (_, err) = env.fails(&["-p", "bad", "--org", "demo", "cs", "list"]);
    assert!(
        err.contains("`rsspot --org demo configure --profile bad`"),
        "{err}"
    );
    // Without -p: plain `rsspot configure`.
    let (_, err) = env.fails(&["api", "/nope"]);
    assert!(!err.contains("--profile"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_hint_repeats_the_profile() {
    let env = Env::start().await;
    add_profile(&env, "slow", "acme-token");
    let template = env.cmd();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("rsspot"));
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd
        .args([
            "-p",
            "slow",
            "cs",
            "create",
            "slow2",
            "--region",
            "uk-lon-1",
            "--wait",
            "--timeout",
            "60s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    // Wait for the first progress line: the waiter (and its Ctrl-C handler) runs.
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("rsspot ended before waiting: {seen}");
        }
        seen.push_str(&line);
        if line.starts_with("phase:") {
            break;
        }
    }
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
    assert_eq!(code, Some(130), "{seen}{rest}");
    assert!(
        rest.contains("`rsspot -p slow cloudspaces wait slow2`"),
        "{seen}{rest}"
    );
}
