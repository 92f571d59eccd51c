//! The built-in seed's fixtures: the regions and server classes of API-NOTES section 7 and the
//! demo org's VM inventory.

use serde_json::{Value, json};

use crate::ids::stable_uuid;
use crate::inventory::VmInventory;

pub(super) struct RegionRow {
    name: &'static str,
    country: &'static str,
    description: &'static str,
    generation: &'static str,
    provider_region: &'static str,
    uid: &'static str,
}

impl RegionRow {
    pub(super) fn to_doc(&self) -> Value {
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

pub(super) const REGIONS: [RegionRow; 5] = [
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

pub(super) struct ClassRow {
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
    pub(super) fn to_doc(&self) -> Value {
        let mut resources = json!({"cpu": self.cpu, "memory": self.memory});
        if let (Some(disk), Some(obj)) = (self.disk, resources.as_object_mut()) {
            obj.insert("disk".into(), json!(disk));
        }
        let label = format!("region.ngpc.rxt.io/{}", self.region);
        // Stable per-class uid derived from the name, so snapshots do not churn.
        let uid = stable_uuid(&format!("serverclass/{}", self.name));
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

pub(super) const CLASSES: [ClassRow; 11] = [
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
pub(super) fn demo_inventory(ns: &str) -> VmInventory {
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
                "uid": stable_uuid(&format!("vmcloudspace/{name}")),
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
                "uid": stable_uuid(&format!("vmpool/{name}")),
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
