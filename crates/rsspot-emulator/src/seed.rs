//! The emulator's seed data: organizations with their refresh tokens, the market (regions, server
//! classes, price history) and the read-only VM inventory. A built-in seed mirrors the fixtures of
//! the API notes; a seed file (JSON or YAML) can replace any part of it.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fixtures::{CLASSES, ClassRow, REGIONS, RegionRow, demo_inventory};
use crate::{Error, Result};

/// Everything the emulator starts with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seed {
    /// Organizations; each refresh token is bound to exactly one of them.
    pub orgs: Vec<SeedOrg>,
    /// `Region` objects (full Kubernetes documents).
    pub regions: Vec<Value>,
    /// `ServerClass` objects (full Kubernetes documents, including `status.spotPricing`).
    pub server_classes: Vec<Value>,
    /// Hourly hammer prices per server class: `(unix seconds, USD per hour)`.
    pub price_history: BTreeMap<String, Vec<(i64, f64)>>,
    /// Read-only VM inventory and organization events, keyed by organization **name**.
    pub vm_inventory: BTreeMap<String, VmInventory>,
}

/// One organization of the seed.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SeedOrg {
    /// Auth0-style organization id, e.g. `org_DemoOrg0000000001`.
    pub id: String,
    /// The organization name (what `generate-kubeconfig` and `--org` take).
    pub name: String,
    /// Human name shown in the console.
    pub display_name: String,
    /// The refresh token that authenticates as this organization.
    pub refresh_token: String,
}

impl fmt::Debug for SeedOrg {
    // The refresh token is a credential: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SeedOrg")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("display_name", &self.display_name)
            .field("refresh_token", &"[redacted]")
            .finish()
    }
}

impl SeedOrg {
    /// The Kubernetes namespace of this organization: `lowercase(id)` with `_` replaced by `-`.
    pub fn namespace(&self) -> String {
        namespace_for(&self.id)
    }
}

/// The namespace rule of the API: `lowercase(org_id)` with every `_` replaced by `-`.
pub fn namespace_for(org_id: &str) -> String {
    org_id.to_lowercase().replace('_', "-")
}

pub use crate::inventory::VmInventory;

/// The file form of a seed: every part is optional and falls back to the built-in seed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct SeedFile {
    orgs: Option<Vec<SeedOrg>>,
    regions: Option<Vec<Value>>,
    server_classes: Option<Vec<Value>>,
    price_history: Option<BTreeMap<String, Vec<(i64, f64)>>>,
    vm_inventory: Option<BTreeMap<String, VmInventory>>,
}

/// Start of the built-in price history (2025-11-20T00:00:00Z), hourly.
const HISTORY_START: i64 = 1_763_596_800;
/// Number of hourly points per class in generated histories.
const HISTORY_POINTS: i64 = 48;

impl Seed {
    /// The built-in seed: orgs `demo` (token `demo-token`) and `acme-dev` (token `acme-token`),
    /// five regions, eleven server classes, 48 hourly prices per class and a VM inventory for
    /// `demo`.
    pub fn builtin() -> Seed {
        let orgs = vec![
            SeedOrg {
                id: "org_DemoOrg0000000001".into(),
                name: "demo".into(),
                display_name: "Demo Organization".into(),
                refresh_token: "demo-token".into(),
            },
            SeedOrg {
                id: "org_Q3vXh8LmP2sTnR7a".into(),
                name: "acme-dev".into(),
                display_name: "Acme Dev".into(),
                refresh_token: "acme-token".into(),
            },
        ];
        let regions = REGIONS.iter().map(RegionRow::to_doc).collect();
        let server_classes: Vec<Value> = CLASSES.iter().map(ClassRow::to_doc).collect();
        let price_history = synth_histories(&server_classes);
        let mut vm_inventory = BTreeMap::new();
        vm_inventory.insert("demo".to_string(), demo_inventory(&orgs[0].namespace()));
        Seed {
            orgs,
            regions,
            server_classes,
            price_history,
            vm_inventory,
        }
    }

    /// Loads a seed from a JSON or YAML file (chosen by extension, else by content). Parts the
    /// file leaves out come from [`Seed::builtin`]; classes without a price history get a
    /// generated one.
    pub fn from_file(path: &Path) -> Result<Seed> {
        let text = read_seed_text(path)?;
        let is_json = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => true,
            Some("yaml" | "yml") => false,
            _ => text.trim_start().starts_with('{'),
        };
        let file: SeedFile = if is_json {
            serde_json::from_str(&text).map_err(|e| invalid(path, e))?
        } else {
            serde_norway::from_str(&text).map_err(|e| invalid(path, e))?
        };
        let builtin = Seed::builtin();
        let classes_given = file.server_classes.is_some();
        let orgs_given = file.orgs.is_some();
        let mut seed = Seed {
            orgs: file.orgs.unwrap_or(builtin.orgs),
            regions: file.regions.unwrap_or(builtin.regions),
            server_classes: file.server_classes.unwrap_or(builtin.server_classes),
            price_history: file.price_history.unwrap_or_default(),
            // Built-in inventory belongs to the built-in orgs only.
            vm_inventory: match file.vm_inventory {
                Some(inv) => inv,
                None if orgs_given => BTreeMap::new(),
                None => builtin.vm_inventory,
            },
        };
        if !classes_given && seed.price_history.is_empty() {
            seed.price_history = builtin.price_history;
        }
        for (class, points) in synth_histories(&seed.server_classes) {
            seed.price_history.entry(class).or_insert(points);
        }
        seed.validate().map_err(|m| invalid(path, m))?;
        Ok(seed)
    }

    /// Checks the invariants the emulator relies on.
    fn validate(&self) -> std::result::Result<(), String> {
        if self.orgs.is_empty() {
            return Err("at least one organization is required".into());
        }
        let mut tokens = std::collections::BTreeSet::new();
        for org in &self.orgs {
            if !org.id.starts_with("org_") {
                return Err(format!("organization id {:?} must start with org_", org.id));
            }
            if !tokens.insert(org.refresh_token.as_str()) {
                return Err(format!(
                    "organization {:?} reuses another organization's refresh token",
                    org.name
                ));
            }
        }
        for doc in self.regions.iter().chain(&self.server_classes) {
            if doc
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .is_none()
            {
                return Err("every region and server class needs metadata.name".into());
            }
        }
        for name in self.vm_inventory.keys() {
            if !self.orgs.iter().any(|o| &o.name == name) {
                return Err(format!("vm_inventory names unknown organization {name:?}"));
            }
        }
        Ok(())
    }

    /// The organization a refresh token belongs to.
    pub fn org_by_token(&self, token: &str) -> Option<&SeedOrg> {
        self.orgs.iter().find(|o| o.refresh_token == token)
    }
}

/// Deterministic hourly histories for classes: the market price with a daily-ish wobble.
fn synth_histories(classes: &[Value]) -> BTreeMap<String, Vec<(i64, f64)>> {
    const WOBBLE: [f64; 8] = [1.0, 1.0, 1.5, 2.5, 3.0, 2.0, 1.0, 1.0];
    classes
        .iter()
        .filter_map(|c| {
            let name = c.pointer("/metadata/name")?.as_str()?.to_string();
            let market = c
                .pointer("/status/spotPricing/marketPricePerHour")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<f64>().ok())
                .unwrap_or(0.001);
            let points = (0..HISTORY_POINTS)
                .map(|i| {
                    let w = WOBBLE[(i as usize) % WOBBLE.len()];
                    let p = ((market * w) * 1000.0).round() / 1000.0;
                    (HISTORY_START + i * 3600, p.max(0.001))
                })
                .collect();
            Some((name, points))
        })
        .collect()
}

/// The limit of a seed file: a path given by mistake (`/dev/zero`) fails at once.
const SEED_MAX: u64 = 16 * 1024 * 1024;

/// Reads a seed file as text, refusing it past [`SEED_MAX`] bytes or when it is not UTF-8.
fn read_seed_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let read_error = |source| Error::SeedRead {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(SEED_MAX + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > SEED_MAX {
        return Err(invalid(
            path,
            "larger than 16 MiB (the limit for a seed); is it the right file?",
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        invalid(
            path,
            format!(
                "not UTF-8 text (byte {} is not valid)",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// An [`Error::Seed`] about `path`.
fn invalid(path: &Path, message: impl ToString) -> Error {
    Error::Seed {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_has_demo_org_and_consistent_market() {
        let seed = Seed::builtin();
        let demo = seed.org_by_token("demo-token").unwrap();
        assert_eq!(demo.name, "demo");
        assert_eq!(demo.namespace(), "org-demoorg0000000001");
        assert!(seed.validate().is_ok());
        assert!(seed.server_classes.len() >= 10);
        for class in &seed.server_classes {
            let name = class["metadata"]["name"].as_str().unwrap();
            let region = class["spec"]["region"].as_str().unwrap();
            assert!(
                seed.regions.iter().any(|r| r["metadata"]["name"] == region),
                "{name} in unknown region {region}"
            );
            assert_eq!(seed.price_history[name].len(), 48);
        }
        assert!(
            seed.server_classes
                .iter()
                .any(|c| c["spec"]["availability"] == "deprecated")
        );
    }

    #[test]
    fn debug_redacts_refresh_tokens() {
        let dbg = format!("{:?}", Seed::builtin());
        assert!(!dbg.contains("demo-token"));
        assert!(dbg.contains("[redacted]"));
    }

    #[test]
    fn namespace_rule() {
        assert_eq!(
            namespace_for("org_Q3vXh8LmP2sTnR7a"),
            "org-q3vxh8lmp2stnr7a"
        );
    }
}
