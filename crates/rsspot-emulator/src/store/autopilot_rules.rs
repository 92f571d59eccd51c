//! The official rules of an autopilot node pool's spec (API-NOTES §9.4, read from the official
//! Go SDK and the Terraform provider): what create and update accept, and the defaults.
//! Every refusal is a 422 `Invalid` whose cause names the field.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{CLOUDSPACE_LABEL, Kind, Store, is_lowercase_uuid, obj_mut, str_at};
use crate::reply::Cause;

/// The accepted `memoryPerVCPU` values (GB per vCPU, or `any`).
pub(super) const MEMORY_PER_VCPU: [&str; 4] = ["any", "2", "4", "8"];
/// The accepted `allocationStrategy` values.
const STRATEGIES: [&str; 1] = ["LowestPrice"];
/// The accepted taint effects.
const EFFECTS: [&str; 3] = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

/// `budgetPerHour` as the service reads it: a string, a positive decimal with at most three
/// decimals (`^\d+(\.\d{1,3})?$`).
pub(super) fn budget(v: &Value) -> Option<Decimal> {
    let s = v.as_str()?;
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || !digits(frac) || frac.len() > 3 {
        return None;
    }
    s.parse::<Decimal>().ok().filter(|d| *d > Decimal::ZERO)
}

/// An optional integer field: `Ok(None)` when absent, `Err` when present but not an integer.
fn opt_int(doc: &Value, ptr: &str) -> Result<Option<i64>, ()> {
    match doc.pointer(ptr) {
        None => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or(()),
    }
}

/// Causes for a map whose values must all be strings.
fn string_map(spec: &Value, f: &str, causes: &mut Vec<Cause>) {
    let Some(v) = spec.get(f) else {
        return;
    };
    match v.as_object() {
        None => causes.push(Cause::invalid(
            &format!("spec.{f}"),
            v,
            "must be a map of strings",
        )),
        Some(m) => {
            for (k, x) in m {
                if !x.is_string() {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}.{k}"),
                        x,
                        "must be of type string",
                    ));
                }
            }
        }
    }
}

/// Causes for `customTaints`: a list of `{key, value?, effect}`.
fn taints(spec: &Value, causes: &mut Vec<Cause>) {
    let Some(v) = spec.get("customTaints") else {
        return;
    };
    let Some(list) = v.as_array() else {
        causes.push(Cause::invalid(
            "spec.customTaints",
            v,
            "must be a list of {key, value, effect}",
        ));
        return;
    };
    for (i, t) in list.iter().enumerate() {
        let at = |f: &str| format!("spec.customTaints[{i}].{f}");
        match t.get("key") {
            Some(Value::String(k)) if !k.is_empty() => {}
            None => causes.push(Cause::required(&at("key"))),
            Some(k) => causes.push(Cause::invalid(&at("key"), k, "must be a non-empty string")),
        }
        if let Some(x) = t.get("value")
            && !x.is_string()
        {
            causes.push(Cause::invalid(&at("value"), x, "must be of type string"));
        }
        match t.get("effect") {
            None => causes.push(Cause::required(&at("effect"))),
            Some(e) if e.as_str().is_some_and(|e| EFFECTS.contains(&e)) => {}
            Some(e) => causes.push(Cause::not_supported(&at("effect"), e, &EFFECTS)),
        }
    }
}

impl Store {
    /// The official rules of an autopilot pool's spec, on create (`old` is `None`) and update.
    pub(super) fn validate_autopilot(
        &self,
        ns: &str,
        name: &str,
        doc: &Value,
        old: Option<&Value>,
    ) -> Vec<Cause> {
        let mut causes = Vec::new();
        let spec = doc.get("spec").cloned().unwrap_or_else(|| json!({}));
        if old.is_none() && !is_lowercase_uuid(name) {
            causes.push(Cause::invalid(
                "metadata.name",
                &json!(name),
                "autopilot node pool names must be lowercase UUIDs (e.g. '0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c')",
            ));
        }
        let cs = match spec.get("cloudSpace") {
            None => {
                causes.push(Cause::required("spec.cloudSpace"));
                None
            }
            Some(Value::String(c)) if !c.is_empty() => {
                let cs = self.get(Kind::CloudSpace, ns, c);
                if cs.is_none() && old.is_none() {
                    causes.push(Cause::invalid(
                        "spec.cloudSpace",
                        &json!(c),
                        format!("cloudspace {c:?} does not exist in namespace {ns:?}"),
                    ));
                }
                cs
            }
            Some(v) => {
                causes.push(Cause::invalid(
                    "spec.cloudSpace",
                    v,
                    "must be a non-empty string",
                ));
                None
            }
        };
        match spec.get("region") {
            None => causes.push(Cause::required("spec.region")),
            Some(Value::String(r)) if !r.is_empty() => {
                let known = self
                    .regions()
                    .iter()
                    .any(|d| str_at(d, "/metadata/name") == Some(r.as_str()));
                let cs_region = cs.and_then(|c| str_at(c, "/spec/region"));
                if !known {
                    causes.push(Cause::invalid(
                        "spec.region",
                        &json!(r),
                        format!("region {r:?} does not exist"),
                    ));
                } else if let Some(cr) = cs_region.filter(|cr| *cr != r)
                    && old.is_none()
                {
                    causes.push(Cause::invalid(
                        "spec.region",
                        &json!(r),
                        format!("must be the region of the cloudspace ({cr:?})"),
                    ));
                }
            }
            Some(v) => causes.push(Cause::invalid(
                "spec.region",
                v,
                "must be a non-empty string",
            )),
        }
        match doc.pointer("/spec/vcpu/total") {
            None => causes.push(Cause::required("spec.vcpu.total")),
            Some(v) if v.as_i64().is_some_and(|t| t >= 1) => {}
            Some(v) => causes.push(Cause::invalid(
                "spec.vcpu.total",
                v,
                "must be a positive integer",
            )),
        }
        let min = opt_int(doc, "/spec/vcpuPerNode/min");
        let max = opt_int(doc, "/spec/vcpuPerNode/max");
        for (f, v) in [("min", min), ("max", max)] {
            let ptr = format!("/spec/vcpuPerNode/{f}");
            let bad = match v {
                Err(()) => true,
                Ok(Some(n)) => n < 1,
                Ok(None) => false,
            };
            if bad {
                causes.push(Cause::invalid(
                    &format!("spec.vcpuPerNode.{f}"),
                    doc.pointer(&ptr).unwrap_or(&Value::Null),
                    "must be a positive integer",
                ));
            }
        }
        if let (Ok(Some(lo)), Ok(Some(hi))) = (min, max)
            && lo > hi
        {
            causes.push(Cause::invalid(
                "spec.vcpuPerNode.max",
                &json!(hi),
                format!("must be greater than or equal to vcpuPerNode.min ({lo})"),
            ));
        }
        if let Some(m) = spec.get("memoryPerVCPU")
            && !m.as_str().is_some_and(|m| MEMORY_PER_VCPU.contains(&m))
        {
            causes.push(Cause::not_supported(
                "spec.memoryPerVCPU",
                m,
                &MEMORY_PER_VCPU,
            ));
        }
        match spec.get("budgetPerHour") {
            None => causes.push(Cause::required("spec.budgetPerHour")),
            Some(b) if !b.is_string() => causes.push(Cause::invalid(
                "spec.budgetPerHour",
                b,
                "spec.budgetPerHour in body must be of type string",
            )),
            Some(b) if budget(b).is_none() => causes.push(Cause::invalid(
                "spec.budgetPerHour",
                b,
                "budgetPerHour can only be a positive number up to three decimal places",
            )),
            Some(_) => {}
        }
        if let Some(s) = spec.get("allocationStrategy")
            && !s.as_str().is_some_and(|s| STRATEGIES.contains(&s))
        {
            causes.push(Cause::not_supported(
                "spec.allocationStrategy",
                s,
                &STRATEGIES,
            ));
        }
        string_map(&spec, "customLabels", &mut causes);
        string_map(&spec, "customAnnotations", &mut causes);
        taints(&spec, &mut causes);
        if let Some(old) = old {
            for f in ["region", "cloudSpace"] {
                let ptr = format!("/spec/{f}");
                if old.pointer(&ptr) != doc.pointer(&ptr) {
                    causes.push(Cause::invalid(
                        &format!("spec.{f}"),
                        doc.pointer(&ptr).unwrap_or(&Value::Null),
                        "field is immutable",
                    ));
                }
            }
        }
        causes
    }

    /// Defaults (`memoryPerVCPU: any`, `allocationStrategy: LowestPrice`) and the cloudspace
    /// label create sets.
    pub(super) fn default_autopilot(doc: &mut Value) {
        let spec = obj_mut(doc, "spec");
        spec.entry("memoryPerVCPU").or_insert(json!("any"));
        spec.entry("allocationStrategy")
            .or_insert(json!("LowestPrice"));
        let Some(cs) = str_at(doc, "/spec/cloudSpace").map(String::from) else {
            return;
        };
        let meta = obj_mut(doc, "metadata");
        let labels = meta.entry("labels").or_insert_with(|| json!({}));
        if !labels.is_object() {
            *labels = json!({});
        }
        if let Value::Object(l) = labels {
            l.insert(CLOUDSPACE_LABEL.into(), json!(cs));
        }
    }
}
