//! What an autopilot pool asks for, in the official SDK's shape (API-NOTES §9.4): the typed
//! values, their local checks and the bodies they become.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use super::super::node_pools::{CLOUDSPACE_LABEL, Taint};
use super::super::{check_dns_label, check_uuid_name};
use crate::error::{Error, Result};
use crate::raw::types::{
    AutopilotNodePool, AutopilotNodePoolSpec, AutopilotNodePoolSpecCustomTaintsItem,
    AutopilotNodePoolSpecVcpu, AutopilotNodePoolSpecVcpuPerNode, ObjectMeta,
};

/// Memory per vCPU (`spec.memoryPerVCPU`): the service takes `any`, `2`, `4` or `8` (GB per vCPU).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum MemoryPerVcpu {
    /// Any ratio (the service's default).
    #[default]
    Any,
    /// 2 GB per vCPU.
    Gb2,
    /// 4 GB per vCPU.
    Gb4,
    /// 8 GB per vCPU.
    Gb8,
}

impl MemoryPerVcpu {
    /// Every value, in the service's order.
    pub const ALL: [MemoryPerVcpu; 4] = [Self::Any, Self::Gb2, Self::Gb4, Self::Gb8];

    /// The value on the wire (`any`, `2`, `4`, `8`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Gb2 => "2",
            Self::Gb4 => "4",
            Self::Gb8 => "8",
        }
    }

    /// GB per vCPU, `None` for [`MemoryPerVcpu::Any`].
    pub fn gb(self) -> Option<u32> {
        match self {
            Self::Any => None,
            Self::Gb2 => Some(2),
            Self::Gb4 => Some(4),
            Self::Gb8 => Some(8),
        }
    }
}

impl fmt::Display for MemoryPerVcpu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MemoryPerVcpu {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(
                    "memoryPerVCPU",
                    format!("{s:?} is not a memory ratio the service takes: any, 2, 4 or 8 (GB per vCPU)"),
                )
            })
    }
}

/// How the service picks server classes (`spec.allocationStrategy`); it takes only `LowestPrice`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum AllocationStrategy {
    /// The cheapest qualifying classes first.
    #[default]
    LowestPrice,
}

impl AllocationStrategy {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        "LowestPrice"
    }
}

impl fmt::Display for AllocationStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AllocationStrategy {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        if s == "LowestPrice" {
            Ok(Self::LowestPrice)
        } else {
            Err(Error::invalid(
                "allocationStrategy",
                format!("{s:?} is not an allocation strategy the service takes: LowestPrice"),
            ))
        }
    }
}

/// Checks `spec.budgetPerHour`: positive, at most 3 decimals. The service reads it as a bid
/// ceiling (what a node may be bid at per hour), not as a cap on what the pool spends.
pub fn check_budget(budget: Decimal) -> Result<()> {
    if budget <= Decimal::ZERO {
        return Err(Error::invalid(
            "budgetPerHour",
            format!("budget per hour must be positive, not {budget}"),
        ));
    }
    if budget.normalize().scale() > 3 {
        return Err(Error::invalid(
            "budgetPerHour",
            format!("budget per hour {budget} has more than 3 decimals (e.g. 0.125)"),
        ));
    }
    Ok(())
}

fn check_per_node(bounds: Option<(u32, u32)>) -> Result<()> {
    match bounds {
        Some((min, max)) if min == 0 || max < min => Err(Error::invalid(
            "vcpuPerNode",
            format!("vCPUs per node must satisfy 1 <= min ({min}) <= max ({max})"),
        )),
        _ => Ok(()),
    }
}

fn check_keys(field: &str, map: &BTreeMap<String, String>) -> Result<()> {
    match map.keys().find(|k| k.trim().is_empty()) {
        Some(_) => Err(Error::invalid(field, "a key may not be empty")),
        None => Ok(()),
    }
}

fn taint_items(taints: &[Taint]) -> Vec<AutopilotNodePoolSpecCustomTaintsItem> {
    taints
        .iter()
        .map(|t| AutopilotNodePoolSpecCustomTaintsItem {
            key: Some(t.key.clone()),
            value: Some(t.value.clone()).filter(|v| !v.is_empty()),
            effect: Some(t.effect.clone()),
            extra: Default::default(),
        })
        .collect()
}

/// What `autopilot_pools().create` asks for: every field of the official spec.
#[derive(Debug, Clone, PartialEq)]
pub struct AutopilotPoolCreate {
    /// Name (a lowercase UUID, like other pools); generated when `None`.
    pub name: Option<String>,
    /// The cloudspace the nodes join (immutable).
    pub cloudspace: String,
    /// Region (immutable); the cloudspace's when `None`. A region other than the
    /// cloudspace's is refused locally.
    pub region: Option<String>,
    /// Total vCPUs wanted (`spec.vcpu.total`).
    pub vcpu_total: u32,
    /// vCPUs per node, `(min, max)` (`spec.vcpuPerNode`).
    pub vcpu_per_node: Option<(u32, u32)>,
    /// Memory per vCPU.
    pub memory_per_vcpu: MemoryPerVcpu,
    /// Bid ceiling per node-hour in USD (`spec.budgetPerHour`, required).
    pub budget_per_hour: Decimal,
    /// How the service picks classes.
    pub allocation_strategy: AllocationStrategy,
    /// Node labels (`spec.customLabels`).
    pub labels: BTreeMap<String, String>,
    /// Node annotations (`spec.customAnnotations`).
    pub annotations: BTreeMap<String, String>,
    /// Node taints (`spec.customTaints`).
    pub taints: Vec<Taint>,
}

impl AutopilotPoolCreate {
    /// `vcpu_total` vCPUs for `cloudspace`, bidding at most `budget_per_hour` USD per node-hour.
    pub fn new(cloudspace: impl Into<String>, vcpu_total: u32, budget_per_hour: Decimal) -> Self {
        AutopilotPoolCreate {
            name: None,
            cloudspace: cloudspace.into(),
            region: None,
            vcpu_total,
            vcpu_per_node: None,
            memory_per_vcpu: MemoryPerVcpu::Any,
            budget_per_hour,
            allocation_strategy: AllocationStrategy::LowestPrice,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            taints: Vec::new(),
        }
    }

    /// Sets the name.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the region (it must be the cloudspace's).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Sets the vCPUs-per-node bounds.
    pub fn per_node(mut self, min: u32, max: u32) -> Self {
        self.vcpu_per_node = Some((min, max));
        self
    }

    /// Sets the memory ratio.
    pub fn memory_per_vcpu(mut self, m: MemoryPerVcpu) -> Self {
        self.memory_per_vcpu = m;
        self
    }

    /// Adds a node label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Adds a node annotation.
    pub fn annotation(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.annotations.insert(key.into(), value.into());
        self
    }

    /// Adds a node taint.
    pub fn taint(mut self, taint: Taint) -> Self {
        self.taints.push(taint);
        self
    }

    /// Checks the request locally: what the service would refuse is refused here.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_uuid_name(n, "autopilot pool")?;
        }
        check_dns_label("cloudSpace", &self.cloudspace, "cloudspace name")?;
        if self.vcpu_total == 0 {
            return Err(Error::invalid(
                "vcpu.total",
                "vcpu total must be at least 1",
            ));
        }
        check_per_node(self.vcpu_per_node)?;
        check_budget(self.budget_per_hour)?;
        check_keys("customLabels", &self.labels)?;
        check_keys("customAnnotations", &self.annotations)?;
        self.taints.iter().try_for_each(Taint::validate)
    }

    /// The body a create sends, named `name`, in region `region`.
    pub fn to_body(&self, name: &str, namespace: &str, region: &str) -> AutopilotNodePool {
        AutopilotNodePool {
            api_version: Some("ngpc.rxt.io/v1".into()),
            kind: Some("AutopilotNodePool".into()),
            metadata: ObjectMeta {
                name: name.to_string(),
                namespace: Some(namespace.to_string()),
                labels: [(CLOUDSPACE_LABEL.to_string(), self.cloudspace.clone())].into(),
                ..ObjectMeta::default()
            },
            spec: AutopilotNodePoolSpec {
                allocation_strategy: Some(self.allocation_strategy.as_str().into()),
                budget_per_hour: Some(self.budget_per_hour.normalize()),
                cloud_space: self.cloudspace.clone(),
                custom_annotations: self.annotations.clone(),
                custom_labels: self.labels.clone(),
                custom_taints: taint_items(&self.taints),
                memory_per_vcpu: Some(self.memory_per_vcpu.as_str().into()),
                region: Some(region.to_string()),
                vcpu: Some(AutopilotNodePoolSpecVcpu {
                    total: Some(self.vcpu_total),
                    extra: Default::default(),
                }),
                vcpu_per_node: self.vcpu_per_node.map(|(min, max)| {
                    AutopilotNodePoolSpecVcpuPerNode {
                        min: Some(min),
                        max: Some(max),
                        extra: Default::default(),
                    }
                }),
                extra: Default::default(),
            },
            ..AutopilotNodePool::default()
        }
    }
}

/// What `autopilot_pools().update` changes: only the fields set are sent, and never `region`
/// or `cloudSpace` (immutable upstream).
///
/// ```
/// use rsspot::services::AutopilotPoolUpdate;
/// let upd = AutopilotPoolUpdate::new().vcpu_total(32).budget("0.09".parse().unwrap());
/// assert_eq!(upd.vcpu_total, Some(32));
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutopilotPoolUpdate {
    /// New vCPU total.
    pub vcpu_total: Option<u32>,
    /// New bid ceiling per node-hour.
    pub budget_per_hour: Option<Decimal>,
    /// New vCPUs-per-node bounds.
    pub vcpu_per_node: Option<(u32, u32)>,
    /// New memory ratio.
    pub memory_per_vcpu: Option<MemoryPerVcpu>,
    /// New allocation strategy.
    pub allocation_strategy: Option<AllocationStrategy>,
    /// Replace the node labels.
    pub labels: Option<BTreeMap<String, String>>,
    /// Replace the node annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Replace the node taints.
    pub taints: Option<Vec<Taint>>,
}

impl AutopilotPoolUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the vCPU total.
    pub fn vcpu_total(mut self, n: u32) -> Self {
        self.vcpu_total = Some(n);
        self
    }

    /// Sets the bid ceiling per node-hour.
    pub fn budget(mut self, per_hour: Decimal) -> Self {
        self.budget_per_hour = Some(per_hour);
        self
    }

    /// Sets the vCPUs-per-node bounds.
    pub fn per_node(mut self, min: u32, max: u32) -> Self {
        self.vcpu_per_node = Some((min, max));
        self
    }

    /// Sets the memory ratio.
    pub fn memory_per_vcpu(mut self, m: MemoryPerVcpu) -> Self {
        self.memory_per_vcpu = Some(m);
        self
    }

    /// Whether nothing would be sent.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Checks the update locally.
    pub fn validate(&self) -> Result<()> {
        if self.is_empty() {
            return Err(Error::invalid(
                "update",
                "nothing to change: give at least one field",
            ));
        }
        if self.vcpu_total == Some(0) {
            return Err(Error::invalid(
                "vcpu.total",
                "vcpu total must be at least 1",
            ));
        }
        check_per_node(self.vcpu_per_node)?;
        if let Some(b) = self.budget_per_hour {
            check_budget(b)?;
        }
        if let Some(l) = &self.labels {
            check_keys("customLabels", l)?;
        }
        if let Some(a) = &self.annotations {
            check_keys("customAnnotations", a)?;
        }
        self.taints.iter().flatten().try_for_each(Taint::validate)
    }

    /// The merge patch this update sends.
    pub(crate) fn patch(&self) -> UpdatePatch {
        UpdatePatch {
            spec: UpdateSpec {
                vcpu: self.vcpu_total.map(|t| VcpuTotal { total: t }),
                budget_per_hour: self.budget_per_hour.map(|b| b.normalize().to_string()),
                vcpu_per_node: self.vcpu_per_node.map(|(min, max)| PerNode { min, max }),
                memory_per_vcpu: self.memory_per_vcpu.map(MemoryPerVcpu::as_str),
                allocation_strategy: self.allocation_strategy.map(AllocationStrategy::as_str),
                custom_labels: self.labels.clone(),
                custom_annotations: self.annotations.clone(),
                custom_taints: self.taints.as_deref().map(taint_items),
            },
        }
    }
}

/// The merge patch of an update.
#[derive(Serialize)]
pub(crate) struct UpdatePatch {
    spec: UpdateSpec,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UpdateSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    vcpu: Option<VcpuTotal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    budget_per_hour: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vcpu_per_node: Option<PerNode>,
    #[serde(rename = "memoryPerVCPU", skip_serializing_if = "Option::is_none")]
    memory_per_vcpu: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allocation_strategy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_labels: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_annotations: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom_taints: Option<Vec<AutopilotNodePoolSpecCustomTaintsItem>>,
}

#[derive(Serialize)]
struct VcpuTotal {
    total: u32,
}

#[derive(Serialize)]
struct PerNode {
    min: u32,
    max: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn creates_are_checked_and_shaped_as_the_official_sdk_sends_them() {
        let req = AutopilotPoolCreate::new("demo", 16, dec("0.50"))
            .per_node(2, 8)
            .label("team", "ml")
            .taint("gpu=yes:NoSchedule".parse().unwrap());
        assert!(req.validate().is_ok());
        let body = serde_json::to_value(req.to_body("ap-1", "ns", "us-central-dfw-1")).unwrap();
        let spec = &body["spec"];
        assert_eq!(spec["vcpu"]["total"], 16);
        assert_eq!(spec["budgetPerHour"], "0.5");
        assert_eq!(spec["memoryPerVCPU"], "any");
        assert_eq!(spec["allocationStrategy"], "LowestPrice");
        assert_eq!(spec["region"], "us-central-dfw-1");
        assert_eq!(spec["customLabels"]["team"], "ml");
        assert_eq!(spec["customTaints"][0]["effect"], "NoSchedule");
        assert_eq!(body["metadata"]["labels"][CLOUDSPACE_LABEL], "demo");
    }

    #[test]
    fn what_the_service_refuses_is_refused_locally() {
        assert!(
            AutopilotPoolCreate::new("demo", 0, dec("1"))
                .validate()
                .is_err()
        );
        let bad = AutopilotPoolCreate::new("demo", 4, dec("1")).per_node(4, 2);
        assert!(bad.validate().is_err());
        for b in ["0", "-1", "0.1234"] {
            let e = AutopilotPoolCreate::new("demo", 4, dec(b))
                .validate()
                .unwrap_err();
            assert!(e.to_string().contains("budget"), "{b}: {e}");
        }
        assert!(check_budget(dec("0.125")).is_ok());
        assert!(check_budget(dec("0.1250")).is_ok());
        for m in ["4Gi", "3", "", "lots"] {
            let e = m.parse::<MemoryPerVcpu>().unwrap_err();
            assert!(e.to_string().contains("any, 2, 4 or 8"), "{e}");
        }
        assert_eq!("8".parse::<MemoryPerVcpu>().unwrap(), MemoryPerVcpu::Gb8);
        assert!("lowestPrice".parse::<AllocationStrategy>().is_err());
        let named = AutopilotPoolCreate::new("demo", 4, dec("1")).name("ap-1");
        assert!(named.validate().is_err(), "pool names are UUIDs");
    }

    #[test]
    fn updates_never_send_region_or_cloudspace() {
        let upd = AutopilotPoolUpdate::new()
            .vcpu_total(8)
            .memory_per_vcpu(MemoryPerVcpu::Gb4);
        let patch = serde_json::to_value(upd.patch()).unwrap();
        assert_eq!(
            patch,
            serde_json::json!({"spec": {"vcpu": {"total": 8}, "memoryPerVCPU": "4"}})
        );
        assert!(AutopilotPoolUpdate::new().validate().is_err());
    }
}
