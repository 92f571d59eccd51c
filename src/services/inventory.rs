//! VM inventory (VM cloudspaces, VM pools) and organization events. These kinds are not in the
//! public spec; their models live in [`crate::types::inventory`].

use crate::SpotClient;
use crate::error::{Error, Result};
use crate::types::inventory::{
    OrganizationEvents, VmCloudSpace, VmCloudSpaceList, VmPool, VmPoolList,
};

/// `client.inventory()`.
#[derive(Clone, Copy)]
pub struct Inventory<'a>(pub(crate) &'a SpotClient);

fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::Decode {
        url: what.to_string(),
        message: e.to_string(),
        source: Some(e),
    })
}

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
        let path = format!("/apis/ngpc.rxt.io/v1/namespaces/{ns}/vmcloudspaces");
        let bytes = self
            .0
            .get_bytes("list_vm_cloud_spaces", &path, "vmcloudspaces", "")
            .await?;
        Ok(decode::<VmCloudSpaceList>(&bytes, "vmcloudspaces")?.items)
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
        let selector: String = url::form_urlencoded::byte_serialize(
            format!("ngpc.rxt.io/vmcloudspace={vmcloudspace}").as_bytes(),
        )
        .collect();
        let path = format!("/apis/ngpc.rxt.io/v1/namespaces/{ns}/vmpools?labelSelector={selector}");
        let bytes = self
            .0
            .get_bytes("list_vm_pools", &path, "vmpools", vmcloudspace)
            .await?;
        Ok(decode::<VmPoolList>(&bytes, "vmpools")?.items)
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
        let path = format!("/apis/metrics.ngpc.rxt.io/v1/events/organizations?limits={limit}");
        let bytes = self
            .0
            .get_bytes("list_organization_events", &path, "events", "")
            .await?;
        decode(&bytes, "organization events")
    }
}
