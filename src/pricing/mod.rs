//! Pricing: price parsing, bid rules and advice, the cluster cost planner.
//!
//! Everything here is pure: the SDK fetches the server classes and the public documents, and
//! calls these functions; the CLI renders their output structs.
//!
//! - [`money`]: tolerant price/memory parsing.
//! - [`docs`]: the public documents (`percentiles.json`, `comparable_prices.json`, history).
//! - [`view`]: the price table (`pricing list`), filters and sorting.
//! - [`advice`]: bid advice and the local bid validator.
//! - [`plan`]: the cluster cost planner (`pricing build`).
//! - [`rules`]: the server's bid rules, as data.
//! - [`class`]: what is known about one server class ([`class::ClassInput`]).
//! - [`bid`]: the [`Bid`] newtype (parsed once, typed to the wire).
//! - [`guard`]: spending guardrails (concerns the caller confirms).

pub mod advice;
pub mod autopilot;
pub mod bid;
pub mod class;
pub mod docs;
pub mod guard;
pub mod money;
pub mod plan;
pub mod rules;
pub mod view;

pub use bid::Bid;
