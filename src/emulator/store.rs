//! The emulator's object store: namespaced documents, server-side defaulting and validation,
//! resource versions, and the lifecycle (Provisioning → Ready, Pending → Fulfilled, Deleting),
//! evaluated lazily against the simulated clock.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::Lifecycle;
use super::reply::{self, Cause, Reply};
use super::seed::{Seed, namespace_for};
use crate::pricing::rules::{self, BidViolation};

/// The label linking a node pool to its cloudspace.
pub(crate) const CLOUDSPACE_LABEL: &str = "ngpc.rxt.io/cloudspace";

/// RFC 3339 with whole seconds, as the API prints timestamps.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A UUID (v4 layout) derived from `key`, for stable ids in seeds and generated servers.
pub(crate) fn stable_uuid(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The namespaced kinds the emulator stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    CloudSpace,
    SpotNodePool,
    OnDemandNodePool,
    VmCloudSpace,
    VmPool,
}

impl Kind {
    pub(crate) const ALL: [Kind; 5] = [
        Kind::CloudSpace,
        Kind::SpotNodePool,
        Kind::OnDemandNodePool,
        Kind::VmCloudSpace,
        Kind::VmPool,
    ];

    pub(crate) fn plural(self) -> &'static str {
        match self {
            Kind::CloudSpace => "cloudspaces",
            Kind::SpotNodePool => "spotnodepools",
            Kind::OnDemandNodePool => "ondemandnodepools",
            Kind::VmCloudSpace => "vmcloudspaces",
            Kind::VmPool => "vmpools",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::CloudSpace => "CloudSpace",
            Kind::SpotNodePool => "SpotNodePool",
            Kind::OnDemandNodePool => "OnDemandNodePool",
            Kind::VmCloudSpace => "VMCloudSpace",
            Kind::VmPool => "VMPool",
        }
    }

    pub(crate) fn from_plural(p: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.plural() == p)
    }

    /// Whether clients may write this kind (the VM kinds are a read-only inventory).
    pub(crate) fn writable(self) -> bool {
        matches!(
            self,
            Kind::CloudSpace | Kind::SpotNodePool | Kind::OnDemandNodePool
        )
    }

    fn is_pool(self) -> bool {
        matches!(self, Kind::SpotNodePool | Kind::OnDemandNodePool)
    }
}

type Key = (Kind, String, String);

/// A stored object and the lifecycle bookkeeping that is not part of its document.
#[derive(Debug, Clone)]
struct Obj {
    doc: Value,
    created: DateTime<Utc>,
    ready_at: Option<DateTime<Utc>>,
    upgrade_due: Option<DateTime<Utc>>,
    delete_due: Option<DateTime<Utc>>,
}

/// One label-selector requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Requirement {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    NotExists(String),
}

/// Parses `a=b,c!=d,e,!f` (also `==`).
pub(crate) fn parse_selector(s: &str) -> Result<Vec<Requirement>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if let Some((k, v)) = p.split_once("!=") {
                Ok(Requirement::Ne(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = p.split_once("==").or_else(|| p.split_once('=')) {
                Ok(Requirement::Eq(k.trim().into(), v.trim().into()))
            } else if let Some(k) = p.strip_prefix('!') {
                Ok(Requirement::NotExists(k.trim().into()))
            } else if p.contains(' ') {
                Err(format!("unable to parse requirement: {p:?}"))
            } else {
                Ok(Requirement::Exists(p.into()))
            }
        })
        .collect()
}

/// Whether a document's labels satisfy every requirement.
pub(crate) fn matches(doc: &Value, reqs: &[Requirement]) -> bool {
    let label = |k: &str| {
        doc.pointer("/metadata/labels")
            .and_then(|l| l.get(k)?.as_str())
    };
    reqs.iter().all(|r| match r {
        Requirement::Eq(k, v) => label(k) == Some(v.as_str()),
        Requirement::Ne(k, v) => label(k) != Some(v.as_str()),
        Requirement::Exists(k) => label(k).is_some(),
        Requirement::NotExists(k) => label(k).is_none(),
    })
}

fn is_rfc1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_lowercase_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

/// Removes keys whose value is `null` (CRD pruning of non-nullable fields).
fn strip_nulls(v: &mut Value) {
    if let Value::Object(map) = v {
        map.retain(|_, x| !x.is_null());
        for x in map.values_mut() {
            strip_nulls(x);
        }
    }
}

fn str_at<'a>(doc: &'a Value, ptr: &str) -> Option<&'a str> {
    doc.pointer(ptr).and_then(Value::as_str)
}

fn obj_mut<'a>(doc: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    let Value::Object(map) = doc else {
        unreachable!("just made an object")
    };
    let entry = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    match entry {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

const CNIS: [&str; 3] = ["calico", "cilium", "byocni"];
const DEPLOYMENT_TYPES: [&str; 2] = ["gen1", "gen2"];

/// The mutable world of a running emulator.
#[derive(Debug)]
pub(crate) struct Store {
    rv: u64,
    objects: BTreeMap<Key, Obj>,
    events: BTreeMap<String, Vec<(String, String)>>,
    regions: Vec<Value>,
    classes: Vec<Value>,
    lifecycle: Lifecycle,
    enforce_ladder: bool,
    pub(crate) revoked: BTreeSet<String>,
}

impl Store {
    pub(crate) fn new(
        seed: &Seed,
        lifecycle: Lifecycle,
        enforce_ladder: bool,
        now: DateTime<Utc>,
    ) -> Store {
        let mut store = Store {
            rv: 48_213_000,
            objects: BTreeMap::new(),
            events: BTreeMap::new(),
            regions: seed.regions.clone(),
            classes: seed.server_classes.clone(),
            lifecycle,
            enforce_ladder,
            revoked: BTreeSet::new(),
        };
        for (org_name, inv) in &seed.vm_inventory {
            let Some(org) = seed.orgs.iter().find(|o| &o.name == org_name) else {
                continue;
            };
            let ns = namespace_for(&org.id);
            for (kind, docs) in [
                (Kind::VmCloudSpace, &inv.vmcloudspaces),
                (Kind::VmPool, &inv.vmpools),
            ] {
                for doc in docs {
                    let Some(name) = str_at(doc, "/metadata/name").map(String::from) else {
                        continue;
                    };
                    let mut doc = doc.clone();
                    obj_mut(&mut doc, "metadata").insert("namespace".into(), json!(ns));
                    store.objects.insert(
                        (kind, ns.clone(), name),
                        Obj {
                            doc,
                            created: now,
                            ready_at: None,
                            upgrade_due: None,
                            delete_due: None,
                        },
                    );
                }
            }
            store.events.insert(ns, inv.events.clone());
        }
        store
    }

    fn next_rv(&mut self) -> String {
        self.rv += 1;
        self.rv.to_string()
    }

    /// The current global resource version.
    pub(crate) fn resource_version(&self) -> String {
        self.rv.to_string()
    }

    pub(crate) fn regions(&self) -> &[Value] {
        &self.regions
    }

    pub(crate) fn classes(&self) -> &[Value] {
        &self.classes
    }

    /// Sets a class's market (and hammer) price; false when the class does not exist.
    pub(crate) fn set_market_price(&mut self, class: &str, price: &str) -> bool {
        let Some(c) = self
            .classes
            .iter_mut()
            .find(|c| str_at(c, "/metadata/name") == Some(class))
        else {
            return false;
        };
        let pricing = obj_mut(c, "status")
            .entry("spotPricing")
            .or_insert_with(|| json!({}));
        if let Some(sp) = pricing.as_object_mut() {
            sp.insert("marketPricePerHour".into(), json!(price));
            sp.insert("hammerPricePerHour".into(), json!(price));
        }
        self.rv += 1;
        true
    }

    fn class(&self, name: &str) -> Option<&Value> {
        self.classes
            .iter()
            .find(|c| str_at(c, "/metadata/name") == Some(name))
    }

    fn event(&mut self, ns: &str, at: DateTime<Utc>, text: String) {
        self.events
            .entry(ns.to_string())
            .or_default()
            .push((ts(at), text));
    }

    /// Events of a namespace, newest first, at most `limit`.
    pub(crate) fn events(&self, ns: &str, limit: usize) -> Vec<(String, String)> {
        self.events
            .get(ns)
            .map(|e| e.iter().rev().take(limit).cloned().collect())
            .unwrap_or_default()
    }

    /// Replaces an object's document, bumping its resourceVersion when anything changed.
    fn commit(&mut self, key: &Key, mut doc: Value) {
        let Some(old) = self.objects.get(key).map(|o| o.doc.clone()) else {
            return;
        };
        if old == doc {
            return;
        }
        let rv = self.next_rv();
        obj_mut(&mut doc, "metadata").insert("resourceVersion".into(), json!(rv));
        if let Some(o) = self.objects.get_mut(key) {
            o.doc = doc;
        }
    }

    // ----- reads -------------------------------------------------------------------------

    /// Documents of a kind in a namespace that match the selector.
    pub(crate) fn list(&self, kind: Kind, ns: &str, sel: &[Requirement]) -> Vec<Value> {
        self.objects
            .iter()
            .filter(|((k, n, _), o)| *k == kind && n == ns && matches(&o.doc, sel))
            .map(|(_, o)| o.doc.clone())
            .collect()
    }

    pub(crate) fn get(&self, kind: Kind, ns: &str, name: &str) -> Option<&Value> {
        self.objects
            .get(&(kind, ns.to_string(), name.to_string()))
            .map(|o| &o.doc)
    }

    /// Everything namespaced: `{namespace: {plural: {name: doc}}}`.
    pub(crate) fn snapshot(&self) -> Value {
        let mut out = Map::new();
        for ((kind, ns, name), o) in &self.objects {
            let ns_map = out
                .entry(ns.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            obj_mut(ns_map, kind.plural()).insert(name.clone(), o.doc.clone());
        }
        Value::Object(out)
    }

    // ----- writes ------------------------------------------------------------------------

    /// Creates an object from a request body.
    pub(crate) fn create(
        &mut self,
        kind: Kind,
        ns: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, Reply> {
        let Value::Object(mut body) = body else {
            return Err(reply::bad_request("the request body must be a JSON object"));
        };
        if let Some(k) = body.get("kind").and_then(Value::as_str)
            && k != kind.name()
        {
            return Err(reply::bad_request(&format!(
                "the kind in the body ({k}) does not match the resource ({})",
                kind.name()
            )));
        }
        let mut meta = match body.remove("metadata") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(body_ns) = meta.get("namespace").and_then(Value::as_str)
            && body_ns != ns
        {
            return Err(reply::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        let name = match meta.get("name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => {
                return Err(reply::invalid(
                    kind.name(),
                    "",
                    &[Cause {
                        reason: "FieldValueRequired",
                        field: "metadata.name".into(),
                        message: "Required value: name or generateName is required".into(),
                    }],
                ));
            }
        };
        let key = (kind, ns.to_string(), name.clone());
        if self.objects.contains_key(&key) {
            return Err(reply::already_exists(kind.plural(), &name));
        }
        let mut spec = body.remove("spec").unwrap_or_else(|| json!({}));
        strip_nulls(&mut spec);
        if !spec.is_object() {
            return Err(reply::invalid(
                kind.name(),
                &name,
                &[Cause::invalid("spec", &spec, "must be of type object")],
            ));
        }
        // Server-set metadata: whatever the client sent is replaced.
        for k in [
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "selfLink",
            "managedFields",
        ] {
            meta.remove(k);
        }
        meta.insert("name".into(), json!(name));
        meta.insert("namespace".into(), json!(ns));
        meta.insert("uid".into(), json!(uuid::Uuid::new_v4().to_string()));
        meta.insert("generation".into(), json!(1));
        meta.insert("creationTimestamp".into(), json!(ts(now)));
        let mut doc = json!({"apiVersion": "ngpc.rxt.io/v1", "kind": kind.name(),
            "metadata": meta, "spec": spec});
        self.default_and_label(kind, &mut doc);

        let mut causes = Vec::new();
        if kind == Kind::CloudSpace && !is_rfc1123_label(&name) {
            causes.push(Cause::invalid(
                "metadata.name",
                &json!(name),
                "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or \
                 '-', and must start and end with an alphanumeric character (e.g. 'my-name', or \
                 '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            ));
        }
        if kind.is_pool() && !is_lowercase_uuid(&name) {
            causes.push(Cause::invalid(
                "metadata.name",
                &json!(name),
                "node pool names must be lowercase UUIDs (e.g. '0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c')",
            ));
        }
        causes.extend(self.validate(kind, ns, &name, &doc, None));
        if !causes.is_empty() {
            return Err(reply::invalid(kind.name(), &name, &causes));
        }

        if kind == Kind::CloudSpace {
            doc["status"] = json!({"phase": "Provisioning", "health": "",
                "reason": "waiting for control plane"});
        }
        let rv = self.next_rv();
        obj_mut(&mut doc, "metadata").insert("resourceVersion".into(), json!(rv));
        self.objects.insert(
            key,
            Obj {
                doc: doc.clone(),
                created: now,
                ready_at: None,
                upgrade_due: None,
                delete_due: None,
            },
        );
        self.event(ns, now, format!("{} {name} created", kind.name()));
        if kind.is_pool() {
            if let Some(cs) = str_at(&doc, "/spec/cloudSpace").map(String::from) {
                self.sync_cloudspace(ns, &cs);
            }
            // The stored doc may have been touched by the sync only for cloudspaces; pools are as-is.
        } else if kind == Kind::CloudSpace {
            self.sync_cloudspace(ns, &name);
            if let Some(d) = self.get(kind, ns, &name) {
                doc = d.clone();
            }
        }
        Ok(doc)
    }

    /// Applies defaults and the server-maintained cloudspace label.
    fn default_and_label(&self, kind: Kind, doc: &mut Value) {
        match kind {
            Kind::CloudSpace => {
                let spec = obj_mut(doc, "spec");
                for (k, v) in [
                    ("cni", json!("calico")),
                    ("cloud", json!("default")),
                    ("HAControlPlane", json!(false)),
                    ("deploymentType", json!("gen2")),
                ] {
                    spec.entry(k).or_insert(v);
                }
            }
            Kind::SpotNodePool | Kind::OnDemandNodePool => {
                if let Some(cs) = str_at(doc, "/spec/cloudSpace").map(String::from) {
                    let meta = obj_mut(doc, "metadata");
                    let labels = meta
                        .entry("labels")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(l) = labels {
                        l.insert(CLOUDSPACE_LABEL.into(), json!(cs));
                    } else {
                        *labels = json!({CLOUDSPACE_LABEL: cs});
                    }
                }
            }
            Kind::VmCloudSpace | Kind::VmPool => {}
        }
    }

    /// Schema, reference and immutability checks of a (new or updated) object.
    fn validate(
        &self,
        kind: Kind,
        ns: &str,
        name: &str,
        doc: &Value,
        old: Option<&Value>,
    ) -> Vec<Cause> {
        let mut causes = Vec::new();
        let spec = doc.get("spec").cloned().unwrap_or_else(|| json!({}));
        let field = |f: &str| spec.get(f);
        let required_string = |f: &str, causes: &mut Vec<Cause>| -> Option<String> {
            match field(f) {
                None => {
                    causes.push(Cause::required(&format!("spec.{f}")));
                    None
                }
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(v) => {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        v,
                        "must be a non-empty string",
                    ));
                    None
                }
            }
        };
        let immutable = |f: &str, causes: &mut Vec<Cause>, msg: &str| {
            if let Some(old) = old {
                let before = old.pointer(&format!("/spec/{f}"));
                let after = spec.get(f);
                if before != after {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        after.unwrap_or(&Value::Null),
                        msg,
                    ));
                }
            }
        };
        match kind {
            Kind::CloudSpace => {
                if let Some(region) = required_string("region", &mut causes)
                    && !self
                        .regions
                        .iter()
                        .any(|r| str_at(r, "/metadata/name") == Some(region.as_str()))
                {
                    causes.push(Cause::invalid(
                        "spec.region",
                        &json!(region),
                        "region does not exist",
                    ));
                }
                required_string("kubernetesVersion", &mut causes);
                for (f, allowed) in [
                    ("cni", &CNIS[..]),
                    ("deploymentType", &DEPLOYMENT_TYPES[..]),
                ] {
                    if let Some(v) = field(f)
                        && !v.as_str().is_some_and(|s| allowed.contains(&s))
                    {
                        causes.push(Cause::not_supported(&format!("spec.{f}"), v, allowed));
                    }
                }
                if let Some(v) = field("HAControlPlane")
                    && !v.is_boolean()
                {
                    causes.push(Cause::invalid(
                        "spec.HAControlPlane",
                        v,
                        "must be of type boolean",
                    ));
                }
                immutable("region", &mut causes, "field is immutable");
                immutable(
                    "deploymentType",
                    &mut causes,
                    "update to the deploymentType not allowed",
                );
                immutable("cni", &mut causes, "field is immutable");
            }
            Kind::SpotNodePool | Kind::OnDemandNodePool => {
                let cs_name = required_string("cloudSpace", &mut causes);
                let class_name = required_string("serverClass", &mut causes);
                match field("desired") {
                    None => causes.push(Cause::required("spec.desired")),
                    Some(v) if v.as_i64().is_some_and(|n| n >= 0) => {}
                    Some(v) => causes.push(Cause::invalid(
                        "spec.desired",
                        v,
                        "must be a non-negative integer",
                    )),
                }
                let cs = cs_name
                    .as_deref()
                    .and_then(|c| self.get(Kind::CloudSpace, ns, c));
                if let Some(c) = &cs_name {
                    match cs {
                        None => causes.push(Cause::invalid(
                            "spec.cloudSpace",
                            &json!(c),
                            format!("cloudspace {c:?} does not exist in namespace {ns:?}"),
                        )),
                        Some(cs)
                            if old.is_none()
                                && cs.pointer("/metadata/deletionTimestamp").is_some() =>
                        {
                            causes.push(Cause::invalid(
                                "spec.cloudSpace",
                                &json!(c),
                                format!("cloudspace {c:?} is being deleted"),
                            ));
                        }
                        Some(_) => {}
                    }
                }
                let class = class_name.as_deref().and_then(|c| self.class(c));
                if let Some(c) = &class_name {
                    match class {
                        None => causes.push(Cause::invalid(
                            "spec.serverClass",
                            &json!(c),
                            format!("server class {c:?} does not exist"),
                        )),
                        Some(class) => {
                            let class_region = str_at(class, "/spec/region");
                            if let Some(cs) = cs
                                && str_at(cs, "/spec/region") != class_region
                            {
                                causes.push(Cause::invalid(
                                    "spec.serverClass",
                                    &json!(c),
                                    format!(
                                        "server class is in region {:?}, the cloudspace in {:?}",
                                        class_region.unwrap_or(""),
                                        str_at(cs, "/spec/region").unwrap_or("")
                                    ),
                                ));
                            }
                            if old.is_none()
                                && str_at(class, "/spec/availability")
                                    .is_some_and(|a| a != "available")
                            {
                                causes.push(Cause::invalid(
                                    "spec.serverClass",
                                    &json!(c),
                                    "server class is not available",
                                ));
                            }
                        }
                    }
                }
                if kind == Kind::SpotNodePool {
                    match field("bidPrice") {
                        None => causes.push(Cause::required("spec.bidPrice")),
                        Some(Value::String(bid)) => {
                            if let Some(c) = self.bid_cause(bid, class) {
                                causes.push(c);
                            }
                        }
                        Some(v) => causes.push(Cause::invalid(
                            "spec.bidPrice",
                            v,
                            "spec.bidPrice in body must be of type string",
                        )),
                    }
                }
                if let Some(a) = field("autoscaling") {
                    causes.extend(self.autoscaling_causes(kind, ns, name, a, cs_name.as_deref()));
                }
                immutable("cloudSpace", &mut causes, "field is immutable");
                immutable("serverClass", &mut causes, "field is immutable");
            }
            Kind::VmCloudSpace | Kind::VmPool => {}
        }
        causes
    }

    fn bid_cause(&self, bid: &str, class: Option<&Value>) -> Option<Cause> {
        let parse = |ptr: &str| {
            class
                .and_then(|c| str_at(c, ptr))
                .and_then(|s| s.trim_start_matches('$').parse::<Decimal>().ok())
        };
        let floor = rules::floor(
            parse("/status/spotPricing/marketPricePerHour"),
            parse("/spec/minBidPricePerHour"),
        );
        match rules::check_bid(bid, floor) {
            Ok(_) => None,
            Err(BidViolation::OffLadder { .. }) if !self.enforce_ladder => None,
            Err(BidViolation::Format) => Some(Cause::invalid(
                "spec.bidPrice",
                &json!(bid),
                "bidPrice can only be a positive number up to three decimal places",
            )),
            Err(v) => Some(Cause::invalid("spec.bidPrice", &json!(bid), v.message(bid))),
        }
    }

    fn autoscaling_causes(
        &self,
        kind: Kind,
        ns: &str,
        name: &str,
        a: &Value,
        cs: Option<&str>,
    ) -> Vec<Cause> {
        let mut causes = Vec::new();
        let Some(enabled) = a.get("enabled") else {
            causes.push(Cause::required("spec.autoscaling.enabled"));
            return causes;
        };
        if enabled != &Value::Bool(true) {
            return causes;
        }
        let min = a.get("minNodes").and_then(Value::as_i64).unwrap_or(0);
        let max = a.get("maxNodes").and_then(Value::as_i64).unwrap_or(0);
        if min < 1 {
            causes.push(Cause::invalid(
                "spec.autoscaling.minNodes",
                &json!(min),
                "should be greater than or equal to 1",
            ));
        }
        if max < min {
            causes.push(Cause::invalid(
                "spec.autoscaling.maxNodes",
                &json!(max),
                "must be greater than or equal to minNodes",
            ));
        }
        if kind == Kind::SpotNodePool
            && let Some(cs) = cs
        {
            let other = self.objects.iter().find(|((k, n, pool), o)| {
                *k == Kind::SpotNodePool
                    && n == ns
                    && pool != name
                    && str_at(&o.doc, "/spec/cloudSpace") == Some(cs)
                    && o.doc.pointer("/spec/autoscaling/enabled") == Some(&Value::Bool(true))
            });
            if let Some(((_, _, other), _)) = other {
                causes.push(Cause::invalid(
                    "spec.autoscaling.enabled",
                    &json!(true),
                    format!(
                        "cloudspace {cs:?} already has an autoscaling spot node pool ({other}); only one is allowed"
                    ),
                ));
            }
        }
        causes
    }

    /// Replaces an object with `candidate` (the result of a PUT or a PATCH).
    /// `require_rv`: PUT semantics (resourceVersion mandatory).
    pub(crate) fn update(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        candidate: Value,
        require_rv: bool,
        now: DateTime<Utc>,
    ) -> Result<Value, Reply> {
        let key = (kind, ns.to_string(), name.to_string());
        let Some(old) = self.objects.get(&key).map(|o| o.doc.clone()) else {
            return Err(reply::not_found(kind.plural(), name));
        };
        let Value::Object(mut cand) = candidate else {
            return Err(reply::bad_request("the request body must be a JSON object"));
        };
        let meta = match cand.remove("metadata") {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        if let Some(n) = meta.get("name").and_then(Value::as_str)
            && n != name
        {
            return Err(reply::bad_request(&format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        if let Some(n) = meta.get("namespace").and_then(Value::as_str)
            && n != ns
        {
            return Err(reply::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        match meta.get("resourceVersion") {
            None if require_rv => {
                return Err(reply::invalid(
                    kind.name(),
                    name,
                    &[Cause::invalid(
                        "metadata.resourceVersion",
                        &json!("0x0"),
                        "must be specified for an update",
                    )],
                ));
            }
            Some(rv) if Some(rv) != old.pointer("/metadata/resourceVersion") => {
                return Err(reply::conflict(kind.plural(), name));
            }
            _ => {}
        }
        let mut spec = cand.remove("spec").unwrap_or_else(|| json!({}));
        strip_nulls(&mut spec);
        // Start from the stored object so server-set metadata and status survive.
        let mut doc = old.clone();
        {
            let m = obj_mut(&mut doc, "metadata");
            for k in ["labels", "annotations", "finalizers"] {
                match meta.get(k) {
                    Some(v) => {
                        m.insert(k.into(), v.clone());
                    }
                    None => {
                        m.remove(k);
                    }
                }
            }
        }
        doc["spec"] = spec;
        if kind == Kind::CloudSpace {
            // Server-maintained lists are not the client's to set.
            for k in ["bidRequests", "onDemandRequests"] {
                match old.pointer(&format!("/spec/{k}")) {
                    Some(v) => {
                        obj_mut(&mut doc, "spec").insert(k.into(), v.clone());
                    }
                    None => {
                        obj_mut(&mut doc, "spec").remove(k);
                    }
                }
            }
        }
        self.default_and_label(kind, &mut doc);
        let causes = self.validate(kind, ns, name, &doc, Some(&old));
        if !causes.is_empty() {
            return Err(reply::invalid(kind.name(), name, &causes));
        }
        if doc.get("spec") != old.get("spec") {
            let generation = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(1);
            obj_mut(&mut doc, "metadata").insert("generation".into(), json!(generation + 1));
        }
        if kind == Kind::CloudSpace {
            let old_v = old.pointer("/spec/kubernetesVersion");
            let ready = str_at(&old, "/status/phase") == Some("Ready");
            if ready && doc.pointer("/spec/kubernetesVersion") != old_v {
                let status = obj_mut(&mut doc, "status");
                status.insert("phase".into(), json!("Upgrading"));
                status.insert("upgradePhase".into(), json!("Upgrading"));
                let due = now + self.lifecycle.upgrade_after_chrono();
                if let Some(o) = self.objects.get_mut(&key) {
                    o.upgrade_due = Some(due);
                }
                self.event(ns, now, format!("CloudSpace {name} upgrading"));
            }
        }
        self.commit(&key, doc);
        if kind.is_pool()
            && let Some(cs) = str_at(&old, "/spec/cloudSpace")
        {
            self.sync_cloudspace(ns, cs);
        }
        Ok(self.get(kind, ns, name).cloned().unwrap_or(Value::Null))
    }

    /// Deletes one object. Cloudspaces go through `Deleting` unless `delete_after` is zero.
    pub(crate) fn delete(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Reply, Reply> {
        let key = (kind, ns.to_string(), name.to_string());
        let Some(obj) = self.objects.get(&key) else {
            return Err(reply::not_found(kind.plural(), name));
        };
        let uid = str_at(&obj.doc, "/metadata/uid").map(String::from);
        let ok = reply::delete_success(kind.plural(), Some(name), uid.as_deref());
        if kind == Kind::CloudSpace && !self.lifecycle.delete_after.is_zero() {
            if obj.delete_due.is_none() {
                let due = now + chrono_dur(self.lifecycle.delete_after);
                let mut doc = obj.doc.clone();
                obj_mut(&mut doc, "metadata").insert("deletionTimestamp".into(), json!(ts(now)));
                let status = obj_mut(&mut doc, "status");
                status.insert("phase".into(), json!("Deleting"));
                status.insert("reason".into(), json!("deletion requested"));
                if let Some(o) = self.objects.get_mut(&key) {
                    o.delete_due = Some(due);
                }
                self.commit(&key, doc);
                self.event(ns, now, format!("CloudSpace {name} deleting"));
            }
            return Ok(ok);
        }
        self.remove(&key, now);
        Ok(ok)
    }

    /// Removes an object for good; a cloudspace takes its pools with it.
    fn remove(&mut self, key: &Key, now: DateTime<Utc>) {
        let Some(obj) = self.objects.remove(key) else {
            return;
        };
        self.rv += 1;
        let (kind, ns, name) = key;
        self.event(ns, now, format!("{} {name} deleted", kind.name()));
        match kind {
            Kind::CloudSpace => {
                let pools: Vec<Key> = self
                    .objects
                    .iter()
                    .filter(|((k, n, _), o)| {
                        k.is_pool()
                            && n == ns
                            && str_at(&o.doc, "/spec/cloudSpace") == Some(name.as_str())
                    })
                    .map(|(k, _)| k.clone())
                    .collect();
                for p in pools {
                    self.objects.remove(&p);
                    self.event(ns, now, format!("{} {} deleted", p.0.name(), p.2));
                }
            }
            Kind::SpotNodePool | Kind::OnDemandNodePool => {
                if let Some(cs) = str_at(&obj.doc, "/spec/cloudSpace") {
                    self.sync_cloudspace(ns, cs);
                }
            }
            Kind::VmCloudSpace | Kind::VmPool => {}
        }
    }

    /// Deletes every object of a kind matching the selector.
    pub(crate) fn delete_collection(
        &mut self,
        kind: Kind,
        ns: &str,
        sel: &[Requirement],
        now: DateTime<Utc>,
    ) -> Reply {
        let names: Vec<String> = self
            .list(kind, ns, sel)
            .iter()
            .filter_map(|d| str_at(d, "/metadata/name").map(String::from))
            .collect();
        for n in names {
            // A pool may already be gone with its cloudspace; that is fine.
            let _ = self.delete(kind, ns, &n, now);
        }
        reply::delete_success(kind.plural(), None, None)
    }

    // ----- lifecycle ---------------------------------------------------------------------

    /// Advances every object to where the clock says it should be.
    pub(crate) fn tick(&mut self, now: DateTime<Utc>) {
        let due: Vec<Key> = self
            .objects
            .iter()
            .filter(|(_, o)| o.delete_due.is_some_and(|d| d <= now))
            .map(|(k, _)| k.clone())
            .collect();
        for k in due {
            self.remove(&k, now);
        }

        let cloudspaces: Vec<Key> = self
            .objects
            .keys()
            .filter(|k| k.0 == Kind::CloudSpace)
            .cloned()
            .collect();
        for key in &cloudspaces {
            let Some(o) = self.objects.get(key).cloned() else {
                continue;
            };
            let phase = str_at(&o.doc, "/status/phase").unwrap_or("Provisioning");
            let ready_due = o.created + chrono_dur(self.lifecycle.cloudspace_ready_after);
            let mut doc = o.doc.clone();
            if phase == "Provisioning" && o.ready_at.is_none() && now >= ready_due {
                let version = doc.pointer("/spec/kubernetesVersion").cloned();
                let uid = str_at(&doc, "/metadata/uid")
                    .unwrap_or("00000000")
                    .to_string();
                let region = str_at(&doc, "/spec/region").unwrap_or("local").to_string();
                let t = ts(ready_due);
                let status = obj_mut(&mut doc, "status");
                status.insert("phase".into(), json!("Ready"));
                status.insert("health".into(), json!("Healthy"));
                status.insert("reason".into(), json!(""));
                status.insert(
                    "APIServerEndpoint".into(),
                    json!(format!(
                        "hcp-{}.{region}.spot.rackspace.com",
                        &uid[..8.min(uid.len())]
                    )),
                );
                status.insert(
                    "currentKubernetesVersion".into(),
                    version.unwrap_or(Value::Null),
                );
                status.insert("firstReadyTimestamp".into(), json!(t));
                status.insert("cloudspaceClassName".into(), json!("gen2-default"));
                status.insert("pendingAllocations".into(), json!({}));
                status.insert(
                    "conditions".into(),
                    json!([{"type": "Ready", "status": "True", "lastTransitionTime": t,
                        "reason": "ControlPlaneReady", "message": ""}]),
                );
                if let Some(obj) = self.objects.get_mut(key) {
                    obj.ready_at = Some(ready_due);
                }
                self.commit(key, doc);
                self.event(&key.1, ready_due, format!("CloudSpace {} is Ready", key.2));
            } else if phase == "Upgrading" && o.upgrade_due.is_some_and(|d| d <= now) {
                let version = doc.pointer("/spec/kubernetesVersion").cloned();
                let status = obj_mut(&mut doc, "status");
                status.insert("phase".into(), json!("Ready"));
                status.insert("upgradePhase".into(), json!("Completed"));
                status.insert(
                    "currentKubernetesVersion".into(),
                    version.unwrap_or(Value::Null),
                );
                if let Some(obj) = self.objects.get_mut(key) {
                    obj.upgrade_due = None;
                }
                self.commit(key, doc);
                self.event(&key.1, now, format!("CloudSpace {} upgraded", key.2));
            }
        }

        let pools: Vec<Key> = self
            .objects
            .keys()
            .filter(|k| k.0.is_pool())
            .cloned()
            .collect();
        for key in &pools {
            self.tick_pool(key, now);
        }
        for key in &cloudspaces {
            self.sync_cloudspace(&key.1, &key.2);
        }
    }

    fn tick_pool(&mut self, key: &Key, now: DateTime<Utc>) {
        let Some(o) = self.objects.get(key).cloned() else {
            return;
        };
        let spot = key.0 == Kind::SpotNodePool;
        let (status_key, count_key) = if spot {
            ("bidStatus", "wonCount")
        } else {
            ("reservedStatus", "reservedCount")
        };
        let cs_ready = str_at(&o.doc, "/spec/cloudSpace")
            .and_then(|cs| {
                self.objects
                    .get(&(Kind::CloudSpace, key.1.clone(), cs.to_string()))
            })
            .and_then(|cs| cs.ready_at);
        let desired = o
            .doc
            .pointer("/spec/desired")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let due =
            cs_ready.map(|r| r.max(o.created) + chrono_dur(self.lifecycle.pool_fulfilled_after));
        let mut doc = o.doc.clone();
        match due {
            Some(d) if now >= d => {
                let won = !spot || self.bid_wins(&o.doc);
                let status = obj_mut(&mut doc, "status");
                status.insert(
                    status_key.into(),
                    json!(if won { "Fulfilled" } else { "Lost" }),
                );
                status.insert(count_key.into(), json!(if won { desired } else { 0 }));
            }
            _ => {
                let status = obj_mut(&mut doc, "status");
                status.entry(status_key).or_insert(json!("Pending"));
            }
        }
        self.commit(key, doc);
    }

    /// Whether a spot pool's bid is at or above its class's market price.
    fn bid_wins(&self, pool: &Value) -> bool {
        let bid = str_at(pool, "/spec/bidPrice").and_then(|b| b.parse::<Decimal>().ok());
        let market = str_at(pool, "/spec/serverClass")
            .and_then(|c| self.class(c))
            .and_then(|c| str_at(c, "/status/spotPricing/marketPricePerHour"))
            .and_then(|m| m.parse::<Decimal>().ok());
        matches!((bid, market), (Some(b), Some(m)) if b >= m)
    }

    /// Brings a cloudspace's `bidRequests`, `onDemandRequests`, `status.bids` and
    /// `status.assignedServers` in line with its pools.
    fn sync_cloudspace(&mut self, ns: &str, cs: &str) {
        let key = (Kind::CloudSpace, ns.to_string(), cs.to_string());
        let Some(o) = self.objects.get(&key) else {
            return;
        };
        let mut spot = Vec::new();
        let mut ondemand = Vec::new();
        let mut bids = Map::new();
        let mut servers = Map::new();
        let serving = matches!(
            str_at(&o.doc, "/status/phase"),
            Some("Ready" | "Upgrading" | "Deleting")
        );
        for ((kind, n, name), p) in &self.objects {
            if !kind.is_pool() || n != ns || str_at(&p.doc, "/spec/cloudSpace") != Some(cs) {
                continue;
            }
            let (ty, count_ptr) = if *kind == Kind::SpotNodePool {
                spot.push(json!(name));
                ("spot", "/status/wonCount")
            } else {
                ondemand.push(json!(name));
                ("ondemand", "/status/reservedCount")
            };
            let won = p
                .doc
                .pointer(count_ptr)
                .and_then(Value::as_i64)
                .unwrap_or(0);
            bids.insert(
                name.clone(),
                json!({"bidName": name, "type": ty, "wonCount": won}),
            );
            if serving {
                let class = str_at(&p.doc, "/spec/serverClass").unwrap_or("");
                for i in 0..won {
                    let id = stable_uuid(&format!("server/{ns}/{name}/{i}"));
                    let octet = 10 + (u32::from(id.as_bytes()[0]) + i as u32) % 240;
                    servers.insert(
                        id.clone(),
                        json!({"IP": format!("192.237.244.{octet}"), "clusterRole": "worker",
                            "serverClassName": class, "serverName": id, "serverType": ty,
                            "nodePoolName": name, "state": "Ready"}),
                    );
                }
            }
        }
        let mut doc = o.doc.clone();
        {
            let s = obj_mut(&mut doc, "spec");
            if spot.is_empty() {
                s.remove("bidRequests");
            } else {
                s.insert("bidRequests".into(), Value::Array(spot));
            }
            if ondemand.is_empty() {
                s.remove("onDemandRequests");
            } else {
                s.insert("onDemandRequests".into(), Value::Array(ondemand));
            }
        }
        {
            let st = obj_mut(&mut doc, "status");
            st.insert("bids".into(), Value::Object(bids));
            if serving {
                st.insert("assignedServers".into(), Value::Object(servers));
            }
        }
        self.commit(&key, doc);
    }
}

fn chrono_dur(d: std::time::Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Lifecycle {
    fn upgrade_after_chrono(&self) -> chrono::Duration {
        chrono_dur(self.upgrade_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn store() -> (Store, String, DateTime<Utc>) {
        let seed = Seed::builtin();
        let now = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ns = seed.orgs[0].namespace();
        (Store::new(&seed, Lifecycle::default(), true, now), ns, now)
    }

    const POOL: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";

    fn cs_body(name: &str) -> Value {
        json!({"metadata": {"name": name}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}})
    }

    #[test]
    fn selector_parsing_and_matching() {
        let sel = parse_selector("a=b, c!=d,e,!f").unwrap();
        assert_eq!(sel.len(), 4);
        let doc = json!({"metadata": {"labels": {"a": "b", "e": ""}}});
        assert!(matches(&doc, &sel));
        assert!(!matches(&doc, &parse_selector("a==x").unwrap()));
        assert!(parse_selector("a b").is_err());
    }

    #[test]
    fn name_rules() {
        assert!(is_rfc1123_label("demo-dfw"));
        assert!(!is_rfc1123_label("Demo"));
        assert!(!is_rfc1123_label("-x"));
        assert!(!is_rfc1123_label(&"a".repeat(64)));
        assert!(is_lowercase_uuid(POOL));
        assert!(!is_lowercase_uuid(&POOL.to_uppercase()));
    }

    #[test]
    fn lifecycle_and_sync() {
        let (mut s, ns, now) = store();
        s.create(Kind::CloudSpace, &ns, cs_body("demo"), now)
            .unwrap();
        let pool = json!({"metadata": {"name": POOL}, "spec": {"cloudSpace": "demo",
            "serverClass": "gp.vs1.medium-dfw", "bidPrice": "0.01", "desired": 2}});
        let created = s.create(Kind::SpotNodePool, &ns, pool, now).unwrap();
        assert_eq!(created["metadata"]["labels"][CLOUDSPACE_LABEL], "demo");
        assert_eq!(
            s.get(Kind::CloudSpace, &ns, "demo").unwrap()["spec"]["bidRequests"],
            json!([POOL])
        );
        s.tick(now);
        assert_eq!(
            s.get(Kind::SpotNodePool, &ns, POOL).unwrap()["status"]["bidStatus"],
            "Pending"
        );
        let later = now + chrono_dur(Duration::from_secs(3600));
        s.tick(later);
        let cs = s.get(Kind::CloudSpace, &ns, "demo").unwrap();
        assert_eq!(cs["status"]["phase"], "Ready");
        assert_eq!(cs["status"]["bids"][POOL]["wonCount"], 2);
        assert_eq!(
            cs["status"]["assignedServers"].as_object().unwrap().len(),
            2
        );
        let p = s.get(Kind::SpotNodePool, &ns, POOL).unwrap();
        assert_eq!(p["status"]["bidStatus"], "Fulfilled");
    }

    #[test]
    fn tick_is_idempotent_for_resource_versions() {
        let (mut s, ns, now) = store();
        s.create(Kind::CloudSpace, &ns, cs_body("demo"), now)
            .unwrap();
        s.tick(now);
        let rv = s.resource_version();
        s.tick(now);
        assert_eq!(rv, s.resource_version());
    }
}
