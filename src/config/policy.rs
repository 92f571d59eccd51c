//! The policy blocks of the config file: `retry`, `cache` and `history`, each complete
//! (top level, with defaults) and as a patch (profile level, CLI flags), field by field.

use std::collections::BTreeMap;
use std::time::Duration;

#[cfg(feature = "schema")]
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use super::checks::{check_seconds, seconds};
use super::fields::*;
use crate::error::{Error, Result};

/// Default cache TTLs in seconds, per resource class (`cache.ttl`). User entries merge over these.
pub const DEFAULT_TTLS: &[(&str, f64)] = &[
    ("organizations", 300.0),
    ("regions", 3600.0),
    ("serverclasses", 600.0),
    ("cloudspaces", 5.0),
    ("spotnodepools", 5.0),
    ("ondemandnodepools", 5.0),
    ("inventory", 5.0),
    ("pricing", 3600.0),
];

// ---------------------------------------------------------------------------------------------
// Retry

/// When and how long to retry API calls: the config file's `retry` block (delays in seconds
/// there) and what [`crate::SpotClientBuilder::retry`] takes. `max_attempts` counts the first
/// try. One type for the file, the effective settings and the retry engine.
///
/// ```
/// use std::time::Duration;
/// let fast = rsspot::retry::RetryConfig {
///     max_attempts: 3,
///     base_delay: Duration::from_millis(50),
///     ..Default::default()
/// };
/// assert!(fast.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "schema", schemars(default))]
pub struct RetryConfig {
    /// Total tries including the first (≥ 1; 1 = no retry). Default 4.
    pub max_attempts: u32,
    /// Delay before the first retry (seconds in the file); doubles per retry. Default 0.2 s.
    #[serde(serialize_with = "as_seconds")]
    #[cfg_attr(feature = "schema", schemars(with = "f64"))]
    pub base_delay: Duration,
    /// Upper bound of one delay (seconds in the file; ≥ base_delay). Default 2.5 s.
    #[serde(serialize_with = "as_seconds")]
    #[cfg_attr(feature = "schema", schemars(with = "f64"))]
    pub max_delay: Duration,
    /// Random spread as a fraction of the delay, in [0, 1] (0.2 = ±20 %). Default 0.2.
    pub jitter: f64,
    /// HTTP statuses that are retried, for requests that may be replayed (a 429 always is).
    /// Default 408, 429, 500, 502, 503, 504.
    pub retry_statuses: Vec<u16>,
}

/// A delay as the file writes it: seconds, fractional.
fn as_seconds<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_millis(2500),
            jitter: 0.2,
            retry_statuses: vec![408, 429, 500, 502, 503, 504],
        }
    }
}

impl RetryConfig {
    /// No retries at all.
    pub fn none() -> Self {
        RetryConfig {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// Refuses settings that make no sense, with a sentence saying what to fix.
    pub fn validate(&self) -> Result<()> {
        RetryPatch::from(self.clone())
            .check("retry.")
            .map_err(Error::config)
    }

    /// Overwrites the fields that `patch` sets.
    pub fn apply(&mut self, patch: &RetryPatch) {
        if let Some(v) = patch.max_attempts {
            self.max_attempts = v;
        }
        if let Some(v) = patch.base_delay {
            self.base_delay = seconds(v);
        }
        if let Some(v) = patch.max_delay {
            self.max_delay = seconds(v);
        }
        if let Some(v) = patch.jitter {
            self.jitter = v;
        }
        if let Some(v) = &patch.retry_statuses {
            self.retry_statuses = v.clone();
        }
    }

    pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
        let patch = RetryPatch::from_json(value, origin, prefix)?;
        let mut out = RetryConfig::default();
        out.apply(&patch);
        let full = RetryPatch::from(out.clone());
        full.check(prefix).map_err(|m| origin.err("", m))?;
        Ok(out)
    }
}

deserialize_via_json!(RetryConfig, |v| RetryConfig::from_json(
    v,
    Origin("retry"),
    ""
));

/// A partial [`RetryConfig`]: profile-level overrides, applied field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
pub struct RetryPatch {
    /// See [`RetryConfig::max_attempts`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// See [`RetryConfig::base_delay`]; in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_delay: Option<f64>,
    /// See [`RetryConfig::max_delay`]; in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_delay: Option<f64>,
    /// See [`RetryConfig::jitter`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jitter: Option<f64>,
    /// See [`RetryConfig::retry_statuses`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_statuses: Option<Vec<u16>>,
}

impl From<RetryConfig> for RetryPatch {
    fn from(c: RetryConfig) -> Self {
        RetryPatch {
            max_attempts: Some(c.max_attempts),
            base_delay: Some(c.base_delay.as_secs_f64()),
            max_delay: Some(c.max_delay.as_secs_f64()),
            jitter: Some(c.jitter),
            retry_statuses: Some(c.retry_statuses),
        }
    }
}

impl RetryPatch {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == RetryPatch::default()
    }

    /// Overwrites the fields of `self` that `other` sets.
    pub fn merge(&mut self, other: &RetryPatch) {
        if other.max_attempts.is_some() {
            self.max_attempts = other.max_attempts;
        }
        if other.base_delay.is_some() {
            self.base_delay = other.base_delay;
        }
        if other.max_delay.is_some() {
            self.max_delay = other.max_delay;
        }
        if other.jitter.is_some() {
            self.jitter = other.jitter;
        }
        if other.retry_statuses.is_some() {
            self.retry_statuses.clone_from(&other.retry_statuses);
        }
    }

    /// Checks the fields that are set; `prefix` is the key path (`retry.`).
    pub(crate) fn check(&self, prefix: &str) -> std::result::Result<(), String> {
        if self.max_attempts == Some(0) {
            return Err(format!(
                "{prefix}max_attempts must be at least 1 (it counts the first try); set it to 1 to disable retries"
            ));
        }
        for (name, v) in [
            ("base_delay", self.base_delay),
            ("max_delay", self.max_delay),
        ] {
            if let Some(v) = v {
                check_seconds(&format!("{prefix}{name}"), v)?;
            }
        }
        if let (Some(base), Some(max)) = (self.base_delay, self.max_delay)
            && max < base
        {
            return Err(format!(
                "{prefix}max_delay ({max} s) is smaller than {prefix}base_delay ({base} s); raise max_delay or lower base_delay"
            ));
        }
        if let Some(j) = self.jitter
            && !(0.0..=1.0).contains(&j)
        {
            return Err(format!(
                "{prefix}jitter must be between 0 and 1 (a fraction of the delay), got {j}"
            ));
        }
        if let Some(statuses) = &self.retry_statuses
            && let Some(bad) = statuses.iter().find(|s| !(100..=599).contains(*s))
        {
            return Err(format!(
                "{prefix}retry_statuses contains {bad}, which is not an HTTP status code (100-599)"
            ));
        }
        Ok(())
    }

    pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
        let mut f = Fields::split(origin, prefix, value, RETRY_SPEC, false)?;
        let patch = RetryPatch {
            max_attempts: f.take("max_attempts")?,
            base_delay: f.take("base_delay")?,
            max_delay: f.take("max_delay")?,
            jitter: f.take("jitter")?,
            retry_statuses: f.take("retry_statuses")?,
        };
        f.check(patch.check(prefix))?;
        Ok(patch)
    }
}

deserialize_via_json!(RetryPatch, |v| RetryPatch::from_json(
    v,
    Origin("retry"),
    ""
));

// ---------------------------------------------------------------------------------------------
// Cache

/// Where cached API responses are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// In `state.db`, shared between processes (default).
    #[default]
    Sqlite,
    /// In process memory only.
    Memory,
}

/// Response cache settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "schema", schemars(default))]
pub struct CacheConfig {
    /// Whether GET responses are cached. Default true.
    pub enabled: bool,
    /// TTL in seconds for resource classes without an entry in `ttl`. Default 5.
    pub default_ttl: f64,
    /// TTL in seconds per resource class (organizations, regions, serverclasses, cloudspaces,
    /// spotnodepools, ondemandnodepools, inventory, pricing). Entries merge over the defaults.
    pub ttl: BTreeMap<String, f64>,
    /// Maximum number of cached responses. Default 1000.
    pub max_entries: u32,
    /// `sqlite` (default) or `memory`.
    pub backend: CacheBackend,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            default_ttl: 5.0,
            ttl: DEFAULT_TTLS
                .iter()
                .map(|(k, v)| ((*k).to_string(), *v))
                .collect(),
            max_entries: 1000,
            backend: CacheBackend::Sqlite,
        }
    }
}

impl CacheConfig {
    /// The TTL for a resource class: its `ttl` entry, else `default_ttl`.
    pub fn ttl_for(&self, class: &str) -> Duration {
        seconds(self.ttl.get(class).copied().unwrap_or(self.default_ttl))
    }

    /// Refuses settings that make no sense, with a sentence saying what to fix.
    pub fn validate(&self) -> Result<()> {
        CachePatch::from(self.clone())
            .check("cache.")
            .map_err(Error::config)
    }

    /// Overwrites the fields that `patch` sets; `ttl` entries are merged one by one.
    pub fn apply(&mut self, patch: &CachePatch) {
        if let Some(v) = patch.enabled {
            self.enabled = v;
        }
        if let Some(v) = patch.default_ttl {
            self.default_ttl = v;
        }
        if let Some(ttl) = &patch.ttl {
            for (k, v) in ttl {
                self.ttl.insert(k.clone(), *v);
            }
        }
        if let Some(v) = patch.max_entries {
            self.max_entries = v;
        }
        if let Some(v) = patch.backend {
            self.backend = v;
        }
    }

    pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
        let patch = CachePatch::from_json(value, origin, prefix)?;
        let mut out = CacheConfig::default();
        out.apply(&patch);
        Ok(out)
    }
}

deserialize_via_json!(CacheConfig, |v| CacheConfig::from_json(
    v,
    Origin("cache"),
    ""
));

/// A partial [`CacheConfig`]: profile-level overrides, applied field by field.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
pub struct CachePatch {
    /// See [`CacheConfig::enabled`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// See [`CacheConfig::default_ttl`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_ttl: Option<f64>,
    /// See [`CacheConfig::ttl`]; entries merge over the inherited ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl: Option<BTreeMap<String, f64>>,
    /// See [`CacheConfig::max_entries`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<u32>,
    /// See [`CacheConfig::backend`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backend: Option<CacheBackend>,
}

impl From<CacheConfig> for CachePatch {
    fn from(c: CacheConfig) -> Self {
        CachePatch {
            enabled: Some(c.enabled),
            default_ttl: Some(c.default_ttl),
            ttl: Some(c.ttl),
            max_entries: Some(c.max_entries),
            backend: Some(c.backend),
        }
    }
}

impl CachePatch {
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        *self == CachePatch::default()
    }

    /// Overwrites the fields of `self` that `other` sets; `ttl` entries are merged.
    pub fn merge(&mut self, other: &CachePatch) {
        if other.enabled.is_some() {
            self.enabled = other.enabled;
        }
        if other.default_ttl.is_some() {
            self.default_ttl = other.default_ttl;
        }
        if let Some(ttl) = &other.ttl {
            let mine = self.ttl.get_or_insert_with(BTreeMap::new);
            for (k, v) in ttl {
                mine.insert(k.clone(), *v);
            }
        }
        if other.max_entries.is_some() {
            self.max_entries = other.max_entries;
        }
        if other.backend.is_some() {
            self.backend = other.backend;
        }
    }

    pub(crate) fn check(&self, prefix: &str) -> std::result::Result<(), String> {
        if let Some(v) = self.default_ttl {
            check_seconds(&format!("{prefix}default_ttl"), v)?;
        }
        for (k, v) in self.ttl.iter().flatten() {
            check_seconds(&format!("{prefix}ttl.{k}"), *v)?;
        }
        Ok(())
    }

    pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
        let mut f = Fields::split(origin, prefix, value, CACHE_SPEC, false)?;
        let patch = CachePatch {
            enabled: f.take("enabled")?,
            default_ttl: f.take("default_ttl")?,
            ttl: f.take("ttl")?,
            max_entries: f.take("max_entries")?,
            backend: f.take("backend")?,
        };
        f.check(patch.check(prefix))?;
        Ok(patch)
    }
}

deserialize_via_json!(CachePatch, |v| CachePatch::from_json(
    v,
    Origin("cache"),
    ""
));

// ---------------------------------------------------------------------------------------------
// History

/// CLI command history settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(JsonSchema))]
#[cfg_attr(feature = "schema", schemars(default))]
pub struct HistoryConfig {
    /// Whether commands are recorded (redacted). Default true.
    pub enabled: bool,
    /// Maximum number of recorded commands. Default 2000.
    pub max_entries: u32,
}

impl Default for HistoryConfig {
    fn default() -> Self {
        HistoryConfig {
            enabled: true,
            max_entries: 2000,
        }
    }
}

impl HistoryConfig {
    /// Overwrites the fields that `patch` sets.
    pub fn apply(&mut self, patch: &HistoryPatch) {
        if let Some(v) = patch.enabled {
            self.enabled = v;
        }
        if let Some(v) = patch.max_entries {
            self.max_entries = v;
        }
    }

    pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
        let mut f = Fields::split(origin, prefix, value, HISTORY_SPEC, false)?;
        let mut out = HistoryConfig::default();
        out.apply(&HistoryPatch {
            enabled: f.take("enabled")?,
            max_entries: f.take("max_entries")?,
        });
        Ok(out)
    }
}

deserialize_via_json!(HistoryConfig, |v| HistoryConfig::from_json(
    v,
    Origin("history"),
    ""
));

/// A partial [`HistoryConfig`] (CLI flags, builder).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HistoryPatch {
    /// See [`HistoryConfig::enabled`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// See [`HistoryConfig::max_entries`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<u32>,
}
