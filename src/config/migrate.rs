//! Importing spotctl's config (`~/.spot_config`, or `~/.spotctl/config.yaml` of newer spotctl
//! versions) into rsspot's own config file.
//!
//! spotctl's files belong to spotctl and stay byte-identical: they are read, never written,
//! renamed or annotated. [`super::load`] reads them in memory when rsspot has no config of its
//! own (no side effects); the CLI imports them once (`LoadOptions::import_legacy`, `rsspot config
//! migrate`), which writes only rsspot's file. Each imported profile records where it came from
//! (`imported_from: ~/.spot_config`). The import runs under the target's lock, so two first runs
//! at once import once. An existing target is never overwritten: profiles it does not have are
//! added, identical ones are left alone, and a profile that differs is a conflict that stops the
//! import before anything is written.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::document::ConfigDocument;
use super::env::Env;
use super::fields::Origin;
use super::format;
use super::schema::{ConfigFile, SCHEMA_VERSION};
use super::settings::Profile;
use crate::error::{Error, Result};

/// First line of the note that rsspot versions before 0.2 left in place of a migrated
/// `~/.spot_config`; such a file holds no settings.
pub(crate) const NOTE_MARKER: &str = "# rsspot migrated this file";

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationReport {
    /// The spotctl file that was read (and left as it was).
    pub legacy_path: PathBuf,
    /// rsspot's config file that was written or merged into.
    pub target_path: PathBuf,
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
            "imported {} into {} ({}); {} itself was not changed",
            self.legacy_path.display(),
            self.target_path.display(),
            if self.profiles_added.is_empty() {
                "no new profiles".to_string()
            } else {
                format!("profiles: {}", self.profiles_added.join(", "))
            },
            self.legacy_path.display()
        )
    }
}

/// spotctl's older config file, `~/.spot_config`.
pub fn legacy_config_path(home: &Path) -> PathBuf {
    home.join(".spot_config")
}

/// spotctl's config files, in the order they are considered: `~/.spot_config`, then
/// `~/.spotctl/config.yaml`.
pub fn legacy_config_paths(home: &Path) -> [PathBuf; 2] {
    [
        legacy_config_path(home),
        home.join(".spotctl").join("config.yaml"),
    ]
}

/// Whether `path` holds settings (not missing, not empty, not an old rsspot note).
pub(crate) fn is_pending(path: &Path) -> bool {
    match crate::fsutil::read_bounded_text(path, crate::fsutil::DOCUMENT_MAX, "a spotctl config") {
        Ok(text) => !text.starts_with(NOTE_MARKER) && !text.trim().is_empty(),
        // Unreadable (e.g. not UTF-8): let the import report the problem.
        Err(_) => path.is_file(),
    }
}

/// The first spotctl config file in [`legacy_config_paths`] that holds settings.
pub fn find_legacy(home: &Path) -> Option<PathBuf> {
    legacy_config_paths(home)
        .into_iter()
        .find(|p| p.is_file() && is_pending(p))
}

/// `~/…` for a path under `home`, else the full path (what `imported_from` records).
fn display_home_relative(path: &Path, home: &Path) -> String {
    match path.strip_prefix(home) {
        Ok(rest) => format!("~/{}", rest.display()),
        Err(_) => path.display().to_string(),
    }
}

/// Reads a spotctl config file into a v2 [`ConfigFile`] in memory, profiles marked with
/// `imported_from`. Reads only.
pub(crate) fn read_legacy(legacy: &Path, home: &Path) -> Result<ConfigFile> {
    let (_, value, _) = format::read(legacy)?;
    let origin = legacy.display().to_string();
    let mut cfg = legacy_to_config(value, Origin(&origin))?;
    let from = display_home_relative(legacy, home);
    for p in cfg.profiles.values_mut() {
        p.imported_from.get_or_insert_with(|| from.clone());
    }
    Ok(cfg)
}

/// Imports spotctl's config into `target` (created, or merged into when it exists), under the
/// target's lock. Returns `None` when there is nothing to import. The spotctl file is only read.
pub fn migrate_legacy_to(home: &Path, target: &Path) -> Result<Option<MigrationReport>> {
    let Some(legacy) = find_legacy(home) else {
        return Ok(None);
    };
    let migrated = read_legacy(&legacy, home)?;
    let (report, _) = ConfigDocument::update(target, |doc| {
        let merged_into_existing = doc.exists();
        let (added, unchanged) = merge(doc, migrated, &legacy)?;
        Ok(MigrationReport {
            legacy_path: legacy.clone(),
            target_path: target.to_path_buf(),
            profiles_added: added,
            profiles_unchanged: unchanged,
            merged_into_existing,
        })
    })?;
    Ok(Some(report))
}

/// Imports spotctl's config only when `target` does not exist yet (the CLI's first run). Under
/// the lock, so when two processes start at once the second finds the file and does nothing.
pub(crate) fn import_if_absent(home: &Path, target: &Path) -> Result<Option<MigrationReport>> {
    let Some(legacy) = find_legacy(home) else {
        return Ok(None);
    };
    let migrated = read_legacy(&legacy, home)?;
    let (report, _) = ConfigDocument::update(target, |doc| {
        if doc.exists() {
            return Ok(None);
        }
        let (added, unchanged) = merge(doc, migrated, &legacy)?;
        Ok(Some(MigrationReport {
            legacy_path: legacy.clone(),
            target_path: target.to_path_buf(),
            profiles_added: added,
            profiles_unchanged: unchanged,
            merged_into_existing: false,
        }))
    })?;
    Ok(report)
}

/// Imports spotctl's config into the default config file: the first existing
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
            Some(p) if same_settings(p, profile) => unchanged.push(name.clone()),
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
            "cannot import {} into {}: both define {} with different values; nothing was changed. \
             Copy what you need into {} by hand (rsspot never edits {})",
            legacy.display(),
            doc.path().display(),
            conflicts.join("; "),
            doc.path().display(),
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
fn differing_fields(a: &Profile, b: &Profile) -> Vec<String> {
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

/// Whether two profiles hold the same settings (where each was imported from does not count).
fn same_settings(a: &Profile, b: &Profile) -> bool {
    let strip = |p: &Profile| Profile {
        imported_from: None,
        ..p.clone()
    };
    strip(a) == strip(b)
}
