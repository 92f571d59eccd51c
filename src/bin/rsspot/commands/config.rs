//! `configure`, `profiles …` and `config …`: editing and inspecting the config file.
//!
//! Every edit goes through [`rsspot::config::ConfigDocument`] (field by field, real secrets,
//! atomic 0600 writes in the file's own format). Anything printed goes through its redacted
//! view or through `Resolved::provenance`, so no token ever reaches stdout or stderr.
//!
//! Commands that only edit the file (`profiles use`, `configure`, …) locate it without resolving
//! a profile, so they keep working when the current selection is broken (e.g. several profiles
//! and none active) — that is exactly when they are needed.

//!
//! spotctl's files (`~/.spot_config`, `~/.spotctl/config.yaml`) are only ever read: the first
//! run imports their settings into rsspot's own file and says so once.

mod configure;
mod profiles;

use crate::help_layout::WithExamples;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Subcommand;
use rsspot::config::{self, ConfigDocument, ConfigFile, Env, env as cfg_env};
use serde::Serialize;
use serde_json::Value;

pub use configure::{ConfigureArgs, configure};
pub use profiles::{ProfilesCmd, profiles};

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::Tabular;

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
    #[command(examples(&[
        ("Where each setting comes from", "rsspot config explain"),
    ]))]
    Explain {
        /// Only this key and the keys under it (e.g. region, retry, cache.ttl).
        key: Option<String>,
    },
    /// The JSON Schema of the config file (for editors' YAML/JSON language servers).
    Schema,
    /// Import spotctl's ~/.spot_config (or ~/.spotctl/config.yaml) into rsspot's config now
    /// (the first command does it when rsspot has no config yet). spotctl's file is not changed.
    Migrate,
}

// ---------------------------------------------------------------------------------------------
// Locating the file

/// The process environment as `config::load` sees it.
pub(super) fn process_env() -> Env {
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
/// variables, the default directory, the file imported from spotctl's, else a new default file). Does not
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
pub(super) fn open_document(ctx: &Ctx) -> Result<ConfigDocument> {
    let path = locate_config(ctx)?;
    Ok(ConfigDocument::open(&path)?)
}

/// The profile the file itself selects: `active_profile`, `default_profile`, the only one.
pub(super) fn file_selection(file: &ConfigFile) -> Option<String> {
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
pub(super) fn target_profile(ctx: &Ctx, file: &ConfigFile) -> String {
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
pub(super) fn unknown_profile(name: &str, doc: &ConfigDocument) -> anyhow::Error {
    anyhow::Error::new(rsspot::Error::ProfileNotFound {
        profile: name.to_string(),
        known: doc.profile_names(),
        origin: doc.path().display().to_string(),
        selected_by: None,
    })
}

/// A setting's value fit to print: a URL (`base_url`, `oauth_url`, `public_data_url`,
/// `ledger_url`) loses its user-info and the password of a postgres URL.
pub(super) fn printable(value: &str) -> String {
    if value.contains("://") {
        rsspot::state::redact::redact_url(value)
    } else {
        value.to_string()
    }
}

/// [`printable`] for every string of a JSON document.
pub(super) fn printable_json(v: &mut Value) {
    match v {
        Value::String(s) => *s = printable(s),
        Value::Array(items) => items.iter_mut().for_each(printable_json),
        Value::Object(m) => m.values_mut().for_each(printable_json),
        _ => {}
    }
}

/// Dotted `(key, value)` pairs of a JSON document, for key/value views.
pub(super) fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
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
        Value::String(s) => out.push((prefix.to_string(), printable(s))),
        Value::Null => out.push((prefix.to_string(), "-".into())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

pub(super) fn print_fields(ctx: &Ctx, pairs: Vec<(String, String)>) -> Result<()> {
    let refs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    ctx.out.fields(&refs)
}

/// The redacted settings of one profile.
pub(super) fn redacted_profile(doc: &ConfigDocument, name: &str) -> Value {
    let mut v = doc
        .redacted_view()
        .get("profiles")
        .and_then(|p| p.get(name))
        .cloned()
        .unwrap_or_else(|| Value::Object(Default::default()));
    printable_json(&mut v);
    v
}

/// A one-line confirmation on a terminal, a small JSON/YAML object otherwise.
pub(super) fn done(ctx: &Ctx, line: &str, data: Value) -> Result<()> {
    if ctx.out.is_table() || ctx.out.format == OutputFormat::Name {
        ctx.out.text(line)
    } else {
        ctx.out.data(&data)
    }
}

pub(super) fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
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
            let mut view = doc.redacted_view();
            printable_json(&mut view);
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
                    value: printable(&p.value),
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
                Some(r) if !(r.merged_into_existing && r.profiles_added.is_empty()) => {
                    let data = serde_json::json!({
                        "migrated": true,
                        "legacy_path": r.legacy_path,
                        "target_path": r.target_path,
                        "profiles_added": r.profiles_added,
                        "profiles_unchanged": r.profiles_unchanged,
                        "merged_into_existing": r.merged_into_existing,
                    });
                    done(ctx, &r.to_string(), data)
                }
                _ => {
                    let home = home_dir(&env);
                    let legacy = config::find_legacy(&home)
                        .unwrap_or_else(|| config::legacy_config_path(&home));
                    done(
                        ctx,
                        &format!("Nothing new to import from {}", legacy.display()),
                        serde_json::json!({"migrated": false, "legacy_path": legacy}),
                    )
                }
            }
        }
    }
}

impl crate::shape::Shaped for ConfigCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            ConfigCmd::Schema => Shape::DATA,
            ConfigCmd::Show => Shape::REPORT,
            ConfigCmd::Validate => Shape::TEXT_OR_DATA,
            ConfigCmd::Path | ConfigCmd::Explain { .. } | ConfigCmd::Migrate => Shape::RESOURCE,
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
