//! The SDK against the emulator over real HTTP: every service, auth, retries, cache, waiters.
#![cfg(feature = "emulator")]

#[path = "sdk_parts/credentials.rs"]
mod credentials;
#[path = "sdk_parts/paging.rs"]
mod paging;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::pricing::Bid;
use rsspot::pricing::guard::{Concern, SpendLimits};
use rsspot::retry::RetryConfig;
use rsspot::services::{
    CloudSpaceCreate, CloudSpaceUpdate, OnDemandPoolCreate, ServerClassFilter, SpotPoolCreate,
    SpotPoolUpdate, WaitOptions,
};
use rsspot::{Error, SpotClient};

fn fast_retry() -> RetryConfig {
    RetryConfig {
        max_attempts: 4,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        jitter: 0.0,
        ..Default::default()
    }
}

async fn client_for(emu: &Emulator) -> SpotClient {
    SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(fast_retry())
        .in_memory_state()
        .build()
        .await
        .unwrap()
}

fn bid(s: &str) -> Bid {
    s.parse().unwrap()
}

fn fast_wait() -> WaitOptions {
    WaitOptions::with_timeout(Duration::from_secs(10)).interval(Duration::from_millis(10))
}

#[tokio::test]
async fn reference_data_and_org_resolution() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    let orgs = c.organizations().list().await.unwrap();
    assert!(orgs.iter().any(|o| o.name.as_deref() == Some("demo")));
    let regions = c.regions().list().await.unwrap();
    assert!(regions.len() >= 3);
    let r = c.regions().get("us-central-dfw-1").await.unwrap();
    assert_eq!(r.metadata.name.as_str(), "us-central-dfw-1");
    assert!(matches!(
        c.regions().get("nowhere-1").await,
        Err(Error::NotFound { .. })
    ));
    let dfw = c
        .server_classes()
        .list(&ServerClassFilter {
            region: Some("us-central-dfw-1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(!dfw.is_empty());
    assert!(
        dfw.iter()
            .all(|s| s.spec.region.as_deref() == Some("us-central-dfw-1"))
    );
    // Token org (no org given), org name, org id and namespace all resolve to the same namespace.
    let ns = c.namespace(None).await.unwrap();
    assert!(ns.starts_with("org-"));
    assert_eq!(c.namespace(Some("demo")).await.unwrap(), ns);
    let demo = c.organizations().get("demo").await.unwrap();
    assert_eq!(c.namespace(demo.id.as_deref()).await.unwrap(), ns);
    assert_eq!(c.namespace(Some(&ns)).await.unwrap(), ns);
    match c.namespace(Some("no-such-org")).await {
        Err(Error::NotFound { kind, name }) => {
            assert_eq!(kind, "organization");
            assert_eq!(name, "no-such-org");
        }
        other => panic!("{other:?}"),
    }
    // Another org's namespace is forbidden for this token.
    let acme = c.organizations().get("acme-dev").await.unwrap();
    assert!(matches!(
        c.org_or_default(acme.id.as_deref())
            .cloudspaces()
            .list()
            .await,
        Err(Error::Forbidden { .. })
    ));
}

#[tokio::test]
async fn cloudspace_and_pool_lifecycle_with_waiters() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    let created = c
        .cloudspaces()
        .create(&CloudSpaceCreate::new("demo-dfw").region("us-central-dfw-1"))
        .await
        .unwrap();
    assert_eq!(created.metadata.name.as_str(), "demo-dfw");

    // The waiter reports phase changes while the test advances the emulator's clock.
    let phases = Arc::new(Mutex::new(Vec::new()));
    let seen = phases.clone();
    let opts = fast_wait().on_progress(move |e| seen.lock().unwrap().push(e.phase.clone()));
    let emu_ref = &emu;
    let advance = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        emu_ref.advance(Duration::from_secs(600));
    };
    let (ready, _) = tokio::join!(c.cloudspaces().wait_ready("demo-dfw", &opts), advance);
    let ready = ready.unwrap();
    let st = ready.status.unwrap();
    assert_eq!(st.phase, Some(rsspot::types::CloudSpacePhase::Ready));
    assert!(!st.api_server_endpoint.unwrap().contains("://"));
    let phases = phases.lock().unwrap().clone();
    assert_eq!(phases.first().map(String::as_str), Some("Provisioning"));
    assert_eq!(phases.last().map(String::as_str), Some("Ready"));

    // Spot pool with an advised bid; generated lowercase UUID name; label set server-side.
    let advice = c
        .pricing()
        .advise("gp.vs1.medium-dfw", rsspot::pricing::advice::Risk::Med)
        .await
        .unwrap();
    let pool = c
        .spot_pools()
        .create(&SpotPoolCreate::new(
            "demo-dfw",
            "gp.vs1.medium-dfw",
            2,
            advice.bid,
        ))
        .await
        .unwrap();
    let pool_name = pool.metadata.name.clone();
    assert!(rsspot::services::is_lowercase_uuid(&pool_name));
    assert_eq!(
        pool.metadata
            .labels
            .get("ngpc.rxt.io/cloudspace")
            .map(String::as_str),
        Some("demo-dfw")
    );
    let emu_ref = &emu;
    let advance = async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        emu_ref.advance(Duration::from_secs(600));
    };
    let wait = fast_wait();
    let (fulfilled, _) = tokio::join!(c.spot_pools().wait_ready(&pool_name, &wait), advance);
    let fulfilled = fulfilled.unwrap();
    assert_eq!(fulfilled.status.unwrap().won_count, Some(2));

    // Update sends only the given field.
    let updated = c
        .spot_pools()
        .update(
            &pool_name,
            &SpotPoolUpdate {
                common: rsspot::services::node_pools::PoolUpdate {
                    desired: Some(3),
                    ..Default::default()
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let spec = updated.spec;
    assert_eq!(spec.desired, Some(3));
    assert_eq!(spec.bid_price, Some(advice.bid));

    // On-demand pool + list by cloudspace.
    let od = c
        .ondemand_pools()
        .create(&OnDemandPoolCreate::new("demo-dfw", "ch.vs1.xlarge-dfw", 1))
        .await
        .unwrap();
    let od_name = od.metadata.name;
    assert_eq!(
        c.ondemand_pools()
            .within(Some("demo-dfw"))
            .list()
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        c.spot_pools()
            .within(Some("other"))
            .list()
            .await
            .unwrap()
            .len(),
        0
    );

    // Kubeconfig of a ready cloudspace.
    let kubeconfig = c.cloudspaces().kubeconfig("demo-dfw").await.unwrap();
    assert!(kubeconfig.contains("server: https://"), "{kubeconfig}");

    // Cloudspace update (HA control plane).
    let cs = c
        .cloudspaces()
        .update(
            "demo-dfw",
            &CloudSpaceUpdate {
                ha_control_plane: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(cs.spec.ha_control_plane);

    c.ondemand_pools().delete(&od_name).await.unwrap();
    c.spot_pools().delete(&pool_name).await.unwrap();
    c.cloudspaces().delete("demo-dfw").await.unwrap();
    emu.advance(Duration::from_secs(600));
    assert!(matches!(
        c.without_cache().cloudspaces().get("demo-dfw").await,
        Err(Error::NotFound { .. })
    ));
}

/// The builder takes the config file's retry type and refuses what the file would refuse.
#[tokio::test]
async fn a_retry_policy_the_config_file_would_refuse_is_refused_by_the_builder() {
    let bad = RetryConfig {
        base_delay: Duration::from_secs(2),
        max_delay: Duration::from_secs(1),
        ..Default::default()
    };
    let err = SpotClient::builder()
        .refresh_token("demo-token")
        .retry(bad)
        .in_memory_state()
        .build()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("raise max_delay"), "{err}");
}

#[tokio::test]
async fn local_validation_rejects_before_sending() {
    let emu = Emulator::start().await.unwrap();
    let c = client_for(&emu).await;
    c.cloudspaces()
        .create(&CloudSpaceCreate::new("v").region("us-central-dfw-1"))
        .await
        .unwrap();
    emu.clear_journal();
    let bad_name = c
        .cloudspaces()
        .create(&CloudSpaceCreate::new("Bad_Name").region("us-central-dfw-1"))
        .await;
    assert!(matches!(bad_name, Err(Error::Invalid { .. })));
    let bad_region = c
        .cloudspaces()
        .create(&CloudSpaceCreate::new("ok").region("mars-1"))
        .await;
    match bad_region {
        Err(Error::Invalid { message, .. }) => {
            assert!(message.contains("us-central-dfw-1"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    // Below the floor: rejected locally with the server's reason.
    let low = c
        .spot_pools()
        .create(&SpotPoolCreate::new(
            "v",
            "gp.vs1.medium-dfw",
            1,
            bid("0.001"),
        ))
        .await;
    match low {
        Err(Error::Invalid { field, message }) => {
            assert_eq!(field.as_deref(), Some("bidPrice"));
            assert!(message.contains("minimum bid price of 0.01"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // Off the ladder: advice (a concern), not a local refusal; a server variant accepts it.
    let off = c
        .spot_pools()
        .prepare_create(
            &SpotPoolCreate::new("v", "gp.vs1.medium-dfw", 1, bid("0.05")),
            &SpendLimits::default(),
        )
        .await
        .unwrap();
    assert!(
        off.concerns
            .iter()
            .any(|c| matches!(c, Concern::OffLadder { .. }) && !c.needs_confirmation()),
        "{:?}",
        off.concerns
    );
    // Class in another region.
    let wrong = c
        .spot_pools()
        .create(&SpotPoolCreate::new(
            "v",
            "gp.vs1.medium-iad",
            1,
            bid("0.02"),
        ))
        .await;
    match wrong {
        Err(Error::Invalid { message, .. }) => {
            assert!(message.contains("us-east-iad-1"), "{message}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        emu.count("POST", "/apis/ngpc.rxt.io/v1/namespaces"),
        0,
        "nothing invalid was sent"
    );
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

/// A TLS server on 127.0.0.1 whose certificate no system root signed (`tests/fixtures`, a
/// self-signed test certificate for `localhost`). Counts handshakes started; a client that gets
/// past the handshake is answered 503.
async fn untrusted_tls_server() -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cert = CertificateDer::from_pem_slice(include_bytes!("fixtures/selfsigned-localhost.crt"))
        .unwrap();
    let key =
        PrivateKeyDer::from_pem_slice(include_bytes!("fixtures/selfsigned-localhost.key")).unwrap();
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
