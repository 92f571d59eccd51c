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
/// `org`.
pub const ORG_VARS: &[&str] = &["RSSPOT_ORG", "RACKSPACE_ORG", "SPOT_ORG"];
/// `org_id`.
pub const ORG_ID_VARS: &[&str] = &[
    "RSSPOT_ORG_ID",
    "RSSPOT_ORGID",
    "RACKSPACE_ORG_ID",
    "SPOT_ORG_ID",
];
/// `region`.
pub const REGION_VARS: &[&str] = &["RSSPOT_REGION", "RACKSPACE_REGION", "SPOT_REGION"];
/// `client_id`.
pub const CLIENT_ID_VARS: &[&str] = &[
    "RSSPOT_CLIENT_ID",
    "RACKSPACE_CLIENT_ID",
    "RXTSPOT_CLIENT_ID",
];
/// `refresh_token` (value in the variable). `RXTSPOT_TOKEN` is the Terraform provider's name.
pub const REFRESH_TOKEN_VARS: &[&str] = &[
    "RSSPOT_REFRESH_TOKEN",
    "RACKSPACE_REFRESH_TOKEN",
    "SPOT_REFRESH_TOKEN",
    "RXTSPOT_TOKEN",
];
/// `refresh_token` read from a file (contents trimmed); below the value variables.
pub const REFRESH_TOKEN_FILE_VARS: &[&str] = &["RSSPOT_REFRESH_TOKEN_FILE", "RXTSPOT_TOKEN_FILE"];
/// `refresh_token` as other Spot tools name it (the Spot MCP server); below every rsspot
/// name, the file variables included, so a token set for rsspot always wins.
pub const OTHER_TOOLS_REFRESH_TOKEN_VARS: &[&str] = &["RACKSPACE_SPOT_REFRESH_TOKEN"];
/// `access_token`.
pub const ACCESS_TOKEN_VARS: &[&str] = &[
    "RSSPOT_ACCESS_TOKEN",
    "RACKSPACE_ACCESS_TOKEN",
    "SPOT_ACCESS_TOKEN",
];
/// `base_url`. `NGPC_APISERVER` is the Terraform provider's name, the last one looked at.
pub const BASE_URL_VARS: &[&str] = &[
    "RSSPOT_BASE_URL",
    "RACKSPACE_BASE_URL",
    "SPOT_BASE_URL",
    "NGPC_APISERVER",
];
/// `oauth_url` (note `SPOT_AUTH_URL`, not `SPOT_OAUTH_URL`).
pub const OAUTH_URL_VARS: &[&str] = &["RSSPOT_OAUTH_URL", "RACKSPACE_OAUTH_URL", "SPOT_AUTH_URL"];
/// `public_data_url`.
pub const PUBLIC_DATA_URL_VARS: &[&str] = &["RSSPOT_PUBLIC_DATA_URL"];
/// `request_timeout_seconds`.
pub const TIMEOUT_VARS: &[&str] = &["RSSPOT_REQUEST_TIMEOUT_SECONDS", "SPOT_REQUEST_TIMEOUT"];
/// Legacy: retries after the first try (`retry.max_attempts = n + 1`).
pub const MAX_RETRIES_VARS: &[&str] = &["RSSPOT_MAX_RETRIES", "SPOT_MAX_RETRIES"];
/// Legacy: backoff factor (`retry.base_delay = f`, `retry.max_delay = max(2.5, 16 f)`).
pub const BACKOFF_VARS: &[&str] = &["RSSPOT_RETRY_BACKOFF_FACTOR", "SPOT_RETRY_BACKOFF_FACTOR"];
/// `verify_ssl` (`0/1/true/false/yes/no/on/off`).
pub const VERIFY_SSL_VARS: &[&str] = &["RSSPOT_VERIFY_SSL", "SPOT_VERIFY_SSL"];
/// `state_path` (below a `state_path` in the config file, see [`super::default_state_path`]).
pub const STATE_PATH_VARS: &[&str] = &["RSSPOT_STATE_PATH"];
/// `max_monthly_usd` (spending guardrail, USD per pool-month).
pub const MAX_MONTHLY_VARS: &[&str] = &["RSSPOT_MAX_MONTHLY_USD"];
/// `ledger_url` (the registration ledger's PostgreSQL database).
pub const LEDGER_URL_VARS: &[&str] = &["RSSPOT_LEDGER_URL"];
/// A file holding `ledger_url` (so the password stays out of the environment).
pub const LEDGER_URL_FILE_VARS: &[&str] = &["RSSPOT_LEDGER_URL_FILE"];
/// A true value disables the response cache.
pub const NO_CACHE_VARS: &[&str] = &["RSSPOT_NO_CACHE"];
/// A true value disables command history.
pub const NO_HISTORY_VARS: &[&str] = &["RSSPOT_NO_HISTORY"];
/// A true value disables the access-token cache.
pub const NO_TOKEN_CACHE_VARS: &[&str] = &["RSSPOT_NO_TOKEN_CACHE"];

/// Every variable read by [`super::load`], by setting (for `rsspot help environment`).
pub const ENV_VARS: &[(&str, &[&str])] = &[
    ("config file", CONFIG_PATH_VARS),
    ("profile", PROFILE_VARS),
    ("org", ORG_VARS),
    ("org_id", ORG_ID_VARS),
    ("region", REGION_VARS),
    ("client_id", CLIENT_ID_VARS),
    ("refresh_token", REFRESH_TOKEN_VARS),
    ("refresh_token (file)", REFRESH_TOKEN_FILE_VARS),
    (
        "refresh_token (other Spot tools)",
        OTHER_TOOLS_REFRESH_TOKEN_VARS,
    ),
    ("access_token", ACCESS_TOKEN_VARS),
    ("base_url", BASE_URL_VARS),
    ("oauth_url", OAUTH_URL_VARS),
    ("public_data_url", PUBLIC_DATA_URL_VARS),
    ("request_timeout_seconds", TIMEOUT_VARS),
    ("retry.max_attempts (legacy max_retries)", MAX_RETRIES_VARS),
    ("retry.base_delay (legacy backoff factor)", BACKOFF_VARS),
    ("verify_ssl", VERIFY_SSL_VARS),
    ("max_monthly_usd", MAX_MONTHLY_VARS),
    ("state_path", STATE_PATH_VARS),
    ("ledger_url", LEDGER_URL_VARS),
    ("ledger_url (file)", LEDGER_URL_FILE_VARS),
    ("cache.enabled = false", NO_CACHE_VARS),
    ("history.enabled = false", NO_HISTORY_VARS),
    ("token_cache = false", NO_TOKEN_CACHE_VARS),
];

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
