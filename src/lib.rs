#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod blocking;
pub mod client;
pub mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
pub mod fsutil;
pub mod org;
pub mod pricing;
pub mod raw;
/// Retry settings (the engine itself is part of the request pipeline).
pub mod retry {
    pub use crate::transport::retry::{MAX_RETRY_AFTER, RetryPolicy, parse_retry_after};
}
pub mod services;
pub mod state;
mod tls;
mod transport;
pub mod types;
pub mod workflows;

pub use client::{SpotClient, SpotClientBuilder};
pub use error::{Error, Result, TransportFailure};
pub use org::OrgRef;
pub use transport::auth::RefreshTokenStore;
pub use transport::limits::MAX_RESPONSE_BYTES;
