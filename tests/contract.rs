//! Contract test: every operation of `openapi/spot.json`, called through the generated bindings
//! (with the SDK's hooks for routing and auth), gets a response from the emulator that decodes
//! strictly into the generated type; documented error cases keep their status and `Status.reason`.

use std::collections::BTreeSet;
use std::time::Duration;

use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle};
use rsspot::raw::types;

fn cs_body(ns: &str, name: &str) -> types::CloudSpace {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "ngpc.rxt.io/v1", "kind": "CloudSpace",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1", "cni": "calico"}
    }))
    .unwrap()
}

fn pool_body<T: serde::de::DeserializeOwned>(
    kind: &str,
    ns: &str,
    name: &str,
    bid: Option<&str>,
) -> T {
    let mut v = serde_json::json!({
        "apiVersion": "ngpc.rxt.io/v1", "kind": kind,
        "metadata": {"name": name, "namespace": ns},
        "spec": {"cloudSpace": "contract", "serverClass": "gp.vs1.medium-dfw", "desired": 1}
    });
    if let Some(b) = bid {
        v["spec"]["bidPrice"] = b.into();
    }
    serde_json::from_value(v).unwrap()
}

fn merge_patch(v: serde_json::Value) -> types::Patch {
    serde_json::from_value(v).unwrap()
}

#[tokio::test]
async fn every_operation_round_trips_through_the_generated_bindings() {
    let emu = Emulator::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await
    .unwrap();
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .build()
        .await
        .unwrap();
    let raw = client.raw();
    let ns = client.namespace(None).await.unwrap();
    let spot = "11111111-2222-4333-8444-555555555555";
    let od = "66666666-7777-4888-9999-aaaaaaaaaaaa";

    // Auth and reference data.
    let token = raw
        .get_oauth_token()
        .body(types::GetOauthTokenBody {
            client_id: rsspot::config::DEFAULT_CLIENT_ID.into(),
            grant_type: "refresh_token".into(),
            refresh_token: "demo-token".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(token.id_token.unwrap().split('.').count() == 3);
    assert!(
        !raw.list_organizations()
            .send()
            .await
            .unwrap()
            .organizations
            .is_empty()
    );
    assert!(!raw.list_regions().send().await.unwrap().items.is_empty());
    raw.get_region()
        .name("us-central-dfw-1")
        .send()
        .await
        .unwrap();
    assert!(
        !raw.list_server_classes()
            .send()
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let sc = raw
        .get_server_class()
        .name("gp.vs1.medium-dfw")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(sc.spec.unwrap().min_bid_price_per_hour.is_some());

    // Cloudspaces.
    raw.create_cloud_space()
        .namespace(&ns)
        .body(cs_body(&ns, "contract"))
        .send()
        .await
        .unwrap();
    raw.list_cloud_spaces().namespace(&ns).send().await.unwrap();
    raw.list_cloud_spaces()
        .namespace(&ns)
        .label_selector("x=y")
        .send()
        .await
        .unwrap();
    emu.advance(Duration::from_secs(1));
    let cs = raw
        .get_cloud_space()
        .namespace(&ns)
        .name("contract")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cs.status.unwrap().phase.as_deref(), Some("Ready"));
    raw.patch_cloud_space()
        .namespace(&ns)
        .name("contract")
        .body(merge_patch(
            serde_json::json!({"spec": {"webhook": "https://example.com/hook"}}),
        ))
        .send()
        .await
        .unwrap();
    let kubeconfig = raw
        .generate_kubeconfig()
        .body(types::GenerateKubeconfigBody {
            cloudspace_name: "contract".into(),
            organization_name: "demo".into(),
            refresh_token: "demo-token".into(),
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        kubeconfig
            .data
            .unwrap()
            .kubeconfig
            .unwrap()
            .contains("clusters")
    );

    // Spot pools.
    raw.create_spot_node_pool()
        .namespace(&ns)
        .body(pool_body::<types::SpotNodePool>(
            "SpotNodePool",
            &ns,
            spot,
            Some("0.02"),
        ))
        .send()
        .await
        .unwrap();
    raw.list_spot_node_pools()
        .namespace(&ns)
        .label_selector("ngpc.rxt.io/cloudspace=contract")
        .send()
        .await
        .unwrap();
    raw.get_spot_node_pool()
        .namespace(&ns)
        .name(spot)
        .send()
        .await
        .unwrap();
    raw.patch_spot_node_pool()
        .namespace(&ns)
        .name(spot)
        .body(merge_patch(serde_json::json!({"spec": {"desired": 2}})))
        .send()
        .await
        .unwrap();

    // On-demand pools.
    raw.create_on_demand_node_pool()
        .namespace(&ns)
        .body(pool_body::<types::OnDemandNodePool>(
            "OnDemandNodePool",
            &ns,
            od,
            None,
        ))
        .send()
        .await
        .unwrap();
    raw.list_on_demand_node_pools()
        .namespace(&ns)
        .send()
        .await
        .unwrap();
    raw.get_on_demand_node_pool()
        .namespace(&ns)
        .name(od)
        .send()
        .await
        .unwrap();
    raw.patch_on_demand_node_pool()
        .namespace(&ns)
        .name(od)
        .body(merge_patch(serde_json::json!({"spec": {"desired": 2}})))
        .send()
        .await
        .unwrap();

    // Public pricing documents.
    let hist = raw
        .get_price_history()
        .server_class("gp.vs1.medium-dfw")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!hist.history.is_empty());
    assert!(
        !raw.get_percentiles()
            .send()
            .await
            .unwrap()
            .into_inner()
            .regions
            .is_empty()
    );
    assert!(
        !raw.get_comparable_prices()
            .send()
            .await
            .unwrap()
            .into_inner()
            .regions
            .is_empty()
    );

    // Deletes: one by one, then the collections.
    raw.delete_spot_node_pool()
        .namespace(&ns)
        .name(spot)
        .send()
        .await
        .unwrap();
    raw.delete_on_demand_node_pool()
        .namespace(&ns)
        .name(od)
        .send()
        .await
        .unwrap();
    raw.delete_cloud_space()
        .namespace(&ns)
        .name("contract")
        .send()
        .await
        .unwrap();
    raw.delete_spot_node_pool_collection()
        .namespace(&ns)
        .send()
        .await
        .unwrap();
    raw.delete_on_demand_node_pool_collection()
        .namespace(&ns)
        .send()
        .await
        .unwrap();
    raw.delete_cloud_space_collection()
        .namespace(&ns)
        .send()
        .await
        .unwrap();

    // Every operation of the table was exercised (the journal records which paths were hit).
    let hit: BTreeSet<(String, String)> = emu
        .journal()
        .iter()
        .filter(|j| (200..300).contains(&j.status))
        .map(|j| (j.method.clone(), j.path.clone()))
        .collect();
    for op in rsspot::raw::OPERATIONS {
        let pattern = op
            .path
            .replace("{namespace}", &ns)
            .replace("{server_class}", "gp.vs1.medium-dfw");
        let matched = hit.iter().any(|(m, p)| {
            m == op.method && {
                let want: Vec<&str> = pattern.split('/').collect();
                let got: Vec<&str> = p.split('/').collect();
                want.len() == got.len()
                    && want
                        .iter()
                        .zip(&got)
                        .all(|(w, g)| w.starts_with('{') || w == g)
            }
        });
        assert!(
            matched,
            "operation {} ({} {}) was not exercised successfully",
            op.id, op.method, op.path
        );
    }
}

#[tokio::test]
async fn documented_errors_keep_status_and_reason() {
    let emu = Emulator::start().await.unwrap();
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .build()
        .await
        .unwrap();
    let raw = client.raw();
    let ns = client.namespace(None).await.unwrap();
    let status_of = |e: progenitor_client::Error<()>| async move {
        match e {
            progenitor_client::Error::UnexpectedResponse(r) => {
                let code = r.status().as_u16();
                let v: serde_json::Value = r.json().await.unwrap_or_default();
                (code, v["reason"].as_str().unwrap_or_default().to_string())
            }
            other => panic!("{other:?}"),
        }
    };
    let e = raw
        .get_cloud_space()
        .namespace(&ns)
        .name("missing")
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(e).await, (404, "NotFound".into()));
    raw.create_cloud_space()
        .namespace(&ns)
        .body(cs_body(&ns, "dup"))
        .send()
        .await
        .unwrap();
    let e = raw
        .create_cloud_space()
        .namespace(&ns)
        .body(cs_body(&ns, "dup"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(e).await, (409, "AlreadyExists".into()));
    let e = raw
        .create_cloud_space()
        .namespace(&ns)
        .body(cs_body(&ns, "Not_A_Label"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(e).await, (422, "Invalid".into()));
    let e = raw
        .create_spot_node_pool()
        .namespace(&ns)
        .body(pool_body::<types::SpotNodePool>(
            "SpotNodePool",
            &ns,
            "not-a-uuid",
            Some("0.02"),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(e).await, (422, "Invalid".into()));
    let e = raw
        .create_spot_node_pool()
        .namespace(&ns)
        .body(pool_body::<types::SpotNodePool>(
            "SpotNodePool",
            &ns,
            "11111111-2222-4333-8444-555555555555",
            Some("0.0001"),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(e).await, (422, "Invalid".into()));
    let other = "org-someone-else";
    let e = raw
        .list_cloud_spaces()
        .namespace(other)
        .send()
        .await
        .unwrap_err();
    assert_eq!(status_of(e).await.0, 403);
}
