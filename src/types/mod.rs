//! Hand-written models for API kinds that are not in the public OpenAPI document.

pub mod inventory;
