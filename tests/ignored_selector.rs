//! A gateway that ignores `labelSelector` (an open question of API-NOTES section 8): a proxy in
//! front of the emulator strips the parameter, so every list answers all pools of the org.
//! Listing by cloudspace must still return only that cloudspace's pools, and a teardown must
//! delete only its own pools, never a neighbour's.
#![cfg(feature = "emulator")]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::pricing::Bid;
use rsspot::services::{CloudSpaceCreate, OnDemandPoolCreate, SpotPoolCreate};

/// Starts a proxy to `upstream` that drops `labelSelector` from every query; returns its URL.
fn selector_dropping_proxy(upstream: SocketAddr) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = forward(client, upstream);
            });
        }
    });
    url
}

/// One request per connection: the head rewritten (no `labelSelector`, `Connection: close`),
/// the body and the answer piped as they are.
fn forward(mut client: TcpStream, upstream: SocketAddr) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if client.read(&mut byte)? == 0 {
            return Ok(());
        }
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.splitn(3, ' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let target = match target.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.starts_with("labelSelector="))
                .collect();
            if kept.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => target.to_string(),
    };
    let mut out = format!("{method} {target} {version}\r\n");
    for l in lines.filter(|l| !l.is_empty()) {
        if !l.to_ascii_lowercase().starts_with("connection:") {
            out.push_str(l);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut up = TcpStream::connect(upstream)?;
    up.write_all(out.as_bytes())?;
    let (mut client_in, mut up_out) = (client.try_clone()?, up.try_clone()?);
    std::thread::spawn(move || std::io::copy(&mut client_in, &mut up_out));
    std::io::copy(&mut up, &mut client)?;
    client.shutdown(std::net::Shutdown::Both)
}

async fn client_for(url: &str) -> SpotClient {
    SpotClient::builder()
        .all_urls(url)
        .refresh_token("demo-token")
        .in_memory_state()
        .cache(false)
        .build()
        .await
        .unwrap()
}

async fn cluster(c: &SpotClient, name: &str) {
    let cs = CloudSpaceCreate::new(name).region("us-central-dfw-1");
    c.cloudspaces().create(&cs).await.unwrap();
    let bid: Bid = "0.02".parse().unwrap();
    let req = SpotPoolCreate::new(name, "gp.vs1.medium-dfw", 1, bid);
    c.spot_pools().create(&req).await.unwrap();
    let req = OnDemandPoolCreate::new(name, "ch.vs1.xlarge-dfw", 1);
    c.ondemand_pools().create(&req).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_and_teardown_filter_client_side() {
    let emu = Emulator::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await
    .unwrap();
    let direct = client_for(&emu.base_url()).await;
    cluster(&direct, "mine").await;
    cluster(&direct, "theirs").await;

    let proxied = client_for(&selector_dropping_proxy(emu.addr())).await;
    // The proxy really drops the selector: the raw list holds both cloudspaces' pools.
    assert_eq!(proxied.spot_pools().list().await.unwrap().len(), 2);
    assert!(
        emu.journal().iter().all(|e| !e
            .query
            .as_deref()
            .unwrap_or_default()
            .contains("labelSelector")),
        "the selector reached the emulator"
    );
    let mine = proxied
        .spot_pools()
        .within(Some("mine"))
        .list()
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(Some(mine[0].spec.cloud_space.as_str()), Some("mine"));
    let od = proxied
        .ondemand_pools()
        .within(Some("mine"))
        .list()
        .await
        .unwrap();
    assert_eq!(od.len(), 1);

    let report = proxied
        .cloudspaces()
        .delete_with_pools("mine")
        .await
        .unwrap();
    assert_eq!(
        (report.spot_pools.len(), report.ondemand_pools.len()),
        (1, 1)
    );
    let theirs = direct
        .spot_pools()
        .within(Some("theirs"))
        .list()
        .await
        .unwrap();
    assert_eq!(theirs.len(), 1, "a neighbour's pool was deleted");
    let theirs = direct
        .ondemand_pools()
        .within(Some("theirs"))
        .list()
        .await
        .unwrap();
    assert_eq!(theirs.len(), 1, "a neighbour's pool was deleted");
}
