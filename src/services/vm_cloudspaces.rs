//! VM cloudspaces (`vmcloudspaces`): groups of plain VMs in one region sharing an SSH key.
//!
//! A create may carry pools inline: every pool is checked (class, region, bid floor,
//! guardrails) before anything is sent; then the cloudspace is created and each pool after it,
//! and if a pool fails, the pools already created and the cloudspace are deleted again (spotctl
//! does the same) and the pool's error is returned ([`Api::send_create_reporting`]
//! also says which pool failed and what the rollback deleted). A delete removes the pools
//! first, so nothing keeps running (and billing) without its cloudspace.

use serde::Serialize;

use super::check_dns_label;
use super::node_pools::PreparedCreate;
#[cfg(test)]
use super::node_pools::merge_patch;
use super::vm_pools::VmPoolCreate;
use super::wait::{Readiness, WaitOptions, poll_uncached};
use crate::error::{Error, Result};
use crate::pricing::guard::{Concern, SpendLimits};
use crate::resource::{Api, Create, Org};
use crate::types::inventory::{ObjectMeta, VmCloudSpace, VmCloudSpaceSpec, VmPool, VmSshKeyRef};

/// What `vm_cloudspaces().create` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct VmCloudSpaceCreate {
    /// Name (an RFC 1123 label).
    pub name: String,
    /// Region, e.g. `us-central-dfw-1`.
    pub region: String,
    /// Name of the VM SSH key the VMs get.
    pub ssh_key: String,
    /// Namespace of the key (the org's namespace when `None`).
    pub ssh_key_namespace: Option<String>,
    /// Preemption webhook URL.
    pub webhook: Option<String>,
    /// Pools created right after the cloudspace (their `vm_cloudspace` is set to `name`).
    pub pools: Vec<VmPoolCreate>,
}

impl VmCloudSpaceCreate {
    /// A VM cloudspace in `region` whose VMs get the key `ssh_key`.
    pub fn new(
        name: impl Into<String>,
        region: impl Into<String>,
        ssh_key: impl Into<String>,
    ) -> Self {
        VmCloudSpaceCreate {
            name: name.into(),
            region: region.into(),
            ssh_key: ssh_key.into(),
            ssh_key_namespace: None,
            webhook: None,
            pools: Vec::new(),
        }
    }

    /// Sets the preemption webhook.
    pub fn webhook(mut self, url: impl Into<String>) -> Self {
        self.webhook = Some(url.into());
        self
    }

    /// Adds an inline pool.
    pub fn pool(mut self, mut pool: VmPoolCreate) -> Self {
        pool.vm_cloudspace = self.name.clone();
        self.pools.push(pool);
        self
    }

    /// Checks the request locally (pools included).
    pub fn validate(&self) -> Result<()> {
        check_dns_label("name", &self.name, "VM cloudspace name")?;
        if self.region.is_empty() {
            return Err(Error::invalid(
                "region",
                "a region is required (see `rsspot regions list`)",
            ));
        }
        if self.ssh_key.is_empty() {
            return Err(Error::invalid(
                "vmSshKeyRef.name",
                "an SSH key is required (create one with `rsspot vm-ssh-keys create`)",
            ));
        }
        self.pools.iter().try_for_each(VmPoolCreate::validate)
    }

    /// The cloudspace body a create sends.
    pub fn to_body(&self, namespace: &str) -> VmCloudSpace {
        VmCloudSpace {
            api_version: Some("ngpc.rxt.io/v1".into()),
            kind: Some("VMCloudSpace".into()),
            metadata: ObjectMeta {
                name: self.name.clone(),
                namespace: Some(namespace.to_string()),
                ..ObjectMeta::default()
            },
            spec: VmCloudSpaceSpec {
                region: Some(self.region.clone()),
                webhook: self.webhook.clone(),
                bid_requests: Vec::new(),
                vm_ssh_key_ref: Some(VmSshKeyRef {
                    name: Some(self.ssh_key.clone()),
                    namespace: Some(
                        self.ssh_key_namespace
                            .clone()
                            .unwrap_or_else(|| namespace.to_string()),
                    ),
                    extra: Default::default(),
                }),
                extra: Default::default(),
            },
            status: Default::default(),
        }
    }
}

/// A VM cloudspace create checked against the server, ready for `send_create`.
#[derive(Debug, Clone)]
pub struct PreparedVmCloudSpace {
    /// The org namespace.
    pub namespace: String,
    /// The cloudspace body.
    pub body: VmCloudSpace,
    /// The pools, checked, with their bodies and concerns.
    pub pools: Vec<PreparedCreate<VmPool>>,
}

impl PreparedVmCloudSpace {
    /// Every pool's concerns.
    pub fn concerns(&self) -> Vec<&Concern> {
        self.pools.iter().flat_map(|p| &p.concerns).collect()
    }
}

/// What a create made: the cloudspace and its pools.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedVmCloudSpace {
    /// The cloudspace as created.
    pub cloudspace: VmCloudSpace,
    /// The pools as created.
    pub pools: Vec<VmPool>,
}

/// What the rollback of a failed create deleted, and what it could not.
#[derive(Debug, Default)]
pub struct VmRollback {
    /// The pools that had been created and were deleted again, in the order sent.
    pub pools_deleted: Vec<String>,
    /// The pools that could not be deleted, with the delete's error.
    pub pools_left: Vec<(String, Error)>,
    /// Whether the cloudspace was deleted again (false when it was never created).
    pub cloudspace_deleted: bool,
    /// The error of the cloudspace delete, when it failed (the cloudspace is left).
    pub cloudspace_left: Option<Error>,
}

impl VmRollback {
    /// Whether nothing the create made is left.
    pub fn is_complete(&self) -> bool {
        self.pools_left.is_empty() && self.cloudspace_left.is_none()
    }
}

/// A create that failed: the failing request's error, where it failed, and what the rollback
/// did. `From` gives back the plain [`Error`].
#[derive(Debug)]
pub struct FailedVmCreate {
    /// The error of the request that failed.
    pub error: Error,
    /// The pool whose create failed: its index among the prepared pools and the body sent.
    /// `None` when the cloudspace itself was refused (nothing was created).
    pub failed_pool: Option<(usize, VmPool)>,
    /// What was deleted again.
    pub rollback: VmRollback,
}

impl From<FailedVmCreate> for Error {
    fn from(failed: FailedVmCreate) -> Error {
        failed.error
    }
}

/// What a delete removed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VmTeardown {
    /// The pools deleted before the cloudspace.
    pub pools: Vec<String>,
}

#[derive(Serialize)]
struct WebhookPatch {
    spec: WebhookSpec,
}

#[derive(Serialize)]
struct WebhookSpec {
    webhook: String,
}

/// `client.vm_cloudspaces()`.
/// VM cloudspaces: [`Api`] over [`VmCloudSpace`] (`client.vm_cloudspaces()`,
/// `org.vm_cloudspaces()`).
pub type VmCloudSpaces<'a> = Api<'a, VmCloudSpace>;

impl Api<'_, VmCloudSpace> {
    /// Checks the request and every inline pool against the server (the pools against the
    /// request's region, since the cloudspace does not exist yet). Sends nothing.
    pub async fn prepare_create(
        &self,
        req: &VmCloudSpaceCreate,
        limits: &SpendLimits,
    ) -> Result<PreparedVmCloudSpace> {
        req.validate()?;
        let namespace = self.namespace().await?;
        let mut pools = Vec::with_capacity(req.pools.len());
        for pool in &req.pools {
            let mut pool = pool.clone();
            pool.vm_cloudspace = req.name.clone();
            pools.push(
                self.org
                    .vm_pools()
                    .prepare_create(&pool, Some(&req.region), limits)
                    .await?,
            );
        }
        Ok(PreparedVmCloudSpace {
            body: req.to_body(&namespace),
            namespace,
            pools,
        })
    }

    /// Creates the cloudspace, then each pool; when a pool fails, deletes what was created and
    /// returns the pool's error.
    pub async fn send_create(&self, prepared: PreparedVmCloudSpace) -> Result<CreatedVmCloudSpace> {
        Ok(self.send_create_reporting(prepared).await?)
    }

    /// [`Api::send_create`], saying on failure which pool failed and what the
    /// rollback deleted (or could not).
    pub async fn send_create_reporting(
        &self,
        prepared: PreparedVmCloudSpace,
    ) -> std::result::Result<CreatedVmCloudSpace, FailedVmCreate> {
        let name = prepared.body.metadata.name.clone();
        let sent = VmCloudSpace::send_create(self.client(), &prepared.namespace, prepared.body);
        let cloudspace = match sent.await {
            Ok(cs) => cs,
            Err(error) => {
                return Err(FailedVmCreate {
                    error,
                    failed_pool: None,
                    rollback: VmRollback::default(),
                });
            }
        };
        let mut pools = Vec::with_capacity(prepared.pools.len());
        // Every pool name sent, created or not: a create that failed on the network may have
        // been carried out all the same, and must not outlive the rollback.
        let mut sent = Vec::with_capacity(prepared.pools.len());
        for (index, pool) in prepared.pools.into_iter().enumerate() {
            sent.push(pool.body.metadata.name.clone());
            let body = pool.body.clone();
            match self.org.vm_pools().send_create(pool).await {
                Ok(p) => pools.push(p),
                Err(error) => {
                    let rollback = self.rollback(&name, &sent).await;
                    return Err(FailedVmCreate {
                        error,
                        failed_pool: Some((index, body)),
                        rollback,
                    });
                }
            }
        }
        Ok(CreatedVmCloudSpace { cloudspace, pools })
    }

    /// Best-effort undo of a failed create: every pool sent (a 404 means it was never made),
    /// then the cloudspace. The create's own error is what the caller needs; the rollback's
    /// outcome is reported beside it.
    async fn rollback(&self, name: &str, pools: &[String]) -> VmRollback {
        let mut out = VmRollback::default();
        for pool in pools.iter().filter(|p| !p.is_empty()) {
            match self.org.vm_pools().delete(pool).await {
                Ok(_) => out.pools_deleted.push(pool.clone()),
                Err(Error::NotFound { .. }) => {}
                Err(e) => {
                    tracing::warn!(pool, error = %e, "rollback could not delete a VM pool");
                    out.pools_left.push((pool.clone(), e));
                }
            }
        }
        match self.delete(name).await {
            Ok(_) | Err(Error::NotFound { .. }) => out.cloudspace_deleted = true,
            Err(e) => {
                tracing::warn!(name, error = %e, "rollback could not delete the VM cloudspace");
                out.cloudspace_left = Some(e);
            }
        }
        out
    }

    /// Creates a VM cloudspace and its inline pools, rolling back on failure (concerns
    /// unchecked: see [`Api::prepare_create`]).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::{VmCloudSpaceCreate, VmPoolCreate};
    /// let req = VmCloudSpaceCreate::new("vm-lab", "us-central-dfw-1", "laptop")
    ///     .pool(VmPoolCreate::spot("vm-lab", "gp.vs1.medium-dfw", 2, "0.05".parse()?));
    /// let made = client.vm_cloudspaces().create(&req).await?;
    /// # Ok(()) }
    /// ```
    pub async fn create(&self, req: &VmCloudSpaceCreate) -> Result<CreatedVmCloudSpace> {
        let prepared = self.prepare_create(req, &SpendLimits::default()).await?;
        self.send_create(prepared).await
    }

    /// Sets (or, with `""`, clears) the webhook: the one field a VM cloudspace may change.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// client.vm_cloudspaces().update_webhook("vm-lab", "https://example.com/hook").await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_webhook(&self, name: &str, webhook: &str) -> Result<VmCloudSpace> {
        if !webhook.is_empty() && url::Url::parse(webhook).is_err() {
            return Err(Error::invalid(
                "webhook",
                format!("{webhook:?} is not a URL (give \"\" to clear the webhook)"),
            ));
        }
        let patch = WebhookPatch {
            spec: WebhookSpec {
                webhook: webhook.to_string(),
            },
        };
        self.patch(name, &patch).await
    }

    /// Deletes the cloudspace's pools, then the cloudspace.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let gone = client.vm_cloudspaces().delete_with_pools("vm-lab").await?;
    /// println!("{} pools deleted first", gone.pools.len());
    /// # Ok(()) }
    /// ```
    pub async fn delete_with_pools(&self, name: &str) -> Result<VmTeardown> {
        // A missing cloudspace is reported as such, not as "0 pools deleted".
        self.get(name).await?;
        let client = self.client().without_cache();
        let vm_pools = self.org.on(&client).vm_pools();
        let pools = vm_pools.clone().within(name).list().await?;
        let mut out = VmTeardown::default();
        for p in pools {
            let pool = p.metadata.name;
            match vm_pools.delete(&pool).await {
                Ok(()) | Err(Error::NotFound { .. }) => out.pools.push(pool),
                Err(e) => return Err(e),
            }
        }
        match self.delete(name).await {
            // It existed a moment ago: a 404 now means an earlier attempt whose answer was
            // lost deleted it, which is what was asked.
            Ok(_) | Err(Error::NotFound { .. }) => Ok(out),
            Err(e) => Err(e),
        }
    }

    /// Polls until the cloudspace is `Ready` and as many VMs are ready as its pools desire.
    pub async fn wait_until_running(&self, name: &str, opts: &WaitOptions) -> Result<VmCloudSpace> {
        let what = format!("vm cloudspace {name}");
        let target = self.org.target.clone();
        poll_uncached(self.client(), &what, "Running", opts, |client| {
            let target = target.clone();
            async move {
                let org = Org {
                    client: &client,
                    target,
                };
                let cs = org.vm_cloudspaces().get(name).await?;
                let pools = org.vm_pools().within(name).list().await?;
                let desired: u32 = pools.iter().map(|p| p.spec.desired.unwrap_or(0)).sum();
                let ready = cs
                    .status
                    .assigned_servers
                    .values()
                    .filter(|s| s.is_ready())
                    .count();
                let ready = u32::try_from(ready).unwrap_or(u32::MAX);
                let phase = cs.status.phase.as_ref().map_or("Pending", |p| p.as_str());
                let done = phase == "Ready" && ready >= desired;
                let phase = phase.to_string();
                let progress = format!("{ready}/{desired} VMs running");
                Ok(Readiness::ready_when(done, cs, phase, progress))
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_and_local_checks() {
        let bid = "0.05".parse().unwrap();
        let req = VmCloudSpaceCreate::new("vm-lab", "us-central-dfw-1", "laptop")
            .pool(VmPoolCreate::spot("elsewhere", "gp.vs1.medium-dfw", 1, bid));
        assert_eq!(req.pools[0].vm_cloudspace, "vm-lab");
        assert!(req.validate().is_ok());
        let body = req.to_body("org-x");
        let key = body.spec.vm_ssh_key_ref.unwrap();
        assert_eq!(key.namespace.as_deref(), Some("org-x"));
        assert!(VmCloudSpaceCreate::new("Lab", "r", "k").validate().is_err());
        assert!(VmCloudSpaceCreate::new("lab", "r", "").validate().is_err());
        let patch = merge_patch(&WebhookPatch {
            spec: WebhookSpec {
                webhook: String::new(),
            },
        })
        .unwrap();
        assert_eq!(
            serde_json::to_string(&patch.0).unwrap(),
            r#"{"spec":{"webhook":""}}"#
        );
    }
}
