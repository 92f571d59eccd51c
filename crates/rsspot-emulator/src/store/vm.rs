//! The VM kinds (SSH keys, VM cloudspaces, VM pools) and autopilot node pools: validation,
//! initial status and lifecycles. A VM pool's VMs appear in its VM cloudspace's
//! `assignedServers` as they are won; an SSH key's fingerprint is computed; an autopilot pool
//! turns its vCPU budget into allocations once its cloudspace is ready.
//!
//! Only objects created through the API (`managed`) move: the seeded inventory stays as seeded.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use super::validate::region_mismatch;
use super::{Key, Kind, Store, chrono_dur, is_lowercase_uuid, is_rfc1123_label, obj_mut, str_at};
use crate::bids::{self, BidRefusal};
use crate::reply::Cause;
use crate::variants::{AutopilotPhases, BidRules, VmImage, VmOnDemandBid};

/// The label linking a VM pool to its VM cloudspace.
pub(crate) const VMCLOUDSPACE_LABEL: &str = "ngpc.rxt.io/vmcloudspace";

const POOL_TYPES: [&str; 2] = ["spot", "ondemand"];

fn rfc1123_cause(name: &str) -> Cause {
    Cause::invalid(
        "metadata.name",
        &json!(name),
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', \
         and must start and end with an alphanumeric character",
    )
}

impl Store {
    /// Schema, reference and immutability checks of the VM kinds and autopilot pools.
    pub(super) fn validate_vm(
        &self,
        kind: Kind,
        ns: &str,
        name: &str,
        doc: &Value,
        old: Option<&Value>,
    ) -> (Vec<Cause>, Vec<String>) {
        let mut causes = Vec::new();
        let mut denials = Vec::new();
        let spec = doc.get("spec").cloned().unwrap_or_else(|| json!({}));
        let text = |f: &str| {
            spec.get(f)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let immutable = |f: &str, causes: &mut Vec<Cause>| {
            if let Some(old) = old {
                let ptr = format!("/spec/{f}");
                if old.pointer(&ptr) != doc.pointer(&ptr) {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        doc.pointer(&ptr).unwrap_or(&Value::Null),
                        "field is immutable",
                    ));
                }
            }
        };
        let new = old.is_none();
        match kind {
            Kind::VmSshKey => {
                if new && !is_rfc1123_label(name) {
                    causes.push(rfc1123_cause(name));
                }
                match text("publicKey") {
                    None => causes.push(Cause::required("spec.publicKey")),
                    Some(k) => {
                        if let Err(e) = ssh_fingerprint(k) {
                            causes.push(Cause::invalid("spec.publicKey", &json!("<key>"), &e));
                        }
                    }
                }
                immutable("publicKey", &mut causes);
            }
            Kind::VmCloudSpace => {
                if new && !is_rfc1123_label(name) {
                    causes.push(rfc1123_cause(name));
                }
                match text("region") {
                    None => causes.push(Cause::required("spec.region")),
                    Some(r) => {
                        let known = self
                            .regions()
                            .iter()
                            .any(|d| str_at(d, "/metadata/name") == Some(r));
                        if new && !known {
                            denials.push(format!("region {r:?} does not exist"));
                        }
                    }
                }
                let key_name = doc
                    .pointer("/spec/vmSshKeyRef/name")
                    .and_then(Value::as_str);
                match key_name {
                    None | Some("") => causes.push(Cause::required("spec.vmSshKeyRef.name")),
                    Some(k) if new => {
                        let key_ns = doc
                            .pointer("/spec/vmSshKeyRef/namespace")
                            .and_then(Value::as_str)
                            .unwrap_or(ns);
                        if self.get(Kind::VmSshKey, key_ns, k).is_none() {
                            denials.push(format!(
                                "vmsshkey {k:?} does not exist in namespace {key_ns:?}"
                            ));
                        }
                    }
                    Some(_) => {}
                }
                immutable("region", &mut causes);
                immutable("vmSshKeyRef", &mut causes);
            }
            Kind::VmPool => {
                if new && !is_lowercase_uuid(name) {
                    causes.push(Cause::invalid(
                        "metadata.name",
                        &json!(name),
                        "vm pool names must be lowercase UUIDs",
                    ));
                }
                let pool_type = text("poolType").unwrap_or("spot");
                if !POOL_TYPES.contains(&pool_type) {
                    causes.push(Cause::invalid(
                        "spec.poolType",
                        &json!(pool_type),
                        "supported values: \"spot\", \"ondemand\"",
                    ));
                }
                match spec.get("desired") {
                    Some(Value::Number(n)) if n.as_i64().is_some_and(|d| d >= 0) => {}
                    None => causes.push(Cause::required("spec.desired")),
                    Some(v) => causes.push(Cause::invalid(
                        "spec.desired",
                        v,
                        "must be a non-negative integer",
                    )),
                }
                if let Some(data) = text("vmUserData")
                    && base64::engine::general_purpose::STANDARD
                        .decode(data)
                        .is_err()
                {
                    causes.push(Cause::invalid(
                        "spec.vmUserData",
                        &json!("<data>"),
                        "must be base64-encoded",
                    ));
                }
                let vmcs = text("vmCloudSpace");
                let cs = vmcs.and_then(|c| self.get(Kind::VmCloudSpace, ns, c));
                match vmcs {
                    None => causes.push(Cause::required("spec.vmCloudSpace")),
                    Some(c) if cs.is_none() => denials.push(format!(
                        "vmcloudspace {c:?} does not exist in namespace {ns:?}"
                    )),
                    Some(_) => {}
                }
                let class = text("serverClass").and_then(|c| self.class(c));
                match (text("serverClass"), class) {
                    (None, _) => causes.push(Cause::required("spec.serverClass")),
                    (Some(c), None) => denials.push(format!("server class {c:?} does not exist")),
                    (Some(c), Some(class)) => {
                        denials.extend(region_mismatch(c, class, cs, "vmcloudspace"));
                    }
                }
                match (
                    pool_type,
                    spec.get("bidPrice"),
                    self.variants.vm_ondemand_bid,
                ) {
                    ("spot", bid, _) => {
                        self.check_bid_field(bid, class, &mut causes, &mut denials);
                    }
                    (_, Some(v), VmOnDemandBid::Refused) => causes.push(Cause::invalid(
                        "spec.bidPrice",
                        v,
                        "an ondemand pool takes no bid",
                    )),
                    (_, None, VmOnDemandBid::Required) => {
                        causes.push(Cause::required("spec.bidPrice"));
                    }
                    (_, Some(v), VmOnDemandBid::Required | VmOnDemandBid::Ignored) => {
                        let well_formed = v.as_str().is_some_and(|b| {
                            bids::check(b, Decimal::ZERO, BidRules::Decimals).is_ok()
                        });
                        if !well_formed {
                            causes.push(Cause::invalid(
                                "spec.bidPrice",
                                v,
                                BidRefusal::Format.message(&v.to_string()),
                            ));
                        }
                    }
                    (_, None, _) => {}
                }
                if self.variants.vm_image == VmImage::Required && text("vmImage").is_none() {
                    causes.push(Cause::required("spec.vmImage"));
                }
                for f in [
                    "vmCloudSpace",
                    "serverClass",
                    "poolType",
                    "vmImage",
                    "vmUserData",
                ] {
                    immutable(f, &mut causes);
                }
            }
            Kind::AutopilotNodePool => {
                causes.extend(self.validate_autopilot(ns, name, doc, old));
            }
            Kind::CloudSpace | Kind::SpotNodePool | Kind::OnDemandNodePool => {}
        }
        (causes, denials)
    }

    /// Defaults and server-maintained labels of the VM kinds and autopilot pools.
    pub(super) fn default_vm(&self, kind: Kind, doc: &mut Value) {
        let link = match kind {
            Kind::VmPool => {
                let spec = obj_mut(doc, "spec");
                spec.entry("poolType").or_insert(json!("spot"));
                if self.variants.vm_image == VmImage::Optional {
                    spec.entry("vmImage").or_insert(json!("ubuntu24.04"));
                }
                str_at(doc, "/spec/vmCloudSpace").map(|c| (VMCLOUDSPACE_LABEL, c.to_string()))
            }
            Kind::AutopilotNodePool => {
                Store::default_autopilot(doc);
                None
            }
            _ => None,
        };
        if let Some((label, value)) = link {
            let meta = obj_mut(doc, "metadata");
            let labels = meta
                .entry("labels")
                .or_insert_with(|| Value::Object(Map::new()));
            if !labels.is_object() {
                *labels = json!({});
            }
            if let Value::Object(l) = labels {
                l.insert(label.into(), json!(value));
            }
        }
    }

    /// The status a new object of a VM kind starts with.
    pub(super) fn initial_vm_status(
        kind: Kind,
        doc: &Value,
        phases: AutopilotPhases,
    ) -> Option<Value> {
        match kind {
            Kind::VmSshKey => {
                let key = str_at(doc, "/spec/publicKey").unwrap_or_default();
                let fp = ssh_fingerprint(key).ok();
                Some(json!({"fingerprint": fp, "validated": fp.is_some()}))
            }
            Kind::VmCloudSpace => Some(json!({"phase": "Provisioning", "health": "Unknown",
                "reason": "provisioning the VM cloudspace", "bids": {}, "assignedServers": {}})),
            Kind::VmPool => Some(json!({"bidStatus": "Pending", "wonCount": 0})),
            Kind::AutopilotNodePool => Some(Store::initial_autopilot_status(doc, phases)),
            _ => None,
        }
    }

    /// Brings what depends on a written VM object in line (a pool's VM cloudspace).
    pub(super) fn after_vm_write(&mut self, kind: Kind, ns: &str, doc: &Value) {
        match kind {
            Kind::VmPool => {
                if let Some(cs) = str_at(doc, "/spec/vmCloudSpace").map(String::from) {
                    self.sync_vmcloudspace(ns, &cs);
                }
            }
            Kind::VmCloudSpace => {
                if let Some(name) = str_at(doc, "/metadata/name").map(String::from) {
                    self.sync_vmcloudspace(ns, &name);
                }
            }
            _ => {}
        }
    }

    /// The VM pools of a VM cloudspace (for a cascading delete).
    pub(super) fn vm_pools_of(&self, ns: &str, cs: &str) -> Vec<Key> {
        self.objects
            .iter()
            .filter(|((k, n, _), o)| {
                *k == Kind::VmPool && n == ns && str_at(&o.doc, "/spec/vmCloudSpace") == Some(cs)
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Advances the managed VM cloudspaces, VM pools and autopilot pools.
    pub(super) fn tick_vm(&mut self, now: DateTime<Utc>) {
        let keys: Vec<Key> = self
            .objects
            .iter()
            .filter(|(k, o)| {
                o.managed
                    && matches!(
                        k.0,
                        Kind::VmCloudSpace | Kind::VmPool | Kind::AutopilotNodePool
                    )
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in keys.iter().filter(|k| k.0 == Kind::VmCloudSpace) {
            let Some(o) = self.objects.get(key).cloned() else {
                continue;
            };
            let due = o.created + chrono_dur(self.lifecycle.cloudspace_ready_after);
            if o.ready_at.is_none() && now >= due {
                self.commit_ready(key, o.doc.clone(), due, "VMCloudSpaceReady");
            }
        }
        for key in keys.iter().filter(|k| k.0 == Kind::VmPool) {
            self.tick_vm_pool(key, now);
        }
        for key in keys.iter().filter(|k| k.0 == Kind::AutopilotNodePool) {
            self.tick_autopilot(key, now);
        }
        for key in keys.iter().filter(|k| k.0 == Kind::VmCloudSpace) {
            self.sync_vmcloudspace(&key.1, &key.2);
        }
    }

    fn tick_vm_pool(&mut self, key: &Key, now: DateTime<Utc>) {
        let Some(o) = self.objects.get(key).cloned() else {
            return;
        };
        let cs_ready = str_at(&o.doc, "/spec/vmCloudSpace")
            .and_then(|cs| {
                self.objects
                    .get(&(Kind::VmCloudSpace, key.1.clone(), cs.to_string()))
            })
            .and_then(|cs| cs.ready_at);
        let due =
            cs_ready.map(|r| r.max(o.created) + chrono_dur(self.lifecycle.pool_fulfilled_after));
        if due.is_none_or(|d| now < d) {
            return;
        }
        let desired = o
            .doc
            .pointer("/spec/desired")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let won = str_at(&o.doc, "/spec/poolType") == Some("ondemand") || self.bid_wins(&o.doc);
        let mut doc = o.doc.clone();
        let status = obj_mut(&mut doc, "status");
        status.insert(
            "bidStatus".into(),
            json!(if won { "Fulfilled" } else { "Lost" }),
        );
        status.insert("wonCount".into(), json!(if won { desired } else { 0 }));
        self.commit(key, doc);
    }

    /// `bidRequests` and `assignedServers` of a managed VM cloudspace from its pools.
    fn sync_vmcloudspace(&mut self, ns: &str, cs: &str) {
        let key = (Kind::VmCloudSpace, ns.to_string(), cs.to_string());
        let Some(o) = self.objects.get(&key) else {
            return;
        };
        if !o.managed {
            return;
        }
        let mut bids = Vec::new();
        let mut bid_map = Map::new();
        let mut servers = Map::new();
        let mut failed = Vec::new();
        for ((kind, n, name), p) in &self.objects {
            if *kind != Kind::VmPool || n != ns || str_at(&p.doc, "/spec/vmCloudSpace") != Some(cs)
            {
                continue;
            }
            bids.push(json!(name));
            let won = p
                .doc
                .pointer("/status/wonCount")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            let pool_type = str_at(&p.doc, "/spec/poolType").unwrap_or("spot");
            bid_map.insert(
                name.clone(),
                json!({"bidName": name, "type": pool_type, "wonCount": won}),
            );
            let class = str_at(&p.doc, "/spec/serverClass").unwrap_or_default();
            let resources = self.class(class).and_then(|c| c.pointer("/spec/resources"));
            let cpu = resources
                .and_then(|r| r.get("cpu").cloned())
                .unwrap_or(json!(""));
            let memory = resources
                .and_then(|r| r.get("memory").cloned())
                .unwrap_or(json!(""));
            let error = self.failing_classes.get(class);
            for i in 0..won.max(0) {
                let id = super::stable_uuid(&format!("vm/{ns}/{name}/{i}"));
                let digest = super::stable_uuid(&format!("ip/{id}"));
                let octet = u8::from_str_radix(&digest[..2], 16).unwrap_or(10);
                let mut server = json!({"serverName": id,
                    "displayName": format!("{cs}-{}-{i}", &name[..8]),
                    "ipAddress": format!("10.42.{}.{}", i % 250, octet.max(2)),
                    "nodePoolName": name, "serverClassName": class, "cpu": cpu,
                    "memory": memory, "serverType": pool_type, "state": "Ready"});
                if let Some(e) = error {
                    server["state"] = json!("Failed");
                    server["error"] = json!(e);
                    failed.push(format!("server {id} failed: {e}"));
                }
                servers.insert(id, server);
            }
        }
        let mut doc = o.doc.clone();
        obj_mut(&mut doc, "spec").insert("bidRequests".into(), Value::Array(bids));
        let status = obj_mut(&mut doc, "status");
        status.insert("bids".into(), Value::Object(bid_map));
        status.insert("assignedServers".into(), Value::Object(servers));
        let (health, reason) = match (o.ready_at, failed.first()) {
            (None, _) => ("Unknown", "provisioning the VM cloudspace".to_string()),
            (Some(_), Some(first)) => ("Degraded", first.clone()),
            (Some(_), None) => ("Healthy", String::new()),
        };
        status.insert("health".into(), json!(health));
        status.insert("reason".into(), json!(reason));
        self.commit(&key, doc);
    }
}

/// The server's own reading of an OpenSSH public key line: `SHA256:` and the unpadded base64
/// of the SHA-256 of the key blob, or why the line is refused. Stated here, not borrowed from
/// the client, so a wrong client rule fails a test instead of being mirrored.
fn ssh_fingerprint(line: &str) -> Result<String, String> {
    let mut parts = line.split_whitespace();
    let (Some(algo), Some(data)) = (parts.next(), parts.next()) else {
        return Err("must be \"<type> <base64> [comment]\"".into());
    };
    let known = algo.starts_with("ssh-") || algo.starts_with("ecdsa-") || algo.starts_with("sk-");
    let blob = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|_| "key data is not base64".to_string())?;
    let len = blob
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let inner = len.and_then(|l| blob.get(4..4 + l));
    if !known || inner != Some(algo.as_bytes()) {
        return Err(format!("not a valid {algo} public key"));
    }
    let digest = sha2::Sha256::digest(&blob);
    Ok(format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(digest)
    ))
}
