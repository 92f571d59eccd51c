//! The emulator's seed data: organizations with their refresh tokens, the market (regions, server
//! classes, price history) and the read-only VM inventory. A built-in seed mirrors the fixtures of
//! the API notes; a seed file (JSON or YAML) can replace any part of it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Error, Result};

/// Everything the emulator starts with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seed {
    /// Organizations; each refresh token is bound to exactly one of them.
    pub orgs: Vec<SeedOrg>,
    /// `Region` objects (full Kubernetes documents).
    pub regions: Vec<Value>,
    /// `ServerClass` objects (full Kubernetes documents, including `status.spotPricing`).
    pub server_classes: Vec<Value>,
    /// Hourly hammer prices per server class: `(unix seconds, USD per hour)`.
    pub price_history: BTreeMap<String, Vec<(i64, f64)>>,
    /// Read-only VM inventory and organization events, keyed by organization **name**.
    pub vm_inventory: BTreeMap<String, VmInventory>,
}

/// One organization of the seed.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedOrg {
    /// Auth0-style organization id, e.g. `org_DemoOrg0000000001`.
    pub id: String,
    /// The organization name (what `generate-kubeconfig` and `--org` take).
    pub name: String,
    /// Human name shown in the console.
    pub display_name: String,
    /// The refresh token that authenticates as this organization.
    pub refresh_token: String,
}

impl fmt::Debug for SeedOrg {
    // The refresh token is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedOrg")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("refresh_token", &"[redacted]")
            .finish()
    }
}

impl SeedOrg {
    /// The Kubernetes namespace of this organization: `lowercase(id)` with `_` replaced by `-`.
    pub fn namespace(&self) -> String {
        namespace_for(&self.id)
    }
}

/// The namespace rule of the API: `lowercase(org_id)` with every `_` replaced by `-`.
pub fn namespace_for(org_id: &str) -> String {
    org_id.to_lowercase().replace('_', "-")
}

/// Read-only objects of the kinds beyond the 28-operation contract, for one organization.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VmInventory {
    /// `VMCloudSpace` documents.
    pub vmcloudspaces: Vec<Value>,
    /// `VMPool` documents (labelled `ngpc.rxt.io/vmcloudspace`).
    pub vmpools: Vec<Value>,
    /// Organization events as `(RFC 3339 time, text)`, oldest first.
    pub events: Vec<(String, String)>,
}

/// The file form of a seed: every part is optional and falls back to the built-in seed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SeedFile {
    orgs: Option<Vec<SeedOrg>>,
    regions: Option<Vec<Value>>,
    server_classes: Option<Vec<Value>>,
    price_history: Option<BTreeMap<String, Vec<(i64, f64)>>>,
    vm_inventory: Option<BTreeMap<String, VmInventory>>,
}

/// Start of the built-in price history (2025-11-20T00:00:00Z), hourly.
const HISTORY_START: i64 = 1_763_596_800;
/// Number of hourly points per class in generated histories.
const HISTORY_POINTS: i64 = 48;

impl Seed {
    /// The built-in seed: orgs `demo` (token `demo-token`) and `acme-dev` (token `acme-token`),
    /// five regions, eleven server classes, 48 hourly prices per class and a VM inventory for
    /// `demo`.
    pub fn builtin() -> Seed {
        let orgs = vec![
            SeedOrg {
                id: "org_DemoOrg0000000001".into(),
                name: "demo".into(),
                display_name: "Demo Organization".into(),
                refresh_token: "demo-token".into(),
            },
            SeedOrg {
                id: "org_Q3vXh8LmP2sTnR7a".into(),
                name: "acme-dev".into(),
                display_name: "Acme Dev".into(),
                refresh_token: "acme-token".into(),
            },
        ];
        let regions = REGIONS.iter().map(RegionRow::to_doc).collect();
        let server_classes: Vec<Value> = CLASSES.iter().map(ClassRow::to_doc).collect();
        let price_history = synth_histories(&server_classes);
        let mut vm_inventory = BTreeMap::new();
        vm_inventory.insert("demo".to_string(), demo_inventory(&orgs[0].namespace()));
        Seed {
            orgs,
            regions,
            server_classes,
            price_history,
            vm_inventory,
        }
    }

    /// Loads a seed from a JSON or YAML file (chosen by extension, else by content). Parts the
    /// file leaves out come from [`Seed::builtin`]; classes without a price history get a
    /// generated one.
    pub fn from_file(path: &Path) -> Result<Seed> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let is_json = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => true,
            Some("yaml" | "yml") => false,
            _ => text.trim_start().starts_with('{'),
        };
        let file: SeedFile = if is_json {
            serde_json::from_str(&text)
                .map_err(|e| Error::config(format!("{}: invalid seed: {e}", path.display())))?
        } else {
            serde_norway::from_str(&text)
                .map_err(|e| Error::config(format!("{}: invalid seed: {e}", path.display())))?
        };
        let builtin = Seed::builtin();
        let classes_given = file.server_classes.is_some();
        let orgs_given = file.orgs.is_some();
        let mut seed = Seed {
            orgs: file.orgs.unwrap_or(builtin.orgs),
            regions: file.regions.unwrap_or(builtin.regions),
            server_classes: file.server_classes.unwrap_or(builtin.server_classes),
            price_history: file.price_history.unwrap_or_default(),
            // Built-in inventory belongs to the built-in orgs only.
            vm_inventory: match file.vm_inventory {
                Some(inv) => inv,
                None if orgs_given => BTreeMap::new(),
                None => builtin.vm_inventory,
            },
        };
        if !classes_given && seed.price_history.is_empty() {
            seed.price_history = builtin.price_history;
        }
        for (class, points) in synth_histories(&seed.server_classes) {
            seed.price_history.entry(class).or_insert(points);
        }
        seed.validate()
            .map_err(|m| Error::config(format!("{}: invalid seed: {m}", path.display())))?;
        Ok(seed)
    }

    /// Checks the invariants the emulator relies on.
    fn validate(&self) -> std::result::Result<(), String> {
        if self.orgs.is_empty() {
            return Err("at least one organization is required".into());
        }
        let mut tokens = std::collections::BTreeSet::new();
        for org in &self.orgs {
            if !org.id.starts_with("org_") {
                return Err(format!("organization id {:?} must start with org_", org.id));
            }
            if !tokens.insert(org.refresh_token.as_str()) {
                return Err(format!(
                    "organization {:?} reuses another organization's refresh token",
                    org.name
                ));
            }
        }
        for doc in self.regions.iter().chain(&self.server_classes) {
            if doc
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .is_none()
            {
                return Err("every region and server class needs metadata.name".into());
            }
        }
        for name in self.vm_inventory.keys() {
            if !self.orgs.iter().any(|o| &o.name == name) {
                return Err(format!("vm_inventory names unknown organization {name:?}"));
            }
        }
        Ok(())
    }

    /// The organization a refresh token belongs to.
    pub fn org_by_token(&self, token: &str) -> Option<&SeedOrg> {
        self.orgs.iter().find(|o| o.refresh_token == token)
    }
}

/// Deterministic hourly histories for classes: the market price with a daily-ish wobble.
fn synth_histories(classes: &[Value]) -> BTreeMap<String, Vec<(i64, f64)>> {
    const WOBBLE: [f64; 8] = [1.0, 1.0, 1.5, 2.5, 3.0, 2.0, 1.0, 1.0];
    classes
        .iter()
        .filter_map(|c| {
            let name = c.pointer("/metadata/name")?.as_str()?.to_string();
            let market = c
                .pointer("/status/spotPricing/marketPricePerHour")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.001);
            let points = (0..HISTORY_POINTS)
                .map(|i| {
                    let w = WOBBLE[(i as usize) % WOBBLE.len()];
                    let p = ((market * w) * 1000.0).round() / 1000.0;
                    (HISTORY_START + i * 3600, p.max(0.001))
                })
                .collect();
            Some((name, points))
        })
        .collect()
}

struct RegionRow {
    name: &'static str,
    country: &'static str,
    description: &'static str,
    generation: &'static str,
    provider_region: &'static str,
    uid: &'static str,
}

impl RegionRow {
    fn to_doc(&self) -> Value {
        json!({
            "apiVersion": "ngpc.rxt.io/v1",
            "kind": "Region",
            "metadata": {
                "name": self.name,
                "uid": self.uid,
                "resourceVersion": "3100012",
                "generation": 1,
                "creationTimestamp": "2023-11-14T00:05:58Z"
            },
            "spec": {
                "country": self.country,
                "description": self.description,
                "generation": self.generation,
                "provider": {"providerRegionName": self.provider_region, "providerType": "ospc"}
            }
        })
    }
}

const REGIONS: [RegionRow; 5] = [
    RegionRow {
        name: "us-central-dfw-1",
        country: "USA",
        description: "US Central, Dallas Fort Worth, TX",
        generation: "v1",
        provider_region: "DFW",
        uid: "c1f0e6a4-2b7d-4a51-9e3c-6d2f8b0a1e77",
    },
    RegionRow {
        name: "us-east-iad-1",
        country: "USA",
        description: "US East, Ashburn, VA",
        generation: "v1",
        provider_region: "IAD",
        uid: "9a3d5e71-0c4b-4f8e-b2a6-71e9d0c3f548",
    },
    RegionRow {
        name: "uk-lon-1",
        country: "GBR",
        description: "UK, London",
        generation: "v1",
        provider_region: "LON",
        uid: "5b8e2d10-7f3a-4c96-a1d4-3e9f6b2c8a05",
    },
    RegionRow {
        name: "us-west-sjc-1",
        country: "USA",
        description: "US West, San Jose, CA",
        generation: "v2",
        provider_region: "SJC",
        uid: "0e4c7a92-1d6b-4f38-95e2-8b3a1c7d6f40",
    },
    RegionRow {
        name: "us-central-dfw-2",
        country: "USA",
        description: "US Central, Dallas Fort Worth, TX (gen 2)",
        generation: "v2",
        provider_region: "DFW2",
        uid: "7a1f3e6c-9b2d-4e05-8c47-d2f0a6b9e318",
    },
];

struct ClassRow {
    name: &'static str,
    region: &'static str,
    category: &'static str,
    display: &'static str,
    flavor: &'static str,
    provider: &'static str,
    flavor_type: &'static str,
    cpu: &'static str,
    memory: &'static str,
    disk: Option<&'static str>,
    min_bid: &'static str,
    on_demand: &'static str,
    market: &'static str,
    availability: &'static str,
    capacity: u32,
    available: u32,
}

impl ClassRow {
    fn to_doc(&self) -> Value {
        let mut resources = json!({"cpu": self.cpu, "memory": self.memory});
        if let (Some(disk), Some(obj)) = (self.disk, resources.as_object_mut()) {
            obj.insert("disk".into(), json!(disk));
        }
        let label = format!("region.ngpc.rxt.io/{}", self.region);
        // Stable per-class uid derived from the name, so snapshots do not churn.
        let uid = super::store::stable_uuid(&format!("serverclass/{}", self.name));
        json!({
            "apiVersion": "ngpc.rxt.io/v1",
            "kind": "ServerClass",
            "metadata": {
                "name": self.name,
                "uid": uid,
                "resourceVersion": "48212901",
                "generation": 1,
                "creationTimestamp": "2023-11-14T00:06:24Z",
                "labels": {label: ""}
            },
            "spec": {
                "availability": self.availability,
                "category": self.category,
                "displayName": self.display,
                "flavorType": self.flavor_type,
                "minBidPricePerHour": self.min_bid,
                "onDemandPricing": {"cost": self.on_demand, "interval": "1h"},
                "provider": {"providerFlavorID": self.flavor, "providerType": self.provider},
                "region": self.region,
                "resources": resources
            },
            "status": {
                "available": self.available,
                "capacity": self.capacity,
                "reserved": self.capacity - self.available,
                "lastAuction": 52210,
                "spotPricing": {
                    "hammerPricePerHour": self.market,
                    "marketPricePerHour": self.market
                }
            }
        })
    }
}

const CLASSES: [ClassRow; 11] = [
    ClassRow {
        name: "gp.vs1.medium-dfw",
        region: "us-central-dfw-1",
        category: "General Purpose",
        display: "General Virtual Server.Medium",
        flavor: "compute1-4",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "2",
        memory: "3.75GB",
        disk: Some("100GB"),
        min_bid: "0.01",
        on_demand: "0.02",
        market: "0.001000",
        availability: "available",
        capacity: 120,
        available: 37,
    },
    ClassRow {
        name: "gp.vs1.large-dfw",
        region: "us-central-dfw-1",
        category: "General Purpose",
        display: "General Virtual Server.Large",
        flavor: "compute1-8",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "4",
        memory: "7.5GB",
        disk: Some("100GB"),
        min_bid: "0.01",
        on_demand: "0.04",
        market: "0.003000",
        availability: "available",
        capacity: 80,
        available: 25,
    },
    ClassRow {
        name: "ch.vs1.xlarge-dfw",
        region: "us-central-dfw-1",
        category: "Compute Heavy",
        display: "Compute Virtual Server.Extra Large",
        flavor: "compute1-15",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "8",
        memory: "15GB",
        disk: None,
        min_bid: "0.01",
        on_demand: "0.07",
        market: "0.005000",
        availability: "available",
        capacity: 40,
        available: 12,
    },
    ClassRow {
        name: "mh.vs1.2xlarge-dfw",
        region: "us-central-dfw-1",
        category: "Memory Heavy",
        display: "Memory Virtual Server.Double Extra Large",
        flavor: "memory1-120",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "16",
        memory: "120GB",
        disk: None,
        min_bid: "0.02",
        on_demand: "0.27",
        market: "0.020000",
        availability: "available",
        capacity: 16,
        available: 3,
    },
    ClassRow {
        name: "gp.bm2.medium-dfw",
        region: "us-central-dfw-1",
        category: "Bare Metal",
        display: "General Purpose Bare Metal Server.Medium",
        flavor: "gp.bm2.medium",
        provider: "ironic",
        flavor_type: "baremetal",
        cpu: "24",
        memory: "64GB",
        disk: None,
        min_bid: "0.01",
        on_demand: "0.50",
        market: "0.005000",
        availability: "available",
        capacity: 6,
        available: 2,
    },
    ClassRow {
        name: "gp.vs1.medium-iad",
        region: "us-east-iad-1",
        category: "General Purpose",
        display: "General Virtual Server.Medium",
        flavor: "compute1-4",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "2",
        memory: "3.75GB",
        disk: Some("100GB"),
        min_bid: "0.01",
        on_demand: "0.019",
        market: "0.001000",
        availability: "available",
        capacity: 0,
        available: 0,
    },
    ClassRow {
        name: "gp.vs1.xlarge-iad",
        region: "us-east-iad-1",
        category: "General Purpose",
        display: "General Virtual Server.Extra Large",
        flavor: "io1-30",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "8",
        memory: "30GB",
        disk: None,
        min_bid: "0.01",
        on_demand: "0.09",
        market: "0.005000",
        availability: "available",
        capacity: 64,
        available: 21,
    },
    ClassRow {
        name: "gp.vs1.medium-lon",
        region: "uk-lon-1",
        category: "General Purpose",
        display: "General Virtual Server.Medium",
        flavor: "compute1-4",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "2",
        memory: "3.75GB",
        disk: Some("100GB"),
        min_bid: "0.01",
        on_demand: "0.022",
        market: "0.002000",
        availability: "available",
        capacity: 60,
        available: 18,
    },
    ClassRow {
        name: "ch.vs1.large-lon",
        region: "uk-lon-1",
        category: "Compute Heavy",
        display: "Compute Virtual Server.Large",
        flavor: "compute1-8",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "4",
        memory: "7.5GB",
        disk: None,
        min_bid: "",
        on_demand: "0.05",
        market: "0.004000",
        availability: "deprecated",
        capacity: 10,
        available: 0,
    },
    ClassRow {
        name: "gp.vs2.medium-sjc",
        region: "us-west-sjc-1",
        category: "General Purpose",
        display: "General Virtual Server v2.Medium",
        flavor: "gp2-4",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "2",
        memory: "4GB",
        disk: Some("100GB"),
        min_bid: "0.01",
        on_demand: "0.03",
        market: "0.004000",
        availability: "available",
        capacity: 90,
        available: 40,
    },
    ClassRow {
        name: "gpu.vs2.xlargeplusplus-sjc",
        region: "us-west-sjc-1",
        category: "GPU",
        display: "GPU A30 Virtual Server v2. + + Extra Large",
        flavor: "gpu2-a30-24",
        provider: "ospc",
        flavor_type: "virtual",
        cpu: "24",
        memory: "120GB",
        disk: Some("400GB"),
        min_bid: "0.30",
        on_demand: "1.20",
        market: "0.350000",
        availability: "available",
        capacity: 8,
        available: 2,
    },
];

/// VM inventory of the `demo` org: one Ready vmcloudspace, one still provisioning.
fn demo_inventory(ns: &str) -> VmInventory {
    let server = |id: &str, ip: &str, class: &str, kind: &str, state: &str| {
        json!({id: {"IP": ip, "clusterRole": "worker", "serverClassName": class,
            "serverName": id, "serverType": kind, "state": state}})
    };
    let merge = |parts: Vec<Value>| {
        let mut map = serde_json::Map::new();
        for p in parts {
            if let Value::Object(o) = p {
                map.extend(o);
            }
        }
        Value::Object(map)
    };
    let vmcs = |name: &str, region: &str, created: &str, status: Value, bids: Vec<&str>| {
        json!({
            "apiVersion": "ngpc.rxt.io/v1",
            "kind": "VMCloudSpace",
            "metadata": {
                "name": name, "namespace": ns,
                "uid": super::store::stable_uuid(&format!("vmcloudspace/{name}")),
                "resourceVersion": "48200100", "generation": 1, "creationTimestamp": created
            },
            "spec": {"region": region, "webhook": "", "bidRequests": bids,
                "vmSshKeyRef": {"name": "demo-key", "namespace": ns}},
            "status": status
        })
    };
    let vmpool = |name: &str, cs: &str, class: &str, pool_type: &str, desired: u32| {
        let mut spec = json!({"vmCloudSpace": cs, "serverClass": class, "poolType": pool_type,
            "desired": desired, "vmImage": "ubuntu24.04"});
        if pool_type == "spot"
            && let Some(o) = spec.as_object_mut()
        {
            o.insert("bidPrice".into(), json!("0.02"));
        }
        json!({
            "apiVersion": "ngpc.rxt.io/v1",
            "kind": "VMPool",
            "metadata": {
                "name": name, "namespace": ns,
                "uid": super::store::stable_uuid(&format!("vmpool/{name}")),
                "resourceVersion": "48200120", "generation": 1,
                "creationTimestamp": "2025-11-19T09:12:40Z",
                "labels": {"ngpc.rxt.io/vmcloudspace": cs}
            },
            "spec": spec,
            "status": {"bidStatus": "Fulfilled", "wonCount": desired}
        })
    };
    let lab = vmcs(
        "vm-lab-dfw",
        "us-central-dfw-1",
        "2025-11-19T09:10:02Z",
        json!({
            "phase": "Ready", "health": "Healthy",
            "firstReadyTimestamp": "2025-11-19T09:14:51Z",
            "conditions": [{"type": "Ready", "status": "True",
                "lastTransitionTime": "2025-11-19T09:14:51Z"}],
            "assignedServers": merge(vec![
                server("a1c4e7f0-2b5d-4e81-9c36-0f2a5b8d1e74", "192.237.250.11", "gp.vs1.medium-dfw", "spot", "Ready"),
                server("b2d5f8a1-3c6e-4f92-8d47-1a3b6c9e2f85", "192.237.250.12", "gp.vs1.medium-dfw", "spot", "Ready"),
                server("c3e6a9b2-4d7f-4a03-9e58-2b4c7d0f3a96", "192.237.250.13", "ch.vs1.xlarge-dfw", "ondemand", "Ready"),
            ])
        }),
        vec!["7f3e1a9c-5b2d-4c8e-a6f0-1d4b7e2c9a53"],
    );
    let build = vmcs(
        "vm-build-iad",
        "us-east-iad-1",
        "2025-11-20T15:02:17Z",
        json!({
            "phase": "Provisioning", "health": "",
            "conditions": [{"type": "Ready", "status": "False",
                "lastTransitionTime": "2025-11-20T15:02:17Z"}],
            "assignedServers": merge(vec![
                server("d4f7b0c3-5e8a-4b14-8f69-3c5d8e1a4b07", "", "gp.vs1.xlarge-iad", "spot", "Provisioning"),
                server("e5a8c1d4-6f9b-4c25-9a7a-4d6e9f2b5c18", "", "gp.vs1.xlarge-iad", "spot", "Provisioning"),
            ])
        }),
        vec!["8a4f2b0d-6c3e-4d9f-b7a1-2e5c8f3d0b64"],
    );
    VmInventory {
        vmcloudspaces: vec![lab, build],
        vmpools: vec![
            vmpool(
                "7f3e1a9c-5b2d-4c8e-a6f0-1d4b7e2c9a53",
                "vm-lab-dfw",
                "gp.vs1.medium-dfw",
                "spot",
                2,
            ),
            vmpool(
                "9b5a3c1e-7d4f-4ea0-b8c2-3f6d9a4e1c75",
                "vm-lab-dfw",
                "ch.vs1.xlarge-dfw",
                "ondemand",
                1,
            ),
            vmpool(
                "8a4f2b0d-6c3e-4d9f-b7a1-2e5c8f3d0b64",
                "vm-build-iad",
                "gp.vs1.xlarge-iad",
                "spot",
                2,
            ),
        ],
        events: vec![
            (
                "2025-11-19T09:10:02Z".into(),
                "VMCloudSpace vm-lab-dfw created".into(),
            ),
            (
                "2025-11-19T09:14:51Z".into(),
                "VMCloudSpace vm-lab-dfw is Ready".into(),
            ),
            (
                "2025-11-20T15:02:17Z".into(),
                "VMCloudSpace vm-build-iad created".into(),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_demo_org_and_consistent_market() {
        let seed = Seed::builtin();
        let demo = seed.org_by_token("demo-token").unwrap();
        assert_eq!(demo.name, "demo");
        assert_eq!(demo.namespace(), "org-demoorg0000000001");
        assert!(seed.validate().is_ok());
        assert!(seed.server_classes.len() >= 10);
        for class in &seed.server_classes {
            let name = class["metadata"]["name"].as_str().unwrap();
            let region = class["spec"]["region"].as_str().unwrap();
            assert!(
                seed.regions.iter().any(|r| r["metadata"]["name"] == region),
                "{name} in unknown region {region}"
            );
            assert_eq!(seed.price_history[name].len(), 48);
        }
        assert!(
            seed.server_classes
                .iter()
                .any(|c| c["spec"]["availability"] == "deprecated")
        );
    }

    #[test]
    fn debug_redacts_refresh_tokens() {
        let dbg = format!("{:?}", Seed::builtin());
        assert!(!dbg.contains("demo-token"));
        assert!(dbg.contains("[redacted]"));
    }

    #[test]
    fn namespace_rule() {
        assert_eq!(
            namespace_for("org_Q3vXh8LmP2sTnR7a"),
            "org-q3vxh8lmp2stnr7a"
        );
    }
}
