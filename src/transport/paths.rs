//! Names where they enter a path: the one check that a request names what its operation says it
//! names. An empty name, `.`, `..` or a name with a `/` turns `…/pools/{name}` into the
//! collection `…/pools/` (or its parent), and a DELETE or PATCH of a collection acts on every
//! object in it; so no generated operation's request leaves with a parameter that is not one
//! plain path segment, and no DELETE or PATCH reaches a collection except through the `api`
//! escape hatch with the caller's explicit consent ([`ApiScope::Collection`]).

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use reqwest::Url;

use crate::error::Error;
use crate::raw::{Action, Operation};

/// What an escape-hatch write may act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiScope {
    /// One object: a DELETE or PATCH of a whole collection is refused ([`Error::Invalid`]).
    #[default]
    Object,
    /// The caller asked for a DELETE or PATCH of a whole collection, knowing it acts on every
    /// object in it (the CLI asks first).
    Collection,
}

/// Why `value` cannot stand for one object in a path, if it cannot. `None` means it can: not
/// empty, not `.` or `..`, no `/` or `\`, no whitespace or control character.
pub fn name_problem(value: &str) -> Option<&'static str> {
    if value.is_empty() {
        Some("is empty")
    } else if value == "." || value == ".." {
        Some("is a relative path segment")
    } else if value.contains(['/', '\\']) {
        Some("contains a path separator")
    } else if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("contains whitespace or a control character")
    } else {
        None
    }
}

/// Checks that the path of `url` fills `op`'s template: its last segments are the template's,
/// literals as written and every `{parameter}` one segment that names one object. Then refuses
/// a collection delete (codegen never derives a PATCH or PUT of a collection). Operations without a template (`*`, the
/// escape hatch) are checked by [`check_api_write`] instead.
pub(crate) fn check(op: &Operation, url: &Url) -> Result<(), Error> {
    if op.path == "*" {
        return Ok(());
    }
    let template: Vec<&str> = op.path.trim_start_matches('/').split('/').collect();
    let actual: Vec<&str> = url.path().trim_start_matches('/').split('/').collect();
    let Some(tail) = actual
        .len()
        .checked_sub(template.len())
        .map(|i| &actual[i..])
    else {
        return Err(mismatch(op, template.iter().copied().find(is_param)));
    };
    for (want, got) in template.iter().zip(tail) {
        if is_param(want) {
            let decoded = percent_decode_str(got).decode_utf8_lossy();
            if let Some(problem) = name_problem(&decoded) {
                return Err(bad_param(want, &decoded, problem));
            }
        } else if want != got {
            return Err(mismatch(op, template.iter().copied().find(is_param)));
        }
    }
    if op.action == Action::DeleteCollection {
        return Err(Error::invalid(
            "path",
            format!(
                "{} {} acts on every object of the collection; rsspot sends it only through \
                 the escape hatch with the collection scope",
                op.method, op.path
            ),
        ));
    }
    Ok(())
}

/// Refuses an escape-hatch DELETE or PATCH of a whole collection unless `scope` consents.
pub(crate) fn check_api_write(method: &str, path: &str, scope: ApiScope) -> Result<(), Error> {
    if scope == ApiScope::Object && is_write_of_many(method) && is_collection(path) {
        return Err(Error::invalid(
            "path",
            format!(
                "{method} {path} acts on every object of the collection; a collection write \
                 needs the collection scope"
            ),
        ));
    }
    Ok(())
}

fn is_write_of_many(method: &str) -> bool {
    method.eq_ignore_ascii_case("DELETE") || method.eq_ignore_ascii_case("PATCH")
}

fn is_param(segment: &&str) -> bool {
    segment.starts_with('{') && segment.ends_with('}')
}

fn bad_param(param: &str, value: &str, problem: &str) -> Error {
    let field = param.trim_matches(['{', '}']);
    Error::invalid(
        field,
        format!("{value:?} {problem}; a {field} must name exactly one object"),
    )
}

fn mismatch(op: &Operation, param: Option<&str>) -> Error {
    let field = param.map_or("path", |p| p.trim_matches(['{', '}']));
    Error::invalid(
        field,
        format!(
            "the request path does not match {} {} (a parameter held a path, `.` or `..`)",
            op.method, op.path
        ),
    )
}

/// Whether a Kubernetes-style path (relative, or a full URL) names a collection
/// (`…/namespaces/NS/PLURAL`, `/apis/GROUP/VERSION/PLURAL`, `/api/v1/PLURAL`) rather than one
/// object. Empty segments, `.` and `..` are resolved first, as a URL parser would.
pub fn is_collection(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = match path.find("://") {
        Some(i) => path[i + 3..].find('/').map_or("", |j| &path[i + 3 + j..]),
        None => path,
    };
    let mut segs: Vec<Cow<'_, str>> = Vec::new();
    for seg in path.split('/') {
        match percent_decode_str(seg).decode_utf8_lossy() {
            s if s.is_empty() || s == "." => {}
            s if s == ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let segs: Vec<&str> = segs.iter().map(AsRef::as_ref).collect();
    let rest = match segs.as_slice() {
        ["apis", _group, _version, rest @ ..] => rest,
        ["api", _version, rest @ ..] => rest,
        _ => return false,
    };
    match rest {
        ["namespaces", _ns, _plural] => true,
        ["namespaces", ..] => false,
        [_plural] => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: &str) -> &'static Operation {
        crate::raw::operation(id).expect("known operation")
    }

    fn url(path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:1{path}")).expect("url")
    }

    const POOLS: &str = "/apis/ngpc.rxt.io/v1/namespaces/org-a/ondemandnodepools";

    #[test]
    fn one_object_passes() {
        let u = url(&format!("{POOLS}/8e4a0000-0000-4000-8000-000000000000"));
        assert!(check(op("delete_on_demand_node_pool"), &u).is_ok());
        let prefixed = url(&format!("/base{POOLS}/p1"));
        assert!(check(op("get_on_demand_node_pool"), &prefixed).is_ok());
    }

    #[test]
    fn names_that_are_not_one_segment_are_refused() {
        for name in ["", ".", "..", "a%2Fb", "%2e%2e", "a%20b", "%20", "a%09"] {
            // What a generated builder makes of the name (progenitor encodes `/` as %2F) and
            // what the URL parser then does with `.` and `..`.
            let u = url(&format!("{POOLS}/{name}"));
            for id in [
                "delete_on_demand_node_pool",
                "patch_on_demand_node_pool",
                "get_on_demand_node_pool",
            ] {
                let e = check(op(id), &u).expect_err(name);
                assert!(
                    matches!(&e, Error::Invalid { field: Some(f), .. } if f == "name" || f == "namespace"),
                    "{name}: {e}"
                );
            }
        }
    }

    #[test]
    fn an_empty_namespace_is_refused() {
        let u = url("/apis/ngpc.rxt.io/v1/namespaces//cloudspaces");
        assert!(check(op("list_cloud_spaces"), &u).is_err());
    }

    #[test]
    fn generated_collection_writes_are_refused() {
        let u = url(POOLS);
        let e = check(op("delete_on_demand_node_pool_collection"), &u).unwrap_err();
        assert!(matches!(e, Error::Invalid { .. }), "{e}");
        assert!(check(op("list_on_demand_node_pools"), &u).is_ok());
    }

    #[test]
    fn escape_hatch_collection_writes_need_the_scope() {
        for (method, path) in [
            ("DELETE", POOLS),
            (
                "patch",
                "/apis/ngpc.rxt.io/v1/namespaces/org-a/cloudspaces/",
            ),
            (
                "DELETE",
                "/apis/ngpc.rxt.io/v1/namespaces/org-a/cloudspaces/x/..",
            ),
            ("DELETE", "http://h/apis/ngpc.rxt.io/v1/regions"),
        ] {
            assert!(
                check_api_write(method, path, ApiScope::Object).is_err(),
                "{method} {path}"
            );
            assert!(check_api_write(method, path, ApiScope::Collection).is_ok());
        }
        assert!(check_api_write("DELETE", &format!("{POOLS}/p1"), ApiScope::Object).is_ok());
        assert!(check_api_write("POST", POOLS, ApiScope::Object).is_ok());
    }

    #[test]
    fn name_problems() {
        for ok in ["demo", "8e4a", "gp.vs1.medium-dfw", "org-abc"] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in ["", ".", "..", "a/b", "a\\b", " ", "a b", "\t", "a\n"] {
            assert!(name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn collections_are_recognised() {
        for p in [
            "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/cloudspaces",
            "apis/ngpc.rxt.io/v1/namespaces/org-x/spotnodepools?labelSelector=a",
            "/apis/ngpc.rxt.io/v1/regions",
            "https://spot.rackspace.com/apis/ngpc.rxt.io/v1/namespaces/org-x/cloudspaces/",
            "/api/v1/nodes",
        ] {
            assert!(is_collection(p), "{p}");
        }
        for p in [
            "/apis/ngpc.rxt.io/v1/namespaces/org-x/cloudspaces/demo",
            "/apis/ngpc.rxt.io/v1/namespaces/org-x",
            "/apis/ngpc.rxt.io/v1/regions/uk-lon-1",
            "/oauth/token",
        ] {
            assert!(!is_collection(p), "{p}");
        }
    }
}
