//! VM inventory (VM cloudspaces, VM pools) and organization events: kinds the public spec does not
//! declare, called through the generated operations of the contract supplement
//! (`openapi/spot-extensions.json`). Their models live in [`crate::types::inventory`].

use crate::error::Result;
use crate::resource::Org;
use crate::types::inventory::{OrganizationEvents, VmCloudSpace, VmPool};

/// `client.inventory()`, `org.inventory()`.
#[derive(Clone, Debug)]
pub struct Inventory<'a>(pub(crate) Org<'a>);

impl<'a> Org<'a> {
    /// The VM inventory of this organization.
    pub fn inventory(&self) -> Inventory<'a> {
        Inventory(self.clone())
    }
}

impl Inventory<'_> {
    /// VM cloudspaces of the organization (the same list as
    /// [`SpotClient::vm_cloudspaces`](crate::SpotClient::vm_cloudspaces)).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// for vmcs in client.inventory().vm_cloudspaces().await? {
    ///     println!("{:?}: {} servers", vmcs.metadata.name, vmcs.status.assigned_servers.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn vm_cloudspaces(&self) -> Result<Vec<VmCloudSpace>> {
        self.0.vm_cloudspaces().list().await
    }

    /// VM pools of one VM cloudspace.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let pools = client.inventory().vm_pools("my-vm-cloudspace").await?;
    /// # Ok(()) }
    /// ```
    pub async fn vm_pools(&self, vmcloudspace: &str) -> Result<Vec<VmPool>> {
        self.0.vm_pools().within(vmcloudspace).list().await
    }

    /// Recent events of the token's organization.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let events = client.inventory().events(50).await?;
    /// println!("{} events", events.events.len());
    /// # Ok(()) }
    /// ```
    pub async fn events(&self, limit: u32) -> Result<OrganizationEvents> {
        let request = self
            .0
            .client()
            .raw
            .list_organization_events()
            .limits(i64::from(limit));
        super::read(|| request.clone().send(), "organization events", "").await
    }
}
