//! Part of `tests/sdk.rs`: tokens, retries, lost create responses, pricing documents, inventory,
//! org names, paging and TLS.

use super::*;

#[tokio::test]
async fn expired_token_mid_run_and_revoked_refresh_token() {
    let emu = Emulator::start_with(EmulatorOptions {
        token_lifetime: Duration::from_secs(3600),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client_for(&emu).await;
    c.cloudspaces().list().await.unwrap();
    assert_eq!(emu.count("POST", "/oauth/token"), 1);
    // The server's clock moves past expiry: the next call gets 401, refreshes once, replays once.
    emu.advance(Duration::from_secs(7200));
    c.without_cache().cloudspaces().list().await.unwrap();
    assert_eq!(emu.count("POST", "/oauth/token"), 2);
    // Revoked refresh token: a typed auth error with the server's description, no secret.
    emu.revoke_refresh_token("demo-token");
    emu.advance(Duration::from_secs(7200));
    match c.without_cache().cloudspaces().list().await {
        Err(e @ Error::TokenRejected { .. }) => {
            let msg = e.to_string();
            assert!(msg.contains("rejected the refresh token"), "{msg}");
            assert!(!msg.contains("demo-token"), "{msg}");
            assert!(!msg.contains("()"), "no empty brackets: {msg}");
            assert!(e.is_auth());
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn retries_honour_statuses_and_counts() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    c.regions().list().await.unwrap();
    emu.clear_journal();
    emu.faults().fail_next(2, 503, None);
    c.without_cache().regions().list().await.unwrap();
    assert_eq!(emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"), 3);
    emu.clear_journal();
    emu.faults().fail_next(1, 429, Some(Duration::from_secs(0)));
    c.without_cache().regions().list().await.unwrap();
    assert_eq!(emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"), 2);
    // Exhausted: 4 attempts, then a typed error.
    emu.clear_journal();
    emu.faults().fail_next(10, 500, None);
    let err = c.without_cache().regions().list().await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 500, .. }), "{err:?}");
    assert_eq!(emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"), 4);
    emu.faults().clear();
    // A dropped connection is retried.
    emu.clear_journal();
    emu.faults().drop_next_connections(1);
    c.without_cache().regions().list().await.unwrap();
}

#[tokio::test]
async fn no_duplicate_create_when_the_response_is_lost() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    c.regions().list().await.unwrap(); // warm up token
    emu.faults().lose_next_write_responses(1);
    let cs = c
        .cloudspaces()
        .create(&CloudSpaceCreate::new("lost").region("us-central-dfw-1"))
        .await
        .expect("the create resolves to the object the first attempt made");
    assert_eq!(cs.metadata.name, "lost");
    assert_eq!(emu.count("POST", "/apis/ngpc.rxt.io/v1/namespaces"), 2);
    assert_eq!(c.cloudspaces().list().await.unwrap().len(), 1);
    // A real conflict (different spec) stays a conflict.
    let dup = c
        .cloudspaces()
        .create(&CloudSpaceCreate::new("lost").region("us-east-iad-1"))
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "{dup:?}");
    // Delete whose response is lost: the retry's 404 means done.
    emu.faults().lose_next_write_responses(1);
    c.cloudspaces().delete("lost").await.unwrap();
}

#[tokio::test]
async fn pricing_documents_and_fan_out() {
    let emu = Emulator::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client_for(&emu).await;
    let pct = c.pricing().percentiles().await.unwrap();
    assert!(!pct.regions.is_empty());
    let cmp = c.pricing().comparable_prices().await.unwrap();
    assert!(!cmp.regions.is_empty());
    let rows = c.pricing().rows(3).await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.name == "gp.vs1.medium-dfw" && r.floor.is_some())
    );
    let classes: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
    let hist = c.pricing().histories(&classes).await;
    assert_eq!(hist.len(), classes.len());
    assert!(hist.iter().all(|(_, h)| h.is_ok()));
    assert!(matches!(
        c.pricing().history("nope.vs1.x").await,
        Err(Error::NotFound { .. })
    ));
    // Public documents carry no bearer and go to the public-data host (here the same emulator).
    assert!(emu.journal().iter().any(|j| j.path == "/percentiles.json"));
}

#[tokio::test]
async fn inventory_and_api_escape_hatch() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    let vmcs = c.inventory().vm_cloudspaces().await.unwrap();
    assert!(!vmcs.is_empty());
    let name = vmcs[0].metadata.name.clone();
    let pools = c.inventory().vm_pools(&name).await.unwrap();
    assert!(!pools.is_empty());
    let events = c.inventory().events(10).await.unwrap();
    assert!(events.org_id.is_some());
    let regions = c
        .api_request("GET", "/apis/ngpc.rxt.io/v1/regions", None)
        .await
        .unwrap();
    assert_eq!(regions["kind"], "RegionList");
    let err = c
        .api_request("GET", "/apis/ngpc.rxt.io/v1/regions/nope", None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
}

#[tokio::test]
async fn org_names_resolve_once_per_credential() {
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let build = || {
        SpotClient::builder()
            .all_urls(emu.base_url())
            .refresh_token("demo-token")
            .org("demo")
            .cache(false)
            .state_path(&db)
            .build()
    };
    let c = build().await.unwrap();
    let ns = c.namespace(None).await.unwrap();
    assert_eq!(
        emu.count("GET", "/apis/auth.ngpc.rxt.io/v1/organizations"),
        1
    );
    // A later process (even with the HTTP cache off) needs no organizations call: one request
    // for a list command.
    let c2 = build().await.unwrap();
    emu.clear_journal();
    c2.cloudspaces().list().await.unwrap();
    assert_eq!(c2.namespace(None).await.unwrap(), ns);
    let journal = emu.journal();
    assert_eq!(journal.len(), 1, "{journal:?}");
    assert!(journal[0].path.ends_with("/cloudspaces"));
}

#[tokio::test]
async fn paged_lists_are_followed_to_the_end_and_cached_whole() {
    // A server that answers lists two items at a time (`metadata.continue`).
    let emu = Emulator::start_with(EmulatorOptions {
        page_size: Some(2),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = client_for(&emu).await;
    for i in 0..5 {
        c.cloudspaces()
            .create(&CloudSpaceCreate::new(format!("page-{i}")).region("us-central-dfw-1"))
            .await
            .unwrap();
    }
    emu.clear_journal();
    let listed = c.cloudspaces().list().await.unwrap();
    let mut names: Vec<String> = listed.iter().map(|cs| cs.metadata.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
    let pages: Vec<Option<String>> = emu
        .journal()
        .iter()
        .filter(|j| j.path.ends_with("/cloudspaces"))
        .map(|j| j.query.clone())
        .collect();
    assert_eq!(
        pages,
        [
            None,
            Some("continue=emu-2".into()),
            Some("continue=emu-4".into())
        ]
    );
    // The whole list is cached under the list's own URL: no request, all five.
    emu.clear_journal();
    assert_eq!(c.cloudspaces().list().await.unwrap().len(), 5);
    assert_eq!(emu.count("GET", "/apis"), 0);
    // Cluster-scoped lists page the same way (5 regions in the built-in seed).
    let regions = c.without_cache().regions().list().await.unwrap();
    assert_eq!(regions.len(), 5);
}

#[tokio::test]
async fn emulator_pages_like_kubernetes() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    let get = |q: &str| {
        let path = format!("/apis/ngpc.rxt.io/v1/regions{q}");
        let c = c.clone();
        async move { c.api_request("GET", &path, None).await }
    };
    let page = get("?limit=2").await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    assert_eq!(page["metadata"]["continue"], "emu-2");
    assert_eq!(page["metadata"]["remainingItemCount"], 3);
    let last = get("?limit=10&continue=emu-2").await.unwrap();
    assert_eq!(last["items"].as_array().unwrap().len(), 3);
    assert_eq!(last["metadata"]["continue"], "");
    // Without limit, everything at once.
    let all = get("").await.unwrap();
    assert_eq!(all["items"].as_array().unwrap().len(), 5);
    // A token the server does not know: 410 Expired; a bad limit: 400.
    match get("?continue=bogus").await {
        Err(Error::Api {
            status: 410,
            message,
            ..
        }) => assert!(message.contains("continue"), "{message}"),
        other => panic!("{other:?}"),
    }
    let bad = get("?limit=0").await.unwrap_err();
    assert!(bad.to_string().contains("limit"), "{bad:?}");
}

/// A TLS server on 127.0.0.1 whose certificate no system root signed (`tests/fixtures`, a
/// self-signed test certificate for `localhost`). Counts handshakes started; a client that gets
/// past the handshake is answered 503.
async fn untrusted_tls_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cert =
        CertificateDer::from_pem_slice(include_bytes!("../fixtures/selfsigned-localhost.crt"))
            .unwrap();
    let key = PrivateKeyDer::from_pem_slice(include_bytes!("../fixtures/selfsigned-localhost.key"))
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut buf = [0u8; 4096];
                    let _ = tls.read(&mut buf).await;
                    let _ = tls
                        .write_all(
                            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        )
                        .await;
                    let _ = tls.shutdown().await;
                }
            });
        }
    });
    (port, handshakes)
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_once_with_its_own_hint() {
    let (port, handshakes) = untrusted_tls_server().await;
    let url = format!("https://localhost:{port}");
    let build = |verify: bool| {
        SpotClient::builder()
            .all_urls(&url)
            .refresh_token("demo-token")
            .retry(fast_retry())
            .verify_ssl(verify)
            .in_memory_state()
            .build()
    };
    let err = build(true)
        .await
        .unwrap()
        .regions()
        .list()
        .await
        .unwrap_err();
    match &err {
        Error::Transport {
            failure: rsspot::TransportFailure::Certificate,
            ..
        } => {
            let message = err.to_string();
            assert!(
                message.contains("the server's TLS certificate was rejected"),
                "{message}"
            )
        }
        other => panic!("{other:?}"),
    }
    // A certificate does not get better by asking again: one handshake, no retries.
    assert_eq!(handshakes.load(std::sync::atomic::Ordering::SeqCst), 1);

    // With verification off, the same server gets past TLS (and answers 503).
    let err = build(false)
        .await
        .unwrap()
        .regions()
        .list()
        .await
        .unwrap_err();
    assert!(
        !err.to_string().contains("certificate"),
        "verification should be off: {err}"
    );
    assert!(handshakes.load(std::sync::atomic::Ordering::SeqCst) > 1);
}
