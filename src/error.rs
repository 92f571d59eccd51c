//! The one error type of the library.
//!
//! Every fallible public function returns [`Result<T>`]. Variants are coarse enough to match on
//! (`Error::NotFound { .. }`) and their `Display` is one sentence a user can act on. No variant ever
//! carries a secret: token values are never formatted into messages.

use std::time::Duration;

/// Convenience alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in rsspot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is missing, malformed or inconsistent.
    #[error("{message}")]
    Config {
        /// What is wrong and how to fix it.
        message: String,
    },

    /// Authentication failed: no refresh token, or the token service rejected it.
    #[error("{message}")]
    Auth {
        /// What failed; ends with a hint such as "run `rsspot configure`".
        message: String,
    },

    /// The server denied the request for this identity (HTTP 403).
    #[error("forbidden: {message}")]
    Forbidden {
        /// The server's message.
        message: String,
    },

    /// The object does not exist (HTTP 404, or not found in a list).
    #[error("{kind} \"{name}\" not found")]
    NotFound {
        /// What kind of object, e.g. `cloudspace`.
        kind: String,
        /// The name that was looked up.
        name: String,
    },

    /// The object already exists, or was modified concurrently (HTTP 409).
    #[error("conflict: {message}")]
    Conflict {
        /// Kubernetes `Status.reason` (`AlreadyExists`, `Conflict`).
        reason: String,
        /// The server's message.
        message: String,
    },

    /// The request is invalid: rejected locally before sending, or by the server (400/415/422).
    #[error("invalid {}: {message}", field.as_deref().unwrap_or("request"))]
    Invalid {
        /// The offending field (`spec.bidPrice`, `name`), when known.
        field: Option<String>,
        /// Why it is invalid.
        message: String,
    },

    /// The server asked us to slow down (HTTP 429) and retries were exhausted.
    #[error("rate limited by the Spot API{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },

    /// The server failed (5xx) and retries were exhausted, or answered something unexpected.
    #[error("Spot API error (HTTP {status}): {message}")]
    Api {
        /// HTTP status code.
        status: u16,
        /// The server's message, or a description of the unexpected response.
        message: String,
    },

    /// The request could not be sent or the response not read (DNS, connect, TLS, reset).
    #[error("could not reach {url}: {message}")]
    Transport {
        /// The URL (without query) that was being requested.
        url: String,
        /// The underlying cause.
        message: String,
    },

    /// A response body did not have the expected shape.
    #[error("unexpected response from {url}: {message}")]
    Decode {
        /// The URL (without query) that was requested.
        url: String,
        /// What did not parse.
        message: String,
    },

    /// Waiting for an object gave up.
    #[error("timed out after {}s waiting for {what}{}", elapsed.as_secs(), last_seen.as_ref().map(|s| format!(" (last seen: {s})")).unwrap_or_default())]
    Timeout {
        /// What we waited for, e.g. `cloudspace "demo" to become Ready`.
        what: String,
        /// How long we waited.
        elapsed: Duration,
        /// The last phase/reason observed.
        last_seen: Option<String>,
    },

    /// A waited-on object reached a state it will not recover from.
    #[error("{what} failed: {message}")]
    Failed {
        /// What failed, e.g. `cloudspace "demo"`.
        what: String,
        /// Why.
        message: String,
    },

    /// The local state store (`state.db`) could not be used.
    #[error("state store {path}: {message}")]
    State {
        /// Path of the database.
        path: String,
        /// What failed, with the fix (e.g. run `rsspot state reset`).
        message: String,
    },

    /// A local file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
}

/// How a failure maps onto the CLI's documented exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitKind {
    /// 1: API or runtime error.
    Runtime = 1,
    /// 2: usage or configuration error.
    Usage = 2,
    /// 3: not found.
    NotFound = 3,
    /// 4: authentication failed.
    Auth = 4,
    /// 5: timed out waiting.
    Timeout = 5,
}

impl Error {
    /// Builds an [`Error::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }

    /// Builds an [`Error::Auth`].
    pub fn auth(message: impl Into<String>) -> Self {
        Error::Auth {
            message: message.into(),
        }
    }

    /// Builds an [`Error::Invalid`] for a named field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// Builds an [`Error::NotFound`].
    pub fn not_found(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Error::NotFound {
            kind: kind.into(),
            name: name.into(),
        }
    }

    /// Builds an [`Error::Io`] from an OS error on `path`.
    pub fn io(path: impl AsRef<std::path::Path>, err: impl std::fmt::Display) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: err.to_string(),
        }
    }

    /// The CLI exit code class of this error.
    pub fn exit_kind(&self) -> ExitKind {
        match self {
            Error::Config { .. } | Error::Invalid { .. } => ExitKind::Usage,
            Error::NotFound { .. } => ExitKind::NotFound,
            Error::Auth { .. } => ExitKind::Auth,
            Error::Timeout { .. } => ExitKind::Timeout,
            _ => ExitKind::Runtime,
        }
    }

    /// A short hint for the user, when one helps.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Auth { .. } => Some("run `rsspot configure` to store a valid refresh token"),
            Error::Forbidden { .. } => Some(
                "the token only has access to its own organization; check --org or the profile",
            ),
            Error::State { .. } => Some("run `rsspot state reset` to start with a fresh state.db"),
            Error::Transport { message, .. } if message.starts_with(crate::hooks::TLS_REJECTED) => {
                Some(
                    "check the URL and the system's CA certificates; `verify_ssl: false` in the \
                     profile turns verification off, for a test server you trust only",
                )
            }
            Error::RateLimited { .. } | Error::Transport { .. } => {
                Some("try again; retries are configured under `retry` in the config file")
            }
            _ => None,
        }
    }
}
