//! The model's real field types, declared once: which fields every object the service returns
//! has (so they are not `Option`), which are counts (`u32`), bids (`rsspot::Bid`) and money
//! (`rsspot::Decimal`), and which objects keep the keys the contract does not name (a flattened
//! `extra` map, so a server that adds a field loses nothing).
//!
//! Applied to the effective spec (upstream plus the contract supplement), so the kinds the
//! supplement adds get the same treatment.

use serde_json::{Map, Value, json};

use crate::spec::{Fix, fail};

const FIX: &str = "model types";

/// The kinds: `metadata` and `spec` are always present, and the object, its spec and its status
/// keep unknown keys.
pub const KINDS: [&str; 7] = [
    "CloudSpace",
    "SpotNodePool",
    "OnDemandNodePool",
    "AutopilotNodePool",
    "VmSshKey",
    "Region",
    "ServerClass",
];

/// Spec fields every object of a kind has (the service refuses a create without them), so they
/// are not `Option`.
pub const REQUIRED: &[(&str, &[&str])] = &[
    ("SpotNodePool", &["cloudSpace", "serverClass"]),
    ("OnDemandNodePool", &["cloudSpace", "serverClass"]),
    ("AutopilotNodePool", &["cloudSpace"]),
    ("CloudSpace", &["region"]),
];

/// The types that keep unknown keys: the generator gives them no `Default`, which they all
/// have (every field is optional or defaulted, the `extra` map empty); `defaults.rs` adds it.
pub fn defaulted_types(spec: &Value) -> Vec<String> {
    let mut out = vec!["ObjectMeta".to_string()];
    for kind in KINDS {
        out.extend([kind.to_string(), format!("{kind}Spec")]);
        // Regions have no status.
        let status = format!("/components/schemas/{kind}/properties/status");
        if spec.pointer(&status).is_some() {
            out.push(format!("{kind}Status"));
        }
    }
    out
}

/// What a field holds, and the schema that makes the generator give it that Rust type.
#[derive(Clone, Copy, Debug)]
pub enum FieldType {
    /// A count of nodes, servers or vCPUs: `u32`.
    Count,
    /// A bid in USD per node-hour: `rsspot::Bid`.
    Bid,
    /// An amount of money: `rsspot::Decimal`.
    Money,
    /// A status string with a known vocabulary: the enum of that name in `rsspot::types`
    /// (which keeps values it does not know).
    State(&'static str),
}

/// The schema of a [`FieldType`] (the formats below are ours; the conversions in `render.rs` map
/// the bid and money formats to their Rust types).
pub fn schema(t: FieldType) -> Value {
    match t {
        FieldType::Count => json!({"type": "integer", "format": "uint32", "minimum": 0}),
        FieldType::Bid => json!({"type": "string", "format": BID_FORMAT}),
        FieldType::Money => json!({"type": "string", "format": MONEY_FORMAT}),
        FieldType::State(name) => json!({"type": "string", "format": state_format(name)}),
    }
}

/// The format marking a status of the enum `name`.
pub fn state_format(name: &str) -> String {
    format!("rsspot-state-{name}")
}

/// The status enums the fields below use (each once).
pub fn states() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for (_, _, t) in FIELDS {
        if let FieldType::State(name) = t
            && !out.contains(name)
        {
            out.push(name);
        }
    }
    out
}

/// The format marking a bid.
pub const BID_FORMAT: &str = "rsspot-bid";
/// The format marking money.
pub const MONEY_FORMAT: &str = "rsspot-money";

/// Typed fields: the schema (under `components.schemas`), the path of properties to the field,
/// and its type. Array items are reached with `[]`.
pub const FIELDS: &[(&str, &str, FieldType)] = &[
    ("SpotNodePool", "spec.bidPrice", FieldType::Bid),
    ("SpotNodePool", "spec.desired", FieldType::Count),
    (
        "SpotNodePool",
        "spec.autoscaling.minNodes",
        FieldType::Count,
    ),
    (
        "SpotNodePool",
        "spec.autoscaling.maxNodes",
        FieldType::Count,
    ),
    ("SpotNodePool", "status.wonCount", FieldType::Count),
    (
        "SpotNodePool",
        "status.bidStatus",
        FieldType::State("BidStatus"),
    ),
    (
        "OnDemandNodePool",
        "status.reservedStatus",
        FieldType::State("BidStatus"),
    ),
    (
        "CloudSpace",
        "status.phase",
        FieldType::State("CloudSpacePhase"),
    ),
    ("CloudSpace", "status.health", FieldType::State("Health")),
    ("OnDemandNodePool", "spec.desired", FieldType::Count),
    (
        "OnDemandNodePool",
        "spec.autoscaling.minNodes",
        FieldType::Count,
    ),
    (
        "OnDemandNodePool",
        "spec.autoscaling.maxNodes",
        FieldType::Count,
    ),
    ("OnDemandNodePool", "status.reservedCount", FieldType::Count),
    ("CloudSpace", "spec.servers[].count", FieldType::Count),
    ("AutopilotNodePool", "spec.budgetPerHour", FieldType::Money),
    ("AutopilotNodePool", "spec.vcpu.total", FieldType::Count),
    (
        "AutopilotNodePool",
        "spec.vcpuPerNode.min",
        FieldType::Count,
    ),
    (
        "AutopilotNodePool",
        "spec.vcpuPerNode.max",
        FieldType::Count,
    ),
    ("AutopilotNodePool", "status.managedVCPUs", FieldType::Count),
    ("AutopilotNodePool", "status.targetVCPUs", FieldType::Count),
    (
        "AutopilotNodePool",
        "status.allocations[].desiredNodes",
        FieldType::Count,
    ),
    (
        "AutopilotNodePool",
        "status.allocations[].wonNodes",
        FieldType::Count,
    ),
    (
        "AutopilotNodePool",
        "status.allocations[].vcpuPerNode",
        FieldType::Count,
    ),
    (
        "AutopilotNodePool",
        "status.allocations[].bidPricePerHour",
        FieldType::Money,
    ),
    (
        "AutopilotNodePool",
        "status.allocations[].marketPricePerHour",
        FieldType::Money,
    ),
    ("ServerClass", "spec.onDemandPricing.cost", FieldType::Money),
    ("ServerClass", "spec.minBidPricePerHour", FieldType::Money),
    ("ServerClass", "status.available", FieldType::Count),
    ("ServerClass", "status.capacity", FieldType::Count),
    ("ServerClass", "status.reserved", FieldType::Count),
    ("ServerClass", "status.lastAuction", FieldType::Count),
    (
        "ServerClass",
        "status.spotPricing.hammerPricePerHour",
        FieldType::Money,
    ),
    (
        "ServerClass",
        "status.spotPricing.marketPricePerHour",
        FieldType::Money,
    ),
];

fn object<'a>(v: &'a mut Value, at: &str) -> Result<&'a mut Map<String, Value>, String> {
    v.as_object_mut()
        .ok_or_else(|| fail(FIX, format!("{at} is not an object schema")))
}

/// The schema at `path` (dot-separated properties, `[]` for array items) below `root`.
fn field<'a>(root: &'a mut Value, kind: &str, path: &str) -> Result<&'a mut Value, String> {
    let mut at = root;
    for part in path.split('.') {
        let (name, items) = match part.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (part, false),
        };
        at = at
            .get_mut("properties")
            .and_then(|p| p.get_mut(name))
            .ok_or_else(|| fail(FIX, format!("{kind}.{path}: `{name}` is gone")))?;
        if items {
            at = at
                .get_mut("items")
                .ok_or_else(|| fail(FIX, format!("{kind}.{path}: `{name}` is not an array")))?;
        }
    }
    Ok(at)
}

fn require(schema: &mut Value, at: &str, names: &[&str]) -> Fix {
    let o = object(schema, at)?;
    let required = o
        .entry("required")
        .or_insert_with(|| Value::Array(Vec::new()));
    let list = required
        .as_array_mut()
        .ok_or_else(|| fail(FIX, format!("{at}.required is not a list")))?;
    for n in names {
        if !list.iter().any(|v| v == n) {
            list.push(json!(n));
        }
    }
    Ok(())
}

/// Keeps unknown keys of an object schema in a flattened `extra` map (`additionalProperties: {}`
/// is what makes the generator emit one; `true` or no entry drops them).
fn keep_unknown(schema: &mut Value, at: &str) -> Fix {
    object(schema, at)?.insert("additionalProperties".into(), json!({}));
    Ok(())
}

/// Applies the declarations above to the effective spec.
pub fn apply(spec: &mut Value) -> Fix {
    let schemas = spec
        .pointer_mut("/components/schemas")
        .ok_or_else(|| fail(FIX, "no components.schemas"))?;
    for kind in KINDS {
        let k = schemas
            .get_mut(kind)
            .ok_or_else(|| fail(FIX, format!("schema {kind} is gone")))?;
        require(k, kind, &["metadata", "spec"])?;
        keep_unknown(k, kind)?;
        keep_unknown(field(k, kind, "spec")?, &format!("{kind}.spec"))?;
        // Regions have no status.
        if k.pointer("/properties/status").is_some() {
            keep_unknown(field(k, kind, "status")?, &format!("{kind}.status"))?;
        }
    }
    for (kind, names) in REQUIRED {
        let k = schemas
            .get_mut(*kind)
            .ok_or_else(|| fail(FIX, format!("schema {kind} is gone")))?;
        require(field(k, kind, "spec")?, &format!("{kind}.spec"), names)?;
    }
    let meta = schemas
        .get_mut("ObjectMeta")
        .ok_or_else(|| fail(FIX, "schema ObjectMeta is gone"))?;
    require(meta, "ObjectMeta", &["name"])?;
    for (kind, path, t) in FIELDS {
        let k = schemas
            .get_mut(*kind)
            .ok_or_else(|| fail(FIX, format!("schema {kind} is gone")))?;
        let f = field(k, kind, path)?;
        let was = f.get("type").and_then(Value::as_str).unwrap_or_default();
        let want = match t {
            FieldType::Count => "integer",
            FieldType::Bid | FieldType::Money | FieldType::State(_) => "string",
        };
        if was != want {
            return Err(fail(
                FIX,
                format!("{kind}.{path} is `{was}` in the spec, not `{want}`"),
            ));
        }
        let description = f.get("description").cloned();
        *f = schema(*t);
        if let Some(d) = description {
            f.as_object_mut().map(|o| o.insert("description".into(), d));
        }
    }
    Ok(())
}
