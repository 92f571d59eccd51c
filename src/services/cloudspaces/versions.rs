//! The Kubernetes versions Rackspace Spot is known to offer (API-NOTES §5: the documented
//! `1.29.6`, `1.30.10`, `1.31.1`, and `1.33.0` seen on newer clusters). The service does not
//! publish the list, so this is a known set, not a closed one: callers refuse other versions
//! unless told to send them anyway.

/// Versions known to be on offer, oldest first.
pub const KNOWN_KUBERNETES_VERSIONS: &[&str] = &["1.29.6", "1.30.10", "1.31.1", "1.33.0"];

/// Whether `version` is one of [`KNOWN_KUBERNETES_VERSIONS`] (a leading `v` is accepted).
pub fn is_known_kubernetes_version(version: &str) -> bool {
    let v = version.trim().trim_start_matches('v');
    KNOWN_KUBERNETES_VERSIONS.contains(&v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_versions_are_recognised() {
        assert!(is_known_kubernetes_version("1.31.1"));
        assert!(is_known_kubernetes_version("v1.30.10"));
        assert!(!is_known_kubernetes_version("banana"));
        assert!(!is_known_kubernetes_version("1.31"));
    }
}
