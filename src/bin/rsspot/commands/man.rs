//! `rsspot man [--dir DIR]`: manual pages generated from the clap tree with clap_mangen, so they
//! say exactly what `--help` says, plus an EXAMPLES section (the examples each command declares
//! and `--help` shows, read back with [`crate::help_layout::split_examples`]). Release packaging runs `rsspot man --dir` to ship them.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Command, CommandFactory};
use clap_mangen::Man;

use crate::ctx::Ctx;
use crate::help_layout;

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (rsspot.1, rsspot-cloudspaces-list.1, ...) instead
    /// of printing rsspot(1) to stdout.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `text` as roff body text: backslashes and hyphens escaped, no line read as a request.
fn roff_text(text: &str) -> String {
    let escaped = text.replace('\\', "\\e").replace('-', "\\-");
    if escaped.starts_with('.') || escaped.starts_with('\'') {
        format!("\\&{escaped}")
    } else {
        escaped
    }
}

/// The EXAMPLES section of these examples, or nothing.
fn examples_section(list: &[(String, String)]) -> String {
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::from(".SH EXAMPLES\n");
    for (what, line) in list {
        out.push_str(&format!(".PP\n{}\n.PP\n.RS 4\n.nf\n", roff_text(what)));
        for l in help_layout::shell_lines(line, "", 4) {
            out.push_str(&roff_text(&l));
            out.push('\n');
        }
        out.push_str(".fi\n.RE\n");
    }
    out
}

/// One page: clap_mangen's sections, with EXAMPLES before the extra text (exit codes).
fn page(cmd: Command, w: &mut dyn Write) -> std::io::Result<()> {
    // The examples sit at the end of the after-help; they get their own section.
    let after = cmd.get_after_help().map(|h| h.to_string());
    let (extra, examples) = help_layout::split_examples(after.as_deref().unwrap_or_default());
    let cmd = match after {
        Some(_) if extra.is_empty() => {
            cmd.after_help(clap::builder::Resettable::<clap::builder::StyledStr>::Reset)
        }
        Some(_) => cmd.after_help(extra),
        None => cmd,
    };
    let man = Man::new(cmd.clone());
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(w)?;
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        man.render_subcommands_section(w)?;
    }
    w.write_all(examples_section(&examples).as_bytes())?;
    if cmd.get_after_long_help().is_some() || cmd.get_after_help().is_some() {
        man.render_extra_section(w)?;
    }
    if cmd.get_version().is_some() {
        man.render_version_section(w)?;
    }
    Ok(())
}

/// Writes the page of `cmd` and of each visible subcommand into `dir`; returns how many.
fn write_pages(cmd: &Command, dir: &std::path::Path) -> std::io::Result<usize> {
    let mut written = 0;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written += write_pages(sub, dir)?;
    }
    let name = cmd
        .get_display_name()
        .unwrap_or_else(|| cmd.get_name())
        .to_string();
    let mut buf = Vec::new();
    page(cmd.clone(), &mut buf)?;
    // Manual pages are for everyone to read (as clap_mangen writes them): a plain write.
    std::fs::write(dir.join(format!("{name}.1")), &buf)?;
    Ok(written + 1)
}

/// The tree the pages describe: `--help`'s (examples go in their own section).
fn tree() -> Command {
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

pub fn man(ctx: &Ctx, a: ManArgs) -> Result<()> {
    let cmd = tree();
    match a.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let written = write_pages(&cmd, &dir)
                .with_context(|| format!("cannot write manual pages to {}", dir.display()))?;
            ctx.out.note(&format!(
                "wrote {written} manual pages to {}",
                dir.display()
            ));
            Ok(())
        }
        None => {
            let mut buf = Vec::new();
            page(cmd, &mut buf)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_have_an_examples_section() {
        let cmd = tree();
        let cs = cmd.find_subcommand("cloudspaces").unwrap();
        let create = cs.find_subcommand("create").unwrap().clone();
        let mut buf = Vec::new();
        page(create, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains(".SH EXAMPLES"), "{text}");
        assert!(!text.contains("Examples:"), "examples twice: {text}");
        assert!(
            text.contains("rsspot cs create demo \\-\\-region"),
            "{text}"
        );
        let mut buf = Vec::new();
        page(cmd.clone(), &mut buf).unwrap();
        assert!(String::from_utf8(buf).unwrap().contains(".SH EXAMPLES"));
    }
}
