//! The fleet file's other kinds: VM SSH keys, VM cloudspaces with their VM pools, and the
//! autopilot pools of a cloudspace (shapes: the official SDK's, API-NOTES §9.4).

use std::collections::BTreeMap;
use std::path::Path;

use base64::Engine as _;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::model_values::{FleetAutoscaling, FleetBid, FleetTaint};
use crate::error::{Error, Result};

/// The most user data a VM takes, in bytes of base64 as sent (the CLI's bound too).
pub const USER_DATA_MAX: usize = 65_535;

/// A VM SSH key: its name is its identity; the key and description cannot change in place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetSshKey {
    /// Name (an RFC 1123 label).
    pub name: String,
    /// The OpenSSH public key line (`ssh-ed25519 AAAA… comment`).
    pub public_key: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A VM cloudspace: plain VMs in one region sharing an SSH key. Only `webhook` can change in
/// place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetVmCloudSpace {
    /// Name (an RFC 1123 label): its identity.
    pub name: String,
    /// Region, e.g. `us-central-dfw-1`.
    pub region: String,
    /// The name of the VM SSH key its VMs get (one of `vmSshKeys` or one made elsewhere).
    pub ssh_key: String,
    /// Preemption webhook URL (`""` removes it; left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Its VM pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vm_pools: Vec<FleetVmPool>,
}

/// A VM pool. Only `desired` and `bid` change in place; the other fields need a new key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetVmPool {
    /// A key unique in its VM cloudspace; the pool's name is derived from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The pool's exact name (a lowercase UUID), for a pool made elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Server class, e.g. `gp.vs1.medium-dfw`.
    pub server_class: String,
    /// Desired VMs (≥ 1).
    pub desired: u32,
    /// `spot` (the default) or `ondemand`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool_type: Option<String>,
    /// The bid (spot pools need one; an on-demand pool's is sent as given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<FleetBid>,
    /// VM image (`ubuntu24.04` when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Cloud-init user data: `{file: ./init.sh}` (relative to the fleet file) or
    /// `{base64: …}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_data: Option<FleetUserData>,
}

/// User data: a file next to the fleet file, or the bytes as base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum FleetUserData {
    /// `{file: path}`: read when the fleet is loaded ([`super::Fleet::read_files`]).
    File(UserDataFile),
    /// `{base64: text}`: the bytes as the API carries them.
    Base64(UserDataBase64),
}

/// `{file: path}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UserDataFile {
    /// The path, relative to the fleet file.
    pub file: String,
}

/// `{base64: text}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct UserDataBase64 {
    /// The bytes, base64.
    pub base64: String,
}

impl FleetUserData {
    /// The wire form (base64); a file not yet read is an error naming `what`.
    pub fn wire(&self, what: &str) -> Result<String> {
        match self {
            FleetUserData::Base64(b) => {
                base64::engine::general_purpose::STANDARD
                    .decode(b.base64.trim())
                    .map_err(|_| Error::invalid(format!("{what}.userData"), "not base64"))?;
                Ok(b.base64.trim().to_string())
            }
            FleetUserData::File(f) => Err(Error::invalid(
                format!("{what}.userData"),
                format!(
                    "the file {:?} was not read (load the fleet with Fleet::load or Fleet::read_files)",
                    f.file
                ),
            )),
        }
    }
}

/// A price (USD) as a number or text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum FleetPrice {
    /// As text (`"0.08"`).
    Text(String),
    /// As a number.
    Number(f64),
}

impl Default for FleetPrice {
    fn default() -> Self {
        FleetPrice::Text(String::new())
    }
}

impl FleetPrice {
    /// The price as a decimal (an error naming `what` when it is not one).
    pub fn decimal(&self, what: &str) -> Result<Decimal> {
        let text = match self {
            FleetPrice::Text(t) => t.trim().to_string(),
            FleetPrice::Number(n) => n.to_string(),
        };
        text.parse::<Decimal>()
            .map(|d| d.normalize())
            .map_err(|_| Error::invalid(what, format!("{text:?} is not a price (e.g. 0.08)")))
    }
}

/// An autopilot pool: a vCPU target the service packs into spot pools of the cheapest
/// qualifying classes, bidding at most `budgetPerHour` per node-hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetAutopilotPool {
    /// A key unique among the cloudspace's autopilot pools; the name is derived from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The pool's exact name (a lowercase UUID), for a pool made elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Total vCPUs wanted.
    pub vcpu: u32,
    /// vCPUs per node, `{min, max}` (left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcpu_per_node: Option<FleetAutoscaling>,
    /// GB of memory per vCPU: `any`, `2`, `4` or `8` (left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_per_vcpu: Option<String>,
    /// Bid ceiling per node-hour (USD, at most 3 decimals).
    pub budget_per_hour: FleetPrice,
    /// `LowestPrice` (the only strategy the service takes; left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocation_strategy: Option<String>,
    /// Node labels (left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<BTreeMap<String, String>>,
    /// Node annotations (left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// Node taints (left out: not managed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taints: Option<Vec<FleetTaint>>,
}

/// The key-or-name check every pool of the file shares (`noun`: how a bad name calls it).
pub(crate) fn check_identity(
    what: &str,
    key: &Option<String>,
    name: &Option<String>,
    noun: &str,
) -> Result<()> {
    match (key, name) {
        (None, None) | (Some(_), Some(_)) => Err(Error::invalid(
            what,
            "give a pool either `key:` (its name is derived) or `name:` (an existing pool's UUID)",
        )),
        (Some(k), None) if k.trim().is_empty() => Err(Error::invalid(what, "`key:` is empty")),
        (None, Some(n)) => crate::services::check_uuid_name(n, noun),
        _ => Ok(()),
    }
}

/// Refuses `id` when `seen` has it already (the file lists an object twice).
pub(crate) fn once<T: Ord>(
    seen: &mut std::collections::BTreeSet<T>,
    id: T,
    what: impl Into<String>,
    message: &str,
) -> Result<()> {
    if seen.insert(id) {
        Ok(())
    } else {
        Err(Error::invalid(what, message.to_string()))
    }
}

/// `e` with its field put under `what` (the object of the file it is about).
pub(crate) fn field_error(what: &str, e: Error) -> Error {
    match e {
        Error::Invalid { field, message } => {
            Error::invalid(format!("{what}.{}", field.unwrap_or_default()), message)
        }
        other => other,
    }
}

impl FleetSshKey {
    /// Local checks: the name and the key line.
    pub fn validate(&self) -> Result<()> {
        let req = crate::services::VmSshKeyCreate::new(&self.name, &self.public_key);
        req.validate()
            .map(drop)
            .map_err(|e| field_error(&format!("vmSshKeys.{}", self.name), e))
    }
}

impl FleetVmPool {
    /// The pool type (`spot` unless `ondemand` is given).
    pub fn pool_type(&self, what: &str) -> Result<crate::services::PoolType> {
        self.pool_type
            .as_deref()
            .map_or(Ok(crate::services::PoolType::Spot), str::parse)
            .map_err(|e| field_error(what, e))
    }

    fn validate(&self, what: &str) -> Result<()> {
        check_identity(what, &self.key, &self.name, "pool")?;
        if self.server_class.trim().is_empty() {
            return Err(Error::invalid(what, "`serverClass:` is empty"));
        }
        if self.desired == 0 {
            return Err(Error::invalid(
                format!("{what}.desired"),
                "must be at least 1",
            ));
        }
        let spot = self.pool_type(what)? == crate::services::PoolType::Spot;
        match &self.bid {
            None if spot => {
                return Err(Error::invalid(
                    what,
                    "a spot VM pool needs `bid:` (a price or {advice: low|med|high})",
                ));
            }
            Some(b) => drop(b.rule(what)?),
            None => {}
        }
        if let Some(FleetUserData::Base64(_)) = &self.user_data
            && let Some(u) = &self.user_data
        {
            u.wire(what)?;
        }
        Ok(())
    }
}

impl FleetVmCloudSpace {
    /// Local checks: name, region, key, pools (unique keys).
    pub fn validate(&self) -> Result<()> {
        let what = format!("vmCloudspaces.{}", self.name);
        crate::services::check_dns_label("name", &self.name, "VM cloudspace name")
            .map_err(|e| field_error(&what, e))?;
        if self.region.trim().is_empty() {
            return Err(Error::invalid(
                format!("{what}.region"),
                "a region is required",
            ));
        }
        if self.ssh_key.trim().is_empty() {
            return Err(Error::invalid(
                format!("{what}.sshKey"),
                "an SSH key name is required",
            ));
        }
        let mut ids = std::collections::BTreeSet::new();
        for p in &self.vm_pools {
            let label = vm_pool_label(&self.name, p);
            p.validate(&label)?;
            let id = p.key.clone().or(p.name.clone());
            once(
                &mut ids,
                id,
                label,
                "two VM pools of the VM cloudspace use this key",
            )?;
        }
        Ok(())
    }
}

impl FleetAutopilotPool {
    /// The request the services take (for the checks and the body).
    pub fn request(
        &self,
        cloudspace: &str,
        what: &str,
    ) -> Result<crate::services::AutopilotPoolCreate> {
        let budget = self
            .budget_per_hour
            .decimal(&format!("{what}.budgetPerHour"))?;
        let mut req = crate::services::AutopilotPoolCreate::new(cloudspace, self.vcpu, budget);
        if let Some(b) = self.vcpu_per_node {
            req = req.per_node(b.min, b.max);
        }
        if let Some(m) = &self.memory_per_vcpu {
            req = req.memory_per_vcpu(m.parse().map_err(|e| field_error(what, e))?);
        }
        if let Some(s) = &self.allocation_strategy {
            req.allocation_strategy = s.parse().map_err(|e| field_error(what, e))?;
        }
        req.labels = self.labels.clone().unwrap_or_default();
        req.annotations = self.annotations.clone().unwrap_or_default();
        req.taints = self
            .taints
            .iter()
            .flatten()
            .map(|t| crate::services::Taint {
                key: t.key.clone(),
                value: t.value.clone(),
                effect: t.effect.clone(),
            })
            .collect();
        Ok(req)
    }

    /// Local checks (what the service would refuse).
    pub fn validate(&self, cloudspace: &str, what: &str) -> Result<()> {
        check_identity(what, &self.key, &self.name, "pool")?;
        self.request(cloudspace, what)?
            .validate()
            .map_err(|e| field_error(what, e))
    }
}

/// How errors and plans name a VM pool of the file: `vmcloudspace/key`.
pub fn vm_pool_label(vm_cloudspace: &str, pool: &FleetVmPool) -> String {
    let id = pool.key.as_deref().or(pool.name.as_deref()).unwrap_or("?");
    format!("{vm_cloudspace}/{id}")
}

/// How errors and plans name an autopilot pool of the file: `cloudspace/autopilot/key`.
pub fn autopilot_label(cloudspace: &str, pool: &FleetAutopilotPool) -> String {
    let id = pool.key.as_deref().or(pool.name.as_deref()).unwrap_or("?");
    format!("{cloudspace}/autopilot/{id}")
}

/// Reads user data `file` relative to `base` (bounded as the CLI's
/// `--vm-userdata-from-script`), as the API carries it.
pub(crate) fn read_user_data(base: &Path, file: &str, what: &str) -> Result<String> {
    let path = base.join(file);
    let bytes = crate::fsutil::read_bounded(
        &path,
        USER_DATA_MAX as u64,
        "cloud-init user data (65,535 bytes once base64-encoded)",
    )?;
    let wire = crate::services::vm_pools::user_data_wire(&bytes);
    if wire.len() > USER_DATA_MAX {
        return Err(Error::invalid(
            format!("{what}.userData"),
            format!(
                "{} is {} bytes once base64-encoded; a VM takes at most {USER_DATA_MAX}",
                path.display(),
                wire.len()
            ),
        ));
    }
    Ok(wire)
}
