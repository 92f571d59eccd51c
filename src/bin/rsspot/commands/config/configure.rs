//! `rsspot configure`: create or update one profile, field by field, under the config file's
//! lock (parallel runs for different profiles all keep their profile).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Args;
use rsspot::config::{
    self, ConfigDocument, Env, LoadOptions, Overrides, ProfilePatch, Secret, env as cfg_env,
};
use rsspot::raw::types::OrganizationListOrganizationsItem as Organization;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::Value;

use super::{
    file_selection, flatten, locate_config, print_fields, redacted_profile, target_profile, yes_no,
};
use crate::ctx::Ctx;
use crate::help_layout::WithExamples;

/// `rsspot configure`: create or update one profile (the global `--profile`, `--org` and
/// `--region` flags select the profile and set those two fields).
#[derive(Debug, Args)]
#[command(after_help = "\
The profile is the global --profile (default: the active profile, else \"default\"); --org and
--region set the profile's org and region. Only the fields you pass change; everything else in
the profile (including an existing refresh token) is kept. On a terminal, missing org, region
and refresh token are prompted for (the token without echo).")]
#[command(examples(&[
    ("Asked for on a terminal", "rsspot configure"),
    (
        "A second profile, token read from stdin, not made active",
        "rsspot -p ci configure --refresh-token-file - --no-activate",
    ),
    ("Check the token against the API", "rsspot configure --verify"),
]))]
pub struct ConfigureArgs {
    /// Organization id (org_…).
    #[arg(long, value_name = "ID")]
    pub org_id: Option<String>,
    /// Refresh token to store (prefer --refresh-token-file: argv is visible to other users).
    #[arg(long, conflicts_with = "refresh_token_file", value_name = "TOKEN")]
    pub refresh_token: Option<String>,
    /// Read the refresh token from this file ("-" for stdin).
    #[arg(long, value_name = "FILE")]
    pub refresh_token_file: Option<PathBuf>,
    /// Pre-issued access token to store.
    #[arg(long, value_name = "TOKEN")]
    pub access_token: Option<String>,
    /// OAuth client id.
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Spot API base URL.
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// OAuth base URL.
    #[arg(long, value_name = "URL")]
    pub oauth_url: Option<String>,
    /// Host of the public pricing documents.
    #[arg(long, value_name = "URL")]
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

/// What `configure` prints (secrets redacted).
#[derive(Debug, Serialize)]
struct ConfigureSummary {
    profile: String,
    path: String,
    created: bool,
    active: bool,
    /// The profile's settings whose value this run changed (empty: nothing changed).
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
        (None, Some(f)) if f.as_os_str() == "-" => rsspot::cli_support::read_stdin_text(
            rsspot::cli_support::SECRET_FILE_MAX,
            "a refresh token",
        )?,
        (None, Some(f)) => rsspot::cli_support::read_bounded_text(
            f,
            rsspot::cli_support::SECRET_FILE_MAX,
            "a refresh token file",
        )?,
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

/// The settings `configure` sets, in the order it reports them.
const CONFIGURED: [&str; 9] = [
    "org",
    "org_id",
    "region",
    "refresh_token",
    "access_token",
    "client_id",
    "base_url",
    "oauth_url",
    "public_data_url",
];

/// The settings whose value differs between `before` and `after` (values compared, never
/// printed).
fn changed_fields(
    before: &rsspot::config::Profile,
    after: &rsspot::config::Profile,
) -> Vec<&'static str> {
    let (before, after) = (
        serde_json::to_value(before).unwrap_or_default(),
        serde_json::to_value(after).unwrap_or_default(),
    );
    CONFIGURED
        .into_iter()
        .filter(|k| before.get(k) != after.get(k))
        .collect()
}

fn non_empty(v: &Option<String>) -> Option<String> {
    v.as_ref()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `rsspot configure`.
pub async fn configure(ctx: &Ctx, a: ConfigureArgs) -> Result<()> {
    let path = locate_config(ctx)?;
    // A snapshot for prompts and --verify; the write below re-reads the file under its lock.
    let snapshot = ConfigDocument::open(&path)?;
    let name = target_profile(ctx, snapshot.file());
    let existing = snapshot.profile(&name).cloned().unwrap_or_default();

    let mut patch = ProfilePatch {
        org: non_empty(&ctx.global.org),
        org_id: non_empty(&a.org_id),
        region: non_empty(&ctx.global.region),
        refresh_token: token_from_args(&a)?.map(Secret::from),
        access_token: non_empty(&a.access_token).map(Secret::new),
        client_id: non_empty(&a.client_id),
        base_url: non_empty(&a.base_url),
        oauth_url: non_empty(&a.oauth_url),
        public_data_url: non_empty(&a.public_data_url),
        ..Default::default()
    };
    if interactive(ctx, &a) {
        ctx.out.note(&format!(
            "Configuring profile '{name}' in {}",
            path.display()
        ));
        if patch.org.is_none() && existing.org.is_none() && existing.org_id.is_none() {
            patch.org = prompt("Organization (name or org_… id, empty to skip)")?;
        }
        if patch.region.is_none() && existing.region.is_none() {
            patch.region = prompt("Default region (e.g. us-central-dfw-1, empty to skip)")?;
        }
        if patch.refresh_token.is_none() && existing.refresh_token.is_none() {
            patch.refresh_token = prompt_secret("Refresh token (input hidden)")?.map(Secret::from);
        }
    }

    let activate = !a.no_activate;
    let verified = if a.verify {
        let mut preview = snapshot;
        preview.upsert_profile(&name, patch.clone())?;
        Some(
            verify(&preview, &name, ctx.global.request_timeout)
                .await
                .with_context(|| format!("--verify failed; {} was not changed", path.display()))?,
        )
    } else {
        None
    };

    let ((created, changed), doc) = ConfigDocument::update(&path, |doc| {
        let created = !doc.exists();
        let before = doc.profile(&name).cloned().unwrap_or_default();
        doc.upsert_profile(&name, patch)?;
        let after = doc.profile(&name).cloned().unwrap_or_default();
        if activate {
            doc.use_profile(&name)?;
        }
        Ok((created, changed_fields(&before, &after)))
    })?;

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
                if summary.changed.is_empty() {
                    "nothing changed".to_string()
                } else {
                    summary.changed.join(", ")
                },
            ),
        ];
        flatten("", &summary.settings, &mut pairs);
        print_fields(ctx, pairs)
    } else {
        ctx.out.data(&summary)
    }
}

/// Exchanges the profile's refresh token once (through the SDK) and returns the organization it
/// belongs to (its `org_id` claim, named through the organizations list). The profile's own values
/// win over the environment here: it is the profile being checked, not the shell. When the profile
/// names an org, the token must belong to it.
async fn verify(
    doc: &ConfigDocument,
    name: &str,
    request_timeout: Option<std::time::Duration>,
) -> Result<Organization> {
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
        cfg_env::OTHER_TOOLS_REFRESH_TOKEN_VARS,
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
    let mut builder = rsspot::SpotClient::builder()
        .settings(&resolved.settings)
        .in_memory_state()
        .token_cache(false)
        .cache(false);
    if let Some(t) = request_timeout {
        builder = builder.timeout(t);
    }
    // One bound over the whole check (the exchange and the organizations list), so the command
    // ends by the request timeout however the token service and the API behave.
    let bound = request_timeout.unwrap_or(resolved.settings.request_timeout);
    let client = builder
        .build()
        .await?
        .with_deadline(std::time::Instant::now() + bound);
    // `namespace(None)` is the token's own org (its org_id claim); this is the one exchange.
    let namespace = client.namespace(None).await?;
    let orgs = client.organizations().list().await?;
    let own = orgs
        .into_iter()
        .find(|o| {
            o.metadata.as_ref().and_then(|m| m.namespace.as_deref()) == Some(namespace.as_str())
                || o.id
                    .as_deref()
                    .map(rsspot::cli_support::namespace_for_org_id)
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
        known.iter().flatten().any(|k| {
            k.eq_ignore_ascii_case(w) || rsspot::cli_support::namespace_for_org_id(k) == *w
        })
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

impl crate::shape::Shaped for ConfigureArgs {
    /// A summary of what changed: every format.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::RESOURCE
    }
}
