//! The environment a load reads: the injectable snapshot [`Env`] and the names of the
//! variables that belong to no declared setting. A leaf of the config module, so the setting
//! declarations (`settings.rs`) and the public table of names (`env.rs`, which reads those
//! declarations) can both use it. Re-exported from [`super::env`].

use std::collections::BTreeMap;
use std::fmt;

/// A snapshot of environment variables. Tests build one with [`Env::from_pairs`] instead of
/// mutating the process environment.
#[derive(Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    /// The current process environment (variables that are not valid UTF-8 are skipped).
    pub fn process() -> Env {
        Env::from_process()
    }

    /// No variables at all (explicit values only).
    pub fn empty() -> Env {
        Env::default()
    }

    /// The current process environment; the same as [`Env::process`].
    pub fn from_process() -> Env {
        Env::from_pairs(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// An environment made of the given pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Env
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let mut map = BTreeMap::new();
        for (k, v) in pairs {
            let k: String = k.into();
            let upper = k.to_ascii_uppercase();
            // An exact upper-case spelling beats a lower-case duplicate.
            if k == upper || !map.contains_key(&upper) {
                map.insert(upper, v.into());
            }
        }
        Env(map)
    }

    /// The value of `name` (case-insensitive), if set and not empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(&name.to_ascii_uppercase())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first of `names` that is set: `(NAME, value)`.
    pub fn first(&self, names: &[&'static str]) -> Option<(&'static str, &str)> {
        names.iter().find_map(|n| self.get(n).map(|v| (*n, v)))
    }
}

impl fmt::Debug for Env {
    /// Names only: values may be tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Env")
            .field(&format_args!("{} variables", self.0.len()))
            .finish()
    }
}

/// Config file path, in order (the first set wins).
pub const CONFIG_PATH_VARS: &[&str] = &["RSSPOT_CONFIG", "RSSPOT_CONFIG_FILE", "SPOT_CONFIG_FILE"];
/// Profile selection.
pub const PROFILE_VARS: &[&str] = &["RSSPOT_PROFILE", "SPOT_PROFILE"];
/// Legacy: retries after the first try (`retry.max_attempts = n + 1`).
pub const MAX_RETRIES_VARS: &[&str] = &["RSSPOT_MAX_RETRIES", "SPOT_MAX_RETRIES"];
/// Legacy: backoff factor (`retry.base_delay = f`, `retry.max_delay = max(2.5, 16 f)`).
pub const BACKOFF_VARS: &[&str] = &["RSSPOT_RETRY_BACKOFF_FACTOR", "SPOT_RETRY_BACKOFF_FACTOR"];
/// `state_path` (below a `state_path` in the config file, see [`super::default_state_path`]).
pub const STATE_PATH_VARS: &[&str] = &["RSSPOT_STATE_PATH"];
/// A true value disables the response cache.
pub const NO_CACHE_VARS: &[&str] = &["RSSPOT_NO_CACHE"];
/// A true value disables command history.
pub const NO_HISTORY_VARS: &[&str] = &["RSSPOT_NO_HISTORY"];
/// A true value disables the access-token cache.
pub const NO_TOKEN_CACHE_VARS: &[&str] = &["RSSPOT_NO_TOKEN_CACHE"];
