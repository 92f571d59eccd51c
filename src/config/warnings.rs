//! [`ConfigWarning`]: settings that work but put tokens at risk. Collected by
//! [`super::load`] as data; printing them (one line each, on stderr) is the CLI's job.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use super::{ConfigFile, Provenance, Settings};

/// A configuration that works but deserves a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigWarning {
    /// A plain `http://` URL to a host that is not loopback: tokens would cross the network
    /// unencrypted.
    PlainHttp {
        /// `base_url` or `oauth_url`.
        key: String,
        /// The URL.
        url: String,
        /// Which source set it (as in `rsspot config explain`).
        source: String,
    },
    /// `verify_ssl` is false: TLS certificates are not checked.
    TlsVerificationOff {
        /// Which source set it.
        source: String,
    },
    /// The config file holds a token and can be read by its group or by others.
    ReadableByOthers {
        /// The file.
        path: PathBuf,
        /// Its permission bits, e.g. `0o644`.
        mode: u32,
    },
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::PlainHttp { key, url, source } => write!(
                f,
                "{key} {url} ({source}) is plain HTTP to a host that is not loopback: tokens would \
                 cross the network unencrypted; use https://"
            ),
            ConfigWarning::TlsVerificationOff { source } => write!(
                f,
                "verify_ssl is false ({source}): TLS certificates are not checked, so anyone on \
                 the network path can read your tokens; remove it unless this is a test setup"
            ),
            ConfigWarning::ReadableByOthers { path, mode } => write!(
                f,
                "{} holds a token and is readable by group or others (mode {mode:o}); run `chmod 600 {}`",
                path.display(),
                path.display()
            ),
        }
    }
}

/// Whether `host` (from a URL) names this machine.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A `PlainHttp` warning for `url` when it is `http://` to a non-loopback host.
fn plain_http(key: &str, url: &str, source: &str) -> Option<ConfigWarning> {
    let parsed = url::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    (parsed.scheme() == "http" && !is_loopback(host)).then(|| ConfigWarning::PlainHttp {
        key: key.to_string(),
        url: url.to_string(),
        source: source.to_string(),
    })
}

/// The permission bits of `path` when group or others may read it.
fn readable_by_others(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o044 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

/// Every warning for the resolved settings.
pub(super) fn collect(
    settings: &Settings,
    provenance: &[Provenance],
    file: &ConfigFile,
) -> Vec<ConfigWarning> {
    let source = |key: &str| {
        provenance
            .iter()
            .find(|p| p.key == key)
            .map(|p| match p.source.as_str() {
                "override" => "flag or builder".to_string(),
                other => other.to_string(),
            })
            .unwrap_or_else(|| "unknown source".into())
    };
    let mut out = Vec::new();
    for (key, url) in [
        ("base_url", &settings.base_url),
        ("oauth_url", &settings.oauth_url),
    ] {
        out.extend(plain_http(key, url, &source(key)));
    }
    if !settings.verify_ssl {
        out.push(ConfigWarning::TlsVerificationOff {
            source: source("verify_ssl"),
        });
    }
    let holds_token = file
        .profiles
        .values()
        .any(|p| p.refresh_token.is_some() || p.access_token.is_some());
    if holds_token
        && let Some(path) = &settings.config_path
        && let Some(mode) = readable_by_others(path)
    {
        out.push(ConfigWarning::ReadableByOthers {
            path: path.clone(),
            mode,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_not_warned_about() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://localhost:1",
            "http://api.localhost",
            "http://[::1]:3000",
            "https://spot.example.com",
        ] {
            assert_eq!(plain_http("base_url", url, "s"), None, "{url}");
        }
        for url in [
            "http://spot.example.com",
            "http://10.0.0.1:8080",
            "http://[2001:db8::1]",
        ] {
            let w = plain_http("base_url", url, "env RSSPOT_BASE_URL").unwrap();
            let line = w.to_string();
            assert!(
                line.contains(url) && line.contains("use https://"),
                "{line}"
            );
            assert!(line.contains("env RSSPOT_BASE_URL"), "{line}");
            assert!(!line.contains('\n'));
        }
    }
}
