//! Which kubeconfig entries are rsspot's, and removing them when their cloudspace goes.
//!
//! Every context, cluster and user rsspot writes (`cloudspaces kubeconfig --merge/--file`,
//! `get-config`) carries a named extension, as minikube marks its own (`extensions:` is part of
//! kubeconfig's v1 format and kubectl keeps it when it rewrites the file):
//!
//! ```yaml
//! extensions:
//! - name: rsspot
//!   extension: {provider: rsspot, cloudspace: demo, org: org-abc}
//! ```
//!
//! `cloudspaces delete` then removes exactly the entries marked for that cloudspace of that
//! organization, under kubectl's lock; entries the user made, or rsspot made for another
//! cloudspace, stay as they were.

use std::path::{Path, PathBuf};

use rsspot::Error;
use serde_norway::{Mapping, Value};

/// The extension's name (and `provider`).
pub const EXTENSION: &str = "rsspot";

/// Whose entries: one cloudspace of one organization (its namespace, `org-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The cloudspace's name.
    pub cloudspace: String,
    /// The organization's namespace.
    pub org: String,
}

/// What [`remove`] took out of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Removed {
    /// The new text of the file.
    pub text: String,
    /// Names of the contexts removed.
    pub contexts: Vec<String>,
    /// How many clusters and users were removed.
    pub others: usize,
    /// Whether the current context was one of them (it is unset then).
    pub was_current: bool,
}

const LISTS: [(&str, &str); 3] = [
    ("contexts", "context"),
    ("clusters", "cluster"),
    ("users", "user"),
];

fn key(k: &str) -> Value {
    Value::String(k.to_string())
}

fn marker(owner: &Owner) -> Value {
    let mut ext = Mapping::new();
    ext.insert(key("provider"), key(EXTENSION));
    ext.insert(key("cloudspace"), key(&owner.cloudspace));
    ext.insert(key("org"), key(&owner.org));
    let mut named = Mapping::new();
    named.insert(key("name"), key(EXTENSION));
    named.insert(key("extension"), Value::Mapping(ext));
    Value::Mapping(named)
}

/// Whether the body (`context:`, `cluster:` or `user:` of an entry) is marked for `owner`.
fn marked_for(body: &Value, owner: &Owner) -> bool {
    body.get("extensions")
        .and_then(Value::as_sequence)
        .is_some_and(|exts| {
            exts.iter().any(|e| {
                let ext = e.get("extension");
                let field = |k: &str| ext.and_then(|x| x.get(k)).and_then(Value::as_str);
                e.get("name").and_then(Value::as_str) == Some(EXTENSION)
                    && field("cloudspace") == Some(owner.cloudspace.as_str())
                    && field("org") == Some(owner.org.as_str())
            })
        })
}

/// `text` (a kubeconfig) with every context, cluster and user marked as written by rsspot for
/// `owner`.
pub fn mark(text: &str, owner: &Owner) -> rsspot::Result<String> {
    let bad = |m: String| Error::decode("generate-kubeconfig", m);
    let mut doc: Value = serde_norway::from_str(text)
        .map_err(|e| bad(format!("the generated kubeconfig is not YAML: {e}")))?;
    for (list, field) in LISTS {
        let Some(seq) = doc.get_mut(list).and_then(Value::as_sequence_mut) else {
            continue;
        };
        for entry in seq {
            let Some(body) = entry.get_mut(field).and_then(Value::as_mapping_mut) else {
                continue;
            };
            let slot = body
                .entry(key("extensions"))
                .or_insert_with(|| Value::Sequence(Vec::new()));
            if let Some(exts) = slot.as_sequence_mut() {
                exts.retain(|e| e.get("name").and_then(Value::as_str) != Some(EXTENSION));
                exts.push(marker(owner));
            }
        }
    }
    serde_norway::to_string(&doc).map_err(|e| bad(format!("cannot serialize the kubeconfig: {e}")))
}

/// Removes the entries of `text` marked for `owner`; `None` when there are none (or the text is
/// not a kubeconfig: it is left alone then).
pub fn remove(text: &str, owner: &Owner) -> Option<Removed> {
    let mut doc: Value = serde_norway::from_str(text).ok()?;
    let map = doc.as_mapping_mut()?;
    let mut removed = Removed::default();
    for (list, field) in LISTS {
        let Some(seq) = map.get_mut(list).and_then(Value::as_sequence_mut) else {
            continue;
        };
        let before = seq.len();
        let mut names = Vec::new();
        seq.retain(|e| {
            let ours = e.get(field).is_some_and(|b| marked_for(b, owner));
            if ours && list == "contexts" {
                names.extend(e.get("name").and_then(Value::as_str).map(str::to_string));
            }
            !ours
        });
        if list == "contexts" {
            removed.contexts = names;
        } else {
            removed.others += before - seq.len();
        }
    }
    if removed.contexts.is_empty() && removed.others == 0 {
        return None;
    }
    let current = map.get("current-context").and_then(Value::as_str);
    if current.is_some_and(|c| removed.contexts.iter().any(|r| r == c)) {
        removed.was_current = true;
        map.insert(key("current-context"), key(""));
    }
    removed.text = serde_norway::to_string(&doc).ok()?;
    Some(removed)
}

/// Removes the entries marked for `owner` from the kubeconfig at `path`, under kubectl's lock
/// (nothing is left beside the file but the usual numbered backup). `None` when the file does
/// not exist or holds none of them.
pub fn remove_from(
    path: &Path,
    owner: &Owner,
) -> rsspot::Result<Option<(Removed, Option<PathBuf>)>> {
    if !path.is_file() {
        return Ok(None);
    }
    let _lock =
        rsspot::cli_support::KubeconfigLock::acquire(path, rsspot::cli_support::LOCK_TIMEOUT)?;
    let Some(previous) = super::read_existing(path)? else {
        return Ok(None);
    };
    let Ok(text) = std::str::from_utf8(&previous) else {
        return Ok(None);
    };
    let Some(removed) = remove(text, owner) else {
        return Ok(None);
    };
    let backup = super::save(path, Some(&previous), &removed.text)?;
    Ok(Some((removed, backup)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MERGED: &str = "apiVersion: v1
kind: Config
current-context: acme-demo
clusters:
- name: mine
  cluster: {server: 'https://my.cluster'}
contexts:
- name: mine
  context: {cluster: mine, user: mine}
users:
- name: mine
  user: {token: x}
";

    fn owner(cs: &str) -> Owner {
        Owner {
            cloudspace: cs.into(),
            org: "org-x".into(),
        }
    }

    fn generated(name: &str) -> String {
        format!(
            "apiVersion: v1
kind: Config
current-context: acme-{name}
clusters:
- name: {name}
  cluster: {{server: 'https://h/{name}'}}
contexts:
- name: acme-{name}
  context: {{cluster: {name}, user: u}}
users:
- name: u
  user: {{token: t}}
"
        )
    }

    #[test]
    fn only_the_entries_marked_for_the_cloudspace_go() {
        let mut text = MERGED.to_string();
        for cs in ["demo", "other"] {
            let marked = mark(&generated(cs), &owner(cs)).unwrap();
            text = super::super::merge(
                Some(&text),
                &marked,
                &super::super::MergeOptions::default(),
                "cfg",
            )
            .unwrap()
            .text;
        }
        let removed = remove(&text, &owner("demo")).unwrap();
        assert_eq!(removed.contexts, ["acme-demo"]);
        assert_eq!(removed.others, 2);
        assert!(removed.was_current);
        let doc: Value = serde_norway::from_str(&removed.text).unwrap();
        let names = |list: &str| -> Vec<String> {
            doc[list]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names("contexts"), ["mine", "acme-other"]);
        assert_eq!(names("clusters"), ["mine", "acme-other"]);
        assert_eq!(names("users"), ["mine", "acme-other"]);
        assert_eq!(doc["current-context"], "");
        // Another org's cloudspace of the same name is not ours to remove.
        let other_org = Owner {
            cloudspace: "other".into(),
            org: "org-y".into(),
        };
        assert_eq!(remove(&removed.text, &other_org), None);
        assert_eq!(remove(MERGED, &owner("demo")), None);
        assert_eq!(remove("not: [a, kubeconfig", &owner("demo")), None);
    }

    #[test]
    fn marking_twice_keeps_one_marker() {
        let once = mark(&generated("demo"), &owner("demo")).unwrap();
        let twice = mark(&once, &owner("demo")).unwrap();
        assert_eq!(once, twice);
        assert_eq!(twice.matches("provider: rsspot").count(), 3);
    }

    #[test]
    fn removing_from_a_file_leaves_no_lock_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        let marked = mark(&generated("demo"), &owner("demo")).unwrap();
        std::fs::write(&path, &marked).unwrap();
        let (removed, backup) = remove_from(&path, &owner("demo")).unwrap().unwrap();
        assert_eq!(removed.contexts, ["acme-demo"]);
        assert!(!dir.path().join("config.lock").exists());
        assert_eq!(std::fs::read_to_string(backup.unwrap()).unwrap(), marked);
        assert_eq!(remove_from(&path, &owner("demo")).unwrap(), None);
        assert_eq!(
            remove_from(&dir.path().join("none"), &owner("demo")).unwrap(),
            None
        );
    }
}
