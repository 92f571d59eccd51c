//! The config file schema (version 2) and its path-aware, lossless parsing.
//!
//! Parsing goes text → `serde_json::Value` (per format, see `format.rs`) → these types through
//! [`Fields`], which maps camelCase/legacy aliases to the snake_case names, keeps unknown keys
//! at root and profile level, and names the offending key in every type error
//! (`profiles.prod.retry.max_attempts: invalid type: string "many", expected u32`).
//! Serialization is derived: snake_case names, `None` omitted, unknown keys written back.

use std::collections::BTreeMap;
use std::fmt::{self, Display};
use std::time::Duration;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::secret::Secret;
use crate::error::{Error, Result};

/// The schema version written by this crate.
pub const SCHEMA_VERSION: &str = "2";

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

/// Seconds allowed for any duration setting; beyond this `Duration` conversion is meaningless.
const MAX_SECONDS: f64 = 1.0e9;

/// Where parsed data came from, prefixed to every error ("config file /x/config.yml").
#[derive(Clone, Copy, Debug)]
pub(crate) struct Origin<'a>(pub &'a str);

impl Origin<'_> {
    pub(crate) fn err(&self, key: &str, msg: impl Display) -> Error {
        let msg = one_line(&msg.to_string());
        if key.is_empty() {
            Error::config(format!("{}: {msg}", self.0))
        } else {
            Error::config(format!("{}: {key}: {msg}", self.0))
        }
    }
}

/// Collapses a multi-line parser message into one line.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `max_attempts` → `maxAttempts`.
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A known field: its snake_case name and extra input aliases (camelCase is always accepted).
type Spec = (&'static str, &'static [&'static str]);

const ROOT_SPEC: &[Spec] = &[
    ("version", &[]),
    ("default_profile", &[]),
    ("active_profile", &[]),
    ("state_path", &[]),
    ("token_cache", &[]),
    ("profiles", &[]),
    ("preferences", &[]),
    ("retry", &[]),
    ("cache", &[]),
    ("history", &[]),
];

pub(crate) const PROFILE_SPEC: &[Spec] = &[
    ("org", &["organization"]),
    ("org_id", &["organization_id", "organizationId"]),
    ("region", &["default_region"]),
    ("refresh_token", &[]),
    ("access_token", &[]),
    ("client_id", &[]),
    ("base_url", &[]),
    ("oauth_url", &["auth_url", "authUrl"]),
    ("public_data_url", &[]),
    ("request_timeout_seconds", &[]),
    ("verify_ssl", &[]),
    ("max_monthly_usd", &[]),
    ("retry", &[]),
    ("cache", &[]),
];

const RETRY_SPEC: &[Spec] = &[
    ("max_attempts", &[]),
    ("base_delay", &[]),
    ("max_delay", &[]),
    ("jitter", &[]),
    ("retry_statuses", &[]),
];

const CACHE_SPEC: &[Spec] = &[
    ("enabled", &[]),
    ("default_ttl", &[]),
    ("ttl", &[]),
    ("max_entries", &[]),
    ("backend", &[]),
];

const HISTORY_SPEC: &[Spec] = &[("enabled", &[]), ("max_entries", &[])];

/// The canonical name of `key` under `spec`, if it is a known field or alias.
pub(crate) fn canonical(spec: &[Spec], key: &str) -> Option<&'static str> {
    spec.iter()
        .find(|(name, aliases)| *name == key || aliases.contains(&key) || camel(name) == key)
        .map(|(name, _)| *name)
}

/// One mapping split into known fields (by canonical name) and unknown keys.
struct Fields<'a> {
    origin: Origin<'a>,
    prefix: String,
    known: BTreeMap<&'static str, Value>,
    extra: Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn split(
        origin: Origin<'a>,
        prefix: &str,
        value: Value,
        spec: &[Spec],
        allow_extra: bool,
    ) -> Result<Self> {
        let map = match value {
            Value::Object(m) => m,
            Value::Null => Map::new(),
            other => {
                return Err(origin.err(
                    prefix.trim_end_matches('.'),
                    format!("expected a mapping, found {}", kind(&other)),
                ));
            }
        };
        let mut known: BTreeMap<&'static str, Value> = BTreeMap::new();
        let mut spelled: BTreeMap<&'static str, String> = BTreeMap::new();
        let mut extra = Map::new();
        for (key, value) in map {
            match canonical(spec, &key) {
                Some(name) => {
                    if let Some(prev) = known.get(name) {
                        if *prev != value {
                            let first = spelled.get(name).cloned().unwrap_or_default();
                            return Err(origin.err(
                                &format!("{prefix}{name}"),
                                format!(
                                    "both `{first}` and `{key}` are set with different values; keep only `{name}`"
                                ),
                            ));
                        }
                        continue;
                    }
                    known.insert(name, value);
                    spelled.insert(name, key);
                }
                None if allow_extra => {
                    extra.insert(key, value);
                }
                None => {
                    let names: Vec<&str> = spec.iter().map(|(n, _)| *n).collect();
                    return Err(origin.err(
                        &format!("{prefix}{key}"),
                        format!("unknown key; expected one of: {}", names.join(", ")),
                    ));
                }
            }
        }
        Ok(Fields {
            origin,
            prefix: prefix.to_string(),
            known,
            extra,
        })
    }

    fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn take_value(&mut self, name: &str) -> Option<Value> {
        self.known.remove(name).filter(|v| !v.is_null())
    }

    fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>> {
        match self.take_value(name) {
            None => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| self.origin.err(&self.key(name), e)),
        }
    }

    /// Like `take` but never echoes the value into an error message.
    fn take_secret(&mut self, name: &str) -> Result<Option<Secret>> {
        match self.take_value(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(Secret::new(s))),
            Some(other) => Err(self.origin.err(
                &self.key(name),
                format!(
                    "expected a string, found {} (value not shown)",
                    kind(&other)
                ),
            )),
        }
    }

    fn check(&self, result: std::result::Result<(), String>) -> Result<()> {
        result.map_err(|msg| self.origin.err("", msg))
    }
}

/// Implements `Deserialize` through the path-aware parser, so runtime configs built with any
/// serde format behave exactly like files.
macro_rules! deserialize_via_json {
    ($ty:ty, $parse:expr) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let value = Value::deserialize(d)?;
                $parse(value).map_err(serde::de::Error::custom)
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Retry

/// Retry policy for API calls. `max_attempts` counts the first try.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(default)]
pub struct RetryConfig {
    /// Total tries including the first (≥ 1). Default 4.
    pub max_attempts: u32,
    /// Delay before the first retry, in seconds; doubles per retry. Default 0.2.
    pub base_delay: f64,
    /// Upper bound of one delay, in seconds (≥ base_delay). Default 2.5.
    pub max_delay: f64,
    /// Random spread as a fraction of the delay, in [0, 1]. Default 0.2.
    pub jitter: f64,
    /// HTTP statuses that are retried. Default 429, 500, 502, 503, 504.
    pub retry_statuses: Vec<u16>,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            base_delay: 0.2,
            max_delay: 2.5,
            jitter: 0.2,
            retry_statuses: vec![429, 500, 502, 503, 504],
        }
    }
}

impl RetryConfig {
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
            self.base_delay = v;
        }
        if let Some(v) = patch.max_delay {
            self.max_delay = v;
        }
        if let Some(v) = patch.jitter {
            self.jitter = v;
        }
        if let Some(v) = &patch.retry_statuses {
            self.retry_statuses = v.clone();
        }
    }

    /// The base delay as a `Duration`.
    pub fn base_delay_duration(&self) -> Duration {
        seconds(self.base_delay)
    }

    /// The maximum delay as a `Duration`.
    pub fn max_delay_duration(&self) -> Duration {
        seconds(self.max_delay)
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct RetryPatch {
    /// See [`RetryConfig::max_attempts`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// See [`RetryConfig::base_delay`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_delay: Option<f64>,
    /// See [`RetryConfig::max_delay`].
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
            base_delay: Some(c.base_delay),
            max_delay: Some(c.max_delay),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CacheBackend {
    /// In `state.db`, shared between processes (default).
    #[default]
    Sqlite,
    /// In process memory only.
    Memory,
}

/// Response cache settings.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(default)]
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, JsonSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(default)]
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

// ---------------------------------------------------------------------------------------------
// Profile

/// One account profile. Every field is optional: unset fields inherit the top-level settings or
/// the built-in defaults, and are not written back.
#[derive(Clone, Default, PartialEq, Serialize, JsonSchema)]
pub struct Profile {
    /// Organization name (input alias: `organization`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Organization id, `org-…` (aliases: `orgId`, `organization_id`, `organizationId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// Default region (alias: `default_region`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Refresh token from the Spot UI (alias: `refreshToken`). Stored in plain text; the file is 0600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<Secret>,
    /// A pre-issued access token (alias: `accessToken`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<Secret>,
    /// OAuth client id (alias: `clientId`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Spot API base URL (alias: `baseUrl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// OAuth base URL (aliases: `oauthUrl`, `auth_url`, `authUrl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth_url: Option<String>,
    /// Host of the public pricing documents (alias: `publicDataUrl`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_data_url: Option<String>,
    /// Per-request timeout in seconds (alias: `requestTimeoutSeconds`). Default 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_timeout_seconds: Option<f64>,
    /// Verify TLS certificates (alias: `verifySsl`). Default true.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_ssl: Option<bool>,
    /// Spending guardrail: a pool costing more per month (USD) asks for confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_monthly_usd: Option<f64>,
    /// Overrides of the top-level `retry`, field by field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetryPatch>,
    /// Overrides of the top-level `cache`, field by field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<CachePatch>,
    /// Unknown keys, kept as they were and written back.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Profile {
    pub(crate) fn from_json(value: Value, origin: Origin<'_>, prefix: &str) -> Result<Self> {
        let mut f = Fields::split(origin, prefix, value, PROFILE_SPEC, true)?;
        let retry = match f.take_value("retry") {
            Some(v) => Some(RetryPatch::from_json(
                v,
                origin,
                &format!("{prefix}retry."),
            )?),
            None => None,
        };
        let cache = match f.take_value("cache") {
            Some(v) => Some(CachePatch::from_json(
                v,
                origin,
                &format!("{prefix}cache."),
            )?),
            None => None,
        };
        let profile = Profile {
            org: f.take("org")?,
            org_id: f.take("org_id")?,
            region: f.take("region")?,
            refresh_token: f.take_secret("refresh_token")?,
            access_token: f.take_secret("access_token")?,
            client_id: f.take("client_id")?,
            base_url: f.take("base_url")?,
            oauth_url: f.take("oauth_url")?,
            public_data_url: f.take("public_data_url")?,
            request_timeout_seconds: f.take("request_timeout_seconds")?,
            verify_ssl: f.take("verify_ssl")?,
            max_monthly_usd: f.take("max_monthly_usd")?,
            retry,
            cache,
            extra: std::mem::take(&mut f.extra),
        };
        f.check(profile.check(prefix))?;
        Ok(profile)
    }

    pub(crate) fn check(&self, prefix: &str) -> std::result::Result<(), String> {
        if let Some(t) = self.request_timeout_seconds {
            check_timeout(&format!("{prefix}request_timeout_seconds"), t)?;
        }
        for (name, v) in [
            ("base_url", &self.base_url),
            ("oauth_url", &self.oauth_url),
            ("public_data_url", &self.public_data_url),
        ] {
            if let Some(v) = v {
                check_url(&format!("{prefix}{name}"), v)?;
            }
        }
        Ok(())
    }

    /// The profile without its unknown keys (what takes part in resolution).
    pub(crate) fn known_fields_json(&self) -> Value {
        let mut copy = self.clone();
        copy.extra = Map::new();
        serde_json::to_value(copy).unwrap_or(Value::Null)
    }
}

deserialize_via_json!(Profile, |v| Profile::from_json(v, Origin("profile"), ""));

// ---------------------------------------------------------------------------------------------
// Root

/// The config file (schema version 2).
#[derive(Clone, PartialEq, Serialize, JsonSchema)]
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

// ---------------------------------------------------------------------------------------------
// Checks shared with resolution.

/// Converts seconds to a `Duration` without panicking on odd input (already validated).
pub(crate) fn seconds(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.clamp(0.0, MAX_SECONDS)).unwrap_or_default()
}

pub(crate) fn check_seconds(key: &str, v: f64) -> std::result::Result<(), String> {
    if !v.is_finite() || !(0.0..=MAX_SECONDS).contains(&v) {
        return Err(format!(
            "{key} must be a non-negative number of seconds, got {v}"
        ));
    }
    Ok(())
}

pub(crate) fn check_timeout(key: &str, v: f64) -> std::result::Result<(), String> {
    if !v.is_finite() || v <= 0.0 || v > MAX_SECONDS {
        return Err(format!(
            "{key} must be a positive number of seconds, got {v}"
        ));
    }
    Ok(())
}

pub(crate) fn check_url(key: &str, v: &str) -> std::result::Result<(), String> {
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(format!(
            "{key} must be an http(s) URL such as https://spot.rackspace.com, got '{v}'"
        )),
    }
}

/// Key names whose values are treated as secrets in displays.
const SECRET_MARKERS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passphrase",
    "private_key",
    "api_key",
    "apikey",
    "credential",
    "authorization",
    "cookie",
    "jwt",
    "signature",
];

/// Replaces secret-looking values with `"<redacted>"`, recursively. Booleans (`token_cache`)
/// and nulls are left as they are.
pub(crate) fn redact(v: &mut Value) {
    match v {
        Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                let lower = k.to_ascii_lowercase();
                let secret = SECRET_MARKERS.iter().any(|m| lower.contains(m));
                if secret && !matches!(val, Value::Null | Value::Bool(_)) {
                    *val = Value::String("<redacted>".into());
                } else {
                    redact(val);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// Unknown keys as shown in `Debug`: secret-looking values redacted.
fn redacted_extras(m: &Map<String, Value>) -> Value {
    let mut v = Value::Object(m.clone());
    redact(&mut v);
    v
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("org", &self.org)
            .field("org_id", &self.org_id)
            .field("region", &self.region)
            .field("refresh_token", &self.refresh_token)
            .field("access_token", &self.access_token)
            .field("client_id", &self.client_id)
            .field("base_url", &self.base_url)
            .field("oauth_url", &self.oauth_url)
            .field("public_data_url", &self.public_data_url)
            .field("request_timeout_seconds", &self.request_timeout_seconds)
            .field("verify_ssl", &self.verify_ssl)
            .field("max_monthly_usd", &self.max_monthly_usd)
            .field("retry", &self.retry)
            .field("cache", &self.cache)
            .field("extra", &redacted_extras(&self.extra))
            .finish()
    }
}

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
        assert_eq!(full.max_delay, 2.5);
        assert_eq!(camel("request_timeout_seconds"), "requestTimeoutSeconds");
    }
}
