//! The arguments many commands share (a prelude): an object's name, `--wait`/`--timeout`.
//! Commands import them from here, not from one another.

use std::time::Duration;

use anyhow::Result;
use clap::Args;

use crate::progress;

/// A resource name, positional or `--name`.
#[derive(Debug, Clone, Args)]
pub struct NameArgs {
    /// Name.
    #[arg(value_parser = crate::names::object)]
    pub name: Option<String>,
    /// Same as the positional NAME.
    #[arg(long = "name", conflicts_with = "name", value_name = "NAME", value_parser = crate::names::object)]
    pub name_flag: Option<String>,
}

impl NameArgs {
    /// The name given either way (usage error when neither).
    pub fn get(self, what: &str) -> Result<String> {
        name_arg(self.name, self.name_flag, what)
    }
}

/// `--wait` / `--timeout` for create and update.
#[derive(Debug, Clone, Args)]
pub struct WaitFlags {
    /// Wait until the operation completes, showing progress on stderr (Ctrl-C stops waiting
    /// only; the operation goes on).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits: 90s, 20m, 1h or seconds (default 20m for cloudspaces, 30m for pools).
    #[arg(long, requires = "wait", value_parser = progress::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// Picks the positional name or `--name`, with a usage error when neither is given.
pub fn name_arg(positional: Option<String>, flag: Option<String>, what: &str) -> Result<String> {
    positional.or(flag).ok_or_else(|| {
        anyhow::Error::new(rsspot::Error::invalid(
            "NAME",
            format!("give the {what} name (positional or --name)"),
        ))
    })
}
