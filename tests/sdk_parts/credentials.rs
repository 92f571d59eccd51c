//! Credentials: one token exchange shared by concurrent callers and by a second client on the
//! same state file, a token that expires mid-run and a revoked refresh token, and org names
//! resolved once per credential.

use std::time::Duration;

use rsspot::emulator::{Emulator, EmulatorOptions};
use rsspot::services::CloudSpaceCreate;
use rsspot::{Error, SpotClient};

use super::{client_for, fast_retry};

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
