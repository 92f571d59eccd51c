//! The config file schema (version 2) and its path-aware, lossless parsing.
//!
//! Parsing goes text → `serde_json::Value` (per format, see `format.rs`) → these types through
//! [`Fields`], which maps camelCase/legacy aliases to the snake_case names, keeps unknown keys
//! at root and profile level, and names the offending key in every type error
//! (`profiles.prod.retry.max_attempts: invalid type: string "many", expected u32`).
//! Serialization is derived: snake_case names, `None` omitted, unknown keys written back.

use std::collections::BTreeMap;
use std::fmt;

#[cfg(feature = "schema")]
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::fields::*;
pub use super::policy::*;
use super::settings::Profile;
use crate::error::Result;

/// The schema version written by this crate.
pub const SCHEMA_VERSION: &str = "2";

// ---------------------------------------------------------------------------------------------
// Root

/// The config file (schema version 2).
#[derive(Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
pub struct ConfigFile {
    /// Schema version; this crate writes "2".
    pub version: String,
    /// Fallback profile when `active_profile` is not set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_profile: Option<String>,
    /// The profile selected by `rsspot profiles use` (alias: `activeProfile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_profile: Option<String>,
    /// Where `state.db` lives (`~` expanded; relative paths are relative to this file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_path: Option<String>,
    /// Whether access tokens are cached in `state.db` between runs. Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_cache: Option<bool>,
    /// Account profiles by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub profiles: BTreeMap<String, Profile>,
    /// Free-form preferences, kept as written. They never take part in profile resolution.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub preferences: Map<String, Value>,
    /// Default retry policy for every profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryConfig>,
    /// Default response cache settings for every profile.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheConfig>,
    /// CLI history settings.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryConfig>,
    /// Unknown keys, kept as they were and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for ConfigFile {
    fn default() -> Self {
        ConfigFile {
            version: SCHEMA_VERSION.to_string(),
            default_profile: None,
            active_profile: None,
            state_path: None,
            token_cache: None,
            profiles: BTreeMap::new(),
            preferences: Map::new(),
            retry: None,
            cache: None,
            history: None,
            extra: Map::new(),
        }
    }
}

impl ConfigFile {
    /// Parses an already-decoded document; `origin` names it in errors.
    pub(crate) fn from_json(value: Value, origin: Origin<'_>) -> Result<Self> {
        let mut f = Fields::split(origin, "", value, ROOT_SPEC, true)?;
        let version = match f.take_value("version") {
            None => SCHEMA_VERSION.to_string(),
            Some(Value::String(s)) => s,
            Some(Value::Number(n)) => n.to_string(),
            Some(other) => {
                return Err(origin.err(
                    "version",
                    format!("expected a string such as \"2\", found {}", kind(&other)),
                ));
            }
        };
        let mut profiles = BTreeMap::new();
        match f.take_value("profiles") {
            None => {}
            Some(Value::Object(map)) => {
                for (name, value) in map {
                    let prefix = format!("profiles.{name}.");
                    profiles.insert(name, Profile::from_json(value, origin, &prefix)?);
                }
            }
            Some(other) => {
                return Err(origin.err(
                    "profiles",
                    format!(
                        "expected a mapping of profile names to profiles, found {}",
                        kind(&other)
                    ),
                ));
            }
        }
        let retry = match f.take_value("retry") {
            Some(v) => Some(RetryConfig::from_json(v, origin, "retry.")?),
            None => None,
        };
        let cache = match f.take_value("cache") {
            Some(v) => Some(CacheConfig::from_json(v, origin, "cache.")?),
            None => None,
        };
        let history = match f.take_value("history") {
            Some(v) => Some(HistoryConfig::from_json(v, origin, "history.")?),
            None => None,
        };
        Ok(ConfigFile {
            version,
            default_profile: f.take("default_profile")?,
            active_profile: f.take("active_profile")?,
            state_path: f.take("state_path")?,
            token_cache: f.take("token_cache")?,
            profiles,
            preferences: f.take("preferences")?.unwrap_or_default(),
            retry,
            cache,
            history,
            extra: std::mem::take(&mut f.extra),
        })
    }

    /// Parses a document in `format` (for configs given in code); `origin` names it in errors.
    pub fn parse(text: &str, format: super::Format, origin: &str) -> Result<Self> {
        let value = format.parse(text, std::path::Path::new(origin))?;
        ConfigFile::from_json(value, Origin(origin))
    }

    /// Profile names, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.profiles.keys().cloned().collect()
    }
}

deserialize_via_json!(ConfigFile, |v| ConfigFile::from_json(v, Origin("config")));

impl fmt::Debug for ConfigFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigFile")
            .field("version", &self.version)
            .field("default_profile", &self.default_profile)
            .field("active_profile", &self.active_profile)
            .field("state_path", &self.state_path)
            .field("token_cache", &self.token_cache)
            .field("profiles", &self.profiles)
            .field("preferences", &redacted_extras(&self.preferences))
            .field("retry", &self.retry)
            .field("cache", &self.cache)
            .field("history", &self.history)
            .field("extra", &redacted_extras(&self.extra))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<ConfigFile> {
        ConfigFile::from_json(v, Origin("config file test.yml"))
    }

    #[test]
    fn aliases_map_to_snake_case_and_extras_are_kept() {
        let cfg = parse(json!({
            "activeProfile": "p",
            "custom_root": {"a": 1},
            "profiles": {"p": {
                "refreshToken": "rt", "accessToken": "at", "clientId": "c", "baseUrl": "https://b.example",
                "authUrl": "https://o.example", "orgId": "org-1", "organization": "acme",
                "default_region": "us-east", "verifySsl": false, "requestTimeoutSeconds": 12,
                "publicDataUrl": "https://p.example", "api_key_note": "kept",
                "retry": {"maxAttempts": 2}, "cache": {"defaultTtl": 1.5}
            }}
        }))
        .unwrap();
        assert_eq!(cfg.active_profile.as_deref(), Some("p"));
        let p = &cfg.profiles["p"];
        assert_eq!(p.refresh_token.as_ref().unwrap().expose(), "rt");
        assert_eq!(p.access_token.as_ref().unwrap().expose(), "at");
        assert_eq!(p.client_id.as_deref(), Some("c"));
        assert_eq!(p.base_url.as_deref(), Some("https://b.example"));
        assert_eq!(p.oauth_url.as_deref(), Some("https://o.example"));
        assert_eq!(p.org_id.as_deref(), Some("org-1"));
        assert_eq!(p.org.as_deref(), Some("acme"));
        assert_eq!(p.region.as_deref(), Some("us-east"));
        assert_eq!(p.verify_ssl, Some(false));
        assert_eq!(p.request_timeout_seconds, Some(12.0));
        assert_eq!(p.public_data_url.as_deref(), Some("https://p.example"));
        assert_eq!(p.extra["api_key_note"], json!("kept"));
        assert_eq!(p.retry.as_ref().unwrap().max_attempts, Some(2));
        assert_eq!(p.cache.as_ref().unwrap().default_ttl, Some(1.5));
        assert_eq!(cfg.extra["custom_root"], json!({"a": 1}));
        let out = serde_json::to_value(&cfg).unwrap();
        assert_eq!(out["profiles"]["p"]["refresh_token"], json!("rt"));
        assert_eq!(out["active_profile"], json!("p"));
        assert!(out.get("activeProfile").is_none());
    }

    #[test]
    fn conflicting_alias_and_name_is_refused() {
        let err = parse(json!({"profiles": {"p": {"region": "a", "default_region": "b"}}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("profiles.p.region"), "{err}");
        assert!(err.contains("keep only `region`"), "{err}");
        // Same value under both spellings is harmless.
        assert!(parse(json!({"profiles": {"p": {"region": "a", "default_region": "a"}}})).is_ok());
    }

    #[test]
    fn wrong_type_names_the_key() {
        let err = parse(json!({"profiles": {"p": {"retry": {"max_attempts": "many"}}}}))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("config file test.yml: profiles.p.retry.max_attempts:"),
            "{err}"
        );
        let err = parse(json!({"retry": {"max_attempts": "many"}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("retry.max_attempts"), "{err}");
        let err = parse(json!({"profiles": {"p": {"refresh_token": 12345678}}}))
            .unwrap_err()
            .to_string();
        assert!(err.contains("profiles.p.refresh_token"), "{err}");
        assert!(!err.contains("12345678"), "{err}");
    }

    #[test]
    fn nonsense_values_are_refused_with_a_fix() {
        let cases = [
            (json!({"retry": {"max_attempts": 0}}), "at least 1"),
            (
                json!({"retry": {"base_delay": 1.0, "max_delay": 0.5}}),
                "raise max_delay",
            ),
            (json!({"retry": {"jitter": 1.5}}), "between 0 and 1"),
            (json!({"retry": {"jitter": -0.1}}), "between 0 and 1"),
            (
                json!({"retry": {"retry_statuses": [42]}}),
                "not an HTTP status",
            ),
            (
                json!({"cache": {"ttl": {"pricing": -1}}}),
                "cache.ttl.pricing",
            ),
            (json!({"retry": {"max_attemps": 3}}), "unknown key"),
            (
                json!({"profiles": {"p": {"request_timeout_seconds": 0}}}),
                "positive",
            ),
            (
                json!({"profiles": {"p": {"base_url": "spot.example"}}}),
                "http(s) URL",
            ),
            (
                json!({"profiles": {"p": {"retry": {"max_delay": 0.1}}}}),
                "",
            ),
        ];
        for (input, needle) in cases.iter().take(cases.len() - 1) {
            let err = parse(input.clone()).unwrap_err().to_string();
            assert!(err.contains(needle), "{input}: {err}");
        }
        // A profile patch with only max_delay is fine on its own (checked after merging).
        assert!(parse(cases[cases.len() - 1].0.clone()).is_ok());
    }

    #[test]
    fn cache_ttl_merges_over_defaults() {
        let cfg = parse(json!({"cache": {"ttl": {"pricing": 60, "custom": 7}}})).unwrap();
        let cache = cfg.cache.unwrap();
        assert_eq!(cache.ttl_for("pricing"), Duration::from_secs(60));
        assert_eq!(cache.ttl_for("custom"), Duration::from_secs(7));
        assert_eq!(cache.ttl_for("regions"), Duration::from_secs(3600));
        assert_eq!(cache.ttl_for("unknown-class"), Duration::from_secs(5));
        assert!(CacheConfig::default().validate().is_ok());
        assert!(RetryConfig::default().validate().is_ok());
    }

    #[test]
    fn patches_merge_field_by_field() {
        let mut r = RetryPatch {
            max_attempts: Some(2),
            ..Default::default()
        };
        r.merge(&RetryPatch {
            jitter: Some(0.5),
            ..Default::default()
        });
        assert_eq!((r.max_attempts, r.jitter), (Some(2), Some(0.5)));
        let mut full = RetryConfig::default();
        full.apply(&r);
        assert_eq!(full.max_attempts, 2);
        assert_eq!(full.max_delay, std::time::Duration::from_millis(2500));
        assert_eq!(camel("request_timeout_seconds"), "requestTimeoutSeconds");
    }
}
