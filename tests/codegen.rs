//! The generated/ mirror must equal what build.rs generates, the operation table must cover the
//! vendored spec and the contract supplement, and the hand-written types the generated operations
//! decode into must name every field the contract declares.

use rsspot::raw::{EXTRA_OPERATIONS, HostKind, OPERATIONS};
use serde_json::{Value, json};

fn check(name: &str, built: &str) {
    let path = format!("{}/generated/{name}", env!("CARGO_MANIFEST_DIR"));
    let mirror = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        mirror == built,
        "generated/{name} is stale: run `cargo xtask codegen` and commit the result"
    );
}

use rsspot_codegen::digest;

/// A build without the `codegen` feature trusts `generated/` only for the contract files this
/// fingerprint names.
#[test]
fn generated_inputs_fingerprint_is_fresh() {
    let root = env!("CARGO_MANIFEST_DIR");
    let inputs: Vec<Vec<u8>> = digest::INPUTS
        .iter()
        .map(|f| std::fs::read(format!("{root}/{f}")).unwrap())
        .collect();
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let recorded = std::fs::read_to_string(format!("{root}/{}", digest::DIGEST_FILE)).unwrap();
    assert_eq!(
        recorded.trim(),
        digest::inputs_digest(&refs),
        "{} is stale: run `cargo xtask codegen` and commit the result",
        digest::DIGEST_FILE
    );
}

#[test]
fn generated_mirror_is_fresh() {
    check("sdk.rs", include_str!(concat!(env!("OUT_DIR"), "/sdk.rs")));
    check("ops.rs", include_str!(concat!(env!("OUT_DIR"), "/ops.rs")));
    check(
        "spot.normalized.json",
        include_str!(concat!(env!("OUT_DIR"), "/spot.normalized.json")),
    );
}

#[test]
fn operation_table_covers_all_28_operations() {
    assert_eq!(OPERATIONS.iter().filter(|o| !o.supplement).count(), 28);
    let by_id = |id: &str| OPERATIONS.iter().find(|o| o.id == id).unwrap();
    let token = by_id("get_oauth_token");
    assert_eq!((token.host, token.authenticated), (HostKind::Auth, false));
    for id in [
        "get_percentiles",
        "get_comparable_prices",
        "get_price_history",
    ] {
        let op = by_id(id);
        assert_eq!(
            (op.host, op.authenticated, op.cache_class),
            (HostKind::PublicData, false, "pricing")
        );
    }
    let kubeconfig = by_id("generate_kubeconfig");
    assert_eq!(
        (kubeconfig.host, kubeconfig.authenticated),
        (HostKind::Api, false)
    );
    let create = by_id("create_spot_node_pool");
    assert!(create.authenticated && !create.idempotent);
    assert!(
        kubeconfig.idempotent,
        "rendering a kubeconfig has no side effect"
    );
    assert_eq!(by_id("list_cloud_spaces").cache_class, "cloudspaces");
    assert_eq!(by_id("list_organizations").cache_class, "organizations");
    assert!(by_id("patch_cloud_space").idempotent);
    let spec: serde_json::Value =
        serde_json::from_str(include_str!("../openapi/spot.json")).unwrap();
    let upstream_ids: Vec<&str> = OPERATIONS
        .iter()
        .filter(|o| !o.supplement)
        .filter_map(|o| o.upstream_id)
        .collect();
    let mut count = 0;
    for item in spec["paths"].as_object().unwrap().values() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                count += 1;
                if let Some(id) = op["operationId"].as_str() {
                    assert!(
                        upstream_ids.contains(&id),
                        "{id} missing from the operation table"
                    );
                }
            }
        }
    }
    assert_eq!(count, 28);
}

#[test]
fn bodies_with_refresh_tokens_never_debug_print_them() {
    let body = rsspot::raw::types::GenerateKubeconfigBody {
        cloudspace_name: "c".into(),
        organization_name: "o".into(),
        refresh_token: "very-secret-refresh".into(),
    };
    let token = rsspot::raw::types::GetOauthTokenBody {
        client_id: "c".into(),
        grant_type: "refresh_token".into(),
        refresh_token: "very-secret-refresh".into(),
    };
    for dbg in [
        format!("{body:?}"),
        format!("{token:?}"),
        format!("{:#?}", body.clone()),
    ] {
        assert!(!dbg.contains("very-secret-refresh"), "{dbg}");
    }
}

/// `METHOD path` of every operation of a document.
fn routes(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

#[test]
fn operation_table_covers_the_contract_supplement() {
    let supplement: Value =
        serde_json::from_str(include_str!("../openapi/spot-extensions.json")).unwrap();
    let declared = routes(&supplement);
    assert_eq!(declared.len(), 21);
    let from_supplement: Vec<_> = OPERATIONS.iter().filter(|o| o.supplement).collect();
    assert_eq!(from_supplement.len(), declared.len());
    for (method, path) in &declared {
        let op = from_supplement
            .iter()
            .find(|o| o.method == method && o.path == path)
            .unwrap_or_else(|| panic!("{method} {path} is not in the operation table"));
        assert_eq!(
            (op.host, op.authenticated, op.upstream_id),
            (HostKind::Api, true, None),
            "{}",
            op.id
        );
        assert_eq!(op.idempotent, method != "POST", "{}", op.id);
        let class = if method == "GET" { "inventory" } else { "" };
        assert_eq!(op.cache_class, class, "{}", op.id);
    }
    let spec: Value = serde_json::from_str(include_str!("../openapi/spot.json")).unwrap();
    let upstream = routes(&spec);
    assert!(declared.iter().all(|r| !upstream.contains(r)));
    // The names the services call.
    for id in [
        "list_vm_cloud_spaces",
        "list_vm_pools",
        "list_organization_events",
        "create_vm_ssh_key",
        "patch_autopilot_node_pool",
        "delete_vm_pool",
    ] {
        assert!(from_supplement.iter().any(|o| o.id == id), "{id}");
    }
    // Only the `api` escape hatch stays outside the generated table.
    let extra: Vec<&str> = EXTRA_OPERATIONS.iter().map(|o| o.id).collect();
    assert_eq!(extra, ["api_read", "api_write"]);
}

#[test]
fn supplement_lists_take_selectors_and_paging_and_keep_unknown_fields() {
    let spec: Value = serde_json::from_str(include_str!(concat!(
        env!("OUT_DIR"),
        "/spot.normalized.json"
    )))
    .unwrap();
    for plural in [
        "vmsshkeys",
        "vmcloudspaces",
        "vmpools",
        "autopilotnodepools",
    ] {
        let list = &spec["paths"]
            [format!("/apis/ngpc.rxt.io/v1/namespaces/{{namespace}}/{plural}")]["get"];
        let params: Vec<&str> = list["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            params,
            ["namespace", "labelSelector", "limit", "continue"],
            "{plural}"
        );
    }
    for kind in ["VmSshKey", "VmCloudSpace", "VmPool", "AutopilotNodePool"] {
        for part in ["spec", "status"] {
            let schema = &spec["components"]["schemas"][kind]["properties"][part];
            assert_eq!(schema["additionalProperties"], json!({}), "{kind}.{part}");
        }
    }
    // The generated kinds keep what they do not know in `extra`.
    let key: rsspot::types::VmSshKey = serde_json::from_value(json!({
        "metadata": {"name": "k"},
        "spec": {"publicKey": "ssh-ed25519 AAAA", "description": "d", "future": 1},
        "status": {"fingerprint": "SHA256:x", "validated": true, "later": "y"}
    }))
    .unwrap();
    let back = serde_json::to_value(&key).unwrap();
    assert_eq!(back["spec"]["future"], 1);
    assert_eq!(back["status"]["later"], "y");
    assert_eq!(back["spec"]["publicKey"], "ssh-ed25519 AAAA");
}

/// A sample instance of `schema` with every declared property set.
fn sample(spec: &Value, schema: &Value, depth: usize) -> Value {
    if let Some(r) = schema["$ref"].as_str() {
        let target = spec.pointer(r.trim_start_matches('#')).unwrap();
        return sample(spec, target, depth);
    }
    if depth > 6 {
        return Value::Null;
    }
    match schema["type"].as_str() {
        Some("string") if schema["format"] == "date-time" => json!("2025-11-20T13:55:01Z"),
        Some("string") => json!("x"),
        Some("integer") => json!(2),
        Some("number") => json!(1.5),
        Some("boolean") => json!(true),
        Some("array") => json!([sample(spec, &schema["items"], depth + 1)]),
        _ => match schema["properties"].as_object() {
            Some(props) => Value::Object(
                props
                    .iter()
                    .map(|(k, v)| (k.clone(), sample(spec, v, depth + 1)))
                    .filter(|(_, v)| !v.is_null())
                    .collect(),
            ),
            None if schema["additionalProperties"].is_object()
                && schema["additionalProperties"] != json!({}) =>
            {
                json!({"k": sample(spec, &schema["additionalProperties"], depth + 1)})
            }
            None => json!({"any": "thing"}),
        },
    }
}

/// The hand-written VM inventory types the supplement's operations decode into name every field
/// the contract declares (nothing lands in their catch-all `extra`), and lose nothing on a round
/// trip.
#[test]
fn replacement_types_name_every_field_of_the_contract() {
    use rsspot::types::inventory::{VmCloudSpace, VmPool};
    let spec: Value = serde_json::from_str(include_str!(concat!(
        env!("OUT_DIR"),
        "/spot.normalized.json"
    )))
    .unwrap();
    let schemas = &spec["components"]["schemas"];

    let mut doc = sample(&spec, &schemas["VmCloudSpace"], 0);
    doc["metadata"] = json!({"name": "vms", "creationTimestamp": "2025-11-20T13:55:01Z"});
    let cs: VmCloudSpace = serde_json::from_value(doc.clone()).unwrap();
    assert!(cs.spec.extra.is_empty(), "{:?}", cs.spec.extra);
    assert!(cs.status.extra.is_empty(), "{:?}", cs.status.extra);
    let server = cs.status.assigned_servers.values().next().unwrap();
    assert!(server.extra.is_empty(), "{:?}", server.extra);
    assert!(cs.status.conditions[0].extra.is_empty());
    assert!(cs.spec.vm_ssh_key_ref.as_ref().unwrap().extra.is_empty());
    assert_eq!(serde_json::to_value(&cs).unwrap(), doc);

    let mut doc = sample(&spec, &schemas["VmPool"], 0);
    doc["metadata"] = json!({"name": "pool"});
    // A typed field reads only a value of its type (a bid, a known or unknown status).
    doc["spec"]["bidPrice"] = json!("0.035");
    let pool: VmPool = serde_json::from_value(doc.clone()).unwrap();
    assert!(pool.spec.extra.is_empty(), "{:?}", pool.spec.extra);
    assert!(pool.status.extra.is_empty(), "{:?}", pool.status.extra);
    assert_eq!(serde_json::to_value(&pool).unwrap(), doc);
}
