//! `scale(name, n)` on the VM pool service: a merge patch of `spec.desired` only, checked like
//! any update (node pools have theirs beside [`super::NodePoolKind`]).

use super::vm_pools::VmPoolUpdate;
use crate::error::Result;
use crate::resource::Api;
use crate::types::inventory::VmPool;

impl Api<'_, VmPool> {
    /// Sets the pool's desired VM count, nothing else.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// client.vm_pools().scale("7f3e1a9c-5b2d-4c8e-a6f0-1d4b7e2c9a53", 2).await?;
    /// # Ok(()) }
    /// ```
    pub async fn scale(&self, name: &str, desired: u32) -> Result<VmPool> {
        self.update(name, &VmPoolUpdate::new().desired(desired))
            .await
    }
}
