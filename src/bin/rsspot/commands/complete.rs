//! Live shell completions through clap_complete's environment hook (`COMPLETE=bash rsspot`):
//! cloudspace names, pool names, profiles, regions, server classes and registration keys.
//!
//! The line is the context: `-p/--profile`, `--org`, `--config`, `--region` and `--cloudspace`
//! already typed on the line being completed choose the profile, organization and cloudspace
//! the names come from (`rsspot -p slow cs get <TAB>` offers profile slow's cloudspaces), and
//! server classes are those of the region given, or of the `--cloudspace`'s region.
//!
//! Names come from the HTTP response cache: the client gets a hard deadline of
//! [`NETWORK_BUDGET`], so a fresh cached answer is used and anything else is given up on quickly
//! — a Tab press never waits on a slow or absent network. Registration keys come from the local
//! ledger file only (none when a PostgreSQL ledger is configured, or no ledger exists yet).

use std::time::{Duration, Instant};

use clap::{Arg, Command, CommandFactory};
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};

use crate::cli::{Cli, GlobalArgs};
use crate::ctx::Ctx;

/// The most a completion waits on the network (cache lookups are local).
pub const NETWORK_BUDGET: Duration = Duration::from_millis(100);

/// What an argument names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Cloudspace,
    SpotPool,
    OnDemandPool,
    Profile,
    Region,
    ServerClass,
    RegistrationKey,
}

/// The clap tree with value completers attached; the factory of the completion hook.
pub fn command() -> Command {
    decorate(Cli::command(), &[])
}

/// Runs the completion hook when the shell asked for it (`COMPLETE` set); returns otherwise.
pub fn hook() {
    clap_complete::CompleteEnv::with_factory(command).complete();
}

fn decorate(cmd: Command, path: &[String]) -> Command {
    let owned: Vec<String> = path.to_vec();
    let cmd = cmd.mut_args(|arg| match kind_of(&owned, &arg) {
        Some(kind) => arg.add(ArgValueCandidates::new(move || candidates(kind))),
        None => arg,
    });
    cmd.mut_subcommands(|sub| {
        let mut p = path.to_vec();
        p.push(sub.get_name().to_string());
        decorate(sub, &p)
    })
}

/// Decides from the command path and the argument what its values name.
fn kind_of(path: &[String], arg: &Arg) -> Option<Kind> {
    let id = arg.get_id().as_str();
    let value_name = arg
        .get_value_names()
        .and_then(|v| v.first())
        .map(|s| s.as_str().to_string())
        .unwrap_or_default();
    let path: Vec<&str> = path.iter().map(String::as_str).collect();
    let positional_name = arg.is_positional() || id == "name_flag";
    match (path.as_slice(), id) {
        (_, "profile") => Some(Kind::Profile),
        (_, "region" | "regions") => Some(Kind::Region),
        (_, "cloudspace") => Some(Kind::Cloudspace),
        (["profiles", "use" | "delete" | "show" | "rename"], _) if arg.is_positional() => {
            Some(Kind::Profile)
        }
        (["cloudspaces", sub], _) if positional_name && *sub != "create" => Some(Kind::Cloudspace),
        (["nodepools", "spot", sub], _) if positional_name && *sub != "create" => {
            Some(Kind::SpotPool)
        }
        (["nodepools", "ondemand", sub], _) if positional_name && *sub != "create" => {
            Some(Kind::OnDemandPool)
        }
        (
            [
                "registrations",
                "show" | "mark" | "release" | "reset" | "events",
            ],
            "key",
        ) => Some(Kind::RegistrationKey),
        (["regions", "get"], _) if positional_name => Some(Kind::Region),
        (["server-classes", "get"], _) if positional_name => Some(Kind::ServerClass),
        (["pricing", "get" | "bid" | "history"], _) if positional_name => Some(Kind::ServerClass),
        _ if value_name == "CLOUDSPACE" => Some(Kind::Cloudspace),
        _ if value_name == "REGION" => Some(Kind::Region),
        _ if value_name == "CLASS" => Some(Kind::ServerClass),
        _ => None,
    }
}

/// The context typed on the line being completed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Typed {
    profile: Option<String>,
    org: Option<String>,
    config: Option<std::path::PathBuf>,
    region: Option<String>,
    cloudspace: Option<String>,
}

impl Typed {
    /// Reads the flags from the words already typed (the word under the cursor, last, is not
    /// read: it is the one being completed).
    fn from_words(words: &[String]) -> Typed {
        let mut t = Typed::default();
        let done = words.len().saturating_sub(1);
        let mut i = 0;
        while i < done {
            let word = words[i].as_str();
            let (flag, inline) = match word.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (word, None),
            };
            const READ: &[&str] = &[
                "-p",
                "--profile",
                "--org",
                "-c",
                "--config",
                "--region",
                "--cloudspace",
            ];
            if !READ.contains(&flag) {
                i += 1;
                continue;
            }
            let value = match inline {
                Some(v) => Some(v),
                None if i + 1 < done => {
                    i += 1;
                    Some(words[i].clone())
                }
                None => None,
            };
            match flag {
                "-p" | "--profile" => t.profile = value,
                "--org" => t.org = value,
                "-c" | "--config" => t.config = value.map(Into::into),
                "--region" => t.region = value,
                _ => t.cloudspace = value,
            }
            i += 1;
        }
        t
    }

    /// The typed words of the line the shell asks about (`rsspot -- rsspot -p x cs get ''`).
    fn from_process() -> Typed {
        let args: Vec<String> = std::env::args().collect();
        let words: Vec<String> = match args.iter().position(|a| a == "--") {
            Some(i) => args[i + 1..].iter().skip(1).cloned().collect(),
            None => Vec::new(),
        };
        Typed::from_words(&words)
    }
}

/// Candidates for `kind`; empty on any error (a completion never prints one).
fn candidates(kind: Kind) -> Vec<CompletionCandidate> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let typed = Typed::from_process();
    let names = runtime.block_on(names(kind, &typed)).unwrap_or_default();
    names.into_iter().map(CompletionCandidate::new).collect()
}

async fn names(kind: Kind, typed: &Typed) -> anyhow::Result<Vec<String>> {
    let ctx = Ctx::new(GlobalArgs {
        quiet: true,
        profile: typed.profile.clone(),
        org: typed.org.clone(),
        config: typed.config.clone(),
        ..GlobalArgs::default()
    });
    if kind == Kind::Profile {
        let doc = super::config::open_document(&ctx)?;
        return Ok(doc.profile_names());
    }
    if kind == Kind::RegistrationKey {
        return registration_keys(&ctx).await;
    }
    let client = ctx
        .client()
        .await?
        .with_deadline(Instant::now() + NETWORK_BUDGET);
    let org = ctx.org();
    let cloudspace = typed.cloudspace.as_deref();
    let values: Vec<serde_json::Value> = match kind {
        Kind::Cloudspace => to_values(client.org_or_default(org).cloudspaces().list().await?),
        Kind::SpotPool => to_values(
            client
                .org_or_default(org)
                .spot_pools()
                .within(cloudspace)
                .list()
                .await?,
        ),
        Kind::OnDemandPool => to_values(
            client
                .org_or_default(org)
                .ondemand_pools()
                .within(cloudspace)
                .list()
                .await?,
        ),
        Kind::Region => to_values(client.regions().list().await?),
        Kind::ServerClass => {
            // The region typed, else the typed cloudspace's region (unknown: every class).
            let region = match (&typed.region, cloudspace) {
                (Some(r), _) => Some(r.clone()),
                (None, Some(cs)) => client
                    .org_or_default(org)
                    .cloudspaces()
                    .get(cs)
                    .await
                    .ok()
                    .map(|cs| cs.spec.region),
                (None, None) => None,
            };
            let filter = rsspot::services::ServerClassFilter {
                region,
                ..Default::default()
            };
            to_values(client.server_classes().list(&filter).await?)
        }
        Kind::Profile | Kind::RegistrationKey => Vec::new(),
    };
    let mut names: Vec<String> = values
        .iter()
        .filter_map(|v| v.pointer("/metadata/name")?.as_str().map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Keys of the local ledger file, never a network ledger; none when there is no file yet (a
/// completion creates nothing).
async fn registration_keys(ctx: &Ctx) -> anyhow::Result<Vec<String>> {
    let settings = &ctx.resolved().await?.settings;
    if settings.ledger_url.is_some() {
        return Ok(Vec::new());
    }
    let path = rsspot::workflows::LedgerStore::path_beside(&settings.state_path);
    if !path.exists() {
        return Ok(Vec::new());
    }
    let ledger = rsspot::workflows::LedgerStore::open(&path).await?;
    let records = rsspot::workflows::RegistrationWorkflow::new(ledger)
        .list(None, 0)
        .await?;
    let mut keys: Vec<String> = records
        .items
        .into_iter()
        .map(|r| r.registration_key)
        .collect();
    keys.sort();
    Ok(keys)
}

fn to_values<T: serde::Serialize>(items: Vec<T>) -> Vec<serde_json::Value> {
    items
        .iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(path: &[&str], arg: &str) -> Option<Kind> {
        let mut cmd = command();
        cmd.build();
        let mut current = &cmd;
        for p in path {
            current = current.find_subcommand(p).unwrap();
        }
        let arg = current.get_arguments().find(|a| a.get_id() == arg).unwrap();
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        kind_of(&path, arg)
    }

    #[test]
    fn the_typed_context_is_read_from_the_line() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let t = Typed::from_words(&words(&[
            "-v",
            "-p",
            "slow",
            "--org=acme",
            "np",
            "spot",
            "create",
            "--cloudspace",
            "cs1",
            "--region",
            "",
        ]));
        assert_eq!(t.profile.as_deref(), Some("slow"));
        assert_eq!(t.org.as_deref(), Some("acme"));
        assert_eq!(t.cloudspace.as_deref(), Some("cs1"));
        // The word under the cursor is not a value yet.
        assert_eq!(t.region, None);
        assert_eq!(
            Typed::from_words(&words(&["cs", "get", "-p"])),
            Typed::default()
        );
    }

    #[test]
    fn arguments_map_to_what_they_name() {
        assert_eq!(
            kind(&["cloudspaces", "get"], "name"),
            Some(Kind::Cloudspace)
        );
        assert_eq!(kind(&["cloudspaces", "create"], "name"), None);
        assert_eq!(kind(&["pricing", "get"], "class"), Some(Kind::ServerClass));
        assert_eq!(kind(&["regions", "list"], "region"), Some(Kind::Region));
        assert_eq!(
            kind(&["cloudspaces", "list"], "profile"),
            Some(Kind::Profile)
        );
        assert_eq!(
            kind(&["registrations", "show"], "key"),
            Some(Kind::RegistrationKey)
        );
        assert_eq!(
            kind(&["registrations", "mark"], "key"),
            Some(Kind::RegistrationKey)
        );
        assert_eq!(
            kind(&["nodepools", "spot", "list"], "classes"),
            Some(Kind::ServerClass)
        );
        assert_eq!(
            kind(&["pricing", "list"], "classes"),
            Some(Kind::ServerClass)
        );
    }
}
