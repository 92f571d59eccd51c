//! The lifecycle, evaluated lazily against the clock: readiness, fulfilment, upgrades,
//! deletion, and the cloudspace's `NoWinningBids` / `Error` phases.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::{Key, Kind, Store, chrono_dur, obj_mut, stable_uuid, str_at, ts};
use crate::variants::Phases;

impl Store {
    /// Puts a cloudspace into the `Error` phase (extended phases) or marks it `Unhealthy`
    /// (basic phases); false when it does not exist.
    pub(crate) fn break_cloudspace(&mut self, ns: &str, name: &str, reason: &str) -> bool {
        let key = (Kind::CloudSpace, ns.to_string(), name.to_string());
        let Some(mut doc) = self.objects.get(&key).map(|o| o.doc.clone()) else {
            return false;
        };
        let status = obj_mut(&mut doc, "status");
        if self.variants.phases == Phases::Extended {
            status.insert("phase".into(), json!("Error"));
        }
        status.insert("health".into(), json!("Unhealthy"));
        status.insert("reason".into(), json!(reason));
        self.commit(&key, doc);
        true
    }

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
                let endpoint = match &self.cluster_authority {
                    Some(a) => crate::cluster_api::endpoint(a, &key.1, &key.2),
                    None => format!(
                        "hcp-{}.{region}.spot.rackspace.com",
                        &uid[..8.min(uid.len())]
                    ),
                };
                let status = obj_mut(&mut doc, "status");
                status.insert("reason".into(), json!(""));
                status.insert("APIServerEndpoint".into(), json!(endpoint));
                status.insert(
                    "currentKubernetesVersion".into(),
                    version.unwrap_or(Value::Null),
                );
                // Here, to keep the key order clients have always seen.
                status.insert("firstReadyTimestamp".into(), json!(ts(ready_due)));
                status.insert("cloudspaceClassName".into(), json!("gen2-default"));
                status.insert("pendingAllocations".into(), json!({}));
                self.commit_ready(key, doc, ready_due, "ControlPlaneReady");
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
        self.tick_vm(now);
        for key in &cloudspaces {
            self.sync_cloudspace(&key.1, &key.2);
            if self.variants.phases == Phases::Extended {
                self.no_winning_bids(key);
            }
        }
    }

    /// Marks a (VM) cloudspace `Ready` and `Healthy` as of `at`, with its `Ready` condition,
    /// and records the event.
    pub(super) fn commit_ready(
        &mut self,
        key: &Key,
        mut doc: Value,
        at: DateTime<Utc>,
        reason: &str,
    ) {
        let t = ts(at);
        let status = obj_mut(&mut doc, "status");
        status.insert("phase".into(), json!("Ready"));
        status.insert("health".into(), json!("Healthy"));
        status.insert("reason".into(), json!(""));
        status.insert("firstReadyTimestamp".into(), json!(t));
        status.insert(
            "conditions".into(),
            json!([{"type": "Ready", "status": "True", "lastTransitionTime": t,
                "reason": reason, "message": ""}]),
        );
        if let Some(obj) = self.objects.get_mut(key) {
            obj.ready_at = Some(at);
        }
        self.commit(key, doc);
        self.event(&key.1, at, format!("{} {} is Ready", key.0.name(), key.2));
    }

    /// `Ready` ⇄ `NoWinningBids`: a serving cloudspace whose spot pools all lost their bids (and
    /// that has no on-demand pool) has nothing to run on.
    fn no_winning_bids(&mut self, key: &Key) {
        let Some(doc) = self.objects.get(key).map(|o| o.doc.clone()) else {
            return;
        };
        let phase = str_at(&doc, "/status/phase");
        if !matches!(phase, Some("Ready" | "NoWinningBids")) {
            return;
        }
        let pools: Vec<(Kind, Option<&str>)> = self
            .objects
            .iter()
            .filter(|((k, n, _), o)| {
                k.is_pool() && *n == key.1 && str_at(&o.doc, "/spec/cloudSpace") == Some(&key.2)
            })
            .map(|((k, _, _), o)| (*k, str_at(&o.doc, "/status/bidStatus")))
            .collect();
        let starving = !pools.is_empty()
            && pools
                .iter()
                .all(|(k, bid)| *k == Kind::SpotNodePool && *bid == Some("Lost"));
        let want = if starving { "NoWinningBids" } else { "Ready" };
        if phase != Some(want) {
            let mut doc = doc;
            let status = obj_mut(&mut doc, "status");
            status.insert("phase".into(), json!(want));
            let (health, reason) = if starving {
                ("Degraded", "no spot bid of the cloudspace is winning")
            } else {
                ("Healthy", "")
            };
            status.insert("health".into(), json!(health));
            status.insert("reason".into(), json!(reason));
            self.commit(key, doc);
        }
    }

    pub(super) fn tick_pool(&mut self, key: &Key, now: DateTime<Utc>) {
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
                let failing = str_at(&o.doc, "/spec/serverClass")
                    .is_some_and(|c| self.failing_classes.contains_key(c));
                let won = !spot || (self.bid_wins(&o.doc) && !failing);
                let count = if won {
                    (desired - o.preempted).max(0)
                } else {
                    0
                };
                let status = obj_mut(&mut doc, "status");
                status.insert(
                    status_key.into(),
                    json!(if won && (count > 0 || desired == 0) {
                        "Fulfilled"
                    } else {
                        "Lost"
                    }),
                );
                status.insert(count_key.into(), json!(count));
            }
            _ => {
                let status = obj_mut(&mut doc, "status");
                status.entry(status_key).or_insert(json!("Pending"));
            }
        }
        self.commit(key, doc);
    }

    /// Whether a spot pool's bid is at or above its class's market price.
    pub(super) fn bid_wins(&self, pool: &Value) -> bool {
        let bid = str_at(pool, "/spec/bidPrice").and_then(|b| b.parse::<Decimal>().ok());
        let market = str_at(pool, "/spec/serverClass")
            .and_then(|c| self.class(c))
            .and_then(|c| str_at(c, "/status/spotPricing/marketPricePerHour"))
            .and_then(|m| m.parse::<Decimal>().ok());
        matches!((bid, market), (Some(b), Some(m)) if b >= m)
    }

    /// Brings a cloudspace's `bidRequests`, `onDemandRequests`, `status.bids` and
    /// `status.assignedServers` in line with its pools.
    pub(super) fn sync_cloudspace(&mut self, ns: &str, cs: &str) {
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
            Some("Ready" | "Upgrading" | "Deleting" | "NoWinningBids" | "Error")
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
