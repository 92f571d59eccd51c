//! `rsspot version`: the crate version, the vendored API contract and the commit built from.

use anyhow::Result;
use serde::Serialize;
use serde_json::Value;

use crate::ctx::Ctx;

const SPEC: &str = include_str!("../../../../openapi/spot.json");
const SPEC_METADATA: &str = include_str!("../../../../openapi/metadata.json");

/// What `rsspot version` prints.
#[derive(Debug, Serialize, PartialEq)]
pub struct VersionInfo {
    /// Crate version.
    pub version: &'static str,
    /// `info.version` of the vendored OpenAPI spec.
    pub api_version: String,
    /// sha256 of the upstream spec bytes (openapi/metadata.json).
    pub spec_sha256: String,
    /// Operations in the spec.
    pub operation_count: Option<u64>,
    /// Commit the binary was built from (`RSSPOT_GIT_COMMIT` at build time).
    pub git_commit: &'static str,
}

pub fn version_info() -> VersionInfo {
    #[derive(serde::Deserialize)]
    struct Spec {
        info: Info,
    }
    #[derive(serde::Deserialize)]
    struct Info {
        version: String,
    }
    let api_version = serde_json::from_str::<Spec>(SPEC)
        .map(|s| s.info.version)
        .unwrap_or_else(|_| "unknown".into());
    let meta: Value = serde_json::from_str(SPEC_METADATA).unwrap_or(Value::Null);
    VersionInfo {
        version: env!("CARGO_PKG_VERSION"),
        api_version,
        spec_sha256: meta["sha256"].as_str().unwrap_or("unknown").to_string(),
        operation_count: meta["operation_count"].as_u64(),
        git_commit: option_env!("RSSPOT_GIT_COMMIT")
            .filter(|c| !c.is_empty())
            .unwrap_or("unknown"),
    }
}

pub fn version(ctx: &Ctx) -> Result<()> {
    let v = version_info();
    if ctx.out.is_table() {
        return ctx.out.fields(&[
            ("rsspot", v.version.to_string()),
            ("API version", v.api_version.clone()),
            ("spec sha256", v.spec_sha256.clone()),
            (
                "operations",
                v.operation_count.map_or("-".into(), |n| n.to_string()),
            ),
            ("git commit", v.git_commit.to_string()),
        ]);
    }
    match ctx.out.format {
        crate::cli::OutputFormat::Name => ctx.out.text(v.version),
        _ => ctx.out.data(&v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_info_comes_from_the_vendored_spec() {
        let v = version_info();
        assert_eq!(v.version, env!("CARGO_PKG_VERSION"));
        let spec: Value = serde_json::from_str(SPEC).unwrap();
        assert_eq!(v.api_version, spec["info"]["version"].as_str().unwrap());
        assert_eq!(v.spec_sha256.len(), 64);
        assert!(v.spec_sha256.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(v.operation_count, Some(28));
    }
}
