//! [`Org`]: an organization-scoped handle, like kube's `Api::namespaced`.

use std::sync::Arc;

use tokio::sync::OnceCell;

use super::{Api, Kind};
use crate::SpotClient;
use crate::error::Result;

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
}

/// The namespaced kinds that have a named handle (`org.spot_pools()`), one line each: the
/// async [`Org`] and [`SpotClient`] (the default organization's shortcut) and their blocking
/// twins get an accessor from every line, so a new kind adds one line here.
macro_rules! named_kinds {
    ($($then:tt)+) => {
        $($then)+! {
            /// Cloudspaces (Kubernetes clusters) and their kubeconfigs ([`CloudSpaces`](crate::services::CloudSpaces)).
            cloudspaces -> crate::raw::types::CloudSpace;
            /// Spot node pools ([`SpotPools`](crate::services::SpotPools)).
            spot_pools -> crate::raw::types::SpotNodePool;
            /// On-demand node pools ([`OnDemandPools`](crate::services::OnDemandPools)).
            ondemand_pools -> crate::raw::types::OnDemandNodePool;
            /// Autopilot node pools ([`AutopilotPools`](crate::services::AutopilotPools)).
            autopilot_pools -> crate::raw::types::AutopilotNodePool;
            /// VM SSH keys ([`VmSshKeys`](crate::services::VmSshKeys)).
            vm_ssh_keys -> crate::raw::types::VmSshKey;
            /// VM cloudspaces, with inline pools and teardown ([`VmCloudSpaces`](crate::services::VmCloudSpaces)).
            vm_cloudspaces -> crate::types::inventory::VmCloudSpace;
            /// VM pools ([`VmPools`](crate::services::VmPools)).
            vm_pools -> crate::types::inventory::VmPool;
        }
    };
}
pub(crate) use named_kinds;

/// The accessors of [`named_kinds!`] on the `Org` and `SpotClient` in scope where it is invoked
/// (the async ones here, the blocking ones in `blocking_api.rs`), each returning the `Api` in
/// scope there.
macro_rules! kind_accessors {
    ($($(#[$m:meta])* $accessor:ident -> $kind:ty;)*) => {
        impl<'a> Org<'a> {
            $(
                $(#[$m])*
                pub fn $accessor(&self) -> Api<'a, $kind> {
                    self.api()
                }
            )*
        }

        impl SpotClient {
            $(
                $(#[$m])*
                ///
                /// In the client's default organization.
                pub fn $accessor(&self) -> Api<'_, $kind> {
                    self.default_org().api()
                }
            )*
        }
    };
}

named_kinds!(kind_accessors);
pub(crate) use kind_accessors;
