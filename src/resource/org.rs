//! [`Org`]: an organization-scoped handle, like kube's `Api::namespaced`.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{Api, Kind};
use crate::SpotClient;
use crate::error::Result;
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool, VmSshKey};
use crate::types::inventory::{VmCloudSpace, VmPool};

/// Which organization, and its namespace once resolved. Shared by the handles made from one
/// [`Org`], so the organization is resolved once for all of them.
#[derive(Debug, Default)]
pub(crate) struct OrgTarget {
    /// The organization as the caller named it (name, id or namespace); `None`: the client's
    /// default organization.
    pub(crate) org: Option<String>,
    namespace: OnceCell<String>,
}

impl OrgTarget {
    pub(crate) fn new(org: Option<String>) -> Arc<Self> {
        Arc::new(OrgTarget {
            org,
            namespace: OnceCell::new(),
        })
    }

    /// The org namespace (`org-…`), resolved on first use.
    pub(crate) async fn namespace(&self, client: &SpotClient) -> Result<String> {
        self.namespace
            .get_or_try_init(|| client.namespace(self.org.as_deref()))
            .await
            .cloned()
    }
}

/// An organization: the namespaced services hang off it and take no org argument.
///
/// Made by [`SpotClient::org`] (a named organization) or [`SpotClient::default_org`] (the
/// profile's, else the token's). Making one sends nothing and cannot fail: the name is
/// resolved to its namespace on first use and remembered, and a name that does not resolve
/// fails that first call ([`crate::Error::NotFound`]). Cheap to clone.
///
/// ```no_run
/// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
/// let acme = client.org("acme");
/// let clusters = acme.cloudspaces().list().await?;
/// let pools = acme.spot_pools().list().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Org<'a> {
    pub(crate) client: &'a SpotClient,
    pub(crate) target: Arc<OrgTarget>,
}

impl std::fmt::Debug for Org<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Org")
            .field("org", &self.target.org)
            .finish_non_exhaustive()
    }
}

impl<'a> Org<'a> {
    pub(crate) fn new(client: &'a SpotClient, org: Option<String>) -> Self {
        Org {
            client,
            target: OrgTarget::new(org),
        }
    }

    /// The same organization through another client (an uncached copy for polling), sharing
    /// the resolved namespace.
    pub(crate) fn on<'b>(&self, client: &'b SpotClient) -> Org<'b> {
        Org {
            client,
            target: self.target.clone(),
        }
    }

    /// The client this handle uses.
    pub fn client(&self) -> &'a SpotClient {
        self.client
    }

    /// The organization as it was named (`None`: the client's default).
    pub fn named(&self) -> Option<&str> {
        self.target.org.as_deref()
    }

    /// The org namespace (`org-…`), resolved on first use and remembered.
    pub async fn namespace(&self) -> Result<String> {
        self.target.namespace(self.client).await
    }

    /// The organization's *name* (the kubeconfig endpoint takes names, not ids).
    pub async fn name(&self) -> Result<String> {
        let ns = self.namespace().await?;
        self.client.org_name(Some(&ns)).await
    }

    /// The handle of any kind in this organization.
    pub fn api<K: Kind>(&self) -> Api<'a, K> {
        Api::new(self.clone())
    }

    /// Cloudspaces (Kubernetes clusters) and their kubeconfigs ([`CloudSpaces`](crate::services::CloudSpaces)).
    pub fn cloudspaces(&self) -> Api<'a, CloudSpace> {
        self.api()
    }

    /// Spot node pools ([`SpotPools`](crate::services::SpotPools)).
    pub fn spot_pools(&self) -> Api<'a, SpotNodePool> {
        self.api()
    }

    /// On-demand node pools ([`OnDemandPools`](crate::services::OnDemandPools)).
    pub fn ondemand_pools(&self) -> Api<'a, OnDemandNodePool> {
        self.api()
    }

    /// Autopilot node pools ([`AutopilotPools`](crate::services::AutopilotPools)).
    pub fn autopilot_pools(&self) -> Api<'a, AutopilotNodePool> {
        self.api()
    }

    /// VM SSH keys ([`VmSshKeys`](crate::services::VmSshKeys)).
    pub fn vm_ssh_keys(&self) -> Api<'a, VmSshKey> {
        self.api()
    }

    /// VM cloudspaces, with inline pools and teardown ([`VmCloudSpaces`](crate::services::VmCloudSpaces)).
    pub fn vm_cloudspaces(&self) -> Api<'a, VmCloudSpace> {
        self.api()
    }

    /// VM pools ([`VmPools`](crate::services::VmPools)).
    pub fn vm_pools(&self) -> Api<'a, VmPool> {
        self.api()
    }
}
