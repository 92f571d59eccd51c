//! The generated/ mirror must equal what build.rs generates, and the operation table must cover
//! the vendored spec.

use rsspot::raw::{HostKind, OPERATIONS};

fn check(name: &str, built: &str) {
    let path = format!("{}/generated/{name}", env!("CARGO_MANIFEST_DIR"));
    let mirror = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        mirror == built,
        "generated/{name} is stale: run `cargo xtask codegen` and commit the result"
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
    assert_eq!(OPERATIONS.len(), 28);
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
    let upstream_ids: Vec<&str> = OPERATIONS.iter().filter_map(|o| o.upstream_id).collect();
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
