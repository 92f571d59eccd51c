//! `cargo xtask sync-openapi`: turn upstream's published document into `openapi/spot.json`.
//!
//! Upstream's bytes are not strict JSON (raw control characters inside strings), so they are read
//! leniently. The result keeps the contract (operation ids, paths, parameters, schemas, enums,
//! required lists, defaults, per-operation servers) and drops upstream's prose (descriptions,
//! summaries, examples), with keys sorted and 2-space indentation so diffs stay small.
//!
//! Only xtask needs this (`build.rs` never does).

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Parses JSON that may contain raw control characters inside strings (escaping them first).
pub fn lenient_parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            } else if (c as u32) < 0x20 {
                out.push_str(&format!("\\u{:04x}", c as u32));
                continue;
            }
        } else if c == '"' {
            in_string = true;
        }
        out.push(c);
    }
    serde_json::from_str(&out).map_err(|e| format!("not JSON: {e}"))
}

/// Checks that a document is an OpenAPI 3.0.x description with paths.
pub fn validate(doc: &Value) -> Result<(), String> {
    let version = doc
        .get("openapi")
        .and_then(Value::as_str)
        .ok_or("not an OpenAPI document (no `openapi` version field)")?;
    if !version.starts_with("3.0.") {
        return Err(format!("OpenAPI {version} is not supported (need 3.0.x)"));
    }
    match doc.get("paths").and_then(Value::as_object) {
        Some(p) if !p.is_empty() => Ok(()),
        _ => Err("the document has no paths".into()),
    }
}

/// Keys that hold prose when they are schema/operation keywords (not property names).
const PROSE: &[&str] = &[
    "description",
    "summary",
    "example",
    "examples",
    "externalDocs",
];

/// Where a value sits, for the few places where a prose key means something else.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Plain,
    /// A `properties` map: keys are field names (a field may well be called `description`).
    Properties,
    /// A `responses` map: each value is a Response, whose `description` OpenAPI requires.
    Responses,
}

/// Removes upstream prose everywhere. A Response keeps an empty `description`, which OpenAPI 3.0
/// requires.
pub fn strip_prose(v: &mut Value) {
    strip(v, Ctx::Plain);
}

fn strip(v: &mut Value, ctx: Ctx) {
    match v {
        Value::Object(o) => {
            if ctx != Ctx::Properties {
                o.retain(|k, _| !PROSE.contains(&k.as_str()));
            }
            for (k, child) in o.iter_mut() {
                let child_ctx = match (ctx, k.as_str()) {
                    (Ctx::Properties, _) => Ctx::Plain,
                    (_, "properties") => Ctx::Properties,
                    (_, "responses") => Ctx::Responses,
                    _ => Ctx::Plain,
                };
                strip(child, child_ctx);
                if ctx == Ctx::Responses
                    && let Value::Object(resp) = child
                    && !resp.contains_key("$ref")
                {
                    resp.insert("description".into(), Value::String(String::new()));
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|c| strip(c, Ctx::Plain)),
        _ => {}
    }
}

/// Recursively sorts object keys.
pub fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(o) => {
            let sorted: BTreeMap<&String, Value> =
                o.iter().map(|(k, v)| (k, sort_keys(v))).collect();
            Value::Object(
                sorted
                    .into_iter()
                    .map(|(k, v)| (k.clone(), v))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// The contract as committed: prose stripped, keys sorted, pretty JSON with a final newline.
pub fn contract(upstream: &Value) -> String {
    let mut doc = upstream.clone();
    strip_prose(&mut doc);
    let sorted = sort_keys(&doc);
    format!(
        "{}\n",
        serde_json::to_string_pretty(&sorted).unwrap_or_default()
    )
}

/// Number of operations in a document.
pub fn operation_count(doc: &Value) -> usize {
    operations(doc).len()
}

/// `"METHOD path"` → operation object.
pub fn operations(doc: &Value) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            if let Some(item) = item.as_object() {
                for (m, op) in item {
                    if ["get", "put", "post", "delete", "patch", "head", "options"]
                        .contains(&m.as_str())
                    {
                        out.insert(format!("{} {path}", m.to_ascii_uppercase()), op.clone());
                    }
                }
            }
        }
    }
    out
}

/// sha256 of the upstream bytes, hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The `supplement` section of `openapi/metadata.json`: the contract supplement is reported on
/// its own, never counted as upstream's.
pub fn supplement_section(file: &str, bytes: &[u8], operation_count: usize) -> Value {
    serde_json::json!({
        "file": file,
        "operation_count": operation_count,
        "sha256": sha256_hex(bytes),
    })
}

/// `openapi/metadata.json`: upstream's source, time, hash and size, and the supplement section.
pub fn metadata(
    source: &str,
    fetched_at: &str,
    bytes: &[u8],
    doc: &Value,
    supplement: Value,
) -> String {
    let meta = serde_json::json!({
        "fetched_at": fetched_at,
        "openapi": doc.get("openapi").cloned().unwrap_or(Value::Null),
        "operation_count": operation_count(doc),
        "sha256": sha256_hex(bytes),
        "source": source,
        "supplement": supplement,
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&meta).unwrap_or_default()
    )
}

fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    let mut cur = v;
    for _ in 0..16 {
        match cur.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(target) => cur = target,
                None => return cur,
            },
            None => return cur,
        }
    }
    cur
}

fn type_name(doc: &Value, schema: &Value) -> String {
    type_name_at(doc, schema, 0)
}

/// Bounded like [`flatten`]: schemas may refer to each other in cycles.
fn type_name_at(doc: &Value, schema: &Value, depth: usize) -> String {
    let s = resolve(doc, schema);
    let base = s.get("type").and_then(Value::as_str).unwrap_or("any");
    match (base, s.get("format").and_then(Value::as_str)) {
        ("array", _) if depth >= 12 => "array<…>".into(),
        ("array", _) => format!(
            "array<{}>",
            s.get("items")
                .map(|i| type_name_at(doc, i, depth + 1))
                .unwrap_or_else(|| "any".into())
        ),
        (t, Some(f)) => format!("{t}({f})"),
        (t, None) => t.to_string(),
    }
}

/// Flattens a schema into `field.path → type` (refs resolved, bounded depth).
pub fn flatten_fields(doc: &Value, schema: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    flatten(doc, schema, "", 0, &mut out);
    out
}

fn flatten(
    doc: &Value,
    schema: &Value,
    prefix: &str,
    depth: usize,
    out: &mut BTreeMap<String, String>,
) {
    if depth > 12 {
        return;
    }
    let s = resolve(doc, schema);
    if let Some(props) = s.get("properties").and_then(Value::as_object) {
        let required: Vec<&str> = s
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        for (name, prop) in props {
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let req = if required.contains(&name.as_str()) {
                " (required)"
            } else {
                ""
            };
            out.insert(path.clone(), format!("{}{req}", type_name(doc, prop)));
            flatten(doc, prop, &path, depth + 1, out);
        }
    }
    if let Some(items) = s.get("items") {
        flatten(doc, items, &format!("{prefix}[]"), depth + 1, out);
    }
}

fn op_fields(doc: &Value, op: &Value) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for p in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let p = resolve(doc, p);
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let loc = p.get("in").and_then(Value::as_str).unwrap_or("?");
        let req = if p.get("required").and_then(Value::as_bool) == Some(true) {
            " (required)"
        } else {
            ""
        };
        let ty = p
            .get("schema")
            .map(|s| type_name(doc, s))
            .unwrap_or_else(|| "any".into());
        out.insert(format!("param {loc}:{name}"), format!("{ty}{req}"));
    }
    if let Some(content) = op
        .pointer("/requestBody/content")
        .and_then(Value::as_object)
    {
        for (media, body) in content {
            out.insert(format!("request [{media}]"), "body".into());
            if let Some(schema) = body.get("schema") {
                for (k, v) in flatten_fields(doc, schema) {
                    out.insert(format!("request {k}"), v);
                }
            }
        }
    }
    if let Some(responses) = op.get("responses").and_then(Value::as_object) {
        for (code, resp) in responses {
            let resp = resolve(doc, resp);
            out.insert(format!("response {code}"), "declared".into());
            if let Some(schema) = resp.pointer("/content/application~1json/schema") {
                for (k, v) in flatten_fields(doc, schema) {
                    out.insert(format!("response {code} {k}"), v);
                }
            }
        }
    }
    if let Some(servers) = op.get("servers").and_then(Value::as_array) {
        for s in servers {
            if let Some(url) = s.get("url").and_then(Value::as_str) {
                out.insert(format!("server {url}"), "declared".into());
            }
        }
    }
    if let Some(id) = op.get("operationId").and_then(Value::as_str) {
        out.insert("operationId".into(), id.into());
    }
    out
}

/// An operation-level diff between two documents.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SpecDiff {
    /// Operations only in the new document.
    pub added: Vec<String>,
    /// Operations only in the old document.
    pub removed: Vec<String>,
    /// Operations in both whose contract changed: `(operation, change lines)`.
    pub changed: Vec<(String, Vec<String>)>,
}

impl SpecDiff {
    /// No operation differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

impl std::fmt::Display for SpecDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_empty() {
            return writeln!(f, "no operation changed");
        }
        for op in &self.added {
            writeln!(f, "+ {op}")?;
        }
        for op in &self.removed {
            writeln!(f, "- {op}")?;
        }
        for (op, lines) in &self.changed {
            writeln!(f, "~ {op}")?;
            for l in lines {
                writeln!(f, "    {l}")?;
            }
        }
        Ok(())
    }
}

/// Compares two documents operation by operation.
pub fn diff(old: &Value, new: &Value) -> SpecDiff {
    let (a, b) = (operations(old), operations(new));
    let mut d = SpecDiff::default();
    for key in b.keys() {
        if !a.contains_key(key) {
            d.added.push(key.clone());
        }
    }
    for (key, old_op) in &a {
        let Some(new_op) = b.get(key) else {
            d.removed.push(key.clone());
            continue;
        };
        let (fa, fb) = (op_fields(old, old_op), op_fields(new, new_op));
        let mut lines = Vec::new();
        for (k, v) in &fb {
            match fa.get(k) {
                None => lines.push(format!("added {k}: {v}")),
                Some(old_v) if old_v != v => lines.push(format!("retyped {k}: {old_v} -> {v}")),
                _ => {}
            }
        }
        for (k, v) in &fa {
            if !fb.contains_key(k) {
                lines.push(format!("removed {k}: {v}"));
            }
        }
        if !lines.is_empty() {
            d.changed.push((key.clone(), lines));
        }
    }
    d
}

#[cfg(test)]
mod tests;
