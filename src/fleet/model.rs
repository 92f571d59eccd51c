//! The fleet file: what an organization should hold, as YAML or JSON. Unknown keys are errors
//! (with the file, line and key); values are checked before any request is sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model_more::{
    FleetAutopilotPool, FleetSshKey, FleetUserData, FleetVmCloudSpace, UserDataBase64,
    autopilot_label, check_identity, field_error, once, read_user_data, vm_pool_label,
};
pub use super::model_values::{
    AdviceBid, AdviceRisk, BidRule, FleetAutoscaling, FleetBid, FleetTaint,
};
use crate::error::{Error, Result};
use crate::services::{Autoscaling, Taint};

/// A fleet: the cloudspaces of one organization with their node pools, its VM SSH keys and
/// its VM cloudspaces with their VM pools.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Fleet {
    /// The cloudspaces (Kubernetes clusters).
    #[serde(default)]
    pub cloudspaces: Vec<FleetCloudSpace>,
    /// VM SSH keys (created before the VM cloudspaces that use them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vm_ssh_keys: Vec<FleetSshKey>,
    /// VM cloudspaces with their VM pools.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vm_cloudspaces: Vec<FleetVmCloudSpace>,
}

/// One cloudspace of a fleet. Fields left out are not managed (whatever the account holds is
/// kept), except the pools: a pool not listed is deleted by `--prune`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetCloudSpace {
    /// The cloudspace's name (an RFC 1123 label): its identity.
    pub name: String,
    /// Region (the client's default region when left out at create time). Cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Kubernetes version (a higher one upgrades).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<String>,
    /// CNI (`calico`, `cilium`, `byocni`). Cannot change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cni: Option<String>,
    /// The paid highly-available control plane.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ha_control_plane: Option<bool>,
    /// Preemption webhook URL (`""` removes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Spot node pools (a bid each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub spot_pools: Vec<FleetPool>,
    /// On-demand node pools (no bid).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub on_demand_pools: Vec<FleetPool>,
    /// Autopilot pools (a vCPU target each).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub autopilot_pools: Vec<FleetAutopilotPool>,
}

/// One node pool of a cloudspace. Its identity is `name` when given, else a UUIDv5 of the org
/// namespace, the cloudspace and `key` (see [`super::pool_name`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FleetPool {
    /// A key unique in its cloudspace; the pool's name is derived from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The pool's exact name (a lowercase UUID), for a pool made elsewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Server class, e.g. `gp.vs1.medium-dfw`. Cannot change.
    pub server_class: String,
    /// Desired node count.
    pub desired: u32,
    /// Autoscaling bounds; left out, autoscaling is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<FleetAutoscaling>,
    /// The bid per node-hour (spot pools only): a price or `{advice: low|med|high}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bid: Option<FleetBid>,
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

impl FleetPool {
    /// The autoscaling bounds as the services take them.
    pub fn autoscaling(&self) -> Option<Autoscaling> {
        self.autoscaling.map(|a| Autoscaling {
            min_nodes: a.min,
            max_nodes: a.max,
        })
    }

    /// The taints as the services take them.
    pub fn taints(&self) -> Option<Vec<Taint>> {
        self.taints.as_ref().map(|ts| {
            ts.iter()
                .map(|t| Taint {
                    key: t.key.clone(),
                    value: t.value.clone(),
                    effect: t.effect.clone(),
                })
                .collect()
        })
    }
}

/// The format of a fleet file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FleetFormat {
    /// YAML (a superset of JSON: what a file whose name does not end in `.json` is read as).
    Yaml,
    /// JSON.
    Json,
}

impl FleetFormat {
    /// The format a file name says (`.json` → JSON, anything else YAML).
    pub fn of_path(path: &str) -> FleetFormat {
        if path.to_ascii_lowercase().ends_with(".json") {
            FleetFormat::Json
        } else {
            FleetFormat::Yaml
        }
    }
}

impl Fleet {
    /// Parses a fleet file's text; `origin` (the file name) is named in every error, with the
    /// line, column and the unknown or wrong key. The result is checked ([`Fleet::validate`]).
    ///
    /// ```
    /// let fleet = rsspot::fleet::Fleet::parse("f.yaml", "cloudspaces:\n  - name: web\n")?;
    /// assert_eq!(fleet.cloudspaces[0].name, "web");
    /// let err = rsspot::fleet::Fleet::parse("f.yaml", "cloudspaces:\n  - name: web\n    colour: red\n");
    /// assert!(err.unwrap_err().to_string().contains("line 3"));
    /// # Ok::<(), rsspot::Error>(())
    /// ```
    pub fn parse(origin: &str, text: &str) -> Result<Fleet> {
        let fleet: Fleet = match FleetFormat::of_path(origin) {
            FleetFormat::Json => serde_json::from_str(text).map_err(|e| {
                Error::invalid(
                    origin,
                    format!("line {} column {}: {e}", e.line(), e.column()),
                )
            })?,
            FleetFormat::Yaml => serde_norway::from_str(text).map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!("line {} column {}: ", l.line(), l.column()))
                    .unwrap_or_default();
                let msg = e.to_string();
                // serde_norway appends " at line N column M"; the location leads instead.
                let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
                Error::invalid(origin, format!("{at}{msg}"))
            })?,
        };
        fleet.validate().map_err(|e| match e {
            Error::Invalid { field, message } => {
                Error::invalid(origin, format!("{}: {message}", field.unwrap_or_default()))
            }
            other => other,
        })?;
        Ok(fleet)
    }

    /// Reads, parses and checks the fleet file at `path`, and reads the files it names (user
    /// data, relative to the file's folder). The read is bounded.
    pub fn load(path: &std::path::Path) -> Result<Fleet> {
        let text =
            crate::fsutil::read_bounded_text(path, crate::fsutil::DOCUMENT_MAX, "a fleet file")?;
        let mut fleet = Fleet::parse(&path.display().to_string(), &text)?;
        fleet.read_files(path.parent().unwrap_or(std::path::Path::new(".")))?;
        Ok(fleet)
    }

    /// Replaces each `userData: {file: …}` by the file's bytes (`{base64: …}`), the path taken
    /// relative to `base`; each read is bounded.
    pub fn read_files(&mut self, base: &std::path::Path) -> Result<()> {
        for cs in &mut self.vm_cloudspaces {
            for p in &mut cs.vm_pools {
                if let Some(FleetUserData::File(f)) = &p.user_data {
                    let what = vm_pool_label(&cs.name, p);
                    let base64 = read_user_data(base, &f.file, &what)?;
                    p.user_data = Some(FleetUserData::Base64(UserDataBase64 { base64 }));
                }
            }
        }
        Ok(())
    }

    /// The fleet as YAML text.
    pub fn to_yaml(&self) -> Result<String> {
        serde_norway::to_string(self).map_err(|e| Error::invalid("fleet", e.to_string()))
    }

    /// Local checks: names, unique cloudspaces, keys and names, one of `key`/`name` per pool,
    /// counts within bounds, taints, bids (spot pools need one; on-demand pools take none).
    pub fn validate(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        for cs in &self.cloudspaces {
            crate::services::check_dns_label("name", &cs.name, "cloudspace name")?;
            let what = format!("cloudspaces.{}", cs.name);
            once(
                &mut seen,
                cs.name.as_str(),
                what,
                "the cloudspace is listed twice",
            )?;
            let mut ids = std::collections::BTreeSet::new();
            let pools = cs.spot_pools.iter().map(|p| (p, true));
            for (pool, spot) in pools.chain(cs.on_demand_pools.iter().map(|p| (p, false))) {
                let what = pool_label(&cs.name, pool);
                check_identity(&what, &pool.key, &pool.name, "node pool")?;
                let id = pool.key.clone().or(pool.name.clone()).unwrap_or_default();
                once(
                    &mut ids,
                    id,
                    &what,
                    "two pools of the cloudspace use this key",
                )?;
                check_pool(&what, pool)?;
                match (spot, &pool.bid) {
                    (true, None) => {
                        return Err(Error::invalid(
                            what,
                            "a spot pool needs `bid:` (a price or {advice: low|med|high})",
                        ));
                    }
                    (true, Some(b)) => {
                        b.rule(&what)?;
                    }
                    (false, Some(_)) => {
                        return Err(Error::invalid(what, "an on-demand pool takes no `bid:`"));
                    }
                    (false, None) => {}
                }
            }
            let mut keys = std::collections::BTreeSet::new();
            for pool in &cs.autopilot_pools {
                let what = autopilot_label(&cs.name, pool);
                pool.validate(&cs.name, &what)?;
                let id = pool.key.clone().or(pool.name.clone());
                once(
                    &mut keys,
                    id,
                    what,
                    "two autopilot pools of the cloudspace use this key",
                )?;
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for key in &self.vm_ssh_keys {
            key.validate()?;
            let what = format!("vmSshKeys.{}", key.name);
            once(
                &mut names,
                key.name.as_str(),
                what,
                "the key is listed twice",
            )?;
        }
        let mut names = std::collections::BTreeSet::new();
        for cs in &self.vm_cloudspaces {
            cs.validate()?;
            let what = format!("vmCloudspaces.{}", cs.name);
            once(
                &mut names,
                cs.name.as_str(),
                what,
                "the VM cloudspace is listed twice",
            )?;
        }
        Ok(())
    }
}

fn check_pool(what: &str, pool: &FleetPool) -> Result<()> {
    let req = crate::services::OnDemandPoolCreate::new("x", &pool.server_class, pool.desired);
    let mut req = match pool.autoscaling() {
        Some(a) => req.autoscaling(a.min_nodes, a.max_nodes),
        None => req,
    };
    req.common.taints = pool.taints().unwrap_or_default();
    if pool.server_class.trim().is_empty() {
        return Err(Error::invalid(what, "`serverClass:` is empty"));
    }
    req.validate().map_err(|e| field_error(what, e))
}

/// How errors and plans name a pool of the file: `cloudspace/key` (or `cloudspace/name`).
pub fn pool_label(cloudspace: &str, pool: &FleetPool) -> String {
    let id = pool.key.as_deref().or(pool.name.as_deref()).unwrap_or("?");
    format!("{cloudspace}/{id}")
}
