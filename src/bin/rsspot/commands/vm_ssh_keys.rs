//! `vm-ssh-keys list|get|create|delete` (spotctl: `vmsshkeys`, `vmsk`): the SSH keys VM
//! cloudspaces install on their VMs. `create` checks the key locally first.

use crate::help_layout::WithExamples;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::raw::types::VmSshKey;
use rsspot::services::VmSshKeyCreate;

use crate::args::NameArgs;
use crate::ctx::Ctx;
use crate::kinds::VmSshKeys;
use crate::output::{Tabular, dash};
use crate::view::{self, GetArgs, WatchArgs};

/// `vm-ssh-keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum VmSshKeysCmd {
    /// List the org's SSH keys.
    #[command(visible_alias = "ls")]
    List(WatchArgs),
    /// Show one key.
    Get(GetArgs),
    /// Add a public key (checked locally: an OpenSSH line such as ~/.ssh/id_ed25519.pub).
    #[command(examples(&[
        ("From your public key file", "rsspot vm-ssh-keys create me --public-key-file ~/.ssh/id_ed25519.pub"),
    ]))]
    Create(CreateArgs),
    /// Delete a key (asks on a terminal; --yes otherwise).
    #[command(visible_alias = "rm")]
    Delete(NameArgs),
}

/// `vm-ssh-keys create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// The public key line itself.
    #[arg(
        long,
        conflicts_with = "public_key_file",
        required_unless_present = "public_key_file"
    )]
    pub public_key: Option<String>,
    /// A file holding the public key line (e.g. ~/.ssh/id_ed25519.pub).
    #[arg(long, value_name = "FILE")]
    pub public_key_file: Option<PathBuf>,
    /// Free text.
    #[arg(long)]
    pub description: Option<String>,
    /// Print the exact request body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl Tabular for VmSshKey {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["NAME", "FINGERPRINT", "VALIDATED"];
        if wide {
            h.push("DESCRIPTION");
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let status = self.status.as_ref();
        let mut r = vec![
            self.name(),
            dash(status.and_then(|s| s.fingerprint.as_ref())),
            dash(status.and_then(|s| s.validated)),
        ];
        if wide {
            r.push(dash(self.spec.description.as_ref()));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata.name.clone()
    }
}

/// Runs a `vm-ssh-keys` subcommand.
pub async fn run(ctx: &Ctx, cmd: VmSshKeysCmd) -> Result<()> {
    let org = ctx.org();
    match cmd {
        VmSshKeysCmd::List(w) => view::list(ctx, &VmSshKeys::of(ctx, None), &w).await,
        VmSshKeysCmd::Get(a) => view::get(ctx, &VmSshKeys::of(ctx, None), a).await,
        VmSshKeysCmd::Create(a) => {
            let name = a.name.get("vm ssh key")?;
            let line = match (a.public_key, &a.public_key_file) {
                (Some(k), _) => k,
                (None, Some(path)) => rsspot::cli_support::read_bounded_text(
                    path,
                    rsspot::cli_support::SECRET_FILE_MAX,
                    "an SSH public key file",
                )?,
                (None, None) => anyhow::bail!(rsspot::Error::invalid(
                    "--public-key",
                    "give --public-key or --public-key-file"
                )),
            };
            let mut req = VmSshKeyCreate::new(name, line);
            req.description = a.description;
            let fingerprint = req.validate()?;
            if a.dry_run {
                return ctx
                    .out
                    .dry_run("this is the request body", &req.to_body("<org namespace>"));
            }
            let key = ctx
                .client()
                .await?
                .org_or_default(org)
                .vm_ssh_keys()
                .create(&req)
                .await?;
            ctx.out
                .note(&format!("vm ssh key {} created ({fingerprint})", req.name));
            ctx.out.one(&key, &key)
        }
        VmSshKeysCmd::Delete(n) => {
            view::delete(ctx, n, "vm ssh key", "", |name| async move {
                let keys = ctx.client().await?.org_or_default(org).vm_ssh_keys();
                anyhow::Ok(keys.delete(&name).await?)
            })
            .await
        }
    }
}

impl crate::shape::Shaped for VmSshKeysCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            VmSshKeysCmd::List(_)
            | VmSshKeysCmd::Get(_)
            | VmSshKeysCmd::Create(_)
            | VmSshKeysCmd::Delete(_) => crate::shape::Shape::RESOURCE,
        }
    }
}
