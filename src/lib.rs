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
pub mod hooks;
pub mod pricing;
pub mod raw;
pub mod retry;
pub mod services;
pub mod state;
mod tls;
pub mod types;
pub mod workflows;

pub use client::{SpotClient, SpotClientBuilder};
pub use error::{Error, ExitKind, Result};
