//! Bad-input suite (issue 10): malformed config files in every format, wrong types, unknown
//! profiles, invalid names, bids, labels and durations, and broken API answers (truncated JSON,
//! plain text, a proxy's HTML page, huge bodies) from a tiny local HTTP server. Each case must
//! give one `error:` line (plus at most a `hint:`) and its documented exit code, and leave every
//! file under HOME as it was (only `state.db`, which records the failed invocation's history,
//! may appear, and never for configuration errors).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[path = "suite_bad_input_parts/canned.rs"]
mod canned;
#[path = "suite_bad_input_parts/cases.rs"]
mod cases;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::Ordering;
use std::time::Instant;

use sha2::Digest;

use canned::{EMPTY_REGIONS, HTML_502, Reply, TRUNCATED, canned};
use cases::{Case, State, cases};

/// A valid config whose profile points at `url` with the demo org's token.
fn valid_config(url: &str) -> String {
    format!(
        "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    org: demo\n    \
         region: us-central-dfw-1\n    refresh_token: demo-token\n    base_url: {url}\n    \
         oauth_url: {url}\n    public_data_url: {url}\n"
    )
}

/// A kubeconfig the user already has; no failing command may touch it.
const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n\
current-context: ''\n";

/// Every file and directory under `root`: relative path → (mode, sha256 of the content).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (u32, String)> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir") {
            let path = entry.expect("entry").path();
            let meta = std::fs::symlink_metadata(&path).expect("metadata");
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(rel, (mode, "dir".to_string()));
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.insert(rel, (mode, hex::encode(sha2::Sha256::digest(&bytes))));
            }
        }
    }
    out
}

/// What a case may add: the state directory chain and `state.db` with its sidecars.
fn is_state_path(rel: &Path) -> bool {
    let s = rel.to_string_lossy();
    s == ".local" || s == ".local/state" || s.starts_with(".local/state/rsspot")
}

/// Checks stderr's shape: one `error:` line first, at most one `hint:` line, nothing else
/// except, for errors of the argument parser, clap's standard layout (indented argument names
/// and `tip:`, `Usage:`, "For more information"). Returns the error line.
fn one_line_error(what: &str, stderr: &str, parser: bool) -> String {
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        !lines.is_empty() && lines[0].starts_with("error: "),
        "{what}: stderr does not start with `error: `:\n{stderr}"
    );
    let errors = lines.iter().filter(|l| l.starts_with("error:")).count();
    let hints = lines.iter().filter(|l| l.starts_with("hint:")).count();
    assert_eq!(errors, 1, "{what}: {errors} error lines:\n{stderr}");
    assert!(hints <= 1, "{what}: {hints} hint lines:\n{stderr}");
    for l in &lines[1..] {
        // clap's own layout: indented continuation lines (argument names, `tip:`), the
        // usage line and its pointer to --help.
        let clap_trailer = l.starts_with("For more information, try '--help'")
            || l.starts_with("Usage: ")
            || l.starts_with("  ");
        assert!(
            l.starts_with("hint: ") || (parser && clap_trailer),
            "{what}: unexpected stderr line {l:?}:\n{stderr}"
        );
    }
    // One line a person can read: no pasted bodies or HTML.
    assert!(
        lines[0].len() <= 600,
        "{what}: error line of {} bytes:\n{}",
        lines[0].len(),
        &lines[0][..lines[0].len().min(2000)]
    );
    for marker in ["<html", "<HTML", "<!DOCTYPE", "<body", "xxxxxxxxxxxxxxxx"] {
        assert!(
            !stderr.contains(marker),
            "{what}: stderr echoes the body:\n{stderr}"
        );
    }
    lines[0].to_string()
}

/// `rsspot` with an isolated HOME and no inherited credentials or endpoints.
fn base_cmd(home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("rsspot").expect("binary");
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_")
            || k.starts_with("SPOT_")
            || k.starts_with("RACKSPACE_")
            || k.starts_with("RXTSPOT_")
        {
            cmd.env_remove(k);
        }
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("RUST_LOG")
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

fn perms_0600() -> std::fs::Permissions {
    std::os::unix::fs::PermissionsExt::from_mode(0o600)
}

/// A HOME with the valid config pointing at `url`.
fn home_with_config(url: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let dir = home.path().join(".config/rsspot");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("config.yml"), valid_config(url)).expect("config");
    // As rsspot writes it: a token file others can read would (rightly) get a warning.
    std::fs::set_permissions(dir.join("config.yml"), perms_0600()).expect("chmod");
    home
}

struct Outcome {
    line: String,
    hits: Option<usize>,
    elapsed: f64,
}

/// Runs one case in a fresh HOME (valid config + an existing kubeconfig) and checks it.
async fn run_case(emulator_url: &str, c: &Case) -> Outcome {
    let home = tempfile::tempdir().expect("home");
    let config_dir = home.path().join(".config/rsspot");
    std::fs::create_dir_all(&config_dir).expect("config dir");
    std::fs::create_dir_all(home.path().join(".kube")).expect("kube dir");
    std::fs::write(home.path().join(".kube/config"), KUBECONFIG).expect("kubeconfig");
    let (name, text) = match &c.config {
        Some((name, text)) => (name.to_string(), text.to_string()),
        None => ("config.yml".to_string(), valid_config(emulator_url)),
    };
    std::fs::write(config_dir.join(&name), text).expect("config");
    // As rsspot writes it: a token file others can read would (rightly) get a warning.
    std::fs::set_permissions(config_dir.join(&name), perms_0600()).expect("chmod");
    let server = match &c.server {
        Some(reply) => Some(canned(reply.clone()).await),
        None => None,
    };
    let before = snapshot(home.path());

    let mut cmd = base_cmd(home.path());
    // `CFG` stands for the case's own config file (for `-c`).
    for a in &c.args {
        match (a.as_str(), &c.config) {
            ("CFG", Some((name, _))) => cmd.arg(config_dir.join(name)),
            _ => cmd.arg(a),
        };
    }
    if let Some(s) = &server {
        for k in [
            "RSSPOT_BASE_URL",
            "RSSPOT_OAUTH_URL",
            "RSSPOT_PUBLIC_DATA_URL",
        ] {
            cmd.env(k, &s.url);
        }
    }
    for (k, v) in &c.env {
        cmd.env(k, v);
    }
    let t = Instant::now();
    let out: Output = cmd.output().expect("rsspot runs");
    let elapsed = t.elapsed().as_secs_f64();
    let what = format!("{} ({:?})", c.what, c.args);
    let stderr = common::stderr_of(&out);

    assert_eq!(out.status.code(), Some(c.code), "{what}:\n{stderr}");
    assert!(
        out.stdout.is_empty(),
        "{what}: stdout:\n{}",
        common::stdout_of(&out)
    );
    let line = one_line_error(&what, &stderr, c.parser);
    // clap may name the argument on the next line ("required arguments were not provided:").
    let hay = if c.parser {
        stderr.as_str()
    } else {
        line.as_str()
    };
    assert!(
        hay.contains(c.needle),
        "{what}: {hay:?} lacks {:?}",
        c.needle
    );

    // Nothing on disk changed except, where allowed, the state database.
    let after = snapshot(home.path());
    let changed: Vec<&PathBuf> = before
        .keys()
        .chain(after.keys())
        .filter(|p| before.get(*p) != after.get(*p))
        .collect();
    for p in &changed {
        assert!(
            c.state == State::History && is_state_path(p),
            "{what}: {} changed (before {:?}, after {:?})",
            p.display(),
            before.get(*p),
            after.get(*p)
        );
    }
    let db = home.path().join(".local/state/rsspot/state.db");
    if c.state == State::History && db.exists() {
        // Only the history of this failed run, and no broken answer in the cache.
        let state = rsspot::state::StateStore::open(&db)
            .await
            .expect("state.db");
        let rows = state.history_list(10).await.expect("history");
        assert_eq!(rows.len(), 1, "{what}: history {rows:?}");
        assert_eq!(rows[0].exit_code, c.code, "{what}");
        let size = std::fs::metadata(&db).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(db.with_file_name("state.db-wal"))
                .map(|m| m.len())
                .unwrap_or(0);
        assert!(size < 4 << 20, "{what}: state.db grew to {size} bytes");
        state.close().await;
    }
    let hits = server.as_ref().map(|s| s.api_hits.load(Ordering::SeqCst));
    if let (Some(want), Some(got)) = (c.api_hits, hits) {
        assert_eq!(got, want, "{what}: API requests");
    }
    Outcome {
        line,
        hits,
        elapsed,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_fails_with_one_line_and_changes_nothing() {
    let started = Instant::now();
    let env = common::Env::instant().await;
    // The cloudspace the pool cases refer to (the emulator's state is not on disk).
    let client = env.client().await;
    client
        .cloudspaces()
        .create(&rsspot::services::CloudSpaceCreate::new("demo-dfw").region("us-central-dfw-1"))
        .await
        .expect("cloudspace");
    env.emu.clear_journal();

    let url = env.emu.base_url();
    let cases = cases();
    let mut by_code: BTreeMap<i32, usize> = BTreeMap::new();
    for c in cases {
        let o = run_case(&url, &c).await;
        *by_code.entry(c.code).or_default() += 1;
        eprintln!(
            "  {:<40} exit {}  {:.2}s{}\n      {}",
            c.what,
            c.code,
            o.elapsed,
            o.hits
                .map(|h| format!("  api requests {h}"))
                .unwrap_or_default(),
            o.line
        );
    }
    // Nothing bad reached the API: no create, no patch.
    assert_eq!(env.emu.count("POST", "/apis/ngpc.rxt.io"), 0);
    assert_eq!(env.emu.count("PATCH", "/apis"), 0);
    let total: usize = by_code.values().sum();
    eprintln!(
        "suite_bad_input: cases={total}, by exit code={by_code:?}, files changed=0, \
         elapsed={:.1}s",
        started.elapsed().as_secs_f64()
    );
}

// ----- Known product bugs: each test below fails until the bug is fixed. -------------------

/// A 2xx answer whose body does not decode must not be cached: otherwise every run within the
/// cache TTL fails again from the cache, even after the server has recovered.
#[tokio::test(flavor = "multi_thread")]
async fn a_broken_answer_is_not_served_again_from_the_cache() {
    let server = canned(Reply::FirstThen(
        Box::new(Reply::Full {
            status: 200,
            content_type: "application/json",
            body: TRUNCATED.to_vec(),
        }),
        Box::new(Reply::Full {
            status: 200,
            content_type: "application/json",
            body: EMPTY_REGIONS.to_vec(),
        }),
    ))
    .await;
    let home = home_with_config(&server.url);
    let first = base_cmd(home.path())
        .args(["regions", "list", "-o", "json"])
        .output()
        .expect("runs");
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}",
        common::stderr_of(&first)
    );
    assert!(common::stderr_of(&first).contains("unexpected response"));
    // The server has recovered: the next run must ask it again and succeed.
    let second = base_cmd(home.path())
        .args(["regions", "list", "-o", "json"])
        .output()
        .expect("runs");
    let hits = server.api_hits.load(Ordering::SeqCst);
    eprintln!(
        "broken-answer cache: second run exit {:?}, API requests {hits}",
        second.status.code()
    );
    assert_eq!(
        (second.status.code(), hits),
        (Some(0), 2),
        "the broken answer was served again from the cache: {}",
        common::stderr_of(&second)
    );
    assert_eq!(common::stdout_of(&second).trim(), "[]");
}

/// The 64 MiB response cap must hold when the server sends no Content-Length (chunked).
#[tokio::test(flavor = "multi_thread")]
async fn a_huge_chunked_response_is_refused() {
    let total = 96 << 20;
    let server = canned(Reply::Chunked { total, fill: b'x' }).await;
    let home = home_with_config(&server.url);
    let t = Instant::now();
    let out = base_cmd(home.path())
        .args(["regions", "list", "-o", "json"])
        .output()
        .expect("runs");
    let stderr = common::stderr_of(&out);
    let db = home.path().join(".local/state/rsspot");
    let state_bytes: u64 = std::fs::read_dir(&db)
        .map(|d| {
            d.filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    eprintln!(
        "huge chunked response ({} MiB): exit {:?} in {:.1}s, state dir {} KiB, stderr {} bytes",
        total >> 20,
        out.status.code(),
        t.elapsed().as_secs_f64(),
        state_bytes / 1024,
        stderr.len()
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        &stderr[..stderr.len().min(600)]
    );
    let line = one_line_error("huge chunked response", &stderr, false);
    assert!(line.contains("larger than 64 MiB"), "{line}");
    assert!(
        state_bytes < 4 << 20,
        "the huge body went into state.db ({state_bytes} bytes)"
    );
}

/// Errors the client synthesises internally (token-service failures, refused connections,
/// the size cap) must read like the others: the real URL, named once, and the real status.
#[tokio::test(flavor = "multi_thread")]
async fn internal_errors_name_the_real_url_and_status_once() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let token_502 = canned(Reply::Everywhere {
        status: 502,
        body: HTML_502.as_bytes().to_vec(),
    })
    .await;
    let huge = canned(Reply::Short {
        declared: 200 << 20,
        body: vec![b' '; 1024],
    })
    .await;
    let scenarios = [
        ("connection refused", format!("http://127.0.0.1:{port}")),
        ("token service 502", token_502.url.clone()),
        ("announced huge body", huge.url.clone()),
    ];
    let mut problems = Vec::new();
    for (what, url) in &scenarios {
        let home = home_with_config(url);
        let before = snapshot(home.path());
        let out = base_cmd(home.path())
            .args(["regions", "list"])
            .env("RSSPOT_NO_HISTORY", "1")
            .output()
            .expect("runs");
        let stderr = common::stderr_of(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {stderr}");
        let line = one_line_error(what, &stderr, false);
        eprintln!("  {what}: {line}");
        let after = snapshot(home.path());
        assert!(
            after
                .keys()
                .all(|p| before.contains_key(p) || is_state_path(p)),
            "{what}: {after:?}"
        );
        let host = url.trim_start_matches("http://");
        if line.contains("no.url.provided") || (line.contains("http://") && !line.contains(host)) {
            problems.push(format!("{what}: names a placeholder, not {host}: {line}"));
        }
        for phrase in ["could not reach", "Spot API error"] {
            if line.matches(phrase).count() > 1 {
                problems.push(format!("{what}: repeats {phrase:?}: {line}"));
            }
        }
        if line.contains("HTTP 401") {
            problems.push(format!("{what}: reports a 401 nobody sent: {line}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
