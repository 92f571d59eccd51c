//! `rsspot profiles …`: list, show, select, delete and rename profiles. Edits run under the
//! config file's lock.

use crate::help_layout::WithExamples;
use anyhow::Result;
use clap::Subcommand;
use rsspot::config::ConfigDocument;
use serde::Serialize;

use super::{
    done, file_selection, flatten, open_document, print_fields, redacted_profile, target_profile,
    unknown_profile, yes_no,
};
use crate::ctx::Ctx;
use crate::output::{Tabular, dash};

/// `rsspot profiles …`.
#[derive(Debug, Subcommand)]
pub enum ProfilesCmd {
    /// List profiles (the active one is marked with *).
    #[command(visible_alias = "ls")]
    #[command(examples(&[
        ("Profiles, the active one marked", "rsspot profiles list"),
    ]))]
    List,
    /// Show one profile, secrets redacted (default: the selected profile).
    #[command(visible_alias = "get")]
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
    #[command(visible_alias = "rm")]
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
                        base_url: p.base_url.as_deref().map(super::printable),
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
            let path = doc.path().to_path_buf();
            ConfigDocument::update(&path, |d| d.use_profile(&name))?;
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
            let path = doc.path().to_path_buf();
            let (was_active, after) = ConfigDocument::update(&path, |d| {
                let was_active = file_selection(d.file()).as_deref() == Some(name.as_str());
                d.delete_profile(&name)?;
                Ok(was_active)
            })?;
            doc = after;
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
            let path = doc.path().to_path_buf();
            ConfigDocument::update(&path, |d| d.rename_profile(&old, &new))?;
            done(
                ctx,
                &format!("Renamed profile '{old}' to '{new}'"),
                serde_json::json!({"renamed": old, "to": new, "path": doc.path()}),
            )
        }
    }
}

impl crate::shape::Shaped for ProfilesCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            ProfilesCmd::List
            | ProfilesCmd::Show { .. }
            | ProfilesCmd::Use { .. }
            | ProfilesCmd::Delete { .. }
            | ProfilesCmd::Rename { .. } => crate::shape::Shape::RESOURCE,
        }
    }
}
