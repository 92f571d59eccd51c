//! Environment variables: an injectable snapshot ([`Env`]) and the table of names we read.
//!
//! Names are matched case-insensitively (as the Python tool did); within one setting the first
//! name in [`ENV_VARS`] that is set to a non-empty value wins.

pub use super::process_env::{
    BACKOFF_VARS, CONFIG_PATH_VARS, Env, MAX_RETRIES_VARS, NO_CACHE_VARS, NO_HISTORY_VARS,
    NO_TOKEN_CACHE_VARS, PROFILE_VARS, STATE_PATH_VARS,
};

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
}
