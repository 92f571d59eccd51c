//! PATCH semantics: JSON Merge Patch (RFC 7386) and JSON Patch (RFC 6902: add, replace, remove,
//! test).

use serde_json::Value;

/// Applies an RFC 7386 merge patch: objects merge recursively, `null` deletes a key, anything
/// else replaces.
pub(crate) fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = target {
        for (k, v) in patch_map {
            if v.is_null() {
                map.remove(k);
            } else {
                merge_patch(map.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

/// Decodes one JSON Pointer token (`~1` → `/`, `~0` → `~`).
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// Splits a pointer into its parent pointer and last token.
fn split(path: &str) -> Result<(String, String), String> {
    if path.is_empty() {
        return Err("the root cannot be the target of this operation".into());
    }
    let idx = path
        .rfind('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok((path[..idx].to_string(), unescape(&path[idx + 1..])))
}

/// Applies an RFC 6902 patch document; on error the target is left unchanged.
pub(crate) fn json_patch(target: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    let mut doc = target.clone();
    for op in ops {
        let kind = op
            .get("op")
            .and_then(Value::as_str)
            .ok_or("every operation needs an \"op\"")?;
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("every operation needs a \"path\"")?;
        match kind {
            "add" | "replace" => {
                let value = op
                    .get("value")
                    .cloned()
                    .ok_or_else(|| format!("{kind} at {path} needs a \"value\""))?;
                if path.is_empty() {
                    doc = value;
                    continue;
                }
                let (parent, key) = split(path)?;
                let container = doc
                    .pointer_mut(&parent)
                    .ok_or_else(|| format!("path {parent:?} does not exist"))?;
                match container {
                    Value::Object(map) => {
                        if kind == "replace" && !map.contains_key(&key) {
                            return Err(format!("replace of missing key {path:?}"));
                        }
                        map.insert(key, value);
                    }
                    Value::Array(arr) => {
                        if key == "-" && kind == "add" {
                            arr.push(value);
                        } else {
                            let i: usize = key
                                .parse()
                                .map_err(|_| format!("invalid array index in {path:?}"))?;
                            match kind {
                                "add" if i <= arr.len() => arr.insert(i, value),
                                "replace" if i < arr.len() => arr[i] = value,
                                _ => return Err(format!("index out of range in {path:?}")),
                            }
                        }
                    }
                    _ => return Err(format!("{parent:?} is not a container")),
                }
            }
            "remove" => {
                let (parent, key) = split(path)?;
                let container = doc
                    .pointer_mut(&parent)
                    .ok_or_else(|| format!("path {parent:?} does not exist"))?;
                let removed = match container {
                    Value::Object(map) => map.remove(&key).is_some(),
                    Value::Array(arr) => match key.parse::<usize>() {
                        Ok(i) if i < arr.len() => {
                            arr.remove(i);
                            true
                        }
                        _ => false,
                    },
                    _ => false,
                };
                if !removed {
                    return Err(format!("remove of missing path {path:?}"));
                }
            }
            "test" => {
                let want = op.get("value").unwrap_or(&Value::Null);
                if doc.pointer(path) != Some(want) {
                    return Err(format!("test failed at {path:?}"));
                }
            }
            other => return Err(format!("unsupported JSON patch operation {other:?}")),
        }
    }
    *target = doc;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_rfc7386_examples() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}}));
        let mut t = json!({"a": [{"b": "c"}]});
        merge_patch(&mut t, &json!({"a": [1]}));
        assert_eq!(t, json!({"a": [1]}));
        let mut t = json!({"e": null});
        merge_patch(&mut t, &json!({"a": {"bb": {"ccc": null}}}));
        assert_eq!(t, json!({"e": null, "a": {"bb": {}}}));
    }

    #[test]
    fn json_patch_ops() {
        let mut t = json!({"spec": {"desired": 1, "list": [1, 2]}});
        json_patch(
            &mut t,
            &json!([
                {"op": "replace", "path": "/spec/desired", "value": 3},
                {"op": "add", "path": "/spec/webhook", "value": "x"},
                {"op": "add", "path": "/spec/list/-", "value": 3},
                {"op": "remove", "path": "/spec/list/0"},
                {"op": "test", "path": "/spec/desired", "value": 3}
            ]),
        )
        .unwrap();
        assert_eq!(
            t,
            json!({"spec": {"desired": 3, "list": [2, 3], "webhook": "x"}})
        );
        let before = t.clone();
        assert!(json_patch(&mut t, &json!([{"op": "remove", "path": "/spec/nope"}])).is_err());
        assert!(json_patch(&mut t, &json!([{"op": "move", "path": "/a", "from": "/b"}])).is_err());
        assert_eq!(t, before);
    }
}
