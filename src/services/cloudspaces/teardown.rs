//! Teardown that leaves nothing billed: a cloudspace's node pools are deleted before the
//! cloudspace itself, because the service is not known to cascade (API-NOTES section 8).

use serde::Serialize;

use super::CloudSpaces;
use crate::error::{Error, Result};
use crate::services::wait::{Poll, WaitOptions, poll_uncached};

/// What [`CloudSpaces::delete_with_pools`] deleted.
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

fn names<T>(
    items: &[T],
    meta: impl Fn(&T) -> Option<&crate::raw::types::ObjectMeta>,
) -> Vec<String> {
    items
        .iter()
        .map(|p| crate::services::name_of(meta(p)).to_string())
        .filter(|n| !n.is_empty())
        .collect()
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

impl CloudSpaces<'_> {
    /// Deletes a cloudspace's spot and on-demand pools, then the cloudspace, and reports what
    /// was deleted. A missing cloudspace is [`Error::NotFound`] (nothing is deleted).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use rsspot::services::WaitOptions;
    /// let report = client.cloudspaces().delete_with_pools("demo", None).await?;
    /// println!("deleted {} pools", report.pool_count());
    /// let opts = WaitOptions::with_timeout(std::time::Duration::from_secs(600));
    /// client.cloudspaces().wait_until_gone(&report, None, &opts).await?;
    /// # Ok(()) }
    /// ```
    pub async fn delete_with_pools(self, name: &str, org: Option<&str>) -> Result<Teardown> {
        // Fresh reads: a cached list could hide a pool that is still billed.
        let client = self.0.without_cache();
        client.cloudspaces().get(name, org).await?;
        let mut report = Teardown {
            cloudspace: name.to_string(),
            ..Teardown::default()
        };
        // An autopilot pool would make its spot pools again behind our back: it goes first,
        // and the pools it made go with it.
        let autopilot = client.autopilot_pools().list(Some(name), org).await?;
        for pool in names(&autopilot, |p| p.metadata.as_ref()) {
            if gone_is_fine(client.autopilot_pools().delete(&pool, org).await)? {
                report.autopilot_pools.push(pool);
            }
        }
        let (spot, on_demand) = tokio::try_join!(
            client.spot_pools().list(Some(name), org),
            client.ondemand_pools().list(Some(name), org)
        )?;
        for pool in names(&spot, |p| p.metadata.as_ref()) {
            if gone_is_fine(client.spot_pools().delete(&pool, org).await)? {
                report.spot_pools.push(pool);
            }
        }
        for pool in names(&on_demand, |p| p.metadata.as_ref()) {
            if gone_is_fine(client.ondemand_pools().delete(&pool, org).await)? {
                report.ondemand_pools.push(pool);
            }
        }
        client.cloudspaces().delete(name, org).await?;
        Ok(report)
    }

    /// Polls (uncached) until the cloudspace and every pool of `teardown` are gone.
    pub async fn wait_until_gone(
        self,
        teardown: &Teardown,
        org: Option<&str>,
        opts: &WaitOptions,
    ) -> Result<()> {
        let what = format!("cloudspace {:?} and its node pools", teardown.cloudspace);
        poll_uncached(self.0, &what, "Deleted", opts, |client| async move {
            let mut left = usize::from(exists(
                client.cloudspaces().get(&teardown.cloudspace, org).await,
            )?);
            for p in &teardown.autopilot_pools {
                left += usize::from(exists(client.autopilot_pools().get(p, org).await)?);
            }
            for p in &teardown.spot_pools {
                left += usize::from(exists(client.spot_pools().get(p, org).await)?);
            }
            for p in &teardown.ondemand_pools {
                left += usize::from(exists(client.ondemand_pools().get(p, org).await)?);
            }
            let progress = format!("{left} objects left");
            Ok(Poll::ready_when(left == 0, (), "Deleting".into(), progress))
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
