//! `rsspot help [COMMAND...|TOPIC]`: clap's help for a command path, plus topics clap cannot
//! generate (`environment`: every variable the configuration reads, from the config module's
//! table, so the list cannot drift from the code).

use anyhow::Result;
use clap::Args;

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
        "the kubeconfig `rsspot cloudspaces kubeconfig --merge` merges into",
    ),
    (
        "COMPLETE",
        "set by the shell hook of live completions (see `rsspot completions --help`)",
    ),
];

/// The width `help environment` is laid out for: a plain 80-column terminal shows it without
/// breaking a variable name in two.
const WIDTH: usize = 80;

/// Fills `words` (each kept whole, joined by `sep`) into lines of at most `width` characters
/// (a single word longer than that gets a line of its own).
fn fill(words: &[&str], sep: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for (i, word) in words.iter().enumerate() {
        let piece = if i + 1 < words.len() {
            format!("{word}{}", sep.trim_end())
        } else {
            (*word).to_string()
        };
        let needed = if line.is_empty() {
            piece.chars().count()
        } else {
            line.chars().count() + 1 + piece.chars().count()
        };
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// `label` in a column `width` wide, then `text` filled into what is left of [`WIDTH`] and
/// continued under itself.
fn hanging(out: &mut String, label: &str, width: usize, words: &[&str], sep: &str) {
    let room = WIDTH.saturating_sub(width + 2).max(20);
    for (i, line) in fill(words, sep, room).iter().enumerate() {
        let label = if i == 0 { label } else { "" };
        out.push_str(format!("{label:<width$}  {line}").trim_end());
        out.push('\n');
    }
}

/// The text of `rsspot help environment`, laid out for an 80-column terminal.
pub fn environment_text() -> String {
    let intro = "Environment variables read by rsspot. For each setting the first variable set \
                 to a non-empty value wins; flags beat variables, variables beat the profile in \
                 the config file (`rsspot config explain` tells which won).";
    let words: Vec<&str> = intro.split_whitespace().collect();
    let mut text = fill(&words, " ", WIDTH).join("\n");
    text.push_str("\n\n");
    let width = rsspot::config::env::ENV_VARS
        .iter()
        .map(|(setting, _)| setting.len())
        .max()
        .unwrap_or(0);
    text.push_str(&format!("{:<width$}  VARIABLES\n", "SETTING"));
    for (setting, vars) in rsspot::config::env::ENV_VARS {
        hanging(&mut text, setting, width, vars, ", ");
    }
    text.push_str("\nOther variables:\n");
    let width = OTHER_VARS.iter().map(|(v, _)| v.len()).max().unwrap_or(0);
    for (var, what) in OTHER_VARS {
        let words: Vec<&str> = what.split_whitespace().collect();
        hanging(&mut text, &format!("  {var}"), width + 2, &words, " ");
    }
    text
}

pub fn help(ctx: &Ctx, a: HelpArgs) -> Result<()> {
    if let [topic] = a.topic.as_slice()
        && matches!(topic.as_str(), "environment" | "env")
    {
        return ctx.out.text(&environment_text());
    }
    let mut cmd = crate::cli::command();
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

impl crate::shape::Shaped for HelpArgs {
    /// Text; local, so not recorded.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT.unrecorded()
    }
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

    /// Each `rsspot …` between backticks in `help environment` is a command that parses.
    #[test]
    fn environment_names_only_commands_that_exist() {
        let text = environment_text().replace('\n', " ");
        let mut named = 0;
        for (i, quoted) in text.split('`').enumerate() {
            if i % 2 == 0 || !quoted.starts_with("rsspot") {
                continue;
            }
            named += 1;
            let words: Vec<&str> = quoted.split_whitespace().collect();
            let r = crate::cli::command().try_get_matches_from(&words);
            let ok = match &r {
                Ok(_) => true,
                Err(e) => matches!(e.kind(), clap::error::ErrorKind::DisplayHelp),
            };
            assert!(
                ok,
                "`{quoted}` is not a command: {:?}",
                r.err().map(|e| e.kind())
            );
        }
        assert!(named >= 2, "{text}");
    }

    #[test]
    fn environment_fits_80_columns_without_breaking_names() {
        let text = environment_text();
        for line in text.lines() {
            assert!(line.chars().count() <= WIDTH, "too wide: {line:?}");
        }
    }
}
