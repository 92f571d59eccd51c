//! Stable identifiers: the same key always gives the same UUID, so seeds and generated servers
//! keep their ids across runs. A leaf.

use sha2::{Digest, Sha256};

/// A UUID (v4 layout) derived from `key`, for stable ids in seeds and generated servers.
pub(crate) fn stable_uuid(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}
