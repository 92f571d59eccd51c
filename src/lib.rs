//! Rust SDK for [Rackspace Spot](https://spot.rackspace.com): managed Kubernetes on auctioned
//! servers. An async [`SpotClient`] with typed services, a [`blocking`] twin, profiles shared with
//! the `rsspot` CLI, one matchable [`Error`], and an in-process emulator of the Spot API for your
//! tests.
//!
//! ```toml
//! [dependencies]
//! rsspot = { version = "0.1", default-features = false }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! `default-features = false` leaves out the bundled CLI (`cli`), the emulator (`emulator`, add it
//! back in your `[dev-dependencies]` for tests) and build-time code generation (`codegen`: the
//! committed bindings are compiled instead, after checking they match the vendored spec). The
//! rest is opt-in, each part of `cli`:
//!
//! | feature | adds |
//! |---|---|
//! | `postgres` | the registration ledger on a shared PostgreSQL database (`ledger_url = "postgres://…"`); without it such a URL is an [`Error::Config`] naming the feature |
//! | `http2` | HTTP/2 to the Spot API (offered by ALPN; HTTP/1.1 otherwise) |
//! | `schema` | `config::json_schema()`, the JSON Schema of the config file |
//! | `aws-lc-rs` | rustls on aws-lc-rs instead of *ring* (post-quantum key exchange, a large C build) |
//!
//! # Async
//!
//! ```no_run
//! use rsspot::SpotClient;
//! use rsspot::services::CloudSpaceCreate;
//!
//! #[tokio::main]
//! async fn main() -> rsspot::Result<()> {
//!     let client = SpotClient::from_env().await?; // active profile + RSSPOT_* overrides
//!     for region in client.regions().list().await? {
//!         println!("{}", region.metadata.name);
//!     }
//!     let req = CloudSpaceCreate::new("demo").region("us-central-dfw-1");
//!     client.cloudspaces().create(&req).await?; // validated locally first
//!     Ok(())
//! }
//! ```
//!
//! Services hang off the client: [`organizations`](SpotClient::organizations),
//! [`regions`](SpotClient::regions), [`server_classes`](SpotClient::server_classes),
//! [`cloudspaces`](SpotClient::cloudspaces), [`spot_pools`](SpotClient::spot_pools),
//! [`ondemand_pools`](SpotClient::ondemand_pools), [`pricing`](SpotClient::pricing) and
//! [`inventory`](SpotClient::inventory); request types are in [`services`], models in [`types`].
//! Each call is routed, cached, authenticated (the token is refreshed once per expiry however many
//! tasks wait), retried when replaying it is safe, and followed through its pages.
//! [`SpotClient::raw`] and [`SpotClient::api_request`] reach anything the services do not cover.
//!
//! # One handle for every kind
//!
//! Every Spot kind is declared once (a [`Kind`]) and reached through one generic handle, [`Api`]:
//! `client.spot_pools()` is `client.api::<SpotNodePool>()`, and `client.org("acme")` gives an
//! [`Org`] whose handles work in that organization. Code written over several kinds stays one
//! function; spot and on-demand pools share [`services::NodePoolKind`] (requests from the shared
//! fields and a bid, what a pool says, `scale`, a read-back `verify`):
//!
//! ```no_run
//! use rsspot::raw::types::{OnDemandNodePool, SpotNodePool};
//! use rsspot::services::{NodePoolKind, PoolRequest, PoolUpdate};
//!
//! /// Scales a pool of either kind and says whether the server holds the new count.
//! async fn scale<K: NodePoolKind>(org: &rsspot::Org<'_>, name: &str, n: u32) -> rsspot::Result<bool> {
//!     let update = K::update_request(PoolUpdate::new().desired(n), None)?;
//!     let pools = org.api::<K>();
//!     pools.update(name, &update).await?;
//!     Ok(pools.verify(name, update.sent()).await?.is_empty())
//! }
//! # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
//! let org = client.org("acme");
//! scale::<SpotNodePool>(&org, "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c", 3).await?;
//! scale::<OnDemandNodePool>(&org, "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13", 2).await?;
//! # Ok(()) }
//! ```
//!
//! # Blocking
//!
//! [`blocking::SpotClient`] has the same services for scripts and synchronous programs; like
//! `reqwest::blocking`, it runs its own runtime on a thread of its own, so it also works inside
//! `spawn_blocking` and on blocking threads of async tests. [`blocking::shared_default`] and
//! [`blocking::initialise`] give a process-wide client.
//!
//! ```no_run
//! let client = rsspot::blocking::SpotClient::from_env()?;
//! let advice = client.pricing().advise("gp.vs1.medium-dfw", rsspot::pricing::advice::Risk::Med)?;
//! println!("bid {}", advice.bid);
//! # Ok::<(), rsspot::Error>(())
//! ```
//!
//! # Profiles
//!
//! [`SpotClient::from_env`] and [`SpotClient::from_profile`] read the same config file as the CLI
//! (`rsspot configure` writes it; [`config`] loads, edits and migrates it), with `RSSPOT_*`
//! environment overrides. [`SpotClient::builder`] sets everything explicitly instead:
//!
//! ```no_run
//! # async fn f() -> rsspot::Result<()> {
//! let client = rsspot::SpotClient::builder()
//!     .refresh_token(std::env::var("SPOT_TOKEN").unwrap_or_default())
//!     .org("my-org")
//!     .region("us-central-dfw-1")
//!     .timeout(std::time::Duration::from_secs(20))
//!     .build()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every failure is one [`Error`]: match on what you can handle, show the rest (its `Display` is a
//! sentence a user can act on, and it never contains a secret).
//!
//! ```no_run
//! # async fn f(client: rsspot::SpotClient) -> rsspot::Result<()> {
//! match client.cloudspaces().get("demo").await {
//!     Ok(cs) => println!("{:?}", cs.status.and_then(|s| s.phase)),
//!     Err(rsspot::Error::NotFound { .. }) => println!("no cloudspace demo"),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```
//!
//! # The emulator in tests
//!
//! With the `emulator` feature, `emulator::Emulator` serves the Spot API on a loopback port,
//! with a seeded organization `demo` whose refresh token is `demo-token`, and a clock you drive:
//!
//! ```
//! # #[cfg(feature = "emulator")]
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> rsspot::Result<()> {
//! use rsspot::SpotClient;
//! use rsspot::emulator::Emulator;
//! use rsspot::services::CloudSpaceCreate;
//!
//! let emu = Emulator::start().await?;
//! let client = SpotClient::builder()
//!     .all_urls(emu.base_url())
//!     .refresh_token("demo-token")
//!     .in_memory_state()
//!     .build()
//!     .await?;
//! let req = CloudSpaceCreate::new("demo").region("us-central-dfw-1");
//! client.cloudspaces().create(&req).await?;
//! emu.advance(std::time::Duration::from_secs(600));
//! let cs = client.cloudspaces().get("demo").await?;
//! assert_eq!(cs.status.and_then(|s| s.phase).unwrap(), "Ready");
//! # Ok(()) }
//! # #[cfg(not(feature = "emulator"))]
//! # fn main() {}
//! ```
//!
//! Runnable programs are in `examples/` (`cargo run --example list-and-price`, ...), all against
//! the emulator. The `rsspot` CLI (feature `cli`) is documented in the README.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod blocking;
pub mod client;
pub mod config;
/// The Spot API emulator (the `rsspot-emulator` crate): serves the API on a loopback port for
/// tests. Its errors convert into [`Error`] with `?`.
#[cfg(feature = "emulator")]
#[doc(inline)]
pub use rsspot_emulator as emulator;
pub mod error;
// Some helpers serve only the bundled binary (through `cli_support`).
pub mod fleet;
#[cfg_attr(not(feature = "cli"), allow(dead_code))]
pub(crate) mod fsutil;
pub mod observe;
pub(crate) mod org;
pub mod pricing;
pub mod raw;
pub mod resource;
/// Retry settings: [`RetryConfig`](retry::RetryConfig) is the config file's `retry` block and
/// what [`SpotClientBuilder::retry`] takes (the engine itself is part of the request pipeline).
pub mod retry {
    pub use crate::config::RetryConfig;
    pub use crate::transport::retry::{MAX_RETRY_AFTER, parse_retry_after};
}
pub mod services;
pub mod state;
mod transport;
// The TLS setup and the token rules live under `client/`; the old crate paths stay for their
// users in `transport/`, `org.rs` and `client/mod.rs`.
pub(crate) use client::{tls, tokens as auth};
pub mod types;
pub mod workflows;

pub use client::{SpotClient, SpotClientBuilder};
pub use error::{ConfigRemedy, ConflictReason, Error, Result, TransportFailure};
pub use org::OrgRef;
/// A bid in USD per node-hour: the type of spot pool specs' `bid_price` and of every request that
/// takes a bid. Also at [`pricing::Bid`].
pub use pricing::Bid;
pub use resource::{Api, Kind, Org, ResourceExt};
pub use transport::auth::RefreshTokenStore;
pub use transport::limits::MAX_RESPONSE_BYTES;
pub use transport::paths::ApiScope;

// Types of other crates that appear in rsspot's public signatures, re-exported so that a user
// needs no dependency of a matching version to call rsspot.

/// A point in time (creation, lease and expiry times). From [`chrono`].
pub use chrono::DateTime;
/// The UTC time zone of every [`DateTime`] rsspot returns. From [`chrono`].
pub use chrono::Utc;
/// An exact decimal amount: bids and prices (`Bid::value`, price rows, advice). From
/// [`rust_decimal`], e.g. `"0.05".parse::<rsspot::Decimal>()`.
pub use rust_decimal::Decimal;
/// Reads the value of a [`SecretString`]. From [`secrecy`].
pub use secrecy::ExposeSecret;
/// A refresh token or password that never shows in `Debug` output. From [`secrecy`]; read it
/// with [`ExposeSecret::expose_secret`].
pub use secrecy::SecretString;
/// A free-form JSON value (`rsspot api` answers, merge patches, unknown fields). From
/// [`serde_json`].
pub use serde_json::Value as JsonValue;

/// The rule every object name obeys where it enters a request path (one path segment: not
/// empty, `.`, `..`, no separator or whitespace), and what names a collection.
pub mod names {
    pub use crate::transport::paths::{is_collection, name_problem};
}

/// Internals the bundled `rsspot` binary shares with the library. Not part of the public API:
/// no semver guarantee, may change in any release.
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli_support {
    pub use crate::client::tokens::{
        EXPIRY_SKEW, decode_claims, identity_of, namespace_for_org_id,
    };
    pub use crate::fsutil::{
        BULK_FILE_MAX, DOCUMENT_MAX, Destination, FileLock, KubeconfigLock, LOCK_TIMEOUT,
        SECRET_FILE_MAX, Written, destination, human_size, read_bounded, read_bounded_text,
        read_if_exists, read_stdin_text, write_private, write_private_with_backup,
    };
    pub use crate::transport::outbound::outbound_client;
}

/// The README's Rust examples run as doc tests too.
#[cfg(all(doctest, feature = "emulator"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
