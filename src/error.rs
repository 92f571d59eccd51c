//! The one error type of the library.
//!
//! Every fallible public function returns [`Result<T>`]. Variants are coarse enough to match on
//! (`Error::NotFound { .. }`), keep their cause ([`std::error::Error::source`]) and their
//! `Display` is one sentence about what went wrong. No variant carries a secret, and none carries
//! CLI wording: the `rsspot` binary owns exit codes and hints.

use std::time::Duration;

/// Convenience alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a request failed on the way (no HTTP answer was read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportFailure {
    /// The connection could not be made (DNS, refused, unreachable).
    Connect,
    /// The server's TLS certificate did not verify.
    Certificate,
    /// The request or the answer's body could not be sent or read (reset, protocol error).
    Broken,
}

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

    /// Authentication failed for a reason other than those with their own variant.
    #[error("{message}")]
    Auth {
        /// What failed.
        message: String,
    },

    /// No refresh token is configured for the profile.
    #[error("no refresh token is configured for profile `{profile}`")]
    NoCredentials {
        /// The profile that has none.
        profile: String,
    },

    /// The token service refused the refresh token (HTTP 400/401/403 with an OAuth error).
    #[error("the token service rejected the refresh token of profile `{profile}`: {description}")]
    TokenRejected {
        /// The profile whose token was refused.
        profile: String,
        /// HTTP status of the refusal.
        status: u16,
        /// The OAuth `error` code (`invalid_grant`, `access_denied`), if any.
        code: Option<String>,
        /// The server's `error_description`, or a description of its answer.
        description: String,
    },

    /// The token service URL answers, but not as a token service (HTTP 404/405).
    #[error("the token service URL looks wrong: {url} answered HTTP {status}")]
    TokenEndpoint {
        /// The URL that was posted to.
        url: String,
        /// What it answered.
        status: u16,
    },

    /// The Spot API refused the bearer token (HTTP 401 after one refresh and replay).
    #[error("the Spot API rejected the credentials: {message}")]
    Unauthorized {
        /// The server's message (401 bodies are plain text).
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
    #[error("rate limited by {url}{}", retry_after.map(|d| format!(" (it asked to retry after {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The URL (without query).
        url: String,
        /// The server's `Retry-After`, if any.
        retry_after: Option<Duration>,
    },

    /// The server failed (5xx) and retries were exhausted, or answered something unexpected.
    #[error("{url} answered HTTP {status}: {message}")]
    Api {
        /// The URL (without query).
        url: String,
        /// HTTP status code.
        status: u16,
        /// The server's message, or a description of the unexpected response.
        message: String,
    },

    /// The server redirected a request carrying credentials to another origin; not followed.
    #[error(
        "{from} redirected to another host ({to}); not followed, so no credential leaves the configured host"
    )]
    Redirected {
        /// The URL (without query) that was requested.
        from: String,
        /// Where the server pointed (without query).
        to: String,
    },

    /// A URL outside the configured hosts was asked for with credentials.
    #[error(
        "{url} is not one of the configured Spot hosts ({allowed}); refused, so no credential leaves them"
    )]
    ForeignUrl {
        /// The refused URL (without query).
        url: String,
        /// The configured origins.
        allowed: String,
    },

    /// The request could not be sent or the answer not read (DNS, connect, TLS, reset).
    #[error("could not reach {url}: {}", describe(*failure, source))]
    Transport {
        /// The URL (without query) that was being requested.
        url: String,
        /// What kind of failure.
        failure: TransportFailure,
        /// The underlying cause.
        #[source]
        source: reqwest::Error,
    },

    /// No answer came before the deadline (the request timeout, or a `--timeout`), attempts
    /// included.
    #[error("no answer from {url} within {}s", after.as_secs_f64().ceil() as u64)]
    DeadlineExceeded {
        /// The URL (without query).
        url: String,
        /// The time allowed.
        after: Duration,
    },

    /// A response body did not have the expected shape.
    #[error("unexpected response from {url}: {message}")]
    Decode {
        /// The URL (without query) that was requested.
        url: String,
        /// What did not parse.
        message: String,
        /// The parser's error, when there is one.
        #[source]
        source: Option<serde_json::Error>,
    },

    /// An answer was larger than rsspot accepts.
    #[error("the answer from {url} is larger than {} MiB; refused", limit / 1024 / 1024)]
    TooLarge {
        /// The URL (without query).
        url: String,
        /// The limit in bytes.
        limit: u64,
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

    /// The local state store (`state.db`, the registration ledger) could not be used.
    #[error("state store {path}: {message}")]
    State {
        /// Path of the database (or its URL, without password).
        path: String,
        /// What failed.
        message: String,
        /// The database driver's or the encoder's error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A local file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
        /// The OS error, when there is one.
        #[source]
        source: Option<std::io::Error>,
    },
}

fn describe(failure: TransportFailure, source: &reqwest::Error) -> String {
    let kind = match failure {
        TransportFailure::Certificate => "the server's TLS certificate was rejected",
        TransportFailure::Connect => "connection failed",
        TransportFailure::Broken if source.is_body() || source.is_decode() => {
            "the response body could not be read"
        }
        TransportFailure::Broken => "the request failed",
    };
    // The innermost cause says the most (`Connection refused`, `invalid peer certificate`).
    let mut cause = std::error::Error::source(source);
    let mut detail = None;
    while let Some(s) = cause {
        detail = Some(s.to_string());
        cause = s.source();
    }
    match detail {
        Some(d) if !d.is_empty() => format!("{kind}: {d}"),
        _ => kind.to_string(),
    }
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

    /// Builds an [`Error::Io`] from an OS error on `path` (kept as the source).
    pub fn io(path: impl AsRef<std::path::Path>, err: std::io::Error) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: err.to_string(),
            source: Some(err),
        }
    }

    /// Builds an [`Error::Io`] about `path` that no OS error stands behind.
    pub fn io_message(path: impl AsRef<std::path::Path>, message: impl Into<String>) -> Self {
        Error::Io {
            path: path.as_ref().display().to_string(),
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::State`] about the database at `path` that no lower error stands
    /// behind.
    pub fn state(path: impl Into<String>, message: impl Into<String>) -> Self {
        Error::State {
            path: path.into(),
            message: message.into(),
            source: None,
        }
    }

    /// Builds an [`Error::State`]: `what` failed on the database at `path` because of `cause`,
    /// which is kept as the source (its text, on one line, ends the message).
    pub fn state_caused(
        path: impl Into<String>,
        what: impl std::fmt::Display,
        cause: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Error::State {
            path: path.into(),
            message: format!("{what}: {}", cause.to_string().replace(['\r', '\n'], " ")),
            source: Some(Box::new(cause)),
        }
    }

    /// Builds an [`Error::Decode`] for an answer of `url` that did not parse.
    pub fn decode(url: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Decode {
            url: url.into(),
            message: message.into(),
            source: None,
        }
    }

    /// The HTTP status of the server's answer behind this error, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::TokenRejected { status, .. }
            | Error::TokenEndpoint { status, .. }
            | Error::Api { status, .. } => Some(*status),
            Error::Unauthorized { .. } => Some(401),
            Error::Forbidden { .. } => Some(403),
            Error::NotFound { .. } => None,
            Error::Conflict { .. } => Some(409),
            Error::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// Whether trying again later may succeed (server failures, rate limits, network trouble,
    /// time-outs). rsspot has already retried what it safely could.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::DeadlineExceeded { .. } => true,
            Error::Api { status, .. } => *status >= 500 || *status == 408,
            Error::Transport { failure, .. } => *failure != TransportFailure::Certificate,
            _ => false,
        }
    }

    /// Whether the object (or organization) does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether the credentials are missing or were refused.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            Error::Auth { .. }
                | Error::NoCredentials { .. }
                | Error::TokenRejected { .. }
                | Error::Unauthorized { .. }
        )
    }

    /// Whether a deadline or a wait ran out.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. } | Error::DeadlineExceeded { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_sentence_without_debug_text() {
        let errors = [
            Error::TokenRejected {
                profile: "t".into(),
                status: 403,
                code: Some("invalid_grant".into()),
                description: "Unknown or invalid refresh token.".into(),
            },
            Error::TokenEndpoint {
                url: "http://h/oauth/token".into(),
                status: 404,
            },
            Error::RateLimited {
                url: "http://h/x".into(),
                retry_after: Some(Duration::from_secs(3)),
            },
            Error::DeadlineExceeded {
                url: "http://h/x".into(),
                after: Duration::from_millis(1500),
            },
        ];
        for e in errors {
            let s = e.to_string();
            assert!(
                !s.contains('{') && !s.contains("Some(") && !s.contains('\n'),
                "{s}"
            );
        }
    }

    #[test]
    fn classification() {
        let e = Error::Api {
            url: "u".into(),
            status: 503,
            message: "m".into(),
        };
        assert!(e.is_retryable());
        assert_eq!(e.status(), Some(503));
        assert!(Error::not_found("cloudspace", "x").is_not_found());
        assert!(
            Error::NoCredentials {
                profile: "p".into()
            }
            .is_auth()
        );
    }

    /// The innermost cause of `e`, following `source()` to the end.
    fn root_cause<'a>(
        e: &'a (dyn std::error::Error + 'static),
    ) -> &'a (dyn std::error::Error + 'static) {
        let mut cur = e;
        while let Some(next) = cur.source() {
            cur = next;
        }
        cur
    }

    #[test]
    fn wrapped_errors_keep_their_cause() {
        use std::error::Error as _;

        let e = Error::state_caused("/x/state.db", "read failed", sqlx::Error::RowNotFound);
        let cause = e.source().expect("the sqlx error is the source");
        assert!(matches!(
            cause.downcast_ref::<sqlx::Error>(),
            Some(sqlx::Error::RowNotFound)
        ));
        // The message still names the cause on one line, for readers that stop at Display.
        assert_eq!(
            e.to_string(),
            format!(
                "state store /x/state.db: read failed: {}",
                sqlx::Error::RowNotFound
            )
        );
        assert!(Error::state("/x", "m").source().is_none());

        let json = serde_json::from_str::<u8>("{").unwrap_err();
        let e = Error::state_caused("/x/ledger.db", "cannot encode payload", json);
        assert!(root_cause(&e).downcast_ref::<serde_json::Error>().is_some());

        let e = Error::io(
            "/x/config.toml",
            std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied"),
        );
        assert!(root_cause(&e).downcast_ref::<std::io::Error>().is_some());

        let e = Error::Decode {
            url: "http://h/x".into(),
            message: "bad".into(),
            source: Some(serde_json::from_str::<u8>("x").unwrap_err()),
        };
        assert!(root_cause(&e).downcast_ref::<serde_json::Error>().is_some());
    }
}
