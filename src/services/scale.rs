//! `scale(name, n)` on the pool services: a merge patch of `spec.desired` only, checked like
//! any update (counts, the pool's autoscaling bounds by the server).

use super::node_pools::{PoolUpdate, SpotPoolUpdate};
use super::vm_pools::VmPoolUpdate;
use crate::error::Result;
use crate::raw::types::{OnDemandNodePool, SpotNodePool};
use crate::resource::Api;
use crate::types::inventory::VmPool;

impl Api<'_, SpotNodePool> {
    /// Sets the pool's desired node count, nothing else.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// client.spot_pools().scale("0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", 3).await?;
    /// # Ok(()) }
    /// ```
    pub async fn scale(&self, name: &str, desired: u32) -> Result<SpotNodePool> {
        self.update(name, &SpotPoolUpdate::new().desired(desired))
            .await
    }
}

impl Api<'_, OnDemandNodePool> {
    /// Sets the pool's desired node count, nothing else.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// client.ondemand_pools().scale("5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13", 2).await?;
    /// # Ok(()) }
    /// ```
    pub async fn scale(&self, name: &str, desired: u32) -> Result<OnDemandNodePool> {
        self.update(name, &PoolUpdate::new().desired(desired)).await
    }
}

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
