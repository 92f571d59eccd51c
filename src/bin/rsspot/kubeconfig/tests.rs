//! Unit tests of merging, saving and locking kubeconfigs.

use super::*;

const GENERATED: &str = "apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://hcp-1234.us-central-dfw-1.spot.rackspace.com
  name: demo-dfw
contexts:
- context:
    cluster: demo-dfw
    namespace: default
    user: ngpc-user
  name: demo-demo-dfw
- context:
    cluster: demo-dfw
    namespace: default
    user: oidc
  name: demo-demo-dfw-oidc
current-context: demo-demo-dfw
kind: Config
preferences: {}
users:
- name: ngpc-user
  user:
    token: TOKEN-A
- name: oidc
  user:
    exec:
      command: kubectl
";

const EXISTING: &str = include_str!("../../../../tests/fixtures/kubeconfig-existing.yaml");

fn parse(s: &str) -> Value {
    serde_norway::from_str(s).unwrap()
}

fn names(doc: &Value, list: &str) -> Vec<String> {
    doc[list]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn merge_into_nothing_creates_a_config_with_current_context() {
    let m = merge(None, GENERATED, &MergeOptions::default(), "cfg").unwrap();
    assert_eq!(m.context, "demo-demo-dfw");
    assert!(!m.replaced);
    let doc = parse(&m.text);
    assert_eq!(doc["current-context"], "demo-demo-dfw");
    assert_eq!(doc["kind"], "Config");
    assert_eq!(names(&doc, "contexts"), ["demo-demo-dfw"]);
    assert_eq!(names(&doc, "clusters"), ["demo-demo-dfw"]);
    assert_eq!(names(&doc, "users"), ["demo-demo-dfw"]);
    assert_eq!(doc["users"][0]["user"]["token"], "TOKEN-A");
    let ctx = &doc["contexts"][0]["context"];
    assert_eq!(ctx["cluster"], "demo-demo-dfw");
    assert_eq!(ctx["user"], "demo-demo-dfw");
    assert_eq!(ctx["namespace"], "default");
    assert_eq!(
        doc["clusters"][0]["cluster"]["server"],
        "https://hcp-1234.us-central-dfw-1.spot.rackspace.com"
    );
}

#[test]
fn merge_keeps_other_entries_and_current_context() {
    let m = merge(Some(EXISTING), GENERATED, &MergeOptions::default(), "cfg").unwrap();
    let doc = parse(&m.text);
    assert_eq!(
        names(&doc, "contexts"),
        ["kind-local", "prod", "demo-demo-dfw"]
    );
    assert_eq!(
        names(&doc, "clusters"),
        ["kind-local", "prod", "demo-demo-dfw"]
    );
    assert_eq!(
        names(&doc, "users"),
        ["kind-local", "prod-admin", "demo-demo-dfw"]
    );
    assert_eq!(doc["current-context"], "kind-local");
    assert_eq!(m.current_context.as_deref(), Some("kind-local"));
    let before = parse(EXISTING);
    for list in ["clusters", "contexts", "users"] {
        for i in 0..2 {
            assert_eq!(doc[list][i], before[list][i], "{list}[{i}] changed");
        }
    }
}

#[test]
fn merge_replaces_by_name_and_sets_current_on_request() {
    let first = merge(Some(EXISTING), GENERATED, &MergeOptions::default(), "cfg").unwrap();
    let regenerated = GENERATED.replace("TOKEN-A", "TOKEN-B");
    let opts = MergeOptions {
        set_current: true,
        ..Default::default()
    };
    let second = merge(Some(&first.text), &regenerated, &opts, "cfg").unwrap();
    assert!(second.replaced);
    let doc = parse(&second.text);
    assert_eq!(
        names(&doc, "users"),
        ["kind-local", "prod-admin", "demo-demo-dfw"]
    );
    assert_eq!(doc["users"][2]["user"]["token"], "TOKEN-B");
    assert_eq!(doc["current-context"], "demo-demo-dfw");
}

#[test]
fn context_name_renames_all_three_entries() {
    let opts = MergeOptions {
        context_name: Some("spot-dfw".into()),
        ..Default::default()
    };
    let m = merge(Some(EXISTING), GENERATED, &opts, "cfg").unwrap();
    assert_eq!(m.context, "spot-dfw");
    let doc = parse(&m.text);
    assert_eq!(names(&doc, "contexts")[2], "spot-dfw");
    assert_eq!(names(&doc, "clusters")[2], "spot-dfw");
    assert_eq!(names(&doc, "users")[2], "spot-dfw");
    assert_eq!(doc["contexts"][2]["context"]["user"], "spot-dfw");
}

#[test]
fn two_orgs_do_not_share_the_generic_user() {
    let other = GENERATED
        .replace("demo-demo-dfw", "acme-dev-demo-dfw")
        .replace("TOKEN-A", "TOKEN-ACME");
    let a = merge(None, GENERATED, &MergeOptions::default(), "cfg").unwrap();
    let b = merge(Some(&a.text), &other, &MergeOptions::default(), "cfg").unwrap();
    let doc = parse(&b.text);
    assert_eq!(names(&doc, "users"), ["demo-demo-dfw", "acme-dev-demo-dfw"]);
    assert_eq!(doc["users"][0]["user"]["token"], "TOKEN-A");
    assert_eq!(doc["users"][1]["user"]["token"], "TOKEN-ACME");
}

#[test]
fn an_unrelated_entry_of_the_same_name_needs_force() {
    let opts = MergeOptions {
        context_name: Some("prod".into()),
        ..Default::default()
    };
    let e = merge(Some(EXISTING), GENERATED, &opts, "cfg").unwrap_err();
    assert!(e.to_string().contains("--force"), "{e}");
    // A context made by hand beside no cluster of that name is someone else's too.
    let hand = "contexts:\n- name: demo-demo-dfw\n  context: {cluster: x, user: y}\n";
    assert!(merge(Some(hand), GENERATED, &MergeOptions::default(), "cfg").is_err());
    let forced = MergeOptions {
        force: true,
        ..opts
    };
    let m = merge(Some(EXISTING), GENERATED, &forced, "cfg").unwrap();
    assert!(m.replaced);
    let doc = parse(&m.text);
    assert_eq!(doc["users"][1]["user"]["token"], "PROD");
    assert_eq!(names(&doc, "users"), ["kind-local", "prod-admin", "prod"]);
}

#[test]
fn bad_targets_are_refused() {
    let e = merge(Some("a: [b"), GENERATED, &MergeOptions::default(), "cfg").unwrap_err();
    assert!(e.to_string().contains("not valid YAML"), "{e}");
    let e = merge(
        Some("- a\n- b\n"),
        GENERATED,
        &MergeOptions::default(),
        "cfg",
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a kubeconfig"), "{e}");
    let e = merge(
        Some("contexts: 3\n"),
        GENERATED,
        &MergeOptions::default(),
        "cfg",
    )
    .unwrap_err();
    assert!(e.to_string().contains("not a list"), "{e}");
    let e = merge(None, "kind: Config\n", &MergeOptions::default(), "cfg").unwrap_err();
    assert!(e.to_string().contains("no context"), "{e}");
    // Null lists are fine.
    let m = merge(
        Some("clusters:\nusers: null\n"),
        GENERATED,
        &MergeOptions::default(),
        "c",
    )
    .unwrap();
    assert_eq!(names(&parse(&m.text), "users"), ["demo-demo-dfw"]);
}

#[test]
fn target_path_precedence() {
    let home = Path::new("/home/u");
    assert_eq!(
        target_path(
            Some(Path::new("/x/cfg")),
            Some(OsStr::new("/a:/b")),
            Some(home)
        )
        .unwrap(),
        PathBuf::from("/x/cfg")
    );
    assert_eq!(
        target_path(None, Some(OsStr::new("/a/one:/b/two")), Some(home)).unwrap(),
        PathBuf::from("/a/one")
    );
    assert_eq!(
        target_path(None, Some(OsStr::new("")), Some(home)).unwrap(),
        PathBuf::from("/home/u/.kube/config")
    );
    assert_eq!(
        target_path(None, None, Some(home)).unwrap(),
        PathBuf::from("/home/u/.kube/config")
    );
    assert!(target_path(None, None, None).is_err());
}

#[test]
fn save_writes_backup_and_private_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kube/config");
    assert_eq!(save(&path, None, "a: 1\n").unwrap(), None);
    let backup = save(&path, Some(b"a: 1\n"), "a: 2\n").unwrap().unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a: 2\n");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), "a: 1\n");
    assert_eq!(backup, dir.path().join("kube/config.bak"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for p in [&path, &backup] {
            let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
    }
    assert_eq!(read_existing(&dir.path().join("nope")).unwrap(), None);
    assert_eq!(read_existing(&path).unwrap().unwrap(), b"a: 2\n");
}

#[test]
fn write_file_backs_up_an_existing_file_and_leaves_kubectl_lock_free() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cfg");
    assert_eq!(write_file(&path, "first\n").unwrap().backup, None);
    let backup = write_file(&path, "second\n").unwrap().backup.unwrap();
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), "first\n");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "second\n");
    // kubectl's own lock name stays free.
    assert!(!dir.path().join("cfg.lock").exists());
}

#[test]
fn parallel_merges_keep_every_context() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kube/config");
    let threads: Vec<_> = (0..12)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let opts = MergeOptions {
                    context_name: Some(format!("ctx-{i}")),
                    ..Default::default()
                };
                merge_into(&path, GENERATED, &opts).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let doc = parse(&std::fs::read_to_string(&path).unwrap());
    let mut got = names(&doc, "contexts");
    got.sort();
    let mut want: Vec<String> = (0..12).map(|i| format!("ctx-{i}")).collect();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn a_lock_left_by_a_killed_kubectl_fails_after_the_bound_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let lock = dir.path().join("config.lock");
    std::fs::write(&lock, "").unwrap();
    let started = std::time::Instant::now();
    let e = merge_into_within(
        &path,
        GENERATED,
        &MergeOptions::default(),
        Duration::from_millis(300),
    )
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    let text = e.to_string();
    assert!(e.is_timeout(), "{text}");
    assert!(
        text.contains(&format!("remove {}", lock.display())),
        "{text}"
    );
    assert!(!path.exists(), "nothing was written without the lock");
    std::fs::remove_file(&lock).unwrap();
    merge_into(&path, GENERATED, &MergeOptions::default()).unwrap();
    // Only the kubeconfig: no lock file, no temp file, no backup for a new file.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["config"]);
}

#[test]
fn merging_into_dev_null_writes_through_it() {
    let (merged, backup) =
        merge_into(Path::new("/dev/null"), GENERATED, &MergeOptions::default()).unwrap();
    assert_eq!(backup, None);
    assert_eq!(merged.context, "demo-demo-dfw");
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let kind = std::fs::metadata("/dev/null").unwrap().file_type();
        assert!(kind.is_char_device());
    }
    for sibling in ["/dev/null.bak", "/dev/null.lock", "/dev/null.rsspot-lock"] {
        assert!(!Path::new(sibling).exists(), "{sibling}");
    }
}
