//! What the CLI makes of a library error: its exit code (gh's conventions: 1 error, 2 usage,
//! configuration or refusal, 3 not found, 4 auth, 5 timed out) and a hint where one helps.

use rsspot::{ConfigRemedy, Error, TransportFailure};

/// Marker error: the user pressed Ctrl-C while waiting (exit 130; the server keeps going).
#[derive(Debug)]
pub struct Interrupted {
    /// What was being waited for.
    pub what: String,
    /// The command that resumes waiting.
    pub resume: String,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "interrupted: stopped waiting for {}; the operation was not cancelled and continues on the server (resume with `{}`)",
            self.what, self.resume
        )
    }
}

impl std::error::Error for Interrupted {}

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

/// `rsspot configure` for the profile the line chose (`--profile NAME` after it, as users type
/// it; plus `--org`/`--config` when typed): it edits that profile, not the active one.
fn configure() -> String {
    let line = crate::line::line_profile();
    let rest = match line {
        Some(p) => format!("configure --profile {p}"),
        None => "configure".to_string(),
    };
    // The profile goes after `configure`; the other context flags come from the line.
    let mut cmd = crate::line::rsspot(&rest);
    if let Some(p) = crate::line::line_profile() {
        cmd = cmd.replacen(&format!("-p {p} "), "", 1);
    }
    cmd
}

/// A short hint for the user, when one helps. The library's messages say what is wrong; what
/// to type about it is said here. Every command it suggests carries the `-p`/`--org`/`--config`
/// typed on the line ([`crate::line::rsspot`]).
pub fn hint(e: &Error) -> Option<String> {
    if let Error::ProfileNotFound { profile, .. } = e {
        let cmd = crate::line::rsspot(&format!("configure --profile {profile}"));
        let cmd = cmd.replacen(&format!("-p {profile} "), "", 1);
        return Some(format!("run `{cmd}` to create it"));
    }
    let cmd = crate::line::rsspot;
    Some(match e {
        Error::Config {
            remedy: Some(remedy),
            ..
        } => match remedy {
            ConfigRemedy::CreateConfigFile => {
                format!("create it with `{}`, or fix the path", configure())
            }
            ConfigRemedy::SelectProfile => format!(
                "pass --profile, set RSSPOT_PROFILE or run `{}`",
                cmd("profiles use NAME")
            ),
            ConfigRemedy::ExplainSources => format!(
                "run `{}` to see which source sets each value",
                cmd("config explain")
            ),
            _ => return None,
        },
        Error::NoCredentials { .. } => {
            format!("run `{}`, or set RSSPOT_REFRESH_TOKEN", configure())
        }
        Error::Auth { .. } | Error::TokenRejected { .. } | Error::Unauthorized { .. } => format!(
            "run `{}` to store a valid refresh token (console: API Access → Terraform → Get New Token)",
            configure()
        ),
        Error::TokenEndpoint { .. } => {
            "check `oauth_url` in the profile (default https://login.spot.rackspace.com) or RSSPOT_OAUTH_URL".to_string()
        }
        Error::Redirected { .. } => {
            "check `base_url`/`oauth_url` in the profile: point them at the final host".to_string()
        }
        Error::ForeignUrl { .. } => {
            "give a path relative to the API (e.g. /apis/ngpc.rxt.io/v1/regions) or a URL on a configured host".to_string()
        }
        // An admission webhook's refusal is about the request's values, not the identity.
        Error::Forbidden { message } if message.contains("admission webhook") => {
            "the service refused a value of the request (see its message); change that value and retry"
                .to_string()
        }
        Error::Forbidden { .. } => {
            "the token only has access to its own organization; check --org or the profile".to_string()
        }
        Error::State { path, .. } if path.ends_with("ledger.db") => format!(
            "`{}` brings back a ledger from a backup or an export",
            cmd("registrations restore BACKUP")
        ),
        Error::State { .. } => format!(
            "run `{}` to start with a fresh state.db",
            cmd("state reset")
        ),
        Error::Transport {
            failure: TransportFailure::Certificate,
            ..
        } => {
            "check the URL and the system's CA certificates; `verify_ssl: false` in the \
             profile turns verification off, for a test server you trust only".to_string()
        }
        Error::DeadlineExceeded { .. } => {
            "the server did not answer in time; raise --request-timeout (or `request_timeout_seconds`) or try again".to_string()
        }
        Error::RateLimited { .. } | Error::Transport { .. } => {
            "try again; retries are configured under `retry` in the config file".to_string()
        }
        _ => return None,
    })
}
