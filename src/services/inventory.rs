//! VM inventory (VM cloudspaces, VM pools) and organization events: kinds the public spec does not
//! declare, called through the generated operations of the contract supplement
//! (`openapi/spot-extensions.json`). Their models live in [`crate::types::inventory`].

use crate::SpotClient;
use crate::error::Result;
use crate::types::inventory::{OrganizationEvents, VmCloudSpace, VmPool};

/// `client.inventory()`.
#[derive(Clone, Copy)]
pub struct Inventory<'a>(pub(crate) &'a SpotClient);

impl Inventory<'_> {
    /// VM cloudspaces of an org.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// for vmcs in client.inventory().vm_cloudspaces(None).await? {
    ///     println!("{:?}: {} servers", vmcs.metadata.name, vmcs.status.assigned_servers.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn vm_cloudspaces(self, org: Option<&str>) -> Result<Vec<VmCloudSpace>> {
        let ns = self.0.namespace(org).await?;
        let request = self.0.raw.list_vm_cloud_spaces().namespace(&ns);
        Ok(super::read(|| request.clone().send(), "vmcloudspaces", "")
            .await?
            .items)
    }

    /// VM pools of one VM cloudspace.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let pools = client.inventory().vm_pools("my-vm-cloudspace", None).await?;
    /// # Ok(()) }
    /// ```
    pub async fn vm_pools(self, vmcloudspace: &str, org: Option<&str>) -> Result<Vec<VmPool>> {
        let ns = self.0.namespace(org).await?;
        let request = self
            .0
            .raw
            .list_vm_pools()
            .namespace(&ns)
            .label_selector(format!("ngpc.rxt.io/vmcloudspace={vmcloudspace}"));
        Ok(
            super::read(|| request.clone().send(), "vmpools", vmcloudspace)
                .await?
                .items,
        )
    }

    /// Recent events of the token's organization.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let events = client.inventory().events(50).await?;
    /// println!("{} events", events.events.len());
    /// # Ok(()) }
    /// ```
    pub async fn events(self, limit: u32) -> Result<OrganizationEvents> {
        let request = self
            .0
            .raw
            .list_organization_events()
            .limits(i64::from(limit));
        super::read(|| request.clone().send(), "organization events", "").await
    }
}
