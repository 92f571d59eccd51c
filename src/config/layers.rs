//! The figment layers of resolution: built-in defaults, environment variables and overrides,
//! each a named provider so that figment's metadata is our provenance.

use std::path::Path;

use serde_json::{Map, Value};

use super::checks::parse_bool;
use super::env::*;
use super::{CacheConfig, HistoryConfig, REDACTED, RetryConfig, SETTINGS};
use crate::error::{Error, Result};

/// A figment provider for one named source, so that figment's metadata is our provenance.
pub(super) struct Layer {
    pub(super) name: String,
    pub(super) value: Value,
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
pub(super) fn at(path: &str, v: Value) -> Value {
    path.rsplit('.').fold(v, |acc, k| {
        Value::Object(Map::from_iter([(k.to_string(), acc)]))
    })
}

/// Drops nulls and empty mappings (figment has no null).
pub(super) fn prune(v: Value) -> Option<Value> {
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
pub(super) fn changed(v: Value, base: Option<&Value>) -> Option<Value> {
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

/// The built-in defaults: each declared setting's default, the policy blocks' defaults and
/// the default `state.db` path.
pub(super) fn defaults_layer(state_path: &Path) -> Value {
    let mut m: Map<String, Value> = SETTINGS
        .iter()
        .filter_map(|d| (d.default)().map(|v| (d.key.to_string(), v)))
        .collect();
    for (k, v) in [
        ("retry", serde_json::to_value(RetryConfig::default())),
        ("cache", serde_json::to_value(CacheConfig::default())),
        ("history", serde_json::to_value(HistoryConfig::default())),
    ] {
        m.insert(k.into(), v.unwrap_or(Value::Null));
    }
    m.insert("token_cache".into(), Value::Bool(true));
    m.insert("state_path".into(), path_value(state_path));
    Value::Object(m)
}

/// A path as a document value.
pub(super) fn path_value(p: &Path) -> Value {
    Value::String(p.to_string_lossy().into_owned())
}

/// One layer per environment variable that sets something: every declared setting (its value
/// variables, then a file named by its `*_FILE` variables, then other tools' names), and the
/// legacy retry and `RSSPOT_NO_*` switches. `RSSPOT_STATE_PATH` is not here: it ranks below the
/// config file (see the module docs of `config`).
pub(super) fn env_layers(env: &Env) -> Result<Vec<Layer>> {
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
    for def in SETTINGS {
        let (var, text) = if let Some((var, v)) = env.first(def.env) {
            (var, v.to_string())
        } else if let Some((var, file)) = env.first(def.env_file) {
            // The value itself is in a file (a secret kept out of the environment).
            let text = crate::fsutil::read_bounded_text(
                Path::new(file),
                crate::fsutil::SECRET_FILE_MAX,
                "a secret file",
            )
            .map_err(|e| Error::config(format!("env {var}: cannot read {file}: {e}")))?;
            let value = text.trim();
            if value.is_empty() {
                return Err(Error::config(format!("env {var}: {file} is empty")));
            }
            (var, value.to_string())
        } else if let Some((var, v)) = env.first(def.env_late) {
            (var, v.to_string())
        } else {
            continue;
        };
        let shown = if def.secret { REDACTED } else { text.as_str() };
        let value = (def.parse)(&text).ok_or_else(|| bad(var, def.what, shown))?;
        (def.check)(&format!("env {var}"), &value).map_err(Error::config)?;
        push(var, def.key, value);
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

/// Leaves of a merged document as (dotted key, value); arrays are leaves.
pub(super) fn leaves(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
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

pub(super) fn display_value(key: &str, v: &Value) -> String {
    if SETTINGS.iter().any(|d| d.secret && d.key == key) {
        return REDACTED.to_string();
    }
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
