//! The contract holds the official SDK's shapes of the kinds beyond the published spec
//! (API-NOTES §9.4): a fixture table written from the notes, checked against the schemas of
//! `openapi/spot-extensions.json` (and `openapi/spot.json` for the cloudspace status), so that a
//! drift of either fails CI.

use serde_json::Value;

/// (schema, JSON pointer under the schema to an object with `properties`, official field names).
const OFFICIAL: &[(&str, &str, &[&str])] = &[
    (
        "AutopilotNodePool",
        "/properties/spec",
        &[
            "region",
            "cloudSpace",
            "vcpu",
            "vcpuPerNode",
            "memoryPerVCPU",
            "budgetPerHour",
            "allocationStrategy",
            "customLabels",
            "customAnnotations",
            "customTaints",
        ],
    ),
    (
        "AutopilotNodePool",
        "/properties/spec/properties/vcpu",
        &["total"],
    ),
    (
        "AutopilotNodePool",
        "/properties/spec/properties/vcpuPerNode",
        &["min", "max"],
    ),
    (
        "AutopilotNodePool",
        "/properties/spec/properties/customTaints/items",
        &["key", "value", "effect"],
    ),
    (
        "AutopilotNodePool",
        "/properties/status",
        &[
            "phase",
            "targetVCPUs",
            "managedVCPUs",
            "managedMemoryGB",
            "allocations",
            "classStates",
            "allocationsHistory",
        ],
    ),
    (
        "AutopilotNodePool",
        "/properties/status/properties/allocations/items",
        &[
            "serverClass",
            "spotNodePool",
            "marketPricePerHour",
            "bidPricePerHour",
            "vcpuPerNode",
            "memoryGBPerNode",
            "desiredNodes",
            "wonNodes",
        ],
    ),
    (
        "AutopilotNodePool",
        "/properties/status/properties/classStates/items",
        &[
            "serverClass",
            "lastOutcome",
            "lastAttemptTime",
            "cooldownUntil",
        ],
    ),
    (
        "AutopilotNodePool",
        "/properties/status/properties/allocationsHistory/items",
        &[
            "time",
            "serverClass",
            "spotNodePool",
            "event",
            "reason",
            "desiredNodes",
            "wonNodes",
            "bidPricePerHour",
        ],
    ),
    (
        "VmCloudSpace",
        "/properties/spec",
        &["region", "webhook", "vmSshKeyRef", "bidRequests"],
    ),
    (
        "VmCloudSpace",
        "/properties/status",
        &["phase", "reason", "health", "bids", "assignedServers"],
    ),
    (
        "VmCloudSpace",
        "/properties/status/properties/bids/additionalProperties",
        &["bidName", "type", "wonCount"],
    ),
    (
        "VmCloudSpace",
        "/properties/status/properties/assignedServers/additionalProperties",
        &["memory", "error"],
    ),
    (
        "VmPool",
        "/properties/spec",
        &[
            "serverClass",
            "bidPrice",
            "desired",
            "poolType",
            "vmImage",
            "vmUserData",
            "vmCloudSpace",
        ],
    ),
    ("VmPool", "/properties/status", &["bidStatus", "wonCount"]),
    (
        "VmSshKey",
        "/properties/spec",
        &["publicKey", "description"],
    ),
    (
        "VmSshKey",
        "/properties/status",
        &["fingerprint", "validated"],
    ),
    (
        "io.rxt.ngpc.v1.CloudSpace",
        "/properties/status",
        &[
            "phase",
            "health",
            "reason",
            "APIServerEndpoint",
            "currentKubernetesVersion",
            "firstReadyTimestamp",
            "cloudspaceClassName",
            "bids",
            "assignedServers",
        ],
    ),
];

/// Value sets the official rules give, and where the typed values hold them.
#[test]
fn official_value_sets_are_the_typed_values() {
    use rsspot::services::{AllocationStrategy, MemoryPerVcpu};
    let memory: Vec<&str> = MemoryPerVcpu::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(memory, ["any", "2", "4", "8"]);
    assert_eq!(AllocationStrategy::default().as_str(), "LowestPrice");
}

fn schemas(file: &str) -> Value {
    let text = std::fs::read_to_string(file).expect("contract file");
    let doc: Value = serde_json::from_str(&text).expect("contract JSON");
    doc["components"]["schemas"].clone()
}

#[test]
fn the_contract_holds_every_official_field() {
    let ext = schemas("openapi/spot-extensions.json");
    let upstream = schemas("openapi/spot.json");
    let mut checked = 0;
    for (schema, pointer, fields) in OFFICIAL {
        let root = ext.get(*schema).or_else(|| upstream.get(*schema));
        let node = root
            .and_then(|s| s.pointer(pointer))
            .unwrap_or_else(|| panic!("{schema}{pointer} is not in the contract"));
        let props = node["properties"]
            .as_object()
            .unwrap_or_else(|| panic!("{schema}{pointer} has no properties"));
        for f in *fields {
            assert!(
                props.contains_key(*f),
                "{schema}{pointer}: the official field {f:?} is missing from the contract"
            );
            checked += 1;
        }
    }
    assert!(checked > 70, "{checked}");
}
