//! Kubeconfig files: where `--merge` writes, and merging a cloudspace's generated kubeconfig
//! into an existing one (like `doctl kubernetes cluster kubeconfig save` or
//! `aws eks update-kubeconfig`).
//!
//! The merge takes the generated file's current context with its cluster and user, renames all
//! three to the context name (the server's `<org>-<cloudspace>` unless `--context-name`), so
//! that two cloudspaces (or orgs) never overwrite each other's generic `ngpc-user` entry, and
//! replaces or appends them by name. Every other entry and top-level key is left as it was.
//!
//! Writing (`--merge`, `--file`) happens under an advisory lock beside the target, so parallel
//! runs keep every context; the previous content is kept as `<file>.bak` (0600); a symlinked
//! kubeconfig is updated through the link.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use rsspot::Error;
use serde_norway::{Mapping, Value};

/// How to merge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MergeOptions {
    /// Name for the context (and its cluster and user); default: the server's context name.
    pub context_name: Option<String>,
    /// Make the merged context the current one (it also becomes current when none is set).
    pub set_current: bool,
    /// Replace entries of that name even when they belong to another cluster.
    pub force: bool,
}

/// The result of [`merge`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The new kubeconfig text.
    pub text: String,
    /// The context name that was written.
    pub context: String,
    /// Whether an entry with that name existed before (and was replaced).
    pub replaced: bool,
    /// The current context after the merge.
    pub current_context: Option<String>,
}

/// The file `--merge` writes: `--kubeconfig`, else the first path of `$KUBECONFIG`, else
/// `~/.kube/config`.
pub fn target_path(
    explicit: Option<&Path>,
    kubeconfig_env: Option<&OsStr>,
    home: Option<&Path>,
) -> rsspot::Result<PathBuf> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(env) = kubeconfig_env
        && let Some(first) = std::env::split_paths(env).find(|p| !p.as_os_str().is_empty())
    {
        return Ok(first);
    }
    home.map(|h| h.join(".kube").join("config")).ok_or_else(|| {
        Error::config(
            "cannot find the home directory for ~/.kube/config: pass --kubeconfig PATH or set KUBECONFIG",
        )
    })
}

fn key(k: &str) -> Value {
    Value::String(k.to_string())
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Finds the entry called `name` in the list at `list` (`clusters`, `users`, `contexts`).
fn find_named<'a>(doc: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    doc.get(list)?
        .as_sequence()?
        .iter()
        .find(|e| str_field(e, "name") == Some(name))
}

fn invalid_generated(message: &str) -> Error {
    Error::decode(
        "generate-kubeconfig",
        format!("the generated kubeconfig {message}"),
    )
}

/// The parts of a generated kubeconfig that get merged.
struct Parts {
    context_name: String,
    context: Value,
    cluster: Value,
    user: Value,
}

fn parts_of(generated: &str) -> rsspot::Result<Parts> {
    let doc: Value = serde_norway::from_str(generated)
        .map_err(|e| invalid_generated(&format!("is not YAML: {e}")))?;
    let context_name = str_field(&doc, "current-context")
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .or_else(|| {
            doc.get("contexts")
                .and_then(Value::as_sequence)
                .and_then(|s| s.first())
                .and_then(|c| str_field(c, "name"))
                .map(str::to_string)
        })
        .ok_or_else(|| invalid_generated("has no context"))?;
    let context = find_named(&doc, "contexts", &context_name)
        .and_then(|c| c.get("context"))
        .cloned()
        .ok_or_else(|| invalid_generated(&format!("has no context {context_name:?}")))?;
    let cluster_name = str_field(&context, "cluster").unwrap_or_default();
    let user_name = str_field(&context, "user").unwrap_or_default();
    let cluster = find_named(&doc, "clusters", cluster_name)
        .and_then(|c| c.get("cluster"))
        .cloned()
        .ok_or_else(|| invalid_generated(&format!("has no cluster {cluster_name:?}")))?;
    let user = find_named(&doc, "users", user_name)
        .and_then(|u| u.get("user"))
        .cloned()
        .ok_or_else(|| invalid_generated(&format!("has no user {user_name:?}")))?;
    Ok(Parts {
        context_name,
        context,
        cluster,
        user,
    })
}

fn empty_config() -> Value {
    let mut m = Mapping::new();
    m.insert(key("apiVersion"), key("v1"));
    m.insert(key("kind"), key("Config"));
    m.insert(key("preferences"), Value::Mapping(Mapping::new()));
    m.insert(key("clusters"), Value::Sequence(Vec::new()));
    m.insert(key("contexts"), Value::Sequence(Vec::new()));
    m.insert(key("users"), Value::Sequence(Vec::new()));
    Value::Mapping(m)
}

/// Replaces the entry called `name` in `doc[list]` (or appends it); true when it replaced one.
fn upsert(
    doc: &mut Mapping,
    list: &str,
    name: &str,
    field: &str,
    body: Value,
    path_hint: &str,
) -> rsspot::Result<bool> {
    let entry = {
        let mut e = Mapping::new();
        e.insert(key("name"), key(name));
        e.insert(key(field), body);
        Value::Mapping(e)
    };
    let slot = doc
        .entry(key(list))
        .or_insert_with(|| Value::Sequence(Vec::new()));
    if slot.is_null() {
        *slot = Value::Sequence(Vec::new());
    }
    let Some(seq) = slot.as_sequence_mut() else {
        return Err(Error::config(format!(
            "{path_hint}: `{list}` is not a list; fix or move the file before merging"
        )));
    };
    match seq
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
    {
        Some(existing) => {
            *existing = entry;
            Ok(true)
        }
        None => {
            seq.push(entry);
            Ok(false)
        }
    }
}

/// Refuses to replace entries called `name` that belong to another cluster: an existing cluster
/// of that name with another server, or a context or user of that name beside no such cluster
/// (a context the user made by hand, not one a previous merge wrote).
fn refuse_unrelated(
    doc: &Value,
    name: &str,
    cluster: &Value,
    path_hint: &str,
) -> rsspot::Result<()> {
    let server = |c: &Value| c.get("server").and_then(Value::as_str).map(str::to_string);
    let existing_cluster = find_named(doc, "clusters", name).and_then(|c| c.get("cluster"));
    let ours = match existing_cluster {
        Some(c) => server(c) == server(cluster),
        None => {
            find_named(doc, "contexts", name).is_none() && find_named(doc, "users", name).is_none()
        }
    };
    if ours {
        return Ok(());
    }
    Err(Error::invalid(
        "--force",
        format!(
            "{path_hint} already has a context, cluster or user called {name:?} for another \
             cluster; pass --context-name to pick another name, or --force to replace it"
        ),
    ))
}

/// Merges `generated` (the server's kubeconfig) into `existing` (the target file's text, if any).
///
/// `path_hint` names the target in error messages.
pub fn merge(
    existing: Option<&str>,
    generated: &str,
    opts: &MergeOptions,
    path_hint: &str,
) -> rsspot::Result<Merged> {
    let parts = parts_of(generated)?;
    let name = opts
        .context_name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or(parts.context_name);
    let mut doc = match existing.filter(|t| !t.trim().is_empty()) {
        None => empty_config(),
        Some(text) => {
            let v: Value = serde_norway::from_str(text).map_err(|e| {
                Error::config(format!(
                    "{path_hint} is not valid YAML ({e}); it was left untouched"
                ))
            })?;
            match v {
                Value::Mapping(_) => v,
                Value::Null => empty_config(),
                _ => {
                    return Err(Error::config(format!(
                        "{path_hint} is not a kubeconfig (not a YAML mapping); it was left untouched"
                    )));
                }
            }
        }
    };
    if !opts.force {
        refuse_unrelated(&doc, &name, &parts.cluster, path_hint)?;
    }
    let Some(map) = doc.as_mapping_mut() else {
        return Err(Error::config(format!("{path_hint} is not a kubeconfig")));
    };
    let mut context = parts.context;
    if let Some(c) = context.as_mapping_mut() {
        c.insert(key("cluster"), key(&name));
        c.insert(key("user"), key(&name));
    }
    let r1 = upsert(map, "clusters", &name, "cluster", parts.cluster, path_hint)?;
    let r2 = upsert(map, "users", &name, "user", parts.user, path_hint)?;
    let r3 = upsert(map, "contexts", &name, "context", context, path_hint)?;
    let no_current = map
        .get("current-context")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty);
    if opts.set_current || no_current {
        map.insert(key("current-context"), key(&name));
    }
    let current_context = map
        .get("current-context")
        .and_then(Value::as_str)
        .map(str::to_string);
    let text = serde_norway::to_string(&doc)
        .map_err(|e| Error::config(format!("cannot serialize the merged kubeconfig: {e}")))?;
    Ok(Merged {
        text,
        context: name,
        replaced: r1 || r2 || r3,
        current_context,
    })
}

/// The kubeconfig lock's suffix. Not `.lock`: kubectl takes `<file>.lock` by creating it and
/// treats it as held for as long as it exists, so a lock file left there would block kubectl.
const LOCK_SUFFIX: &str = ".rsspot-lock";

/// Merges `generated` into the kubeconfig at `target` under its lock (read, merge and write in
/// one critical section). Returns the merge and the backup written, if any.
pub fn merge_into(
    target: &Path,
    generated: &str,
    opts: &MergeOptions,
) -> rsspot::Result<(Merged, Option<PathBuf>)> {
    let _lock = rsspot::cli_support::FileLock::for_file_with_suffix(target, LOCK_SUFFIX)?;
    let hint = target.display().to_string();
    let previous = read_existing(target)?;
    let existing = previous
        .as_deref()
        .map(|b| {
            std::str::from_utf8(b).map_err(|_| {
                Error::config(format!("{hint} is not UTF-8 text; it was left untouched"))
            })
        })
        .transpose()?;
    let merged = merge(existing, generated, opts, &hint)?;
    let backup = save(target, previous.as_deref(), &merged.text)?;
    Ok((merged, backup))
}

/// Writes `text` to `path` (`--file`) under its lock, keeping an existing file's content as
/// `<path>.bak` (0600). Returns the backup path when one was written.
pub fn write_file(path: &Path, text: &str) -> rsspot::Result<Option<PathBuf>> {
    let _lock = rsspot::cli_support::FileLock::for_file_with_suffix(path, LOCK_SUFFIX)?;
    let previous = read_existing(path)?;
    save(path, previous.as_deref(), text)
}

/// Writes `merged` to `path` atomically (0600), first copying the previous file (if any) to
/// `<path>.bak` (0600). Returns the backup path when one was written.
pub fn save(path: &Path, previous: Option<&[u8]>, merged: &str) -> rsspot::Result<Option<PathBuf>> {
    let backup = match previous {
        Some(bytes) => {
            let mut name = path.as_os_str().to_os_string();
            name.push(".bak");
            let backup = PathBuf::from(name);
            rsspot::cli_support::write_private(&backup, bytes)?;
            Some(backup)
        }
        None => None,
    };
    rsspot::cli_support::write_private(path, merged.as_bytes())?;
    Ok(backup)
}

/// Reads the target file; `None` when it does not exist.
pub fn read_existing(path: &Path) -> rsspot::Result<Option<Vec<u8>>> {
    rsspot::cli_support::read_if_exists(path)
}

#[cfg(test)]
mod tests {
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
        assert_eq!(write_file(&path, "first\n").unwrap(), None);
        let backup = write_file(&path, "second\n").unwrap().unwrap();
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
}
