//! `cloudspaces kubeconfig`: printed, written to a private file, merged into an existing
//! kubeconfig (with a backup), and refused for a cloudspace that is not ready.

use super::{common, ok};

/// A multi-context kubeconfig that merges must leave intact (shared with the unit tests).
const EXISTING_KUBECONFIG: &str = include_str!("../fixtures/kubeconfig-existing.yaml");

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_print_file_and_merge() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &[
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
    );

    // Printed as YAML even when piped (the JSON default does not apply to a kubeconfig).
    let (yaml, err) = ok(&env, &["cs", "kubeconfig", "demo-dfw"]);
    assert!(yaml.contains("current-context: demo-demo-dfw"), "{yaml}");
    common::assert_no_secret(&err);
    assert!(!yaml.contains("demo-token"));
    let (json, _) = ok(&env, &["cs", "kubeconfig", "demo-dfw", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["current-context"], "demo-demo-dfw");

    // --file: 0600, nothing secret on stdout/stderr (`get-config` is spotctl's own command
    // now, with --file a directory: see tests/cli_cloudspace_create.rs).
    let file = env.home().join("out/demo.yaml");
    let (out, err) = ok(
        &env,
        &[
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("0600"), "{err}");
    common::assert_no_secret(&err);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("current-context: demo-demo-dfw"));
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    // --merge into $KUBECONFIG (first path) with other contexts: they stay.
    let kube = env.home().join("kube/config");
    std::fs::create_dir_all(kube.parent().unwrap()).unwrap();
    std::fs::write(&kube, EXISTING_KUBECONFIG).unwrap();
    let kubeconfig_env = format!("{}:{}", kube.display(), env.home().join("other").display());
    let out = env
        .cmd()
        .env("KUBECONFIG", &kubeconfig_env)
        .args(["cs", "kubeconfig", "demo-dfw", "--merge"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert!(out.stdout.is_empty());
    let err = common::stderr_of(&out);
    common::assert_no_secret(&err);
    assert!(err.contains("added context demo-demo-dfw"), "{err}");
    let merged: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&kube).unwrap()).unwrap();
    let names = |list: &str| -> Vec<String> {
        merged[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("contexts"), ["kind-local", "prod", "demo-demo-dfw"]);
    assert_eq!(names("clusters"), ["kind-local", "prod", "demo-demo-dfw"]);
    assert_eq!(
        names("users"),
        ["kind-local", "prod-admin", "demo-demo-dfw"]
    );
    assert_eq!(merged["users"][1]["user"]["token"], "PROD");
    assert_eq!(merged["current-context"], "kind-local");
    let backup = env.home().join("kube/config.bak");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        EXISTING_KUBECONFIG
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&kube), 0o600);
        assert_eq!(mode(&backup), 0o600);
    }

    // Again with --kubeconfig, a context name and --set-current: replaced, not duplicated.
    let (_, err) = ok(
        &env,
        &[
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--merge",
            "--kubeconfig",
            kube.to_str().unwrap(),
            "--context-name",
            "spot-dfw",
            "--set-current",
        ],
    );
    assert!(err.contains("current context is now spot-dfw"), "{err}");
    let (_, err) = ok(
        &env,
        &[
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--merge",
            "--kubeconfig",
            kube.to_str().unwrap(),
            "--context-name",
            "spot-dfw",
        ],
    );
    assert!(err.contains("updated context spot-dfw"), "{err}");
    let merged: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&kube).unwrap()).unwrap();
    let contexts: Vec<&str> = merged["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        contexts,
        ["kind-local", "prod", "demo-demo-dfw", "spot-dfw"]
    );
    assert_eq!(merged["current-context"], "spot-dfw");

    // ~/.kube/config when nothing else is given: created 0600 with the context current.
    ok(&env, &["cs", "kubeconfig", "demo-dfw", "--merge"]);
    let home_cfg = env.home().join(".kube/config");
    let v: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&home_cfg).unwrap()).unwrap();
    assert_eq!(v["current-context"], "demo-demo-dfw");
    #[cfg(unix)]
    assert_eq!(mode(&home_cfg), 0o600);

    // A broken target is left untouched.
    std::fs::write(&kube, "clusters: [oops").unwrap();
    let out = env.run(&[
        "cs",
        "kubeconfig",
        "demo-dfw",
        "--merge",
        "--kubeconfig",
        kube.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert_eq!(std::fs::read_to_string(&kube).unwrap(), "clusters: [oops");

    // Flags that only make sense with --merge.
    let out = env.run(&["cs", "kubeconfig", "demo-dfw", "--set-current"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_of_a_cloudspace_that_is_not_ready_fails() {
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let out = env.run(&["cs", "kubeconfig", "slow"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("not ready"), "{err}");
    common::assert_no_secret(&err);
    assert!(out.stdout.is_empty());
}
