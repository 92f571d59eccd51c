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
//! 5. spotctl's `~/.spot_config` (then `~/.spotctl/config.yaml`), read in memory. Those files
//!    belong to spotctl and are never written; the CLI imports their settings into `config.yml`
//!    once ([`LoadOptions::import_legacy`], [`migrate_legacy`]).
//!
//! Loading has no side effects: no file is created, written or moved unless the caller sets
//! [`LoadOptions::import_legacy`]. Problems worth a word but not an error (plain-HTTP URLs,
//! `verify_ssl: false`, a token file others can read) are returned as data in
//! [`Resolved::warnings`]; the library never prints them.
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

mod checks;
pub(crate) mod derive;
mod document;
pub mod env;
mod fields;
mod format;
mod kinds;
mod layers;
mod migrate;
mod policy;
mod process_env;
mod resolve;
mod rotate;
mod schema;
mod secret;
pub(crate) mod settings;
mod warnings;

use std::fmt;
use std::path::{Path, PathBuf};

pub use document::ConfigDocument;
pub use env::Env;
pub use format::Format;
pub use kinds::{Flag, Seconds, SettingDef, SettingKind, Text, Token, Url, Usd};
pub use migrate::{
    MigrationReport, find_legacy, legacy_config_path, legacy_config_paths, migrate_legacy,
    migrate_legacy_to,
};
pub use resolve::load;
pub(crate) use rotate::ConfigTokenStore;
pub use rotate::{RefreshTokenOrigin, TokenStore, store_rotated_refresh_token};
pub use schema::{
    CacheBackend, CacheConfig, CachePatch, ConfigFile, DEFAULT_TTLS, HistoryConfig, HistoryPatch,
    RetryConfig, RetryPatch, SCHEMA_VERSION,
};
pub use secret::Secret;
pub use settings::{Overrides, Profile, ProfilePatch, SETTINGS, Settings};
pub use warnings::ConfigWarning;

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

/// Inputs of [`load`].
///
/// The environment is explicit: [`LoadOptions::default`] reads the process environment
/// ([`Env::process`]), so `RSSPOT_*` variables apply as they do for the CLI; a test or an
/// embedding program passes its own ([`Env::from_pairs`], or [`Env::empty`] for none) and
/// never needs to change the process environment.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// `--config`: read this file instead of searching.
    pub config_path: Option<PathBuf>,
    /// `--profile`.
    pub profile: Option<String>,
    /// CLI flags / builder values.
    pub overrides: Overrides,
    /// A config given in code; no file is read.
    pub runtime: Option<ConfigFile>,
    /// The environment to read: [`Env::process`] by default, [`Env::from_pairs`] in tests.
    pub env: Env,
    /// Home directory override (tests); default `$HOME`.
    pub home: Option<PathBuf>,
    /// Accept a missing explicit/env-named config file as empty (for `rsspot configure`).
    pub allow_missing_config: bool,
    /// When rsspot has no config file yet and spotctl's exists, import spotctl's settings into
    /// a new rsspot config file (the CLI's first run). Off by default: loading then writes
    /// nothing and reads spotctl's file in memory. spotctl's file is never written either way.
    pub import_legacy: bool,
}

impl Default for LoadOptions {
    /// No file named, no profile chosen, no overrides, the process environment.
    fn default() -> Self {
        LoadOptions {
            config_path: None,
            profile: None,
            overrides: Overrides::default(),
            runtime: None,
            env: Env::process(),
            home: None,
            allow_missing_config: false,
            import_legacy: false,
        }
    }
}

impl LoadOptions {
    /// Options that read `env` instead of the process environment.
    pub fn with_env(env: Env) -> Self {
        LoadOptions {
            env,
            ..Default::default()
        }
    }
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
    /// spotctl's config was imported into rsspot's config file during this load.
    LegacyMigrated,
    /// spotctl's config file, read in memory (rsspot has no config file of its own).
    Legacy {
        /// `~/.spot_config` or `~/.spotctl/config.yaml`.
        path: PathBuf,
    },
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
            ConfigSource::LegacyMigrated => f.write_str("imported from spotctl's config"),
            ConfigSource::Legacy { path } => write!(f, "spotctl's {} (read only)", path.display()),
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
    /// Set when this load imported spotctl's config; the CLI prints it on stderr.
    pub migrated: Option<MigrationReport>,
    /// Things worth a warning (see [`ConfigWarning`]); the CLI prints one line each on stderr.
    pub warnings: Vec<ConfigWarning>,
    /// One entry per effective value, for `rsspot config explain`.
    pub provenance: Vec<Provenance>,
}

impl Resolved {
    /// Settings that work but deserve a warning: plain-HTTP URLs to non-loopback hosts,
    /// `verify_ssl: false`, a config file holding a token that others can read.
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

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
/// Needs the `schema` feature (part of `cli`).
#[cfg(feature = "schema")]
pub fn json_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(ConfigFile)).unwrap_or(serde_json::Value::Null)
}
