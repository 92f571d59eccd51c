//! Regions (cluster-scoped reference data).

use crate::SpotClient;
use crate::error::Result;
use crate::raw::types::Region;

/// `client.regions()`.
#[derive(Clone, Copy)]
pub struct Regions<'a>(pub(crate) &'a SpotClient);

impl Regions<'_> {
    /// Every region.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let regions = client.regions().list().await?;
    /// # Ok(()) }
    /// ```
    pub async fn list(self) -> Result<Vec<Region>> {
        Ok(
            super::read(|| self.0.raw.list_regions().send(), "region", "")
                .await?
                .items,
        )
    }

    /// One region by name, e.g. `us-central-dfw-1`.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let region = client.regions().get("us-central-dfw-1").await?;
    /// # Ok(()) }
    /// ```
    pub async fn get(self, name: &str) -> Result<Region> {
        super::read(|| self.0.raw.get_region().name(name).send(), "region", name).await
    }
}
