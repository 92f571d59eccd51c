//! Path-aware parsing helpers shared by the schema types: [`Origin`] (names the source in
//! every error), [`Fields`] (aliases → snake_case names, unknown keys kept, the offending key
//! named in type errors), range checks, and redaction of secret-looking values.

use std::collections::BTreeMap;
use std::fmt::Display;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

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
pub(crate) fn camel(name: &str) -> String {
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

pub(crate) fn kind(v: &Value) -> &'static str {
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
pub(crate) type Spec = (&'static str, &'static [&'static str]);

pub(crate) const ROOT_SPEC: &[Spec] = &[
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

pub(crate) const RETRY_SPEC: &[Spec] = &[
    ("max_attempts", &[]),
    ("base_delay", &[]),
    ("max_delay", &[]),
    ("jitter", &[]),
    ("retry_statuses", &[]),
];

pub(crate) const CACHE_SPEC: &[Spec] = &[
    ("enabled", &[]),
    ("default_ttl", &[]),
    ("ttl", &[]),
    ("max_entries", &[]),
    ("backend", &[]),
];

pub(crate) const HISTORY_SPEC: &[Spec] = &[("enabled", &[]), ("max_entries", &[])];

/// The canonical name of `key` under `spec`, if it is a known field or alias.
pub(crate) fn canonical(spec: &[Spec], key: &str) -> Option<&'static str> {
    spec.iter()
        .find(|(name, aliases)| *name == key || aliases.contains(&key) || camel(name) == key)
        .map(|(name, _)| *name)
}

/// One mapping split into known fields (by canonical name) and unknown keys.
pub(crate) struct Fields<'a> {
    origin: Origin<'a>,
    prefix: String,
    known: BTreeMap<&'static str, Value>,
    pub(crate) extra: Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub(crate) fn split(
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

    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    pub(crate) fn take_value(&mut self, name: &str) -> Option<Value> {
        self.known.remove(name).filter(|v| !v.is_null())
    }

    pub(crate) fn take<T: DeserializeOwned>(&mut self, name: &str) -> Result<Option<T>> {
        match self.take_value(name) {
            None => Ok(None),
            Some(v) => serde_json::from_value(v)
                .map(Some)
                .map_err(|e| self.origin.err(&self.key(name), e)),
        }
    }

    /// `take` for a setting of kind `K`: a secret's value is never echoed into an error.
    pub(crate) fn take_kind<K: super::kinds::SettingKind>(
        &mut self,
        name: &str,
    ) -> Result<Option<K::File>> {
        if !K::SECRET {
            return self.take(name);
        }
        match self.take_value(name) {
            None => Ok(None),
            Some(v @ Value::String(_)) => serde_json::from_value(v).map(Some).map_err(|_| {
                self.origin
                    .err(&self.key(name), "invalid value (not shown)")
            }),
            Some(other) => Err(self.origin.err(
                &self.key(name),
                format!(
                    "expected a string, found {} (value not shown)",
                    kind(&other)
                ),
            )),
        }
    }

    pub(crate) fn check(&self, result: std::result::Result<(), String>) -> Result<()> {
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
pub(crate) use deserialize_via_json;

/// Key names whose values are treated as secrets in displays.
pub(crate) const SECRET_MARKERS: &[&str] = &[
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
    // A database URL may carry a password.
    "ledger_url",
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
pub(crate) fn redacted_extras(m: &Map<String, Value>) -> Value {
    let mut v = Value::Object(m.clone());
    redact(&mut v);
    v
}
