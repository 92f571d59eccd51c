//! Fixes of upstream's component schemas (as opposed to its operations): fields real answers carry
//! that the spec omits, open enums, loose `required`, string maps and float prices.

use serde_json::{Map, Value, json};

use crate::spec::{Fix, fail};

fn schema_mut<'a>(
    spec: &'a mut Value,
    pointer: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    spec.pointer_mut(&format!("/components/schemas{pointer}"))
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail("missing fields", format!("schema {pointer} is gone")))
}

/// Fields real responses carry that the spec omits; `minBidPricePerHour` is the bid floor.
pub(super) fn fix_missing_fields(spec: &mut Value) -> Fix {
    let add = |spec: &mut Value, pointer: &str, name: &str, schema: Value| -> Fix {
        let props = schema_mut(spec, pointer)?;
        if props.contains_key(name) {
            return Err(fail(
                "missing fields",
                format!("{pointer}/{name} is now in the spec"),
            ));
        }
        props.insert(name.into(), schema);
        Ok(())
    };
    let string = json!({"type": "string"});
    add(
        spec,
        "/ServerClass/properties/spec/properties",
        "minBidPricePerHour",
        string.clone(),
    )?;
    add(
        spec,
        "/ServerClass/properties/spec/properties/resources/properties",
        "disk",
        string.clone(),
    )?;
    add(
        spec,
        "/ServerClass/properties/spec/properties/resources/properties",
        "gpu",
        string.clone(),
    )?;
    add(
        spec,
        "/Region/properties/spec/properties",
        "generation",
        string,
    )?;
    add(
        spec,
        "/CloudSpace/properties/spec/properties",
        "gpuEnabled",
        json!({"type": "boolean"}),
    )?;
    add(
        spec,
        "/OnDemandNodePool/properties/spec/properties",
        "autoscaling",
        json!({
            "type": "object",
            "properties": {
                "enabled": {"type": "boolean"},
                "minNodes": {"type": "integer"},
                "maxNodes": {"type": "integer"}
            }
        }),
    )
}

/// Enums the server extends over time (or fills with ""), and free-text states, decode as strings.
pub(super) fn fix_open_enums(spec: &mut Value) -> Fix {
    let mut found = 0;
    fn walk(v: &mut Value, found: &mut usize) {
        if let Value::Object(o) = v {
            if o.get("type").and_then(Value::as_str) == Some("string") && o.remove("enum").is_some()
            {
                *found += 1;
            }
            o.values_mut().for_each(|c| walk(c, found));
        } else if let Value::Array(a) = v {
            a.iter_mut().for_each(|c| walk(c, found));
        }
    }
    if let Some(schemas) = spec.pointer_mut("/components/schemas") {
        walk(schemas, &mut found);
    }
    if found == 0 {
        return Err(fail("open enums", "no string enum left in the schemas"));
    }
    Ok(())
}

/// Real objects omit fields the spec marks required (Go `omitempty`), so response-side schemas
/// must not insist on them. Request-side requirements are validated by the SDK's builders.
pub(super) fn fix_loose_required(spec: &mut Value) -> Fix {
    fn walk(v: &mut Value) {
        if let Value::Object(o) = v {
            if o.get("type").and_then(Value::as_str) == Some("object")
                || o.contains_key("properties")
            {
                o.remove("required");
            }
            o.values_mut().for_each(walk);
        } else if let Value::Array(a) = v {
            a.iter_mut().for_each(walk);
        }
    }
    let schemas = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail("loose required", "no components.schemas"))?;
    for (name, schema) in schemas.iter_mut() {
        // Lists always carry `items`; keep that one so an empty body is still an error.
        if name.ends_with("List") {
            if let Some(props) = schema.get_mut("properties") {
                walk(props);
            }
        } else {
            walk(schema);
        }
    }
    Ok(())
}

/// Labels, annotations and custom node metadata are string maps, not free-form objects.
pub(super) fn fix_string_maps(spec: &mut Value) -> Fix {
    let set = |spec: &mut Value, pointer: &str| -> Fix {
        let s = schema_mut(spec, pointer)?;
        if s.get("type").and_then(Value::as_str) != Some("object") {
            return Err(fail(
                "string maps",
                format!("{pointer} is no longer an object"),
            ));
        }
        s.insert("additionalProperties".into(), json!({"type": "string"}));
        Ok(())
    };
    set(spec, "/ObjectMeta/properties/labels")?;
    set(spec, "/ObjectMeta/properties/annotations")?;
    for kind in ["SpotNodePool", "OnDemandNodePool"] {
        set(
            spec,
            &format!("/{kind}/properties/spec/properties/customLabels"),
        )?;
        set(
            spec,
            &format!("/{kind}/properties/spec/properties/customAnnotations"),
        )?;
    }
    Ok(())
}

/// `format: float` would become `f32` and lose precision on prices.
pub(super) fn fix_float_prices(spec: &mut Value) -> Fix {
    let mut count = 0;
    fn walk(v: &mut Value, count: &mut usize) {
        if let Value::Object(o) = v {
            if o.get("format").and_then(Value::as_str) == Some("float") {
                o.insert("format".into(), json!("double"));
                *count += 1;
            }
            o.values_mut().for_each(|c| walk(c, count));
        } else if let Value::Array(a) = v {
            a.iter_mut().for_each(|c| walk(c, count));
        }
    }
    if let Some(schemas) = spec.pointer_mut("/components/schemas") {
        walk(schemas, &mut count);
    }
    if count == 0 {
        return Err(fail("float prices", "no `format: float` field left"));
    }
    Ok(())
}
