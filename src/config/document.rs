//! [`ConfigDocument`]: the editing API behind `rsspot configure`, `profiles …` and `config …`.
//!
//! A document is one config file on disk in its own format. Edits are field by field (never a
//! whole-profile replace, PRIOR-ART 9 item 4), secrets are written for real (items 1-2), and
//! `save` is atomic with mode 0600. Saving a document that was not edited writes back the
//! original bytes, so comments and layout of a hand-written file survive a no-op save.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde_json::{Map, Value};

use super::fields::{Origin, canonical, redact};
use super::format::{self, Format};
use super::schema::ConfigFile;
use super::secret::Secret;
use super::settings::Profile;
use super::settings::{PROFILE_SPEC, ProfilePatch, SETTINGS};
use crate::error::{Error, Result};

/// One config file opened for editing.
pub struct ConfigDocument {
    path: PathBuf,
    format: Format,
    file: ConfigFile,
    original: Option<String>,
    dirty: bool,
    edited: bool,
}

impl fmt::Debug for ConfigDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the original text: it holds tokens.
        f.debug_struct("ConfigDocument")
            .field("path", &self.path)
            .field("format", &self.format)
            .field("file", &self.file)
            .field("dirty", &self.dirty)
            .field("edited", &self.edited)
            .finish()
    }
}

/// Keys of the `retry` and `cache` blocks a profile accepts in
/// [`ConfigDocument::set_profile_field`], after the declared settings.
const SETTABLE_BLOCKS: &str = "retry.max_attempts, retry.base_delay, retry.max_delay, retry.jitter, \
retry.retry_statuses, cache.enabled, cache.default_ttl, cache.max_entries, cache.backend, cache.ttl.<class>";

/// Every key [`ConfigDocument::set_profile_field`] accepts, for error messages.
fn settable() -> String {
    let keys: Vec<&str> = SETTINGS.iter().map(|d| d.key).collect();
    format!("{}, {SETTABLE_BLOCKS}", keys.join(", "))
}

impl ConfigDocument {
    /// Opens `path`; a missing file is an empty document that `save` will create. The format
    /// follows the extension (YAML for a new file without a known one).
    pub fn open(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(ConfigDocument {
                path: path.to_path_buf(),
                format: Format::from_extension(path).unwrap_or(Format::Yaml),
                file: ConfigFile::default(),
                original: None,
                dirty: true,
                edited: false,
            });
        }
        let (format, value, text) = format::read(path)?;
        let origin = path.display().to_string();
        let file = ConfigFile::from_json(value, Origin(&origin))?;
        Ok(ConfigDocument {
            path: path.to_path_buf(),
            format,
            file,
            original: Some(text),
            dirty: false,
            edited: false,
        })
    }

    /// Opens `path` under its lock (`<path>.lock`), lets `edit` change the document, and saves
    /// it (atomically, 0600, through a symbolic link) when `edit` changed anything, all before
    /// the lock is released: concurrent read-modify-write cycles of rsspot processes never lose
    /// each other's changes. Nothing is written when `edit` fails.
    pub fn update<T>(
        path: &Path,
        edit: impl FnOnce(&mut ConfigDocument) -> Result<T>,
    ) -> Result<(T, ConfigDocument)> {
        let _lock = crate::fsutil::FileLock::for_file(path)?;
        let mut doc = ConfigDocument::open(path)?;
        let out = edit(&mut doc)?;
        if doc.edited {
            doc.save()?;
        }
        Ok((out, doc))
    }

    /// The parsed file.
    pub fn file(&self) -> &ConfigFile {
        &self.file
    }

    /// Where the document is saved.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file format (from the extension, or detected).
    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the document exists on disk.
    pub fn exists(&self) -> bool {
        self.original.is_some()
    }

    /// Profile names, sorted.
    pub fn profile_names(&self) -> Vec<String> {
        self.file.profile_names()
    }

    /// One profile, if it exists.
    pub fn profile(&self, name: &str) -> Option<&Profile> {
        self.file.profiles.get(name)
    }

    /// Sets (`Some`) or removes (`None`) one field of `profile`, creating the profile if needed.
    /// `key` is a profile field (aliases accepted) or `retry.X` / `cache.X` / `cache.ttl.CLASS`;
    /// the value is parsed to the field's type, so `set_profile_field("p", "verify_ssl",
    /// Some("false"))` stores a boolean.
    pub fn set_profile_field(
        &mut self,
        profile: &str,
        key: &str,
        value: Option<String>,
    ) -> Result<()> {
        check_profile_name(profile)?;
        let (head, rest) = match key.split_once('.') {
            Some((h, r)) => (h, Some(r)),
            None => (key, None),
        };
        let field = canonical(PROFILE_SPEC, head).ok_or_else(|| {
            Error::invalid(
                key,
                format!("unknown profile setting; expected one of: {}", settable()),
            )
        })?;
        let existing = self.file.profiles.get(profile).cloned().unwrap_or_default();
        let mut json = match serde_json::to_value(&existing) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let typed = match &value {
            Some(raw) => Some(typed_value(field, rest, raw, key)?),
            None => None,
        };
        match (field, rest) {
            ("retry" | "cache", Some(sub)) => {
                let section = json
                    .entry(field.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !section.is_object() {
                    *section = Value::Object(Map::new());
                }
                let (sub_key, ttl_class) = match sub.split_once('.') {
                    Some(("ttl", class)) if field == "cache" => ("ttl", Some(class)),
                    _ => (sub, None),
                };
                if let Value::Object(section) = section {
                    match ttl_class {
                        Some(class) => {
                            let ttl = section
                                .entry("ttl".to_string())
                                .or_insert_with(|| Value::Object(Map::new()));
                            if let Value::Object(ttl) = ttl {
                                set_or_remove(ttl, class, typed);
                                if ttl.is_empty() {
                                    section.remove("ttl");
                                }
                            }
                        }
                        None => set_or_remove(section, sub_key, typed),
                    }
                    if section.is_empty() {
                        json.remove(field);
                    }
                }
            }
            ("retry" | "cache", None) => {
                return Err(Error::invalid(
                    key,
                    format!(
                        "name one {field} field, e.g. {field}.{}",
                        if field == "retry" {
                            "max_attempts"
                        } else {
                            "enabled"
                        }
                    ),
                ));
            }
            (_, Some(_)) => {
                return Err(Error::invalid(
                    key,
                    format!("unknown profile setting; expected one of: {}", settable()),
                ));
            }
            (_, None) => set_or_remove(&mut json, field, typed),
        }
        let prefix = format!("profiles.{profile}.");
        let parsed = Profile::from_json(
            Value::Object(json),
            Origin(&self.path.display().to_string()),
            &prefix,
        )?;
        self.file.profiles.insert(profile.to_string(), parsed);
        self.mark_edited();
        Ok(())
    }

    /// Creates `name` or updates it field by field with what `patch` sets; fields the patch
    /// leaves `None` (including an existing refresh token) are kept. When no profile is
    /// selected yet (`active_profile` and `default_profile` unset), `name` becomes active.
    pub fn upsert_profile(&mut self, name: &str, patch: ProfilePatch) -> Result<()> {
        check_profile_name(name)?;
        let mut p = self.file.profiles.get(name).cloned().unwrap_or_default();
        p.apply_patch(patch);
        let prefix = format!("profiles.{name}.");
        let origin = self.path.display().to_string();
        p.check(&prefix).map_err(|m| Origin(&origin).err("", m))?;
        if let Some(r) = &p.retry {
            r.check(&format!("{prefix}retry."))
                .map_err(|m| Origin(&origin).err("", m))?;
        }
        if let Some(c) = &p.cache {
            c.check(&format!("{prefix}cache."))
                .map_err(|m| Origin(&origin).err("", m))?;
        }
        self.file.profiles.insert(name.to_string(), p);
        if self.file.active_profile.is_none() && self.file.default_profile.is_none() {
            self.file.active_profile = Some(name.to_string());
        }
        self.mark_edited();
        Ok(())
    }

    /// Sets the refresh token of an existing profile, leaving every other field as it is.
    pub fn replace_refresh_token(&mut self, name: &str, token: &SecretString) -> Result<()> {
        self.require(name)?;
        if let Some(p) = self.file.profiles.get_mut(name) {
            p.refresh_token = Some(Secret::from(token));
        }
        self.mark_edited();
        Ok(())
    }

    /// Makes `name` the active profile (`active_profile`).
    pub fn use_profile(&mut self, name: &str) -> Result<()> {
        self.require(name)?;
        self.file.active_profile = Some(name.to_string());
        self.mark_edited();
        Ok(())
    }

    /// Removes `name` and returns it. A selection pointing at it (`active_profile`,
    /// `default_profile`) is cleared rather than moved to another account silently.
    pub fn delete_profile(&mut self, name: &str) -> Result<Profile> {
        self.require(name)?;
        let removed = self.file.profiles.remove(name).unwrap_or_default();
        for slot in [
            &mut self.file.active_profile,
            &mut self.file.default_profile,
        ] {
            if slot.as_deref() == Some(name) {
                *slot = None;
            }
        }
        self.mark_edited();
        Ok(removed)
    }

    /// Renames `from` to `to`, updating `active_profile`/`default_profile` and per-profile
    /// entries in `preferences` (`profile_orgs`, `profile_regions`).
    pub fn rename_profile(&mut self, from: &str, to: &str) -> Result<()> {
        self.require(from)?;
        check_profile_name(to)?;
        if from == to {
            return Ok(());
        }
        if self.file.profiles.contains_key(to) {
            return Err(Error::config(format!(
                "profile '{to}' already exists in {}; delete it first or pick another name",
                self.path.display()
            )));
        }
        if let Some(p) = self.file.profiles.remove(from) {
            self.file.profiles.insert(to.to_string(), p);
        }
        for slot in [
            &mut self.file.active_profile,
            &mut self.file.default_profile,
        ] {
            if slot.as_deref() == Some(from) {
                *slot = Some(to.to_string());
            }
        }
        for (_, pref) in self.file.preferences.iter_mut() {
            if let Value::Object(map) = pref
                && let Some(v) = map.shift_remove(from)
            {
                map.insert(to.to_string(), v);
            }
        }
        self.mark_edited();
        Ok(())
    }

    /// The file as JSON with every secret replaced by `"<redacted>"`: the two token fields and
    /// any unknown key whose name looks secret (token, secret, password, key, …).
    pub fn redacted_view(&self) -> Value {
        let mut v = serde_json::to_value(&self.file).unwrap_or(Value::Null);
        redact(&mut v);
        v
    }

    /// Writes the document atomically with mode 0600, in its own format. An unedited document
    /// is written back byte for byte. Prefer [`ConfigDocument::update`] when another process
    /// may edit the file at the same time: `save` alone does not lock.
    pub fn save(&self) -> Result<()> {
        let text = match (&self.original, self.dirty) {
            (Some(original), false) => original.clone(),
            _ => self.render()?,
        };
        crate::fsutil::write_private(&self.path, text.as_bytes())
    }

    /// The text `save` writes. TOML keeps the comments and layout of the file as read (values
    /// that changed are replaced in place); YAML and JSON are rendered canonically, so comments
    /// in those formats do not survive an edit, except a YAML file's leading comment lines.
    pub fn render(&self) -> Result<String> {
        let value = serde_json::to_value(&self.file).map_err(|e| {
            Error::config(format!("{}: cannot serialize: {e}", self.path.display()))
        })?;
        match (&self.original, self.format) {
            (Some(original), Format::Toml) => {
                format::render_toml_over(original, &value, &self.path)
            }
            // The comment lines a YAML file starts with (a `$schema` modeline) stay on top.
            (Some(original), Format::Yaml) => {
                let head: String = original
                    .lines()
                    .take_while(|l| l.trim_start().starts_with('#'))
                    .map(|l| format!("{l}\n"))
                    .collect();
                Ok(head + &self.format.render(&value, &self.path)?)
            }
            _ => self.format.render(&value, &self.path),
        }
    }

    fn mark_edited(&mut self) {
        self.dirty = true;
        self.edited = true;
    }

    pub(crate) fn file_mut(&mut self) -> &mut ConfigFile {
        self.mark_edited();
        &mut self.file
    }

    fn require(&self, name: &str) -> Result<()> {
        if self.file.profiles.contains_key(name) {
            return Ok(());
        }
        Err(unknown_profile(
            name,
            &self.file,
            &self.path.display().to_string(),
        ))
    }
}

/// The error for a profile name that is not in the file, listing the known ones.
pub(crate) fn unknown_profile(name: &str, file: &ConfigFile, origin: &str) -> Error {
    Error::ProfileNotFound {
        profile: name.to_string(),
        known: file.profile_names(),
        origin: origin.to_string(),
        selected_by: None,
    }
}

fn check_profile_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '@' | '+'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            "profile",
            format!(
                "'{name}' is not a valid profile name; use 1-64 letters, digits, '-', '_', '@' or '+'"
            ),
        ))
    }
}

fn set_or_remove(map: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            map.insert(key.to_string(), v);
        }
        None => {
            map.shift_remove(key);
        }
    }
}

/// Parses a command-line string into the JSON type of `field[.sub]`.
fn typed_value(field: &str, sub: Option<&str>, raw: &str, key: &str) -> Result<Value> {
    let number = || -> Result<Value> {
        raw.trim()
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .ok_or_else(|| Error::invalid(key, format!("expected a number, got '{raw}'")))
    };
    let integer = || -> Result<Value> {
        raw.trim()
            .parse::<u32>()
            .map(|n| Value::Number(n.into()))
            .map_err(|_| Error::invalid(key, format!("expected a whole number, got '{raw}'")))
    };
    let boolean = || -> Result<Value> {
        super::checks::parse_bool(raw)
            .map(Value::Bool)
            .ok_or_else(|| Error::invalid(key, format!("expected true or false, got '{raw}'")))
    };
    if sub.is_none()
        && let Some(def) = SETTINGS.iter().find(|d| d.key == field)
    {
        return (def.parse)(raw)
            .ok_or_else(|| Error::invalid(key, format!("expected {}, got '{raw}'", def.what)));
    }
    match (field, sub) {
        ("retry", Some("max_attempts")) | ("cache", Some("max_entries")) => integer(),
        ("retry", Some("base_delay" | "max_delay" | "jitter")) | ("cache", Some("default_ttl")) => {
            number()
        }
        ("cache", Some(s)) if s.starts_with("ttl.") => number(),
        ("retry", Some("retry_statuses")) => raw
            .split(',')
            .map(|s| {
                s.trim()
                    .parse::<u16>()
                    .map(|n| Value::Number(n.into()))
                    .map_err(|_| {
                        Error::invalid(
                            key,
                            format!("expected comma-separated HTTP statuses, got '{raw}'"),
                        )
                    })
            })
            .collect::<Result<Vec<_>>>()
            .map(Value::Array),
        ("cache", Some("enabled")) => boolean(),
        ("cache", Some("backend")) => Ok(Value::String(raw.trim().to_ascii_lowercase())),
        ("retry" | "cache", Some(_)) => Err(Error::invalid(
            key,
            format!("unknown setting; expected one of: {}", settable()),
        )),
        _ => Ok(Value::String(raw.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_field_parses_types_and_removes() {
        let dir = tempfile::tempdir().unwrap();
        let mut doc = ConfigDocument::open(&dir.path().join("c.yml")).unwrap();
        doc.set_profile_field("p", "verifySsl", Some("false".into()))
            .unwrap();
        doc.set_profile_field("p", "retry.max_attempts", Some("7".into()))
            .unwrap();
        doc.set_profile_field("p", "cache.ttl.pricing", Some("60".into()))
            .unwrap();
        doc.set_profile_field("p", "retry.retry_statuses", Some("429, 503".into()))
            .unwrap();
        let p = doc.profile("p").unwrap();
        assert_eq!(p.verify_ssl, Some(false));
        assert_eq!(p.retry.as_ref().unwrap().max_attempts, Some(7));
        assert_eq!(
            p.retry.as_ref().unwrap().retry_statuses,
            Some(vec![429, 503])
        );
        assert_eq!(
            p.cache.as_ref().unwrap().ttl.as_ref().unwrap()["pricing"],
            60.0
        );
        doc.set_profile_field("p", "cache.ttl.pricing", None)
            .unwrap();
        assert!(doc.profile("p").unwrap().cache.is_none());
        let e = doc
            .set_profile_field("p", "retry.max_attempts", Some("0".into()))
            .unwrap_err();
        assert!(e.to_string().contains("at least 1"), "{e}");
        let e = doc
            .set_profile_field("p", "colour", Some("x".into()))
            .unwrap_err();
        assert!(e.to_string().contains("unknown profile setting"), "{e}");
        let e = doc
            .set_profile_field("p", "retry.max_attempts", Some("many".into()))
            .unwrap_err();
        assert!(e.to_string().contains("whole number"), "{e}");
    }

    #[test]
    fn redaction_covers_tokens_and_secret_like_extras() {
        let mut v = serde_json::json!({"token_cache": true, "a": {"refresh_token": "x", "api_key": "y",
            "monkey": "ok", "list": [{"password": "z"}], "access_token": null}});
        redact(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"token_cache": true, "a": {"refresh_token": "<redacted>", "api_key": "<redacted>",
                "monkey": "ok", "list": [{"password": "<redacted>"}], "access_token": null}})
        );
    }
}
