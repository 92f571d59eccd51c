//! The one place that knows how the raw bindings are generated.
//!
//! Used by the `rsspot` SDK's build script (compilation) and by `xtask` (`cargo xtask codegen`
//! writes the `generated/` mirror). Jobs, one module each:
//! - [`normalize`](normalize::normalize) applies, in memory, the fixes the upstream spec needs
//!   before progenitor 0.14 can generate a correct client, then merges the contract supplement
//!   ([`supplement`]); every fix and the merge check their preconditions and fail loudly when
//!   upstream changes shape, so a spec update can never silently produce a wrong client;
//! - [`ops`] builds the operation table (host, auth, idempotency, cache class and
//!   [`action`](action::action) per operation);
//! - [`model_types`] declares the model's real field types (counts, bids, money, fields always
//!   present, unknown keys kept), applied to the spec progenitor sees;
//! - [`defaults`] gives the types that keep unknown keys a `Default` with the schema's defaults;
//! - [`model_docs`] documents every model type and field in our own words (the generated docs);
//! - [`render`] runs progenitor and renders the bindings with `prettyplease`, which is
//!   deterministic, so `generated/` can be compared byte for byte with what `build.rs` produces;
//! - [`spec`] holds what every pass shares (HTTP methods, extension keys, the failure wording).
//!
//! [`digest`] (the fingerprint of the contract files) is always built; everything else needs the
//! `generate` feature, so a build of the SDK from its committed `generated/` mirror compiles no
//! progenitor.

pub mod digest;

#[cfg(feature = "generate")]
pub mod action;
#[cfg(feature = "generate")]
pub mod defaults;
#[cfg(feature = "generate")]
pub mod model_docs;
#[cfg(feature = "generate")]
pub mod model_types;
#[cfg(feature = "generate")]
pub mod normalize;
#[cfg(feature = "generate")]
pub mod ops;
#[cfg(feature = "generate")]
mod pipeline;
#[cfg(feature = "generate")]
pub mod render;
#[cfg(feature = "generate")]
pub mod schema_fixes;
#[cfg(feature = "generate")]
pub mod spec;
#[cfg(feature = "generate")]
pub mod supplement;

#[cfg(all(test, feature = "generate"))]
mod tests;

#[cfg(feature = "generate")]
pub use action::Action;
#[cfg(feature = "generate")]
pub use normalize::normalize;
#[cfg(feature = "generate")]
pub use ops::{HostKind, OpRow, operations, render_ops, snake_case};
#[cfg(feature = "generate")]
pub use pipeline::{Generated, generate};
#[cfg(feature = "generate")]
pub use render::generate_sdk;
