//! `cargo xtask sync-openapi` end to end, on copies of the upstream document (no network).

use std::path::Path;
use std::process::Command;

fn upstream() -> Option<std::path::PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/upstream/spot-public-api.json");
    p.exists().then_some(p)
}

fn xtask(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run xtask")
}

#[test]
fn committed_contract_matches_upstream_and_a_retyped_field_is_reported() {
    let Some(upstream) = upstream() else {
        eprintln!("shared/upstream is not present; skipping");
        return;
    };
    let ok = xtask(&[
        "sync-openapi",
        "--from",
        upstream.to_str().unwrap(),
        "--check",
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    // The contract supplement is reported on its own line, never counted as upstream's.
    let report = String::from_utf8_lossy(&ok.stdout);
    assert!(report.contains("(28 operations)"), "{report}");
    assert!(
        report.contains(
            "openapi/spot-extensions.json (contract supplement, not upstream): 21 operations"
        ),
        "{report}"
    );
    let meta: serde_json::Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/metadata.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(meta["operation_count"], 28);
    assert_eq!(meta["supplement"]["file"], "openapi/spot-extensions.json");
    assert_eq!(meta["supplement"]["operation_count"], 21);
    let supplement_bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/spot-extensions.json"))
            .unwrap();
    use sha2::Digest;
    assert_eq!(
        meta["supplement"]["sha256"],
        hex::encode(sha2::Sha256::digest(&supplement_bytes))
    );

    // Retype one field in a copy: --check must fail and name it; nothing is written.
    // (Control characters are folded to spaces so serde_json can read the copy.)
    let text: String = std::fs::read_to_string(&upstream)
        .unwrap()
        .chars()
        .map(|c| if (c as u32) < 0x20 { ' ' } else { c })
        .collect();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["components"]["schemas"]["io.rxt.ngpc.v1.SpotNodePool"]["properties"]["status"]["properties"]
        ["wonCount"]["type"] = "string".into();
    let changed = serde_json::to_string(&v).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("spot.json");
    std::fs::write(&copy, changed).unwrap();
    let before =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/spot.json")).unwrap();
    let bad = xtask(&["sync-openapi", "--from", copy.to_str().unwrap(), "--check"]);
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("wonCount"), "{err}");
    assert!(err.contains("spotnodepools"), "{err}");
    let after =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/spot.json")).unwrap();
    assert_eq!(before, after);
}

/// When upstream starts to publish a path the supplement declares, the sync refuses (and writes
/// nothing) with a message telling to drop it from the supplement.
#[test]
fn upstream_publishing_a_supplement_path_fails_loudly() {
    let Some(upstream) = upstream() else {
        eprintln!("shared/upstream is not present; skipping");
        return;
    };
    let text: String = std::fs::read_to_string(&upstream)
        .unwrap()
        .chars()
        .map(|c| if (c as u32) < 0x20 { ' ' } else { c })
        .collect();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["paths"]["/apis/ngpc.rxt.io/v1/namespaces/{namespace}/vmsshkeys/{name}"] = serde_json::json!({
        "get": {"operationId": "readNgpcRxtIoV1NamespacedVMSSHKey", "responses": {"200": {"description": "ok"}}}
    });
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("spot.json");
    std::fs::write(&copy, serde_json::to_string(&v).unwrap()).unwrap();
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/spot.json");
    let before = std::fs::read(&spec).unwrap();
    let out = xtask(&["sync-openapi", "--from", copy.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("openapi/spot-extensions.json")
            && err.contains("upstream now declares GET /apis/ngpc.rxt.io/v1/namespaces/{namespace}/vmsshkeys/{name}")
            && err.contains("drop it from the supplement"),
        "{err}"
    );
    assert_eq!(before, std::fs::read(&spec).unwrap());
}

#[test]
fn bad_sources_fail_with_one_line_and_touch_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("html.json", "<html>proxy error</html>", "not JSON"),
        (
            "swagger.json",
            r#"{"swagger": "2.0", "paths": {"/a": {}}}"#,
            "not an OpenAPI document",
        ),
        (
            "v31.json",
            r#"{"openapi": "3.1.0", "paths": {"/a": {}}}"#,
            "3.1.0",
        ),
        (
            "nopaths.json",
            r#"{"openapi": "3.0.2", "paths": {}}"#,
            "no paths",
        ),
    ];
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi/spot.json");
    let before = std::fs::read(&spec).unwrap();
    for (name, body, expect) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        let out = xtask(&["sync-openapi", "--from", p.to_str().unwrap()]);
        assert!(!out.status.success(), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
    }
    let missing = xtask(&["sync-openapi", "--from", "/nonexistent/spot.json"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
    assert_eq!(before, std::fs::read(&spec).unwrap());
}
