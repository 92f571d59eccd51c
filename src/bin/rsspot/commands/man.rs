//! `rsspot man [--dir DIR]`: manual pages generated from the clap tree with clap_mangen, so they
//! say exactly what `--help` says. Release packaging runs `rsspot man --dir` to ship them.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};

use crate::ctx::Ctx;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (rsspot.1, rsspot-cloudspaces-list.1, ...) instead
    /// of printing rsspot(1) to stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub fn man(ctx: &Ctx, a: ManArgs) -> Result<()> {
    let cmd = crate::cli::Cli::command();
    match a.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write manual pages to {}", dir.display()))?;
            let written = std::fs::read_dir(&dir)?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "1"))
                .count();
            ctx.out.note(&format!(
                "wrote {written} manual pages to {}",
                dir.display()
            ));
            Ok(())
        }
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            ctx.out.text(&String::from_utf8_lossy(&buf))
        }
    }
}

impl crate::shape::Shaped for ManArgs {
    /// roff text; local, so not recorded.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT.unrecorded()
    }
}
