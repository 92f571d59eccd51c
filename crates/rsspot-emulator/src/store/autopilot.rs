//! Autopilot node pools: the controller that turns a vCPU target into child **spot node pools**
//! (API-NOTES §9.4). Which classes qualify and how the target is packed is in
//! `autopilot_pack`; the spec's rules in `autopilot_rules`.
//!
//! On every tick, once the cloudspace is ready:
//! 1. Each child pool is observed: a settled pool that won all its nodes records the outcome
//!    `Won` for its class; one that won fewer (`NoCapacity` for a failing class, `Preempted`
//!    after a preemption, else `Outbid`) puts its class into **cooldown** for [`COOLDOWN`], and
//!    the packer leaves the class out until then.
//! 2. The target is packed exactly over the qualifying classes not in cooldown. When no pack
//!    exists, the pools still working are kept as they are.
//! 3. Child pools are made (`Allocated`), resized (`Resized`), re-bid (`Rebid`, following the
//!    market up to the ceiling) or deleted (`Released`) to carry the pack; every change, and
//!    every change of won nodes (`NodesWon`, `NodesLost`), is an `allocationsHistory` entry.
//! 4. The status: `phase` (per the `autopilot-phases` variant), `targetVCPUs`, `managedVCPUs`
//!    (won vCPUs across the child pools), `managedMemoryGB`, `allocations`, `classStates`.
//!
//! Deleting the autopilot pool removes its child pools. How a child pool points back to its
//! autopilot pool is the `autopilot-owner` variant; child pools always carry the cloudspace
//! label and are ordinary spot pools (preemption, market moves and failures apply to them).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::autopilot_pack::{Candidate, memory_gb, pack};
use super::autopilot_rules::budget;
use super::{CLOUDSPACE_LABEL, Key, Kind, Store, chrono_dur, obj_mut, stable_uuid, str_at, ts};
use crate::variants::{AutopilotOwner, AutopilotPhases};

/// The label a made pool carries under `autopilot-owner=label` (emulator guess, after the
/// `ngpc.rxt.io/cloudspace` and `ngpc.rxt.io/vmcloudspace` labels of API-NOTES §3.5, §3.10).
pub(crate) const AUTOPILOT_LABEL: &str = "ngpc.rxt.io/autopilotnodepool";

/// How long a class that failed stays out of the pack (emulator guess).
pub(crate) const COOLDOWN: std::time::Duration = std::time::Duration::from_secs(600);

/// How many `allocationsHistory` entries are kept (oldest dropped first).
const HISTORY_KEPT: usize = 100;

fn int_at(doc: &Value, ptr: &str) -> i64 {
    doc.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn dec(d: Decimal) -> String {
    d.normalize().to_string()
}

/// One `allocationsHistory` entry.
struct Event<'a> {
    class: &'a str,
    pool: &'a str,
    event: &'a str,
    reason: Option<String>,
    desired: i64,
    won: i64,
    bid: Option<String>,
}

impl Event<'_> {
    fn to_json(&self, now: DateTime<Utc>) -> Value {
        let mut e = json!({"time": ts(now), "serverClass": self.class,
            "spotNodePool": self.pool, "event": self.event,
            "desiredNodes": self.desired, "wonNodes": self.won});
        if let Some(r) = &self.reason {
            e["reason"] = json!(r);
        }
        if let Some(b) = &self.bid {
            e["bidPricePerHour"] = json!(b);
        }
        e
    }
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

    /// The status a new autopilot pool starts with.
    pub(super) fn initial_autopilot_status(doc: &Value, phases: AutopilotPhases) -> Value {
        json!({"phase": phases.names().0,
            "targetVCPUs": doc.pointer("/spec/vcpu/total").cloned().unwrap_or(json!(0)),
            "managedVCPUs": 0, "managedMemoryGB": "0", "allocations": [],
            "classStates": [], "allocationsHistory": []})
    }

    /// Reconciles an autopilot pool: observes its child pools, re-packs, writes its status.
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
        let total = int_at(&o.doc, "/spec/vcpu/total");
        let mut states: BTreeMap<String, Map<String, Value>> = o
            .doc
            .pointer("/status/classStates")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let class = str_at(s, "/serverClass")?.to_string();
                Some((class, s.as_object()?.clone()))
            })
            .collect();
        let mut history: Vec<Value> = o
            .doc
            .pointer("/status/allocationsHistory")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let before: BTreeMap<String, i64> = o
            .doc
            .pointer("/status/allocations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|a| {
                Some((
                    str_at(a, "/serverClass")?.to_string(),
                    int_at(a, "/wonNodes"),
                ))
            })
            .collect();

        // 1. Observe the child pools.
        for pk in self.autopilot_made_pools(&key.1, &key.2) {
            let Some(p) = self.objects.get(&pk) else {
                continue;
            };
            let class = str_at(&p.doc, "/spec/serverClass")
                .unwrap_or_default()
                .to_string();
            let desired = int_at(&p.doc, "/spec/desired");
            let won = int_at(&p.doc, "/status/wonCount");
            let settled = str_at(&p.doc, "/status/bidStatus").is_some_and(|s| s != "Pending");
            let state = states.entry(class.clone()).or_insert_with(|| {
                let mut m = Map::new();
                m.insert("serverClass".into(), json!(class));
                m.insert("lastOutcome".into(), json!("Pending"));
                m.insert("lastAttemptTime".into(), json!(ts(p.created)));
                m
            });
            if !settled {
                continue;
            }
            if won >= desired {
                state.insert("lastOutcome".into(), json!("Won"));
                state.remove("cooldownUntil");
                continue;
            }
            let outcome = if self.failing_classes.contains_key(&class) {
                "NoCapacity"
            } else if p.preempted > 0 {
                "Preempted"
            } else {
                "Outbid"
            };
            state.insert("lastOutcome".into(), json!(outcome));
            state.insert("lastAttemptTime".into(), json!(ts(now)));
            state.insert(
                "cooldownUntil".into(),
                json!(ts(now + chrono_dur(COOLDOWN))),
            );
        }
        let cooling: BTreeSet<String> = states
            .iter()
            .filter(|(_, s)| {
                s.get("cooldownUntil")
                    .and_then(Value::as_str)
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .is_some_and(|t| t.with_timezone(&Utc) > now)
            })
            .map(|(c, _)| c.clone())
            .collect();

        // 2. Pack.
        let cands = self.autopilot_candidates(&o.doc, &region, &cooling);
        let want: Option<BTreeMap<String, (Candidate, i64)>> = pack(total, &cands).map(|p| {
            p.into_iter()
                .map(|(i, n)| (cands[i].class.clone(), (cands[i].clone(), n)))
                .collect()
        });

        // 3. Carry it in child pools.
        let ceiling = o.doc.pointer("/spec/budgetPerHour").and_then(budget);
        let mut events: Vec<Value> = Vec::new();
        for pk in self.autopilot_made_pools(&key.1, &key.2) {
            let Some(p) = self.objects.get(&pk) else {
                continue;
            };
            let class = str_at(&p.doc, "/spec/serverClass")
                .unwrap_or_default()
                .to_string();
            let keep = match &want {
                Some(w) => w.contains_key(&class),
                None => !cooling.contains(&class),
            };
            if keep {
                continue;
            }
            let reason = if cooling.contains(&class) {
                let outcome = states
                    .get(&class)
                    .and_then(|s| s.get("lastOutcome"))
                    .and_then(Value::as_str)
                    .unwrap_or("failed");
                format!("class in cooldown after {outcome}")
            } else {
                "re-packed".to_string()
            };
            let _ = self.delete(pk.0, &pk.1, &pk.2, now);
            events.push(
                Event {
                    class: &class,
                    pool: &pk.2,
                    event: "Released",
                    reason: Some(reason),
                    desired: 0,
                    won: 0,
                    bid: None,
                }
                .to_json(now),
            );
        }
        for (class, (cand, nodes)) in want.iter().flatten() {
            let name = made_pool_name(key, class);
            let pool_key = (Kind::SpotNodePool, key.1.clone(), name.clone());
            let bid = dec(cand.bid);
            match self.objects.get(&pool_key).map(|p| p.doc.clone()) {
                Some(mut doc) => {
                    let current = str_at(&doc, "/spec/bidPrice").and_then(|b| b.parse().ok());
                    let floor = Store::bid_floor(self.class(class));
                    // Follow the market up, and never stay above a lowered ceiling.
                    let rebid = current
                        .is_none_or(|b: Decimal| b < floor || ceiling.is_some_and(|c| b > c));
                    let resized = doc.pointer("/spec/desired") != Some(&json!(nodes));
                    if !rebid && !resized {
                        continue;
                    }
                    let spec = obj_mut(&mut doc, "spec");
                    spec.insert("desired".into(), json!(nodes));
                    if rebid {
                        spec.insert("bidPrice".into(), json!(bid));
                    }
                    if self
                        .update(Kind::SpotNodePool, &key.1, &name, doc, false, now)
                        .is_ok()
                    {
                        let won = self
                            .get(Kind::SpotNodePool, &key.1, &name)
                            .map_or(0, |d| int_at(d, "/status/wonCount"));
                        for (happened, what) in [(resized, "Resized"), (rebid, "Rebid")] {
                            if happened {
                                events.push(
                                    Event {
                                        class,
                                        pool: &name,
                                        event: what,
                                        reason: None,
                                        desired: *nodes,
                                        won,
                                        bid: Some(bid.clone()),
                                    }
                                    .to_json(now),
                                );
                            }
                        }
                    }
                }
                None => {
                    let made = self.make_child_pool(key, &o.doc, &cs_name, cand, *nodes, now);
                    let state = states.entry(class.clone()).or_default();
                    state.insert("serverClass".into(), json!(class));
                    state.insert("lastAttemptTime".into(), json!(ts(now)));
                    state.remove("cooldownUntil");
                    match made {
                        Ok(()) => {
                            state.insert("lastOutcome".into(), json!("Pending"));
                            events.push(
                                Event {
                                    class,
                                    pool: &name,
                                    event: "Allocated",
                                    reason: None,
                                    desired: *nodes,
                                    won: 0,
                                    bid: Some(bid.clone()),
                                }
                                .to_json(now),
                            );
                        }
                        Err(_) => {
                            // The API refused the pool (e.g. the class became unavailable).
                            state.insert("lastOutcome".into(), json!("Refused"));
                            state.insert(
                                "cooldownUntil".into(),
                                json!(ts(now + chrono_dur(COOLDOWN))),
                            );
                        }
                    }
                }
            }
            self.tick_pool(&pool_key, now);
        }

        // 4. Status.
        let mut allocations = Vec::new();
        let (mut managed, mut memory, mut carried) = (0i64, Decimal::ZERO, 0i64);
        let mut settled = true;
        for pk in self.autopilot_made_pools(&key.1, &key.2) {
            let Some(p) = self.objects.get(&pk) else {
                continue;
            };
            let class = str_at(&p.doc, "/spec/serverClass").unwrap_or_default();
            let c = self.class(class);
            let cpu = c
                .and_then(|c| c.pointer("/spec/resources/cpu"))
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
                .unwrap_or(0);
            let mem = c
                .and_then(|c| str_at(c, "/spec/resources/memory"))
                .and_then(memory_gb)
                .unwrap_or_default();
            let market = c
                .and_then(|c| str_at(c, "/status/spotPricing/marketPricePerHour"))
                .and_then(|m| m.parse::<Decimal>().ok())
                .unwrap_or_default();
            let desired = int_at(&p.doc, "/spec/desired");
            let won = int_at(&p.doc, "/status/wonCount");
            managed += won * cpu;
            carried += desired * cpu;
            memory += mem * Decimal::from(won);
            settled &= won == desired;
            let bid = str_at(&p.doc, "/spec/bidPrice").unwrap_or_default();
            allocations.push(json!({"serverClass": class, "spotNodePool": pk.2,
                "marketPricePerHour": dec(market), "bidPricePerHour": bid,
                "vcpuPerNode": cpu, "memoryGBPerNode": dec(mem),
                "desiredNodes": desired, "wonNodes": won}));
            let was = before.get(class).copied().unwrap_or(0);
            if won != was {
                let event = if won > was { "NodesWon" } else { "NodesLost" };
                let reason = (won < was).then(|| {
                    states
                        .get(class)
                        .and_then(|s| s.get("lastOutcome"))
                        .and_then(Value::as_str)
                        .unwrap_or("lost")
                        .to_string()
                });
                events.push(
                    Event {
                        class,
                        pool: &pk.2,
                        event,
                        reason,
                        desired,
                        won,
                        bid: Some(bid.to_string()),
                    }
                    .to_json(now),
                );
            }
        }
        history.extend(events);
        if history.len() > HISTORY_KEPT {
            history.drain(..history.len() - HISTORY_KEPT);
        }
        let (working, done) = self.variants.autopilot_phases.names();
        let fulfilled = want.is_some() && settled && carried == total && managed == total;
        let mut doc = o.doc.clone();
        let status = obj_mut(&mut doc, "status");
        status.insert(
            "phase".into(),
            json!(if fulfilled { done } else { working }),
        );
        status.insert("targetVCPUs".into(), json!(total));
        status.insert("managedVCPUs".into(), json!(managed));
        status.insert("managedMemoryGB".into(), json!(dec(memory)));
        status.insert("allocations".into(), Value::Array(allocations));
        status.insert(
            "classStates".into(),
            Value::Array(states.into_values().map(Value::Object).collect()),
        );
        status.insert("allocationsHistory".into(), Value::Array(history));
        self.commit(key, doc);
    }

    /// Makes the child spot pool of `cand` with `nodes` nodes, labelled (or owned, per the
    /// `autopilot-owner` variant) as the autopilot pool's. The controller writes through the
    /// same checks as a client would.
    fn make_child_pool(
        &mut self,
        key: &Key,
        ap: &Value,
        cloudspace: &str,
        cand: &Candidate,
        nodes: i64,
        now: DateTime<Utc>,
    ) -> Result<(), crate::reply::Reply> {
        let (ns, owner) = (key.1.as_str(), key.2.as_str());
        let name = made_pool_name(key, &cand.class);
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
        let bid = cand.bid;
        let body = json!({"metadata": meta, "spec": {"cloudSpace": cloudspace,
            "serverClass": cand.class, "desired": nodes, "bidPrice": dec(bid)}});
        self.create(Kind::SpotNodePool, ns, body, now)?;
        if let Some(p) = self
            .objects
            .get_mut(&(Kind::SpotNodePool, ns.to_string(), name))
        {
            p.owner = Some(owner.to_string());
        }
        Ok(())
    }
}

/// The stable name of the pool an autopilot pool makes for a class (pool names are UUIDs).
fn made_pool_name(key: &Key, class: &str) -> String {
    stable_uuid(&format!("autopilot/{}/{}/{class}", key.1, key.2))
}
