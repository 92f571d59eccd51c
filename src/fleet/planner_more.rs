//! The planner for the fleet's other kinds: VM SSH keys, VM cloudspaces with their VM pools,
//! and autopilot pools. Same rules as the node pools: fields left out are not managed, fields
//! that cannot change in place are refused naming the object, advice bids are resolved once.

use rust_decimal::Decimal;

use super::live_more::{AutopilotState, SshKeyState, VmCloudSpaceState, VmPoolState, price_text};
use super::model::FleetCloudSpace;
use super::model_more::{
    FleetAutopilotPool, FleetSshKey, FleetVmCloudSpace, FleetVmPool, autopilot_label, vm_pool_label,
};
use super::plan::*;
use super::planner::{Planner, field, json, object};
use crate::error::{Error, Result};
use crate::pricing::guard;
use crate::services::PoolType;
use crate::services::vm_pools::DEFAULT_VM_IMAGE;

fn immutable(
    what: &str,
    name: &str,
    old: &impl serde::Serialize,
    new: &impl serde::Serialize,
    how: &str,
) -> Error {
    Error::invalid(
        format!("{what}.{name}"),
        format!(
            "cannot change from {} to {} in place; {how}",
            json(old),
            json(new)
        ),
    )
}

impl Planner<'_> {
    /// A VM SSH key: created when missing; its key and description cannot change in place.
    pub(super) fn ssh_key(&mut self, k: &FleetSshKey) -> Result<()> {
        let snap = self.snap;
        self.kept.insert((ObjectKind::VmSshKey, k.name.clone()));
        let live = snap.ssh_keys.iter().find(|l| l.name == k.name);
        let target = SshKeyState {
            public_key: k.public_key.trim().to_string(),
            description: k
                .description
                .clone()
                .or_else(|| live.and_then(|l| l.state.description.clone()))
                .filter(|d| !d.is_empty()),
        };
        if let Some(l) = live {
            let what = format!("vmSshKeys.{}", k.name);
            let how = "give the new key another name";
            if l.state.public_key != target.public_key {
                return Err(immutable(
                    &what,
                    "publicKey",
                    &l.state.public_key,
                    &target.public_key,
                    how,
                ));
            }
            if l.state.description != target.description {
                return Err(immutable(
                    &what,
                    "description",
                    &l.state.description,
                    &target.description,
                    how,
                ));
            }
        }
        let obj = object(ObjectKind::VmSshKey, &k.name, None, None);
        self.record(obj, live, Vec::new(), Target::SshKey(target));
        Ok(())
    }

    /// A VM cloudspace and its VM pools.
    pub(super) fn vm_cloudspace(&mut self, cs: &FleetVmCloudSpace) -> Result<()> {
        let snap = self.snap;
        self.kept
            .insert((ObjectKind::VmCloudSpace, cs.name.clone()));
        let live = snap.vm_cloudspaces.iter().find(|l| l.name == cs.name);
        let what = format!("vmCloudspaces.{}", cs.name);
        let how = "create a VM cloudspace of another name";
        let target = VmCloudSpaceState {
            region: Some(cs.region.clone()),
            ssh_key: Some(cs.ssh_key.clone()),
            webhook: cs
                .webhook
                .clone()
                .or_else(|| live.and_then(|l| l.state.webhook.clone()))
                .or(Some(String::new())),
        };
        let mut fields = Vec::new();
        if let Some(l) = live {
            if l.state.region.is_some() && l.state.region != target.region {
                return Err(immutable(
                    &what,
                    "region",
                    &l.state.region,
                    &target.region,
                    how,
                ));
            }
            if l.state.ssh_key.is_some() && l.state.ssh_key != target.ssh_key {
                return Err(immutable(
                    &what,
                    "sshKey",
                    &l.state.ssh_key,
                    &target.ssh_key,
                    how,
                ));
            }
            field(&mut fields, "webhook", &l.state.webhook, &target.webhook);
        }
        let obj = object(ObjectKind::VmCloudSpace, &cs.name, None, None);
        self.record(obj, live, fields, Target::VmCloudSpace(target));
        for pool in &cs.vm_pools {
            self.vm_pool(cs, pool)?;
        }
        Ok(())
    }

    fn vm_pool(&mut self, cs: &FleetVmCloudSpace, pool: &FleetVmPool) -> Result<()> {
        let snap = self.snap;
        let label = vm_pool_label(&cs.name, pool);
        let name = super::vm_pool_name(&snap.namespace, &cs.name, pool);
        let kind = ObjectKind::VmPool;
        let live = self.find_live(kind, &snap.vm_pools, &[], &name, &label, &cs.name)?;
        let region = Some(cs.region.as_str());
        let (class, row) = self.class(kind, &pool.server_class, &label, &cs.name, region)?;
        let pool_type = pool.pool_type(&label)?;
        let live_bid = live.map(|l| l.state.bid.as_deref());
        let bid = self.bid(pool.bid.as_ref(), &label, live_bid, row)?;
        if let Some(b) = bid
            && pool_type == PoolType::Spot
        {
            guard::check_floor(b, class)
                .map_err(|e| Error::invalid(format!("{label}.bid"), e.to_string()))?;
        }
        let user_data = pool
            .user_data
            .as_ref()
            .map(|u| u.wire(&label))
            .transpose()?;
        let target = VmPoolState {
            vm_cloudspace: cs.name.clone(),
            server_class: pool.server_class.clone(),
            desired: pool.desired,
            pool_type: pool_type.as_str().to_string(),
            bid: bid.map(|b| b.api_form()),
            image: pool.image.clone().or_else(|| {
                live.map_or(Some(DEFAULT_VM_IMAGE.to_string()), |l| {
                    l.state.image.clone()
                })
            }),
            user_data: user_data.or_else(|| live.and_then(|l| l.state.user_data.clone())),
        };
        let per_hour = snap.vm_price(&target);
        self.hourly_after += per_hour * Decimal::from(target.desired);
        let mut fields = Vec::new();
        if let Some(l) = live {
            let how = "give the pool a new key";
            let was = &l.state;
            for (f, old, new) in [
                (
                    "serverClass",
                    &Some(was.server_class.clone()),
                    &Some(target.server_class.clone()),
                ),
                (
                    "poolType",
                    &Some(was.pool_type.clone()),
                    &Some(target.pool_type.clone()),
                ),
                ("image", &was.image, &target.image),
                ("userData", &was.user_data, &target.user_data),
            ] {
                if old.is_some() && old != new {
                    return Err(immutable(&label, f, old, new, how));
                }
            }
            field(&mut fields, "desired", &was.desired, &target.desired);
            if target.bid.is_some() {
                field(&mut fields, "bid", &was.bid, &target.bid);
            }
        }
        let obj = object(kind, &name, Some(&cs.name), pool.key.as_ref());
        let spot_bid = bid.filter(|_| pool_type == PoolType::Spot);
        self.assess(
            &obj,
            live.is_none(),
            &fields,
            spot_bid,
            target.desired,
            None,
            per_hour,
            class,
        );
        self.record(obj, live, fields, Target::VmPool(target));
        Ok(())
    }

    /// An autopilot pool of a cloudspace in `region`.
    pub(super) fn autopilot(
        &mut self,
        cs: &FleetCloudSpace,
        pool: &FleetAutopilotPool,
        region: Option<&str>,
    ) -> Result<()> {
        let snap = self.snap;
        let label = autopilot_label(&cs.name, pool);
        let name = super::autopilot_name(&snap.namespace, &cs.name, pool);
        let kind = ObjectKind::AutopilotPool;
        let live = self.find_live(kind, &snap.autopilot, &[], &name, &label, &cs.name)?;
        let req = pool.request(&cs.name, &label)?;
        let was = live.map(|l| &l.state);
        let target = AutopilotState {
            cloudspace: cs.name.clone(),
            region: was
                .and_then(|w| w.region.clone())
                .or(region.map(str::to_string)),
            vcpu: pool.vcpu,
            vcpu_per_node: pool
                .vcpu_per_node
                .or_else(|| was.and_then(|w| w.vcpu_per_node)),
            memory_per_vcpu: pool
                .memory_per_vcpu
                .clone()
                .or_else(|| was.and_then(|w| w.memory_per_vcpu.clone()))
                .or_else(|| Some(req.memory_per_vcpu.as_str().to_string())),
            budget_per_hour: Some(price_text(&req.budget_per_hour.to_string())),
            allocation_strategy: pool
                .allocation_strategy
                .clone()
                .or_else(|| was.and_then(|w| w.allocation_strategy.clone()))
                .or_else(|| Some(req.allocation_strategy.as_str().to_string())),
            labels: pool
                .labels
                .clone()
                .or_else(|| was.and_then(|w| w.labels.clone())),
            annotations: pool
                .annotations
                .clone()
                .or_else(|| was.and_then(|w| w.annotations.clone())),
            taints: pool
                .taints
                .clone()
                .or_else(|| was.and_then(|w| w.taints.clone())),
        };
        let inputs: Vec<_> = snap.classes.values().map(|(c, _)| c.clone()).collect();
        let spec = crate::pricing::autopilot::PackSpec {
            region: target.region.clone().unwrap_or_default(),
            vcpu_total: target.vcpu,
            vcpu_per_node: target.vcpu_per_node.map(|b| (b.min, b.max)),
            memory_per_vcpu_gb: target
                .memory_per_vcpu
                .as_deref()
                .and_then(|m| m.parse().ok()),
            ceiling: req.budget_per_hour,
        };
        self.hourly_after += crate::pricing::autopilot::preview(&spec, &inputs).hourly_usd;
        let mut fields = Vec::new();
        if let Some(w) = was {
            field(&mut fields, "vcpu", &w.vcpu, &target.vcpu);
            field(
                &mut fields,
                "vcpuPerNode",
                &w.vcpu_per_node,
                &target.vcpu_per_node,
            );
            field(
                &mut fields,
                "memoryPerVCPU",
                &w.memory_per_vcpu,
                &target.memory_per_vcpu,
            );
            field(
                &mut fields,
                "budgetPerHour",
                &w.budget_per_hour,
                &target.budget_per_hour,
            );
            field(
                &mut fields,
                "allocationStrategy",
                &w.allocation_strategy,
                &target.allocation_strategy,
            );
            field(&mut fields, "labels", &w.labels, &target.labels);
            field(
                &mut fields,
                "annotations",
                &w.annotations,
                &target.annotations,
            );
            field(&mut fields, "taints", &w.taints, &target.taints);
        }
        let obj = object(kind, &name, Some(&cs.name), pool.key.as_ref());
        self.record(obj, live, fields, Target::Autopilot(target));
        Ok(())
    }
}
