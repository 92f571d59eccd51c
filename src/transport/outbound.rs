//! A plain HTTP client for endpoints that are not the Spot API (`events watch --webhook`):
//! rsspot's TLS set-up and user agent, no bearer, no cache, no retries (the caller owns them).

use std::time::Duration;

use crate::error::{Error, Result};

/// A client whose every request ends by `timeout`; redirects are not followed (a webhook that
/// moves must be given its new URL).
pub fn outbound_client(timeout: Duration) -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("rsspot/", env!("CARGO_PKG_VERSION")))
        .tls_backend_preconfigured(crate::tls::client_config()?)
        .build()
        .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))
}
