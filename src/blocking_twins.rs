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

/// The name of a `pub async fn` declared on this line, if any.
fn async_fn_name(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("pub async fn ")?;
    let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
    Some(&rest[..end])
}

/// `Service` for a line `impl Service<'_> {` (or `impl $service<'_> {` in a macro).
fn impl_owner(line: &str) -> Option<&str> {
    let rest = line.trim_start().strip_prefix("impl ")?;
    rest.strip_suffix("<'_> {")
}

/// Service name → its public async methods, read from the source files.
fn async_service_methods() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let files = sources("services");
    // Methods a macro writes for whichever service it is invoked with (in any file).
    let mut macro_methods: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, src) in &files {
        let mut current_macro: Option<String> = None;
        let mut owner: Option<String> = None;
        for line in src.lines() {
            if let Some(rest) = line.strip_prefix("macro_rules! ") {
                current_macro = Some(rest.trim_end_matches(" {").trim().to_string());
            } else if !line.starts_with(' ') && !line.is_empty() && line.starts_with('}') {
                current_macro = None;
            }
            if let Some(o) = impl_owner(line) {
                owner = Some(o.to_string());
            }
            let Some(name) = async_fn_name(line) else {
                continue;
            };
            match (owner.as_deref(), &current_macro) {
                (Some(o), Some(m)) if o.starts_with('$') => {
                    macro_methods
                        .entry(m.clone())
                        .or_default()
                        .insert(name.to_string());
                }
                (Some(o), _) => {
                    out.entry(o.to_string())
                        .or_default()
                        .insert(name.to_string());
                }
                (None, _) => panic!("{file}: `pub async fn {name}` outside an impl block"),
            }
        }
    }
    for (mac, methods) in macro_methods {
        let call = format!("{mac}!(");
        let mut invoked = 0;
        for (_, src) in &files {
            for (i, _) in src.match_indices(&call) {
                let args = &src[i + call.len()..];
                let service = args
                    .split(',')
                    .next()
                    .map(str::trim)
                    .unwrap_or_default()
                    .to_string();
                out.entry(service)
                    .or_default()
                    .extend(methods.iter().cloned());
                invoked += 1;
            }
        }
        assert!(
            invoked > 0,
            "macro {mac} writes async methods but is never invoked"
        );
    }
    out
}

/// Service name → the methods of its blocking twin.
fn blocking_service_methods() -> BTreeMap<String, BTreeSet<String>> {
    let tables = [
        Organizations::TWINS,
        Regions::TWINS,
        ServerClasses::TWINS,
        CloudSpaces::TWINS,
        SpotPools::TWINS,
        OnDemandPools::TWINS,
        Pricing::TWINS,
        Inventory::TWINS,
    ];
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
fn the_scanner_sees_methods_written_by_a_macro() {
    let async_methods = async_service_methods();
    for service in ["SpotPools", "OnDemandPools"] {
        let methods = &async_methods[service];
        for m in ["list", "get", "delete", "wait_until_fulfilled", "create"] {
            assert!(methods.contains(m), "{service}::{m} not found: {methods:?}");
        }
    }
}
