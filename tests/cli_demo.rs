//! `rsspot demo`: the guided tour against an in-process emulator.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Every file under `dir`, relative paths, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            out.push(p.strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out.sort();
    out
}

const COMMANDS: &[&str] = &[
    "$ rsspot regions list",
    "$ rsspot pricing list --region us-central-dfw-1",
    "$ rsspot cloudspaces create demo-cluster --region us-central-dfw-1 --wait",
    "$ rsspot pricing bid gp.vs1.medium-dfw --risk med",
    "$ rsspot nodepools spot create --cloudspace demo-cluster --server-class gp.vs1.medium-dfw",
    "$ rsspot cloudspaces kubeconfig demo-cluster",
    "$ rsspot nodepools spot delete ",
    "$ rsspot cloudspaces delete demo-cluster --yes",
];

#[tokio::test(flavor = "multi_thread")]
async fn demo_fast_walks_the_main_job_and_leaves_home_alone() {
    let env = common::Env::start().await;
    let before = files_under(env.home());
    // No credentials or endpoints in the environment: the demo needs none.
    let out = env.bare_cmd().args(["demo", "--fast"]).output().unwrap();
    let (stdout, stderr) = (common::stdout_of(&out), common::stderr_of(&out));
    assert!(out.status.success(), "{stderr}");
    // Long commands are shell continuation lines (to fit 80 columns): read them joined.
    let joined = stdout.replace(" \\\n      ", " ");
    for c in COMMANDS {
        assert!(joined.contains(c), "missing {c:?} in:\n{stdout}");
    }
    // The steps happen in order.
    let positions: Vec<usize> = COMMANDS.iter().filter_map(|c| joined.find(c)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(stdout.contains("Fulfilled"), "{stdout}");
    assert!(stdout.contains("server: https://hcp-"), "{stdout}");
    assert!(stdout.contains("rsspot configure"));
    assert!(stdout.contains("rsspot emulator serve"));
    // The kubeconfig's user section (a token) is not shown.
    assert!(!stdout.contains("token:"), "{stdout}");
    assert!(!stdout.contains("eyJ"), "{stdout}");
    assert!(stderr.contains("is Ready"), "progress on stderr: {stderr}");
    // No config, no state.db, no history: HOME is exactly as before.
    assert_eq!(files_under(env.home()), before);

    insta::with_settings!({filters => vec![
        (r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]"),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "[UUID]"),
        // A table shows a UUID as its shortest unique prefix (8 characters here).
        (r"(?m)^[0-9a-f]{8}(\s)", "[ID]    $1"),
        (r"hcp-[0-9a-z]+", "hcp-[ID]"),
    ]}, {
        insta::assert_snapshot!("demo_fast", stdout);
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_with_the_wall_clock_lifecycle_shows_progress_in_seconds() {
    let env = common::Env::start().await;
    let started = Instant::now();
    let out = env.bare_cmd().args(["demo"]).output().unwrap();
    let stderr = common::stderr_of(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(45),
        "{:?}",
        started.elapsed()
    );
    // Phase changes are reported as they happen.
    assert!(stderr.contains("is Provisioning"), "{stderr}");
    assert!(stderr.contains("is Pending (0/2 nodes)"), "{stderr}");
    assert!(stderr.contains("is Ready"), "{stderr}");
    // --quiet keeps stderr for errors only.
    let out = env
        .bare_cmd()
        .args(["demo", "--fast", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(out.stderr.is_empty(), "{}", common::stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_into_a_closed_pipe_exits_quietly() {
    let env = common::Env::start().await;
    let out = std::process::Command::new("bash")
        .args([
            "-c",
            r#""$RSSPOT" demo --fast | head -1; echo "rc=${PIPESTATUS[0]}""#,
        ])
        .env("RSSPOT", assert_cmd::cargo::cargo_bin("rsspot"))
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .output()
        .unwrap();
    let (stdout, stderr) = (common::stdout_of(&out), common::stderr_of(&out));
    assert!(stdout.starts_with("rsspot demo: "), "{stdout}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("rc=0"), "{stdout}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}
