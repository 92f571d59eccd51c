//! Tests of the normaliser, the supplement merge and the operation table (run by `cargo test -p rsspot-codegen --features generate`).

use serde_json::json;

use serde_json::Value;

use crate::normalize::{PRICE_HISTORY_OP, normalize};
use crate::ops::*;
use crate::*;

/// The committed contract supplement.
fn supplement() -> Value {
    serde_json::from_str(include_str!("../../../openapi/spot-extensions.json")).unwrap()
}

fn upstream() -> Option<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/spot.json");
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

#[test]
fn normalizes_the_vendored_spec() {
    let Some(spec) = upstream() else { return };
    let n = normalize(&spec, &supplement()).unwrap();
    assert_eq!(
        n.pointer("/paths/~1history~1{server_class}/get/operationId"),
        Some(&json!(PRICE_HISTORY_OP))
    );
    assert!(n.pointer("/components/schemas/CloudSpace").is_some());
    assert!(
        n.pointer("/components/schemas/io.rxt.ngpc.v1.CloudSpace")
            .is_none()
    );
    let patch = n
        .pointer("/paths/~1apis~1ngpc.rxt.io~1v1~1namespaces~1{namespace}~1cloudspaces~1{name}/patch/requestBody/content")
        .and_then(Value::as_object)
        .unwrap();
    assert_eq!(patch.keys().collect::<Vec<_>>(), vec!["application/json"]);
    let token = n.pointer("/paths/~1oauth~1token/post").unwrap();
    assert!(
        token.get("parameters").is_none(),
        "Content-Type header parameter dropped"
    );
    let form = token
        .pointer("/requestBody/content/application~1x-www-form-urlencoded/schema")
        .unwrap();
    assert!(form.pointer("/properties/refresh_token/default").is_none());
    assert_eq!(form["required"].as_array().unwrap().len(), 3);
    let rows = operations(&n).unwrap();
    assert_eq!(rows.iter().filter(|r| !r.supplement).count(), 28);
    assert_eq!(rows.iter().filter(|r| r.supplement).count(), 21);
    assert!(
        rows.iter()
            .any(|r| r.id == "get_oauth_token" && r.host == HostKind::Auth && !r.authenticated)
    );
}

#[test]
fn fixes_fail_loudly_when_upstream_changes_shape() {
    let Some(spec) = upstream() else { return };
    let mut with_id = spec.clone();
    with_id["paths"]["/history/{server_class}"]["get"]["operationId"] = json!("getHistory");
    assert!(
        normalize(&with_id, &supplement())
            .unwrap_err()
            .contains("history operationId")
    );

    let mut new_op = spec.clone();
    new_op["paths"]["/apis/ngpc.rxt.io/v1/regions"]["post"] =
        json!({"operationId": "createRegion", "responses": {"200": {"description": ""}}});
    assert!(
        normalize(&new_op, &supplement())
            .unwrap_err()
            .contains("new operation createRegion")
    );

    let mut has_field = spec.clone();
    has_field["components"]["schemas"]["io.rxt.ngpc.v1.ServerClass"]["properties"]["spec"]["properties"]
        ["minBidPricePerHour"] = json!({"type": "string"});
    assert!(
        normalize(&has_field, &supplement())
            .unwrap_err()
            .contains("minBidPricePerHour")
    );
}

#[test]
fn merges_the_supplement_after_the_upstream_fixes() {
    let Some(spec) = upstream() else { return };
    let n = normalize(&spec, &supplement()).unwrap();
    let list = n
        .pointer("/paths/~1apis~1ngpc.rxt.io~1v1~1namespaces~1{namespace}~1vmpools/get")
        .unwrap();
    assert_eq!(list["operationId"], json!("listVmPools"));
    assert_eq!(list[supplement::MARK], json!(true));
    // The supplement's `$ref`s point at upstream's (renamed) Kubernetes schemas.
    assert_eq!(
        n.pointer("/components/schemas/VmPool/properties/metadata/$ref"),
        Some(&json!("#/components/schemas/ObjectMeta"))
    );
    // Upstream's own operations are untouched by the merge.
    let fixed = normalize::upstream_fixes(&spec).unwrap();
    for (path, item) in fixed["paths"].as_object().unwrap() {
        assert_eq!(&n["paths"][path], item, "{path}");
    }
    let rows = operations(&n).unwrap();
    let events = rows
        .iter()
        .find(|r| r.id == "list_organization_events")
        .unwrap();
    assert_eq!(
        (events.supplement, events.cache_class.as_str(), events.host),
        (true, "inventory", HostKind::Api)
    );
    let create = rows.iter().find(|r| r.id == "create_vm_pool").unwrap();
    assert!(create.authenticated && !create.idempotent && create.cache_class.is_empty());
    assert_eq!(supplement::operation_count(&supplement()), 21);
}

#[test]
fn supplement_preconditions_fail_loudly() {
    let Some(spec) = upstream() else { return };
    let drop_hint = |e: String| {
        assert!(e.contains(supplement::FILE), "{e}");
        e
    };

    // Upstream starts to publish a path the supplement declares (under another parameter name).
    let mut published = spec.clone();
    published["paths"]["/apis/ngpc.rxt.io/v1/namespaces/{ns}/vmpools"] = json!({
        "get": {"operationId": "listNgpcRxtIoV1NamespacedVMPool", "responses": {"200": {"description": ""}}}
    });
    let e = drop_hint(normalize(&published, &supplement()).unwrap_err());
    assert!(
        e.contains("upstream now declares GET /apis/ngpc.rxt.io/v1/namespaces/{namespace}/vmpools")
            && e.contains("drop it from the supplement"),
        "{e}"
    );

    // Upstream starts to publish a schema of the same name.
    let mut schema = spec.clone();
    schema["components"]["schemas"]["io.rxt.ngpc.v1.VmSshKey"] = json!({"type": "object"});
    let e = drop_hint(normalize(&schema, &supplement()).unwrap_err());
    assert!(e.contains("schema `VmSshKey`"), "{e}");

    // The supplement itself is broken.
    let mut twice = supplement();
    twice["paths"]["/apis/ngpc.rxt.io/v1/namespaces/{namespace}/vmpools"]["post"]["operationId"] =
        json!("listVmPools");
    let e = drop_hint(normalize(&spec, &twice).unwrap_err());
    assert!(e.contains("`listVmPools` is declared twice"), "{e}");

    let mut clash = supplement();
    clash["paths"]["/apis/ngpc.rxt.io/v1/namespaces/{namespace}/vmpools"]["post"]["operationId"] =
        json!("listRegions");
    let e = drop_hint(normalize(&spec, &clash).unwrap_err());
    assert!(e.contains("already used by upstream"), "{e}");

    let mut dangling = supplement();
    dangling["components"]["schemas"]["VmPool"]["properties"]["spec"] =
        json!({"$ref": "#/components/schemas/Nowhere"});
    let e = drop_hint(normalize(&spec, &dangling).unwrap_err());
    assert!(e.contains("#/components/schemas/Nowhere"), "{e}");

    for empty in [
        json!({}),
        json!({"paths": {}}),
        json!({"paths": {"/a": {"get": {}}}}),
    ] {
        drop_hint(normalize(&spec, &empty).unwrap_err());
    }
}

#[test]
fn snake_case_matches_progenitor() {
    assert_eq!(
        snake_case("listOnDemandNodePools"),
        "list_on_demand_node_pools"
    );
    assert_eq!(snake_case("getOauthToken"), "get_oauth_token");
    assert_eq!(
        snake_case("helper-getorganizationslist"),
        "helper_getorganizationslist"
    );
}

// ----- Property tests: `normalize` never panics. --------------------------------------------

use proptest::prelude::*;

/// Arbitrary JSON steered towards OpenAPI keys; `$ref`s never resolve.
fn arb_json() -> BoxedStrategy<Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "openapi",
            "paths",
            "components",
            "schemas",
            "responses",
            "requestBody",
            "content",
            "schema",
            "properties",
            "items",
            "required",
            "type",
            "format",
            "enum",
            "$ref",
            "get",
            "post",
            "patch",
            "delete",
            "operationId",
            "parameters",
            "additionalProperties",
            "application/json",
            "200",
            "/history/{server_class}",
        ])
        .prop_map(String::from),
        "[a-z/{}._~$0-9]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<i32>().prop_map(|i| Value::from(f64::from(i) / 4.0)),
        prop_oneof!["#/nowhere/[A-C]", "\\PC{0,12}", Just("object".to_string())]
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 96, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(key.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

/// JSON pointers of every node of `v`.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, c) in o {
                pointers(
                    c,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None,
        ..ProptestConfig::default() })]

    #[test]
    fn merging_a_random_supplement_never_panics(v in arb_json()) {
        if let Some(spec) = upstream() {
            match normalize(&spec, &v) {
                Ok(n) => { let _ = operations(&n); }
                Err(e) => prop_assert!(e.contains(supplement::FILE) || e.contains("codegen fix"), "{}", e),
            }
        }
    }

    #[test]
    fn normalize_never_panics_on_random_json(v in arb_json()) {
        if let Ok(n) = normalize(&v, &supplement()) {
            let _ = operations(&n);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, failure_persistence: None,
        ..ProptestConfig::default() })]

    /// Replace, delete, null or stringify up to three nodes of the vendored spec: each fix
    /// either applies or fails with a message, and never panics.
    #[test]
    fn normalize_survives_random_mutations_of_the_vendored_spec(
        muts in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, arb_json()), 1..4),
    ) {
        let Some(spec) = upstream() else { return Ok(()) };
        let mut all = Vec::new();
        pointers(&spec, String::new(), &mut all);
        let mut doc = spec.clone();
        for (idx, kind, with) in muts {
            let ptr: &String = idx.get(&all);
            let (parent, last) = ptr.rsplit_once('/').unwrap_or(("", ptr));
            let last = last.replace("~1", "/").replace("~0", "~");
            match (kind, doc.pointer_mut(parent)) {
                (1, Some(Value::Object(o))) => {
                    o.remove(&last);
                }
                (1, Some(Value::Array(a))) => {
                    if let Ok(i) = last.parse::<usize>()
                        && i < a.len()
                    {
                        a.remove(i);
                    }
                }
                _ => {
                    if let Some(node) = doc.pointer_mut(ptr) {
                        *node = match kind {
                            2 => Value::Null,
                            3 => Value::String(node.to_string()),
                            _ => with,
                        };
                    }
                }
            }
        }
        match normalize(&doc, &supplement()) {
            Ok(n) => {
                let _ = operations(&n);
            }
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }
}

#[test]
fn every_operation_has_the_action_its_template_states() {
    let Some(spec) = upstream() else { return };
    let n = normalize(&spec, &supplement()).unwrap();
    let rows = operations(&n).unwrap();
    for r in &rows {
        // The generated names agree with the derived action (the pipeline reads the action).
        let want = match r.id.split('_').next().unwrap() {
            "list" => Action::List,
            "create" => Action::Create,
            "patch" => Action::Patch,
            "delete" if r.id.ends_with("_collection") => Action::DeleteCollection,
            "delete" => Action::Delete,
            "get" if r.method == "POST" => Action::Other,
            "get" => Action::Get,
            _ => Action::Other,
        };
        assert_eq!(r.action, want, "{}", r.id);
        assert_eq!(
            r.action == Action::Create,
            !r.idempotent && r.method == "POST",
            "{}",
            r.id
        );
    }
    let mut moved = n.clone();
    let item = moved["paths"]["/apis/ngpc.rxt.io/v1/regions/{name}"].clone();
    moved["paths"]["/apis/ngpc.rxt.io/v1/regions"]["get"]["x-kubernetes-action"] =
        item["get"]["x-kubernetes-action"].clone();
    assert!(
        operations(&moved)
            .unwrap_err()
            .contains("x-kubernetes-action")
    );
}

/// The effective spec with the model's types and docs applied, as the generator sees it.
fn documented(spec: &Value) -> Result<Value, String> {
    let mut typed = normalize(spec, &supplement())?;
    crate::model_types::apply(&mut typed)?;
    crate::model_docs::apply(&mut typed)?;
    Ok(typed)
}

#[test]
fn every_generated_type_and_field_has_a_doc() {
    let Some(spec) = upstream() else { return };
    let missing =
        crate::model_docs::undocumented(&documented(&spec).unwrap(), crate::render::REPLACEMENTS);
    assert!(
        missing.is_empty(),
        "fields without a doc (add them to crates/rsspot-codegen/src/model_docs.rs): {missing:?}"
    );
    // Without the docs, every field is reported.
    let bare = crate::model_docs::undocumented(
        &normalize(&spec, &supplement()).unwrap(),
        crate::render::REPLACEMENTS,
    );
    assert!(bare.contains(&"SpotNodePool.spec.bidPrice".to_string()));
    assert!(bare.contains(&"CloudSpace.status.conditions[]".to_string()));
    assert!(bare.len() > 300, "{}", bare.len());
}

#[test]
fn a_field_added_later_without_a_doc_is_named() {
    let Some(mut spec) = upstream() else { return };
    spec["components"]["schemas"]["io.rxt.ngpc.v1.SpotNodePool"]["properties"]["spec"]["properties"]
        ["preemptionPolicy"] = json!({"type": "string"});
    let missing =
        crate::model_docs::undocumented(&documented(&spec).unwrap(), crate::render::REPLACEMENTS);
    assert_eq!(
        missing,
        vec!["SpotNodePool.spec.preemptionPolicy".to_string()]
    );
}

#[test]
fn a_documented_field_that_is_gone_fails_the_generation() {
    let Some(mut spec) = upstream() else { return };
    let props =
        spec["components"]["schemas"]["io.rxt.ngpc.v1.Region"]["properties"]["spec"]["properties"]
            .as_object_mut()
            .unwrap();
    props.remove("country");
    let err = documented(&spec).unwrap_err();
    assert!(err.contains("model docs"), "{err}");
    assert!(err.contains("Region.spec.country"), "{err}");
}

#[test]
fn no_doc_is_declared_twice_and_none_is_empty() {
    let mut seen = std::collections::BTreeSet::new();
    for (schema, path, doc) in crate::model_docs::entries() {
        assert!(
            seen.insert(format!("{schema}.{path}")),
            "{schema}.{path} twice"
        );
        assert!(
            !doc.trim().is_empty() && !doc.contains('\n'),
            "{schema}.{path}"
        );
    }
}

#[test]
fn the_json_schema_blocks_are_dropped_from_the_docs() {
    let code = "    ///A pool.\n    ///\n    /// <details><summary>JSON schema</summary>\n    ///\n    /// ```json\n    ///{}\n    /// ```\n    /// </details>\n    pub struct Pool;\n";
    assert_eq!(
        crate::model_docs::drop_schema_blocks(code).unwrap(),
        "    ///A pool.\n    pub struct Pool;\n"
    );
    assert!(crate::model_docs::drop_schema_blocks("pub struct Pool;\n").is_err());
    assert!(crate::model_docs::drop_schema_blocks(&code[..code.len() - 40]).is_err());
}
