//! `cloudspaces delete` removes the kubeconfig contexts, clusters and users rsspot wrote for
//! the cloudspace (only those, under kubectl's lock, nothing left beside the file), or keeps
//! them with `--keep-kubeconfig`; checked with the real `kubectl` (as `tests/kubectl.rs`).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rsspot::emulator::{EmulatorOptions, Lifecycle};

fn kubectl_on_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|d| d.join("kubectl"))
        .find(|p| p.is_file())
        .expect("kubectl is not on the PATH: install Debian's kubernetes-client (.ci/run does)")
}

/// `kubectl ARGS` on `kubeconfig`; stdout.
fn kubectl(env: &common::Env, kubeconfig: &Path, args: &[&str]) -> String {
    let out = Command::new(kubectl_on_path())
        .args(args)
        .env_clear()
        .env("HOME", env.home())
        .env("KUBECONFIG", kubeconfig)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        common::stderr_of(&out)
    );
    common::stdout_of(&out)
}

fn contexts(env: &common::Env, kubeconfig: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        kubectl(env, kubeconfig, &["config", "get-contexts", "-o", "name"])
            .lines()
            .map(str::to_string)
            .collect();
    names.sort();
    names
}

const MINE: &str = "apiVersion: v1
kind: Config
clusters:
- name: mine
  cluster:
    server: https://my.cluster.example
contexts:
- name: mine
  context:
    cluster: mine
    user: mine
current-context: mine
users:
- name: mine
  user:
    token: my-own-token
";

#[tokio::test(flavor = "multi_thread")]
async fn delete_removes_only_the_contexts_rsspot_wrote_for_it() {
    let env = common::Env::start_with(EmulatorOptions {
        cluster_endpoints: true,
        lifecycle: Lifecycle::instant(),
        ..EmulatorOptions::default()
    })
    .await;
    let kube_dir = env.home().join(".kube");
    std::fs::create_dir_all(&kube_dir).unwrap();
    let config = kube_dir.join("config");
    std::fs::write(&config, MINE).unwrap();
    for cs in ["alpha", "beta", "gamma"] {
        env.ok(&["cs", "create", cs, "--region", "us-central-dfw-1", "--wait"]);
        env.ok(&["cs", "kubeconfig", cs, "--merge"]);
    }
    let before = contexts(&env, &config);
    assert_eq!(before.len(), 4, "{before:?}");
    let of = |cs: &str| -> String {
        before
            .iter()
            .find(|c| c.ends_with(cs))
            .cloned()
            .unwrap_or_else(|| panic!("no context for {cs}: {before:?}"))
    };
    let (alpha, beta, gamma) = (of("alpha"), of("beta"), of("gamma"));
    // kubectl rewrites the file (the markers must survive it).
    kubectl(&env, &config, &["config", "use-context", &alpha]);

    let (_, err) = env.ok(&["cs", "delete", "alpha", "--yes"]);
    assert!(err.contains(&format!("removed context {alpha}")), "{err}");
    assert!(err.contains("none is set now"), "{err}");
    let mut want = vec!["mine".to_string(), beta.clone(), gamma.clone()];
    want.sort();
    assert_eq!(contexts(&env, &config), want);
    let view = kubectl(&env, &config, &["config", "view", "-o", "json"]);
    let view: serde_json::Value = serde_json::from_str(&view).unwrap();
    for list in ["clusters", "users"] {
        let names: Vec<&str> = view[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert!(!names.contains(&alpha.as_str()), "{list}: {names:?}");
        assert!(
            names.contains(&"mine") && names.contains(&beta.as_str()),
            "{names:?}"
        );
    }

    // --keep-kubeconfig keeps them.
    let (_, err) = env.ok(&["cs", "delete", "beta", "--yes", "--keep-kubeconfig"]);
    assert!(!err.contains("removed context"), "{err}");
    assert!(contexts(&env, &config).contains(&beta));

    env.ok(&["cs", "delete", "gamma", "--yes"]);
    assert!(!contexts(&env, &config).contains(&gamma));
    assert!(contexts(&env, &config).contains(&"mine".to_string()));

    // kubectl's lock is gone; only the file and its backups are in the directory.
    let files: Vec<String> = std::fs::read_dir(&kube_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        files
            .iter()
            .all(|f| f == "config" || f.starts_with("config.bak")),
        "{files:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn entries_written_with_file_are_marked_and_a_get_config_file_is_cleaned() {
    let env = common::Env::start_with(EmulatorOptions {
        cluster_endpoints: true,
        lifecycle: Lifecycle::instant(),
        ..EmulatorOptions::default()
    })
    .await;
    env.ok(&[
        "cs",
        "create",
        "delta",
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
    env.ok(&["cs", "get-config", "delta"]);
    let file = env.home().join(".kube/delta.yaml");
    assert!(!contexts(&env, &file).is_empty());
    env.ok(&["cs", "delete", "delta", "--yes"]);
    assert!(contexts(&env, &file).is_empty());
}
