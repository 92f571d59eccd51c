//! `emulator serve`, `api`, `completions`, `version` and EPIPE through the real binary.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn bin() -> std::path::PathBuf {
    assert_cmd::cargo::cargo_bin("rsspot")
}

/// A plain `std::process::Command` with the same isolation as `common::Env::bare_cmd`.
fn isolated(env: &common::Env, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG");
    c
}

/// `rsspot emulator serve ARGS` as a child; returns it with the lines it printed first
/// (the URL line plus the five export lines).
fn spawn_serve(env: &common::Env, args: &[&str]) -> (Child, Vec<String>) {
    let mut child = isolated(env, bin())
        .args(["emulator", "serve"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // Reading blocks until serve prints; a failing serve closes stdout, so this ends either way.
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .take(6)
        .map(|l| l.unwrap())
        .collect();
    (child, lines)
}

/// Sends SIGTERM and waits (bounded) for a clean exit.
fn terminate(mut child: Child) -> std::process::ExitStatus {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .is_ok_and(|s| s.success());
    if !sent {
        child.kill().unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("emulator serve did not stop on SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn with_url(mut cmd: assert_cmd::Command, url: &str, token: &str) -> assert_cmd::Command {
    cmd.env("RSSPOT_BASE_URL", url)
        .env("RSSPOT_OAUTH_URL", url)
        .env("RSSPOT_PUBLIC_DATA_URL", url)
        .env("RSSPOT_REFRESH_TOKEN", token);
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_serve_prints_its_url_first_and_serves_the_cli() {
    let env = common::Env::start().await;
    let (child, lines) = spawn_serve(&env, &["--port", "0"]);
    let url = lines.first().cloned().unwrap_or_default();
    let port: u16 = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("first line is not the base URL: {lines:?}"));
    assert_ne!(port, 0);
    for var in [
        "RSSPOT_BASE_URL",
        "RSSPOT_OAUTH_URL",
        "RSSPOT_PUBLIC_DATA_URL",
    ] {
        assert!(
            lines.contains(&format!("export {var}={url}")),
            "{var} missing: {lines:?}"
        );
    }
    assert!(lines.contains(&"export RSSPOT_REFRESH_TOKEN=demo-token".to_string()));
    // Each line once: the command adds nothing to what the emulator prints.
    assert_eq!(lines.iter().filter(|l| l.contains("BASE_URL")).count(), 1);

    let out = with_url(env.bare_cmd(), &url, "demo-token")
        .args(["regions", "list", "-o", "name"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let names = common::stdout_of(&out);
    assert!(names.lines().any(|l| l == "us-central-dfw-1"), "{names}");

    let status = terminate(child);
    assert!(status.success(), "SIGTERM ends serve cleanly: {status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn emulator_serve_takes_a_seed_and_lifecycle_flags() {
    let env = common::Env::start().await;
    let seed = env.home().join("seed.json");
    std::fs::write(
        &seed,
        r#"{"orgs": [{"id": "org_Tester000001", "name": "tester",
                      "display_name": "Tester Inc", "refresh_token": "tester-token"}]}"#,
    )
    .unwrap();
    let (child, lines) = spawn_serve(
        &env,
        &[
            "--seed",
            seed.to_str().unwrap(),
            "--ready-after",
            "0s",
            "--fulfil-after",
            "0",
            "--page-size",
            "2",
        ],
    );
    let url = lines.first().cloned().unwrap_or_default();
    assert!(
        lines.contains(&"export RSSPOT_REFRESH_TOKEN=tester-token".to_string()),
        "{lines:?}"
    );
    let out = with_url(env.bare_cmd(), &url, "tester-token")
        .args(["orgs", "list", "-o", "name"])
        .output()
        .unwrap();
    assert_eq!(common::stdout_of(&out).trim(), "tester");
    // --page-size 2: lists come in pages, and the CLI shows every item.
    let out = with_url(env.bare_cmd(), &url, "tester-token")
        .args(["regions", "list", "-o", "name"])
        .output()
        .unwrap();
    assert_eq!(
        common::stdout_of(&out).lines().count(),
        5,
        "{}",
        common::stderr_of(&out)
    );
    // --ready-after 0: a new cloudspace is Ready at the next request.
    let out = with_url(env.bare_cmd(), &url, "tester-token")
        .args([
            "api",
            "POST",
            "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/cloudspaces",
            "-f",
            "metadata[name]=quick",
            "-f",
            "spec[region]=us-east-iad-1",
            "-f",
            "spec[kubernetesVersion]=1.31.1",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let out = with_url(env.bare_cmd(), &url, "tester-token")
        .args([
            "api",
            "/apis/ngpc.rxt.io/v1/namespaces/org-tester000001/cloudspaces/quick",
        ])
        .output()
        .unwrap();
    let cs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cs["status"]["phase"], "Ready", "{cs}");
    terminate(child);

    // A bad seed is a configuration error (exit 2) before anything is served.
    std::fs::write(&seed, r#"{"orgs": []}"#).unwrap();
    let out = env
        .bare_cmd()
        .args(["emulator", "serve", "--seed", seed.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("invalid seed"));
    assert!(out.stdout.is_empty());
    let out = env
        .bare_cmd()
        .args(["emulator", "serve", "--ready-after", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_paginate_follows_continue() {
    let env = common::Env::start_with(rsspot::emulator::EmulatorOptions {
        page_size: Some(2),
        ..Default::default()
    })
    .await;
    let list = |extra: &[&str]| {
        let out = env
            .cmd()
            .args(["api", "/apis/ngpc.rxt.io/v1/regions"])
            .args(extra)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", common::stderr_of(&out));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    // Like `gh api`: one page as the server sent it, unless asked to follow.
    let page = list(&[]);
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["continue"], "emu-2");
    let all = list(&["--paginate"]);
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    assert_eq!(all["metadata"]["continue"], "");
    assert!(all["metadata"].get("remainingItemCount").is_none());
    // With query fields too (the continue parameter is appended).
    let sel = list(&["--paginate", "-f", "labelSelector=nope=1"]);
    assert_eq!(sel["items"].as_array().unwrap().len(), 0);
    let out = env
        .cmd()
        .args([
            "api",
            "DELETE",
            "/apis/ngpc.rxt.io/v1/regions",
            "--paginate",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr_of(&out).contains("--paginate"));
}

#[tokio::test(flavor = "multi_thread")]
async fn api_gets_objects_and_lists() {
    let env = common::Env::start().await;
    let out = env
        .cmd()
        .args(["api", "GET", "/apis/ngpc.rxt.io/v1/regions"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let text = common::stdout_of(&out);
    assert!(text.starts_with("{\n  \""), "pretty JSON: {text}");
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["kind"], "RegionList");
    assert!(v["items"].as_array().unwrap().len() >= 5);

    // One argument: the path, GET; arrays inside print as JSON arrays, also with -o json.
    let out = env
        .cmd()
        .args([
            "api",
            "apis/auth.ngpc.rxt.io/v1/organizations",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let orgs = v["organizations"].as_array().unwrap();
    assert!(orgs.iter().any(|o| o["name"] == "demo"), "{v}");
    // -o yaml is honoured.
    let out = env
        .cmd()
        .args(["api", "/apis/ngpc.rxt.io/v1/regions", "-o", "yaml"])
        .output()
        .unwrap();
    assert!(common::stdout_of(&out).contains("kind: RegionList"));

    // GET with -f: query parameters (raw values), not a body.
    env.emu.clear_journal();
    let out = env
        .cmd()
        .args([
            "api",
            "GET",
            "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/spotnodepools",
            "-f",
            "labelSelector=ngpc.rxt.io/cloudspace=none",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["items"], serde_json::json!([]));
    let sent = env
        .emu
        .journal()
        .into_iter()
        .find(|e| e.path.ends_with("/spotnodepools"))
        .unwrap();
    assert_eq!(sent.method, "GET");
    assert_eq!(
        sent.path,
        "/apis/ngpc.rxt.io/v1/namespaces/org-demoorg0000000001/spotnodepools"
    );
    assert_eq!(
        sent.query.as_deref(),
        Some("labelSelector=ngpc.rxt.io%2Fcloudspace%3Dnone")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn api_writes_with_fields_and_input() {
    let env = common::Env::start().await;
    let ns = "org-demoorg0000000001";
    let out = env
        .cmd()
        .args([
            "api",
            "POST",
            &format!("/apis/ngpc.rxt.io/v1/namespaces/{ns}/cloudspaces"),
            "-f",
            "metadata[name]=from-fields",
            "-f",
            "spec[region]=us-east-iad-1",
            "-f",
            "spec[kubernetesVersion]=1.31.1",
            "-f",
            "spec[HAControlPlane]=false",
            "-f",
            r#"metadata[labels]:={"team":"a"}"#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(created["metadata"]["name"], "from-fields");
    let stored = env.emu.snapshot()[ns]["cloudspaces"]["from-fields"].clone();
    assert_eq!(stored["spec"]["region"], "us-east-iad-1");
    assert_eq!(stored["spec"]["HAControlPlane"], false, "typed bool");
    assert_eq!(stored["metadata"]["labels"]["team"], "a");

    // --input FILE and --input - (stdin).
    let body = r#"{"metadata": {"name": "from-file"}, "spec": {"region": "uk-lon-1", "kubernetesVersion": "1.31.1"}}"#;
    let file = env.home().join("cs.json");
    std::fs::write(&file, body).unwrap();
    let path = "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/cloudspaces";
    let out = env
        .cmd()
        .args(["api", "POST", path, "--input", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let out = env
        .cmd()
        .args(["api", "POST", path, "--input", "-"])
        .write_stdin(body.replace("from-file", "from-stdin"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let snap = env.emu.snapshot();
    assert_eq!(
        snap[ns]["cloudspaces"]["from-file"]["spec"]["region"],
        "uk-lon-1"
    );
    assert!(snap[ns]["cloudspaces"]["from-stdin"].is_object());

    // PATCH goes as a merge patch (the API answers 415 to plain JSON).
    let out = env
        .cmd()
        .args([
            "api",
            "PATCH",
            &format!("/apis/ngpc.rxt.io/v1/namespaces/{ns}/cloudspaces/from-file"),
            "-f",
            "spec[webhook]=https://example.com/hook",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(
        env.emu.snapshot()[ns]["cloudspaces"]["from-file"]["spec"]["webhook"],
        "https://example.com/hook"
    );

    // DELETE answers a Status object.
    let out = env
        .cmd()
        .args([
            "api",
            "delete",
            &format!("/apis/ngpc.rxt.io/v1/namespaces/{ns}/cloudspaces/from-stdin"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.is_object(), "{v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_errors_map_to_exit_codes() {
    let env = common::Env::start().await;
    let ns_path = "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/cloudspaces";
    let cases: &[(&[&str], i32, &str)] = &[
        (&["api", "GET", &format!("{ns_path}/nope")], 3, "not found"),
        (&["api", "FETCH", "/x"], 2, "METHOD"),
        (&["api", "POST", ns_path, "-f", "novalue"], 2, "key=value"),
        (&["api", "POST", ns_path, "-f", "a:={"], 2, "not JSON"),
        (
            // An unreadable file is a runtime error, like any I/O failure.
            &["api", "POST", ns_path, "--input", "/nonexistent/x.json"],
            1,
            "x.json",
        ),
        // The server's own 422 message for an invalid name.
        (
            &[
                "api",
                "POST",
                ns_path,
                "-f",
                "metadata[name]=Bad_Name",
                "-f",
                "spec[region]=uk-lon-1",
            ],
            2,
            "Bad_Name",
        ),
    ];
    for (args, code, needle) in cases {
        let out = env.cmd().args(*args).output().unwrap();
        let err = common::stderr_of(&out);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // No credentials: auth failure (4).
    let out = env
        .bare_cmd()
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .args(["api", "/apis/ngpc.rxt.io/v1/regions"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", common::stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_for_every_shell() {
    let env = common::Env::start().await;
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = env
            .bare_cmd()
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}: {}", common::stderr_of(&out));
        let text = common::stdout_of(&out);
        assert!(text.len() > 1000, "{shell}: {} bytes", text.len());
        // The whole tree is in there, nested commands included.
        for word in ["cloudspaces", "server-classes", "completions"] {
            assert!(text.contains(word), "{shell} lacks {word}");
        }
    }
    let out = env
        .bare_cmd()
        .args(["completions", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn version_reports_crate_spec_and_commit() {
    let env = common::Env::start().await;
    let out = env
        .bare_cmd()
        .args(["version", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    let spec: Value =
        serde_json::from_str(include_str!("../openapi/spot.json")).expect("spec is JSON");
    assert_eq!(v["api_version"], spec["info"]["version"]);
    let meta: Value = serde_json::from_str(include_str!("../openapi/metadata.json")).unwrap();
    assert_eq!(v["spec_sha256"], meta["sha256"]);
    assert_eq!(v["operation_count"], meta["operation_count"]);
    assert!(v["git_commit"].as_str().is_some_and(|c| !c.is_empty()));

    let out = env
        .bare_cmd()
        .args(["version", "-o", "table"])
        .output()
        .unwrap();
    let text = common::stdout_of(&out);
    insta::with_settings!({filters => vec![
        (r"rsspot       \S+", "rsspot       [VERSION]"),
        (r"[0-9a-f]{64}", "[SHA256]"),
        (r"git commit   \S+", "git commit   [COMMIT]"),
    ]}, {
        insta::assert_snapshot!("version_table", text);
    });
}

/// Runs `script` in bash with the binary as `$RSSPOT` and the emulator in the environment.
fn bash(env: &common::Env, script: &str) -> std::process::Output {
    isolated(env, "bash")
        .args(["-c", script])
        .env("RSSPOT", bin())
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn closed_stdout_is_not_a_panic() {
    let env = common::Env::start().await;
    let out = bash(
        &env,
        r#""$RSSPOT" regions list -o json | head -c 10; echo; echo "rc=${PIPESTATUS[0]}""#,
    );
    let (stdout, stderr) = (common::stdout_of(&out), common::stderr_of(&out));
    assert!(stdout.starts_with("[\n  {"), "{stdout}");
    assert!(stdout.contains("rc=0"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
    // A long output into a reader that is gone at once.
    let out = bash(
        &env,
        r#""$RSSPOT" completions bash | true; echo "rc=${PIPESTATUS[0]}""#,
    );
    assert!(common::stdout_of(&out).contains("rc=0"));
    assert!(!common::stderr_of(&out).contains("panicked"));
}
