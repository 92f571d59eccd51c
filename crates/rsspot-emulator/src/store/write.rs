//! Writes: create, update (PUT and patched documents), delete and delete-collection.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::{
    CLOUDSPACE_LABEL, Key, Kind, Obj, Requirement, Store, chrono_dur, is_lowercase_uuid,
    is_rfc1123_label, obj_mut, str_at, strip_nulls, ts,
};
use crate::reply::{self, Cause, Reply};
use crate::variants::{CascadeDelete, DeleteReturns, Phases};

impl Store {
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
        let mut findings = self.validate(kind, ns, &name, &doc, None);
        causes.append(&mut findings.causes);
        findings.causes = causes;
        if let Some(r) = findings.into_reply(kind, &name, self.variants.webhook_denial) {
            return Err(r);
        }

        if kind == Kind::CloudSpace {
            doc["status"] = match self.variants.phases {
                Phases::Extended => json!({"phase": "Provisioning", "health": "Unknown",
                    "reason": "waiting for control plane"}),
                Phases::Basic => {
                    json!({"health": "Unknown", "reason": "waiting for control plane"})
                }
            };
        } else if let Some(status) =
            Store::initial_vm_status(kind, &doc, self.variants.autopilot_phases)
        {
            doc["status"] = status;
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
                managed: true,
                owner: None,
                preempted: 0,
            },
        );
        self.event(ns, now, format!("{} {name} created", kind.name()));
        self.after_vm_write(kind, ns, &doc);
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
    pub(super) fn default_and_label(&self, kind: Kind, doc: &mut Value) {
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
            Kind::VmCloudSpace | Kind::VmPool | Kind::VmSshKey | Kind::AutopilotNodePool => {
                self.default_vm(kind, doc);
            }
        }
    }

    /// Schema, reference and immutability checks of a (new or updated) object.
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
        if matches!(kind, Kind::CloudSpace | Kind::VmCloudSpace) {
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
        let findings = self.validate(kind, ns, name, &doc, Some(&old));
        if let Some(r) = findings.into_reply(kind, name, self.variants.webhook_denial) {
            return Err(r);
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
            let new_v = doc.pointer("/spec/kubernetesVersion").cloned();
            if ready && new_v.as_ref() != old_v && self.variants.phases == Phases::Basic {
                // No phase to show an upgrade in: it is done at once.
                let status = obj_mut(&mut doc, "status");
                status.insert("currentKubernetesVersion".into(), new_v.unwrap_or_default());
            } else if ready && new_v.as_ref() != old_v {
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
        let spec_changed = doc.get("spec") != old.get("spec");
        self.commit(&key, doc);
        if spec_changed && let Some(o) = self.objects.get_mut(&key) {
            // A changed pool is a new bid: whatever was preempted is bid for again.
            o.preempted = 0;
        }
        if kind.is_pool()
            && let Some(cs) = str_at(&old, "/spec/cloudSpace")
        {
            self.sync_cloudspace(ns, cs);
        }
        self.after_vm_write(kind, ns, &old);
        Ok(self.get(kind, ns, name).cloned().unwrap_or(Value::Null))
    }

    /// Deletes one object. Cloudspaces go through `Deleting` (with the extended phases) unless
    /// `delete_after` is zero. The answer is a `Status` or the object, per `delete-returns`.
    pub(crate) fn delete(
        &mut self,
        kind: Kind,
        ns: &str,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Reply, Reply> {
        let key = (kind, ns.to_string(), name.to_string());
        let Some(obj) = self.objects.get(&key).cloned() else {
            return Err(reply::not_found(kind.plural(), name));
        };
        let gradual = self.variants.phases == Phases::Extended
            && kind == Kind::CloudSpace
            && !self.lifecycle.delete_after.is_zero();
        let mut last = obj.doc.clone();
        if !gradual {
            self.remove(&key, now);
        } else if obj.delete_due.is_none() {
            let due = now + chrono_dur(self.lifecycle.delete_after);
            let status = obj_mut(&mut last, "status");
            status.insert("phase".into(), json!("Deleting"));
            status.insert("reason".into(), json!("deletion requested"));
            if let Some(o) = self.objects.get_mut(&key) {
                o.delete_due = Some(due);
            }
            let mut doc = last.clone();
            obj_mut(&mut doc, "metadata").insert("deletionTimestamp".into(), json!(ts(now)));
            self.commit(&key, doc);
            last = self.get(kind, ns, name).cloned().unwrap_or(last);
            self.event(ns, now, format!("CloudSpace {name} deleting"));
        }
        Ok(match self.variants.delete_returns {
            DeleteReturns::Status => {
                let uid = str_at(&last, "/metadata/uid");
                reply::delete_success(kind.plural(), Some(name), uid)
            }
            DeleteReturns::Object => {
                let meta = obj_mut(&mut last, "metadata");
                if !meta.contains_key("deletionTimestamp") {
                    meta.insert("deletionTimestamp".into(), json!(ts(now)));
                }
                Reply::json(200, &last)
            }
        })
    }

    /// Removes an object for good; a cloudspace takes its pools with it only under
    /// `cascade-delete=yes` (otherwise they stay, fulfilled and billed).
    pub(super) fn remove(&mut self, key: &Key, now: DateTime<Utc>) {
        let Some(obj) = self.objects.remove(key) else {
            return;
        };
        self.rv += 1;
        let (kind, ns, name) = key;
        self.event(ns, now, format!("{} {name} deleted", kind.name()));
        match kind {
            Kind::CloudSpace if self.variants.cascade_delete == CascadeDelete::Yes => {
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
            Kind::VmCloudSpace if self.variants.cascade_delete == CascadeDelete::Yes => {
                for p in self.vm_pools_of(ns, name) {
                    self.objects.remove(&p);
                    self.event(ns, now, format!("VMPool {} deleted", p.2));
                }
            }
            Kind::VmPool => self.after_vm_write(Kind::VmPool, ns, &obj.doc),
            Kind::AutopilotNodePool => {
                // The pools it made go with it (ownerReference garbage collection or the
                // controller's finalizer: either way nothing it made is left billed).
                for p in self.autopilot_made_pools(ns, name) {
                    self.remove(&p, now);
                }
            }
            Kind::CloudSpace | Kind::VmCloudSpace | Kind::VmSshKey => {}
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
}
