//! The operation table (`ops.rs` of the bindings): per operation its host, auth, idempotency,
//! cache class and [`Action`], read from the normalised spec.

use serde_json::Value;

use crate::action::{self, Action};
use crate::spec::{BANNER, CACHE_CLASS, MARK, METHODS};

/// Where an operation is served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKind {
    /// `spot.rackspace.com`: the Kubernetes-style resource API.
    Api,
    /// `login.spot.rackspace.com`: the OAuth token endpoint.
    Auth,
    /// The public S3 bucket with pricing documents.
    PublicData,
}

impl HostKind {
    fn as_variant(self) -> &'static str {
        match self {
            HostKind::Api => "Api",
            HostKind::Auth => "Auth",
            HostKind::PublicData => "PublicData",
        }
    }
}

/// One row of the operation table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpRow {
    /// The generated method name, which progenitor passes to the hooks as the operation id.
    pub id: String,
    /// The (normalised) operation id in the effective spec.
    pub spec_id: String,
    /// The upstream operation id (`None` where upstream has none).
    pub upstream_id: Option<String>,
    /// HTTP method, upper case.
    pub method: String,
    /// Path template.
    pub path: String,
    /// Host the operation is served from.
    pub host: HostKind,
    /// Whether the operation needs the bearer token.
    pub authenticated: bool,
    /// Whether replaying the request is safe.
    pub idempotent: bool,
    /// What the operation does (list, get, create, ...), from its method and path template.
    pub action: Action,
    /// Cache class (resource family) for GETs; empty for writes.
    pub cache_class: String,
    /// Whether the operation comes from the contract supplement rather than upstream's spec.
    pub supplement: bool,
}

/// Builds the operation table from the normalised spec.
pub fn operations(spec: &Value) -> Result<Vec<OpRow>, String> {
    let mut rows = Vec::new();
    let paths = spec
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("spec has no paths")?;
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .ok_or_else(|| format!("{method} {path} has no operationId"))?
                .to_string();
            let server = op
                .pointer("/servers/0/url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let host = if server.contains("login.") {
                HostKind::Auth
            } else if server.contains("public-data") {
                HostKind::PublicData
            } else if server.is_empty() || server.contains("spot.rackspace.com") {
                HostKind::Api
            } else {
                return Err(format!("{id}: unknown server {server}"));
            };
            // `security: [{}]` marks an operation as unauthenticated.
            let authenticated = match op.get("security").and_then(Value::as_array) {
                Some(reqs) => reqs
                    .iter()
                    .any(|r| r.as_object().is_some_and(|o| !o.is_empty())),
                None => true,
            };
            let method_uc = method.to_ascii_uppercase();
            let idempotent = matches!(
                method_uc.as_str(),
                "GET" | "HEAD" | "PUT" | "DELETE" | "PATCH"
            ) || action::POSTS_WITHOUT_SIDE_EFFECTS.contains(&id.as_str());
            let action = action::action(&id, &method_uc, path, op)?;
            // The supplement names its class where the path alone would split one family.
            let cache_class = match (method_uc.as_str(), op.get(CACHE_CLASS)) {
                ("GET", Some(Value::String(class))) => class.clone(),
                ("GET", _) => cache_class(path),
                _ => String::new(),
            };
            rows.push(OpRow {
                spec_id: id.clone(),
                id: snake_case(&id),
                upstream_id: op
                    .get("x-upstream-operation-id")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                method: method_uc,
                path: path.clone(),
                host,
                authenticated,
                idempotent,
                action,
                cache_class,
                supplement: op.get(MARK).is_some(),
            });
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(rows)
}

/// progenitor's method names: `listOnDemandNodePools` → `list_on_demand_node_pools`.
pub fn snake_case(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if prev_lower || (prev_upper && next_lower) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c == '-' {
            out.push('_');
        } else {
            out.push(c);
        }
    }
    out
}

fn cache_class(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["history", ..] | ["percentiles.json"] | ["comparable_prices.json"] => "pricing".into(),
        [_, _, _, "organizations"] => "organizations".into(),
        [_, _, _, "namespaces", _, plural, ..] => (*plural).into(),
        [_, _, _, plural, ..] => (*plural).into(),
        _ => "other".into(),
    }
}

/// Renders the operation table module.
pub fn render_ops(rows: &[OpRow]) -> String {
    let mut out = String::from(BANNER);
    out.push_str("/// Every operation of the vendored spec and the contract supplement: where it is served and how it\n/// may be replayed.\n");
    out.push_str("pub const OPERATIONS: &[Operation] = &[\n");
    for r in rows {
        out.push_str(&format!(
            "    Operation {{ id: {:?}, spec_id: {:?}, upstream_id: {:?}, method: {:?}, path: {:?}, host: HostKind::{}, authenticated: {}, idempotent: {}, action: Action::{}, cache_class: {:?}, supplement: {} }},\n",
            r.id,
            r.spec_id,
            r.upstream_id,
            r.method,
            r.path,
            r.host.as_variant(),
            r.authenticated,
            r.idempotent,
            r.action.as_variant(),
            r.cache_class,
            r.supplement
        ));
    }
    out.push_str("];\n");
    out
}
