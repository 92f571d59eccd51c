//! Autopilot node pools (`autopilotnodepools`): a vCPU budget for a Kubernetes cloudspace that
//! the service turns into pools of the classes it picks (`status.allocations`).

use rust_decimal::Decimal;
use serde::Serialize;

use super::node_pools::{CLOUDSPACE_LABEL, merge_patch};
use super::wait::{Poll, WaitOptions, poll_uncached};
use super::{call, check_dns_label, in_org};
use crate::SpotClient;
use crate::error::{Error, Result};
use crate::raw::types::{
    AutopilotNodePool, AutopilotNodePoolSpec, AutopilotNodePoolSpecVcpu,
    AutopilotNodePoolSpecVcpuPerNode, ObjectMeta,
};

/// What `autopilot_pools().create` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct AutopilotPoolCreate {
    /// Name (an RFC 1123 label); a lowercase UUID is generated when `None`.
    pub name: Option<String>,
    /// The cloudspace the nodes join.
    pub cloudspace: String,
    /// Region (the cloudspace's when `None`).
    pub region: Option<String>,
    /// Total vCPUs wanted.
    pub vcpu_total: u32,
    /// vCPUs per node, `(min, max)`.
    pub vcpu_per_node: Option<(u32, u32)>,
    /// Memory per vCPU, e.g. `"4Gi"`.
    pub memory_per_vcpu: Option<String>,
    /// Most the pool may cost per hour, in USD.
    pub budget_per_hour: Option<Decimal>,
    /// How the service picks classes (e.g. `lowestPrice`).
    pub allocation_strategy: Option<String>,
}

impl AutopilotPoolCreate {
    /// `vcpu_total` vCPUs for `cloudspace`.
    pub fn new(cloudspace: impl Into<String>, vcpu_total: u32) -> Self {
        AutopilotPoolCreate {
            name: None,
            cloudspace: cloudspace.into(),
            region: None,
            vcpu_total,
            vcpu_per_node: None,
            memory_per_vcpu: None,
            budget_per_hour: None,
            allocation_strategy: None,
        }
    }

    /// Sets the hourly budget.
    pub fn budget(mut self, per_hour: Decimal) -> Self {
        self.budget_per_hour = Some(per_hour);
        self
    }

    /// Sets the vCPUs-per-node bounds.
    pub fn per_node(mut self, min: u32, max: u32) -> Self {
        self.vcpu_per_node = Some((min, max));
        self
    }

    /// Checks the request locally.
    pub fn validate(&self) -> Result<()> {
        if let Some(n) = &self.name {
            check_dns_label("name", n, "name")?;
        }
        check_dns_label("cloudSpace", &self.cloudspace, "cloudspace name")?;
        if self.vcpu_total == 0 {
            return Err(Error::invalid(
                "vcpu.total",
                "vcpu total must be at least 1",
            ));
        }
        if let Some((min, max)) = self.vcpu_per_node
            && (min == 0 || max < min)
        {
            return Err(Error::invalid(
                "vcpuPerNode",
                format!("vCPUs per node must satisfy 1 <= min ({min}) <= max ({max})"),
            ));
        }
        check_budget(self.budget_per_hour)
    }

    /// The body a create sends, named `name`.
    pub fn to_body(&self, name: &str, namespace: &str) -> AutopilotNodePool {
        AutopilotNodePool {
            api_version: Some("ngpc.rxt.io/v1".into()),
            kind: Some("AutopilotNodePool".into()),
            metadata: Some(ObjectMeta {
                name: Some(name.to_string()),
                namespace: Some(namespace.to_string()),
                labels: [(CLOUDSPACE_LABEL.to_string(), self.cloudspace.clone())].into(),
                ..ObjectMeta::default()
            }),
            spec: Some(AutopilotNodePoolSpec {
                allocation_strategy: self.allocation_strategy.clone(),
                budget_per_hour: self
                    .budget_per_hour
                    .map(|b| b.normalize().to_string().into()),
                cloud_space: Some(self.cloudspace.clone()),
                memory_per_vcpu: self.memory_per_vcpu.clone().map(Into::into),
                region: self.region.clone(),
                vcpu: Some(AutopilotNodePoolSpecVcpu {
                    total: Some(i64::from(self.vcpu_total)),
                    extra: Default::default(),
                }),
                vcpu_per_node: self.vcpu_per_node.map(|(min, max)| {
                    AutopilotNodePoolSpecVcpuPerNode {
                        min: Some(i64::from(min)),
                        max: Some(i64::from(max)),
                        extra: Default::default(),
                    }
                }),
                extra: Default::default(),
            }),
            status: None,
        }
    }
}

fn check_budget(budget: Option<Decimal>) -> Result<()> {
    match budget {
        Some(b) if b <= Decimal::ZERO => Err(Error::invalid(
            "budgetPerHour",
            format!("budget per hour must be positive, not {b}"),
        )),
        _ => Ok(()),
    }
}

/// What `autopilot_pools().update` changes (only the fields given are sent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AutopilotPoolUpdate {
    /// New vCPU total.
    pub vcpu_total: Option<u32>,
    /// New hourly budget.
    pub budget_per_hour: Option<Decimal>,
}

#[derive(Serialize)]
struct UpdatePatch {
    spec: UpdateSpec,
}

#[derive(Serialize)]
struct UpdateSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    vcpu: Option<serde_json::Value>,
    #[serde(rename = "budgetPerHour", skip_serializing_if = "Option::is_none")]
    budget_per_hour: Option<String>,
}

/// `client.autopilot_pools()`.
#[derive(Clone, Copy)]
pub struct AutopilotPools<'a>(pub(crate) &'a SpotClient);

impl AutopilotPools<'_> {
    /// The autopilot pools of an org, optionally only those of one cloudspace.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let pools = client.autopilot_pools().list(Some("demo"), None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(
        self,
        cloudspace: Option<&str>,
        org: Option<&str>,
    ) -> Result<Vec<AutopilotNodePool>> {
        let ns = self.0.namespace(org).await?;
        let mut b = self.0.raw.list_autopilot_node_pools().namespace(ns);
        if let Some(cs) = cloudspace {
            b = b.label_selector(format!("{CLOUDSPACE_LABEL}={cs}"));
        }
        let mut items = call(b.send(), "autopilot node pool", "").await?.items;
        if let Some(cs) = cloudspace {
            items.retain(|p| p.spec.as_ref().and_then(|s| s.cloud_space.as_deref()) == Some(cs));
        }
        Ok(items)
    }

    /// One autopilot pool.
    pub async fn get(self, name: &str, org: Option<&str>) -> Result<AutopilotNodePool> {
        in_org!(
            self,
            org,
            get_autopilot_node_pool.name(name),
            "autopilot node pool",
            name
        )
    }

    /// Checks the request (and that the cloudspace exists) and builds the body. Sends nothing.
    pub async fn prepare_create(
        self,
        req: &AutopilotPoolCreate,
        org: Option<&str>,
    ) -> Result<(String, AutopilotNodePool)> {
        req.validate()?;
        match self.0.cloudspaces().get(&req.cloudspace, org).await {
            Ok(_) => {}
            Err(Error::NotFound { name, .. }) => {
                return Err(Error::invalid(
                    "cloudSpace",
                    format!("cloudspace {name:?} does not exist"),
                ));
            }
            Err(e) => return Err(e),
        }
        let ns = self.0.namespace(org).await?;
        let name = req
            .name
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        let body = req.to_body(&name, &ns);
        Ok((ns, body))
    }

    /// Creates an autopilot pool.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::AutopilotPoolCreate;
    /// let req = AutopilotPoolCreate::new("demo", 16).per_node(2, 8).budget("0.50".parse().unwrap());
    /// let pool = client.autopilot_pools().create(&req, None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(
        self,
        req: &AutopilotPoolCreate,
        org: Option<&str>,
    ) -> Result<AutopilotNodePool> {
        let (ns, body) = self.prepare_create(req, org).await?;
        let name = body
            .metadata
            .as_ref()
            .and_then(|m| m.name.clone())
            .unwrap_or_default();
        let b = self
            .0
            .raw
            .create_autopilot_node_pool()
            .namespace(ns)
            .body(body);
        call(b.send(), "autopilot node pool", &name).await
    }

    /// Changes the vCPU total and/or budget (a merge patch of only those fields).
    pub async fn update(
        self,
        name: &str,
        update: &AutopilotPoolUpdate,
        org: Option<&str>,
    ) -> Result<AutopilotNodePool> {
        if update.vcpu_total.is_none() && update.budget_per_hour.is_none() {
            return Err(Error::invalid(
                "update",
                "nothing to change: give a new vCPU total or budget",
            ));
        }
        if update.vcpu_total == Some(0) {
            return Err(Error::invalid(
                "vcpu.total",
                "vcpu total must be at least 1",
            ));
        }
        check_budget(update.budget_per_hour)?;
        let ns = self.0.namespace(org).await?;
        let patch = merge_patch(&UpdatePatch {
            spec: UpdateSpec {
                vcpu: update.vcpu_total.map(|t| serde_json::json!({"total": t})),
                budget_per_hour: update.budget_per_hour.map(|b| b.normalize().to_string()),
            },
        })?;
        let b = self
            .0
            .raw
            .patch_autopilot_node_pool()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), "autopilot node pool", name).await
    }

    /// Deletes an autopilot pool.
    pub async fn delete(self, name: &str, org: Option<&str>) -> Result<()> {
        in_org!(
            self,
            org,
            delete_autopilot_node_pool.name(name),
            "autopilot node pool",
            name
        )
        .map(|_| ())
    }

    /// Polls until `status.phase` is `Ready` (the budget is allocated).
    pub async fn wait_until_allocated(
        self,
        name: &str,
        org: Option<&str>,
        opts: &WaitOptions,
    ) -> Result<AutopilotNodePool> {
        let what = format!("autopilot node pool {name}");
        poll_uncached(self.0, &what, "Ready", opts, |client| async move {
            let p = AutopilotPools(&client).get(name, org).await?;
            let st = p.status.clone();
            let phase = st
                .as_ref()
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Pending".into());
            let managed = st.as_ref().and_then(|s| s.managed_vcpus).unwrap_or(0);
            let target = st.as_ref().and_then(|s| s.target_vcpus).unwrap_or(0);
            let progress = format!("{managed}/{target} vCPUs");
            Ok(Poll::ready_when(phase == "Ready", p, phase, progress))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_checked_and_shaped() {
        let req = AutopilotPoolCreate::new("demo", 16)
            .per_node(2, 8)
            .budget("0.50".parse().unwrap());
        assert!(req.validate().is_ok());
        let body = serde_json::to_value(req.to_body("ap-1", "ns")).unwrap();
        assert_eq!(body["spec"]["vcpu"]["total"], 16);
        assert_eq!(body["spec"]["budgetPerHour"], "0.5");
        assert_eq!(body["metadata"]["labels"][CLOUDSPACE_LABEL], "demo");
        assert!(AutopilotPoolCreate::new("demo", 0).validate().is_err());
        assert!(
            AutopilotPoolCreate::new("demo", 4)
                .per_node(4, 2)
                .validate()
                .is_err()
        );
        assert!(
            AutopilotPoolCreate::new("demo", 4)
                .budget(Decimal::ZERO)
                .validate()
                .is_err()
        );
    }
}
