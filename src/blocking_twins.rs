//! Every public async method of the services and of the client has a blocking twin.
//!
//! The async services are read from their source (an `impl Service<'_>` block, or a
//! `macro_rules!` that writes such blocks and is invoked with the service's name first), so a new
//! async method fails this test until its line is added to a `blocking_service!` table.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::*;

/// Every `.rs` file under `src/<dir>`, read at test time so that splitting a service into more
/// files keeps it covered; `(path relative to src, text)`.
fn sources(dir: &str) -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src.join(dir), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let rel = p.strip_prefix(&src).unwrap_or(&p).display().to_string();
            (rel, text)
        })
        .collect()
}

/// The name of a `pub async fn` (or a `pub fn` answering `impl Future`) declared on this line,
/// if any.
fn async_fn_name(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let rest = match line.strip_prefix("pub async fn ") {
        Some(rest) => rest,
        None if line.contains("-> impl Future") => line.strip_prefix("pub fn ")?,
        None => return None,
    };
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// The owner of an impl block on this line: `Pricing` for `impl Pricing<'_> {`,
/// `Api<SpotNodePool>` for `impl Api<'_, SpotNodePool> {`, `Api<K: Kind>` for
/// `impl<K: Kind> Api<'_, K> {`.
fn impl_owner(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("impl")?.strip_suffix(" {")?;
    if let Some(generic) = rest.strip_prefix('<') {
        let (bound, ty) = generic.split_once("> ")?;
        let bound = bound.trim_start_matches("'a, ");
        return Some(match ty {
            "Api<'_, K>" | "Api<'a, K>" => format!("Api<{bound}>"),
            other => other.to_string(),
        });
    }
    let ty = rest.trim_start();
    if let Some(kind) = ty.strip_prefix("Api<'_, ") {
        return Some(format!("Api<{}>", kind.strip_suffix('>')?));
    }
    ty.strip_suffix("<'_>").map(str::to_string)
}

/// Owner → its public async methods, read from the source files of the services and the
/// resource model.
fn async_service_methods() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let files = [sources("services"), sources("resource")].concat();
    for (file, src) in &files {
        let mut owner: Option<String> = None;
        let lines: Vec<&str> = src.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.starts_with("impl") {
                owner = impl_owner(line);
            }
            // A signature may span lines: read it up to its body.
            let signature: String = lines[i..]
                .iter()
                .take_while(|l| !l.trim_end().ends_with('{') && !l.trim_end().ends_with(';'))
                .chain(lines[i..].iter().find(|l| l.trim_end().ends_with('{')))
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let Some(name) = async_fn_name(if line.trim_start().starts_with("pub fn ") {
                &signature
            } else {
                line
            }) else {
                continue;
            };
            match owner.as_deref() {
                Some(o) => {
                    out.entry(o.to_string())
                        .or_default()
                        .insert(name.to_string());
                }
                None => panic!("{file}: `pub async fn {name}` outside a known impl block"),
            }
        }
    }
    // What both kinds of node pool share is the twin of each.
    if let Some(shared) = out.remove("Api<K: NodePoolKind>") {
        for kind in ["Api<SpotNodePool>", "Api<OnDemandNodePool>"] {
            out.entry(kind.to_string())
                .or_default()
                .extend(shared.iter().cloned());
        }
    }
    out
}

/// Owner → the methods of its blocking twin.
fn blocking_service_methods() -> BTreeMap<String, BTreeSet<String>> {
    let tables = [
        Organizations::TWINS,
        Regions::TWINS,
        ServerClasses::TWINS,
        Pricing::TWINS,
        Inventory::TWINS,
    ]
    .into_iter()
    .chain(api::TWINS.iter().copied());
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (service, methods) in tables {
        out.entry(service.to_string())
            .or_default()
            .extend(methods.iter().map(|m| m.to_string()));
    }
    for (service, method) in HAND_WRITTEN_TWINS {
        out.entry(service.to_string())
            .or_default()
            .insert(method.to_string());
    }
    out
}

#[test]
fn every_async_service_method_has_a_blocking_twin() {
    let async_methods = async_service_methods();
    let blocking = blocking_service_methods();
    assert!(
        async_methods.len() >= 8 && async_methods.values().map(BTreeSet::len).sum::<usize>() >= 30,
        "the source scan found too little ({async_methods:?}); fix the scanner, not the services"
    );
    let mut missing = Vec::new();
    for (service, methods) in &async_methods {
        for m in methods {
            if !blocking.get(service).is_some_and(|b| b.contains(m)) {
                missing.push(format!("{service}::{m}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "async methods without a blocking twin (add them to a blocking_service! table in \
         src/blocking.rs): {missing:?}"
    );
    // The reverse holds at compile time: every twin calls its async method.
}

#[test]
fn every_async_client_method_has_a_blocking_twin_or_a_reason() {
    let mut found = BTreeSet::new();
    for (_, src) in &sources("client") {
        let mut in_client = false;
        for line in src.lines() {
            if line.starts_with("impl") {
                in_client = line == "impl SpotClient {";
            }
            if in_client && let Some(name) = async_fn_name(line) {
                found.insert(name.to_string());
            }
        }
    }
    let covered: BTreeSet<String> = CLIENT_METHODS
        .iter()
        .chain(CLIENT_WITHOUT_TWIN.iter().map(|(m, _)| m))
        .map(|m| m.to_string())
        .collect();
    assert_eq!(
        found, covered,
        "rsspot::SpotClient's async methods and src/blocking.rs's CLIENT_METHODS + \
         CLIENT_WITHOUT_TWIN differ: add the twin (or the reason there is none)"
    );
}

#[test]
fn the_scanner_sees_generic_and_per_kind_methods() {
    let async_methods = async_service_methods();
    let generic = &async_methods["Api<K: Kind>"];
    for m in ["list", "get", "delete", "wait_ready", "patch"] {
        assert!(generic.contains(m), "Api::{m} not found: {generic:?}");
    }
    for kind in ["Api<SpotNodePool>", "Api<OnDemandNodePool>"] {
        let methods = &async_methods[kind];
        for m in [
            "create",
            "update",
            "send_create",
            "prepare_create",
            "scale",
            "verify",
        ] {
            assert!(methods.contains(m), "{kind}::{m} not found: {methods:?}");
        }
    }
}
