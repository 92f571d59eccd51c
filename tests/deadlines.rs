//! Every wait has an end (issue 29, items 3, 4 and the duration overflow of 10): the token
//! exchange and its retries, `auth kube-token` (what kubectl waits on), `auth status --verify`,
//! `configure --verify` and the PostgreSQL ledger all end by their deadline against a server
//! that accepts connections and never answers, with exit code 5 and a line that says so.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// Slack on top of a deadline: process start, config and state loading, a loaded machine.
const SLACK: Duration = Duration::from_secs(4);

/// A loopback server that accepts every connection and then either never answers (`reply` is
/// `None`) or answers every request with `reply`. Lives as long as the test process.
fn server(reply: Option<&'static str>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let mut held: Vec<TcpStream> = Vec::new();
        for sock in listener.incoming() {
            let Ok(mut sock) = sock else { continue };
            match reply {
                None => held.push(sock),
                Some(reply) => {
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 8192];
                        let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
                        let _ = sock.read(&mut buf);
                        let _ = sock.write_all(reply.as_bytes());
                    });
                }
            }
        }
    });
    format!("127.0.0.1:{}", addr.port())
}

/// `rsspot ARGS` with the refresh token in the environment and every URL on `url`; asserts it
/// ends in time with exit 5, and returns how long it took and its stderr.
fn times_out(env: &common::Env, url: &str, args: &[&str], bound: Duration) -> (Duration, String) {
    let started = Instant::now();
    let out = env
        .bare_cmd()
        .env("RSSPOT_BASE_URL", url)
        .env("RSSPOT_OAUTH_URL", url)
        .env("RSSPOT_PUBLIC_DATA_URL", url)
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .args(args)
        .output()
        .expect("rsspot runs");
    let took = started.elapsed();
    let stderr = common::stderr_of(&out);
    assert_eq!(out.status.code(), Some(5), "{args:?}: {stderr}");
    assert!(
        took < bound + SLACK,
        "{args:?} took {took:?}, deadline {bound:?}"
    );
    assert!(stderr.contains("within"), "{args:?}: {stderr}");
    common::assert_no_secret(&stderr);
    (took, stderr)
}

/// Item 3: `auth kube-token` against a token service that never answers ends by
/// `--request-timeout` (it took 13.5 s with 3 s: one timeout per attempt).
#[tokio::test]
async fn kube_token_ends_by_the_request_timeout() {
    let env = common::Env::start().await;
    let url = format!("http://{}", server(None));
    let secs = Duration::from_secs(3);
    let (took, stderr) = times_out(
        &env,
        &url,
        &["--request-timeout", "3s", "auth", "kube-token"],
        secs,
    );
    assert!(took >= secs - Duration::from_millis(200), "{took:?}");
    assert!(stderr.contains("oauth/token"), "{stderr}");
}

/// Item 3: without `--request-timeout`, `auth kube-token` ends within its own 20 s bound (it
/// took 121.5 s; kubectl runs it in the foreground, twice for `kubectl get nodes`).
#[tokio::test]
async fn kube_token_has_a_default_deadline_for_kubectl() {
    let env = common::Env::start().await;
    let url = format!("http://{}", server(None));
    let (took, _) = times_out(&env, &url, &["auth", "kube-token"], Duration::from_secs(20));
    assert!(took >= Duration::from_secs(19), "{took:?}");
    // The bound is in the command's help.
    let (help, _) = env.ok(&["auth", "kube-token", "--help"]);
    assert!(help.contains("20s"), "{help}");
}

/// Item 3: a 429 asking for a wait of 31 years is not slept on (it slept 120 s per attempt):
/// the wait would pass the deadline, so the call ends at once as a time-out.
#[tokio::test]
async fn retry_after_past_the_deadline_ends_the_call() {
    let env = common::Env::start().await;
    let url = format!(
        "http://{}",
        server(Some(
            "HTTP/1.1 429 Too Many Requests\r\nretry-after: 999999999\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        ))
    );
    let (took, stderr) = times_out(
        &env,
        &url,
        &["--request-timeout", "5s", "auth", "kube-token"],
        Duration::from_secs(5),
    );
    assert!(
        took < Duration::from_secs(4),
        "slept on Retry-After: {took:?}"
    );
    assert!(stderr.contains("retry after 999999999s"), "{stderr}");
}

/// Item 3: `auth status --verify` and `configure --verify` end by `--request-timeout` (both
/// took 121 s with `--request-timeout 3s`); `configure` then writes nothing.
#[tokio::test]
async fn verify_commands_end_by_the_request_timeout() {
    let env = common::Env::start().await;
    let url = format!("http://{}", server(None));
    let secs = Duration::from_secs(3);
    times_out(
        &env,
        &url,
        &["--request-timeout", "3s", "auth", "status", "--verify"],
        secs,
    );
    let token = env.home().join("token");
    std::fs::write(&token, "demo-token").unwrap();
    let token = token.to_str().unwrap();
    let (_, stderr) = times_out(
        &env,
        &url,
        &[
            "--request-timeout",
            "3s",
            "configure",
            "--no-input",
            "--verify",
            "--refresh-token-file",
            token,
            "--base-url",
            &url,
            "--oauth-url",
            &url,
        ],
        secs,
    );
    assert!(stderr.contains("was not changed"), "{stderr}");
    assert!(!env.config_dir().join("config.yml").exists());
}

/// Item 4: a PostgreSQL ledger that accepts and never answers: `registrations list` ends by
/// `--request-timeout` (it still ran after 300 s).
#[tokio::test]
async fn postgres_ledger_ends_by_the_request_timeout() {
    let env = common::Env::start().await;
    let pg = format!("postgres://orch:hunter2-secret@{}/ledger", server(None));
    let url = env.emu.base_url();
    let (_, stderr) = times_out(
        &env,
        &url,
        &[
            "--request-timeout",
            "3s",
            "registrations",
            "--ledger-url",
            &pg,
            "list",
        ],
        Duration::from_secs(3),
    );
    assert!(stderr.contains("postgres://orch@127.0.0.1"), "{stderr}");
    assert!(!stderr.contains("hunter2-secret"), "{stderr}");
}

/// Item 10 (part): a duration past what a deadline can hold is a usage error naming the bound,
/// never a panic (exit 101), for every duration flag.
#[tokio::test]
async fn huge_durations_are_usage_errors() {
    let env = common::Env::start().await;
    for args in [
        &[
            "--request-timeout",
            "18446744073709551615s",
            "regions",
            "list",
        ][..],
        &[
            "--connect-timeout",
            "99999999999999999999h",
            "regions",
            "list",
        ][..],
        &[
            "--request-timeout",
            "18446744073709551616",
            "auth",
            "kube-token",
        ][..],
    ] {
        let (code, stderr) = env.fails(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("too long"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}
