//! `cargo xtask sync-openapi`: turn upstream's published document into `openapi/spot.json`.
//!
//! Upstream's bytes are not strict JSON (raw control characters inside strings), so they are read
//! leniently. The result keeps the contract (operation ids, paths, parameters, schemas, enums,
//! required lists, defaults, per-operation servers) and drops upstream's prose (descriptions,
//! summaries, examples), with keys sorted and 2-space indentation so diffs stay small.

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

/// `openapi/metadata.json`.
pub fn metadata(source: &str, fetched_at: &str, bytes: &[u8], doc: &Value) -> String {
    let meta = serde_json::json!({
        "fetched_at": fetched_at,
        "openapi": doc.get("openapi").cloned().unwrap_or(Value::Null),
        "operation_count": operation_count(doc),
        "sha256": sha256_hex(bytes),
        "source": source,
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
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture() -> Value {
        json!({
            "openapi": "3.0.2",
            "info": {"title": "t", "version": "v1", "description": "Long prose"},
            "paths": {
                "/things/{name}": {
                    "description": "path prose",
                    "get": {
                        "operationId": "getThing",
                        "summary": "Get a thing",
                        "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}, "description": "x"}],
                        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}}
                    }
                },
                "/things": {"post": {"operationId": "createThing", "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}}, "responses": {"201": {"description": "created"}}}}
            },
            "components": {"schemas": {"Thing": {
                "type": "object", "description": "A thing", "example": {"a": 1}, "required": ["size"],
                "properties": {
                    "description": {"type": "string", "description": "the field named description stays"},
                    "size": {"type": "integer", "format": "int64"},
                    "tags": {"type": "array", "items": {"type": "string"}}
                }
            }}}
        })
    }

    #[test]
    fn lenient_parse_escapes_raw_control_characters() {
        let raw = b"{\"a\": \"line1\nline2\ttab\", \"b\": \"ok \\\" quote\"}";
        assert!(serde_json::from_slice::<Value>(raw).is_err());
        let v = lenient_parse(raw).unwrap();
        assert_eq!(v["a"], "line1\nline2\ttab");
        assert_eq!(v["b"], "ok \" quote");
        assert!(lenient_parse(b"<html>").unwrap_err().contains("not JSON"));
    }

    #[test]
    fn strips_prose_but_keeps_fields_named_description() {
        let text = contract(&fixture());
        assert!(!text.contains("Long prose"));
        assert!(!text.contains("Get a thing"));
        assert!(!text.contains("A thing"));
        assert!(!text.contains("\"example\""));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(
            v.pointer("/components/schemas/Thing/properties/description")
                .is_some()
        );
        assert!(
            v.pointer("/components/schemas/Thing/properties/description/description")
                .is_none()
        );
        assert_eq!(
            v.pointer("/components/schemas/Thing/required"),
            Some(&json!(["size"]))
        );
    }

    #[test]
    fn contract_is_idempotent() {
        let once = contract(&fixture());
        let twice = contract(&serde_json::from_str(&once).unwrap());
        assert_eq!(once, twice);
    }

    #[test]
    fn validate_rejects_non_openapi() {
        assert!(validate(&json!({"swagger": "2.0", "paths": {"/a": {}}})).is_err());
        assert!(
            validate(&json!({"openapi": "3.1.0", "paths": {"/a": {}}}))
                .unwrap_err()
                .contains("3.1.0")
        );
        assert!(
            validate(&json!({"openapi": "3.0.2", "paths": {}}))
                .unwrap_err()
                .contains("no paths")
        );
        assert!(validate(&fixture()).is_ok());
    }

    #[test]
    fn diff_names_operations_and_fields() {
        let old = fixture();
        let mut new = fixture();
        new["components"]["schemas"]["Thing"]["properties"]["size"] = json!({"type": "string"});
        new["paths"]["/things"]["post"]["operationId"] = json!("makeThing");
        new["paths"]["/extra"] = json!({"delete": {"operationId": "dropExtra", "responses": {}}});
        let d = diff(&old, &new);
        assert_eq!(d.added, vec!["DELETE /extra"]);
        assert!(d.removed.is_empty());
        let text = d.to_string();
        assert!(text.contains("~ GET /things/{name}"), "{text}");
        assert!(
            text.contains(
                "retyped response 200 size: integer(int64) (required) -> string (required)"
            ),
            "{text}"
        );
        assert!(
            text.contains("retyped operationId: createThing -> makeThing"),
            "{text}"
        );
        assert!(diff(&old, &old).is_empty());
    }

    // ----- Property tests: nothing here panics on arbitrary input. ---------------------------

    use proptest::prelude::*;

    /// Keys that steer random documents into the code paths that matter (paths, operations,
    /// schemas, refs), mixed with arbitrary short keys.
    fn arb_key() -> BoxedStrategy<String> {
        prop_oneof![
            prop::sample::select(vec![
                "openapi",
                "paths",
                "components",
                "schemas",
                "parameters",
                "requestBody",
                "responses",
                "content",
                "application/json",
                "schema",
                "properties",
                "items",
                "required",
                "type",
                "format",
                "$ref",
                "get",
                "post",
                "patch",
                "delete",
                "put",
                "operationId",
                "description",
                "summary",
                "example",
                "examples",
                "servers",
                "url",
                "name",
                "in",
                "200",
                "201",
                "/a/{name}",
            ])
            .prop_map(String::from),
            "[a-z/{}.#~$0-9]{0,8}",
        ]
        .boxed()
    }

    /// Arbitrary JSON. Its `$ref`s never resolve (see `ref_cycles_do_not_overflow_the_stack`
    /// for refs that do), so a known stack overflow cannot abort the whole test binary.
    fn arb_json() -> BoxedStrategy<Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            any::<i64>().prop_map(Value::from),
            // Quarter steps: serde_json (without `float_roundtrip`) may reparse extreme floats
            // one ulp off, which would break the idempotence property for no real spec.
            any::<i32>().prop_map(|i| Value::from(f64::from(i) / 4.0)),
            prop_oneof![
                "#/nowhere/[A-C]",
                "3\\.0\\.[0-9]",
                "\\PC{0,12}",
                Just("object".to_string()),
                Just("array".to_string()),
                Just("string".to_string()),
            ]
            .prop_map(Value::from),
        ];
        leaf.prop_recursive(5, 96, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(arb_key(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
    }

    /// The vendored spec, if present.
    fn vendored() -> Option<(Vec<u8>, Value)> {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/spot.json");
        let bytes = std::fs::read(path).ok()?;
        let v = serde_json::from_slice(&bytes).ok()?;
        Some((bytes, v))
    }

    use super::super::tests::pointers;

    /// Replaces (kind 0), deletes (1), nulls (2) or stringifies (3) the node at `ptr`.
    fn mutate(doc: &mut Value, ptr: &str, kind: u8, with: Value) {
        if ptr.is_empty() {
            *doc = with;
            return;
        }
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

    fn checks(v: &Value, other: &Value) -> Result<(), TestCaseError> {
        let _ = validate(v);
        let _ = operation_count(v);
        let _ = metadata("src", "now", b"x", v);
        let text = contract(v);
        let again: Value = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("contract is not JSON: {e}")))?;
        prop_assert_eq!(contract(&again), text, "contract is idempotent");
        prop_assert!(diff(v, v).is_empty(), "a document differs from itself");
        let _ = diff(v, other).to_string();
        let _ = diff(other, v).to_string();
        let _ = flatten_fields(v, v);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None,
            ..ProptestConfig::default() })]

        #[test]
        fn lenient_parse_never_panics(
            bytes in prop_oneof![
                any::<Vec<u8>>(),
                "[\\[\\]{}\":,a-z0-9\\\\\n\t\u{1}\u{1f} ]{0,64}".prop_map(String::into_bytes),
                "\\{\"[a-z]{0,4}\": \"[a-z\n\t\r\u{0}\u{7}\\\\\"]{0,16}\"\\}".prop_map(String::into_bytes),
            ]
        ) {
            if let Ok(v) = lenient_parse(&bytes) {
                checks(&v, &fixture())?;
            }
        }

        #[test]
        fn spec_functions_never_panic_on_random_json(v in arb_json()) {
            checks(&v, &fixture())?;
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None,
            ..ProptestConfig::default() })]

        #[test]
        fn the_vendored_spec_survives_random_mutations(
            muts in prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, arb_json()), 1..4),
            cut in any::<prop::sample::Index>(),
            flip in any::<prop::sample::Index>(),
        ) {
            let Some((bytes, spec)) = vendored() else { return Ok(()) };
            let mut all = Vec::new();
            pointers(&spec, String::new(), &mut all);
            let mut doc = spec.clone();
            for (idx, kind, with) in muts {
                let ptr: &String = idx.get(&all);
                mutate(&mut doc, ptr, kind, with);
            }
            checks(&doc, &spec)?;
            // Damaged bytes: truncated, and with one byte replaced by a control character.
            let _ = lenient_parse(&bytes[..cut.index(bytes.len())]);
            let mut damaged = bytes.clone();
            let i = flip.index(damaged.len());
            damaged[i] = 0x01;
            if let Ok(v) = lenient_parse(&damaged) {
                checks(&v, &spec)?;
            }
        }
    }

    /// Documents whose schemas `$ref` each other (cycles included).
    fn arb_ref_graph() -> impl Strategy<Value = Value> {
        let target = prop::sample::select(vec!["A", "B", "C"])
            .prop_map(|t| json!({"$ref": format!("#/components/schemas/{t}")}));
        let schema = prop_oneof![
            target
                .clone()
                .prop_map(|t| json!({"type": "array", "items": t})),
            target
                .clone()
                .prop_map(|t| json!({"type": "object", "properties": {"x": t}})),
            target.clone(),
            Just(json!({"type": "string"})),
        ];
        (schema.clone(), schema.clone(), schema, target).prop_map(|(a, b, c, root)| {
            json!({
                "openapi": "3.0.2",
                "paths": {"/a": {"get": {"operationId": "getA", "responses": {"200": {
                    "content": {"application/json": {"schema": {
                        "type": "object", "properties": {"root": root}}}}}}}}},
                "components": {"schemas": {"A": a, "B": b, "C": c}}
            })
        })
    }

    /// `$ref` cycles must not overflow the stack. A stack overflow aborts the process, so the
    /// property runs in a child copy of this test binary and the parent reports how it ended.
    #[test]
    fn ref_cycles_do_not_overflow_the_stack() {
        const CHILD: &str = "XTASK_REF_CYCLE_CHILD";
        if std::env::var_os(CHILD).is_some() {
            let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
                cases: 64,
                failure_persistence: None,
                ..ProptestConfig::default()
            });
            let result = runner.run(&arb_ref_graph(), |doc| {
                checks(&doc, &fixture())?;
                Ok(())
            });
            assert!(result.is_ok(), "{result:?}");
            return;
        }
        let exe = std::env::current_exe().expect("test binary");
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "codegen::sync::tests::ref_cycles_do_not_overflow_the_stack",
            ])
            .args(["--nocapture", "--test-threads", "1"])
            .env(CHILD, "1")
            .output()
            .expect("child runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "sync::diff on a document whose schemas $ref each other ended with {:?}: {}",
            out.status,
            stderr
                .lines()
                .filter(|l| l.contains("overflow") || l.contains("panicked"))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
}
