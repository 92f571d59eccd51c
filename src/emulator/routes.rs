//! Request routing: token exchange, bearer checks, the Kubernetes-style resource API,
//! kubeconfig generation and the public pricing documents. Pure over (state, request) so the
//! network layer only adds faults and the journal.

use std::collections::BTreeMap;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http::{HeaderMap, Method};
use serde_json::{Map, Value, json};

use super::jwt::{self, CLIENT_ID, Claims};
use super::patch;
use super::reply::{self, Reply};
use super::seed::{Seed, SeedOrg, namespace_for};
use super::store::{Kind, Store, parse_selector};

/// Everything immutable a request needs besides the store.
pub(crate) struct Ctx<'a> {
    pub seed: &'a Seed,
    pub secret: &'a [u8],
    pub base_url: &'a str,
    pub now: DateTime<Utc>,
    pub token_lifetime: std::time::Duration,
    pub page_size: Option<usize>,
}

/// A buffered request.
pub(crate) struct Req<'a> {
    pub method: &'a Method,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub headers: &'a HeaderMap,
    pub body: &'a Bytes,
}

impl Req<'_> {
    fn query_param(&self, key: &str) -> Option<String> {
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(self.query.unwrap_or("")).unwrap_or_default();
        pairs.into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn content_type(&self) -> String {
        self.headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|s| {
                s.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .unwrap_or_default()
    }
}

/// Handles one request against the store.
pub(crate) fn route(store: &mut Store, ctx: &Ctx<'_>, req: &Req<'_>) -> Reply {
    store.tick(ctx.now);
    let path = req.path.trim_end_matches('/');
    let m = req.method;
    match path {
        "/oauth/token" if m == Method::POST => token(store, ctx, req),
        "/percentiles.json" if m == Method::GET => percentiles(store, ctx),
        "/comparable_prices.json" if m == Method::GET => comparable_prices(store),
        "/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig" if m == Method::POST => {
            kubeconfig(store, ctx, req)
        }
        _ => {
            if let Some(class) = path.strip_prefix("/history/")
                && m == Method::GET
            {
                return history(ctx, class);
            }
            if let Some(rest) = path.strip_prefix("/apis/") {
                return match authenticate(ctx, req) {
                    Ok(org) => api(store, ctx, req, org, rest),
                    Err(r) => r,
                };
            }
            Reply::text(404, "404 page not found")
        }
    }
}

fn oauth_error(status: u16, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &json!({"error": error, "error_description": description}),
    )
}

fn mint_for(ctx: &Ctx<'_>, org: &SeedOrg) -> String {
    let iat = ctx.now.timestamp();
    let lifetime = i64::try_from(ctx.token_lifetime.as_secs()).unwrap_or(i64::MAX / 2);
    jwt::mint(
        ctx.secret,
        &Claims {
            org_id: &org.id,
            org_name: &org.name,
            issuer: &format!("{}/", ctx.base_url),
            iat,
            exp: iat.saturating_add(lifetime),
        },
    )
}

fn token(store: &Store, ctx: &Ctx<'_>, req: &Req<'_>) -> Reply {
    let form: BTreeMap<String, String> = match serde_urlencoded::from_bytes(req.body) {
        Ok(f) => f,
        Err(_) => {
            return oauth_error(
                400,
                "invalid_request",
                "The request body must be form-encoded.",
            );
        }
    };
    if form.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return oauth_error(
            401,
            "access_denied",
            "Unauthorized: unsupported grant_type (expected refresh_token).",
        );
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID) {
        return oauth_error(401, "access_denied", "Unauthorized: unknown client_id.");
    }
    let org = form
        .get("refresh_token")
        .filter(|t| !store.revoked.contains(t.as_str()))
        .and_then(|t| ctx.seed.org_by_token(t));
    let Some(org) = org else {
        return oauth_error(403, "invalid_grant", "Unknown or invalid refresh token.");
    };
    let access = uuid::Uuid::new_v4().simple().to_string();
    Reply::json(
        200,
        &json!({
            "access_token": access,
            "id_token": mint_for(ctx, org),
            "scope": "openid profile email offline_access",
            "expires_in": ctx.token_lifetime.as_secs(),
            "token_type": "Bearer",
        }),
    )
}

/// Checks the bearer and returns the organization it belongs to.
fn authenticate<'a>(ctx: &Ctx<'a>, req: &Req<'_>) -> Result<&'a SeedOrg, Reply> {
    let header = req
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(Reply::text(401, jwt::BearerError::Missing.text()));
    };
    let claims = jwt::verify(ctx.secret, token, ctx.now.timestamp())
        .map_err(|e| Reply::text(401, e.text()))?;
    let org_id = claims.get("org_id").and_then(Value::as_str).unwrap_or("");
    ctx.seed
        .orgs
        .iter()
        .find(|o| o.id == org_id)
        .ok_or_else(|| Reply::text(401, jwt::BearerError::BadSignature.text()))
}

/// A list answer, one page of it when the client sends `limit` or the emulator has a
/// `page_size`; the next page is asked for with `continue` (Kubernetes list chunking).
fn list_reply(ctx: &Ctx<'_>, req: &Req<'_>, kind: &str, rv: String, items: Vec<Value>) -> Reply {
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

fn selector(req: &Req<'_>) -> Result<Vec<super::store::Requirement>, Reply> {
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
                    let sel = match selector(req) {
                        Ok(s) => s,
                        Err(r) => return r,
                    };
                    let items = docs
                        .iter()
                        .filter(|d| super::store::matches(d, &sel))
                        .cloned()
                        .collect();
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
            match rest {
                [] => collection(store, ctx, req, kind, ns),
                [name] => object(store, ctx, req, kind, ns, name),
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
    let sel = match selector(req) {
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

fn kubeconfig(store: &Store, ctx: &Ctx<'_>, req: &Req<'_>) -> Reply {
    let body: Value = serde_json::from_slice(req.body).unwrap_or(Value::Null);
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let (Some(org_name), Some(cs_name), Some(token)) = (
        field("organization_name"),
        field("cloudspace_name"),
        field("refresh_token"),
    ) else {
        return oauth_error(
            400,
            "bad_request",
            "Missing or invalid organization_name, cloudspace_name or refresh_token.",
        );
    };
    let org = Some(token.as_str())
        .filter(|t| !store.revoked.contains(*t))
        .and_then(|t| ctx.seed.org_by_token(t));
    let Some(org) = org else {
        return oauth_error(401, "access_denied", "Invalid or expired refresh token.");
    };
    if org.name != org_name {
        return oauth_error(
            401,
            "access_denied",
            "The refresh token does not belong to this organization.",
        );
    }
    let ns = namespace_for(&org.id);
    let Some(cs) = store.get(Kind::CloudSpace, &ns, &cs_name) else {
        return reply::not_found("cloudspaces", &cs_name);
    };
    let Some(endpoint) = cs
        .pointer("/status/APIServerEndpoint")
        .and_then(Value::as_str)
        .filter(|e| !e.is_empty())
    else {
        return reply::status(
            409,
            "Conflict",
            &format!("cloudspace \"{cs_name}\" is not ready yet: it has no API server endpoint"),
            Some(json!({"name": cs_name, "group": "ngpc.rxt.io", "kind": "cloudspaces"})),
        );
    };
    let ctx_name = format!("{}-{cs_name}", org.name);
    let yaml = format!(
        "apiVersion: v1\nclusters:\n- cluster:\n    insecure-skip-tls-verify: true\n    server: https://{endpoint}\n  name: {cs_name}\ncontexts:\n- context:\n    cluster: {cs_name}\n    namespace: default\n    user: ngpc-user\n  name: {ctx_name}\n- context:\n    cluster: {cs_name}\n    namespace: default\n    user: oidc\n  name: {ctx_name}-oidc\ncurrent-context: {ctx_name}\nkind: Config\npreferences: {{}}\nusers:\n- name: ngpc-user\n  user:\n    token: {token}\n- name: oidc\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: kubectl\n      args:\n        - oidc-login\n        - get-token\n        - --oidc-issuer-url={base}/\n        - --oidc-client-id={CLIENT_ID}\n        - --oidc-extra-scope=openid\n        - --oidc-extra-scope=profile\n        - --oidc-extra-scope=email\n        - --oidc-auth-request-extra-params=organization={org_id}\n        - --token-cache-dir=~/.kube/cache/oidc-login/{org_id}\n      provideClusterInfo: false\n      interactiveMode: IfAvailable\n",
        token = mint_for(ctx, org),
        base = ctx.base_url,
        org_id = org.id,
    );
    Reply::json(
        200,
        &json!({"data": {"kubeconfig": yaml}, "message": "kubeconfig generated successfully",
            "status_code": 200}),
    )
}

// ----- public pricing documents ------------------------------------------------------------

fn s<'a>(doc: &'a Value, ptr: &str) -> &'a str {
    doc.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn percentiles(store: &Store, ctx: &Ctx<'_>) -> Reply {
    let mut regions = Map::new();
    for region in store.regions() {
        let rname = s(region, "/metadata/name");
        let mut classes = Map::new();
        for c in store
            .classes()
            .iter()
            .filter(|c| s(c, "/spec/region") == rname)
        {
            let name = s(c, "/metadata/name");
            let mut prices: Vec<f64> = ctx
                .seed
                .price_history
                .get(name)
                .map(|h| h.iter().map(|(_, p)| *p).collect())
                .unwrap_or_default();
            prices.sort_by(f64::total_cmp);
            let market = s(c, "/status/spotPricing/marketPricePerHour")
                .parse::<f64>()
                .map(|m| format!("{m:.6}"))
                .unwrap_or_default();
            classes.insert(
                name.to_string(),
                json!({
                    "20_percentile": percentile(&prices, 20.0),
                    "50_percentile": percentile(&prices, 50.0),
                    "80_percentile": percentile(&prices, 80.0),
                    "market_price": market,
                    "cpu": s(c, "/spec/resources/cpu"),
                    "memory": s(c, "/spec/resources/memory"),
                    "display_name": s(c, "/spec/displayName"),
                    "category": s(c, "/spec/category"),
                    "description": s(region, "/spec/description"),
                }),
            );
        }
        let generation = match s(region, "/spec/generation") {
            "" => "v1",
            g => g,
        };
        regions.insert(
            rname.to_string(),
            json!({"generation": generation, "serverclasses": classes}),
        );
    }
    Reply::json(200, &json!({"regions": regions}))
}

/// Illustrative hyperscaler equivalents by category and size.
fn comparables(category: &str, cpu: &str) -> [(&'static str, String, f64); 3] {
    let size = match cpu {
        "2" => ("large", "2", "medium"),
        "4" => ("xlarge", "4", "standard-4"),
        "8" => ("2xlarge", "8", "standard-8"),
        "16" => ("4xlarge", "16", "standard-16"),
        _ => ("8xlarge", "32", "standard-32"),
    };
    let (aws, azure, gcp) = match category {
        "Compute Heavy" => ("c5", "Standard_F{}s_v2", "c2"),
        "Memory Heavy" => ("r5", "Standard_E{}s_v5", "n2-highmem"),
        "GPU" => ("g5", "Standard_NV{}ads_A10_v5", "g2"),
        "Bare Metal" => ("m5.metal", "Standard_D{}s_v5", "n2-standard"),
        _ => ("m5", "Standard_D{}s_v5", "n2"),
    };
    [
        ("aws", format!("{aws}.{}", size.0), 1.04),
        ("azure", azure.replace("{}", size.1), 0.97),
        ("gcp", format!("{gcp}-{}", size.2), 0.99),
    ]
}

fn comparable_prices(store: &Store) -> Reply {
    let mut regions = Map::new();
    for region in store.regions() {
        let rname = s(region, "/metadata/name");
        let mut classes = Map::new();
        for c in store
            .classes()
            .iter()
            .filter(|c| s(c, "/spec/region") == rname)
        {
            let Ok(avg) = s(c, "/spec/onDemandPricing/cost").parse::<f64>() else {
                continue;
            };
            let comps: Vec<Value> = comparables(s(c, "/spec/category"), s(c, "/spec/resources/cpu"))
                .into_iter()
                .map(|(cloud, class, f)| {
                    json!({"cloud": cloud, "class": class, "price": format!("${:.3}", avg * f)})
                })
                .collect();
            classes.insert(
                s(c, "/metadata/name").to_string(),
                json!({"hyperscaler_average_price": format!("${avg:.3}"), "comparables": comps}),
            );
        }
        regions.insert(rname.to_string(), Value::Object(classes));
    }
    Reply::json(200, &json!({"regions": regions}))
}

fn history(ctx: &Ctx<'_>, class: &str) -> Reply {
    match ctx.seed.price_history.get(class) {
        Some(points) => {
            let history: Vec<Value> = points
                .iter()
                .map(|(t, p)| json!({"run_at": t, "hammer_price": p}))
                .collect();
            Reply::json(200, &json!({"auction": class, "history": history}))
        }
        None => Reply::xml(
            404,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>history/{class}</Key><RequestId>EMULATOR</RequestId></Error>"
            ),
        ),
    }
}
