//! `list_stream` and `watch` on every kind's service, each a few lines over the generic
//! helpers of [`super::stream`]: the page fetch (the kind's generated list operation with
//! `limit`/`continue`), the whole-list fetch a watch polls, and the name of an object.

use super::autopilot::AutopilotPools;
use super::cloudspaces::CloudSpaces;
use super::node_pools::{CLOUDSPACE_LABEL, OnDemandPools, SpotPools};
use super::stream::{self, ListStream, Page, WatchStream, paged};
use super::vm_cloudspaces::VmCloudSpaces;
use super::vm_pools::VmPools;
use super::vm_ssh_keys::VmSshKeys;
use super::{call, name_of};
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool, VmSshKey};
use crate::types::inventory::{VmCloudSpace, VmPool};

/// `list_stream` and `watch` for an org-wide kind. With `$op` (its generated list operation,
/// which takes `limit`/`continue`) the stream pages; without, it takes the whole list.
macro_rules! org_streams {
    (@list $self:ident, $org:ident, $service:ident, $kind:literal, $op:ident) => {
        stream::pages($self.0, $org, |c, org, page| {
            Box::pin(async move {
                let ns = c.namespace(org.as_deref()).await?;
                let b = paged!(page, c.raw.$op().namespace(ns));
                let list = call(b.send(), $kind, "").await?;
                Ok(Page::of(list.items, list.metadata))
            })
        })
    };
    (@list $self:ident, $org:ident, $service:ident, $kind:literal,) => {
        stream::whole($self.0, $org, |c, org| {
            Box::pin(async move { $service(&c).list(org.as_deref()).await })
        })
    };
    ($service:ident, $ty:ty, $kind:literal, $accessor:literal $(, $op:ident)?) => {
        impl $service<'_> {
            #[doc = concat!("The ", $kind, "s of an org as a stream, fetched a page at a time ")]
            /// as they are consumed; `.limit(n)` stops after `n`.
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            /// use futures::TryStreamExt;
            #[doc = concat!("let first = client.", $accessor, "().list_stream(None).limit(10).try_collect::<Vec<_>>().await?;")]
            /// # Ok(()) }
            /// ```
            pub fn list_stream(self, org: Option<&str>) -> ListStream<$ty> {
                org_streams!(@list self, org, $service, $kind, $($op)?)
            }

            #[doc = concat!("Changes to the ", $kind, "s of an org: the list polled with backoff ")]
            /// (uncached), each change a [`WatchEvent`](super::WatchEvent).
            pub fn watch(self, org: Option<&str>) -> WatchStream<$ty> {
                stream::watch(
                    self.0,
                    org,
                    |c, org| Box::pin(async move { $service(&c).list(org.as_deref()).await }),
                    |o| name_of(o.metadata.as_ref()).to_string(),
                )
            }
        }
    };
}

// The contract declares no `limit`/`continue` on the cloudspace list: fetched whole.
org_streams!(CloudSpaces, CloudSpace, "cloudspace", "cloudspaces");
org_streams!(
    VmSshKeys,
    VmSshKey,
    "vm ssh key",
    "vm_ssh_keys",
    list_vm_ssh_keys
);

/// `list_stream` and `watch` for a kind of pool that may be asked for by cloudspace. With
/// `$op` (a generated list operation that takes `limit`/`continue`) the stream pages, the
/// cloudspace sent as a label selector and checked again by `$keep`, like `list` does;
/// without, it takes the whole list.
macro_rules! pool_streams {
    (@list $self:ident, $cloudspace:ident, $org:ident, $service:ident, $ty:ty, $kind:literal,
        $op:ident, $keep:expr) => {
        stream::pages($self.0, $org, move |c, org, page| {
            let cloudspace = $cloudspace.clone();
            Box::pin(async move {
                let ns = c.namespace(org.as_deref()).await?;
                let mut b = paged!(page, c.raw.$op().namespace(ns));
                if let Some(cs) = &cloudspace {
                    b = b.label_selector(format!("{CLOUDSPACE_LABEL}={cs}"));
                }
                let list = call(b.send(), $kind, "").await?;
                let mut items = list.items;
                if let Some(cs) = &cloudspace {
                    let keep: fn(&$ty, &str) -> bool = $keep;
                    items.retain(|p| keep(p, cs));
                }
                Ok(Page::of(items, list.metadata))
            })
        })
    };
    (@list $self:ident, $cloudspace:ident, $org:ident, $service:ident, $ty:ty, $kind:literal,) => {
        stream::whole($self.0, $org, move |c, org| {
            let cloudspace = $cloudspace.clone();
            Box::pin(async move { $service(&c).list(cloudspace.as_deref(), org.as_deref()).await })
        })
    };
    ($service:ident, $ty:ty, $kind:literal, $accessor:literal $(, $op:ident, $keep:expr)?) => {
        impl $service<'_> {
            #[doc = concat!("The ", $kind, "s of an org (optionally of one cloudspace) as a ")]
            /// stream, fetched a page at a time as they are consumed; `.limit(n)` stops after `n`.
            ///
            /// ```no_run
            /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
            /// use futures::TryStreamExt;
            #[doc = concat!("let first = client.", $accessor, "().list_stream(Some(\"demo\"), None).limit(10).try_collect::<Vec<_>>().await?;")]
            /// # Ok(()) }
            /// ```
            pub fn list_stream(self, cloudspace: Option<&str>, org: Option<&str>) -> ListStream<$ty> {
                let cloudspace = cloudspace.map(str::to_owned);
                pool_streams!(@list self, cloudspace, org, $service, $ty, $kind, $($op, $keep)?)
            }

            #[doc = concat!("Changes to the ", $kind, "s of an org (optionally of one cloudspace): ")]
            /// the list polled with backoff (uncached), each change a
            /// [`WatchEvent`](super::WatchEvent).
            pub fn watch(self, cloudspace: Option<&str>, org: Option<&str>) -> WatchStream<$ty> {
                let cloudspace = cloudspace.map(str::to_owned);
                stream::watch(
                    self.0,
                    org,
                    move |c, org| {
                        let cloudspace = cloudspace.clone();
                        Box::pin(async move {
                            $service(&c).list(cloudspace.as_deref(), org.as_deref()).await
                        })
                    },
                    |o| name_of(o.metadata.as_ref()).to_string(),
                )
            }
        }
    };
}

// The contract declares no `limit`/`continue` on the node pool lists: fetched whole.
pool_streams!(SpotPools, SpotNodePool, "spot node pool", "spot_pools");
pool_streams!(
    OnDemandPools,
    OnDemandNodePool,
    "on-demand node pool",
    "ondemand_pools"
);
pool_streams!(
    AutopilotPools,
    AutopilotNodePool,
    "autopilot node pool",
    "autopilot_pools",
    list_autopilot_node_pools,
    |p, cs| p.spec.as_ref().and_then(|s| s.cloud_space.as_deref()) == Some(cs)
);

// The VM kinds' typed lists carry no `metadata.continue`, so a page cannot say where the next
// one starts: their streams take the whole list (the transport follows the server's pages).

impl VmCloudSpaces<'_> {
    /// The VM cloudspaces of an org as a stream; `.limit(n)` stops after `n`. The list is
    /// fetched whole (its answer carries no page token to go on from).
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use futures::TryStreamExt;
    /// let first = client.vm_cloudspaces().list_stream(None).limit(10).try_collect::<Vec<_>>().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_stream(self, org: Option<&str>) -> ListStream<VmCloudSpace> {
        stream::whole(self.0, org, |c, org| {
            Box::pin(async move { VmCloudSpaces(&c).list(org.as_deref()).await })
        })
    }

    /// Changes to the VM cloudspaces of an org: the list polled with backoff (uncached), each
    /// change a [`WatchEvent`](super::WatchEvent).
    pub fn watch(self, org: Option<&str>) -> WatchStream<VmCloudSpace> {
        stream::watch(
            self.0,
            org,
            |c, org| Box::pin(async move { VmCloudSpaces(&c).list(org.as_deref()).await }),
            |o| o.metadata.name.clone().unwrap_or_default(),
        )
    }
}

impl VmPools<'_> {
    /// The VM pools of an org (optionally of one VM cloudspace) as a stream; `.limit(n)` stops
    /// after `n`. The list is fetched whole (its answer carries no page token to go on from).
    pub fn list_stream(self, vm_cloudspace: Option<&str>, org: Option<&str>) -> ListStream<VmPool> {
        let vm_cloudspace = vm_cloudspace.map(str::to_owned);
        stream::whole(self.0, org, move |c, org| {
            let cs = vm_cloudspace.clone();
            Box::pin(async move { VmPools(&c).list(cs.as_deref(), org.as_deref()).await })
        })
    }

    /// Changes to the VM pools of an org (optionally of one VM cloudspace): the list polled
    /// with backoff (uncached), each change a [`WatchEvent`](super::WatchEvent).
    pub fn watch(self, vm_cloudspace: Option<&str>, org: Option<&str>) -> WatchStream<VmPool> {
        let vm_cloudspace = vm_cloudspace.map(str::to_owned);
        stream::watch(
            self.0,
            org,
            move |c, org| {
                let cs = vm_cloudspace.clone();
                Box::pin(async move { VmPools(&c).list(cs.as_deref(), org.as_deref()).await })
            },
            |o| o.metadata.name.clone().unwrap_or_default(),
        )
    }
}
