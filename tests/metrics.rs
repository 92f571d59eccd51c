//! `rsspot metrics serve` with the real Prometheus tools (issue 28): a Prometheus started on
//! loopback scrapes it and answers a query for a pool's won nodes; `promtool check metrics` is
//! clean; `promtool check rules` and `promtool test rules` pass on docs/alerts.yml.
//!
//! The tools come from Debian's `prometheus` package (`.ci/prometheus.sh` installs it). Without
//! them these tests FAIL, saying so: they never skip.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use common::Env;
use serde_json::Value;

/// The path of `tool`, or a failure telling how to get it.
fn tool(name: &str) -> String {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {name}"))
        .output()
        .expect("sh runs");
    let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
    assert!(
        found.status.success() && !path.is_empty(),
        "{name} is not installed: run `.ci/prometheus.sh` (installs Debian's prometheus package, \
         which has prometheus and promtool)"
    );
    path
}

fn docs(file: &str) -> String {
    format!("{}/docs/{file}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn alert_rules_pass_promtool_check_and_unit_tests() {
    let promtool = tool("promtool");
    let check = Command::new(&promtool)
        .args(["check", "rules", &docs("alerts.yml")])
        .output()
        .expect("promtool runs");
    assert!(check.status.success(), "{check:?}");
    let test = Command::new(&promtool)
        .args(["test", "rules", &docs("alerts_test.yml")])
        .output()
        .expect("promtool runs");
    assert!(test.status.success(), "{test:?}");
}

/// `GET path` on `addr` over plain HTTP/1.0; the body.
fn http_get(addr: &str, path: &str) -> Option<String> {
    http_get_accept(addr, path, "*/*")
}

/// `GET path` with an `Accept` header; the body.
fn http_get_accept(addr: &str, path: &str, accept: &str) -> Option<String> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\n\r\n"
    )
    .ok()?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw).ok()?;
    let (head, body) = raw.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.").then(|| body.to_string())
}

fn lines(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `rsspot metrics serve` on a free loopback port; returns it and its address.
fn serve(env: &Env, interval: &str) -> (Killed, String) {
    let template = env.cmd();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rsspot"));
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args([
        "metrics",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        interval,
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("rsspot starts");
    let err = lines(child.stderr.take().expect("stderr"));
    let child = Killed(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = err.recv_timeout(left) else {
            break;
        };
        if let Some(rest) = line.split("http://").nth(1) {
            let addr = rest.split('/').next().unwrap_or_default().to_string();
            return (child, addr);
        }
    }
    panic!("metrics serve printed no address");
}

/// Polls `f` until it gives a value (30 s at most).
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what} did not happen in 60s");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn fleet(env: &Env) -> String {
    env.ok(&[
        "cs",
        "create",
        "demo-dfw",
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
    env.ok(&[
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
        "0.06",
        "-y",
    ]);
    let pools = env.ok_json(&[
        "np",
        "spot",
        "list",
        "--cloudspace",
        "demo-dfw",
        "-o",
        "json",
    ]);
    pools[0]["metadata"]["name"]
        .as_str()
        .expect("the pool has a name")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn prometheus_scrapes_metrics_serve_and_answers_for_won_nodes() {
    let prometheus = tool("prometheus");
    let promtool = tool("promtool");
    let env = Env::instant().await;
    let pool = fleet(&env);
    let (_serve, addr) = serve(&env, "200ms");

    let text = eventually("a refresh with the pool", || {
        http_get(&addr, "/metrics").filter(|t| t.contains(&format!("pool=\"{pool}\"")))
    });
    assert!(text.contains("rsspot_pool_won_nodes{"), "{text}");
    assert!(text.contains("rsspot_market_price_usd_per_hour{"), "{text}");
    assert!(
        text.contains("rsspot_api_requests_total{operation=\"list spot node pool\"}"),
        "{text}"
    );
    let openmetrics = http_get_accept(
        &addr,
        "/metrics",
        "application/openmetrics-text; version=1.0.0",
    )
    .expect("an OpenMetrics answer");
    assert!(openmetrics.trim_end().ends_with("# EOF"), "{openmetrics}");
    assert!(openmetrics.contains("# UNIT rsspot_market_price_usd_per_hour usd_per_hour"));
    common::assert_no_secret(&text);

    let mut check = Command::new(&promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool runs");
    check
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let checked = check.wait_with_output().expect("promtool ends");
    assert!(
        checked.status.success() && checked.stdout.is_empty() && checked.stderr.is_empty(),
        "promtool check metrics: {checked:?}\n{text}"
    );

    // A real Prometheus on loopback, scraping every second.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: rsspot\n    \
             static_configs:\n      - targets: ['{addr}']\n"
        ),
    )
    .expect("config");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let web = format!("127.0.0.1:{port}");
    let _prom = Killed(
        Command::new(&prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address={web}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus starts"),
    );
    let query = format!("/api/v1/query?query=rsspot_pool_won_nodes%7Bpool%3D%22{pool}%22%7D");
    let won = eventually("prometheus answering for the pool's won nodes", || {
        let body = http_get(&web, &query)?;
        let answer: Value = serde_json::from_str(&body).ok()?;
        let value = answer["data"]["result"][0]["value"][1]
            .as_str()?
            .to_string();
        Some(value)
    });
    assert_eq!(won, "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn scrapes_are_served_from_the_refreshed_state() {
    let env = Env::instant().await;
    fleet(&env);
    let (_serve, addr) = serve(&env, "1h");
    eventually("the first refresh", || {
        http_get(&addr, "/metrics").filter(|t| t.contains("rsspot_pool_won_nodes{"))
    });
    let before = env.api_requests("GET", "spotnodepools");
    for _ in 0..20 {
        assert!(http_get(&addr, "/metrics").is_some());
    }
    assert_eq!(
        env.api_requests("GET", "spotnodepools"),
        before,
        "a scrape sends no API request"
    );
    // Not loopback: served only when asked, with a warning.
    let out = env
        .cmd()
        .args(["metrics", "serve", "--listen", "256.0.0.1:1"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

/// The stderr lines `metrics serve --listen LISTEN` prints up to its address line.
fn startup_lines(env: &Env, listen: &str) -> Vec<String> {
    let template = env.cmd();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rsspot"));
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(["metrics", "serve", "--listen", listen, "--interval", "1h"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("rsspot starts");
    let err = lines(child.stderr.take().expect("stderr"));
    let _child = Killed(child);
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        let Ok(line) = err.recv_timeout(left) else {
            break;
        };
        let done = line.contains("http://");
        seen.push(line);
        if done {
            return seen;
        }
    }
    panic!("metrics serve printed no address: {seen:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_non_loopback_address_is_served_with_a_one_line_warning() {
    let env = Env::instant().await;
    let wide = startup_lines(&env, "0.0.0.0:0");
    let warnings: Vec<_> = wide.iter().filter(|l| l.starts_with("warning:")).collect();
    assert_eq!(warnings.len(), 1, "{wide:#?}");
    assert!(warnings[0].contains("not loopback"), "{wide:#?}");
    let local = startup_lines(&env, "127.0.0.1:0");
    assert!(
        !local.iter().any(|l| l.contains("warning")),
        "loopback warns nothing: {local:#?}"
    );
}
