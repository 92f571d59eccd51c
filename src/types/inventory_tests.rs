//! Tests of the VM inventory models against real-shaped payloads.

use super::*;
use serde_json::json;

fn vmcloudspace_payload() -> serde_json::Value {
    json!({
        "apiVersion": "ngpc.rxt.io/v1",
        "kind": "VMCloudSpaceList",
        "metadata": {"resourceVersion": "123"},
        "items": [{
            "apiVersion": "ngpc.rxt.io/v1",
            "kind": "VMCloudSpace",
            "metadata": {
                "name": "vms-a",
                "namespace": "org-abc",
                "uid": "0b8c7d52-1111-2222-3333-444455556666",
                "labels": {"team": "infra"},
                "annotations": {"note": "x"},
                "creationTimestamp": "2025-11-20T13:55:01Z",
                "resourceVersion": "991"
            },
            "spec": {
                "region": "us-central-dfw-1",
                "webhook": "https://example.invalid/hook",
                "bidRequests": ["pool-1"],
                "vmSshKeyRef": {"name": "key-1", "namespace": "org-abc"},
                "futureField": {"deep": true}
            },
            "status": {
                "phase": "Ready",
                "health": "Healthy",
                "firstReadyTimestamp": "2025-11-20T14:03:26Z",
                "assignedServers": {
                    "f3a81c2e": {
                        "IP": "192.237.244.101",
                        "clusterRole": "worker",
                        "serverClassName": "gp.vs1.medium-dfw",
                        "serverName": "f3a81c2e",
                        "serverType": "spot",
                        "state": "Ready"
                    },
                    "2c7e9b14": {
                        "ipAddress": "192.237.244.102",
                        "displayName": "vm-two",
                        "nodePoolName": "pool-1",
                        "cpu": 4,
                        "state": "Provisioning"
                    }
                },
                "conditions": [{
                    "type": "Ready", "status": "True",
                    "lastTransitionTime": "not a time", "severity": "Info"
                }],
                "bids": {"pool-1": {"bidName": "pool-1", "type": "spot", "wonCount": 2}}
            }
        }]
    })
}

#[test]
fn vmcloudspace_list_parses_with_unknown_fields() {
    let list: VmCloudSpaceList = serde_json::from_value(vmcloudspace_payload()).expect("parses");
    assert_eq!(list.items.len(), 1);
    let cs = &list.items[0];
    assert_eq!(cs.metadata.name, "vms-a");
    assert_eq!(
        cs.metadata.labels.get("team").map(String::as_str),
        Some("infra")
    );
    assert!(cs.metadata.extra.contains_key("annotations"));
    assert_eq!(
        cs.metadata.creation_timestamp.map(|t| t.to_rfc3339()),
        Some("2025-11-20T13:55:01+00:00".to_string())
    );
    assert_eq!(cs.spec.region.as_deref(), Some("us-central-dfw-1"));
    assert_eq!(cs.spec.bid_requests, vec![json!("pool-1")]);
    assert_eq!(
        cs.spec
            .vm_ssh_key_ref
            .as_ref()
            .and_then(|k| k.name.as_deref()),
        Some("key-1")
    );
    assert!(cs.spec.extra.contains_key("futureField"));
    assert_eq!(cs.status.phase, Some(crate::types::CloudSpacePhase::Ready));
    assert!(cs.is_ready());
    let bid = &cs.status.bids["pool-1"];
    assert_eq!(
        (bid.bid_type.as_deref(), bid.won_count),
        (Some("spot"), Some(2))
    );

    let first = &cs.status.assigned_servers["f3a81c2e"];
    assert_eq!(first.ip_address.as_deref(), Some("192.237.244.101"));
    assert_eq!(first.server_type.as_deref(), Some("spot"));
    assert_eq!(first.extra.get("clusterRole"), Some(&json!("worker")));
    assert!(first.is_ready());

    let second = &cs.status.assigned_servers["2c7e9b14"];
    assert_eq!(second.ip_address.as_deref(), Some("192.237.244.102"));
    assert_eq!(second.cpu.as_deref(), Some("4"));
    assert_eq!(second.node_pool_name.as_deref(), Some("pool-1"));
    assert!(!second.is_ready());

    // A malformed timestamp does not fail the document; it is simply absent.
    assert_eq!(cs.status.conditions[0].last_transition_time, None);
    assert_eq!(
        cs.status.conditions[0].extra.get("severity"),
        Some(&json!("Info"))
    );
}

#[test]
fn empty_and_sparse_documents_parse() {
    let list: VmCloudSpaceList = serde_json::from_value(json!({})).expect("parses");
    assert!(list.items.is_empty());
    let cs: VmCloudSpace = serde_json::from_value(json!({
        "metadata": {"name": "x", "labels": null},
        "spec": null,
        "status": null
    }))
    .expect("nulls are treated as missing");
    assert_eq!(cs.metadata.name, "x");
    assert!(cs.status.assigned_servers.is_empty());
    assert!(cs.is_ready());
}

#[test]
fn phase_and_state_readiness() {
    let mut cs = VmCloudSpace::default();
    cs.status.phase = Some("Provisioning".into());
    assert!(!cs.is_ready());
    cs.status.phase = Some("ready".into());
    assert!(cs.is_ready());

    let mut server = AssignedServer::default();
    assert!(server.is_ready());
    server.state = Some("Running".into());
    assert!(server.is_ready());
    server.error = Some("boot failed".into());
    assert!(!server.is_ready());
    server.error = Some(String::new());
    assert!(server.is_ready());
}

#[test]
fn vmpool_parses_and_serialises_wire_names() {
    let payload = json!({
        "apiVersion": "ngpc.rxt.io/v1",
        "kind": "VMPoolList",
        "items": [{
            "metadata": {"name": "pool-1", "labels": {"ngpc.rxt.io/vmcloudspace": "vms-a"}},
            "spec": {
                "bidPrice": "0.035", "desired": "2", "poolType": "spot",
                "serverClass": "gp.vs1.medium-dfw", "vmCloudSpace": "vms-a",
                "vmImage": "ubuntu24.04", "vmUserData": "I2Nsb3VkLWNvbmZpZw=="
            },
            "status": {"bidStatus": "Won", "wonCount": 2, "lastBidAt": "x"}
        }]
    });
    let list: VmPoolList = serde_json::from_value(payload).expect("parses");
    let pool = &list.items[0];
    assert_eq!(
        pool.spec.bid_price.map(crate::Bid::api_form).as_deref(),
        Some("0.035")
    );
    assert_eq!(pool.spec.desired, Some(2));
    assert_eq!(pool.spec.vm_cloud_space.as_deref(), Some("vms-a"));
    assert_eq!(pool.spec.vm_image.as_deref(), Some("ubuntu24.04"));
    assert_eq!(
        pool.spec.vm_user_data.as_deref(),
        Some("I2Nsb3VkLWNvbmZpZw==")
    );
    assert!(pool.spec.extra.is_empty());
    assert_eq!(
        pool.status.bid_status,
        Some(crate::types::BidStatus::Other("Won".into()))
    );
    assert_eq!(pool.status.won_count, Some(2));
    assert!(pool.status.extra.contains_key("lastBidAt"));

    let back = serde_json::to_value(pool).expect("serialises");
    assert_eq!(back["spec"]["vmCloudSpace"], json!("vms-a"));
    assert_eq!(back["spec"]["serverClass"], json!("gp.vs1.medium-dfw"));
    assert_eq!(back["spec"]["vmUserData"], json!("I2Nsb3VkLWNvbmZpZw=="));
    let again: VmPool = serde_json::from_value(back).expect("round trip");
    assert_eq!(&again, pool);
}

#[test]
fn organization_events_accept_any_cells() {
    let payload = json!({
        "org_id": "org_abc",
        "cloudspace_id": null,
        "type": "cloudspace",
        "events": [
            ["2025-11-20T14:00:00Z", "Bid won"],
            ["2025-11-20T14:01:00Z", 3, {"k": "v"}],
            "lonely"
        ],
        "extraKey": 1
    });
    let ev: OrganizationEvents = serde_json::from_value(payload).expect("parses");
    assert_eq!(ev.org_id.as_deref(), Some("org_abc"));
    assert_eq!(ev.cloudspace_id, None);
    assert_eq!(ev.r#type.as_deref(), Some("cloudspace"));
    assert_eq!(ev.events.len(), 3);
    assert_eq!(ev.events[0], vec!["2025-11-20T14:00:00Z", "Bid won"]);
    assert_eq!(
        ev.events[1],
        vec!["2025-11-20T14:01:00Z", "3", r#"{"k":"v"}"#]
    );
    assert_eq!(ev.events[2], vec!["lonely"]);
    assert!(ev.extra.contains_key("extraKey"));

    let none: OrganizationEvents = serde_json::from_value(json!({"events": null})).expect("parses");
    assert!(none.events.is_empty());
}
