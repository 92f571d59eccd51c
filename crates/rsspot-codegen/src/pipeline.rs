//! The whole pipeline: normalise the spec, build the operation table, render the bindings.

use serde_json::Value;

use crate::normalize::normalize;
use crate::ops::{operations, render_ops};
use crate::render::generate_sdk;

/// Everything generated from one spec.
pub struct Generated {
    /// The progenitor bindings.
    pub sdk: String,
    /// The operation table.
    pub ops: String,
    /// The effective (normalised) spec, pretty JSON.
    pub normalized: String,
}

/// Normalises `upstream`, merges `supplement` and generates all outputs.
pub fn generate(upstream: &Value, supplement: &Value) -> Result<Generated, String> {
    let normalized = normalize(upstream, supplement)?;
    let rows = operations(&normalized)?;
    let sdk = generate_sdk(&normalized)?;
    // The hooks find an operation by the id progenitor passes them; make sure the names agree.
    for r in &rows {
        if !sdk.contains(&format!("operation_id: \"{}\"", r.id)) {
            return Err(format!(
                "generated code has no operation `{}` (from {})",
                r.id, r.spec_id
            ));
        }
    }
    Ok(Generated {
        sdk,
        ops: render_ops(&rows),
        normalized: format!(
            "{}\n",
            serde_json::to_string_pretty(&normalized).map_err(|e| e.to_string())?
        ),
    })
}
