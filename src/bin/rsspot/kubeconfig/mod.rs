//! Kubeconfig files: where `--merge` writes, and merging a cloudspace's generated kubeconfig
//! into an existing one (like `doctl kubernetes cluster kubeconfig save` or
//! `aws eks update-kubeconfig`).
//!
//! The merge takes the generated file's current context with its cluster and user, renames all
//! three to the context name (the server's `<org>-<cloudspace>` unless `--context-name`), so
//! that two cloudspaces (or orgs) never overwrite each other's generic `ngpc-user` entry, and
//! replaces or appends them by name. Every other entry and top-level key is left as it was.
//!
//! Entries rsspot writes carry a marker naming their cloudspace, so that deleting the
//! cloudspace removes them and nothing else ([`teardown`]).
//!
//! Writing (`--merge`, `--file`) happens under kubectl's own lock (`<file>.lock`, created
//! exclusively and removed after, as client-go does), so parallel rsspot and kubectl runs keep
//! every context and nothing is left beside the file; the previous content is kept in a
//! numbered backup (`<file>.bak`, `<file>.bak.1`, …, 0600) that never overwrites an older one;
//! a symlinked kubeconfig is updated through the link; a target that is not a regular file
//! (`/dev/null`, `/dev/stdout`, a FIFO) is written in place, never replaced.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Merges `generated` into the kubeconfig at `target` under kubectl's lock (read, merge and
/// write in one critical section). Returns the merge and the backup, if any.
///
/// A target that is not a regular file (`KUBECONFIG=/dev/null`, a FIFO) is not read (it holds
/// no kubeconfig to keep): the merge of nothing is written into it in place.
pub fn merge_into(
    target: &Path,
    generated: &str,
    opts: &MergeOptions,
) -> rsspot::Result<(Merged, Option<PathBuf>)> {
    merge_into_within(target, generated, opts, rsspot::cli_support::LOCK_TIMEOUT)
}

/// [`merge_into`], waiting at most `lock_timeout` for kubectl's lock.
pub fn merge_into_within(
    target: &Path,
    generated: &str,
    opts: &MergeOptions,
    lock_timeout: Duration,
) -> rsspot::Result<(Merged, Option<PathBuf>)> {
    let _lock = rsspot::cli_support::KubeconfigLock::acquire(target, lock_timeout)?;
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

/// Writes `text` to `path` (`--file`) under kubectl's lock, keeping an existing file's content
/// in a numbered backup (`<path>.bak`, `.bak.1`, …, 0600). Returns the backup when one was
/// made (in [`Written`](rsspot::cli_support::Written)). A path that is not a regular file (`/dev/stdout`, a FIFO) is written in place.
pub fn write_file(path: &Path, text: &str) -> rsspot::Result<rsspot::cli_support::Written> {
    let _lock =
        rsspot::cli_support::KubeconfigLock::acquire(path, rsspot::cli_support::LOCK_TIMEOUT)?;
    let previous = read_existing(path)?;
    rsspot::cli_support::write_private_with_backup(path, previous.as_deref(), text.as_bytes())
}

/// Writes `merged` to `path` (atomically and 0600 for a regular file, in place otherwise),
/// first keeping the previous content (if any, and if it changes) in a numbered backup
/// (see `rsspot::cli_support::write_private_with_backup`). Returns the backup's name.
pub fn save(path: &Path, previous: Option<&[u8]>, merged: &str) -> rsspot::Result<Option<PathBuf>> {
    let written =
        rsspot::cli_support::write_private_with_backup(path, previous, merged.as_bytes())?;
    Ok(written.backup)
}

/// Reads the target file; `None` when it does not exist or is not a regular file (a device or
/// FIFO holds no kubeconfig to merge with, and reading one could block or never end).
pub fn read_existing(path: &Path) -> rsspot::Result<Option<Vec<u8>>> {
    if !rsspot::cli_support::destination(path)?.is_file() {
        return Ok(None);
    }
    rsspot::cli_support::read_if_exists(path)
}

pub mod teardown;

#[cfg(test)]
mod tests;
