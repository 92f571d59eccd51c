//! Checks and text parsing of setting values, shared by the setting kinds (`kinds.rs`), the
//! file's fields (`fields.rs`, `policy.rs`) and the environment layer. A leaf of the config
//! module: it names none of its siblings.

use std::time::Duration;

/// Seconds allowed for any duration setting; beyond this `Duration` conversion is meaningless.
pub(crate) const MAX_SECONDS: f64 = 1.0e9;

/// Converts seconds to a `Duration` without panicking on odd input (already validated).
pub(crate) fn seconds(v: f64) -> Duration {
    Duration::try_from_secs_f64(v.clamp(0.0, MAX_SECONDS)).unwrap_or_default()
}

/// Refuses a duration (`key`, in seconds) that is negative, not finite or beyond [`MAX_SECONDS`].
pub(crate) fn check_seconds(key: &str, v: f64) -> std::result::Result<(), String> {
    if !v.is_finite() || !(0.0..=MAX_SECONDS).contains(&v) {
        return Err(format!(
            "{key} must be a non-negative number of seconds, got {v}"
        ));
    }
    Ok(())
}

/// Refuses a timeout (`key`, in seconds) that is not positive, not finite or beyond
/// [`MAX_SECONDS`].
pub(crate) fn check_timeout(key: &str, v: f64) -> std::result::Result<(), String> {
    if !v.is_finite() || v <= 0.0 || v > MAX_SECONDS {
        return Err(format!(
            "{key} must be a positive number of seconds, got {v}"
        ));
    }
    Ok(())
}

/// Refuses a URL (`key`) that is not `http(s)` with a host.
pub(crate) fn check_url(key: &str, v: &str) -> std::result::Result<(), String> {
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(format!(
            "{key} must be an http(s) URL such as https://spot.rackspace.com, got '{v}'"
        )),
    }
}

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
