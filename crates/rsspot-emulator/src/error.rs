//! The emulator's one error type: what can fail while starting or seeding it. Requests a test
//! sends never fail here; they get the HTTP answer the real service would give.

use std::net::SocketAddr;
use std::path::PathBuf;

/// `Result` with the emulator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why the emulator could not start or load its seed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The loopback port could not be bound, or its address read back.
    #[error("emulator: cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The self-signed certificate of the emulated cluster API could not be set up.
    #[error("emulator: cannot set up TLS: {message}")]
    Tls {
        /// What went wrong.
        message: String,
    },
    /// Waiting for Ctrl-C failed (`serve`).
    #[error("emulator: cannot wait for Ctrl-C: {source}")]
    Signal {
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A seed file could not be read.
    #[error("{}: {source}", path.display())]
    SeedRead {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A seed file was read but is not a valid seed (too large, not UTF-8, not JSON or YAML
    /// of the seed's shape, or breaking one of its invariants).
    #[error("{}: invalid seed: {message}", path.display())]
    Seed {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}
