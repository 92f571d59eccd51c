//! The figment layers of resolution: built-in defaults, environment variables and overrides,
//! each a named provider so that figment's metadata is our provenance.

use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use super::env::*;
use super::fields::check_timeout;
use super::{CacheConfig, HistoryConfig, Overrides, REDACTED, RetryConfig};
use super::{
    DEFAULT_BASE_URL, DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL, DEFAULT_PUBLIC_DATA_URL,
    DEFAULT_REQUEST_TIMEOUT_SECONDS,
};
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

pub(super) fn defaults_layer() -> Value {
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
    // Secrets: the value itself, or (`*_FILE`) the path of a file holding it.
    // Other tools' names for the same secret come after both.
    for (vars, file_vars, others, key) in [
        (
            REFRESH_TOKEN_VARS,
            REFRESH_TOKEN_FILE_VARS,
            OTHER_TOOLS_REFRESH_TOKEN_VARS,
            "refresh_token",
        ),
        (LEDGER_URL_VARS, LEDGER_URL_FILE_VARS, &[][..], "ledger_url"),
    ] {
        if let Some((var, v)) = env.first(vars) {
            push(var, key, Value::String(v.to_string()));
        } else if let Some((var, file)) = env.first(file_vars) {
            let text = crate::fsutil::read_bounded_text(
                std::path::Path::new(file),
                crate::fsutil::SECRET_FILE_MAX,
                "a secret file",
            )
            .map_err(|e| Error::config(format!("env {var}: cannot read {file}: {e}")))?;
            let secret = text.trim();
            if secret.is_empty() {
                return Err(Error::config(format!("env {var}: {file} is empty")));
            }
            push(var, key, Value::String(secret.to_string()));
        } else if let Some((var, v)) = env.first(others) {
            push(var, key, Value::String(v.to_string()));
        }
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

pub(super) fn overrides_layer(o: &Overrides) -> Value {
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
    if matches!(key, "refresh_token" | "access_token" | "ledger_url") {
        return REDACTED.to_string();
    }
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
