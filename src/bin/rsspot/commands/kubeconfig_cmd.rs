//! `cloudspaces kubeconfig`: print the server's kubeconfig, or write / merge one whose user runs
//! `rsspot auth kube-token` (an exec credential plugin, so the context never goes stale), or,
//! with `--static-token`, the server's 24-hour token with a note saying when it dies.
//! `cloudspaces get-config` is spotctl's spelling: the same file, written to `DIR/NAME.yaml`.

use std::path::PathBuf;

use anyhow::Result;
use chrono::{SecondsFormat, Utc};
use clap::Args;
use rsspot::SpotClient;
use rsspot::config::RefreshTokenOrigin;
use serde_norway::{Mapping, Value};

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::kubeconfig::{self, teardown, teardown::Owner};

/// What `cloudspaces kubeconfig` was asked to do (the clap arguments, minus the name).
#[derive(Debug, Clone, Default)]
pub struct KubeconfigRequest {
    /// The cloudspace.
    pub name: String,
    /// `--file`.
    pub file: Option<PathBuf>,
    /// `--merge`.
    pub merge: bool,
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context-name`.
    pub context_name: Option<String>,
    /// `--set-current`.
    pub set_current: bool,
    /// `--static-token`: keep the server's token user instead of the exec user.
    pub static_token: bool,
    /// `--force`: replace same-named entries that belong to another cluster.
    pub force: bool,
}

/// `cloudspaces get-config` (spotctl's): `--file` names a directory, not a file.
#[derive(Debug, Args)]
pub struct GetConfigArgs {
    #[command(flatten)]
    pub name: crate::args::NameArgs,
    /// Directory to write NAME.yaml into (default ~/.kube); written atomically, mode 0600.
    #[arg(long, short = 'f', value_name = "DIR")]
    pub file: Option<PathBuf>,
    /// Write the server's static token (it dies 24 h after issue) instead of a user that runs
    /// `rsspot auth kube-token` and so never expires.
    #[arg(long)]
    pub static_token: bool,
}

/// Where `get-config` writes: `DIR/NAME.yaml`, DIR defaulting to `~/.kube`.
fn get_config_path(dir: Option<PathBuf>, home: Option<PathBuf>, name: &str) -> Result<PathBuf> {
    let dir = match dir {
        Some(d) => d,
        None => home.map(|h| h.join(".kube")).ok_or_else(|| {
            rsspot::Error::invalid(
                "--file",
                "no home directory to find ~/.kube in: give --file DIR",
            )
        })?,
    };
    Ok(dir.join(format!("{name}.yaml")))
}

/// Runs `cloudspaces get-config`: the kubeconfig of `cloudspaces kubeconfig --file`, at
/// `DIR/NAME.yaml`.
pub async fn get_config(ctx: &Ctx, client: &SpotClient, a: GetConfigArgs) -> Result<()> {
    let name = a.name.get("cloudspace")?;
    let file = get_config_path(a.file, dirs::home_dir(), &name)?;
    let request = KubeconfigRequest {
        name,
        file: Some(file),
        static_token: a.static_token,
        ..KubeconfigRequest::default()
    };
    run(ctx, client, request).await
}

fn key(k: &str) -> Value {
    Value::String(k.to_string())
}

/// The exec user that runs `rsspot auth kube-token --profile P --org O`.
pub fn exec_user(profile: &str, org: &str) -> Value {
    let args: Vec<Value> = ["auth", "kube-token", "--profile", profile, "--org", org]
        .iter()
        .map(|a| key(a))
        .collect();
    let mut exec = Mapping::new();
    exec.insert(key("apiVersion"), key("client.authentication.k8s.io/v1"));
    exec.insert(key("command"), key("rsspot"));
    exec.insert(key("args"), Value::Sequence(args));
    exec.insert(key("interactiveMode"), key("Never"));
    exec.insert(key("provideClusterInfo"), Value::Bool(false));
    exec.insert(
        key("installHint"),
        key(
            "rsspot (the Rackspace Spot CLI) issues the tokens of this context: install it with \
             `cargo install rsspot` and put it on the PATH, then run `rsspot auth status`",
        ),
    );
    let mut user = Mapping::new();
    user.insert(key("exec"), Value::Mapping(exec));
    Value::Mapping(user)
}

/// The name of the user the generated file's current context uses.
fn current_user(doc: &Value) -> Option<String> {
    let current = doc.get("current-context")?.as_str()?;
    doc.get("contexts")?
        .as_sequence()?
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(current))?
        .get("context")?
        .get("user")?
        .as_str()
        .map(String::from)
}

/// The generated kubeconfig with its current context's user replaced by `user`.
pub fn with_user(generated: &str, user: Value) -> rsspot::Result<String> {
    let bad = |m: &str| rsspot::Error::decode("generate-kubeconfig", m.to_string());
    let mut doc: Value = serde_norway::from_str(generated)
        .map_err(|e| bad(&format!("the generated kubeconfig is not YAML: {e}")))?;
    let name = current_user(&doc).ok_or_else(|| bad("the generated kubeconfig has no user"))?;
    let users = doc
        .get_mut("users")
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| bad("the generated kubeconfig has no users"))?;
    let entry = users
        .iter_mut()
        .find(|u| u.get("name").and_then(Value::as_str) == Some(name.as_str()))
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| bad("the generated kubeconfig has no user for its context"))?;
    entry.insert(key("user"), user);
    serde_norway::to_string(&doc).map_err(|e| bad(&format!("cannot serialize the kubeconfig: {e}")))
}

/// When the static token of the current context's user expires, if it is a JWT.
fn static_expiry(generated: &str) -> Option<chrono::DateTime<Utc>> {
    let doc: Value = serde_norway::from_str(generated).ok()?;
    let name = current_user(&doc)?;
    let token = doc
        .get("users")?
        .as_sequence()?
        .iter()
        .find(|u| u.get("name").and_then(Value::as_str) == Some(name.as_str()))?
        .get("user")?
        .get("token")?
        .as_str()?
        .to_string();
    rsspot::cli_support::decode_claims(&token)?.exp
}

/// The stderr note for the kubeconfig of cloudspace `name` holding the server's static token.
fn expiry_note(generated: &str, name: &str) -> Option<String> {
    expiry_note_at(generated, name, Utc::now())
}

/// [`expiry_note`] as of `now`.
fn expiry_note_at(generated: &str, name: &str, now: chrono::DateTime<Utc>) -> Option<String> {
    let exp = static_expiry(generated)?;
    let left = (exp - now).num_seconds();
    let at = exp.to_rfc3339_opts(SecondsFormat::Secs, true);
    let when = if left > 0 {
        format!("expires at {at} (in {})", crate::output::span(left))
    } else {
        format!("expired {} ago (at {at})", crate::output::span(-left))
    };
    // The command to run instead, with this cloudspace and the line's -p/--org.
    let merge = crate::line::rsspot(&format!("cloudspaces kubeconfig {name} --merge"));
    Some(format!(
        "note: the token in this kubeconfig {when}; `{merge}` writes a context that renews \
         its token by itself"
    ))
}

/// Runs `cloudspaces kubeconfig`.
/// A cloudspace still provisioning has no API endpoint: its kubeconfig does not connect yet.
async fn warn_if_no_endpoint(ctx: &Ctx, client: &SpotClient, name: &str) {
    if let Ok(cs) = client
        .org_or_default(ctx.org())
        .cloudspaces()
        .get(name)
        .await
        && let Some(warning) = no_endpoint_warning(name, &cs)
    {
        ctx.out.warn(&warning);
    }
}

/// The warning for a cloudspace without an API endpoint, if it has none.
fn no_endpoint_warning(name: &str, cs: &rsspot::raw::types::CloudSpace) -> Option<String> {
    let status = cs.status.clone().unwrap_or_default();
    if status
        .api_server_endpoint
        .as_deref()
        .is_some_and(|e| !e.trim().is_empty())
    {
        return None;
    }
    let phase = status.phase.unwrap_or_else(|| "unknown".into());
    Some(format!(
        "cloudspace {name} has no API endpoint yet (phase {phase}): this kubeconfig will not \
         connect until it is Ready (`{}`)",
        crate::line::rsspot(&format!("cloudspaces wait {name}"))
    ))
}

pub async fn run(ctx: &Ctx, client: &SpotClient, a: KubeconfigRequest) -> Result<()> {
    let generated = client
        .org_or_default(ctx.org())
        .cloudspaces()
        .kubeconfig(&a.name)
        .await?;
    warn_if_no_endpoint(ctx, client, &a.name).await;
    let writes = a.file.is_some() || a.merge;
    if !writes {
        // Printing honours only an explicit -o json: `rsspot cs kubeconfig x > file` is YAML.
        if let Some(note) = expiry_note(&generated, &a.name) {
            ctx.out.note(&note);
        }
        return match ctx.global.output {
            Some(OutputFormat::Json) => {
                let v: serde_json::Value = serde_norway::from_str(&generated)?;
                ctx.out.data(&v)
            }
            _ => ctx.out.text(&generated),
        };
    }
    let namespace = client.namespace(ctx.org()).await?;
    let text = if a.static_token {
        if let Some(note) = expiry_note(&generated, &a.name) {
            ctx.out.note(&note);
        }
        generated
    } else {
        let resolved = ctx.resolved().await?;
        if let RefreshTokenOrigin::Env { var } = &resolved.settings.refresh_token_origin {
            ctx.out.warn(&format!(
                "the refresh token comes from {var}: kubectl finds it only where that variable \
                 is set (`rsspot configure` stores it for every shell)"
            ));
        }
        with_user(
            &generated,
            exec_user(&resolved.settings.profile, &namespace),
        )?
    };
    // Marked as rsspot's for this cloudspace: `cloudspaces delete` removes these entries.
    let text = teardown::mark(
        &text,
        &Owner {
            cloudspace: a.name.clone(),
            org: namespace,
        },
    )?;
    if let Some(path) = a.file {
        if path.as_os_str() == "-" {
            // `--file -` is standard output, through the one printing path.
            return ctx.out.text(&text);
        }
        let written = kubeconfig::write_file(&path, &text)?;
        let how = if written.in_place {
            "in place: not a regular file, so no backup"
        } else {
            "mode 0600"
        };
        ctx.out.note(&format!(
            "wrote the kubeconfig of cloudspace {} to {} ({how})",
            a.name,
            path.display()
        ));
        if let Some(b) = written.backup {
            ctx.out
                .note(&format!("the previous content is kept in {}", b.display()));
        }
        return Ok(());
    }
    let home = dirs::home_dir();
    let target = kubeconfig::target_path(
        a.kubeconfig.as_deref(),
        std::env::var_os("KUBECONFIG").as_deref(),
        home.as_deref(),
    )?;
    let opts = kubeconfig::MergeOptions {
        context_name: a.context_name,
        set_current: a.set_current,
        force: a.force,
    };
    let hint = target.display().to_string();
    let (merged, backup) = kubeconfig::merge_into(&target, &text, &opts)?;
    let verb = if merged.replaced { "updated" } else { "added" };
    let mut msg = format!("{verb} context {} in {hint}", merged.context);
    if let Some(b) = backup {
        msg.push_str(&format!(" (backup: {})", b.display()));
    }
    ctx.out.note(&msg);
    match merged.current_context.as_deref() {
        Some(c) if c == merged.context => {
            ctx.out.note(&format!("current context is now {c}"));
        }
        _ => ctx.out.note(&format!(
            "use it with `kubectl --context {}` (or pass --set-current)",
            merged.context
        )),
    }
    Ok(())
}

/// The kubeconfig files rsspot may have written a cloudspace's entries to: every file of
/// `$KUBECONFIG` (else `~/.kube/config`), and get-config's `~/.kube/NAME.yaml`.
fn written_files(name: &str) -> Vec<PathBuf> {
    let home = dirs::home_dir();
    let mut files: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(list) => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        None => home
            .iter()
            .map(|h| h.join(".kube").join("config"))
            .collect(),
    };
    if let Ok(p) = get_config_path(None, home, name) {
        files.push(p);
    }
    files.dedup();
    files
}

/// After `cloudspaces delete NAME`: removes the kubeconfig contexts, clusters and users rsspot
/// wrote for it (only those, under kubectl's lock), saying what went. A file that cannot be
/// cleaned gets a warning: the cloudspace is deleted either way.
pub async fn forget(ctx: &Ctx, client: &SpotClient, name: &str) {
    let namespace = match client.namespace(ctx.org()).await {
        Ok(ns) => ns,
        Err(e) => {
            ctx.out.warn(&format!(
                "kubeconfig entries of cloudspace {name} were not looked for: {e}"
            ));
            return;
        }
    };
    let owner = Owner {
        cloudspace: name.to_string(),
        org: namespace,
    };
    for file in written_files(name) {
        match teardown::remove_from(&file, &owner) {
            Ok(None) => {}
            Ok(Some((removed, _backup))) => {
                let what = if removed.contexts.is_empty() {
                    format!("{} entries", removed.others)
                } else {
                    format!("context {}", removed.contexts.join(", "))
                };
                let current = if removed.was_current {
                    " (it was the current context: none is set now)"
                } else {
                    ""
                };
                ctx.out
                    .note(&format!("removed {what} from {}{current}", file.display()));
            }
            Err(e) => ctx.out.warn(&format!(
                "could not remove cloudspace {name}'s entries from {}: {e}",
                file.display()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = "apiVersion: v1
clusters:
- cluster:
    insecure-skip-tls-verify: true
    server: https://127.0.0.1:1/k8s/org-x/demo
  name: demo
contexts:
- context:
    cluster: demo
    user: ngpc-user
  name: acme-demo
current-context: acme-demo
kind: Config
users:
- name: ngpc-user
  user:
    token: eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE4OTM0NTYwMDB9.c2ln
- name: oidc
  user:
    exec:
      command: kubectl
";

    #[test]
    fn the_exec_user_replaces_only_the_current_user() {
        let text = with_user(GENERATED, exec_user("work", "org-x")).unwrap();
        let doc: Value = serde_norway::from_str(&text).unwrap();
        let exec = &doc["users"][0]["user"]["exec"];
        assert_eq!(exec["command"], "rsspot");
        assert_eq!(exec["interactiveMode"], "Never");
        assert_eq!(exec["apiVersion"], "client.authentication.k8s.io/v1");
        let args: Vec<&str> = exec["args"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(
            args,
            ["auth", "kube-token", "--profile", "work", "--org", "org-x"]
        );
        assert!(exec["installHint"].as_str().unwrap().contains("rsspot"));
        assert!(doc["users"][0]["user"].get("token").is_none());
        assert!(!text.contains("eyJ"), "{text}");
        assert_eq!(doc["users"][1]["user"]["exec"]["command"], "kubectl");
    }

    #[test]
    fn the_static_token_expiry_is_read_from_the_jwt() {
        let exp = static_expiry(GENERATED).unwrap();
        assert_eq!(exp.timestamp(), 1_893_456_000);
        assert!(
            expiry_note(GENERATED, "demo")
                .unwrap()
                .contains("2030-01-01T00:00:00Z")
        );
        assert_eq!(static_expiry("kind: Config\n"), None);
    }

    #[test]
    fn the_expiry_is_said_humanly() {
        let exp = static_expiry(GENERATED).unwrap();
        let at =
            |secs: i64| expiry_note_at(GENERATED, "demo", exp - chrono::Duration::seconds(secs));
        assert!(at(42 * 60).unwrap().contains("(in 42 min)"));
        assert!(at(3 * 3600).unwrap().contains("(in 3 h)"));
        assert!(at(-5 * 60).unwrap().contains("expired 5 min ago"));
        assert!(!at(30).unwrap().contains("0.0 h"));
        // The command it suggests names the cloudspace, not a placeholder.
        assert!(
            at(30)
                .unwrap()
                .contains("`rsspot cloudspaces kubeconfig demo --merge`")
        );
    }

    #[test]
    fn get_config_writes_name_yaml_in_the_directory() {
        let p = get_config_path(Some("/tmp/k".into()), None, "demo").unwrap();
        assert_eq!(p, PathBuf::from("/tmp/k/demo.yaml"));
        let p = get_config_path(None, Some("/home/u".into()), "demo").unwrap();
        assert_eq!(p, PathBuf::from("/home/u/.kube/demo.yaml"));
        assert!(get_config_path(None, None, "demo").is_err());
    }

    #[test]
    fn a_cloudspace_without_endpoint_gets_a_warning() {
        let cs = |status: serde_json::Value| -> rsspot::raw::types::CloudSpace {
            serde_json::from_value(serde_json::json!({
                "apiVersion": "ngpc.rxt.io/v1",
                "kind": "CloudSpace",
                "metadata": {"name": "demo"},
                "spec": {"region": "uk-lon-1", "kubernetesVersion": "1.31.1"},
                "status": status,
            }))
            .unwrap()
        };
        let provisioning =
            cs(serde_json::json!({"phase": "Provisioning", "APIServerEndpoint": ""}));
        let warning = no_endpoint_warning("demo", &provisioning).unwrap();
        assert!(
            warning.contains("no API endpoint yet (phase Provisioning)"),
            "{warning}"
        );
        assert!(
            warning.contains("rsspot cloudspaces wait demo"),
            "{warning}"
        );
        let ready = cs(serde_json::json!({"phase": "Ready", "APIServerEndpoint": "1.2.3.4:6443"}));
        assert_eq!(no_endpoint_warning("demo", &ready), None);
    }
}
