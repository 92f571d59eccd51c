//! Generates the raw bindings from `openapi/spot.json` into `OUT_DIR` (see `codegen/`).

#[path = "codegen/mod.rs"]
mod codegen;

use std::path::PathBuf;

fn main() {
    for f in [
        "openapi/spot.json",
        "codegen/mod.rs",
        "codegen/sync.rs",
        "build.rs",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    // The commit `rsspot version` reports; absent outside a git checkout.
    println!("cargo:rerun-if-changed=.git/HEAD");
    if let Ok(o) = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        && o.status.success()
    {
        println!(
            "cargo:rustc-env=RSSPOT_GIT_COMMIT={}",
            String::from_utf8_lossy(&o.stdout).trim()
        );
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let text = std::fs::read_to_string("openapi/spot.json").expect("read openapi/spot.json");
    let spec: serde_json::Value = serde_json::from_str(&text)
        .expect("openapi/spot.json is strict JSON (run `cargo xtask sync-openapi`)");
    let generated = match codegen::generate(&spec) {
        Ok(g) => g,
        Err(e) => panic!("codegen failed: {e}"),
    };
    std::fs::write(out.join("sdk.rs"), generated.sdk).expect("write sdk.rs");
    std::fs::write(out.join("ops.rs"), generated.ops).expect("write ops.rs");
    std::fs::write(out.join("spot.normalized.json"), generated.normalized)
        .expect("write normalized spec");
}
