//! Configuration: the config file schema (v2), profiles, the figment precedence chain with
//! provenance, the four file formats, environment overrides, legacy `~/.spot_config`
//! migration, and the editing API used by `rsspot configure`, `profiles …` and `config …`.
//!
//! # Which file is read
//! First match wins:
//! 1. a runtime [`ConfigFile`] given to the client builder ([`LoadOptions::runtime`]);
//! 2. an explicit path (`--config`, [`LoadOptions::config_path`]);
//! 3. `RSSPOT_CONFIG`, `RSSPOT_CONFIG_FILE`, `SPOT_CONFIG_FILE` (first set);
//! 4. `$XDG_CONFIG_HOME/rsspot/config.{yml,yaml,toml,json}` (default `~/.config/rsspot/`);
//! 5. the legacy `~/.spot_config`, migrated into `config.yml` on first use (see
//!    [`migrate_legacy`]).
//!
//! A missing explicit or env-named file is an error unless [`LoadOptions::allow_missing_config`]
//! is set (`rsspot configure`, which is about to create it).
//!
//! # Which profile is used
//! One order, no hidden second source: `--profile` > `RSSPOT_PROFILE`/`SPOT_PROFILE` >
//! `active_profile` > `default_profile` > the only profile when there is exactly one >
//! `"default"`. A named profile that does not exist is an error listing the known ones.
//! `preferences` in the file never take part.
//!
//! # Which value wins for a field
//! Highest first: [`Overrides`] (CLI flags, SDK builder) > environment variables
//! ([`env::ENV_VARS`]) > the selected profile > top-level `retry`/`cache`/`history`/
//! `token_cache` (a profile's `retry`/`cache` override them field by field) > built-in
//! defaults. The layering is done with figment; [`Resolved::provenance`] says which source
//! supplied each effective value (`rsspot config explain`).
//!
//! # Where `state.db` lives
//! [`Overrides::state_path`] > `state_path` in the config file > `RSSPOT_STATE_PATH` >
//! `$XDG_STATE_HOME/rsspot/state.db` (default `~/.local/state/rsspot/state.db`). Unlike other
//! fields the file beats the environment here: a config that names its own state file keeps
//! it even in shells that export `RSSPOT_STATE_PATH` for another setup. A relative `state_path`
//! is relative to the config file's directory.

mod document;
pub mod env;
mod format;
mod migrate;
mod schema;
mod secret;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

pub use document::{ConfigDocument, ProfilePatch};
pub use env::Env;
pub use format::Format;
pub use migrate::{MigrationReport, legacy_config_path, migrate_legacy, migrate_legacy_to};
pub use schema::{
    CacheBackend, CacheConfig, CachePatch, ConfigFile, DEFAULT_TTLS, HistoryConfig, HistoryPatch,
    Profile, RetryConfig, RetryPatch, SCHEMA_VERSION,
};
pub use secret::Secret;

use crate::error::{Error, Result};
use env::*;
use schema::{Origin, check_timeout, check_url, seconds};

/// Spot API base URL.
pub const DEFAULT_BASE_URL: &str = "https://spot.rackspace.com";
/// OAuth (token exchange) base URL.
pub const DEFAULT_OAUTH_URL: &str = "https://login.spot.rackspace.com";
/// Host of the public pricing documents.
pub const DEFAULT_PUBLIC_DATA_URL: &str =
    "https://ngpc-prod-public-data.s3.us-east-2.amazonaws.com";
/// OAuth client id of the Spot UI.
pub const DEFAULT_CLIENT_ID: &str = "mwG3lUMV8KyeMqHe4fJ5Bb3nM1vBvRNa";
/// Default per-request timeout, seconds.
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: f64 = 30.0;

/// The value shown instead of a secret.
pub const REDACTED: &str = "<redacted>";

/// File names tried in the config directory, in order.
const CONFIG_FILE_NAMES: &[&str] = &["config.yml", "config.yaml", "config.toml", "config.json"];

// ---------------------------------------------------------------------------------------------
// Paths

/// The home directory: `home` if given, else `$HOME` from `env`, else the OS's idea, else `.`.
pub(crate) fn home_dir(env: &Env, home: Option<&Path>) -> PathBuf {
    home.map(Path::to_path_buf)
        .or_else(|| env.get("HOME").map(PathBuf::from))
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// An XDG base directory from `var` when it is absolute (as the spec requires), else `fallback`.
fn xdg_dir(env: &Env, var: &str, home: &Path, fallback: &str) -> PathBuf {
    env.get(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(fallback))
}

/// The directory holding the config file: `$XDG_CONFIG_HOME/rsspot` (default `~/.config/rsspot`).
pub fn config_dir(env: &Env, home: Option<&Path>) -> PathBuf {
    xdg_dir(env, "XDG_CONFIG_HOME", &home_dir(env, home), ".config").join("rsspot")
}

/// Where a new config file is created: `$XDG_CONFIG_HOME/rsspot/config.yml`.
pub fn default_config_path(env: &Env, home: Option<&Path>) -> PathBuf {
    config_dir(env, home).join(CONFIG_FILE_NAMES[0])
}

/// The default `state.db`: `$XDG_STATE_HOME/rsspot/state.db` (default
/// `~/.local/state/rsspot/state.db`). See the module docs for the full order.
pub fn default_state_path(env: &Env, home: Option<&Path>) -> PathBuf {
    xdg_dir(env, "XDG_STATE_HOME", &home_dir(env, home), ".local/state")
        .join("rsspot")
        .join("state.db")
}

/// The first existing `config.{yml,yaml,toml,json}` in the config directory.
pub(crate) fn existing_default_config(env: &Env, home: &Path) -> Option<PathBuf> {
    let dir = config_dir(env, Some(home));
    CONFIG_FILE_NAMES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

/// Expands a leading `~`; a relative path is joined to `base` when given.
fn expand_path(raw: &str, home: &Path, base: Option<&Path>) -> PathBuf {
    let p = if raw == "~" {
        home.to_path_buf()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(raw)
    };
    match base {
        Some(base) if p.is_relative() => base.join(p),
        _ => p,
    }
}

// ---------------------------------------------------------------------------------------------
// Public types

/// Effective settings for one client, after every source was applied.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The selected profile name.
    pub profile: String,
    /// Organization name.
    pub org: Option<String>,
    /// Organization id.
    pub org_id: Option<String>,
    /// Default region.
    pub region: Option<String>,
    /// Refresh token.
    pub refresh_token: Option<SecretString>,
    /// Pre-issued access token.
    pub access_token: Option<SecretString>,
    /// OAuth client id.
    pub client_id: String,
    /// Spot API base URL.
    pub base_url: String,
    /// OAuth base URL.
    pub oauth_url: String,
    /// Public pricing data host.
    pub public_data_url: String,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Verify TLS certificates.
    pub verify_ssl: bool,
    /// Spending guardrail: pools costing more per month (USD) need confirmation; none by default.
    pub max_monthly_usd: Option<rust_decimal::Decimal>,
    /// Retry policy.
    pub retry: RetryConfig,
    /// Response cache settings.
    pub cache: CacheConfig,
    /// Path of `state.db`.
    pub state_path: PathBuf,
    /// Cache access tokens in `state.db` between runs.
    pub token_cache: bool,
    /// CLI history settings.
    pub history: HistoryConfig,
    /// The config file that was read, if any.
    pub config_path: Option<PathBuf>,
}

/// Highest-precedence values from CLI flags or the SDK builder. `None` leaves a field to the
/// lower layers. (The profile and config file are chosen through [`LoadOptions`].)
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--org`.
    pub org: Option<String>,
    /// `--org-id`.
    pub org_id: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--refresh-token` / builder.
    pub refresh_token: Option<SecretString>,
    /// `--access-token` / builder.
    pub access_token: Option<SecretString>,
    /// `--client-id`.
    pub client_id: Option<String>,
    /// `--base-url`.
    pub base_url: Option<String>,
    /// `--oauth-url`.
    pub oauth_url: Option<String>,
    /// `--public-data-url`.
    pub public_data_url: Option<String>,
    /// `--timeout`.
    pub request_timeout: Option<Duration>,
    /// `--insecure` (false).
    pub verify_ssl: Option<bool>,
    /// Retry fields to force (a full [`RetryConfig`] converts with `.into()`).
    pub retry: Option<RetryPatch>,
    /// Cache fields to force (`--no-cache` sets `enabled: Some(false)`).
    pub cache: Option<CachePatch>,
    /// `--state-path`.
    pub state_path: Option<PathBuf>,
    /// `--no-token-cache` (false).
    pub token_cache: Option<bool>,
    /// `--no-history` sets `enabled: Some(false)`.
    pub history: Option<HistoryPatch>,
}

/// Inputs of [`load`].
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config`: read this file instead of searching.
    pub config_path: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
    /// CLI flags / builder values.
    pub overrides: Overrides,
    /// A config given in code; no file is read.
    pub runtime: Option<ConfigFile>,
    /// Environment snapshot ([`Env::from_process`] in the CLI).
    pub env: Env,
    /// Home directory override (tests); default `$HOME`.
    pub home: Option<PathBuf>,
    /// Accept a missing explicit/env-named config file as empty (for `rsspot configure`).
    pub allow_missing_config: bool,
}

/// Where the config file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// [`LoadOptions::runtime`].
    Runtime,
    /// `--config` / [`LoadOptions::config_path`].
    ExplicitPath,
    /// One of `RSSPOT_CONFIG`, `RSSPOT_CONFIG_FILE`, `SPOT_CONFIG_FILE`.
    EnvPath {
        /// The variable that named the file.
        var: String,
    },
    /// Found in the config directory.
    DefaultPath,
    /// Migrated from `~/.spot_config` during this load.
    LegacyMigrated,
    /// No file: built-in defaults and environment only.
    None,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigSource::Runtime => f.write_str("runtime config"),
            ConfigSource::ExplicitPath => f.write_str("--config"),
            ConfigSource::EnvPath { var } => write!(f, "env {var}"),
            ConfigSource::DefaultPath => f.write_str("default location"),
            ConfigSource::LegacyMigrated => f.write_str("migrated from ~/.spot_config"),
            ConfigSource::None => f.write_str("none (defaults and environment)"),
        }
    }
}

/// Which source supplied one effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// Dotted key, e.g. `region`, `retry.max_attempts`, `cache.ttl.pricing`.
    pub key: String,
    /// The effective value as text; secrets are `"<redacted>"`.
    pub value: String,
    /// e.g. `env RSSPOT_REGION`, `profile 'prod' in /home/u/.config/rsspot/config.yml`, `default`.
    pub source: String,
}

/// The outcome of [`load`].
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Effective settings.
    pub settings: Settings,
    /// The config file as read (or the runtime config, or empty).
    pub file: ConfigFile,
    /// The file that edits should go to (the one read, or where a new one is created).
    pub path: PathBuf,
    /// Where the file came from.
    pub source: ConfigSource,
    /// Set when this load migrated `~/.spot_config`; the CLI prints it on stderr.
    pub migrated: Option<MigrationReport>,
    /// One entry per effective value, for `rsspot config explain`.
    pub provenance: Vec<Provenance>,
}

impl Resolved {
    /// The provenance entries for `key` and everything under it (`retry` → `retry.*`).
    pub fn explain(&self, key: &str) -> Vec<&Provenance> {
        let prefix = format!("{key}.");
        self.provenance
            .iter()
            .filter(|p| p.key == key || p.key.starts_with(&prefix))
            .collect()
    }
}

/// The JSON Schema of the config file (`rsspot config schema`), derived from [`ConfigFile`].
pub fn json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ConfigFile)).unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------------------
// Loading

struct Located {
    file: ConfigFile,
    path: PathBuf,
    source: ConfigSource,
    read_from: Option<PathBuf>,
    migrated: Option<MigrationReport>,
}

fn read_config(path: &Path) -> Result<ConfigFile> {
    let (_, value, _) = format::read(path)?;
    ConfigFile::from_json(value, Origin(&path.display().to_string()))
}

fn locate(opts: &LoadOptions, home: &Path) -> Result<Located> {
    let env = &opts.env;
    if let Some(file) = &opts.runtime {
        return Ok(Located {
            file: file.clone(),
            path: default_config_path(env, Some(home)),
            source: ConfigSource::Runtime,
            read_from: None,
            migrated: None,
        });
    }
    let named = match (&opts.config_path, env.first(CONFIG_PATH_VARS)) {
        (Some(p), _) => Some((
            expand_path(&p.to_string_lossy(), home, None),
            ConfigSource::ExplicitPath,
        )),
        (None, Some((var, v))) => Some((
            expand_path(v, home, None),
            ConfigSource::EnvPath {
                var: var.to_string(),
            },
        )),
        (None, None) => None,
    };
    if let Some((path, source)) = named {
        if path.exists() {
            return Ok(Located {
                file: read_config(&path)?,
                read_from: Some(path.clone()),
                path,
                source,
                migrated: None,
            });
        }
        if opts.allow_missing_config {
            return Ok(Located {
                file: ConfigFile::default(),
                path,
                source,
                read_from: None,
                migrated: None,
            });
        }
        return Err(Error::config(format!(
            "config file {} (from {source}) does not exist; create it with `rsspot configure` or fix the path",
            path.display()
        )));
    }
    if let Some(path) = existing_default_config(env, home) {
        return Ok(Located {
            file: read_config(&path)?,
            read_from: Some(path.clone()),
            path,
            source: ConfigSource::DefaultPath,
            migrated: None,
        });
    }
    let target = default_config_path(env, Some(home));
    if let Some(report) = migrate_legacy_to(home, &target)? {
        return Ok(Located {
            file: read_config(&target)?,
            read_from: Some(target.clone()),
            path: target,
            source: ConfigSource::LegacyMigrated,
            migrated: Some(report),
        });
    }
    Ok(Located {
        file: ConfigFile::default(),
        path: target,
        source: ConfigSource::None,
        read_from: None,
        migrated: None,
    })
}

/// Picks the profile name: see the module docs for the order.
fn select_profile(opts: &LoadOptions, file: &ConfigFile, label: &str) -> Result<(String, String)> {
    let named = opts
        .profile
        .clone()
        .map(|p| (p, "--profile".to_string()))
        .or_else(|| {
            opts.env
                .first(PROFILE_VARS)
                .map(|(var, v)| (v.to_string(), format!("env {var}")))
        })
        .or_else(|| {
            file.active_profile
                .clone()
                .map(|p| (p, format!("active_profile in {label}")))
        })
        .or_else(|| {
            file.default_profile
                .clone()
                .map(|p| (p, format!("default_profile in {label}")))
        });
    if let Some((name, source)) = named {
        // An empty file with the conventional name is fine (env-only setups).
        let implicit_ok = file.profiles.is_empty() && name == "default";
        if !file.profiles.contains_key(&name) && !implicit_ok {
            let mut err = document::unknown_profile(&name, file, label).to_string();
            err.push_str(&format!(" (selected by {source})"));
            return Err(Error::config(err));
        }
        return Ok((name, source));
    }
    match file.profiles.len() {
        0 => Ok(("default".into(), "built-in default".into())),
        1 => Ok((
            file.profile_names().remove(0),
            format!("the only profile in {label}"),
        )),
        _ if file.profiles.contains_key("default") => {
            Ok(("default".into(), "built-in default".into()))
        }
        _ => Err(Error::config(format!(
            "{label} has several profiles ({}) and none is selected; pass --profile, set RSSPOT_PROFILE or run `rsspot profiles use NAME`",
            file.profile_names().join(", ")
        ))),
    }
}

/// A figment provider for one named source, so that figment's metadata is our provenance.
struct Layer {
    name: String,
    value: Value,
}

impl figment::Provider for Layer {
    fn metadata(&self) -> figment::Metadata {
        figment::Metadata::named(self.name.clone())
    }

    fn data(
        &self,
    ) -> std::result::Result<
        figment::value::Map<figment::Profile, figment::value::Dict>,
        figment::Error,
    > {
        figment::providers::Serialized::defaults(&self.value).data()
    }
}

/// `{"a": {"b": v}}` from `"a.b"`.
fn at(path: &str, v: Value) -> Value {
    path.rsplit('.').fold(v, |acc, k| {
        Value::Object(Map::from_iter([(k.to_string(), acc)]))
    })
}

/// Drops nulls and empty mappings (figment has no null).
fn prune(v: Value) -> Option<Value> {
    match v {
        Value::Null => None,
        Value::Object(m) => {
            let m: Map<String, Value> = m
                .into_iter()
                .filter_map(|(k, v)| prune(v).map(|v| (k, v)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        other => Some(other),
    }
}

/// The parts of `v` that differ from `base` (recursively for mappings).
fn changed(v: Value, base: Option<&Value>) -> Option<Value> {
    match (v, base) {
        (Value::Object(m), Some(Value::Object(b))) => {
            let m: Map<String, Value> = m
                .into_iter()
                .filter_map(|(k, v)| changed(v, b.get(&k)).map(|v| (k, v)))
                .collect();
            (!m.is_empty()).then_some(Value::Object(m))
        }
        (v, Some(b)) if v == *b => None,
        (v, _) => Some(v),
    }
}

fn defaults_layer() -> Value {
    serde_json::json!({
        "client_id": DEFAULT_CLIENT_ID,
        "base_url": DEFAULT_BASE_URL,
        "oauth_url": DEFAULT_OAUTH_URL,
        "public_data_url": DEFAULT_PUBLIC_DATA_URL,
        "request_timeout_seconds": DEFAULT_REQUEST_TIMEOUT_SECONDS,
        "verify_ssl": true,
        "retry": serde_json::to_value(RetryConfig::default()).unwrap_or(Value::Null),
        "cache": serde_json::to_value(CacheConfig::default()).unwrap_or(Value::Null),
        "token_cache": true,
        "history": serde_json::to_value(HistoryConfig::default()).unwrap_or(Value::Null),
    })
}

fn env_layers(env: &Env) -> Result<Vec<Layer>> {
    let mut out = Vec::new();
    let mut push = |var: &str, key: &str, v: Value| {
        out.push(Layer {
            name: format!("env {var}"),
            value: at(key, v),
        });
    };
    let bad = |var: &str, what: &str, got: &str| {
        Error::config(format!("env {var}: expected {what}, got '{got}'"))
    };
    for (vars, key) in [
        (ORG_VARS, "org"),
        (ORG_ID_VARS, "org_id"),
        (REGION_VARS, "region"),
        (CLIENT_ID_VARS, "client_id"),
        (ACCESS_TOKEN_VARS, "access_token"),
        (BASE_URL_VARS, "base_url"),
        (OAUTH_URL_VARS, "oauth_url"),
        (PUBLIC_DATA_URL_VARS, "public_data_url"),
    ] {
        if let Some((var, v)) = env.first(vars) {
            push(var, key, Value::String(v.to_string()));
        }
    }
    if let Some((var, v)) = env.first(REFRESH_TOKEN_VARS) {
        push(var, "refresh_token", Value::String(v.to_string()));
    } else if let Some((var, file)) = env.first(REFRESH_TOKEN_FILE_VARS) {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Error::config(format!("env {var}: cannot read {file}: {e}")))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(Error::config(format!("env {var}: {file} is empty")));
        }
        push(var, "refresh_token", Value::String(token.to_string()));
    }
    if let Some((var, v)) = env.first(TIMEOUT_VARS) {
        let secs: f64 = v
            .trim()
            .parse()
            .map_err(|_| bad(var, "a number of seconds", v))?;
        check_timeout(&format!("env {var}"), secs).map_err(Error::config)?;
        push(var, "request_timeout_seconds", secs.into());
    }
    if let Some((var, v)) = env.first(VERIFY_SSL_VARS) {
        let b = parse_bool(v).ok_or_else(|| bad(var, "true or false", v))?;
        push(var, "verify_ssl", Value::Bool(b));
    }
    if let Some((var, v)) = env.first(MAX_MONTHLY_VARS) {
        crate::pricing::money::parse_price_str(v)
            .ok_or_else(|| bad(var, "an amount in USD such as 500", v))?;
        push(var, "max_monthly_usd", Value::String(v.trim().to_string()));
    }
    if let Some((var, v)) = env.first(MAX_RETRIES_VARS) {
        let n: u32 = v
            .trim()
            .parse()
            .map_err(|_| bad(var, "a whole number of retries", v))?;
        push(var, "retry.max_attempts", n.saturating_add(1).into());
    }
    if let Some((var, v)) = env.first(BACKOFF_VARS) {
        let b: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|b: &f64| b.is_finite() && *b >= 0.0 && *b <= 3600.0)
            .ok_or_else(|| bad(var, "a non-negative number of seconds", v))?;
        push(
            var,
            "retry",
            serde_json::json!({"base_delay": b, "max_delay": f64::max(2.5, b * 16.0)}),
        );
    }
    for (vars, key) in [
        (NO_CACHE_VARS, "cache.enabled"),
        (NO_HISTORY_VARS, "history.enabled"),
        (NO_TOKEN_CACHE_VARS, "token_cache"),
    ] {
        if let Some((var, v)) = env.first(vars)
            && parse_bool(v).ok_or_else(|| bad(var, "true or false", v))?
        {
            push(var, key, Value::Bool(false));
        }
    }
    Ok(out)
}

fn overrides_layer(o: &Overrides) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("org", o.org.clone().map(Value::String));
    put("org_id", o.org_id.clone().map(Value::String));
    put("region", o.region.clone().map(Value::String));
    put(
        "refresh_token",
        o.refresh_token
            .as_ref()
            .map(|s| Value::String(s.expose_secret().to_string())),
    );
    put(
        "access_token",
        o.access_token
            .as_ref()
            .map(|s| Value::String(s.expose_secret().to_string())),
    );
    put("client_id", o.client_id.clone().map(Value::String));
    put("base_url", o.base_url.clone().map(Value::String));
    put("oauth_url", o.oauth_url.clone().map(Value::String));
    put(
        "public_data_url",
        o.public_data_url.clone().map(Value::String),
    );
    put(
        "request_timeout_seconds",
        o.request_timeout.map(|d| d.as_secs_f64().into()),
    );
    put("verify_ssl", o.verify_ssl.map(Value::Bool));
    put(
        "retry",
        o.retry.as_ref().and_then(|r| serde_json::to_value(r).ok()),
    );
    put(
        "cache",
        o.cache.as_ref().and_then(|c| serde_json::to_value(c).ok()),
    );
    put("token_cache", o.token_cache.map(Value::Bool));
    put(
        "history",
        o.history
            .as_ref()
            .and_then(|h| serde_json::to_value(h).ok()),
    );
    Value::Object(m)
}

/// Leaves of a merged document as (dotted key, value); arrays are leaves.
fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaves(&key, v, out);
            }
        }
        other => out.push((prefix.to_string(), other.clone())),
    }
}

fn display_value(key: &str, v: &Value) -> String {
    if matches!(key, "refresh_token" | "access_token") {
        return REDACTED.to_string();
    }
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Resolves the effective [`Settings`] (see the module docs for every precedence rule).
/// May migrate `~/.spot_config` (reported in [`Resolved::migrated`]).
pub fn load(opts: &LoadOptions) -> Result<Resolved> {
    let env = &opts.env;
    let home = home_dir(env, opts.home.as_deref());
    let located = locate(opts, &home)?;
    let label = match (&located.source, &located.read_from) {
        (ConfigSource::Runtime, _) => "runtime config".to_string(),
        (_, Some(p)) => p.display().to_string(),
        (_, None) => located.path.display().to_string(),
    };
    let (profile_name, profile_source) = select_profile(opts, &located.file, &label)?;
    let file = &located.file;
    let profile = file
        .profiles
        .get(&profile_name)
        .cloned()
        .unwrap_or_default();

    // Top-level blocks are stored complete (defaults filled in); only the values that differ
    // from the defaults are attributed to the file, so `config explain` shows what the user set.
    let defaults = defaults_layer();
    let mut top = Map::new();
    for (k, v) in [
        (
            "retry",
            file.retry
                .as_ref()
                .and_then(|r| serde_json::to_value(r).ok()),
        ),
        (
            "cache",
            file.cache
                .as_ref()
                .and_then(|c| serde_json::to_value(c).ok()),
        ),
        (
            "history",
            file.history
                .as_ref()
                .and_then(|h| serde_json::to_value(h).ok()),
        ),
        ("token_cache", file.token_cache.map(Value::Bool)),
    ] {
        if let Some(v) = v.and_then(|v| changed(v, defaults.get(k))) {
            top.insert(k.to_string(), v);
        }
    }
    let mut layers = vec![
        Layer {
            name: "default".into(),
            value: defaults,
        },
        Layer {
            name: label.clone(),
            value: Value::Object(top),
        },
        Layer {
            name: format!("profile '{profile_name}' in {label}"),
            value: profile.known_fields_json(),
        },
    ];
    layers.extend(env_layers(env)?);
    layers.push(Layer {
        name: "override".into(),
        value: overrides_layer(&opts.overrides),
    });

    let mut fig = Figment::new();
    for mut layer in layers {
        if let Some(v) = prune(std::mem::take(&mut layer.value)) {
            layer.value = v;
            fig = fig.merge(layer);
        }
    }
    let merged: Value = fig
        .extract()
        .map_err(|e| Error::config(format!("cannot combine configuration sources: {e}")))?;

    let settings = build_settings(&merged, &profile_name, &located, opts, &home)?;

    let mut provenance = vec![
        Provenance {
            key: "profile".into(),
            value: profile_name.clone(),
            source: profile_source,
        },
        Provenance {
            key: "config_path".into(),
            value: located.path.display().to_string(),
            source: located.source.to_string(),
        },
    ];
    let mut flat = Vec::new();
    leaves("", &merged, &mut flat);
    for (key, value) in flat {
        let source = fig
            .find_metadata(&key)
            .map(|m| m.name.to_string())
            .unwrap_or_else(|| "unknown".into());
        provenance.push(Provenance {
            value: display_value(&key, &value),
            key,
            source,
        });
    }
    provenance.push(Provenance {
        key: "state_path".into(),
        value: settings.state_path.display().to_string(),
        source: state_source(opts, file, &label),
    });

    Ok(Resolved {
        settings,
        file: located.file.clone(),
        path: located.path.clone(),
        source: located.source.clone(),
        migrated: located.migrated.clone(),
        provenance,
    })
}

fn state_source(opts: &LoadOptions, file: &ConfigFile, label: &str) -> String {
    if opts.overrides.state_path.is_some() {
        "override".into()
    } else if file.state_path.is_some() {
        format!("state_path in {label}")
    } else if let Some((var, _)) = opts.env.first(STATE_PATH_VARS) {
        format!("env {var}")
    } else {
        "default".into()
    }
}

fn build_settings(
    merged: &Value,
    profile: &str,
    located: &Located,
    opts: &LoadOptions,
    home: &Path,
) -> Result<Settings> {
    let origin_label = format!("effective settings for profile '{profile}'");
    let origin = Origin(&origin_label);
    let hint = |e: Error| {
        Error::config(format!(
            "{e} (run `rsspot config explain` to see which source sets each value)"
        ))
    };
    let s = |k: &str| merged.get(k).and_then(Value::as_str).map(str::to_string);
    let required = |k: &str| s(k).ok_or_else(|| origin.err(k, "missing"));
    let timeout = merged
        .get("request_timeout_seconds")
        .and_then(Value::as_f64)
        .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECONDS);
    check_timeout("request_timeout_seconds", timeout).map_err(|m| hint(origin.err("", m)))?;
    for k in ["base_url", "oauth_url", "public_data_url"] {
        check_url(k, &required(k)?).map_err(|m| hint(origin.err("", m)))?;
    }
    let retry = RetryConfig::from_json(
        merged.get("retry").cloned().unwrap_or(Value::Null),
        origin,
        "retry.",
    )
    .map_err(hint)?;
    let cache = CacheConfig::from_json(
        merged.get("cache").cloned().unwrap_or(Value::Null),
        origin,
        "cache.",
    )
    .map_err(hint)?;
    let history = HistoryConfig::from_json(
        merged.get("history").cloned().unwrap_or(Value::Null),
        origin,
        "history.",
    )?;

    let file_dir = located.read_from.as_deref().and_then(Path::parent);
    let state_path = if let Some(p) = &opts.overrides.state_path {
        expand_path(&p.to_string_lossy(), home, None)
    } else if let Some(p) = &located.file.state_path {
        expand_path(p, home, file_dir)
    } else if let Some((_, p)) = opts.env.first(STATE_PATH_VARS) {
        expand_path(p, home, None)
    } else {
        default_state_path(&opts.env, Some(home))
    };

    Ok(Settings {
        profile: profile.to_string(),
        org: s("org"),
        org_id: s("org_id"),
        region: s("region"),
        refresh_token: s("refresh_token").map(SecretString::from),
        access_token: s("access_token").map(SecretString::from),
        client_id: required("client_id")?,
        base_url: required("base_url")?,
        oauth_url: required("oauth_url")?,
        public_data_url: required("public_data_url")?,
        request_timeout: seconds(timeout),
        verify_ssl: merged
            .get("verify_ssl")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        max_monthly_usd: merged.get("max_monthly_usd").and_then(|v| match v {
            Value::Number(_) | Value::String(_) => crate::pricing::money::parse_price(v),
            _ => None,
        }),
        retry,
        cache,
        state_path,
        token_cache: merged
            .get("token_cache")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        history,
        config_path: located.read_from.clone(),
    })
}
