//! Request routing: token exchange, bearer checks, the Kubernetes-style resource API,
//! kubeconfig generation and the public pricing documents. Pure over (state, request) so the
//! network layer only adds faults and the journal.

use http::Method;
use serde_json::{Value, json};

use super::patch;
use super::reply::{self, Reply};
use super::seed::SeedOrg;
use super::store::{Kind, Requirement, Store, matches, parse_selector};
use super::variants::{DryRun, LabelSelector, Paging};
use super::{cluster_api, documents, oauth};
pub(crate) use crate::request::{Ctx, Req};

/// Handles one request against the store.
pub(crate) fn route(store: &mut Store, ctx: &Ctx<'_>, req: &Req<'_>) -> Reply {
    store.tick(ctx.now);
    let path = req.path.trim_end_matches('/');
    let m = req.method;
    match path {
        "/oauth/token" if m == Method::POST => oauth::token(store, ctx, req),
        "/percentiles.json" if m == Method::GET => documents::percentiles(store, ctx),
        "/comparable_prices.json" if m == Method::GET => documents::comparable_prices(store),
        "/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig" if m == Method::POST => {
            oauth::kubeconfig(store, ctx, req)
        }
        _ => {
            if let Some(class) = path.strip_prefix("/history/")
                && m == Method::GET
            {
                return documents::history(ctx, class);
            }
            if let Some(rest) = path.strip_prefix(cluster_api::PREFIX) {
                return cluster_api::route(store, ctx, req, rest);
            }
            if let Some(rest) = path.strip_prefix("/apis/") {
                return match oauth::authenticate(ctx, req) {
                    Ok(org) => api(store, ctx, req, org, rest),
                    Err(r) => r,
                };
            }
            Reply::text(404, "404 page not found")
        }
    }
}

/// A list answer, one page of it when the client sends `limit` or the emulator has a
/// `page_size`; the next page is asked for with `continue` (Kubernetes list chunking).
fn list_reply(ctx: &Ctx<'_>, req: &Req<'_>, kind: &str, rv: String, items: Vec<Value>) -> Reply {
    if ctx.variants.paging == Paging::Ignored {
        // The gateway dropped limit/continue: the whole list, and no continue token at all.
        return Reply::json(
            200,
            &json!({"apiVersion": "ngpc.rxt.io/v1", "kind": format!("{kind}List"),
                "metadata": {"resourceVersion": rv}, "items": items}),
        );
    }
    let limit = match req.query_param("limit") {
        None => None,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                return reply::bad_request(&format!(
                    "limit: must be a positive integer, not {l:?}"
                ));
            }
        },
    };
    let start = match req.query_param("continue").filter(|c| !c.is_empty()) {
        None => 0,
        Some(token) => match token
            .strip_prefix("emu-")
            .and_then(|o| o.parse::<usize>().ok())
        {
            Some(offset) if offset <= items.len() => offset,
            _ => {
                return reply::status(
                    410,
                    "Expired",
                    "the provided continue parameter is too old to display a consistent list \
                     result; start a new list without the continue parameter",
                    None,
                );
            }
        },
    };
    let page = match (limit, ctx.page_size) {
        (Some(l), Some(p)) => l.min(p),
        (Some(n), None) | (None, Some(n)) => n,
        (None, None) => usize::MAX,
    };
    let end = start.saturating_add(page).min(items.len());
    let remaining = items.len() - end;
    let mut metadata = json!({"continue": "", "resourceVersion": rv});
    if remaining > 0 {
        metadata["continue"] = json!(format!("emu-{end}"));
        metadata["remainingItemCount"] = json!(remaining);
    }
    let page: Vec<Value> = items.into_iter().skip(start).take(end - start).collect();
    Reply::json(
        200,
        &json!({"apiVersion": "ngpc.rxt.io/v1", "kind": format!("{kind}List"),
            "metadata": metadata, "items": page}),
    )
}

/// The request's label selector; empty when the gateway drops it (`label-selector=ignored`).
fn selector(ctx: &Ctx<'_>, req: &Req<'_>) -> Result<Vec<Requirement>, Reply> {
    if ctx.variants.label_selector == LabelSelector::Ignored {
        return Ok(Vec::new());
    }
    match req.query_param("labelSelector") {
        Some(s) => parse_selector(&s).map_err(|e| reply::bad_request(&e)),
        None => Ok(Vec::new()),
    }
}

fn api(store: &mut Store, ctx: &Ctx<'_>, req: &Req<'_>, org: &SeedOrg, rest: &str) -> Reply {
    let segs: Vec<&str> = rest.split('/').collect();
    let m = req.method;
    match segs.as_slice() {
        ["auth.ngpc.rxt.io", "v1", "organizations"] if m == Method::GET => organizations(ctx),
        ["metrics.ngpc.rxt.io", "v1", "events", "organizations"] if m == Method::GET => {
            let limit = req
                .query_param("limits")
                .or_else(|| req.query_param("limit"))
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(100);
            let events: Vec<Value> = store
                .events(&org.namespace(), limit)
                .into_iter()
                .map(|(t, text)| json!([t, text]))
                .collect();
            Reply::json(
                200,
                &json!({"org_id": org.id, "type": "organization", "events": events}),
            )
        }
        [
            "ngpc.rxt.io",
            "v1",
            plural @ ("regions" | "serverclasses"),
            rest @ ..,
        ] => {
            if m != Method::GET {
                return reply::method_not_allowed(m.as_str());
            }
            let (kind, docs) = if *plural == "regions" {
                ("Region", store.regions())
            } else {
                ("ServerClass", store.classes())
            };
            match rest {
                [] => {
                    let sel = match selector(ctx, req) {
                        Ok(s) => s,
                        Err(r) => return r,
                    };
                    let items = docs.iter().filter(|d| matches(d, &sel)).cloned().collect();
                    list_reply(ctx, req, kind, store.resource_version(), items)
                }
                [name] => docs
                    .iter()
                    .find(|d| d.pointer("/metadata/name").and_then(Value::as_str) == Some(name))
                    .map_or_else(|| reply::not_found(plural, name), |d| Reply::json(200, d)),
                _ => reply::no_route(),
            }
        }
        ["ngpc.rxt.io", "v1", "namespaces", ns, plural, rest @ ..] => {
            let Some(kind) = Kind::from_plural(plural) else {
                return reply::no_route();
            };
            if *ns != org.namespace() {
                let verb = match (m.as_str(), rest.is_empty()) {
                    ("GET", true) => "list",
                    ("GET", false) => "get",
                    ("POST", _) => "create",
                    ("PATCH", _) => "patch",
                    ("PUT", _) => "update",
                    ("DELETE", true) => "deletecollection",
                    _ => "delete",
                };
                return reply::status(
                    403,
                    "Forbidden",
                    &format!(
                        "{plural}.ngpc.rxt.io is forbidden: User \"auth0|emulator-{}\" cannot {verb} resource \"{plural}\" in API group \"ngpc.rxt.io\" in the namespace \"{ns}\"",
                        org.name
                    ),
                    Some(json!({"group": "ngpc.rxt.io", "kind": plural})),
                );
            }
            if !kind.writable() && m != Method::GET {
                return reply::method_not_allowed(m.as_str());
            }
            let dry_run = req.query_param("dryRun");
            if dry_run.is_some() && m != Method::GET {
                let core = matches!(
                    kind,
                    Kind::CloudSpace | Kind::SpotNodePool | Kind::OnDemandNodePool
                );
                let refused = match ctx.variants.dry_run {
                    DryRun::Supported => false,
                    DryRun::Rejected => true,
                    DryRun::CoreOnly => !core,
                };
                if refused {
                    return reply::bad_request("dryRun is not supported by this endpoint");
                }
                if dry_run.as_deref() != Some("All") {
                    return reply::bad_request(&format!(
                        "Invalid value: {:?}: supported values: \"All\"",
                        dry_run.unwrap_or_default()
                    ));
                }
            }
            // A dry run writes to a copy of the store that is then dropped.
            let mut copy;
            let target = if dry_run.is_some() {
                copy = store.clone();
                &mut copy
            } else {
                store
            };
            match rest {
                [] => collection(target, ctx, req, kind, ns),
                [name] => object(target, ctx, req, kind, ns, name),
                _ => reply::no_route(),
            }
        }
        _ => reply::no_route(),
    }
}

fn parse_body(req: &Req<'_>) -> Result<Value, Reply> {
    let ct = req.content_type();
    let parsed = if ct.contains("yaml") {
        serde_norway::from_slice::<Value>(req.body).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<Value>(req.body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| reply::bad_request(&format!("the request body could not be decoded: {e}")))
}

fn collection(store: &mut Store, ctx: &Ctx<'_>, req: &Req<'_>, kind: Kind, ns: &str) -> Reply {
    let sel = match selector(ctx, req) {
        Ok(s) => s,
        Err(r) => return r,
    };
    match *req.method {
        Method::GET => {
            let items = store.list(kind, ns, &sel);
            list_reply(ctx, req, kind.name(), store.resource_version(), items)
        }
        Method::POST => {
            let body = match parse_body(req) {
                Ok(b) => b,
                Err(r) => return r,
            };
            match store.create(kind, ns, body, ctx.now) {
                Ok(doc) => Reply::json(201, &doc),
                Err(r) => r,
            }
        }
        Method::DELETE => store.delete_collection(kind, ns, &sel, ctx.now),
        _ => reply::method_not_allowed(req.method.as_str()),
    }
}

fn object(
    store: &mut Store,
    ctx: &Ctx<'_>,
    req: &Req<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
) -> Reply {
    let result = match *req.method {
        Method::GET => store
            .get(kind, ns, name)
            .map(|d| Reply::json(200, d))
            .ok_or_else(|| reply::not_found(kind.plural(), name)),
        Method::PUT => parse_body(req).and_then(|body| {
            store
                .update(kind, ns, name, body, true, ctx.now)
                .map(|d| Reply::json(200, &d))
        }),
        Method::PATCH => patch_object(store, ctx, req, kind, ns, name),
        Method::DELETE => store.delete(kind, ns, name, ctx.now),
        _ => Err(reply::method_not_allowed(req.method.as_str())),
    };
    result.unwrap_or_else(|r| r)
}

fn patch_object(
    store: &mut Store,
    ctx: &Ctx<'_>,
    req: &Req<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
) -> Result<Reply, Reply> {
    let ct = req.content_type();
    let current = store
        .get(kind, ns, name)
        .cloned()
        .ok_or_else(|| reply::not_found(kind.plural(), name))?;
    let mut doc = current.clone();
    match ct.as_str() {
        "application/merge-patch+json" | "application/apply-patch+yaml" => {
            let p = parse_body(req)?;
            if !p.is_object() {
                return Err(reply::bad_request("a merge patch must be a JSON object"));
            }
            patch::merge_patch(&mut doc, &p);
        }
        "application/json-patch+json" => {
            let p = parse_body(req)?;
            patch::json_patch(&mut doc, &p).map_err(|e| {
                reply::status(
                    422,
                    "Invalid",
                    &format!("the JSON patch could not be applied: {e}"),
                    None,
                )
            })?;
        }
        other => return Err(reply::unsupported_media(other)),
    }
    // A resourceVersion the client put into the patch is a precondition; ours is not.
    let client_rv =
        doc.pointer("/metadata/resourceVersion") != current.pointer("/metadata/resourceVersion");
    if !client_rv && let Some(Value::Object(meta)) = doc.get_mut("metadata") {
        meta.remove("resourceVersion");
    }
    store
        .update(kind, ns, name, doc, false, ctx.now)
        .map(|d| Reply::json(200, &d))
}

fn organizations(ctx: &Ctx<'_>) -> Reply {
    let orgs: Vec<Value> = ctx
        .seed
        .orgs
        .iter()
        .map(|o| {
            json!({"id": o.id, "name": o.name, "display_name": o.display_name,
                "metadata": {"namespace": o.namespace()}})
        })
        .collect();
    Reply::json(
        200,
        &json!({"start": 0, "limit": 50, "length": orgs.len(), "total": orgs.len(),
            "organizations": orgs}),
    )
}
