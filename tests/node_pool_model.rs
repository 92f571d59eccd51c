//! The node-pool model (issue #25), against the emulator: one generic function drives spot and
//! on-demand pools alike through `NodePoolKind` (the kind's request from shared fields and a bid,
//! what a pool says, what a request sent, `scale` and `verify`), as the CLI, MCP and fleets do.
#![cfg(feature = "emulator")]

mod common;

use common::Env;
use rsspot::pricing::Bid;
use rsspot::raw::types::{OnDemandNodePool, SpotNodePool};
use rsspot::services::{
    CloudSpaceCreate, NodePoolKind, OnDemandPoolCreate, PoolRequest, PoolUpdate, Sent,
};
use rsspot::{Error, ResourceExt};

const CLOUDSPACE: &str = "model-dfw";
const CLASS: &str = "gp.vs1.medium-dfw";

/// A client of a fresh emulator with a cloudspace to put pools in.
async fn setup() -> (Env, rsspot::SpotClient) {
    let env = Env::instant().await;
    let client = env.client().await;
    client
        .cloudspaces()
        .create(&CloudSpaceCreate::new(CLOUDSPACE).region("us-central-dfw-1"))
        .await
        .unwrap();
    (env, client)
}

/// Creates, reads, scales, verifies and deletes a pool of kind `K`, written once for both.
async fn round_trip<K: NodePoolKind>(client: &rsspot::SpotClient, bid: Option<Bid>) {
    let api = client.api::<K>();
    let shared = OnDemandPoolCreate::new(CLOUDSPACE, CLASS, 2)
        .autoscaling(2, 4)
        .label("team", "model")
        .taint("gpu=yes:NoSchedule".parse().unwrap())
        .common;
    let req = K::create_request(shared, bid).unwrap();
    assert_eq!(
        req.sent(),
        Sent {
            bid,
            desired: Some(2)
        }
    );
    let pool = api.create(&req).await.unwrap();
    let name = pool.name().to_string();

    // What the pool says, read the same way for both kinds.
    let facts = pool.facts();
    assert_eq!((facts.cloudspace, facts.server_class), (CLOUDSPACE, CLASS));
    assert_eq!((facts.bid, facts.desired), (bid, Some(2)));
    let a = facts.autoscaling;
    assert_eq!(
        (a.enabled, a.min_nodes, a.max_nodes),
        (true, Some(2), Some(4))
    );
    assert_eq!(facts.labels.get("team").map(String::as_str), Some("model"));
    assert_eq!(facts.taints.len(), 1);
    assert_eq!(facts.taints[0].effect, "NoSchedule");
    assert!(api.verify(&name, req.sent()).await.unwrap().is_empty());

    // `scale` changes the count only; a read-back of what it sent agrees.
    let scaled = api.scale(&name, 3).await.unwrap();
    assert_eq!(scaled.facts().desired, Some(3));
    assert_eq!(scaled.facts().bid, bid, "the bid is untouched");
    let sent = K::update_request(PoolUpdate::new().desired(3), None)
        .unwrap()
        .sent();
    assert!(api.verify(&name, sent).await.unwrap().is_empty());

    // Someone else scales it: the read-back of the create's request names the field.
    let update = K::update_request(PoolUpdate::new().desired(4), None).unwrap();
    api.update(&name, &update).await.unwrap();
    let mismatches = api.verify(&name, req.sent()).await.unwrap();
    assert_eq!(mismatches.len(), 1, "{mismatches:?}");
    assert_eq!(mismatches[0].field, "spec.desired");
    assert_eq!(
        (mismatches[0].sent.as_str(), mismatches[0].held.as_str()),
        ("2", "4")
    );

    api.delete(&name).await.unwrap();
    assert!(matches!(
        api.verify(&name, sent).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn both_pool_kinds_go_through_one_generic_path() {
    let (_env, client) = setup().await;
    let bid: Bid = "0.06".parse().unwrap();
    round_trip::<SpotNodePool>(&client, Some(bid)).await;
    round_trip::<OnDemandNodePool>(&client, None).await;
}

#[tokio::test]
async fn a_kind_refuses_a_bid_it_cannot_take_before_anything_is_sent() {
    let (env, _client) = setup().await;
    let before = env.writes();
    let shared = OnDemandPoolCreate::new(CLOUDSPACE, CLASS, 1).common;
    let bid: Bid = "0.06".parse().unwrap();
    let e = SpotNodePool::create_request(shared.clone(), None).unwrap_err();
    assert!(
        matches!(&e, Error::Invalid { field, .. } if field.as_deref() == Some("bidPrice")),
        "{e:?}"
    );
    let e = OnDemandNodePool::create_request(shared, Some(bid)).unwrap_err();
    assert!(e.to_string().contains("no bid"), "{e}");
    let e = OnDemandNodePool::update_request(PoolUpdate::new().desired(2), Some(bid)).unwrap_err();
    assert!(e.to_string().contains("no bid"), "{e}");
    assert_eq!(env.writes(), before, "nothing was sent");
}
