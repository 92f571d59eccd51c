//! spotctl's inline pool SPECs (`--spot-nodepool`, `--ondemand-nodepool`) and its `--config`
//! file layout, read into typed requests at the edge.
//!
//! A SPEC is JSON (`{"desired":1,"serverclass":"gp.vs1.medium-ord","bidprice":0.08}`) or the
//! comma form (`desired=1,serverclass=gp.vs1.medium-ord,bidprice=0.08`); keys `name`,
//! `serverclass`, `desired` (default 1) and, for spot pools only and required there,
//! `bidprice` (a [`Bid`]: at most three decimals). Any other key is an error naming it.

use std::path::Path;

use anyhow::{Context as _, Result};
use rsspot::pricing::Bid;
use rsspot::services::cloudspaces::CloudSpaceWithPools;
use rsspot::services::{CloudSpaceCreate, OnDemandPoolCreate, SpotPoolCreate};
use serde_json::{Map, Value};

/// One inline pool as the user wrote it.
#[derive(Debug, Clone, PartialEq)]
pub struct PoolSpec {
    /// `name` (a lowercase UUID; generated when absent).
    pub name: Option<String>,
    /// `serverclass`.
    pub server_class: String,
    /// `desired` (default 1).
    pub desired: u32,
    /// `bidprice` (spot pools only).
    pub bid: Option<Bid>,
}

impl PoolSpec {
    /// The spot pool request (`cloudspace` is set when the pool is added to its cloudspace).
    pub fn spot(&self) -> Option<SpotPoolCreate> {
        let mut req = SpotPoolCreate::new("", &self.server_class, self.desired, self.bid?);
        req.common.name = self.name.clone();
        Some(req)
    }

    /// The on-demand pool request.
    pub fn ondemand(&self) -> OnDemandPoolCreate {
        let mut req = OnDemandPoolCreate::new("", &self.server_class, self.desired);
        req.common.name = self.name.clone();
        req
    }
}

/// A key as spotctl spells it, whatever the case or separators (`serverClass`, `server_class`).
fn norm(key: &str) -> String {
    key.trim()
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// A scalar as text (`0.08`, `"0.08"`, `1`).
fn scalar(key: &str, v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.trim().to_string()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("{key} must be a string or a number, not {other}")),
    }
}

/// Reads pool fields from `(key, value)` pairs; `extra` names keys the caller allows besides
/// (the file's `cloudspace`), returned to it.
fn pool_from_pairs(
    pairs: Vec<(String, Value)>,
    spot: bool,
    extra: &[&str],
) -> Result<(PoolSpec, Map<String, Value>), String> {
    let mut name = None;
    let mut class = None;
    let mut desired = 1u32;
    let mut bid = None;
    let mut rest = Map::new();
    let mut seen = Vec::new();
    for (key, value) in pairs {
        let k = norm(&key);
        if seen.contains(&k) {
            return Err(format!("{key} is given twice"));
        }
        seen.push(k.clone());
        match k.as_str() {
            "name" => name = Some(scalar(&key, &value)?).filter(|n| !n.is_empty()),
            "serverclass" => class = Some(scalar(&key, &value)?).filter(|c| !c.is_empty()),
            "desired" => {
                let v = scalar(&key, &value)?;
                desired = v
                    .parse::<u32>()
                    .map_err(|_| format!("desired={v} is not a whole number of nodes"))?;
                if desired == 0 {
                    return Err("desired must be at least 1".into());
                }
            }
            "bidprice" if spot => {
                let v = scalar(&key, &value)?;
                bid = Some(v.parse::<Bid>().map_err(|e| format!("bidprice={v}: {e}"))?);
            }
            "bidprice" => {
                return Err(
                    "bidprice is for spot pools only (an on-demand pool pays the on-demand price)"
                        .into(),
                );
            }
            k if extra.contains(&k) => {
                rest.insert(k.to_string(), value);
            }
            _ => {
                let known = if spot {
                    "name, serverclass, desired, bidprice"
                } else {
                    "name, serverclass, desired"
                };
                return Err(format!("unknown key {key:?} (known: {known})"));
            }
        }
    }
    let server_class =
        class.ok_or("serverclass is required, e.g. serverclass=gp.vs1.medium-dfw")?;
    if spot && bid.is_none() {
        return Err("a spot pool needs bidprice (USD per node-hour, e.g. bidprice=0.08)".into());
    }
    Ok((
        PoolSpec {
            name,
            server_class,
            desired,
            bid,
        },
        rest,
    ))
}

/// A SPEC in either form, as `(key, value)` pairs in order.
fn pairs(s: &str) -> Result<Vec<(String, Value)>, String> {
    let s = s.trim();
    if s.starts_with('{') {
        let map: Map<String, Value> =
            serde_json::from_str(s).map_err(|e| format!("not a JSON object: {e}"))?;
        return Ok(map.into_iter().collect());
    }
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected key=value"))?;
        out.push((k.trim().to_string(), Value::String(v.trim().to_string())));
    }
    if out.is_empty() {
        return Err("empty pool SPEC: give serverclass=…,desired=…".into());
    }
    Ok(out)
}

/// Parses a `--spot-nodepool` SPEC.
pub fn parse_spot(s: &str) -> Result<PoolSpec, String> {
    pool_from_pairs(pairs(s)?, true, &[]).map(|(p, _)| p)
}

/// Parses an `--ondemand-nodepool` SPEC.
pub fn parse_ondemand(s: &str) -> Result<PoolSpec, String> {
    pool_from_pairs(pairs(s)?, false, &[]).map(|(p, _)| p)
}

/// What `--config FILE` holds: the request, and the org the document names (if any).
#[derive(Debug)]
pub struct ConfigFile {
    /// The cloudspace and its pools (the region may still be unset).
    pub request: CloudSpaceWithPools,
    /// `cloudspace.org`.
    pub org: Option<String>,
}

fn bad(path: &Path, msg: impl std::fmt::Display) -> anyhow::Error {
    rsspot::Error::invalid("--config", format!("{}: {msg}", path.display())).into()
}

/// Reads spotctl's layout: `cloudspace` (name, org, region, kubernetesVersion, cni,
/// haControlPlane, webhook, gpuEnabled), `spotnodepools[]` and `ondemandnodepools[]` (a pool's
/// `cloudspace`, when given, must be the document's).
pub fn read_config(path: &Path) -> Result<ConfigFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read {}", path.display()))?;
    // YAML is a superset of JSON: one parser reads both layouts.
    let doc: Value = serde_norway::from_str(&text).map_err(|e| bad(path, e))?;
    let Value::Object(top) = doc else {
        return Err(bad(path, "expected a mapping with the key `cloudspace`"));
    };
    let mut cs = None;
    let mut spot = Vec::new();
    let mut ondemand = Vec::new();
    for (key, value) in top {
        match norm(&key).as_str() {
            "cloudspace" => cs = Some(value),
            "spotnodepools" => spot = list(path, &key, value)?,
            "ondemandnodepools" => ondemand = list(path, &key, value)?,
            _ => {
                return Err(bad(
                    path,
                    format!(
                        "unknown key {key:?} (known: cloudspace, spotnodepools, ondemandnodepools)"
                    ),
                ));
            }
        }
    }
    let Some(Value::Object(cs)) = cs else {
        return Err(bad(path, "`cloudspace:` with at least a name is required"));
    };
    let text_of = |key: &str, v: &Value| scalar(key, v).map_err(|e| bad(path, e));
    let mut req = CloudSpaceCreate::new("");
    let mut org = None;
    let mut kubernetes_version = None;
    for (key, value) in &cs {
        match norm(key).as_str() {
            "name" => req.name = text_of(key, value)?,
            "org" | "organization" => org = Some(text_of(key, value)?).filter(|o| !o.is_empty()),
            "region" => req.region = Some(text_of(key, value)?).filter(|r| !r.is_empty()),
            "kubernetesversion" => {
                kubernetes_version = Some(text_of(key, value)?).filter(|v| !v.is_empty());
            }
            "cni" => req.cni = text_of(key, value)?,
            "webhook" | "preemptionwebhookurl" | "preemptionwebhook" => {
                req.webhook = Some(text_of(key, value)?).filter(|w| !w.is_empty());
            }
            "hacontrolplane" => req.ha_control_plane = flag(path, key, value)?,
            "gpuenabled" => req.gpu_enabled = flag(path, key, value)?,
            _ => {
                return Err(bad(
                    path,
                    format!(
                        "unknown key cloudspace.{key} (known: name, org, region, \
                         kubernetesVersion, cni, haControlPlane, webhook, gpuEnabled)"
                    ),
                ));
            }
        }
    }
    if req.name.is_empty() {
        return Err(bad(path, "cloudspace.name is required"));
    }
    if let Some(v) = &kubernetes_version {
        req.kubernetes_version = v.clone();
    }
    let name = req.name.clone();
    let mut request = CloudSpaceWithPools::new(req);
    for (i, p) in spot.into_iter().enumerate() {
        let spec = file_pool(path, &name, &format!("spotnodepools[{i}]"), p, true)?;
        if let Some(pool) = spec.spot() {
            request = request.spot_pool(pool);
        }
    }
    for (i, p) in ondemand.into_iter().enumerate() {
        let spec = file_pool(path, &name, &format!("ondemandnodepools[{i}]"), p, false)?;
        request = request.ondemand_pool(spec.ondemand());
    }
    Ok(ConfigFile { request, org })
}

fn flag(path: &Path, key: &str, v: &Value) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
        other => Err(bad(
            path,
            format!("{key} must be true or false, not {other}"),
        )),
    }
}

fn list(path: &Path, key: &str, v: Value) -> Result<Vec<Value>> {
    match v {
        Value::Array(items) => Ok(items),
        Value::Null => Ok(Vec::new()),
        other => Err(bad(path, format!("{key} must be a list, not {other}"))),
    }
}

fn file_pool(path: &Path, cloudspace: &str, at: &str, v: Value, spot: bool) -> Result<PoolSpec> {
    let Value::Object(map) = v else {
        return Err(bad(path, format!("{at} must be a mapping")));
    };
    let (spec, rest) = pool_from_pairs(map.into_iter().collect(), spot, &["cloudspace"])
        .map_err(|e| bad(path, format!("{at}: {e}")))?;
    if let Some(cs) = rest.get("cloudspace") {
        let cs = scalar("cloudspace", cs).map_err(|e| bad(path, format!("{at}: {e}")))?;
        if !cs.is_empty() && cs != cloudspace {
            return Err(bad(
                path,
                format!(
                    "{at}: cloudspace {cs:?} is not the document's ({cloudspace:?}); create pools \
                     of another cloudspace with `rsspot nodepools`"
                ),
            ));
        }
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_spec_forms_read_the_same() {
        let json = parse_spot(r#"{"desired":2,"serverclass":"gp.vs1.medium-ord","bidprice":0.08}"#)
            .unwrap();
        let comma = parse_spot("desired=2,serverclass=gp.vs1.medium-ord,bidprice=0.08").unwrap();
        assert_eq!(json, comma);
        assert_eq!(json.bid.unwrap().api_form(), "0.08");
        let od = parse_ondemand("serverClass=gp.vs1.medium-ord").unwrap();
        assert_eq!(od.desired, 1);
        assert_eq!(od.bid, None);
    }

    #[test]
    fn bad_specs_name_what_is_wrong() {
        let err = |r: Result<PoolSpec, String>| r.unwrap_err();
        assert!(err(parse_spot("serverclass=a,bidprice=0.1,color=red")).contains("\"color\""));
        assert!(err(parse_spot("desired=1,bidprice=0.1")).contains("serverclass is required"));
        assert!(err(parse_spot("serverclass=a")).contains("needs bidprice"));
        assert!(err(parse_spot("serverclass=a,bidprice=0.0125")).contains("bidprice=0.0125"));
        assert!(err(parse_spot("serverclass=a,bidprice=abc")).contains("bidprice=abc"));
        assert!(err(parse_ondemand("serverclass=a,bidprice=0.1")).contains("spot pools only"));
        assert!(err(parse_ondemand("serverclass=a,desired=0")).contains("at least 1"));
        assert!(err(parse_ondemand("serverclass=a,desired=x")).contains("whole number"));
        assert!(err(parse_ondemand("serverclass")).contains("key=value"));
        assert!(err(parse_ondemand("{\"serverclass\": [1]}")).contains("string or a number"));
        assert!(err(parse_ondemand("serverclass=a,serverClass=b")).contains("twice"));
        assert!(err(parse_ondemand("")).contains("empty"));
    }
}
