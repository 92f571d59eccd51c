//! Tests of `sync.rs` (run by `cargo test -p xtask`).

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
        text.contains("retyped response 200 size: integer(int64) (required) -> string (required)"),
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

/// JSON pointers of every node of `v` (the same walk as the generator's tests).
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
    let _ = metadata("src", "now", b"x", v, supplement_section("f", b"y", 0));
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
            "sync::tests::ref_cycles_do_not_overflow_the_stack",
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
