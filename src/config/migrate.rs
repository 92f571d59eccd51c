//! Lossless migration of the legacy `~/.spot_config` (spotctl's flat YAML, or the profiles form).
//!
//! Steps, in this order so that a failure part-way never loses data: parse the legacy file
//! (nothing is written if it does not parse) → write a 0600 backup
//! `~/.spot_config.rsspot-backup` → write or merge into the new config file (real secrets,
//! 0600) → replace the legacy file with a short note saying where it went. Running it again
//! finds the note and does nothing. An existing new file is never overwritten: profiles it does
//! not have are added, identical ones are left alone, and a profile that differs is a conflict
//! that stops the migration before anything is written.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::document::ConfigDocument;
use super::env::Env;
use super::fields::Origin;
use super::format;
use super::schema::{ConfigFile, SCHEMA_VERSION};
use crate::error::{Error, Result};

/// First line of the note left in place of a migrated legacy file.
pub(crate) const NOTE_MARKER: &str = "# rsspot migrated this file";

/// What a migration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The legacy file (now a note).
    pub legacy_path: PathBuf,
    /// The config file written or merged into.
    pub target_path: PathBuf,
    /// The 0600 copy of the original legacy file.
    pub backup_path: PathBuf,
    /// Profiles that were added to the target.
    pub profiles_added: Vec<String>,
    /// Profiles the target already had with identical settings.
    pub profiles_unchanged: Vec<String>,
    /// Whether the target existed before (merge) or was created.
    pub merged_into_existing: bool,
}

impl fmt::Display for MigrationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "migrated {} to {} ({}); the original is kept at {}",
            self.legacy_path.display(),
            self.target_path.display(),
            if self.profiles_added.is_empty() {
                "no new profiles".to_string()
            } else {
                format!("profiles: {}", self.profiles_added.join(", "))
            },
            self.backup_path.display()
        )
    }
}

/// The legacy file location, `~/.spot_config`.
pub fn legacy_config_path(home: &Path) -> PathBuf {
    home.join(".spot_config")
}

/// Whether `path` holds a legacy config that has not been migrated yet.
pub(crate) fn is_pending(path: &Path) -> bool {
    match std::fs::read_to_string(path) {
        Ok(text) => !text.starts_with(NOTE_MARKER) && !text.trim().is_empty(),
        // Unreadable (e.g. not UTF-8): let the migration report the problem.
        Err(_) => path.is_file(),
    }
}

/// Migrates `~/.spot_config` into `target` (created, or merged into when it exists).
/// Returns `None` when there is nothing to migrate (no legacy file, or already migrated).
pub fn migrate_legacy_to(home: &Path, target: &Path) -> Result<Option<MigrationReport>> {
    let legacy = legacy_config_path(home);
    if !legacy.exists() || !is_pending(&legacy) {
        return Ok(None);
    }
    let (_, value, original) = format::read(&legacy)?;
    let origin = legacy.display().to_string();
    let migrated = legacy_to_config(value, Origin(&origin))?;

    let mut doc = ConfigDocument::open(target)?;
    let merged_into_existing = doc.exists();
    let (added, unchanged) = merge(&mut doc, migrated, &legacy)?;

    let backup = backup_path(&legacy, &original);
    crate::fsutil::write_private(&backup, original.as_bytes())?;
    // An untouched existing file is written back byte for byte.
    doc.save()?;
    let note = format!(
        "{NOTE_MARKER} to {target}.\n# The original is kept (mode 0600) at {backup}.\n\
         # This file is no longer read; edit {target} or run `rsspot configure`.\n",
        target = target.display(),
        backup = backup.display()
    );
    crate::fsutil::write_private(&legacy, note.as_bytes())?;
    Ok(Some(MigrationReport {
        legacy_path: legacy,
        target_path: target.to_path_buf(),
        backup_path: backup,
        profiles_added: added,
        profiles_unchanged: unchanged,
        merged_into_existing,
    }))
}

/// Migrates `~/.spot_config` into the default config file: the first existing
/// `$XDG_CONFIG_HOME/rsspot/config.{yml,yaml,toml,json}`, else a new `config.yml`.
pub fn migrate_legacy(env: &Env, home: Option<&Path>) -> Result<Option<MigrationReport>> {
    let home = super::home_dir(env, home);
    let target = super::existing_default_config(env, &home)
        .unwrap_or_else(|| super::default_config_path(env, Some(&home)));
    migrate_legacy_to(&home, &target)
}

/// Converts either legacy shape into a v2 [`ConfigFile`] without dropping keys.
fn legacy_to_config(value: Value, origin: Origin<'_>) -> Result<ConfigFile> {
    let Value::Object(map) = value else {
        return Err(origin.err("", "the top level must be a mapping of keys to values"));
    };
    if map.contains_key("profiles") {
        let mut cfg = ConfigFile::from_json(Value::Object(map), origin)?;
        cfg.version = SCHEMA_VERSION.to_string();
        return Ok(cfg);
    }
    // Flat form: account keys (and unknown ones: they were per-account too) form one profile.
    let mut root = Map::new();
    let mut profile = Map::new();
    for (k, v) in map {
        let root_key = matches!(
            k.as_str(),
            "version"
                | "default_profile"
                | "defaultProfile"
                | "active_profile"
                | "activeProfile"
                | "state_path"
                | "statePath"
                | "preferences"
                | "token_cache"
                | "tokenCache"
                | "history"
        );
        if root_key {
            root.insert(k, v);
        } else {
            profile.insert(k, v);
        }
    }
    let name = [
        "active_profile",
        "activeProfile",
        "default_profile",
        "defaultProfile",
    ]
    .iter()
    .find_map(|k| root.get(*k).and_then(Value::as_str).map(str::to_string))
    .unwrap_or_else(|| "default".to_string());
    root.insert(
        "profiles".into(),
        Value::Object(Map::from_iter([(name.clone(), Value::Object(profile))])),
    );
    let mut cfg = ConfigFile::from_json(Value::Object(root), origin)?;
    cfg.version = SCHEMA_VERSION.to_string();
    if cfg.active_profile.is_none() {
        cfg.active_profile = Some(name);
    }
    Ok(cfg)
}

/// Merges `migrated` into `doc`; refuses (before anything is written) on a real conflict.
fn merge(
    doc: &mut ConfigDocument,
    migrated: ConfigFile,
    legacy: &Path,
) -> Result<(Vec<String>, Vec<String>)> {
    if !doc.exists() {
        let names = migrated.profile_names();
        *doc.file_mut() = migrated;
        return Ok((names, Vec::new()));
    }
    let existing = doc.file().clone();
    let mut conflicts = Vec::new();
    let mut added = Vec::new();
    let mut unchanged = Vec::new();
    for (name, profile) in &migrated.profiles {
        match existing.profiles.get(name) {
            None => added.push(name.clone()),
            Some(p) if p == profile => unchanged.push(name.clone()),
            Some(p) => conflicts.push(format!(
                "profile '{name}' ({})",
                differing_fields(p, profile).join(", ")
            )),
        }
    }
    for (key, value) in &migrated.extra {
        if existing.extra.get(key).is_some_and(|v| v != value) {
            conflicts.push(format!("top-level key '{key}'"));
        }
    }
    if matches!((&existing.retry, &migrated.retry), (Some(a), Some(b)) if a != b) {
        conflicts.push("top-level 'retry'".into());
    }
    if matches!((&existing.cache, &migrated.cache), (Some(a), Some(b)) if a != b) {
        conflicts.push("top-level 'cache'".into());
    }
    if !conflicts.is_empty() {
        return Err(Error::config(format!(
            "cannot migrate {} into {}: both define {} with different values; nothing was changed. \
             Copy what you need by hand, then delete or empty {}",
            legacy.display(),
            doc.path().display(),
            conflicts.join("; "),
            legacy.display()
        )));
    }
    if added.is_empty()
        && migrated
            .extra
            .keys()
            .all(|k| existing.extra.contains_key(k))
    {
        return Ok((added, unchanged));
    }
    let file = doc.file_mut();
    for name in &added {
        if let Some(p) = migrated.profiles.get(name) {
            file.profiles.insert(name.clone(), p.clone());
        }
    }
    for (key, value) in migrated.extra {
        file.extra.entry(key).or_insert(value);
    }
    if file.retry.is_none() {
        file.retry = migrated.retry;
    }
    if file.cache.is_none() {
        file.cache = migrated.cache;
    }
    if file.active_profile.is_none() && file.default_profile.is_none() {
        file.active_profile = migrated.active_profile;
    }
    Ok((added, unchanged))
}

/// Names (never values) of the fields that differ between two profiles.
fn differing_fields(a: &super::Profile, b: &super::Profile) -> Vec<String> {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) =
        (serde_json::to_value(a), serde_json::to_value(b))
    else {
        return vec!["settings".into()];
    };
    let mut keys: Vec<String> = a
        .keys()
        .chain(b.keys())
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

/// `~/.spot_config.rsspot-backup`, or a numbered variant when that name holds something else.
fn backup_path(legacy: &Path, contents: &str) -> PathBuf {
    let base = legacy.with_file_name(format!(
        "{}.rsspot-backup",
        legacy
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(".spot_config")
    ));
    let mut candidate = base.clone();
    for n in 1.. {
        match std::fs::read_to_string(&candidate) {
            Ok(existing) if existing == contents => return candidate,
            Ok(_) => {}
            Err(_) if !candidate.exists() => return candidate,
            Err(_) => {}
        }
        candidate = PathBuf::from(format!("{}.{n}", base.display()));
    }
    base
}
