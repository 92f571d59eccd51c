//! Environment variables: an injectable snapshot ([`Env`]) and the table of names we read.
//!
//! Names are matched case-insensitively (as the Python tool did); within one setting the first
//! name in [`ENV_VARS`] that is set to a non-empty value wins.

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

// The variables of the declared settings live in their declarations (`settings.rs`); these
// names are kept for callers that name one setting's variables.
use super::kinds::def;
/// `org`.
pub const ORG_VARS: &[&str] = def("org").env;
/// `org_id`.
pub const ORG_ID_VARS: &[&str] = def("org_id").env;
/// `region`.
pub const REGION_VARS: &[&str] = def("region").env;
/// `client_id`.
pub const CLIENT_ID_VARS: &[&str] = def("client_id").env;
/// `refresh_token` (value in the variable).
pub const REFRESH_TOKEN_VARS: &[&str] = def("refresh_token").env;
/// `refresh_token` read from a file (contents trimmed); below the value variables.
pub const REFRESH_TOKEN_FILE_VARS: &[&str] = def("refresh_token").env_file;
/// `refresh_token` as other Spot tools name it; below every rsspot name.
pub const OTHER_TOOLS_REFRESH_TOKEN_VARS: &[&str] = def("refresh_token").env_late;
/// `access_token`.
pub const ACCESS_TOKEN_VARS: &[&str] = def("access_token").env;
/// `base_url`.
pub const BASE_URL_VARS: &[&str] = def("base_url").env;
/// `oauth_url`.
pub const OAUTH_URL_VARS: &[&str] = def("oauth_url").env;
/// `public_data_url`.
pub const PUBLIC_DATA_URL_VARS: &[&str] = def("public_data_url").env;
/// `request_timeout_seconds`.
pub const TIMEOUT_VARS: &[&str] = def("request_timeout_seconds").env;
/// `verify_ssl`.
pub const VERIFY_SSL_VARS: &[&str] = def("verify_ssl").env;
/// `max_monthly_usd`.
pub const MAX_MONTHLY_VARS: &[&str] = def("max_monthly_usd").env;
/// `ledger_url`.
pub const LEDGER_URL_VARS: &[&str] = def("ledger_url").env;
/// A file holding `ledger_url`.
pub const LEDGER_URL_FILE_VARS: &[&str] = def("ledger_url").env_file;

/// Every variable read by [`super::load`], by setting (for `rsspot help environment`).
pub use super::settings::ENV_VARS;

/// Parses a boolean as the Python tool accepted it.
pub(crate) fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_is_case_insensitive_and_skips_empty() {
        let env = Env::from_pairs([
            ("rsspot_region", "a"),
            ("SPOT_ORG", ""),
            ("RSSPOT_ORG", "o"),
        ]);
        assert_eq!(env.get("RSSPOT_REGION"), Some("a"));
        assert_eq!(env.get("spot_org"), None);
        assert_eq!(env.first(ORG_VARS), Some(("RSSPOT_ORG", "o")));
        let env = Env::from_pairs([("RSSPOT_REGION", "upper"), ("rsspot_region", "lower")]);
        assert_eq!(env.get("RSSPOT_REGION"), Some("upper"));
        // Other tools' names come last.
        let env = Env::from_pairs([
            ("NGPC_APISERVER", "https://a"),
            ("SPOT_BASE_URL", "https://b"),
        ]);
        assert_eq!(
            env.first(BASE_URL_VARS),
            Some(("SPOT_BASE_URL", "https://b"))
        );
        let env = Env::from_pairs([("RSSPOT_REFRESH_TOKEN", "very-secret")]);
        assert!(!format!("{env:?}").contains("very-secret"));
    }

    #[test]
    fn bools() {
        for t in ["1", "true", "YES", "on"] {
            assert_eq!(parse_bool(t), Some(true));
        }
        for f in ["0", "false", "No", "off"] {
            assert_eq!(parse_bool(f), Some(false));
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}
