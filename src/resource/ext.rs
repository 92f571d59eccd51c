//! [`ResourceExt`]: the accessors every object the service returns answers, like kube's.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::Kind;
use crate::raw::types::{ObjectMeta, Region, ServerClass};

static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

/// A view of an object's metadata, whichever of the two metadata types it carries (the
/// generated one, or the inventory kinds' own).
#[derive(Debug, Clone, Copy, Default)]
pub struct MetaRef<'a> {
    /// `metadata.name`.
    pub name: Option<&'a str>,
    /// `metadata.namespace`.
    pub namespace: Option<&'a str>,
    /// `metadata.labels`.
    pub labels: Option<&'a BTreeMap<String, String>>,
    /// `metadata.creationTimestamp`.
    pub created: Option<DateTime<Utc>>,
    /// `metadata.resourceVersion`.
    pub resource_version: Option<&'a str>,
    /// Whether `metadata.deletionTimestamp` is set.
    pub deleting: bool,
}

impl<'a> From<&'a ObjectMeta> for MetaRef<'a> {
    fn from(m: &'a ObjectMeta) -> Self {
        MetaRef {
            name: Some(m.name.as_str()),
            namespace: m.namespace.as_deref(),
            labels: Some(&m.labels),
            created: m.creation_timestamp.as_ref().map(|t| t.0),
            resource_version: m.resource_version.as_deref(),
            deleting: m.deletion_timestamp.is_some(),
        }
    }
}

impl<'a> From<&'a crate::types::inventory::ObjectMeta> for MetaRef<'a> {
    fn from(m: &'a crate::types::inventory::ObjectMeta) -> Self {
        MetaRef {
            name: Some(m.name.as_str()),
            namespace: m.namespace.as_deref(),
            labels: Some(&m.labels),
            created: m.creation_timestamp,
            resource_version: m.extra.get("resourceVersion").and_then(|v| v.as_str()),
            deleting: m
                .extra
                .get("deletionTimestamp")
                .is_some_and(|v| !v.is_null()),
        }
    }
}

/// Accessors over an object's metadata, so code reads `pool.name()` instead of
/// `pool.metadata.name.as_deref()`.
///
/// ```no_run
/// # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
/// use rsspot::ResourceExt;
/// for cs in client.cloudspaces().list().await? {
///     println!("{} {} {:?}", cs.name(), cs.phase().unwrap_or("-"), cs.created());
/// }
/// # Ok(()) }
/// ```
pub trait ResourceExt {
    /// The object's metadata.
    fn metadata_ref(&self) -> MetaRef<'_>;

    /// `metadata.name` (every object the service returns has one; `""` otherwise).
    fn name(&self) -> &str {
        self.metadata_ref().name.unwrap_or_default()
    }

    /// `metadata.namespace`: the org namespace of a namespaced object.
    fn namespace(&self) -> Option<&str> {
        self.metadata_ref().namespace
    }

    /// `metadata.labels` (empty when there are none).
    fn labels(&self) -> &BTreeMap<String, String> {
        self.metadata_ref().labels.unwrap_or(&NO_LABELS)
    }

    /// `metadata.creationTimestamp`.
    fn created(&self) -> Option<DateTime<Utc>> {
        self.metadata_ref().created
    }

    /// `metadata.resourceVersion`: changes with every write.
    fn resource_version(&self) -> Option<&str> {
        self.metadata_ref().resource_version
    }

    /// Whether a delete has begun (`metadata.deletionTimestamp` is set).
    fn is_deleting(&self) -> bool {
        self.metadata_ref().deleting
    }

    /// The phase (cloudspaces), bid or reserved status (node pools), where the kind has one.
    fn phase(&self) -> Option<&str> {
        None
    }
}

impl<K: Kind> ResourceExt for K {
    fn metadata_ref(&self) -> MetaRef<'_> {
        self.meta()
    }

    fn phase(&self) -> Option<&str> {
        Kind::phase(self)
    }
}

impl ResourceExt for Region {
    fn metadata_ref(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
}

impl ResourceExt for ServerClass {
    fn metadata_ref(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
}
