//! The in-memory fixes the upstream spec needs before progenitor can generate a correct client.
//! Each fix checks its precondition and fails loudly, naming itself, when upstream changes shape.

use serde_json::{Map, Value, json};

use crate::schema_fixes;
use crate::spec::{Fix, METHODS, fail};
use crate::supplement;

/// Friendly operation ids for the generated methods (upstream id → ours).
const RENAMES: &[(&str, &str)] = &[
    ("getoauthtoken", "getOauthToken"),
    ("generateKubeconfig", "generateKubeconfig"),
    ("getregion", "listRegions"),
    ("readNgpcRxtIoV1Region", "getRegion"),
    ("getserverclass", "listServerClasses"),
    ("readNgpcRxtIoV1ServerClass", "getServerClass"),
    ("helper-getorganizationslist", "listOrganizations"),
    ("listNgpcRxtIoV1NamespacedCloudSpace", "listCloudSpaces"),
    ("createNgpcRxtIoV1NamespacedCloudSpace", "createCloudSpace"),
    (
        "deleteNgpcRxtIoV1CollectionNamespacedCloudSpace",
        "deleteCloudSpaceCollection",
    ),
    ("readNgpcRxtIoV1NamespacedCloudSpace", "getCloudSpace"),
    ("deleteNgpcRxtIoV1NamespacedCloudSpace", "deleteCloudSpace"),
    ("patchNgpcRxtIoV1NamespacedCloudSpace", "patchCloudSpace"),
    ("listNgpcRxtIoV1NamespacedSpotNodePool", "listSpotNodePools"),
    (
        "createNgpcRxtIoV1NamespacedSpotNodePool",
        "createSpotNodePool",
    ),
    (
        "deleteNgpcRxtIoV1CollectionNamespacedSpotNodePool",
        "deleteSpotNodePoolCollection",
    ),
    ("readNgpcRxtIoV1NamespacedSpotNodePool", "getSpotNodePool"),
    (
        "deleteNgpcRxtIoV1NamespacedSpotNodePool",
        "deleteSpotNodePool",
    ),
    (
        "patchNgpcRxtIoV1NamespacedSpotNodePool",
        "patchSpotNodePool",
    ),
    (
        "listNgpcRxtIoV1NamespacedOnDemandNodePool",
        "listOnDemandNodePools",
    ),
    (
        "createNgpcRxtIoV1NamespacedOnDemandNodePool",
        "createOnDemandNodePool",
    ),
    (
        "deleteNgpcRxtIoV1CollectionNamespacedOnDemandNodePool",
        "deleteOnDemandNodePoolCollection",
    ),
    (
        "readNgpcRxtIoV1NamespacedOnDemandNodePool",
        "getOnDemandNodePool",
    ),
    (
        "deleteNgpcRxtIoV1NamespacedOnDemandNodePool",
        "deleteOnDemandNodePool",
    ),
    (
        "patchNgpcRxtIoV1NamespacedOnDemandNodePool",
        "patchOnDemandNodePool",
    ),
    ("getPercentileInformation", "getPercentiles"),
    ("getMarketPriceCapacity", "getComparablePrices"),
];

/// Operation id given to `GET /history/{server_class}`, which upstream leaves without one.
pub const PRICE_HISTORY_OP: &str = "getPriceHistory";

/// Component schema renames: dotted Kubernetes names → clean Rust type names.
fn clean_schema_name(name: &str) -> String {
    name.rsplit('.').next().unwrap_or(name).to_string()
}

/// Inline response bodies hoisted into components, with the type names they get.
const HOISTED_SUCCESS: &[(&str, &str)] = &[
    ("getOauthToken", "OAuthToken"),
    ("generateKubeconfig", "KubeconfigResponse"),
    ("listOrganizations", "OrganizationList"),
    (PRICE_HISTORY_OP, "PriceHistory"),
    ("getPercentiles", "Percentiles"),
    ("getComparablePrices", "ComparablePrices"),
];

/// Visits every operation object mutably: `(method, path, op)`.
fn for_each_op(
    spec: &mut Value,
    mut f: impl FnMut(&str, &str, &mut Map<String, Value>) -> Fix,
) -> Fix {
    let paths = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| "spec has no `paths` object".to_string())?;
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            if let Some(op) = op.as_object_mut() {
                f(method, path, op)?;
            }
        }
    }
    Ok(())
}

/// `Value::pointer_mut` for a map (operations are handed out as maps).
fn ptr<'a>(m: &'a mut Map<String, Value>, pointer: &str) -> Option<&'a mut Value> {
    let rest = pointer.strip_prefix('/')?;
    let (first, tail) = match rest.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (rest, None),
    };
    let v = m.get_mut(&first.replace("~1", "/").replace("~0", "~"))?;
    match tail {
        Some(t) => v.pointer_mut(&format!("/{t}")),
        None => Some(v),
    }
}

fn op_mut<'a>(spec: &'a mut Value, method: &str, path: &str) -> Option<&'a mut Map<String, Value>> {
    spec.get_mut("paths")?
        .get_mut(path)?
        .get_mut(method)?
        .as_object_mut()
}

/// Applies every fix, in order, then merges the contract supplement. Returns the effective spec
/// progenitor is run on.
pub fn normalize(upstream: &Value, supplement: &Value) -> Result<Value, String> {
    supplement::check_not_published(upstream, supplement)?;
    let mut spec = upstream_fixes(upstream)?;
    supplement::merge(upstream, &mut spec, supplement)?;
    Ok(spec)
}

/// The fixes of upstream's document alone (no supplement).
pub fn upstream_fixes(upstream: &Value) -> Result<Value, String> {
    let mut spec = upstream.clone();
    fix_history_operation_id(&mut spec)?;
    fix_rename_operations(&mut spec)?;
    fix_oauth_form(&mut spec)?;
    fix_request_media_types(&mut spec)?;
    fix_clean_schema_names(&mut spec)?;
    fix_hoist_responses(&mut spec)?;
    fix_delete_responses(&mut spec)?;
    schema_fixes::fix_missing_fields(&mut spec)?;
    schema_fixes::fix_open_enums(&mut spec)?;
    schema_fixes::fix_loose_required(&mut spec)?;
    schema_fixes::fix_string_maps(&mut spec)?;
    fix_label_selector(&mut spec)?;
    schema_fixes::fix_float_prices(&mut spec)?;
    Ok(spec)
}

/// progenitor requires an operationId on every operation; upstream has none on price history.
fn fix_history_operation_id(spec: &mut Value) -> Fix {
    const FIX: &str = "history operationId";
    let op = op_mut(spec, "get", "/history/{server_class}")
        .ok_or_else(|| fail(FIX, "GET /history/{server_class} is gone"))?;
    if op.contains_key("operationId") {
        return Err(fail(
            FIX,
            "GET /history/{server_class} now has an operationId",
        ));
    }
    op.insert("operationId".into(), json!(PRICE_HISTORY_OP));
    Ok(())
}

/// Kubernetes-generated operation ids make unreadable method names.
fn fix_rename_operations(spec: &mut Value) -> Fix {
    const FIX: &str = "operation renames";
    let mut seen = std::collections::BTreeSet::new();
    for_each_op(spec, |method, path, op| {
        if let Some(id) = op
            .get("operationId")
            .and_then(Value::as_str)
            .map(str::to_string)
        {
            let id = id.as_str();
            if id == PRICE_HISTORY_OP {
                return Ok(());
            }
            let (_, new) = RENAMES
                .iter()
                .find(|(old, _)| *old == id)
                .ok_or_else(|| fail(FIX, format!("new operation {id} ({method} {path})")))?;
            seen.insert(id.to_string());
            op.insert("operationId".into(), json!(new));
            op.insert("x-upstream-operation-id".into(), json!(id));
        }
        Ok(())
    })?;
    if let Some((old, _)) = RENAMES.iter().find(|(old, _)| !seen.contains(*old)) {
        return Err(fail(FIX, format!("operation {old} disappeared")));
    }
    Ok(())
}

/// The token endpoint declares its `Content-Type` as a header parameter and defaults the refresh
/// token to a placeholder; the form is set by the body encoder and every field must be given.
fn fix_oauth_form(spec: &mut Value) -> Fix {
    const FIX: &str = "oauth form";
    let op = op_mut(spec, "post", "/oauth/token")
        .ok_or_else(|| fail(FIX, "POST /oauth/token is gone"))?;
    let params = op
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| fail(FIX, "no parameters on POST /oauth/token"))?;
    let before = params.len();
    params.retain(|p| {
        !(p.get("in").and_then(Value::as_str) == Some("header")
            && p.get("name")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
                == Some("content-type"))
    });
    if params.len() + 1 != before {
        return Err(fail(FIX, "the Content-Type header parameter is gone"));
    }
    if params.is_empty() {
        op.remove("parameters");
    }
    let schema = ptr(
        op,
        "/requestBody/content/application~1x-www-form-urlencoded/schema",
    )
    .and_then(Value::as_object_mut)
    .ok_or_else(|| fail(FIX, "token request is no longer a form"))?;
    let props = schema
        .get_mut("properties")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail(FIX, "token form has no properties"))?;
    let mut names = Vec::new();
    for (name, prop) in props.iter_mut() {
        if let Some(p) = prop.as_object_mut() {
            p.remove("default");
        }
        names.push(json!(name));
    }
    for required in ["grant_type", "client_id", "refresh_token"] {
        if !props.contains_key(required) {
            return Err(fail(FIX, format!("token form lost `{required}`")));
        }
    }
    schema.insert("required".into(), Value::Array(names));
    Ok(())
}

/// progenitor takes exactly one request media type and knows no patch types. Creates keep JSON;
/// PATCH bodies keep the merge-patch schema typed as JSON (the hook sends it as
/// `application/merge-patch+json`, since the server answers 415 to `application/json`).
fn fix_request_media_types(spec: &mut Value) -> Fix {
    const FIX: &str = "request media types";
    for_each_op(spec, |method, path, op| {
        let Some(content) = ptr(op, "/requestBody/content").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let keep = if method == "patch" {
            "application/merge-patch+json"
        } else if content.contains_key("application/json") {
            "application/json"
        } else if content.contains_key("application/x-www-form-urlencoded") {
            return Ok(());
        } else {
            return Err(fail(
                FIX,
                format!("{method} {path} takes neither JSON nor a form"),
            ));
        };
        let media = content
            .remove(keep)
            .ok_or_else(|| fail(FIX, format!("{method} {path} does not accept {keep}")))?;
        content.clear();
        content.insert("application/json".into(), media);
        Ok(())
    })?;
    // Responses: keep JSON only (YAML alternatives are never requested).
    for_each_op(spec, |_, _, op| {
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for resp in responses.values_mut() {
                if let Some(content) = resp.get_mut("content").and_then(Value::as_object_mut) {
                    content.retain(|k, _| k == "application/json");
                    if content.is_empty() {
                        resp.as_object_mut().map(|r| r.remove("content"));
                    }
                }
            }
        }
        Ok(())
    })
}

/// `io.rxt.ngpc.v1.CloudSpace` → `CloudSpace`, rewriting every `$ref`.
fn fix_clean_schema_names(spec: &mut Value) -> Fix {
    const FIX: &str = "schema names";
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail(FIX, "no components.schemas"))?;
    let old = std::mem::take(schemas);
    let mut renames = Vec::new();
    for (name, schema) in old {
        let clean = clean_schema_name(&name);
        if schemas.contains_key(&clean) {
            return Err(fail(FIX, format!("two schemas clean to `{clean}`")));
        }
        renames.push((
            format!("#/components/schemas/{name}"),
            format!("#/components/schemas/{clean}"),
        ));
        schemas.insert(clean, schema);
    }
    let map: std::collections::HashMap<_, _> = renames.into_iter().collect();
    rewrite_refs(spec, &map);
    Ok(())
}

fn rewrite_refs(v: &mut Value, map: &std::collections::HashMap<String, String>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref")
                && let Some(new) = map.get(r.as_str())
            {
                *r = new.clone();
            }
            o.values_mut().for_each(|c| rewrite_refs(c, map));
        }
        Value::Array(a) => a.iter_mut().for_each(|c| rewrite_refs(c, map)),
        _ => {}
    }
}

/// One success type and one error type per operation: inline bodies become named components
/// (otherwise typify names both `<Op>Response` and the error silently decodes as the success
/// type); error responses without a JSON body are dropped (they surface as unexpected responses,
/// whose plain-text bodies the SDK reads itself); distinct error bodies of one operation must
/// share one component.
fn fix_hoist_responses(spec: &mut Value) -> Fix {
    const FIX: &str = "response types";
    let mut hoisted: Vec<(String, Value)> = Vec::new();
    let mut error_schema: Option<Value> = None;
    for_each_op(spec, |method, path, op| {
        let id = op
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let responses = op
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| fail(FIX, format!("{method} {path} has no responses")))?;
        responses.retain(|code, r| {
            code.starts_with('2') || r.pointer("/content/application~1json/schema").is_some()
        });
        for (code, resp) in responses.iter_mut() {
            let Some(schema) = resp.pointer_mut("/content/application~1json/schema") else {
                continue;
            };
            if schema.get("$ref").is_some() {
                continue;
            }
            let name = if code.starts_with('2') {
                HOISTED_SUCCESS
                    .iter()
                    .find(|(op, _)| *op == id)
                    .map(|(_, n)| n.to_string())
                    .ok_or_else(|| fail(FIX, format!("new inline success body on {id}")))?
            } else {
                if let Some(prev) = &error_schema
                    && !same_shape(prev, schema)
                {
                    return Err(fail(
                        FIX,
                        format!("{id} has an error body unlike the others"),
                    ));
                }
                error_schema = Some(schema.clone());
                "ErrorBody".to_string()
            };
            let body = std::mem::replace(
                schema,
                json!({ "$ref": format!("#/components/schemas/{name}") }),
            );
            if !hoisted.iter().any(|(n, _)| *n == name) {
                hoisted.push((name, strip_examples(body)));
            }
        }
        Ok(())
    })?;
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail(FIX, "no components.schemas"))?;
    for (name, body) in hoisted {
        if schemas.contains_key(&name) {
            return Err(fail(
                FIX,
                format!("component `{name}` already exists upstream"),
            ));
        }
        schemas.insert(name, body);
    }
    Ok(())
}

/// Two error schemas are "the same" when they declare the same property names.
fn same_shape(a: &Value, b: &Value) -> bool {
    let keys = |v: &Value| -> Vec<String> {
        v.get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    };
    keys(a) == keys(b)
}

fn strip_examples(mut v: Value) -> Value {
    if let Value::Object(o) = &mut v {
        o.remove("example");
        for c in o.values_mut() {
            let taken = std::mem::take(c);
            *c = strip_examples(taken);
        }
    }
    v
}

/// A DELETE may answer with a `Status` or with the object being deleted (with finalizers), whose
/// `status` field is an object: decode delete bodies as free-form JSON.
fn fix_delete_responses(spec: &mut Value) -> Fix {
    const FIX: &str = "delete responses";
    let mut count = 0;
    for_each_op(spec, |method, _, op| {
        if method != "delete" {
            return Ok(());
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for resp in responses.values_mut() {
                if let Some(schema) = resp.pointer_mut("/content/application~1json/schema") {
                    *schema = json!({});
                    count += 1;
                }
            }
        }
        Ok(())
    })?;
    if count == 0 {
        return Err(fail(
            FIX,
            "no DELETE operation has a JSON response any more",
        ));
    }
    Ok(())
}

/// Lists are filtered by label (`ngpc.rxt.io/cloudspace=<name>`), which the spec does not declare.
fn fix_label_selector(spec: &mut Value) -> Fix {
    let mut count = 0;
    for_each_op(spec, |method, path, op| {
        if (method == "get" || method == "delete")
            && path.contains("/namespaces/{namespace}/")
            && !path.ends_with("{name}")
        {
            let params = op
                .entry("parameters")
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .ok_or_else(|| fail("label selector", format!("{method} {path} parameters")))?;
            if params
                .iter()
                .any(|p| p.get("name") == Some(&json!("labelSelector")))
            {
                return Err(fail(
                    "label selector",
                    format!("{method} {path} declares labelSelector now"),
                ));
            }
            params.push(json!({
                "name": "labelSelector", "in": "query", "required": false,
                "schema": {"type": "string"}
            }));
            count += 1;
        }
        Ok(())
    })?;
    if count != 6 {
        return Err(fail(
            "label selector",
            format!("expected 6 namespaced collection operations, found {count}"),
        ));
    }
    Ok(())
}
