//! The contract supplement, `openapi/spot-extensions.json`: operations and schemas the service
//! answers but the published spec omits (the VM kinds, autopilot node pools, organization events),
//! written from API-NOTES facts in the effective spec's own form (final operation ids, JSON bodies,
//! clean schema names), so it is merged *after* the upstream fixes.
//!
//! The merge has its own preconditions, checked loudly: the supplement never redefines what
//! upstream declares (an operation or a schema upstream starts to publish must be dropped from the
//! supplement), operation ids stay unique, and every `$ref` resolves. Merged operations carry
//! [`MARK`], which the operation table reports as `supplement: true`.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::ops::operations;
use crate::spec::METHODS;
pub use crate::spec::{CACHE_CLASS, MARK};

/// Path of the supplement, relative to the crate root.
pub const FILE: &str = "openapi/spot-extensions.json";

fn fail(what: impl std::fmt::Display) -> String {
    format!("contract supplement {FILE}: {what}")
}

/// `/a/{x}/b` and `/a/{y}/b` are the same route.
fn route_key(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if seg.starts_with('{') && seg.ends_with('}') {
                "{}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `METHOD route` of every operation of a document.
fn routes(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in item.as_object().into_iter().flat_map(Map::keys) {
            if METHODS.contains(&method.as_str()) {
                out.insert(format!(
                    "{} {}",
                    method.to_ascii_uppercase(),
                    route_key(path)
                ));
            }
        }
    }
    out
}

/// Number of operations the supplement declares (0 for a malformed document).
pub fn operation_count(supplement: &Value) -> usize {
    routes(supplement).len()
}

/// Fails when upstream's document declares an operation the supplement declares too: the
/// supplement is then wrong or redundant, and a human must drop the entry (after checking the two
/// agree). Runs before the upstream fixes, whose own checks would otherwise report the newly
/// published operation less helpfully.
pub fn check_not_published(upstream: &Value, supplement: &Value) -> Result<(), String> {
    let published = routes(upstream);
    for (path, item) in supplement
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let item = item
            .as_object()
            .ok_or_else(|| fail(format!("path `{path}` is not an object")))?;
        for method in item.keys() {
            if !METHODS.contains(&method.as_str()) {
                return Err(fail(format!("`{path}` has a non-operation key `{method}`")));
            }
            let method = method.to_ascii_uppercase();
            if published.contains(&format!("{method} {}", route_key(path))) {
                return Err(fail(format!(
                    "upstream now declares {method} {path}; drop it from the supplement (after \
                     checking upstream's definition matches what rsspot relies on)"
                )));
            }
        }
    }
    Ok(())
}

/// Merges `supplement` into `spec` (the fixed upstream document); `upstream` is the document as
/// published, against which "upstream now declares it" is decided.
pub fn merge(upstream: &Value, spec: &mut Value, supplement: &Value) -> Result<(), String> {
    let paths = supplement
        .get("paths")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| fail("no `paths` object with operations"))?;
    let schemas = supplement
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .ok_or_else(|| fail("no `components.schemas` object"))?;

    check_not_published(upstream, supplement)?;
    let mut ids: BTreeSet<String> = BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().into_iter().flatten() {
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| fail(format!("{method} {path} has no operationId")))?;
            if !ids.insert(id.to_string()) {
                return Err(fail(format!("operationId `{id}` is declared twice")));
            }
        }
    }
    let effective = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail("the effective spec has no components.schemas"))?;
    for (name, schema) in schemas {
        if effective.contains_key(name) {
            return Err(fail(format!(
                "upstream now declares schema `{name}`; drop it from the supplement"
            )));
        }
        effective.insert(name.clone(), schema.clone());
    }
    let existing_ids = operations(spec)?;
    if let Some(clash) = existing_ids.iter().find(|r| ids.contains(&r.spec_id)) {
        return Err(fail(format!(
            "operationId `{}` is already used by upstream's {} {}",
            clash.spec_id, clash.method, clash.path
        )));
    }
    let target = spec
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail("the effective spec has no paths"))?;
    for (path, item) in paths {
        let slot = target
            .entry(path.clone())
            .or_insert_with(|| Value::Object(Map::new()))
            .as_object_mut()
            .ok_or_else(|| fail(format!("upstream's path item `{path}` is not an object")))?;
        for (method, op) in item.as_object().into_iter().flatten() {
            let mut op = op.clone();
            if let Some(o) = op.as_object_mut() {
                o.insert(MARK.into(), Value::Bool(true));
            }
            slot.insert(method.clone(), op);
        }
    }
    check_refs(spec)
}

/// Every `$ref` of the merged document points at something that exists.
fn check_refs(spec: &Value) -> Result<(), String> {
    fn walk<'a>(v: &'a Value, out: &mut BTreeSet<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.insert(r);
                }
                o.values().for_each(|c| walk(c, out));
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut refs = BTreeSet::new();
    walk(spec, &mut refs);
    for r in refs {
        let target = r.strip_prefix('#').and_then(|p| spec.pointer(p));
        if target.is_none() {
            return Err(fail(format!("`$ref` {r} points at nothing")));
        }
    }
    Ok(())
}
