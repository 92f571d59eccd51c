//! `--watch` as issue 26 wants it: piped (or with `--output-watch-events`) one line per change
//! in kubectl's form; on a terminal a status line with the real time of the last poll and of
//! the next one.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// A long-running `rsspot` child (environment of `env.cmd()`), stdout piped line by line.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
}

impl Watcher {
    fn spawn(env: &common::Env, args: &[&str]) -> Watcher {
        let template = env.cmd();
        let mut c = Command::new(env!("CARGO_BIN_EXE_rsspot"));
        for (k, v) in template.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c.args(args)
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

    fn interrupt(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("rsspot did not stop within 20s of SIGINT");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn create(env: &common::Env, name: &str) {
    env.ok(&["cs", "create", name, "--region", "us-central-dfw-1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn piped_watch_prints_one_line_per_change() {
    let env = common::Env::instant().await;
    create(&env, "watch-a");
    let w = Watcher::spawn(
        &env,
        &[
            "cs",
            "list",
            "-w",
            "--watch-interval",
            "200ms",
            "-o",
            "table",
        ],
    );
    let first = w.until("watch-a", |l| l.starts_with("watch-a"));
    assert!(first[0].starts_with("NAME"), "{first:?}");
    assert_eq!(first.len(), 2, "header and one row: {first:?}");
    create(&env, "watch-b");
    let next = w.until("watch-b", |l| l.starts_with("watch-b"));
    // Only the change: no header again, no row of watch-a, no blank line.
    assert_eq!(next.len(), 1, "{next:?}");
    assert_eq!(w.interrupt(), Some(130));
}

#[tokio::test(flavor = "multi_thread")]
async fn output_watch_events_leads_each_line_with_its_event() {
    let env = common::Env::instant().await;
    create(&env, "watch-a");
    let w = Watcher::spawn(
        &env,
        &[
            "cs",
            "list",
            "-w",
            "--output-watch-events",
            "--watch-interval",
            "200ms",
            "-o",
            "table",
        ],
    );
    let first = w.until("ADDED watch-a", |l| l.starts_with("ADDED     watch-a"));
    assert!(first[0].starts_with("EVENT     NAME"), "{first:?}");
    create(&env, "watch-b");
    w.until("ADDED watch-b", |l| l.starts_with("ADDED     watch-b"));
    env.ok(&["cs", "delete", "watch-a", "--yes"]);
    let gone = w.until("DELETED watch-a", |l| l.starts_with("DELETED   watch-a"));
    assert!(
        gone.iter().all(|l| !l.contains("watch-b")),
        "watch-b did not change: {gone:?}"
    );
    assert_eq!(w.interrupt(), Some(130));
}

#[tokio::test(flavor = "multi_thread")]
async fn output_watch_events_needs_watch() {
    let env = common::Env::instant().await;
    let (code, err) = env.fails(&["cs", "list", "--output-watch-events"]);
    assert_eq!(code, Some(2), "{err}");
}

/// On a terminal (under `script`), each redraw says when it polled and when it polls next.
#[tokio::test(flavor = "multi_thread")]
async fn the_terminal_status_line_gives_the_real_poll_times() {
    let env = common::Env::instant().await;
    create(&env, "watch-a");
    let template = env.cmd();
    let bin = env!("CARGO_BIN_EXE_rsspot");
    let mut c = Command::new("script");
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c
        .args([
            "-qec",
            &format!("timeout -s INT 3 {bin} cs list -w --watch-interval 300ms"),
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .output()
        .expect("script runs");
    let text = common::stdout_of(&out);
    let polls: Vec<&str> = text
        .split("\x1b[H\x1b[2J")
        .filter(|s| s.starts_with("Polled "))
        .collect();
    assert!(polls.len() >= 3, "fewer redraws than polls: {text:?}");
    // The second poll says how long after the first it came, and when the next is due: the
    // interval doubles while nothing changes (300ms, 300ms, 600ms, 1.2s).
    assert!(
        polls[1].contains("after the last); next "),
        "{:?}",
        polls[1]
    );
    assert!(polls[0].contains("(in 300ms)"), "{:?}", polls[0]);
    assert!(polls[2].contains("(in 600ms)"), "{:?}", polls[2]);
    assert!(!text.contains("Every "), "{text:?}");
    assert!(text.contains("watch-a"), "{text:?}");
}
