//! Teardown that leaves nothing billed: a cloudspace's node pools are deleted before the
//! cloudspace itself, because the service is not known to cascade (API-NOTES section 8).

use serde::Serialize;

use crate::error::{Error, Result};
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool};
use crate::resource::{Api, Kind, Org, ResourceExt};
use crate::services::wait::{Readiness, WaitOptions, poll_uncached};

/// What [`Api::delete_with_pools`] deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Teardown {
    /// The cloudspace.
    pub cloudspace: String,
    /// Spot pools deleted (names).
    pub spot_pools: Vec<String>,
    /// On-demand pools deleted (names).
    pub ondemand_pools: Vec<String>,
    /// Autopilot pools deleted first (names), so that they make no pools behind the teardown.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub autopilot_pools: Vec<String>,
}

impl Teardown {
    /// Number of pools deleted, autopilot pools included.
    pub fn pool_count(&self) -> usize {
        self.autopilot_pools.len() + self.spot_pools.len() + self.ondemand_pools.len()
    }
}

/// `Ok(true)` when the call succeeded, `Ok(false)` when the object was already gone.
fn gone_is_fine(r: Result<()>) -> Result<bool> {
    match r {
        Ok(()) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `Ok(true)` while the object still exists.
fn exists<T>(r: Result<T>) -> Result<bool> {
    match r {
        Ok(_) => Ok(true),
        Err(Error::NotFound { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Deletes every child of kind `K` of the cloudspace `parent`; answers the names deleted (a
/// child already gone counts as deleted by someone else, and is not reported).
async fn delete_children<K: Kind>(org: &Org<'_>, parent: &str) -> Result<Vec<String>> {
    let api = org.api::<K>().within(parent);
    let mut deleted = Vec::new();
    for pool in api.list().await? {
        let name = pool.name().to_string();
        if !name.is_empty() && gone_is_fine(api.delete(&name).await)? {
            deleted.push(name);
        }
    }
    Ok(deleted)
}

/// How many of `names` (objects of kind `K`) still exist.
async fn still_there<K: Kind>(org: &Org<'_>, names: &[String]) -> Result<usize> {
    let api = org.api::<K>();
    let mut left = 0;
    for name in names {
        left += usize::from(exists(api.get(name).await)?);
    }
    Ok(left)
}

impl Api<'_, CloudSpace> {
    /// Deletes a cloudspace's autopilot, spot and on-demand pools, then the cloudspace, and
    /// reports what was deleted. A missing cloudspace is [`Error::NotFound`] (nothing is
    /// deleted).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::WaitOptions;
    /// let report = client.cloudspaces().delete_with_pools("demo").await?;
    /// println!("deleted {} pools", report.pool_count());
    /// let opts = WaitOptions::with_timeout(std::time::Duration::from_secs(600));
    /// client.cloudspaces().wait_until_gone(&report, &opts).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_with_pools(&self, name: &str) -> Result<Teardown> {
        // Fresh reads: a cached list could hide a pool that is still billed.
        let client = self.client().without_cache();
        let org = self.org.on(&client);
        org.cloudspaces().get(name).await?;
        // An autopilot pool would make its spot pools again behind our back: it goes first,
        // and the pools it made go with it.
        let autopilot_pools = delete_children::<AutopilotNodePool>(&org, name).await?;
        let (spot_pools, ondemand_pools) = tokio::try_join!(
            delete_children::<SpotNodePool>(&org, name),
            delete_children::<OnDemandNodePool>(&org, name)
        )?;
        org.cloudspaces().delete(name).await?;
        Ok(Teardown {
            cloudspace: name.to_string(),
            spot_pools,
            ondemand_pools,
            autopilot_pools,
        })
    }

    /// Polls (uncached) until the cloudspace and every pool of `teardown` are gone.
    pub async fn wait_until_gone(&self, teardown: &Teardown, opts: &WaitOptions) -> Result<()> {
        let what = format!("cloudspace {:?} and its node pools", teardown.cloudspace);
        let target = self.org.target.clone();
        poll_uncached(self.client(), &what, "Deleted", opts, |client| {
            let target = target.clone();
            async move {
                let org = Org {
                    client: &client,
                    target,
                };
                let cloudspace = std::slice::from_ref(&teardown.cloudspace);
                let left = still_there::<CloudSpace>(&org, cloudspace).await?
                    + still_there::<AutopilotNodePool>(&org, &teardown.autopilot_pools).await?
                    + still_there::<SpotNodePool>(&org, &teardown.spot_pools).await?
                    + still_there::<OnDemandNodePool>(&org, &teardown.ondemand_pools).await?;
                let progress = format!("{left} objects left");
                Ok(Readiness::ready_when(
                    left == 0,
                    (),
                    "Deleting".into(),
                    progress,
                ))
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_serialises_cloudspace_and_pools() {
        let t = Teardown {
            cloudspace: "demo".into(),
            spot_pools: vec!["a".into(), "b".into()],
            ondemand_pools: vec!["c".into()],
            ..Teardown::default()
        };
        assert_eq!(t.pool_count(), 3);
        assert_eq!(
            serde_json::to_value(&t).unwrap(),
            serde_json::json!({"cloudspace": "demo", "spot_pools": ["a", "b"], "ondemand_pools": ["c"]})
        );
        assert!(gone_is_fine(Err(Error::not_found("spot node pool", "a"))).is_ok_and(|d| !d));
        assert!(gone_is_fine(Err(Error::invalid("x", "y"))).is_err());
    }
}
