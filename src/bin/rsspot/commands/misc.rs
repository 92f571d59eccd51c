//! (being written)

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::ctx::Ctx;

#[derive(Debug, Subcommand)]
pub enum EmulatorCmd {
    /// Serve the emulator.
    Serve,
}

#[derive(Debug, Args)]
pub struct ApiArgs {}

#[derive(Debug, Args)]
pub struct CompletionsArgs {}

#[derive(Debug, Args)]
pub struct DemoArgs {}

pub async fn emulator(_ctx: &Ctx, _c: EmulatorCmd) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn api(_ctx: &Ctx, _a: ApiArgs) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub fn completions(_ctx: &Ctx, _a: CompletionsArgs) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub fn version(_ctx: &Ctx) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn demo(_ctx: &Ctx, _a: DemoArgs) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
