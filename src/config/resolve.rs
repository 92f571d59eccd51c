//! [`load`]: locating the config file, selecting the profile, layering every source and
//! building the effective [`Settings`] with provenance. Loading never writes a file.

use std::path::{Path, PathBuf};

use figment::Figment;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::env::*;
use super::fields::{Origin, check_timeout, check_url, seconds};
use super::layers::{
    Layer, changed, defaults_layer, display_value, env_layers, leaves, overrides_layer, prune,
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

    let settings = build_settings(&fig, &profile_name, &located, opts, &home)?;

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
    provenance.push(Provenance {
        key: "state_path".into(),
        value: settings.state_path.display().to_string(),
        source: state_source(opts, file, &label),
    });

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

/// The merged layers as figment extracts them: every setting typed, none read by its key.
/// The default layer sets every field that is not an `Option`; the policy blocks are complete
/// configs built over their defaults and checked as a whole (a profile's `retry.max_delay` can
/// only clash with the file's `retry.base_delay` once the two are merged).
#[derive(serde::Deserialize)]
struct Effective {
    org: Option<String>,
    org_id: Option<String>,
    region: Option<String>,
    refresh_token: Option<SecretString>,
    access_token: Option<SecretString>,
    client_id: String,
    base_url: String,
    oauth_url: String,
    public_data_url: String,
    request_timeout_seconds: f64,
    verify_ssl: bool,
    #[serde(default, deserialize_with = "usd")]
    max_monthly_usd: Option<rust_decimal::Decimal>,
    retry: RetryConfig,
    cache: CacheConfig,
    history: HistoryConfig,
    ledger_url: Option<SecretString>,
    token_cache: bool,
}

/// `max_monthly_usd` as a number or a price string (`"$1,200"`).
fn usd<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<rust_decimal::Decimal>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => crate::pricing::money::parse_price(&v)
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "max_monthly_usd must be a non-negative amount in USD, got {v}"
                ))
            }),
    }
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
    profile: &str,
    located: &Located,
    opts: &LoadOptions,
    home: &Path,
) -> Result<Settings> {
    let origin_label = format!("effective settings for profile '{profile}'");
    let origin = Origin(&origin_label);
    let hint = |e: Error| Error::config_with(e.to_string(), ConfigRemedy::ExplainSources);
    let eff: Effective = fig
        .extract()
        .map_err(|e| hint(origin.err("", extraction_error(e))))?;
    check_timeout("request_timeout_seconds", eff.request_timeout_seconds)
        .map_err(|m| hint(origin.err("", m)))?;
    for (k, url) in [
        ("base_url", &eff.base_url),
        ("oauth_url", &eff.oauth_url),
        ("public_data_url", &eff.public_data_url),
    ] {
        check_url(k, url).map_err(|m| hint(origin.err("", m)))?;
    }

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
        org: eff.org,
        org_id: eff.org_id,
        region: eff.region,
        refresh_token: eff.refresh_token,
        refresh_token_origin: refresh_token_origin(opts, located, profile),
        access_token: eff.access_token,
        client_id: eff.client_id,
        base_url: eff.base_url,
        oauth_url: eff.oauth_url,
        public_data_url: eff.public_data_url,
        request_timeout: seconds(eff.request_timeout_seconds),
        verify_ssl: eff.verify_ssl,
        max_monthly_usd: eff.max_monthly_usd,
        retry: eff.retry,
        cache: eff.cache,
        state_path,
        ledger_url: eff.ledger_url,
        token_cache: eff.token_cache,
        history: eff.history,
        config_path: located.read_from.clone(),
    })
}

/// Where the effective refresh token came from, in the same order as the layers.
fn refresh_token_origin(
    opts: &LoadOptions,
    located: &Located,
    profile: &str,
) -> RefreshTokenOrigin {
    if opts.overrides.refresh_token.is_some() {
        return RefreshTokenOrigin::Override;
    }
    if let Some((var, _)) = opts
        .env
        .first(REFRESH_TOKEN_VARS)
        .or_else(|| opts.env.first(REFRESH_TOKEN_FILE_VARS))
        .or_else(|| opts.env.first(OTHER_TOOLS_REFRESH_TOKEN_VARS))
    {
        return RefreshTokenOrigin::Env {
            var: var.to_string(),
        };
    }
    let in_file = located
        .file
        .profiles
        .get(profile)
        .is_some_and(|p| p.refresh_token.is_some());
    match (&located.source, &located.read_from) {
        (_, _) if !in_file => RefreshTokenOrigin::None,
        (ConfigSource::Runtime, _) => RefreshTokenOrigin::Runtime,
        (ConfigSource::Legacy { path }, _) => RefreshTokenOrigin::Legacy { path: path.clone() },
        (_, Some(path)) => RefreshTokenOrigin::ConfigFile {
            path: path.clone(),
            profile: profile.to_string(),
        },
        (_, None) => RefreshTokenOrigin::None,
    }
}
