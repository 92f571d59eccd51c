//! The `User-Agent`: `rsspot/VERSION`, then the embedding application's product when it names
//! one (`SpotClientBuilder::app_name`), refused when it is not a header-safe product. The CLI
//! sends the library's own `rsspot/VERSION`. The emulator's journal does not keep headers, so a
//! loopback listener records what arrives.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use rsspot::{Error, SpotClient};

const BASE: &str = concat!("rsspot/", env!("CARGO_PKG_VERSION"));

/// A listener that records the `User-Agent` of every request and answers 400.
struct Recorder {
    url: String,
    agents: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let agents = Arc::new(Mutex::new(Vec::new()));
        let log = agents.clone();
        std::thread::spawn(move || {
            for sock in listener.incoming() {
                let Ok(mut sock) = sock else { return };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !String::from_utf8_lossy(&buf).contains("\r\n\r\n") {
                    match sock.read(&mut chunk) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&buf).to_string();
                if let Some(agent) = head.lines().find_map(|l| {
                    l.to_ascii_lowercase()
                        .starts_with("user-agent:")
                        .then(|| l["user-agent:".len()..].trim().to_string())
                }) {
                    log.lock().unwrap().push(agent);
                }
                let _ = sock.write_all(
                    b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\
                      Content-Length: 2\r\nConnection: close\r\n\r\n{}",
                );
            }
        });
        Recorder { url, agents }
    }

    fn agents(&self) -> Vec<String> {
        self.agents.lock().unwrap().clone()
    }
}

async fn call(recorder: &Recorder, app_name: Option<&str>) -> rsspot::Result<()> {
    let mut builder = SpotClient::builder()
        .all_urls(&recorder.url)
        .refresh_token("demo-token")
        .retry(rsspot::retry::RetryConfig {
            max_attempts: 1,
            ..Default::default()
        });
    if let Some(app) = app_name {
        builder = builder.app_name(app);
    }
    let c = builder.build().await?;
    // The answer is a refusal; only what was sent matters here.
    let _ = c.regions().list().await;
    Ok(())
}

#[tokio::test]
async fn the_application_name_follows_the_library_in_the_user_agent() {
    let plain = Recorder::start();
    call(&plain, None).await.unwrap();
    let agents = plain.agents();
    assert!(!agents.is_empty());
    assert!(agents.iter().all(|a| a == BASE), "{agents:?}");

    let named = Recorder::start();
    call(&named, Some("mytool/1.2")).await.unwrap();
    let agents = named.agents();
    assert!(!agents.is_empty());
    let want = format!("{BASE} mytool/1.2");
    assert!(agents.iter().all(|a| *a == want), "{agents:?}");
}

#[tokio::test]
async fn an_application_name_that_is_not_a_product_is_refused_before_any_request() {
    let recorder = Recorder::start();
    for bad in [
        "my tool/1.2",
        "tool\r\nX-Injected: 1",
        "",
        "tool/1.2/3",
        "tööl",
    ] {
        let e = call(&recorder, Some(bad)).await.unwrap_err();
        assert!(matches!(e, Error::Config { .. }), "{bad:?}: {e}");
        let text = e.to_string();
        assert!(
            text.contains("app name") && text.contains("NAME/VERSION"),
            "{text}"
        );
    }
    assert!(recorder.agents().is_empty(), "{:?}", recorder.agents());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sends_the_library_user_agent() {
    let env = common::Env::start().await;
    let recorder = Recorder::start();
    let out = env
        .cmd()
        .env("RSSPOT_BASE_URL", &recorder.url)
        .env("RSSPOT_OAUTH_URL", &recorder.url)
        .env("RSSPOT_PUBLIC_DATA_URL", &recorder.url)
        .args(["regions", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let agents = recorder.agents();
    assert!(!agents.is_empty());
    assert!(agents.iter().all(|a| a == BASE), "{agents:?}");
}
