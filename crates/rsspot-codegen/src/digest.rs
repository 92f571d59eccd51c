//! The fingerprint of the contract files the bindings are generated from.
//!
//! `cargo xtask codegen` records it in `generated/inputs.sha256`; a build without the `codegen`
//! feature compiles `generated/` only when the vendored contract still has that fingerprint, so
//! an edited spec can never be paired with stale bindings. Dependency-free beyond `sha2`/`hex` so
//! that build.rs can use it without the codegen toolchain.

use sha2::{Digest, Sha256};

/// Where the fingerprint of the inputs of `generated/` is recorded.
pub const DIGEST_FILE: &str = "generated/inputs.sha256";

/// The contract files, in the order they are hashed.
pub const INPUTS: [&str; 2] = ["openapi/spot.json", "openapi/spot-extensions.json"];

/// SHA-256 (hex) over each input's name, length and bytes. Carriage returns are dropped so a
/// checkout with CRLF line endings fingerprints the same as the committed LF files.
pub fn inputs_digest(contents: &[&[u8]]) -> String {
    let mut hasher = Sha256::new();
    for (name, bytes) in INPUTS.iter().zip(contents) {
        let text: Vec<u8> = bytes.iter().copied().filter(|b| *b != b'\r').collect();
        hasher.update(name.as_bytes());
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(&text);
    }
    hex::encode(hasher.finalize())
}
