//! The request pipeline against servers that misbehave the way a real network and a real
//! service can: redirects to other hosts, rate limits on the token service, a server that never
//! answers, a token service URL that is wrong, answers that are too large. Each test here
//! reproduces a bullet of issue 13 that used to do harm.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rsspot::emulator::Emulator;
use rsspot::retry::RetryConfig;
use rsspot::{Error, SpotClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a scripted server does with the n-th request (0-based).
#[derive(Clone)]
enum Reply {
    /// Answer these bytes (a whole HTTP/1.1 response) and close.
    Raw(String),
    /// Accept, read, never answer.
    Hang,
}

/// A loopback server that records every request it receives and answers from a script.
struct Scripted {
    url: String,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Scripted {
    async fn start(script: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let script = Arc::new(script);
        tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    return;
                };
                let log = log.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    // Read the head, then the announced body.
                    loop {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).to_string();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let len = text[..end]
                                .lines()
                                .find_map(|l| {
                                    l.to_ascii_lowercase()
                                        .strip_prefix("content-length:")
                                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                                })
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + len {
                                break;
                            }
                        }
                    }
                    let request = String::from_utf8_lossy(&buf).to_string();
                    let n = {
                        let mut seen = log.lock().unwrap();
                        seen.push(request.clone());
                        seen.len() - 1
                    };
                    match script(n, &request) {
                        Reply::Raw(resp) => {
                            let _ = sock.write_all(resp.as_bytes()).await;
                            let _ = sock.shutdown().await;
                        }
                        Reply::Hang => {
                            tokio::time::sleep(Duration::from_secs(600)).await;
                        }
                    }
                });
            }
        });
        Scripted { url, seen }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    Reply::Raw(out)
}

fn fast_retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        jitter: 0.0,
        ..Default::default()
    }
}

async fn client(api: &str, oauth: &str) -> SpotClient {
    SpotClient::builder()
        .base_url(api)
        .oauth_url(oauth)
        .public_data_url(api)
        .refresh_token("demo-token")
        .retry(fast_retry())
        .in_memory_state()
        .build()
        .await
        .unwrap()
}

/// A 307/308 from the token service to another host: nothing reaches the other host, and the
/// error says what happened.
#[tokio::test]
async fn token_redirect_to_another_host_is_not_followed() {
    let elsewhere = Scripted::start(|_, _| response("200 OK", &[], "{}")).await;
    for code in ["307 Temporary Redirect", "308 Permanent Redirect"] {
        let target = format!("{}/oauth/token", elsewhere.url);
        let token = Scripted::start(move |_, _| response(code, &[("location", &target)], "")).await;
        let emu = Emulator::start().await.unwrap();
        let c = client(&emu.base_url(), &token.url).await;
        let err = c.regions().list().await.unwrap_err();
        assert!(matches!(err, Error::Redirected { .. }), "{err:?}");
        assert_eq!(token.requests().len(), 1, "no retry of a redirect");
        let msg = err.to_string();
        assert!(!msg.contains("demo-token"), "{msg}");
    }
    assert!(
        elsewhere.requests().is_empty(),
        "the other host received: {:?}",
        elsewhere.requests()
    );
}

/// generate-kubeconfig carries the refresh token in its body: a redirect elsewhere is refused
/// too, and a same-origin redirect is still followed.
#[tokio::test]
async fn kubeconfig_redirect_keeps_the_refresh_token_home() {
    let elsewhere = Scripted::start(|_, _| response("200 OK", &[], "{}")).await;
    let target = format!(
        "{}/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig",
        elsewhere.url
    );
    let api = Scripted::start(move |_, req| {
        if req.starts_with("POST /apis/auth.ngpc.rxt.io/v1/generate-kubeconfig") {
            response("308 Permanent Redirect", &[("location", &target)], "")
        } else {
            response("404 Not Found", &[], "")
        }
    })
    .await;
    let emu = Emulator::start().await.unwrap();
    let c = SpotClient::builder()
        .base_url(&api.url)
        .oauth_url(emu.base_url())
        .refresh_token("demo-token")
        .org("org-demoorg0000000001")
        .retry(fast_retry())
        .in_memory_state()
        .build()
        .await
        .unwrap();
    let err = c
        .raw()
        .generate_kubeconfig()
        .body(
            rsspot::raw::types::GenerateKubeconfigBody::builder()
                .organization_name("demo")
                .cloudspace_name("x")
                .refresh_token("demo-token"),
        )
        .send()
        .await;
    assert!(err.is_err());
    assert!(
        elsewhere.requests().is_empty(),
        "{:?}",
        elsewhere.requests()
    );
}

/// `rsspot api` with an absolute URL on another host: refused before anything is sent.
#[tokio::test]
async fn api_refuses_foreign_hosts() {
    let elsewhere = Scripted::start(|_, _| response("200 OK", &[], "{}")).await;
    let emu = Emulator::start().await.unwrap();
    let c = client(&emu.base_url(), &emu.base_url()).await;
    let err = c
        .api_request(
            "GET",
            &format!("{}/apis/ngpc.rxt.io/v1/regions", elsewhere.url),
            None,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignUrl { .. }), "{err:?}");
    assert!(elsewhere.requests().is_empty());
    // The configured host in absolute form is fine.
    let ok = c
        .api_request(
            "GET",
            &format!("{}/apis/ngpc.rxt.io/v1/regions", emu.base_url()),
            None,
        )
        .await
        .unwrap();
    assert!(ok["items"].is_array());
}

/// 429, 408 and 503 from the token service with `Retry-After`: the exchange waits as told and
/// then succeeds.
#[tokio::test]
async fn token_exchange_honours_retry_after() {
    for status in [429u16, 408, 503] {
        let emu = Emulator::start().await.unwrap();
        let c = client(&emu.base_url(), &emu.base_url()).await;
        emu.faults()
            .fail_next(2, status, Some(Duration::from_secs(1)));
        let started = Instant::now();
        let regions = c.regions().list().await.unwrap();
        let took = started.elapsed();
        assert!(!regions.is_empty());
        assert!(
            took >= Duration::from_secs(2),
            "HTTP {status}: two advertised 1 s waits, took {took:?}"
        );
        assert!(took < Duration::from_secs(5), "HTTP {status}: {took:?}");
        assert_eq!(emu.count("POST", "/oauth/token"), 3, "HTTP {status}");
    }
}

/// A canned token-service answer and the check its error must pass.
type TokenCase = (Reply, fn(&Error) -> bool);

/// The token service's refusals, each with its own typed error and no empty brackets.
#[tokio::test]
async fn token_errors_are_typed() {
    let cases: Vec<TokenCase> = vec![
        (
            response(
                "403 Forbidden",
                &[("content-type", "application/json")],
                r#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#,
            ),
            |e| matches!(e, Error::TokenRejected { status: 403, description, .. } if description == "Unknown or invalid refresh token."),
        ),
        (
            response(
                "401 Unauthorized",
                &[],
                r#"{"error":"access_denied","error_description":"Unauthorized"}"#,
            ),
            |e| matches!(e, Error::TokenRejected { status: 401, .. }),
        ),
        (
            response(
                "404 Not Found",
                &[("content-type", "text/html")],
                "<html>nope</html>",
            ),
            |e| matches!(e, Error::TokenEndpoint { status: 404, .. }),
        ),
        (response("405 Method Not Allowed", &[], ""), |e| {
            matches!(e, Error::TokenEndpoint { status: 405, .. })
        }),
        (response("429 Too Many Requests", &[], ""), |e| {
            matches!(e, Error::RateLimited { .. })
        }),
    ];
    for (reply, check) in cases {
        let token = Scripted::start(move |_, _| reply.clone()).await;
        let emu = Emulator::start().await.unwrap();
        let c = client(&emu.base_url(), &token.url).await;
        let err = c.regions().list().await.unwrap_err();
        assert!(check(&err), "{err:?}");
        let msg = err.to_string();
        assert!(!msg.contains("()") && !msg.contains("demo-token"), "{msg}");
    }
}

/// A token answer announcing 2 GiB is refused without reading it.
#[tokio::test]
async fn huge_token_answer_is_refused() {
    let token = Scripted::start(|_, _| {
        Reply::Raw(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2147483648\r\n\r\n{\"id_token\":\""
                .into(),
        )
    })
    .await;
    let emu = Emulator::start().await.unwrap();
    let c = client(&emu.base_url(), &token.url).await;
    let err = c.regions().list().await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
}

/// A server that accepts connections and never answers: the call ends at its deadline (within
/// 1 s), with a typed error, however many attempts the policy allows.
#[tokio::test]
async fn deadlines_hold_against_a_server_that_never_answers() {
    let hang = Scripted::start(|_, _| Reply::Hang).await;
    let c = SpotClient::builder()
        .all_urls(&hang.url)
        .access_token(common_token())
        .retry(fast_retry())
        .timeout(Duration::from_secs(2))
        .in_memory_state()
        .build()
        .await
        .unwrap();
    let started = Instant::now();
    let err = c.regions().list().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::DeadlineExceeded { .. }), "{err:?}");
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // A hard deadline on the client is kept too, even when shorter than the request timeout.
    let started = Instant::now();
    let err = c
        .with_deadline(Instant::now() + Duration::from_millis(700))
        .regions()
        .list()
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1700));
}

/// A JWT with an `exp` an hour away (the client never exchanges it).
fn common_token() -> String {
    use base64::Engine;
    let enc = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    let exp = chrono::Utc::now().timestamp() + 3600;
    format!(
        "{}.{}.sig",
        enc(serde_json::json!({"alg": "HS256"})),
        enc(serde_json::json!({"exp": exp, "org_id": "org_X"}))
    )
}

/// The CLI: a never-answering server ends at `--request-timeout` with exit 5 and a line on
/// stderr; `api` on a foreign host and a collection DELETE without `--yes` exit 2.
#[tokio::test(flavor = "multi_thread")]
async fn cli_deadline_and_refusals() {
    let hang = Scripted::start(|_, _| Reply::Hang).await;
    let env = common::Env::start().await;
    let started = Instant::now();
    let out = env
        .bare_cmd()
        .env("RSSPOT_BASE_URL", &hang.url)
        .env("RSSPOT_OAUTH_URL", &hang.url)
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .args(["--request-timeout", "2", "regions", "list"])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert!(
        common::stderr_of(&out).contains("no answer"),
        "{}",
        common::stderr_of(&out)
    );

    let out = env
        .cmd()
        .args([
            "api",
            "GET",
            "http://203.0.113.9/apis/ngpc.rxt.io/v1/regions",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("not one of the configured"));

    let out = env
        .cmd()
        .args([
            "api",
            "DELETE",
            "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/cloudspaces",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert_eq!(env.emu.count("DELETE", "/apis"), 0);
}

/// `cloudspaces wait --timeout 3s` against a server that never answers ends at its timeout with
/// exit 5, not at the request timeout; a transient 503 before a DELETE of a missing cloudspace
/// still ends in "not found" (exit 3), never in "being deleted".
#[tokio::test(flavor = "multi_thread")]
async fn cli_wait_deadline_and_delete_after_a_fault() {
    let hang = Scripted::start(|_, _| Reply::Hang).await;
    let env = common::Env::start().await;
    let started = Instant::now();
    let out = env
        .bare_cmd()
        .env("RSSPOT_BASE_URL", &hang.url)
        .env("RSSPOT_OAUTH_URL", &hang.url)
        .env("RSSPOT_ACCESS_TOKEN", common_token())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .args([
            "--org",
            "org-x",
            "cloudspaces",
            "wait",
            "demo",
            "--timeout",
            "3s",
        ])
        .output()
        .unwrap();
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(4),
        "{took:?}"
    );

    for fault in ["503", "drop"] {
        match fault {
            "503" => env.emu.faults().fail_next(1, 503, None),
            _ => env.emu.faults().drop_next_connections(1),
        }
        let out = env
            .cmd()
            .args(["cloudspaces", "delete", "no-such", "-y"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(3),
            "{fault}: {}",
            common::stderr_of(&out)
        );
        assert!(
            !common::stdout_of(&out).contains("deleted"),
            "{fault}: {}",
            common::stdout_of(&out)
        );
    }
}

/// A cached answer that no longer decodes into the typed model (written by another version,
/// or damaged) is dropped and fetched again from the server, in the same call.
#[tokio::test]
async fn a_cached_body_that_no_longer_decodes_is_refetched() {
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let c = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(fast_retry())
        .state_path(&db)
        .build()
        .await
        .unwrap();
    let first = c.regions().list().await.unwrap();
    let before = emu.count("GET", "/apis/ngpc.rxt.io/v1/regions");
    // Valid JSON, but not a region list any more.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let changed = sqlx::query("UPDATE http_cache SET body = ? WHERE url LIKE '%/regions'")
        .bind(br#"{"items": "not a list"}"#.to_vec())
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 1);
    pool.close().await;
    let again = c.regions().list().await.unwrap();
    assert_eq!(again.len(), first.len());
    assert_eq!(
        emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"),
        before + 1,
        "fetched again from the server"
    );
    // And the good answer is cached again.
    c.regions().list().await.unwrap();
    assert_eq!(emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"), before + 1);
}

/// A failure the pipeline raises (here a rejected refresh token) travels inside the raw call's
/// own error value, not in a task- or thread-local: converted on another task, on another
/// thread, after other calls ran, it is still the typed error; and a raw user who prints the
/// error's chain reads the sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_raw_failure_stays_typed_across_tasks_and_threads() {
    let emu = Emulator::start().await.unwrap();
    let c = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("not-the-demo-token")
        .retry(fast_retry())
        .in_memory_state()
        .build()
        .await
        .unwrap();
    let raw_err = {
        let c = c.clone();
        tokio::spawn(async move { c.raw().list_regions().send().await.unwrap_err() })
            .await
            .unwrap()
    };
    let chain: Vec<String> =
        std::iter::successors(std::error::Error::source(&raw_err), |e| e.source())
            .map(ToString::to_string)
            .collect();
    // Another failing call in between takes nothing from the first one's error.
    let other = c.regions().list().await.unwrap_err();
    assert!(matches!(other, Error::TokenRejected { .. }), "{other:?}");
    let typed = std::thread::spawn(move || Error::from(raw_err))
        .join()
        .unwrap();
    assert!(matches!(typed, Error::TokenRejected { .. }), "{typed:?}");
    assert!(
        chain.iter().any(|s| *s == typed.to_string()),
        "the sentence is in the chain: {chain:?}"
    );
}
