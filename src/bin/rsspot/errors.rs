//! What the CLI makes of a library error: its exit code (gh's conventions: 1 error, 2 usage,
//! configuration or refusal, 3 not found, 4 auth, 5 timed out) and a hint where one helps.

use rsspot::{ConfigRemedy, Error, TransportFailure};

/// Exit code of a library error.
pub fn exit_code(e: &Error) -> u8 {
    match e {
        Error::Config { .. }
        | Error::ProfileNotFound { .. }
        | Error::Invalid { .. }
        | Error::TokenEndpoint { .. }
        | Error::Redirected { .. }
        | Error::ForeignUrl { .. } => 2,
        Error::NotFound { .. } => 3,
        Error::Auth { .. }
        | Error::NoCredentials { .. }
        | Error::TokenRejected { .. }
        | Error::Unauthorized { .. } => 4,
        Error::Timeout { .. } | Error::DeadlineExceeded { .. } => 5,
        _ => 1,
    }
}

/// A short hint for the user, when one helps. The library's messages say what is wrong; what
/// to type about it is said here.
pub fn hint(e: &Error) -> Option<String> {
    if let Error::ProfileNotFound { profile, .. } = e {
        return Some(format!(
            "run `rsspot configure --profile {profile}` to create it"
        ));
    }
    Some(match e {
        Error::Config {
            remedy: Some(remedy),
            ..
        } => match remedy {
            ConfigRemedy::CreateConfigFile => "create it with `rsspot configure`, or fix the path",
            ConfigRemedy::SelectProfile => {
                "pass --profile, set RSSPOT_PROFILE or run `rsspot profiles use NAME`"
            }
            ConfigRemedy::ExplainSources => {
                "run `rsspot config explain` to see which source sets each value"
            }
            _ => return None,
        },
        Error::NoCredentials { .. } => "run `rsspot configure`, or set RSSPOT_REFRESH_TOKEN",
        Error::Auth { .. } | Error::TokenRejected { .. } | Error::Unauthorized { .. } => {
            "run `rsspot configure` to store a valid refresh token (console: API Access → Terraform → Get New Token)"
        }
        Error::TokenEndpoint { .. } => {
            "check `oauth_url` in the profile (default https://login.spot.rackspace.com) or RSSPOT_OAUTH_URL"
        }
        Error::Redirected { .. } => {
            "check `base_url`/`oauth_url` in the profile: point them at the final host"
        }
        Error::ForeignUrl { .. } => {
            "give a path relative to the API (e.g. /apis/ngpc.rxt.io/v1/regions) or a URL on a configured host"
        }
        Error::Forbidden { .. } => {
            "the token only has access to its own organization; check --org or the profile"
        }
        Error::State { path, .. } if path.ends_with("ledger.db") => {
            "`rsspot registrations restore BACKUP` brings back a ledger from a backup or an export"
        }
        Error::State { .. } => "run `rsspot state reset` to start with a fresh state.db",
        Error::Transport {
            failure: TransportFailure::Certificate,
            ..
        } => {
            "check the URL and the system's CA certificates; `verify_ssl: false` in the \
             profile turns verification off, for a test server you trust only"
        }
        Error::DeadlineExceeded { .. } => {
            "the server did not answer in time; raise --request-timeout (or `request_timeout_seconds`) or try again"
        }
        Error::RateLimited { .. } | Error::Transport { .. } => {
            "try again; retries are configured under `retry` in the config file"
        }
        _ => return None,
    }
    .to_string())
}
