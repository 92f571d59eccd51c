//! (being written)

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::ctx::Ctx;

#[derive(Debug, Subcommand)]
pub enum InventoryCmd {
    /// List.
    List,
}

pub async fn run(_ctx: &Ctx, _cmd: InventoryCmd) -> Result<()> {
    anyhow::bail!("not implemented yet")
}

#[allow(dead_code)]
#[derive(Debug, Args)]
pub struct Unused;
