//! Contract test: every operation of `openapi/spot.json` and of the contract supplement
//! (`openapi/spot-extensions.json`) that the emulator serves, called through the generated bindings
//! (with the SDK's hooks for routing and auth), gets a response from the emulator that decodes into
//! the generated type; documented error cases keep their status and `Status.reason`.
#![cfg(feature = "emulator")]

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
    assert!(sc.spec.min_bid_price_per_hour.is_some());

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
    assert_eq!(
        cs.status.unwrap().phase,
        Some(rsspot::types::CloudSpacePhase::Ready)
    );
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

    // The contract supplement's operations the emulator serves (the read-only VM inventory).
    let vmcs = raw
        .list_vm_cloud_spaces()
        .namespace(&ns)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!vmcs.items.is_empty());
    let vmcs_name = vmcs.items[0].metadata.name.clone();
    let one = raw
        .get_vm_cloud_space()
        .namespace(&ns)
        .name(&vmcs_name)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!one.status.assigned_servers.is_empty());
    let pools = raw
        .list_vm_pools()
        .namespace(&ns)
        .label_selector(format!("ngpc.rxt.io/vmcloudspace={vmcs_name}"))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        !pools.items.is_empty()
            && pools
                .items
                .iter()
                .all(|p| p.spec.vm_cloud_space.as_deref() == Some(vmcs_name.as_str()))
    );
    raw.get_vm_pool()
        .namespace(&ns)
        .name(pools.items[0].metadata.name.clone())
        .send()
        .await
        .unwrap();
    let events = raw
        .list_organization_events()
        .limits(5)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(!events.events.is_empty() && events.events.len() <= 5);

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
    // A collection DELETE never leaves through a generated builder (#29: an empty name must
    // not become one); the escape hatch sends it when the caller asks for the collection scope.
    let before = emu.journal().len();
    assert!(
        raw.delete_spot_node_pool_collection()
            .namespace(&ns)
            .send()
            .await
            .is_err()
    );
    assert!(
        raw.delete_on_demand_node_pool_collection()
            .namespace(&ns)
            .send()
            .await
            .is_err()
    );
    assert!(
        raw.delete_cloud_space_collection()
            .namespace(&ns)
            .send()
            .await
            .is_err()
    );
    assert_eq!(emu.journal().len(), before, "a collection DELETE was sent");
    for plural in ["spotnodepools", "ondemandnodepools", "cloudspaces"] {
        let path = format!("/apis/ngpc.rxt.io/v1/namespaces/{ns}/{plural}");
        client
            .api_request_scoped("DELETE", &path, None, rsspot::ApiScope::Collection)
            .await
            .unwrap();
    }

    // Every operation of the table was exercised (the journal records which paths were hit),
    // except the supplement's VM writes and kinds the emulator does not serve yet; that list may
    // only name supplement operations, and shrinks (this test fails) once the emulator serves one.
    const NOT_YET_EMULATED: &[&str] = &[
        "list_vm_ssh_keys",
        "get_vm_ssh_key",
        "create_vm_ssh_key",
        "patch_vm_ssh_key",
        "delete_vm_ssh_key",
        "create_vm_cloud_space",
        "patch_vm_cloud_space",
        "delete_vm_cloud_space",
        "create_vm_pool",
        "patch_vm_pool",
        "delete_vm_pool",
        "list_autopilot_node_pools",
        "get_autopilot_node_pool",
        "create_autopilot_node_pool",
        "patch_autopilot_node_pool",
        "delete_autopilot_node_pool",
    ];
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
        if NOT_YET_EMULATED.contains(&op.id) {
            assert!(op.supplement, "{} is upstream's: exercise it", op.id);
            assert!(
                !matched,
                "{} now works against the emulator: exercise it above and drop it from NOT_YET_EMULATED",
                op.id
            );
        } else {
            assert!(
                matched,
                "operation {} ({} {}) was not exercised successfully",
                op.id, op.method, op.path
            );
        }
    }
    assert!(
        NOT_YET_EMULATED
            .iter()
            .all(|id| rsspot::raw::OPERATIONS.iter().any(|op| op.id == *id)),
        "NOT_YET_EMULATED names an operation the table does not have"
    );
}

/// Path parameters go through the generated builders' escaping: a class name with `?`, `#`, `/`
/// or a space asks the public-data host for exactly that key. Before, `/history/{class}` was
/// formatted by hand and `gp.vs1.medium-dfw?x=1` fetched the history of `gp.vs1.medium-dfw`.
#[tokio::test]
async fn services_escape_path_parameters() {
    let emu = Emulator::start().await.unwrap();
    let client = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .build()
        .await
        .unwrap();
    let known = client.pricing().history("gp.vs1.medium-dfw").await.unwrap();
    assert!(!known.history.is_empty());
    for (class, wire) in [
        ("gp.vs1.medium-dfw?x=1", "/history/gp.vs1.medium-dfw%3Fx=1"),
        (
            "gp.vs1.medium-dfw#frag",
            "/history/gp.vs1.medium-dfw%23frag",
        ),
    ] {
        let err = client.pricing().history(class).await.unwrap_err();
        assert!(
            matches!(err, rsspot::Error::NotFound { .. }),
            "{class}: {err:?}"
        );
        let journal = emu.journal();
        let last = journal.last().unwrap();
        assert_eq!((last.path.as_str(), last.query.as_deref()), (wire, None));
    }

    // A name that is not one path segment never leaves (#29): refused before the wire.
    for class in ["../percentiles.json", "a b", "..", ""] {
        let before = emu.journal().len();
        let err = client.pricing().history(class).await.unwrap_err();
        assert!(
            matches!(err, rsspot::Error::Invalid { .. }),
            "{class}: {err:?}"
        );
        assert_eq!(emu.journal().len(), before, "{class} was sent");
    }

    // The label selector of the VM pool list is a query parameter, encoded by the builder.
    let pools = client
        .inventory()
        .vm_pools("vm-lab-dfw&labelSelector=x")
        .await
        .unwrap();
    assert!(pools.is_empty(), "{pools:?}");
    let journal = emu.journal();
    let last = journal.last().unwrap();
    assert_eq!(
        last.query.as_deref(),
        Some("labelSelector=ngpc.rxt.io%2Fvmcloudspace%3Dvm-lab-dfw%26labelSelector%3Dx")
    );
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
