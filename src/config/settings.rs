//! **Every profile setting, declared once.** Each entry gives the key, its kind (how it is
//! typed, parsed and checked: `kinds.rs`), its built-in default, its input aliases, the
//! environment variables that set it, the client builder setter, and its doc. From this list
//! `derive.rs` makes [`Profile`] (file schema and JSON schema), [`ProfilePatch`],
//! [`Overrides`], [`Settings`], the default and environment layers of resolution, provenance
//! (`rsspot config explain`), [`SETTINGS`], [`ENV_VARS`] and the
//! [`SpotClientBuilder`](crate::SpotClientBuilder) setters.
//!
//! Adding a setting is one entry here; the code that *uses* it reads `settings.<field>`.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::fields::{Fields, Origin, Spec, deserialize_via_json, redacted_extras};
use super::kinds::{Flag, Seconds, SettingDef, SettingKind, Text, Token, Url, Usd};
use super::process_env::*;
use super::{
    CacheConfig, CachePatch, DEFAULT_BASE_URL, DEFAULT_CLIENT_ID, DEFAULT_OAUTH_URL,
    DEFAULT_PUBLIC_DATA_URL, DEFAULT_REQUEST_TIMEOUT_SECONDS, HistoryConfig, HistoryPatch,
    RefreshTokenOrigin, RetryConfig, RetryPatch,
};
use crate::error::Result;

/// The declarations, handed to a deriving macro: `settings!` here (the config types) and
/// `builder_setters!` in `client/builder.rs` (the builder's setters).
macro_rules! declared_settings {
    ($($derive:ident)::+) => { $($derive)::+! {
    /// Organization name (input alias: `organization`).
    org: Text, aliases["organization"], env["RSSPOT_ORG", "RACKSPACE_ORG", "SPOT_ORG"], builder(org);
    /// Organization id, `org-…` (aliases: `orgId`, `organization_id`, `organizationId`).
    org_id: Text, aliases["organization_id", "organizationId"],
        env["RSSPOT_ORG_ID", "RSSPOT_ORGID", "RACKSPACE_ORG_ID", "SPOT_ORG_ID"], builder(org_id);
    /// Default region (alias: `default_region`).
    region: Text, aliases["default_region"], env["RSSPOT_REGION", "RACKSPACE_REGION", "SPOT_REGION"],
        builder(region);
    /// Refresh token from the Spot UI (alias: `refreshToken`). Stored in plain text; the file is
    /// 0600. `RXTSPOT_TOKEN` is the Terraform provider's name, `RACKSPACE_SPOT_REFRESH_TOKEN` the
    /// Spot MCP server's.
    refresh_token: Token,
        env["RSSPOT_REFRESH_TOKEN", "RACKSPACE_REFRESH_TOKEN", "SPOT_REFRESH_TOKEN", "RXTSPOT_TOKEN"],
        env_file["RSSPOT_REFRESH_TOKEN_FILE", "RXTSPOT_TOKEN_FILE"],
        env_late["RACKSPACE_SPOT_REFRESH_TOKEN"], builder(refresh_token);
    /// A pre-issued access token (alias: `accessToken`).
    access_token: Token, env["RSSPOT_ACCESS_TOKEN", "RACKSPACE_ACCESS_TOKEN", "SPOT_ACCESS_TOKEN"],
        builder(access_token);
    /// OAuth client id (alias: `clientId`). Default: the Spot console's public client.
    client_id: Text = DEFAULT_CLIENT_ID,
        env["RSSPOT_CLIENT_ID", "RACKSPACE_CLIENT_ID", "RXTSPOT_CLIENT_ID"], builder(client_id);
    /// Spot API base URL (alias: `baseUrl`). Default `https://spot.rackspace.com`.
    /// `NGPC_APISERVER` is the Terraform provider's name.
    base_url: Url = DEFAULT_BASE_URL,
        env["RSSPOT_BASE_URL", "RACKSPACE_BASE_URL", "SPOT_BASE_URL", "NGPC_APISERVER"],
        builder(base_url);
    /// OAuth base URL (aliases: `oauthUrl`, `auth_url`, `authUrl`; env `SPOT_AUTH_URL`).
    /// Default `https://login.spot.rackspace.com`.
    oauth_url: Url = DEFAULT_OAUTH_URL, aliases["auth_url", "authUrl"],
        env["RSSPOT_OAUTH_URL", "RACKSPACE_OAUTH_URL", "SPOT_AUTH_URL"], builder(oauth_url);
    /// Host of the public pricing documents (alias: `publicDataUrl`).
    public_data_url: Url = DEFAULT_PUBLIC_DATA_URL, env["RSSPOT_PUBLIC_DATA_URL"],
        builder(public_data_url);
    /// Per-request timeout in seconds (alias: `requestTimeoutSeconds`). Default 30: it bounds
    /// one call, all its attempts, retries and pages included.
    request_timeout_seconds as request_timeout: Seconds = DEFAULT_REQUEST_TIMEOUT_SECONDS,
        env["RSSPOT_REQUEST_TIMEOUT_SECONDS", "SPOT_REQUEST_TIMEOUT"], builder(request_timeout);
    /// Verify TLS certificates (alias: `verifySsl`). Default true.
    verify_ssl: Flag = true, env["RSSPOT_VERIFY_SSL", "SPOT_VERIFY_SSL"], builder(verify_ssl);
    /// Spending guardrail: a pool costing more per month (USD) asks for confirmation.
    max_monthly_usd: Usd, env["RSSPOT_MAX_MONTHLY_USD"];
    /// The registration ledger's database: `postgres://…` selects a shared PostgreSQL
    /// database; unset keeps the embedded `ledger.db`. A secret (it may hold a password).
    ledger_url: Token, env["RSSPOT_LEDGER_URL"], env_file["RSSPOT_LEDGER_URL_FILE"];
} };
}
pub(crate) use declared_settings;

declared_settings!(super::derive::settings);

deserialize_via_json!(Profile, |v| Profile::from_json(v, Origin("profile"), ""));

impl Profile {
    /// The profile without its unknown keys (what takes part in resolution).
    pub(crate) fn known_fields_json(&self) -> Value {
        let mut copy = self.clone();
        copy.extra = Map::new();
        copy.imported_from = None;
        serde_json::to_value(copy).unwrap_or(Value::Null)
    }
}
