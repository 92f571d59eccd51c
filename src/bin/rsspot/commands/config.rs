//! `configure`, `profiles …` and `config …`: editing and inspecting the config file.
//!
//! Every edit goes through [`rsspot::config::ConfigDocument`] (field by field, real secrets,
//! atomic 0600 writes in the file's own format). Anything printed goes through its redacted
//! view or through `Resolved::provenance`, so no token ever reaches stdout or stderr.
//!
//! Commands that only edit the file (`profiles use`, `configure`, …) locate it without resolving
//! a profile, so they keep working when the current selection is broken (e.g. several profiles
//! and none active) — that is exactly when they are needed.

use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use rsspot::config::{
    self, ConfigDocument, ConfigFile, Env, LoadOptions, Overrides, ProfilePatch, env as cfg_env,
};
use rsspot::raw::types::OrganizationListOrganizationsItem as Organization;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::{Tabular, dash};

/// `rsspot configure`: create or update one profile (the global `--profile`, `--org` and
/// `--region` flags select the profile and set those two fields).
#[derive(Debug, Args)]
#[command(after_help = "\
The profile is the global --profile (default: the active profile, else \"default\"); --org and
--region set the profile's org and region. Only the fields you pass change; everything else in
the profile (including an existing refresh token) is kept. On a terminal, missing org, region
and refresh token are prompted for (the token without echo).")]
pub struct ConfigureArgs {
    /// Organization id (org_…).
    #[arg(long)]
    pub org_id: Option<String>,
    /// Refresh token to store (prefer --refresh-token-file: argv is visible to other users).
    #[arg(long, conflicts_with = "refresh_token_file")]
    pub refresh_token: Option<String>,
    /// Read the refresh token from this file ("-" for stdin).
    #[arg(long, value_name = "FILE")]
    pub refresh_token_file: Option<PathBuf>,
    /// Pre-issued access token to store.
    #[arg(long)]
    pub access_token: Option<String>,
    /// OAuth client id.
    #[arg(long)]
    pub client_id: Option<String>,
    /// Spot API base URL.
    #[arg(long)]
    pub base_url: Option<String>,
    /// OAuth base URL.
    #[arg(long)]
    pub oauth_url: Option<String>,
    /// Host of the public pricing documents.
    #[arg(long)]
    pub public_data_url: Option<String>,
    /// Make this the active profile (the default).
    #[arg(long, overrides_with = "no_activate")]
    pub activate: bool,
    /// Leave the active profile as it is.
    #[arg(long)]
    pub no_activate: bool,
    /// Exchange the token once before saving; nothing is written when that fails.
    #[arg(long)]
    pub verify: bool,
    /// Never prompt, even on a terminal.
    #[arg(long)]
    pub no_input: bool,
}

/// `rsspot profiles …`.
#[derive(Debug, Subcommand)]
pub enum ProfilesCmd {
    /// List profiles (the active one is marked with *).
    List,
    /// Show one profile, secrets redacted (default: the selected profile).
    Show {
        /// Profile name.
        name: Option<String>,
    },
    /// Make NAME the active profile.
    Use {
        /// Profile name.
        name: String,
    },
    /// Delete a profile (asks for confirmation).
    Delete {
        /// Profile name.
        name: String,
    },
    /// Rename a profile (the active selection follows).
    Rename {
        /// Current name.
        old: String,
        /// New name.
        new: String,
    },
}

/// `rsspot config …`.
#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the path of the config file (whether or not it exists yet).
    Path,
    /// Print the config file with secrets redacted.
    Show,
    /// Load the configuration and report problems (exit 2 when it is invalid).
    Validate,
    /// Every effective setting and the source that supplied it.
    Explain {
        /// Only this key and the keys under it (e.g. region, retry, cache.ttl).
        key: Option<String>,
    },
    /// The JSON Schema of the config file (for editors' YAML/JSON language servers).
    Schema,
    /// Migrate the legacy ~/.spot_config now (any command does it on first use).
    Migrate,
}

// ---------------------------------------------------------------------------------------------
// Locating the file

/// The process environment as `config::load` sees it.
fn process_env() -> Env {
    Env::from_process()
}

fn home_dir(env: &Env) -> PathBuf {
    env.get("HOME")
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn expand_tilde(raw: &str, home: &Path) -> PathBuf {
    if raw == "~" {
        home.to_path_buf()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        home.join(rest)
    } else {
        PathBuf::from(raw)
    }
}

/// The config file to read or edit, chosen in `config::load`'s order (--config, the env path
/// variables, the default directory, the migrated legacy file, else a new default file). Does not
/// parse it, so it works for files that no longer load.
pub fn locate_config(ctx: &Ctx) -> Result<PathBuf> {
    let env = process_env();
    let home = home_dir(&env);
    if let Some(p) = &ctx.global.config {
        return Ok(expand_tilde(&p.to_string_lossy(), &home));
    }
    if let Some((_, v)) = env.first(cfg_env::CONFIG_PATH_VARS) {
        return Ok(expand_tilde(v, &home));
    }
    let dir = config::config_dir(&env, None);
    if let Some(existing) = ["config.yml", "config.yaml", "config.toml", "config.json"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    {
        return Ok(existing);
    }
    if let Some(report) = config::migrate_legacy(&env, None)? {
        ctx.out.note(&report.to_string());
        return Ok(report.target_path);
    }
    Ok(config::default_config_path(&env, None))
}

/// Opens the located config file for editing (a missing file is an empty document).
fn open_document(ctx: &Ctx) -> Result<ConfigDocument> {
    let path = locate_config(ctx)?;
    Ok(ConfigDocument::open(&path)?)
}

/// The profile the file itself selects: `active_profile`, `default_profile`, the only one.
fn file_selection(file: &ConfigFile) -> Option<String> {
    file.active_profile
        .clone()
        .or_else(|| file.default_profile.clone())
        .or_else(|| {
            (file.profiles.len() == 1)
                .then(|| file.profile_names().into_iter().next())
                .flatten()
        })
}

/// The profile this invocation targets: `--profile`/`RSSPOT_PROFILE`/`SPOT_PROFILE`, else the
/// file's selection, else `default`.
fn target_profile(ctx: &Ctx, file: &ConfigFile) -> String {
    ctx.global
        .profile
        .clone()
        .or_else(|| {
            process_env()
                .first(cfg_env::PROFILE_VARS)
                .map(|(_, v)| v.to_string())
        })
        .or_else(|| file_selection(file))
        .unwrap_or_else(|| "default".into())
}

/// The error for a missing profile, listing the known ones (exit 2).
fn unknown_profile(name: &str, doc: &ConfigDocument) -> anyhow::Error {
    let names = doc.profile_names();
    let known = if names.is_empty() {
        "there are no profiles yet".to_string()
    } else {
        format!("known profiles: {}", names.join(", "))
    };
    anyhow::Error::new(rsspot::Error::config(format!(
        "profile '{name}' not found in {}; {known}. Run `rsspot configure --profile {name}` to create it",
        doc.path().display()
    )))
}

/// Dotted `(key, value)` pairs of a JSON document, for key/value views.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, v, out);
            }
        }
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Null => out.push((prefix.to_string(), "-".into())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

fn print_fields(ctx: &Ctx, pairs: Vec<(String, String)>) -> Result<()> {
    let refs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    ctx.out.fields(&refs)
}

/// The redacted settings of one profile.
fn redacted_profile(doc: &ConfigDocument, name: &str) -> Value {
    doc.redacted_view()
        .get("profiles")
        .and_then(|p| p.get(name))
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()))
}

// ---------------------------------------------------------------------------------------------
// configure

/// What `configure` prints (secrets redacted).
#[derive(Debug, Serialize)]
struct ConfigureSummary {
    profile: String,
    path: String,
    created: bool,
    active: bool,
    changed: Vec<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    verified_organization: Option<String>,
    settings: Value,
}

fn interactive(ctx: &Ctx, a: &ConfigureArgs) -> bool {
    !a.no_input
        && !ctx.global.yes
        && std::io::stdin().is_terminal()
        && std::io::stderr().is_terminal()
}

/// Asks for one value on stderr; an empty answer is `None`.
fn prompt(question: &str) -> Result<Option<String>> {
    eprint!("{question}: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let v = line.trim();
    Ok((!v.is_empty()).then(|| v.to_string()))
}

/// Sets the terminal's echo through `stty` (no terminal crate is a dependency).
fn set_echo(on: bool) -> bool {
    std::process::Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(std::process::Stdio::inherit())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Reads a secret without echo; refuses (rather than echoing it) when echo cannot be turned off.
fn prompt_secret(question: &str) -> Result<Option<SecretString>> {
    if !set_echo(false) {
        anyhow::bail!(rsspot::Error::invalid(
            "--refresh-token-file",
            "cannot turn off terminal echo to read the token; pass --refresh-token-file FILE (or - for stdin)"
        ));
    }
    eprint!("{question}: ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    set_echo(true);
    eprintln!();
    read?;
    let v = line.trim();
    Ok((!v.is_empty()).then(|| SecretString::from(v.to_string())))
}

/// The token from `--refresh-token` or `--refresh-token-file` (trimmed, must not be empty).
fn token_from_args(a: &ConfigureArgs) -> Result<Option<SecretString>> {
    let raw = match (&a.refresh_token, &a.refresh_token_file) {
        (Some(t), _) => t.clone(),
        (None, Some(f)) if f.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading the refresh token from stdin")?;
            s
        }
        (None, Some(f)) => std::fs::read_to_string(f).map_err(|e| rsspot::Error::io(f, e))?,
        (None, None) => return Ok(None),
    };
    let token = raw.trim();
    if token.is_empty() {
        anyhow::bail!(rsspot::Error::invalid(
            "--refresh-token",
            "the refresh token is empty"
        ));
    }
    Ok(Some(SecretString::from(token.to_string())))
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `rsspot configure`.
pub async fn configure(ctx: &Ctx, a: ConfigureArgs) -> Result<()> {
    let mut doc = open_document(ctx)?;
    let created = !doc.exists();
    let name = target_profile(ctx, doc.file());
    let existing = doc.profile(&name).cloned().unwrap_or_default();

    let mut patch = ProfilePatch {
        org: non_empty(&ctx.global.org),
        org_id: non_empty(&a.org_id),
        region: non_empty(&ctx.global.region),
        refresh_token: token_from_args(&a)?,
        access_token: non_empty(&a.access_token).map(SecretString::from),
        client_id: non_empty(&a.client_id),
        base_url: non_empty(&a.base_url),
        oauth_url: non_empty(&a.oauth_url),
        public_data_url: non_empty(&a.public_data_url),
        ..Default::default()
    };
    if interactive(ctx, &a) {
        ctx.out.note(&format!(
            "Configuring profile '{name}' in {}",
            doc.path().display()
        ));
        if patch.org.is_none() && existing.org.is_none() && existing.org_id.is_none() {
            patch.org = prompt("Organization (name or org_… id, empty to skip)")?;
        }
        if patch.region.is_none() && existing.region.is_none() {
            patch.region = prompt("Default region (e.g. us-central-dfw-1, empty to skip)")?;
        }
        if patch.refresh_token.is_none() && existing.refresh_token.is_none() {
            patch.refresh_token = prompt_secret("Refresh token (input hidden)")?;
        }
    }

    let mut changed = Vec::new();
    for (set, field) in [
        (patch.org.is_some(), "org"),
        (patch.org_id.is_some(), "org_id"),
        (patch.region.is_some(), "region"),
        (patch.refresh_token.is_some(), "refresh_token"),
        (patch.access_token.is_some(), "access_token"),
        (patch.client_id.is_some(), "client_id"),
        (patch.base_url.is_some(), "base_url"),
        (patch.oauth_url.is_some(), "oauth_url"),
        (patch.public_data_url.is_some(), "public_data_url"),
    ] {
        if set {
            changed.push(field);
        }
    }

    doc.upsert_profile(&name, patch)?;
    let activate = !a.no_activate;
    if activate {
        doc.use_profile(&name)?;
    }

    let verified = if a.verify {
        Some(verify(&doc, &name).await.with_context(|| {
            format!("--verify failed; {} was not changed", doc.path().display())
        })?)
    } else {
        None
    };

    doc.save()?;

    let active = file_selection(doc.file()).as_deref() == Some(name.as_str());
    let summary = ConfigureSummary {
        profile: name.clone(),
        path: doc.path().display().to_string(),
        created,
        active,
        changed,
        verified_organization: verified
            .as_ref()
            .map(|o| o.name.clone().unwrap_or_default()),
        settings: redacted_profile(&doc, &name),
    };
    if let Some(org) = &summary.verified_organization {
        ctx.out
            .note(&format!("Token verified: it belongs to organization {org}"));
    }
    if ctx.out.is_table() {
        ctx.out.note(&format!(
            "{} profile '{name}' in {}{}",
            if created { "Created" } else { "Saved" },
            summary.path,
            if active { " (active)" } else { "" }
        ));
        let mut pairs = vec![
            ("profile".to_string(), name),
            ("active".to_string(), yes_no(active)),
            (
                "changed".to_string(),
                dash(Some(summary.changed.join(", "))),
            ),
        ];
        flatten("", &summary.settings, &mut pairs);
        print_fields(ctx, pairs)
    } else {
        ctx.out.data(&summary)
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// Exchanges the profile's refresh token once (through the SDK) and returns the organization it
/// belongs to (its `org_id` claim, named through the organizations list). The profile's own values
/// win over the environment here: it is the profile being checked, not the shell. When the profile
/// names an org, the token must belong to it.
async fn verify(doc: &ConfigDocument, name: &str) -> Result<Organization> {
    let profile = doc.profile(name).cloned().unwrap_or_default();
    let Some(token) = &profile.refresh_token else {
        anyhow::bail!(rsspot::Error::auth(format!(
            "profile '{name}' has no refresh token to verify; pass --refresh-token-file FILE"
        )));
    };
    let mut file = doc.file().clone();
    if let Some(p) = file.profiles.get_mut(name) {
        // A stored access token would be used instead of the exchange we want to test, and an
        // org would make the client ask about that org instead of the token's own.
        p.access_token = None;
        p.org = None;
        p.org_id = None;
    }
    let hidden: Vec<&str> = [
        cfg_env::REFRESH_TOKEN_VARS,
        cfg_env::REFRESH_TOKEN_FILE_VARS,
        cfg_env::ACCESS_TOKEN_VARS,
        cfg_env::ORG_VARS,
        cfg_env::ORG_ID_VARS,
    ]
    .concat();
    let env = Env::from_pairs(
        std::env::vars().filter(|(k, _)| !hidden.contains(&k.to_ascii_uppercase().as_str())),
    );
    let opts = LoadOptions {
        runtime: Some(file),
        profile: Some(name.to_string()),
        env,
        overrides: Overrides {
            refresh_token: Some(token.to_secret_string()),
            client_id: profile.client_id.clone(),
            base_url: profile.base_url.clone(),
            oauth_url: profile.oauth_url.clone(),
            public_data_url: profile.public_data_url.clone(),
            ..Default::default()
        },
        ..Default::default()
    };
    let resolved = config::load(&opts)?;
    let client = rsspot::SpotClient::builder()
        .settings(&resolved.settings)
        .in_memory_state()
        .token_cache(false)
        .cache(false)
        .build()
        .await?;
    // `namespace(None)` is the token's own org (its org_id claim); this is the one exchange.
    let namespace = client.namespace(None).await?;
    let orgs = client.organizations().list().await?;
    let own = orgs
        .into_iter()
        .find(|o| {
            o.metadata.as_ref().and_then(|m| m.namespace.as_deref()) == Some(namespace.as_str())
                || o.id
                    .as_deref()
                    .map(rsspot::auth::namespace_for_org_id)
                    .as_deref()
                    == Some(namespace.as_str())
        })
        .ok_or_else(|| rsspot::Error::not_found("organization of the token", &namespace))?;
    let wanted: Vec<String> = [profile.org.as_ref(), profile.org_id.as_ref()]
        .into_iter()
        .flatten()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let known = [
        own.name.as_deref(),
        own.display_name.as_deref(),
        own.id.as_deref(),
        Some(namespace.as_str()),
    ];
    let matches = |w: &String| {
        known
            .iter()
            .flatten()
            .any(|k| k.eq_ignore_ascii_case(w) || rsspot::auth::namespace_for_org_id(k) == *w)
    };
    if !wanted.iter().all(matches) {
        anyhow::bail!(rsspot::Error::config(format!(
            "the token belongs to {}, not to '{}'; fix --org/--org-id",
            own.name.as_deref().unwrap_or(&namespace),
            profile.org.or(profile.org_id).unwrap_or_default()
        )));
    }
    Ok(own)
}

// ---------------------------------------------------------------------------------------------
// profiles

/// One row of `profiles list`.
#[derive(Debug, Serialize)]
struct ProfileRow {
    name: String,
    active: bool,
    org: Option<String>,
    region: Option<String>,
    refresh_token: bool,
    base_url: Option<String>,
}

impl Tabular for ProfileRow {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["CURRENT", "NAME", "ORG", "REGION", "TOKEN"];
        if wide {
            h.push("BASE URL");
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let mut r = vec![
            if self.active { "*" } else { "" }.to_string(),
            self.name.clone(),
            dash(self.org.as_ref()),
            dash(self.region.as_ref()),
            if self.refresh_token { "set" } else { "-" }.to_string(),
        ];
        if wide {
            r.push(dash(self.base_url.as_ref()));
        }
        r
    }
    fn name(&self) -> String {
        self.name.clone()
    }
}

/// `rsspot profiles …`.
pub async fn profiles(ctx: &Ctx, cmd: ProfilesCmd) -> Result<()> {
    let mut doc = open_document(ctx)?;
    match cmd {
        ProfilesCmd::List => {
            let selected = file_selection(doc.file());
            let rows: Vec<ProfileRow> = doc
                .profile_names()
                .into_iter()
                .filter_map(|n| {
                    let p = doc.profile(&n)?;
                    Some(ProfileRow {
                        active: selected.as_deref() == Some(n.as_str()),
                        org: p.org.clone().or_else(|| p.org_id.clone()),
                        region: p.region.clone(),
                        refresh_token: p.refresh_token.is_some(),
                        base_url: p.base_url.clone(),
                        name: n,
                    })
                })
                .collect();
            if rows.is_empty() && ctx.out.is_table() {
                ctx.out.note(&format!(
                    "No profiles in {}; run `rsspot configure` to create one.",
                    doc.path().display()
                ));
                return Ok(());
            }
            ctx.out.list(&rows, &rows)
        }
        ProfilesCmd::Show { name } => {
            let name = name.unwrap_or_else(|| target_profile(ctx, doc.file()));
            if doc.profile(&name).is_none() {
                return Err(unknown_profile(&name, &doc));
            }
            let settings = redacted_profile(&doc, &name);
            let active = file_selection(doc.file()).as_deref() == Some(name.as_str());
            if ctx.out.is_table() {
                let mut pairs = vec![
                    ("name".to_string(), name),
                    ("active".to_string(), yes_no(active)),
                ];
                flatten("", &settings, &mut pairs);
                print_fields(ctx, pairs)
            } else {
                ctx.out.data(&serde_json::json!({
                    "name": name,
                    "active": active,
                    "settings": settings,
                }))
            }
        }
        ProfilesCmd::Use { name } => {
            if doc.profile(&name).is_none() {
                return Err(unknown_profile(&name, &doc));
            }
            doc.use_profile(&name)?;
            doc.save()?;
            done(
                ctx,
                &format!("Active profile is now '{name}'"),
                serde_json::json!({"active_profile": name, "path": doc.path()}),
            )
        }
        ProfilesCmd::Delete { name } => {
            if doc.profile(&name).is_none() {
                return Err(unknown_profile(&name, &doc));
            }
            ctx.confirm(&format!(
                "Delete profile '{name}' (and its stored tokens) from {}",
                doc.path().display()
            ))?;
            let was_active = file_selection(doc.file()).as_deref() == Some(name.as_str());
            doc.delete_profile(&name)?;
            doc.save()?;
            if was_active && file_selection(doc.file()).is_none() && !doc.profile_names().is_empty()
            {
                ctx.out
                    .warn("no profile is active now; run `rsspot profiles use NAME` to pick one");
            }
            done(
                ctx,
                &format!("Deleted profile '{name}'"),
                serde_json::json!({"deleted": name, "path": doc.path()}),
            )
        }
        ProfilesCmd::Rename { old, new } => {
            if doc.profile(&old).is_none() {
                return Err(unknown_profile(&old, &doc));
            }
            doc.rename_profile(&old, &new)?;
            doc.save()?;
            done(
                ctx,
                &format!("Renamed profile '{old}' to '{new}'"),
                serde_json::json!({"renamed": old, "to": new, "path": doc.path()}),
            )
        }
    }
}

/// A one-line confirmation on a terminal, a small JSON/YAML object otherwise.
fn done(ctx: &Ctx, line: &str, data: Value) -> Result<()> {
    if ctx.out.is_table() || ctx.out.format == OutputFormat::Name {
        ctx.out.text(line)
    } else {
        ctx.out.data(&data)
    }
}

// ---------------------------------------------------------------------------------------------
// config

/// One row of `config explain`.
#[derive(Debug, Serialize)]
struct ExplainRow {
    key: String,
    value: String,
    source: String,
}

impl Tabular for ExplainRow {
    fn headers(_: bool) -> Vec<&'static str> {
        vec!["KEY", "VALUE", "SOURCE"]
    }
    fn row(&self, _: bool) -> Vec<String> {
        vec![self.key.clone(), self.value.clone(), self.source.clone()]
    }
    fn name(&self) -> String {
        self.key.clone()
    }
}

/// The source label as users know it: the CLI's overrides are its flags.
fn source_label(s: &str) -> String {
    if s == "override" {
        "flag".to_string()
    } else {
        s.to_string()
    }
}

/// Whether the user asked for a specific structured format (`-o json|yaml`); scalar answers
/// (`config path`) stay plain text when merely piped, so `$(rsspot config path)` works.
fn structured(ctx: &Ctx) -> bool {
    matches!(
        ctx.global.output,
        Some(OutputFormat::Json | OutputFormat::Yaml)
    )
}

/// `rsspot config …`.
pub async fn config(ctx: &Ctx, cmd: ConfigCmd) -> Result<()> {
    match cmd {
        ConfigCmd::Path => {
            let path = locate_config(ctx)?;
            if structured(ctx) {
                ctx.out.data(&serde_json::json!({
                    "path": path,
                    "exists": path.is_file(),
                }))
            } else {
                ctx.out.text(&path.display().to_string())
            }
        }
        ConfigCmd::Show => {
            let doc = open_document(ctx)?;
            if !doc.exists() {
                ctx.out.note(&format!(
                    "No config file at {} yet; run `rsspot configure` to create it.",
                    doc.path().display()
                ));
            }
            let view = doc.redacted_view();
            if ctx.out.is_table() {
                ctx.out.note(&format!("# {}", doc.path().display()));
                ctx.out.text(&serde_norway::to_string(&view)?)
            } else {
                ctx.out.data(&view)
            }
        }
        ConfigCmd::Validate => {
            let r = ctx.resolved().await?;
            let what = match &r.settings.config_path {
                Some(p) => p.display().to_string(),
                None => format!("no config file ({})", r.source),
            };
            if structured(ctx) {
                ctx.out.data(&serde_json::json!({
                    "valid": true,
                    "path": r.settings.config_path,
                    "profile": r.settings.profile,
                    "profiles": r.file.profile_names(),
                }))
            } else {
                ctx.out.text(&format!(
                    "OK: {what} (profile '{}', {} profile{})",
                    r.settings.profile,
                    r.file.profiles.len(),
                    if r.file.profiles.len() == 1 { "" } else { "s" }
                ))
            }
        }
        ConfigCmd::Explain { key } => {
            let r = ctx.resolved().await?;
            let entries: Vec<&config::Provenance> = match &key {
                Some(k) => r.explain(k),
                None => r.provenance.iter().collect(),
            };
            if entries.is_empty() {
                let mut top: Vec<&str> = r
                    .provenance
                    .iter()
                    .map(|p| p.key.split('.').next().unwrap_or(&p.key))
                    .collect();
                top.sort_unstable();
                top.dedup();
                anyhow::bail!(rsspot::Error::invalid(
                    "KEY",
                    format!(
                        "no setting named '{}'; known: {}",
                        key.unwrap_or_default(),
                        top.join(", ")
                    )
                ));
            }
            let rows: Vec<ExplainRow> = entries
                .into_iter()
                .map(|p| ExplainRow {
                    key: p.key.clone(),
                    value: p.value.clone(),
                    source: source_label(&p.source),
                })
                .collect();
            ctx.out.list(&rows, &rows)
        }
        ConfigCmd::Schema => {
            let schema = config::json_schema();
            if ctx.global.output == Some(OutputFormat::Yaml) {
                ctx.out.text(&serde_norway::to_string(&schema)?)
            } else {
                ctx.out.text(&serde_json::to_string_pretty(&schema)?)
            }
        }
        ConfigCmd::Migrate => {
            let env = process_env();
            let report = match &ctx.global.config {
                Some(p) => {
                    let home = home_dir(&env);
                    config::migrate_legacy_to(&home, &expand_tilde(&p.to_string_lossy(), &home))?
                }
                None => config::migrate_legacy(&env, None)?,
            };
            match report {
                Some(r) => {
                    let data = serde_json::json!({
                        "migrated": true,
                        "legacy_path": r.legacy_path,
                        "target_path": r.target_path,
                        "backup_path": r.backup_path,
                        "profiles_added": r.profiles_added,
                        "profiles_unchanged": r.profiles_unchanged,
                        "merged_into_existing": r.merged_into_existing,
                    });
                    done(ctx, &r.to_string(), data)
                }
                None => {
                    let legacy = config::legacy_config_path(&home_dir(&env));
                    done(
                        ctx,
                        &format!(
                            "Nothing to migrate: {} is absent or already migrated",
                            legacy.display()
                        ),
                        serde_json::json!({"migrated": false, "legacy_path": legacy}),
                    )
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_makes_dotted_keys() {
        let v = serde_json::json!({"org": "a", "retry": {"max_attempts": 3}, "x": null, "e": {}});
        let mut out = Vec::new();
        flatten("", &v, &mut out);
        assert_eq!(
            out,
            vec![
                ("org".to_string(), "a".to_string()),
                ("retry.max_attempts".to_string(), "3".to_string()),
                ("x".to_string(), "-".to_string()),
                ("e".to_string(), "{}".to_string()),
            ]
        );
    }

    #[test]
    fn tilde_expands_only_at_the_start() {
        let home = Path::new("/home/u");
        assert_eq!(expand_tilde("~", home), PathBuf::from("/home/u"));
        assert_eq!(
            expand_tilde("~/c.yml", home),
            PathBuf::from("/home/u/c.yml")
        );
        assert_eq!(expand_tilde("a/~/b", home), PathBuf::from("a/~/b"));
    }

    #[test]
    fn file_selection_order() {
        let mut f = ConfigFile::default();
        assert_eq!(file_selection(&f), None);
        f.profiles.insert("solo".into(), Default::default());
        assert_eq!(file_selection(&f).as_deref(), Some("solo"));
        f.profiles.insert("b".into(), Default::default());
        assert_eq!(file_selection(&f), None);
        f.default_profile = Some("b".into());
        assert_eq!(file_selection(&f).as_deref(), Some("b"));
        f.active_profile = Some("solo".into());
        assert_eq!(file_selection(&f).as_deref(), Some("solo"));
    }
}
