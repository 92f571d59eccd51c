//! The value kinds of settings ([`SettingKind`]): how a setting is stored in the file, held in
//! [`super::Settings`], parsed from an environment variable or `config set`, checked and given
//! to the builder. A setting's declaration in `settings.rs` names its kind; everything else is
//! derived from the kind.

use std::fmt;
use std::time::Duration;

use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::checks::{check_timeout, check_url, parse_bool, seconds};
use super::secret::Secret;

/// `JsonSchema` when the `schema` feature is on, nothing otherwise (so the file types of the
/// kinds can be named in a schema-deriving struct either way).
#[cfg(feature = "schema")]
pub trait MaybeSchema: schemars::JsonSchema {}
#[cfg(feature = "schema")]
impl<T: schemars::JsonSchema> MaybeSchema for T {}
/// `JsonSchema` when the `schema` feature is on, nothing otherwise.
#[cfg(not(feature = "schema"))]
pub trait MaybeSchema {}
#[cfg(not(feature = "schema"))]
impl<T> MaybeSchema for T {}

/// What one kind of setting is, in every place a setting appears.
pub trait SettingKind {
    /// The type written in the config file, a profile and a [`super::ProfilePatch`].
    type File: Clone + PartialEq + fmt::Debug + Serialize + DeserializeOwned + MaybeSchema;
    /// The effective type, in [`super::Settings`] and [`super::Overrides`].
    type Value: Clone + fmt::Debug;
    /// What the client builder's setter takes.
    type Input;
    /// What a valid value looks like, for error messages ("a number of seconds").
    const WHAT: &'static str;
    /// Whether values are secrets (never echoed, redacted in `config explain`).
    const SECRET: bool = false;
    /// A value from text (an environment variable, `rsspot config set`), as the file holds it.
    fn parse_text(raw: &str) -> Option<Value>;
    /// Range checks on a (file or effective) value; `key` names it in the message.
    fn check(_key: &str, _v: &Value) -> Result<(), String> {
        Ok(())
    }
    /// The effective value from the merged document.
    fn resolve(v: &Value) -> Option<Self::Value>;
    /// An effective value back to the document's form (an override layer).
    fn to_json(v: &Self::Value) -> Value;
    /// A builder setter's argument as an effective value.
    fn from_input(input: Self::Input) -> Self::Value;
}

/// Free text (`org`, `region`, `client_id`).
#[derive(Debug)]
pub enum Text {}

impl SettingKind for Text {
    type File = String;
    type Value = String;
    type Input = String;
    const WHAT: &'static str = "a string";
    fn parse_text(raw: &str) -> Option<Value> {
        Some(Value::String(raw.to_string()))
    }
    fn resolve(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
    fn to_json(v: &String) -> Value {
        Value::String(v.clone())
    }
    fn from_input(input: String) -> String {
        input
    }
}

/// An `http(s)` URL.
#[derive(Debug)]
pub enum Url {}

impl SettingKind for Url {
    type File = String;
    type Value = String;
    type Input = String;
    const WHAT: &'static str = "an http(s) URL";
    fn parse_text(raw: &str) -> Option<Value> {
        Some(Value::String(raw.trim().to_string()))
    }
    fn check(key: &str, v: &Value) -> Result<(), String> {
        match v.as_str() {
            Some(s) => check_url(key, s),
            None => Err(format!("{key} must be {}", Self::WHAT)),
        }
    }
    fn resolve(v: &Value) -> Option<String> {
        v.as_str().map(str::to_string)
    }
    fn to_json(v: &String) -> Value {
        Value::String(v.clone())
    }
    fn from_input(input: String) -> String {
        input
    }
}

/// A secret string (a token, a database URL with a password). Stored for real in the file.
#[derive(Debug)]
pub enum Token {}

impl SettingKind for Token {
    type File = Secret;
    type Value = SecretString;
    type Input = String;
    const WHAT: &'static str = "a string";
    const SECRET: bool = true;
    fn parse_text(raw: &str) -> Option<Value> {
        Some(Value::String(raw.to_string()))
    }
    fn resolve(v: &Value) -> Option<SecretString> {
        v.as_str().map(|s| SecretString::from(s.to_string()))
    }
    fn to_json(v: &SecretString) -> Value {
        Value::String(v.expose_secret().to_string())
    }
    fn from_input(input: String) -> SecretString {
        SecretString::from(input)
    }
}

/// A positive number of seconds, held as a [`Duration`].
#[derive(Debug)]
pub enum Seconds {}

impl SettingKind for Seconds {
    type File = f64;
    type Value = Duration;
    type Input = Duration;
    const WHAT: &'static str = "a number of seconds";
    fn parse_text(raw: &str) -> Option<Value> {
        let n: f64 = raw.trim().parse().ok()?;
        serde_json::Number::from_f64(n).map(Value::Number)
    }
    fn check(key: &str, v: &Value) -> Result<(), String> {
        match v.as_f64() {
            Some(n) => check_timeout(key, n),
            None => Err(format!("{key} must be {}", Self::WHAT)),
        }
    }
    fn resolve(v: &Value) -> Option<Duration> {
        v.as_f64().map(seconds)
    }
    fn to_json(v: &Duration) -> Value {
        v.as_secs_f64().into()
    }
    fn from_input(input: Duration) -> Duration {
        input
    }
}

/// A boolean (`true/false`, `1/0`, `yes/no`, `on/off` as text).
#[derive(Debug)]
pub enum Flag {}

impl SettingKind for Flag {
    type File = bool;
    type Value = bool;
    type Input = bool;
    const WHAT: &'static str = "true or false";
    fn parse_text(raw: &str) -> Option<Value> {
        parse_bool(raw).map(Value::Bool)
    }
    fn resolve(v: &Value) -> Option<bool> {
        v.as_bool()
    }
    fn to_json(v: &bool) -> Value {
        Value::Bool(*v)
    }
    fn from_input(input: bool) -> bool {
        input
    }
}

/// An amount in USD: a number in the file, a number or a price (`$1,200`) in text.
#[derive(Debug)]
pub enum Usd {}

impl SettingKind for Usd {
    type File = f64;
    type Value = Decimal;
    type Input = Decimal;
    const WHAT: &'static str = "an amount in USD such as 500";
    fn parse_text(raw: &str) -> Option<Value> {
        // The decimal's own text as a JSON number: `500` stays `500`, `$1,200.50` is `1200.50`.
        let d = crate::pricing::money::parse_price_str(raw)?;
        serde_json::from_str(&d.normalize().to_string()).ok()
    }
    fn check(key: &str, v: &Value) -> Result<(), String> {
        match crate::pricing::money::parse_price(v) {
            Some(_) => Ok(()),
            None => Err(format!(
                "{key} must be a non-negative amount in USD, got {v}"
            )),
        }
    }
    fn resolve(v: &Value) -> Option<Decimal> {
        crate::pricing::money::parse_price(v)
    }
    fn to_json(v: &Decimal) -> Value {
        Value::String(v.to_string())
    }
    fn from_input(input: Decimal) -> Decimal {
        input
    }
}

/// One declared setting, as data: what `rsspot help environment`, `config set` and the docs
/// read. The list is [`super::SETTINGS`], in declaration order.
#[derive(Debug, Clone, Copy)]
pub struct SettingDef {
    /// The key in a profile (and in `config explain`), e.g. `verify_ssl`.
    pub key: &'static str,
    /// Its documentation (the declaration's doc comment).
    pub doc: &'static str,
    /// Other spellings accepted in a file (camelCase is always accepted too).
    pub aliases: &'static [&'static str],
    /// Environment variables holding the value, first set wins.
    pub env: &'static [&'static str],
    /// Environment variables naming a file that holds the value (below [`Self::env`]).
    pub env_file: &'static [&'static str],
    /// Other tools' variables, looked at last.
    pub env_late: &'static [&'static str],
    /// What a valid value looks like.
    pub what: &'static str,
    /// Whether the value is a secret.
    pub secret: bool,
    /// The built-in default, if any, as the file would hold it.
    pub default: fn() -> Option<Value>,
    /// Parses text (env, `config set`) into the file's form.
    pub parse: fn(&str) -> Option<Value>,
    /// Range checks (`key` names the value in the message).
    pub check: fn(&str, &Value) -> Result<(), String>,
}

impl SettingDef {
    /// The declared setting named `key`.
    pub fn find(key: &str) -> Option<&'static SettingDef> {
        super::SETTINGS.iter().find(|d| d.key == key)
    }
}

/// The declared setting `key`, at compile time (for the `*_VARS` names in `env.rs`).
pub(crate) const fn def(key: &str) -> &'static SettingDef {
    let mut i = 0;
    while i < super::SETTINGS.len() {
        if str_eq(super::SETTINGS[i].key, key) {
            return &super::SETTINGS[i];
        }
        i += 1;
    }
    panic!("no such setting")
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
