//! `--watch`, `inventory events --follow` (real child processes, a change made by another CLI
//! call, then SIGINT → exit 130), tables cut to 80 columns (snapshots at 80 and 200), and the
//! VM cloudspace of inventory pools.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

fn ok(env: &common::Env, args: &[&str]) -> String {
    env.ok(args).0
}

/// A long-running `rsspot` child with the same environment as `env.cmd()`, stdout piped.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
}

impl Watcher {
    fn spawn(env: &common::Env, args: &[&str]) -> Watcher {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rsspot"));
        for (k, _) in std::env::vars() {
            if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") || k == "COLUMNS" {
                c.env_remove(k);
            }
        }
        c.env("HOME", env.home())
            .env("XDG_CONFIG_HOME", env.home().join(".config"))
            .env("XDG_STATE_HOME", env.home().join(".local/state"))
            .env("NO_COLOR", "1")
            .env("RSSPOT_BASE_URL", env.emu.base_url())
            .env("RSSPOT_OAUTH_URL", env.emu.base_url())
            .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
            .env("RSSPOT_REFRESH_TOKEN", "demo-token")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("rsspot starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines }
    }

    /// Lines until one satisfies `want` (panics after 30 s, showing what came).
    fn until(&self, what: &str, want: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let done = want(&line);
                    seen.push(line);
                    if done {
                        return seen;
                    }
                }
                Err(_) => break,
            }
        }
        panic!("no line with {what} within 30s; got {seen:#?}");
    }

    /// Sends SIGINT (as Ctrl-C does) and returns the exit code and stderr.
    fn interrupt(mut self) -> (Option<i32>, String) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    use std::io::Read as _;
                    let _ = e.read_to_string(&mut err);
                }
                return (status.code(), err);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("rsspot did not stop within 20s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn event(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn list_watch_prints_a_change_and_stops_on_ctrl_c() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &["cs", "create", "watch-cs", "--region", "us-central-dfw-1"],
    );
    let created = ok(
        &env,
        &[
            "nodepools",
            "spot",
            "create",
            "--cloudspace",
            "watch-cs",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
            "--yes",
            "-o",
            "name",
        ],
    );
    let pool = created.trim().to_string();
    let w = Watcher::spawn(
        &env,
        &[
            "nodepools",
            "spot",
            "list",
            "--watch",
            "--watch-interval",
            "200ms",
            "-o",
            "json",
        ],
    );
    let first = w.until("the pool ADDED", |l| {
        let e = event(l);
        e["type"] == "ADDED" && e["object"]["metadata"]["name"] == pool.as_str()
    });
    assert_eq!(first.len(), 1, "one pool, one line: {first:?}");
    // Another process scales the pool: the watcher prints it as one MODIFIED line.
    ok(
        &env,
        &["np", "spot", "update", &pool, "--desired", "3", "--yes"],
    );
    let changes = w.until("desired 3", |l| {
        let e = event(l);
        e["type"] == "MODIFIED" && e["object"]["spec"]["desired"] == 3
    });
    for line in &changes {
        let e = event(line);
        assert_eq!(e["object"]["metadata"]["name"], pool.as_str(), "{line}");
    }
    let (code, err) = w.interrupt();
    assert_eq!(code, Some(130), "stderr: {err}");
    assert!(!err.contains("error"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn get_watch_reports_deletion() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &["cs", "create", "gone-soon", "--region", "us-central-dfw-1"],
    );
    let w = Watcher::spawn(
        &env,
        &[
            "cs",
            "get",
            "gone-soon",
            "-w",
            "--watch-interval",
            "200ms",
            "-o",
            "json",
        ],
    );
    w.until("ADDED", |l| event(l)["type"] == "ADDED");
    ok(&env, &["--yes", "cs", "delete", "gone-soon"]);
    let lines = w.until("DELETED", |l| event(l)["type"] == "DELETED");
    assert_eq!(
        event(lines.last().unwrap())["object"]["metadata"]["name"],
        "gone-soon"
    );
    let (code, err) = w.interrupt();
    assert_eq!(code, Some(130), "stderr: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_of_a_missing_object_fails_at_once() {
    let env = common::Env::instant().await;
    let out = env
        .cmd()
        .args(["cs", "get", "nope", "--watch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn events_follow_prints_new_events_and_stops_on_ctrl_c() {
    let env = common::Env::instant().await;
    let w = Watcher::spawn(
        &env,
        &[
            "inventory",
            "events",
            "--follow",
            "--watch-interval",
            "200ms",
            "-o",
            "json",
        ],
    );
    // Give the first poll a moment, then make an event happen from another process.
    std::thread::sleep(Duration::from_millis(500));
    ok(
        &env,
        &["cs", "create", "follow-cs", "--region", "us-central-dfw-1"],
    );
    let lines = w.until("the new event", |l| {
        event(l)["event"]
            .as_str()
            .is_some_and(|e| e.contains("follow-cs created"))
    });
    for line in &lines {
        let e = event(line);
        assert!(e["time"].is_string() && e["event"].is_string(), "{line}");
    }
    // Each event once: nothing printed twice across polls.
    let mut unique = lines.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), lines.len(), "{lines:#?}");
    let (code, err) = w.interrupt();
    assert_eq!(code, Some(130), "stderr: {err}");
}

fn table_at(env: &common::Env, columns: u16, args: &[&str]) -> String {
    let out = env
        .cmd()
        .env("COLUMNS", columns.to_string())
        .args(args)
        .args(["-o", "table"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        common::stderr_of(&out)
    );
    let text = common::stdout_of(&out);
    for line in text.lines() {
        assert!(
            line.chars().count() <= usize::from(columns),
            "{args:?} at {columns} columns: {} wide:\n{line}",
            line.chars().count()
        );
    }
    text
}

fn age_filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"hcp-[0-9a-f]{8}", "hcp-[ID]"),
        (r"(?m)(\s)\d{1,3}[smhd](\s|$)", "$1[AGE]$2"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn tables_fit_80_columns_and_keep_everything_at_200() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &["cs", "create", "fit-dfw", "--region", "us-central-dfw-1"],
    );
    ok(
        &env,
        &[
            "np",
            "spot",
            "create",
            "--name",
            "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c",
            "--cloudspace",
            "fit-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "2",
            "--bid-price",
            "0.06",
            "--yes",
        ],
    );
    let cases: &[(&str, &[&str])] = &[
        (
            "pricing_list",
            &["pricing", "list", "--region", "us-central-dfw-1"],
        ),
        ("server_classes_list", &["server-classes", "list"]),
        ("cloudspaces_list", &["cloudspaces", "list"]),
        ("spot_list", &["nodepools", "spot", "list"]),
        ("vm_pools_list", &["vm-pools", "list"]),
        ("inventory_vmcloudspaces", &["inventory", "vmcloudspaces"]),
        ("inventory_vmpools", &["inventory", "vmpools", "vm-lab-dfw"]),
    ];
    for (name, args) in cases {
        for columns in [80u16, 200] {
            let text = table_at(&env, columns, args);
            insta::with_settings!({filters => age_filters()}, {
                insta::assert_snapshot!(format!("{name}_{columns}"), text);
            });
        }
    }
    // The default `pricing list` is cut at 80 but whole at 200 and in -o wide.
    let narrow = table_at(&env, 80, &["pricing", "list"]);
    let full = table_at(&env, 200, &["pricing", "list"]);
    assert!(narrow.lines().next().unwrap().len() < full.lines().next().unwrap().len());
    let wide = ok(&env, &["pricing", "list", "-o", "wide"]);
    assert!(
        wide.lines().next().unwrap().contains("SAVE VS HYP"),
        "{wide}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_vmpools_show_the_vm_cloudspace_from_the_label() {
    let env = common::Env::instant().await;
    let text = ok(&env, &["inventory", "vmpools", "vm-lab-dfw", "-o", "table"]);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header[1], "VMCLOUDSPACE", "{text}");
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1], "vm-lab-dfw", "{text}");
    }
}
