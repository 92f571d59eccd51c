//! The SDK against the emulator over real HTTP: every service, auth, retries, cache, waiters.
#![cfg(feature = "emulator")]

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
async fn concurrent_callers_share_one_token_exchange_and_cache_across_clients() {
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let build = || {
        SpotClient::builder()
            .all_urls(emu.base_url())
            .refresh_token("demo-token")
            .retry(fast_retry())
            .state_path(&db)
            .build()
    };
    let c = build().await.unwrap();
    let calls: Vec<_> = (0..8).map(|_| c.cloudspaces().list()).collect();
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    assert_eq!(emu.count("POST", "/oauth/token"), 1);
    // A second client (a second CLI run) reuses the cached id token and the cached regions.
    c.regions().list().await.unwrap();
    let before = emu.count("GET", "/apis/ngpc.rxt.io/v1/regions");
    let c2 = build().await.unwrap();
    c2.regions().list().await.unwrap();
    c2.cloudspaces().list().await.unwrap();
    assert_eq!(
        emu.count("POST", "/oauth/token"),
        1,
        "token reused across clients"
    );
    assert_eq!(
        emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"),
        before,
        "regions served from cache"
    );
    assert!(c2.stats().cache_hits() >= 1);
    // Bypass goes to the server; a write invalidates the namespace's cached lists.
    c2.without_cache().regions().list().await.unwrap();
    assert_eq!(emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"), before + 1);
    let lists = || emu.count("GET", "/apis/ngpc.rxt.io/v1/namespaces");
    let n = lists();
    c2.cloudspaces().list().await.unwrap();
    assert_eq!(lists(), n, "list cached");
    c2.cloudspaces()
        .create(&CloudSpaceCreate::new("inv").region("us-central-dfw-1"))
        .await
        .unwrap();
    let after_create = lists();
    let listed = c2.cloudspaces().list().await.unwrap();
    assert_eq!(lists(), after_create + 1, "list refetched after the create");
    assert!(listed.iter().any(|cs| cs.metadata.name == "inv"));
}

#[path = "sdk_parts/more.rs"]
mod more;
