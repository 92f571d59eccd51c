//! [`load`]: locating the config file, selecting the profile, layering every source and
//! building the effective [`Settings`] with provenance. Loading never writes a file.

use std::path::{Path, PathBuf};

use figment::Figment;
use serde_json::{Map, Value};

use super::env::*;
use super::fields::Origin;
use super::layers::{
    Layer, at, changed, defaults_layer, display_value, env_layers, leaves, path_value, prune,
};
use super::*;
use crate::error::{ConfigRemedy, Error, Result};

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
        return Err(Error::config_with(
            format!(
                "config file {} (from {source}) does not exist",
                path.display()
            ),
            ConfigRemedy::CreateConfigFile,
        ));
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
    if opts.import_legacy {
        if let Some(report) = super::migrate::import_if_absent(home, &target)? {
            return Ok(Located {
                file: read_config(&target)?,
                read_from: Some(target.clone()),
                path: target,
                source: ConfigSource::LegacyMigrated,
                migrated: Some(report),
            });
        }
        // Another process may have imported (or created the file) meanwhile.
        if target.is_file() {
            return Ok(Located {
                file: read_config(&target)?,
                read_from: Some(target.clone()),
                path: target,
                source: ConfigSource::DefaultPath,
                migrated: None,
            });
        }
    } else if let Some(legacy) = super::migrate::find_legacy(home) {
        return Ok(Located {
            file: super::migrate::read_legacy(&legacy, home)?,
            read_from: Some(legacy.clone()),
            path: target,
            source: ConfigSource::Legacy { path: legacy },
            migrated: None,
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
            let mut err = document::unknown_profile(&name, file, label);
            if let Error::ProfileNotFound { selected_by, .. } = &mut err {
                *selected_by = Some(source);
            }
            return Err(err);
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
        _ => Err(Error::config_with(
            format!(
                "{label} has several profiles ({}) and none is selected",
                file.profile_names().join(", ")
            ),
            ConfigRemedy::SelectProfile,
        )),
    }
}

/// Resolves the effective [`Settings`] (see the module docs for every precedence rule).
///
/// Precedence is computed in one place: every source is a named figment layer, lowest first,
/// and both the effective values and their provenance (which also decides
/// [`Settings::refresh_token_origin`]) are read from the merged result.
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
    let file_dir = located.read_from.as_deref().and_then(Path::parent);

    // Top-level blocks are stored complete (defaults filled in); only the values that differ
    // from the defaults are attributed to the file, so `config explain` shows what the user set.
    let defaults = defaults_layer(&default_state_path(env, Some(&home)));
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
    let path_layer = |name: String, p: Option<PathBuf>| Layer {
        name,
        value: p
            .map(|p| at("state_path", path_value(&p)))
            .unwrap_or(Value::Null),
    };
    let mut overrides = opts.overrides.layer();
    if let Some(p) = &opts.overrides.state_path {
        let p = expand_path(&p.to_string_lossy(), &home, None);
        overrides.insert("state_path".into(), path_value(&p));
    }
    // Lowest first. `state_path` is the one setting where the file beats the environment.
    let mut layers = vec![
        Layer {
            name: "default".into(),
            value: defaults,
        },
        path_layer(
            env.first(STATE_PATH_VARS)
                .map(|(var, _)| format!("env {var}"))
                .unwrap_or_default(),
            env.first(STATE_PATH_VARS)
                .map(|(_, p)| expand_path(p, &home, None)),
        ),
        path_layer(
            format!("state_path in {label}"),
            file.state_path
                .as_deref()
                .map(|p| expand_path(p, &home, file_dir)),
        ),
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
        value: Value::Object(overrides),
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
    // The combined, tagged value once (an empty path is the whole of it): `find_metadata`
    // would merge every layer again for each key, a fifth of a cached command's start-up.
    let tagged = fig.find_value("").ok();
    for (key, value) in flat {
        let source = tagged
            .as_ref()
            .and_then(|t| t.find_ref(&key))
            .and_then(|v| fig.get_metadata(v.tag()))
            .map(|m| m.name.to_string())
            .unwrap_or_else(|| "unknown".into());
        provenance.push(Provenance {
            value: display_value(&key, &value),
            key,
            source,
        });
    }

    let settings = build_settings(&fig, &merged, &profile_name, &located, &provenance)?;
    let warnings = super::warnings::collect(&settings, &provenance, &located.file);
    Ok(Resolved {
        warnings,
        settings,
        file: located.file.clone(),
        path: located.path.clone(),
        source: located.source.clone(),
        migrated: located.migrated.clone(),
        provenance,
    })
}

/// The policy blocks of the merged layers as figment extracts them: complete configs built
/// over their defaults and checked as a whole (a profile's `retry.max_delay` can only clash
/// with the file's `retry.base_delay` once the two are merged). The declared settings are
/// read by [`Settings::assign`].
#[derive(serde::Deserialize)]
struct Blocks {
    retry: RetryConfig,
    cache: CacheConfig,
    history: HistoryConfig,
    token_cache: bool,
    state_path: PathBuf,
}

/// figment's error as one sentence: the key it is about, then what is wrong with it.
fn extraction_error(e: figment::Error) -> String {
    let what = e.kind.to_string();
    match (&e.kind, e.path.join(".")) {
        (figment::error::Kind::Message(_), _) => what,
        (_, path) if path.is_empty() => what,
        (_, path) => format!("{path}: {what}"),
    }
}

fn build_settings(
    fig: &Figment,
    merged: &Value,
    profile: &str,
    located: &Located,
    provenance: &[Provenance],
) -> Result<Settings> {
    let origin_label = format!("effective settings for profile '{profile}'");
    let origin = Origin(&origin_label);
    let hint = |e: Error| Error::config_with(e.to_string(), ConfigRemedy::ExplainSources);
    let blocks: Blocks = fig
        .extract()
        .map_err(|e| hint(origin.err("", extraction_error(e))))?;
    let mut settings = Settings::builtin();
    if let Value::Object(m) = merged {
        settings.assign(m).map_err(|m| hint(origin.err("", m)))?;
    }
    settings.profile = profile.to_string();
    settings.refresh_token_origin = refresh_token_origin(provenance, located, profile);
    settings.retry = blocks.retry;
    settings.cache = blocks.cache;
    settings.history = blocks.history;
    settings.token_cache = blocks.token_cache;
    settings.state_path = blocks.state_path;
    settings.config_path = located.read_from.clone();
    Ok(settings)
}

/// Where the effective refresh token came from: the layer that supplied it.
fn refresh_token_origin(
    provenance: &[Provenance],
    located: &Located,
    profile: &str,
) -> RefreshTokenOrigin {
    let Some(source) = provenance
        .iter()
        .find(|p| p.key == "refresh_token")
        .map(|p| p.source.as_str())
    else {
        return RefreshTokenOrigin::None;
    };
    if source == "override" {
        return RefreshTokenOrigin::Override;
    }
    if let Some(var) = source.strip_prefix("env ") {
        return RefreshTokenOrigin::Env {
            var: var.to_string(),
        };
    }
    match (&located.source, &located.read_from) {
        (ConfigSource::Runtime, _) => RefreshTokenOrigin::Runtime,
        (ConfigSource::Legacy { path }, _) => RefreshTokenOrigin::Legacy { path: path.clone() },
        (_, Some(path)) => RefreshTokenOrigin::ConfigFile {
            path: path.clone(),
            profile: profile.to_string(),
        },
        (_, None) => RefreshTokenOrigin::None,
    }
}
