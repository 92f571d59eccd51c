//! Pricing: price parsing, bid rules and advice, the cluster cost planner.

pub mod rules;
