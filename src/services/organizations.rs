//! Organizations the user belongs to.

use crate::SpotClient;
use crate::error::{Error, Result};
use crate::raw::types::OrganizationListOrganizationsItem as Organization;

/// `client.organizations()`.
#[derive(Clone, Copy)]
pub struct Organizations<'a>(pub(crate) &'a SpotClient);

impl Organizations<'_> {
    /// Every organization visible to the token's user.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// for org in client.organizations().list().await? {
    ///     println!("{:?} {:?}", org.name, org.id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list(self) -> Result<Vec<Organization>> {
        let list = super::read(
            || self.0.raw.list_organizations().send(),
            "organizations",
            "",
        )
        .await?;
        Ok(list.organizations)
    }

    /// One organization by name, display name, id (`org_...`) or namespace (`org-...`).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let org = client.organizations().get("acme-dev").await?;
    /// println!("{:?}", org.id);
    /// # Ok(()) }
    /// ```
    pub async fn get(self, name_or_id: &str) -> Result<Organization> {
        let wanted = name_or_id.to_ascii_lowercase().replace('_', "-");
        self.list()
            .await?
            .into_iter()
            .find(|o| {
                o.name.as_deref() == Some(name_or_id)
                    || o.display_name.as_deref() == Some(name_or_id)
                    || o.id
                        .as_deref()
                        .map(|i| i.to_ascii_lowercase().replace('_', "-"))
                        == Some(wanted.clone())
                    || o.metadata.as_ref().and_then(|m| m.namespace.as_deref())
                        == Some(wanted.as_str())
            })
            .ok_or_else(|| Error::not_found("organization", name_or_id))
    }
}
