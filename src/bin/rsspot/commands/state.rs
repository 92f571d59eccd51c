//! (being written)

use anyhow::Result;
use clap::{Args, Subcommand};

use crate::ctx::Ctx;

#[derive(Debug, Args)]
pub struct HistoryArgs {}

#[derive(Debug, Subcommand)]
pub enum StateCmd {
    /// Print the state.db path.
    Path,
}

#[derive(Debug, Subcommand)]
pub enum CacheCmd {
    /// Cache statistics.
    Stats,
}

pub async fn history(_ctx: &Ctx, _a: HistoryArgs) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn state(_ctx: &Ctx, _c: StateCmd) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
pub async fn cache(_ctx: &Ctx, _c: CacheCmd) -> Result<()> {
    anyhow::bail!("not implemented yet")
}
