//! `rsspot help [COMMAND...|TOPIC]`: clap's help for a command path, plus topics clap cannot
//! generate (`environment`: every variable the configuration reads, from the config module's
//! table, so the list cannot drift from the code).

use anyhow::Result;
use clap::{Args, CommandFactory};

use crate::ctx::Ctx;
use crate::output::Usage;

/// Topics `rsspot help` knows besides command names.
pub const TOPICS: &[&str] = &["environment"];

#[derive(Debug, Args)]
pub struct HelpArgs {
    /// A command path (e.g. `cloudspaces list`) or a topic: environment.
    #[arg(value_name = "COMMAND|TOPIC")]
    pub topic: Vec<String>,
}

/// Variables read outside the configuration loader.
const OTHER_VARS: &[(&str, &str)] = &[
    (
        "NO_COLOR",
        "any value: no colors; the price chart uses plain ASCII",
    ),
    (
        "TERM",
        "`dumb`: no colors; the price chart uses plain ASCII",
    ),
    ("RUST_LOG", "log filter for stderr (overrides -v/-q)"),
    (
        "KUBECONFIG",
        "the kubeconfig `rsspot kubeconfig` merges into",
    ),
    (
        "COMPLETE",
        "set by the shell hook of live completions (see `rsspot completions --help`)",
    ),
];

/// The text of `rsspot help environment`.
pub fn environment_text() -> String {
    let mut text = String::from(
        "Environment variables read by rsspot. For each setting the first variable set to a \
         non-empty value wins;\nflags beat variables, variables beat the profile in the \
         config file (`rsspot config show` tells which won).\n\n",
    );
    let width = rsspot::config::env::ENV_VARS
        .iter()
        .map(|(setting, _)| setting.len())
        .max()
        .unwrap_or(0);
    text.push_str(&format!("{:<width$}  VARIABLES\n", "SETTING"));
    for (setting, vars) in rsspot::config::env::ENV_VARS {
        text.push_str(&format!("{setting:<width$}  {}\n", vars.join(", ")));
    }
    text.push_str("\nOther variables:\n");
    let width = OTHER_VARS.iter().map(|(v, _)| v.len()).max().unwrap_or(0);
    for (var, what) in OTHER_VARS {
        text.push_str(&format!("  {var:<width$}  {what}\n"));
    }
    text
}

pub fn help(ctx: &Ctx, a: HelpArgs) -> Result<()> {
    if let [topic] = a.topic.as_slice()
        && matches!(topic.as_str(), "environment" | "env")
    {
        return ctx.out.text(&environment_text());
    }
    let mut cmd = crate::cli::Cli::command();
    cmd.build();
    let mut current = &mut cmd;
    for word in &a.topic {
        let top = current.get_name() == "rsspot";
        let known: Vec<String> = current
            .get_subcommands()
            .map(|c| c.get_name().to_string())
            .collect();
        match current.find_subcommand_mut(word) {
            Some(sub) => current = sub,
            None => {
                let mut known = known;
                if top {
                    known.extend(TOPICS.iter().map(|t| t.to_string()));
                }
                anyhow::bail!(Usage(format!(
                    "unknown command or help topic {word:?}; known here: {}",
                    known.join(", ")
                )));
            }
        }
    }
    ctx.out.text(&current.render_long_help().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_lists_every_configured_variable() {
        let text = environment_text();
        for (_, vars) in rsspot::config::env::ENV_VARS {
            for v in *vars {
                assert!(text.contains(v), "{v} missing from help environment");
            }
        }
        assert!(text.contains("NO_COLOR"));
    }
}
