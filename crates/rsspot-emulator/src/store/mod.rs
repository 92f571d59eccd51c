//! The emulator's object store: namespaced documents and resource versions. Writes, validation
//! and the lifecycle (Provisioning → Ready, Pending → Fulfilled, Deleting) live in the
//! submodules, one job each; the lifecycle is evaluated lazily against the simulated clock.

mod autopilot;
mod autopilot_pack;
mod autopilot_rules;
mod lifecycle;
mod selector;
mod validate;
mod vm;
mod write;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::Lifecycle;
use super::seed::{Seed, namespace_for};
use super::variants::Variants;
pub(crate) use selector::{Requirement, matches, parse_selector};

/// The label linking a node pool to its cloudspace.
pub(crate) const CLOUDSPACE_LABEL: &str = "ngpc.rxt.io/cloudspace";

/// RFC 3339 with whole seconds, as the API prints timestamps.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(crate) use crate::ids::stable_uuid;

/// The namespaced kinds the emulator stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    CloudSpace,
    SpotNodePool,
    OnDemandNodePool,
    VmCloudSpace,
    VmPool,
    VmSshKey,
    AutopilotNodePool,
}

impl Kind {
    pub(crate) const ALL: [Kind; 7] = [
        Kind::CloudSpace,
        Kind::SpotNodePool,
        Kind::OnDemandNodePool,
        Kind::VmCloudSpace,
        Kind::VmPool,
        Kind::VmSshKey,
        Kind::AutopilotNodePool,
    ];

    pub(crate) fn plural(self) -> &'static str {
        match self {
            Kind::CloudSpace => "cloudspaces",
            Kind::SpotNodePool => "spotnodepools",
            Kind::OnDemandNodePool => "ondemandnodepools",
            Kind::VmCloudSpace => "vmcloudspaces",
            Kind::VmPool => "vmpools",
            Kind::VmSshKey => "vmsshkeys",
            Kind::AutopilotNodePool => "autopilotnodepools",
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::CloudSpace => "CloudSpace",
            Kind::SpotNodePool => "SpotNodePool",
            Kind::OnDemandNodePool => "OnDemandNodePool",
            Kind::VmCloudSpace => "VMCloudSpace",
            Kind::VmPool => "VMPool",
            Kind::VmSshKey => "VMSSHKey",
            Kind::AutopilotNodePool => "AutopilotNodePool",
        }
    }

    pub(crate) fn from_plural(p: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.plural() == p)
    }

    /// Whether clients may write this kind (every kind, since the VM kinds have lifecycles).
    pub(crate) fn writable(self) -> bool {
        Kind::ALL.contains(&self)
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
    /// Created through the API (the seeded VM inventory stays as seeded).
    managed: bool,
    /// The autopilot pool (same namespace) that made this pool and removes it with itself.
    owner: Option<String>,
    /// Nodes of a spot pool taken back by preemption (until the pool's spec changes).
    preempted: i64,
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

/// The mutable world of a running emulator (`Clone` so a dry run can write to a copy).
#[derive(Debug, Clone)]
pub(crate) struct Store {
    rv: u64,
    objects: BTreeMap<Key, Obj>,
    events: BTreeMap<String, Vec<(String, String)>>,
    regions: Vec<Value>,
    classes: Vec<Value>,
    lifecycle: Lifecycle,
    variants: Variants,
    /// Refresh tokens that no longer work (revoked by a test or rotated away).
    pub(crate) revoked: BTreeSet<String>,
    /// Refresh tokens issued by rotation → the id of the org they belong to.
    pub(crate) issued: BTreeMap<String, String>,
    /// `127.0.0.1:PORT` when Ready cloudspaces advertise the emulated cluster API.
    pub(crate) cluster_authority: Option<String>,
    /// Server classes that fail (no capacity) → why, until restored.
    failing_classes: BTreeMap<String, String>,
}

impl Store {
    pub(crate) fn new(
        seed: &Seed,
        lifecycle: Lifecycle,
        variants: Variants,
        now: DateTime<Utc>,
    ) -> Store {
        let mut store = Store {
            rv: 48_213_000,
            objects: BTreeMap::new(),
            events: BTreeMap::new(),
            regions: seed.regions.clone(),
            classes: seed.server_classes.clone(),
            lifecycle,
            variants,
            revoked: BTreeSet::new(),
            issued: BTreeMap::new(),
            cluster_authority: None,
            failing_classes: BTreeMap::new(),
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
                            managed: false,
                            owner: None,
                            preempted: 0,
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

    /// Makes `class` fail with `reason` (`Some`) or work again (`None`): spot pools of a failing
    /// class win nothing, and VM servers of it show as failed. False when the class does not
    /// exist.
    pub(crate) fn set_class_failing(&mut self, class: &str, reason: Option<&str>) -> bool {
        if self.class(class).is_none() {
            return false;
        }
        match reason {
            Some(r) => self
                .failing_classes
                .insert(class.to_string(), r.to_string()),
            None => self.failing_classes.remove(class),
        };
        self.rv += 1;
        true
    }

    /// Takes `nodes` won nodes back from spot pool `name` of namespace `ns` (a preemption),
    /// until the pool's spec next changes. False when there is no such spot pool.
    pub(crate) fn preempt(&mut self, ns: &str, name: &str, nodes: i64) -> bool {
        let key = (Kind::SpotNodePool, ns.to_string(), name.to_string());
        let Some(o) = self.objects.get_mut(&key) else {
            return false;
        };
        o.preempted = o.preempted.saturating_add(nodes.max(0));
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
        (
            Store::new(&seed, Lifecycle::default(), Variants::default(), now),
            ns,
            now,
        )
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
