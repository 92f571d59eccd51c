//! `rsspot completions SHELL`: the static completion script of a shell.

use anyhow::Result;
use clap::{Args, CommandFactory};

use crate::ctx::Ctx;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// Shell to generate completions for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn completions(ctx: &Ctx, a: CompletionsArgs) -> Result<()> {
    let mut cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    // Into a buffer first: clap_complete panics on write errors, our printer is EPIPE-safe.
    clap_complete::generate(a.shell, &mut cmd, "rsspot", &mut buf);
    ctx.out.text(&String::from_utf8_lossy(&buf))
}

impl crate::shape::Shaped for CompletionsArgs {
    /// A shell script; local, so not recorded.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT.unrecorded()
    }
}
