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

/// What kind of step fixes an [`Error::Config`]: the library names it, a program (the `rsspot`
/// CLI) says it in its own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigRemedy {
    /// The config file named explicitly does not exist: create it, or fix the path.
    CreateConfigFile,
    /// The file has several profiles and none is selected: select one.
    SelectProfile,
    /// An effective value is wrong once every source is merged: see which source sets it.
    ExplainSources,
}

/// Why an [`Error::Conflict`] happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConflictReason {
    /// An object of that name already exists (Kubernetes `AlreadyExists`).
    AlreadyExists,
    /// The object was modified since it was read (Kubernetes `Conflict`: a stale
    /// `resourceVersion`); read it again and retry.
    ResourceVersion,
    /// A registration of the ledger is leased to another owner until its lease expires.
    LeaseHeld,
    /// Another reason the server gave, as it spelled it.
    Other(String),
}

impl ConflictReason {
    /// The reason of a Kubernetes `Status` (`AlreadyExists`, `Conflict`, …); `None` (no
    /// readable body) is taken as `Conflict`, what a bare 409 means.
    pub fn from_status_reason(reason: Option<&str>) -> Self {
        match reason {
            Some("AlreadyExists") => ConflictReason::AlreadyExists,
            Some("Conflict") | None => ConflictReason::ResourceVersion,
            Some("LeaseHeld") => ConflictReason::LeaseHeld,
            Some(other) => ConflictReason::Other(other.to_string()),
        }
    }

    /// The reason as Kubernetes spells it (`LeaseHeld` for a ledger lease).
    pub fn as_str(&self) -> &str {
        match self {
            ConflictReason::AlreadyExists => "AlreadyExists",
            ConflictReason::ResourceVersion => "Conflict",
            ConflictReason::LeaseHeld => "LeaseHeld",
            ConflictReason::Other(s) => s,
        }
    }
}

impl std::fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in rsspot.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is missing, malformed or inconsistent.
    #[error("{message}")]
    Config {
        /// What is wrong.
        message: String,
        /// What kind of step fixes it, when one is known (a program words it for its users).
        remedy: Option<ConfigRemedy>,
    },

    /// The profile asked for (by name, `RSSPOT_PROFILE` or the file's active profile) is not in
    /// the config file.
    #[error("profile '{profile}' not found in {origin}; {}{}", known_profiles(known), selected_by.as_ref().map(|s| format!(" (selected by {s})")).unwrap_or_default())]
    ProfileNotFound {
        /// The profile that was asked for.
        profile: String,
        /// The profiles the file has, sorted.
        known: Vec<String>,
        /// The config file (or `runtime config`) that was searched.
        origin: String,
        /// What selected the profile (`--profile`, `RSSPOT_PROFILE`, `active_profile in …`), when
        /// known.
        selected_by: Option<String>,
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

    /// The object already exists, was modified concurrently (HTTP 409), or a registration is
    /// leased to another owner.
    #[error("conflict: {message}")]
    Conflict {
        /// Why: what the server's Kubernetes `Status.reason` says, or the ledger's lease.
        reason: ConflictReason,
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
    #[error("could not reach {url}: {}", describe(*failure, source.as_ref()))]
    Transport {
        /// The URL (without query) that was being requested.
        url: String,
        /// What kind of failure.
        failure: TransportFailure,
        /// The underlying cause (the HTTP client's error; match on `failure`, not on its type).
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
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

fn known_profiles(known: &[String]) -> String {
    if known.is_empty() {
        "there are no profiles yet".to_string()
    } else {
        format!("known profiles: {}", known.join(", "))
    }
}

fn describe(
    failure: TransportFailure,
    source: &(dyn std::error::Error + Send + Sync + 'static),
) -> String {
    let body = source
        .downcast_ref::<reqwest::Error>()
        .is_some_and(|e| e.is_body() || e.is_decode());
    let kind = match failure {
        TransportFailure::Certificate => "the server's TLS certificate was rejected",
        TransportFailure::Connect => "connection failed",
        TransportFailure::Broken if body => "the response body could not be read",
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
            remedy: None,
        }
    }

    /// Builds an [`Error::Config`] that `remedy` fixes.
    pub fn config_with(message: impl Into<String>, remedy: ConfigRemedy) -> Self {
        Error::Config {
            message: message.into(),
            remedy: Some(remedy),
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

    /// Whether the object already exists, was modified concurrently, or is leased to another
    /// owner (see [`ConflictReason`]).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }

    /// Whether the server asked to slow down (HTTP 429) and retries were exhausted.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Error::RateLimited { .. })
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

#[cfg(feature = "emulator")]
mod from_emulator;
mod from_raw;

#[cfg(test)]
mod tests;
