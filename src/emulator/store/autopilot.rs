//! Autopilot node pools: "a vCPU budget the service turns into pools" (API-NOTES §3.10, the
//! go-sdk's description). Once its cloudspace is ready, the emulator's controller places the
//! budget on the cheapest class per vCPU of the region that fits `vcpuPerNode`, within
//! `budgetPerHour`, and makes one **spot** node pool per allocation in the cloudspace (emulator
//! guess: the notes do not name the pool kind; a budget per hour fits spot bidding). The made
//! pools are ordinary spot pools: their nodes are won servers of the cloudspace like any other.
//!
//! The controller reconciles on every tick: a changed budget resizes the pools, a class that
//! is no longer chosen loses its pool, a made pool deleted by hand comes back, and the bid
//! follows the market. Deleting the autopilot pool removes the pools it made. How a made pool
//! points back to its autopilot pool is the `autopilot-owner` variant (the notes leave it open).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{CLOUDSPACE_LABEL, Key, Kind, Store, chrono_dur, obj_mut, stable_uuid, str_at};
use crate::emulator::bids;
use crate::emulator::variants::AutopilotOwner;

/// The label a made pool carries under `autopilot-owner=label` (emulator guess, after the
/// `ngpc.rxt.io/cloudspace` and `ngpc.rxt.io/vmcloudspace` labels of API-NOTES §3.5, §3.10).
pub(crate) const AUTOPILOT_LABEL: &str = "ngpc.rxt.io/autopilotnodepool";

/// One class's share of a budget.
#[derive(Debug, Clone, PartialEq)]
struct Allocation {
    class: String,
    nodes: i64,
    cpu: i64,
    /// The class's market price per node-hour.
    price: Decimal,
}

/// A budget from a JSON string or number.
pub(super) fn budget(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn int_at(doc: &Value, ptr: &str) -> Option<i64> {
    doc.pointer(ptr).and_then(|v| {
        v.as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
    })
}

impl Store {
    /// The pools an autopilot pool made (the store's own bookkeeping, whatever the variant).
    pub(super) fn autopilot_made_pools(&self, ns: &str, owner: &str) -> Vec<Key> {
        self.objects
            .iter()
            .filter(|((_, n, _), o)| n == ns && o.owner.as_deref() == Some(owner))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The cheapest class per vCPU of `region` that fits the pool's `vcpuPerNode`, with as many
    /// nodes as cover `vcpu.total` and the budget allows.
    fn plan(&self, ap: &Value, region: &str) -> Option<Allocation> {
        let total = int_at(ap, "/spec/vcpu/total").unwrap_or(0);
        let min = int_at(ap, "/spec/vcpuPerNode/min").unwrap_or(1);
        let max = int_at(ap, "/spec/vcpuPerNode/max").unwrap_or(i64::MAX);
        let cheapest = self
            .classes()
            .iter()
            .filter(|c| str_at(c, "/spec/region") == Some(region))
            .filter(|c| str_at(c, "/spec/availability").is_none_or(|a| a == "available"))
            .filter_map(|c| {
                let cpu = int_at(c, "/spec/resources/cpu")?;
                let price = str_at(c, "/status/spotPricing/marketPricePerHour")?
                    .parse::<Decimal>()
                    .ok()?;
                let class = str_at(c, "/metadata/name")?.to_string();
                (cpu >= min && cpu <= max && cpu > 0).then(|| {
                    let per_vcpu = price / Decimal::from(cpu);
                    (
                        per_vcpu,
                        class.clone(),
                        Allocation {
                            class,
                            nodes: 0,
                            cpu,
                            price,
                        },
                    )
                })
            })
            .min_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)))?;
        let mut alloc = cheapest.2;
        alloc.nodes = (total + alloc.cpu - 1) / alloc.cpu;
        if let Some(cap) = ap.pointer("/spec/budgetPerHour").and_then(budget) {
            while alloc.nodes > 0 && alloc.price * Decimal::from(alloc.nodes) > cap {
                alloc.nodes -= 1;
            }
        }
        Some(alloc)
    }

    /// Reconciles an autopilot pool: its allocation, the spot pools that carry it, its status.
    pub(super) fn tick_autopilot(&mut self, key: &Key, now: DateTime<Utc>) {
        let Some(o) = self.objects.get(key).cloned() else {
            return;
        };
        let cs_name = str_at(&o.doc, "/spec/cloudSpace")
            .unwrap_or_default()
            .to_string();
        let Some(cs) = self
            .objects
            .get(&(Kind::CloudSpace, key.1.clone(), cs_name.clone()))
        else {
            return;
        };
        // A cloudspace on its way out gets no new pools.
        let (Some(ready), None) = (cs.ready_at, cs.delete_due) else {
            return;
        };
        if now < ready.max(o.created) + chrono_dur(self.lifecycle.pool_fulfilled_after) {
            return;
        }
        let region = str_at(&o.doc, "/spec/region")
            .or_else(|| str_at(&cs.doc, "/spec/region"))
            .unwrap_or_default()
            .to_string();
        let planned = self.plan(&o.doc, &region);
        let alloc = planned.clone().filter(|a| a.nodes > 0);
        self.reconcile_made_pools(key, &o.doc, &cs_name, alloc.as_ref(), now);

        let total = int_at(&o.doc, "/spec/vcpu/total").unwrap_or(0);
        let won: i64 = self
            .autopilot_made_pools(&key.1, &key.2)
            .iter()
            .filter_map(|k| self.objects.get(k))
            .map(|p| int_at(&p.doc, "/status/wonCount").unwrap_or(0))
            .sum();
        let mut doc = o.doc.clone();
        let status = obj_mut(&mut doc, "status");
        status.insert("targetVCPUs".into(), json!(total));
        let (phase, allocations, managed) = match &alloc {
            None if planned.is_none() => ("NoCapacity", json!([]), 0),
            None => ("BudgetLimited", json!([]), 0),
            Some(a) => {
                let managed = won * a.cpu;
                let phase = if a.nodes * a.cpu < total {
                    "BudgetLimited"
                } else if managed < a.nodes * a.cpu {
                    "Provisioning"
                } else {
                    "Ready"
                };
                let cost = a.price * Decimal::from(a.nodes);
                let row = json!([{"serverClass": a.class, "nodes": a.nodes,
                    "vcpus": a.nodes * a.cpu, "pricePerHour": cost.normalize().to_string(),
                    "nodePool": made_pool_name(key, &a.class)}]);
                (phase, row, managed)
            }
        };
        status.insert("phase".into(), json!(phase));
        status.insert("managedVCPUs".into(), json!(managed));
        status.insert("allocations".into(), allocations);
        self.commit(key, doc);
    }

    /// Makes, resizes, re-bids or deletes the spot pools of an autopilot pool so they carry
    /// exactly `alloc`. The controller writes through the same checks as a client would.
    fn reconcile_made_pools(
        &mut self,
        key: &Key,
        ap: &Value,
        cloudspace: &str,
        alloc: Option<&Allocation>,
        now: DateTime<Utc>,
    ) {
        let (ns, owner) = (key.1.as_str(), key.2.as_str());
        let want = alloc.map(|a| (made_pool_name(key, &a.class), a));
        for made in self.autopilot_made_pools(ns, owner) {
            if want.as_ref().is_none_or(|(name, _)| *name != made.2) {
                let _ = self.delete(made.0, ns, &made.2, now);
            }
        }
        let Some((name, a)) = want else {
            return;
        };
        let floor = Store::bid_floor(self.class(&a.class));
        let bid = bids::lowest_accepted(floor, self.variants.bid_rules)
            .normalize()
            .to_string();
        let pool_key = (Kind::SpotNodePool, ns.to_string(), name.clone());
        match self.objects.get(&pool_key).map(|p| p.doc.clone()) {
            Some(mut doc) => {
                let outbid = str_at(&doc, "/spec/bidPrice")
                    .and_then(|b| b.parse::<Decimal>().ok())
                    .is_none_or(|b| b < floor);
                let spec = obj_mut(&mut doc, "spec");
                let mut changed = spec.get("desired") != Some(&json!(a.nodes));
                spec.insert("desired".into(), json!(a.nodes));
                if outbid {
                    spec.insert("bidPrice".into(), json!(bid));
                    changed = true;
                }
                if changed {
                    let _ = self.update(Kind::SpotNodePool, ns, &name, doc, false, now);
                }
            }
            None => {
                let mut meta = json!({"name": name, "labels": {CLOUDSPACE_LABEL: cloudspace}});
                match self.variants.autopilot_owner {
                    AutopilotOwner::Label => {
                        meta["labels"][AUTOPILOT_LABEL] = json!(owner);
                    }
                    AutopilotOwner::OwnerReference => {
                        meta["ownerReferences"] = json!([{"apiVersion": "ngpc.rxt.io/v1",
                            "kind": Kind::AutopilotNodePool.name(), "name": owner,
                            "uid": str_at(ap, "/metadata/uid"), "controller": true,
                            "blockOwnerDeletion": true}]);
                    }
                }
                let body = json!({"metadata": meta, "spec": {"cloudSpace": cloudspace,
                    "serverClass": a.class, "desired": a.nodes, "bidPrice": bid}});
                if self.create(Kind::SpotNodePool, ns, body, now).is_ok()
                    && let Some(p) = self.objects.get_mut(&pool_key)
                {
                    p.owner = Some(owner.to_string());
                }
            }
        }
        self.tick_pool(&pool_key, now);
    }
}

/// The stable name of the pool an autopilot pool makes for a class (pool names are UUIDs).
fn made_pool_name(key: &Key, class: &str) -> String {
    stable_uuid(&format!("autopilot/{}/{}/{class}", key.1, key.2))
}
