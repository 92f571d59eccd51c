//! The declarations: one `impl Kind` per Spot kind. Adding a kind is one block here (plus its
//! requests in `services/` and its columns in the CLI).

use super::{Create, Kind, ListQuery, MergePatch, MetaRef, NameRule, Page, Sealed};
use crate::SpotClient;
use crate::error::Result;
use crate::raw::types::Patch;
use crate::raw::types::{AutopilotNodePool, CloudSpace, OnDemandNodePool, SpotNodePool, VmSshKey};
use crate::services::autopilot::progress::{is_allocated, vcpu_progress};
use crate::services::calls::{call, read};
use crate::services::wait::Readiness;
use crate::types::inventory::{VmCloudSpace, VmPool};
use crate::types::{BidStatus, CloudSpacePhase};

/// The label the service puts on node pools to tie them to their cloudspace.
pub const CLOUDSPACE_LABEL: &str = "ngpc.rxt.io/cloudspace";
/// The label that ties a VM pool to its VM cloudspace.
pub const VMCLOUDSPACE_LABEL: &str = "ngpc.rxt.io/vmcloudspace";

/// `label=parent`, the selector of a narrowed list.
fn selector<K: Kind>(q: &ListQuery) -> Option<String> {
    Some(format!("{}={}", K::PARENT_LABEL?, q.parent.as_deref()?))
}

/// `Fulfilled` with at least `desired` won: the readiness of every kind of pool that bids.
fn fulfilled<K>(pool: K, status: Option<&str>, got: u32, desired: u32, unit: &str) -> Readiness<K> {
    let phase = status.unwrap_or("Pending").to_string();
    let done = phase == "Fulfilled" && got >= desired;
    Readiness::ready_when(done, pool, phase, format!("{got}/{desired} {unit}"))
}

/// Ready with an API endpoint. `Deleting` fails at once; `Error` is tolerated for
/// `opts.error_grace`, then three consecutive `Error` polls fail.
fn cloudspace_readiness(cs: CloudSpace) -> Readiness<CloudSpace> {
    let status = cs.status.clone().unwrap_or_default();
    let phase = status.phase.clone();
    let text = phase
        .as_ref()
        .map_or("Pending", CloudSpacePhase::as_str)
        .to_string();
    // Health and reason say why a cloudspace is not Ready: the progress line and a timeout's
    // "last seen" carry both.
    let detail = [
        status.health.as_ref().map(|h| format!("health {h}")),
        status.reason.clone().filter(|r| !r.is_empty()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    let endpoint = status.api_server_endpoint.as_deref().unwrap_or_default();
    let deleting =
        cs.metadata.deletion_timestamp.is_some() || phase == Some(CloudSpacePhase::Deleting);
    match phase {
        _ if deleting => Readiness::Failed("the cloudspace is being deleted".into()),
        Some(CloudSpacePhase::Ready) if !endpoint.is_empty() => Readiness::Ready(cs),
        Some(CloudSpacePhase::Error) => Readiness::Errored(text, detail),
        _ => Readiness::Pending(text, detail),
    }
}

impl Sealed for CloudSpace {}
impl Kind for CloudSpace {
    const KIND: &'static str = "cloudspace";
    const PARENT_LABEL: Option<&'static str> = None;
    const NAMES: NameRule = NameRule::DnsLabel;
    const READY: &'static str = "Ready";
    const PAGED: bool = false;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        None
    }
    fn phase(&self) -> Option<&str> {
        self.status
            .as_ref()?
            .phase
            .as_ref()
            .map(CloudSpacePhase::as_str)
    }
    fn readiness(self) -> Readiness<Self> {
        cloudspace_readiness(self)
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let send = || c.raw.list_cloud_spaces().namespace(&q.namespace).send();
        let list = read(send, Self::KIND, "").await?;
        Ok(Page::of(list.items, list.metadata))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || c.raw.get_cloud_space().namespace(ns).name(name).send();
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_cloud_space().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for CloudSpace {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.meta().name.unwrap_or_default().to_string();
        let b = c.raw.create_cloud_space().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}

impl Sealed for SpotNodePool {}
impl Kind for SpotNodePool {
    const KIND: &'static str = "spot node pool";
    const PARENT_LABEL: Option<&'static str> = Some(CLOUDSPACE_LABEL);
    const NAMES: NameRule = NameRule::Uuid;
    const READY: &'static str = "Fulfilled";
    const PAGED: bool = false;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        Some(self.spec.cloud_space.as_str())
    }
    fn phase(&self) -> Option<&str> {
        self.status
            .as_ref()?
            .bid_status
            .as_ref()
            .map(BidStatus::as_str)
    }
    fn readiness(self) -> Readiness<Self> {
        let desired = self.spec.desired.unwrap_or(0);
        let won = self.status.as_ref().and_then(|s| s.won_count).unwrap_or(0);
        let status = self.phase().map(str::to_owned);
        fulfilled(self, status.as_deref(), won, desired, "nodes")
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let mut b = c.raw.list_spot_node_pools().namespace(&q.namespace);
        if let Some(sel) = selector::<Self>(&q) {
            b = b.label_selector(sel);
        }
        let list = read(|| b.clone().send(), Self::KIND, "").await?;
        Ok(Page::of(list.items, list.metadata))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || c.raw.get_spot_node_pool().namespace(ns).name(name).send();
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_spot_node_pool().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for SpotNodePool {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.meta().name.unwrap_or_default().to_string();
        let b = c.raw.create_spot_node_pool().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}

impl Sealed for OnDemandNodePool {}
impl Kind for OnDemandNodePool {
    const KIND: &'static str = "on-demand node pool";
    const PARENT_LABEL: Option<&'static str> = Some(CLOUDSPACE_LABEL);
    const NAMES: NameRule = NameRule::Uuid;
    const READY: &'static str = "Fulfilled";
    const PAGED: bool = false;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        Some(self.spec.cloud_space.as_str())
    }
    fn phase(&self) -> Option<&str> {
        self.status
            .as_ref()?
            .reserved_status
            .as_ref()
            .map(BidStatus::as_str)
    }
    fn readiness(self) -> Readiness<Self> {
        let desired = self.spec.desired.unwrap_or(0);
        let got = self
            .status
            .as_ref()
            .and_then(|s| s.reserved_count)
            .unwrap_or(0);
        let status = self.phase().map(str::to_owned);
        fulfilled(self, status.as_deref(), got, desired, "nodes")
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let mut b = c.raw.list_on_demand_node_pools().namespace(&q.namespace);
        if let Some(sel) = selector::<Self>(&q) {
            b = b.label_selector(sel);
        }
        let list = read(|| b.clone().send(), Self::KIND, "").await?;
        Ok(Page::of(list.items, list.metadata))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || {
            c.raw
                .get_on_demand_node_pool()
                .namespace(ns)
                .name(name)
                .send()
        };
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_on_demand_node_pool().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for OnDemandNodePool {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.meta().name.unwrap_or_default().to_string();
        let b = c.raw.create_on_demand_node_pool().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}

impl Sealed for AutopilotNodePool {}
impl Kind for AutopilotNodePool {
    const KIND: &'static str = "autopilot node pool";
    const PARENT_LABEL: Option<&'static str> = Some(CLOUDSPACE_LABEL);
    const NAMES: NameRule = NameRule::Uuid;
    const READY: &'static str = "allocated";
    const PAGED: bool = true;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        Some(self.spec.cloud_space.as_str())
    }
    fn phase(&self) -> Option<&str> {
        self.status.as_ref()?.phase.as_deref()
    }
    /// Every vCPU wanted is won (`managedVCPUs ≥ targetVCPUs`); the phase is shown, never
    /// relied on: the service has not published its names.
    fn readiness(self) -> Readiness<Self> {
        let phase = self.phase().unwrap_or("Pending").to_string();
        let (managed, target) = vcpu_progress(&self);
        let done = is_allocated(&self);
        Readiness::ready_when(done, self, phase, format!("{managed}/{target} vCPUs"))
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let mut b = c.raw.list_autopilot_node_pools().namespace(&q.namespace);
        if let Some(sel) = selector::<Self>(&q) {
            b = b.label_selector(sel);
        }
        if let Some(limit) = q.limit {
            b = b.limit(limit);
        }
        if let Some(token) = q.continue_.clone() {
            b = b.continue_(token);
        }
        let list = read(|| b.clone().send(), Self::KIND, "").await?;
        Ok(Page::of(list.items, list.metadata))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || {
            c.raw
                .get_autopilot_node_pool()
                .namespace(ns)
                .name(name)
                .send()
        };
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_autopilot_node_pool().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for AutopilotNodePool {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.meta().name.unwrap_or_default().to_string();
        let b = c.raw.create_autopilot_node_pool().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}

impl Sealed for VmSshKey {}
impl Kind for VmSshKey {
    const KIND: &'static str = "vm ssh key";
    const PARENT_LABEL: Option<&'static str> = None;
    const NAMES: NameRule = NameRule::Free;
    const READY: &'static str = "present";
    const PAGED: bool = true;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        None
    }
    fn phase(&self) -> Option<&str> {
        None
    }
    fn readiness(self) -> Readiness<Self> {
        Readiness::Ready(self)
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let mut b = c.raw.list_vm_ssh_keys().namespace(&q.namespace);
        if let Some(limit) = q.limit {
            b = b.limit(limit);
        }
        if let Some(token) = q.continue_.clone() {
            b = b.continue_(token);
        }
        let list = read(|| b.clone().send(), Self::KIND, "").await?;
        Ok(Page::of(list.items, list.metadata))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || c.raw.get_vm_ssh_key().namespace(ns).name(name).send();
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_vm_ssh_key().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for VmSshKey {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.meta().name.unwrap_or_default().to_string();
        let b = c.raw.create_vm_ssh_key().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}

impl Sealed for VmCloudSpace {}
impl Kind for VmCloudSpace {
    const KIND: &'static str = "vm cloudspace";
    const PARENT_LABEL: Option<&'static str> = None;
    const NAMES: NameRule = NameRule::DnsLabel;
    const READY: &'static str = "Ready";
    const PAGED: bool = false;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        None
    }
    fn phase(&self) -> Option<&str> {
        self.status.phase.as_ref().map(CloudSpacePhase::as_str)
    }
    fn readiness(self) -> Readiness<Self> {
        let phase = self.phase().unwrap_or("Pending").to_string();
        Readiness::ready_when(phase == "Ready", self, phase, String::new())
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let send = || c.raw.list_vm_cloud_spaces().namespace(&q.namespace).send();
        Ok(Page::new(read(send, Self::KIND, "").await?.items, None))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || c.raw.get_vm_cloud_space().namespace(ns).name(name).send();
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_vm_cloud_space().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for VmCloudSpace {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.metadata.name.clone();
        let b = c.raw.create_vm_cloud_space().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}

impl Sealed for VmPool {}
impl Kind for VmPool {
    const KIND: &'static str = "vm pool";
    const PARENT_LABEL: Option<&'static str> = Some(VMCLOUDSPACE_LABEL);
    const NAMES: NameRule = NameRule::Uuid;
    const READY: &'static str = "Fulfilled";
    const PAGED: bool = false;

    fn meta(&self) -> MetaRef<'_> {
        MetaRef::from(&self.metadata)
    }
    fn spec_parent(&self) -> Option<&str> {
        self.spec.vm_cloud_space.as_deref()
    }
    fn phase(&self) -> Option<&str> {
        self.status.bid_status.as_ref().map(BidStatus::as_str)
    }
    fn readiness(self) -> Readiness<Self> {
        let desired = self.spec.desired.unwrap_or(0);
        let won = self.status.won_count.unwrap_or(0);
        let status = self.phase().map(str::to_owned);
        fulfilled(self, status.as_deref(), won, desired, "VMs")
    }
    async fn fetch_list(c: &SpotClient, q: ListQuery) -> Result<Page<Self>> {
        let mut b = c.raw.list_vm_pools().namespace(&q.namespace);
        if let Some(sel) = selector::<Self>(&q) {
            b = b.label_selector(sel);
        }
        Ok(Page::new(
            read(|| b.clone().send(), Self::KIND, "").await?.items,
            None,
        ))
    }
    async fn fetch(c: &SpotClient, ns: &str, name: &str) -> Result<Self> {
        let send = || c.raw.get_vm_pool().namespace(ns).name(name).send();
        read(send, Self::KIND, name).await
    }
    async fn remove(c: &SpotClient, ns: &str, name: &str) -> Result<()> {
        let b = c.raw.delete_vm_pool().namespace(ns).name(name);
        call(b.send(), Self::KIND, name).await.map(drop)
    }
}
impl Create for VmPool {
    async fn send_create(c: &SpotClient, ns: &str, body: Self) -> Result<Self> {
        let name = body.metadata.name.clone();
        let b = c.raw.create_vm_pool().namespace(ns).body(body);
        call(b.send(), Self::KIND, &name).await
    }
}
impl MergePatch for CloudSpace {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c
            .raw
            .patch_cloud_space()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
impl MergePatch for SpotNodePool {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c
            .raw
            .patch_spot_node_pool()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
impl MergePatch for OnDemandNodePool {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c
            .raw
            .patch_on_demand_node_pool()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
impl MergePatch for AutopilotNodePool {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c
            .raw
            .patch_autopilot_node_pool()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
impl MergePatch for VmSshKey {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c
            .raw
            .patch_vm_ssh_key()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
impl MergePatch for VmCloudSpace {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c
            .raw
            .patch_vm_cloud_space()
            .namespace(ns)
            .name(name)
            .body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
impl MergePatch for VmPool {
    async fn send_patch(c: &SpotClient, ns: &str, name: &str, patch: Patch) -> Result<Self> {
        let b = c.raw.patch_vm_pool().namespace(ns).name(name).body(patch);
        call(b.send(), Self::KIND, name).await
    }
}
