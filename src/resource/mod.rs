//! The resource model: every Spot kind declared once.
//!
//! A [`Kind`] is one declaration of what generic code needs to know about a kind of object —
//! what errors call it, the label that ties it to its parent, how its names look, how one page
//! of its list, one object and one delete are fetched, and when it is ready. [`Api`] is the one
//! handle that gives every kind `list`, `get`, `delete`, `wait_ready`, `list_stream` and
//! `watch`; what only one kind does (a spot pool's bid, a cloudspace's kubeconfig) is an
//! `impl Api<'_, ThatKind>` block beside the kind's requests in [`crate::services`].
//!
//! [`Org`] is an organization-scoped handle: `client.org("acme")` is cheap, synchronous and
//! cannot fail; the name is resolved to its namespace on first use and remembered.
//!
//! ```no_run
//! # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
//! use rsspot::ResourceExt;
//! let org = client.org("acme");
//! for pool in org.spot_pools().within("demo").list().await? {
//!     println!("{} {:?}", pool.name(), pool.phase());
//! }
//! # Ok(()) }
//! ```

mod api;
mod ext;
mod kinds;
pub use kinds::{CLOUDSPACE_LABEL, VMCLOUDSPACE_LABEL};
mod org;

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::SpotClient;
use crate::error::Result;

pub use crate::services::wait::Readiness;
pub use api::Api;
pub use ext::{MetaRef, ResourceExt};
pub use org::Org;
pub(crate) use org::{OrgTarget, kind_accessors, named_kinds};

/// How the names of a kind look (checked before any request is sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// An RFC 1123 DNS label (cloudspaces, VM cloudspaces).
    DnsLabel,
    /// A lowercase hyphenated UUID, generated when not given (node pools, VM pools).
    Uuid,
    /// Any name the server accepts (SSH keys).
    Free,
}

/// What one list request asks for: the parent to narrow to and, for a page, its size and the
/// previous page's `metadata.continue`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// The org namespace.
    pub namespace: String,
    /// Only the children of this parent (sent as a label selector where the kind has one).
    pub parent: Option<String>,
    /// Items asked for (`None`: the whole list).
    pub limit: Option<u32>,
    /// The previous page's `metadata.continue`.
    pub continue_: Option<String>,
}

/// One page of a list: its items and the next page's token (`None`: the list ends here).
#[derive(Debug, Clone)]
pub struct Page<K> {
    /// The items of this page.
    pub items: Vec<K>,
    /// `metadata.continue` of the answer, when more items follow.
    pub next: Option<String>,
}

impl<K> Page<K> {
    /// A page whose `metadata.continue` is `token` (empty means the end).
    pub fn new(items: Vec<K>, token: Option<String>) -> Self {
        Page {
            items,
            next: token.filter(|t| !t.is_empty()),
        }
    }

    /// A page of a generated list type: its items and `metadata.continue`.
    pub(crate) fn of(items: Vec<K>, meta: Option<crate::raw::types::ListMeta>) -> Self {
        Page::new(items, meta.and_then(|m| m.continue_))
    }
}

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// One Spot kind, declared once (see the [module docs](self)). Implemented for every
/// namespaced kind of the API; sealed.
pub trait Kind:
    Sealed + Clone + Serialize + DeserializeOwned + Send + Sync + Unpin + 'static
{
    /// What messages call one object (`"spot node pool"`).
    const KIND: &'static str;
    /// The label that ties an object to its parent, when the kind has a parent.
    const PARENT_LABEL: Option<&'static str>;
    /// How names of this kind look.
    const NAMES: NameRule;
    /// What [`Api::wait_ready`] waits for, in words (`"Fulfilled"`).
    const READY: &'static str;
    /// Whether the list operation takes `limit`/`continue` (otherwise a stream fetches the
    /// whole list as one page).
    const PAGED: bool;

    /// The object's metadata.
    fn meta(&self) -> MetaRef<'_>;
    /// The parent the spec names (`spec.cloudSpace`), used when the object has no parent label.
    fn spec_parent(&self) -> Option<&str>;
    /// The object's phase or bid status, where the kind has one.
    fn phase(&self) -> Option<&str>;
    /// Whether the object is what [`Kind::READY`] says, and if not, how far along.
    fn readiness(self) -> Readiness<Self>;

    /// Fetches one page (or, without `limit`, the whole list) of the kind in a namespace.
    fn fetch_list(
        client: &SpotClient,
        query: ListQuery,
    ) -> impl Future<Output = Result<Page<Self>>> + Send;
    /// Fetches one object.
    fn fetch(
        client: &SpotClient,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<Self>> + Send;
    /// Deletes one object (the transport reads it first; see [`crate::Error::NotFound`]).
    fn remove(
        client: &SpotClient,
        namespace: &str,
        name: &str,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The parent this object belongs to: its parent label, else the spec's parent field.
    fn parent(&self) -> Option<&str> {
        Self::PARENT_LABEL
            .and_then(|l| self.meta().labels?.get(l))
            .map(String::as_str)
            .or_else(|| self.spec_parent())
    }
}

/// A kind whose objects are created from a full body.
pub trait Create: Kind {
    /// Sends a create of `body` in `namespace`.
    fn send_create(
        client: &SpotClient,
        namespace: &str,
        body: Self,
    ) -> impl Future<Output = Result<Self>> + Send;
}

/// A kind whose objects are changed by a JSON merge patch.
pub trait MergePatch: Kind {
    /// Sends a merge patch of the object `name`.
    fn send_patch(
        client: &SpotClient,
        namespace: &str,
        name: &str,
        patch: crate::raw::types::Patch,
    ) -> impl Future<Output = Result<Self>> + Send;
}
