//! [`Api`]: the one handle every kind is reached through.

use std::future::Future;
use std::marker::PhantomData;

use super::{Kind, ListQuery, MergePatch, Org, Page, ResourceExt};
use crate::SpotClient;
use crate::error::Result;
use crate::services::stream::{self, ListStream, PageRequest, WatchStream};
use crate::services::wait::{WaitOptions, poll_uncached};

/// The handle of one kind in one organization, optionally narrowed to one parent
/// ([`Api::within`]): `list`, `get`, `delete`, `wait_ready`, `list_stream` and `watch` for
/// every kind; what a kind adds (creates, updates, scaling, kubeconfigs) is in its own `impl`
/// block in [`crate::services`]. Cheap to clone.
///
/// ```no_run
/// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
/// use rsspot::ResourceExt;
/// let pools = client.org("acme").spot_pools();
/// for pool in pools.within("demo").list().await? {
///     println!("{}", pool.name());
/// }
/// # Ok(()) }
/// ```
pub struct Api<'a, K> {
    pub(crate) org: Org<'a>,
    pub(crate) parent: Option<String>,
    kind: PhantomData<fn() -> K>,
}

impl<K> Clone for Api<'_, K> {
    fn clone(&self) -> Self {
        Api {
            org: self.org.clone(),
            parent: self.parent.clone(),
            kind: PhantomData,
        }
    }
}

impl<K: Kind> std::fmt::Debug for Api<'_, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("kind", &K::KIND)
            .field("org", &self.org.named())
            .field("parent", &self.parent)
            .finish()
    }
}

impl<'a, K: Kind> Api<'a, K> {
    pub(crate) fn new(org: Org<'a>) -> Self {
        Api {
            org,
            parent: None,
            kind: PhantomData,
        }
    }

    /// Only the objects of one parent (a node pool's cloudspace, a VM pool's VM cloudspace);
    /// `None` lifts the narrowing. The parent is sent as a label selector and checked again
    /// here, so a gateway that ignores the selector cannot widen a list.
    pub fn within<'p>(mut self, parent: impl Into<Option<&'p str>>) -> Self {
        self.parent = parent.into().map(str::to_owned);
        self
    }

    /// The organization this handle is in.
    pub fn org(&self) -> &Org<'a> {
        &self.org
    }

    pub(crate) fn client(&self) -> &'a SpotClient {
        self.org.client
    }

    /// The org namespace (resolved on first use of the [`Org`]).
    pub async fn namespace(&self) -> Result<String> {
        self.org.namespace().await
    }

    /// Every object (of the parent, when narrowed), the whole list in one call.
    ///
    /// The future owns what it needs (it borrows neither this handle nor the arguments), so
    /// calls can be gathered and run together:
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// let org = client.org("acme");
    /// let (spot, ondemand) = tokio::join!(org.spot_pools().list(), org.ondemand_pools().list());
    /// # Ok(()) }
    /// ```
    pub fn list(&self) -> impl Future<Output = Result<Vec<K>>> + Send + use<'a, K> {
        let this = self.clone();
        async move {
            let query = ListQuery {
                namespace: this.namespace().await?,
                parent: this.parent.clone(),
                ..ListQuery::default()
            };
            let page = K::fetch_list(this.client(), query).await?;
            Ok(keep_children(page, this.parent.as_deref()).items)
        }
    }

    /// One object by name.
    pub fn get(&self, name: &str) -> impl Future<Output = Result<K>> + Send + use<'a, K> {
        let (this, name) = (self.clone(), name.to_owned());
        async move { K::fetch(this.client(), &this.namespace().await?, &name).await }
    }

    /// Deletes one object. The transport reads it first: a name that is not there is
    /// [`crate::Error::NotFound`] and no DELETE is sent.
    pub fn delete(&self, name: &str) -> impl Future<Output = Result<()>> + Send + use<'a, K> {
        let (this, name) = (self.clone(), name.to_owned());
        async move { K::remove(this.client(), &this.namespace().await?, &name).await }
    }

    /// Applies `patch` (any serializable value: the fields to change) to the object `name` as
    /// a JSON merge patch. The kinds' typed updates (`SpotPoolUpdate`, …) check their fields
    /// and the spending guardrails first; this sends what it is given.
    pub async fn patch(&self, name: &str, patch: &impl serde::Serialize) -> Result<K>
    where
        K: MergePatch,
    {
        let body = crate::services::calls::merge_patch(patch)?;
        K::send_patch(self.client(), &self.namespace().await?, name, body).await
    }

    /// Polls (uncached, with backoff) until the object is what [`Kind::READY`] says, fails, or
    /// `opts.timeout` passes; each change is reported to `opts`' progress callback.
    pub fn wait_ready(
        &self,
        name: &str,
        opts: &WaitOptions,
    ) -> impl Future<Output = Result<K>> + Send + use<'a, K> {
        let (this, name, opts) = (self.clone(), name.to_owned(), opts.clone());
        async move {
            let what = format!("{} {name}", K::KIND);
            let target = this.org.target.clone();
            let name = name.as_str();
            poll_uncached(this.client(), &what, K::READY, &opts, |client| {
                let target = target.clone();
                async move {
                    let ns = target.namespace(&client).await?;
                    Ok(K::fetch(&client, &ns, name).await?.readiness())
                }
            })
            .await
        }
    }

    /// The objects as a stream, fetched a page at a time as they are consumed where the kind's
    /// list takes `limit`/`continue` (else the whole list is one page); `.limit(n)` stops after
    /// `n` items and fetches no page past them.
    ///
    /// ```no_run
    /// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
    /// use futures::TryStreamExt;
    /// let first: Vec<_> = client.vm_ssh_keys().list_stream().limit(10).try_collect().await?;
    /// # Ok(()) }
    /// ```
    pub fn list_stream(&self) -> ListStream<K> {
        let client = self.client().clone();
        let target = self.org.target.clone();
        let parent = self.parent.clone();
        ListStream::new(Box::new(move |page: PageRequest| {
            let client = client.clone();
            let target = target.clone();
            let parent = parent.clone();
            Box::pin(async move {
                let query = ListQuery {
                    namespace: target.namespace(&client).await?,
                    parent: parent.clone(),
                    limit: K::PAGED.then_some(page.limit),
                    continue_: page.continue_.filter(|_| K::PAGED),
                };
                let page = keep_children(K::fetch_list(&client, query).await?, parent.as_deref());
                Ok(stream::Page::new(page.items, page.next))
            })
        }))
    }

    /// Changes to the objects (of the parent, when narrowed): the list polled with backoff
    /// (uncached), each change a [`WatchEvent`](crate::services::WatchEvent).
    pub fn watch(&self) -> WatchStream<K> {
        let client = self.client().without_cache();
        let target = self.org.target.clone();
        let parent = self.parent.clone();
        WatchStream::new(
            Box::new(move || {
                let client = client.clone();
                let target = target.clone();
                let parent = parent.clone();
                Box::pin(async move {
                    let query = ListQuery {
                        namespace: target.namespace(&client).await?,
                        parent: parent.clone(),
                        ..ListQuery::default()
                    };
                    Ok(
                        keep_children(K::fetch_list(&client, query).await?, parent.as_deref())
                            .items,
                    )
                })
            }),
            |o: &K| o.name().to_string(),
        )
    }
}

/// The items of `page` that belong to `parent` (all of them without one).
fn keep_children<K: Kind>(mut page: Page<K>, parent: Option<&str>) -> Page<K> {
    if let Some(parent) = parent {
        page.items.retain(|o| o.parent() == Some(parent));
    }
    page
}
