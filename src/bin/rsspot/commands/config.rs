//! (being written)

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::ctx::Ctx;

#[derive(Debug, Args)]
pub struct ConfigureArgs {}

#[derive(Debug, Subcommand)]
pub enum ProfilesCmd {
    /// List profiles.
    List,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Print the config file path.
    Path,
}

pub async fn configure(_ctx: &Ctx, _a: ConfigureArgs) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn profiles(_ctx: &Ctx, _c: ProfilesCmd) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn config(_ctx: &Ctx, _c: ConfigCmd) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
