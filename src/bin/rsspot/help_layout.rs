//! How help is laid out: the "Examples:" section each command declares beside itself (through
//! [`WithExamples`], a `#[command(examples(&[...]))]` attribute), and the compact help of
//! command groups ([`compact_groups`]). The man pages read the same examples back
//! ([`split_examples`]), so `--help` and `man` cannot disagree. A test runs every example
//! through clap, so none can name a flag that does not exist.

use clap::Command;

/// `(what it does, the command line)` pairs of one command.
pub type Examples = &'static [(&'static str, &'static str)];

/// The width examples and group lists are laid out for (a long command continues on the next
/// line after a ` \`, as a shell reads it).
pub const WIDTH: usize = 80;

/// The heading of the section; [`split_examples`] finds the section by it.
const HEADING: &str = "Examples:";

/// Gives a command its examples, as `#[command(examples(&[("what", "rsspot …")]))]` beside the
/// command's declaration.
pub trait WithExamples {
    /// The command with an "Examples:" section after any text it already shows last.
    fn examples(self, examples: Examples) -> Self;

    /// The subcommand `name` given its examples, in its place (for a group whose
    /// subcommands are shared by several kinds, such as spot and on-demand pools).
    fn sub_examples(self, name: &str, examples: Examples) -> Self;
}

impl WithExamples for Command {
    fn examples(self, examples: Examples) -> Command {
        if examples.is_empty() {
            return self;
        }
        let mut after = self
            .get_after_help()
            .map(|h| format!("{h}\n\n"))
            .unwrap_or_default();
        after.push_str(&section(examples));
        self.after_help(after)
    }

    fn sub_examples(self, name: &str, examples: Examples) -> Command {
        self.mut_subcommands(|c| {
            if c.get_name() == name {
                c.examples(examples)
            } else {
                c
            }
        })
    }
}

/// `line` broken into shell lines of at most [`WIDTH`] columns after `indent` spaces.
pub fn shell_lines(line: &str, first: &str, indent: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = first.to_string();
    for word in line.split_whitespace() {
        let fresh = current.trim().is_empty() || current == first;
        if !fresh && current.chars().count() + 1 + word.len() + 2 > WIDTH {
            out.push(format!("{current} \\"));
            current = " ".repeat(indent);
        } else if !fresh && !current.ends_with(' ') {
            current.push(' ');
        }
        current.push_str(word);
    }
    out.push(current);
    out
}

/// The "Examples:" section as `--help` shows it.
pub fn section(examples: &[(&str, &str)]) -> String {
    let mut text = String::from(HEADING);
    for (what, line) in examples {
        text.push_str(&format!("\n  # {what}"));
        for l in shell_lines(line, "  $ ", 8) {
            text.push('\n');
            text.push_str(&l);
        }
    }
    text
}

/// A command's after-help split into the text before its examples and the examples
/// (`(what, command line)`, continuation lines joined), as [`section`] wrote them.
pub fn split_examples(after_help: &str) -> (String, Vec<(String, String)>) {
    let (before, rest) = if let Some(rest) = after_help.strip_prefix(HEADING) {
        ("", rest)
    } else if let Some(i) = after_help.find(&format!("\n\n{HEADING}\n")) {
        (&after_help[..i], &after_help[i + 2 + HEADING.len()..])
    } else {
        return (after_help.to_string(), Vec::new());
    };
    let mut examples: Vec<(String, String)> = Vec::new();
    let mut continues = false;
    for line in rest.lines() {
        let text = line.trim();
        let (text, more) = match text.strip_suffix('\\') {
            Some(t) => (t.trim_end(), true),
            None => (text, false),
        };
        if let Some(what) = text.strip_prefix("# ") {
            examples.push((what.to_string(), String::new()));
        } else if let Some(last) = examples.last_mut() {
            let part = if continues {
                text
            } else {
                text.trim_start_matches("$ ")
            };
            if !last.1.is_empty() {
                last.1.push(' ');
            }
            last.1.push_str(part);
        }
        continues = more;
    }
    (before.to_string(), examples)
}

/// The clap tree with the compact help of every group (`rsspot cloudspaces`, …): its
/// commands, one line each, and where the flags are, in at most 24 rows.
pub fn compact_groups(cmd: Command) -> Command {
    compact_at(cmd, "")
}

fn compact_at(cmd: Command, path: &str) -> Command {
    let mut cmd = cmd;
    let group = !path.is_empty() && cmd.get_subcommands().next().is_some();
    if group {
        let list = compact_list(&cmd);
        cmd = cmd.help_template(GROUP_TEMPLATE).after_help(format!(
            "Commands:\n{list}\n\n\
             Run `rsspot {path} <COMMAND> --help` for a command's flags and examples.\n\
             Global options: -p/--profile, -o/--output, --org, --region, -y/--yes, -q, -v\n\
             (`rsspot --help` lists them all)."
        ));
    }
    cmd.mut_subcommands(|sub| {
        let name = sub.get_name().to_string();
        let sub_path = if path.is_empty() {
            name
        } else {
            format!("{path} {name}")
        };
        compact_at(sub, &sub_path)
    })
}

/// A group's help: what it is, its commands one line each, where the flags are.
const GROUP_TEMPLATE: &str = "\
{about-with-newline}
{usage-heading} {usage}{after-help}";

/// A group's commands, one line each: the name and the first sentence of its description,
/// cut to fit [`WIDTH`].
fn compact_list(cmd: &Command) -> String {
    let subs: Vec<&Command> = cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    let width = subs.iter().map(|s| s.get_name().len()).max().unwrap_or(0);
    let room = WIDTH.saturating_sub(width + 4);
    subs.iter()
        .map(|s| {
            let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
            let first = about
                .split_inclusive(". ")
                .next()
                .unwrap_or_default()
                .trim()
                .trim_end_matches('.')
                .replace('\n', " ");
            let first = if first.chars().count() > room {
                let cut: String = first.chars().take(room.saturating_sub(1)).collect();
                // At a word's end, when there is one in the second half.
                let cut = match cut.rfind(' ') {
                    Some(i) if i > cut.len() / 2 => cut[..i].to_string(),
                    _ => cut,
                };
                format!("{}…", cut.trim_end_matches([' ', ',', ';', '(']))
            } else {
                first
            };
            format!("  {:<width$}  {first}", s.get_name())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples a built command declares.
    fn examples_of(cmd: &Command) -> Vec<(String, String)> {
        let after = cmd
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        split_examples(&after).1
    }

    /// The main commands: each must show examples.
    const MAIN: &[&str] = &[
        "",
        "configure",
        "cloudspaces list",
        "cloudspaces get",
        "cloudspaces create",
        "cloudspaces update",
        "cloudspaces delete",
        "cloudspaces wait",
        "cloudspaces kubeconfig",
        "nodepools spot list",
        "nodepools spot get",
        "nodepools spot create",
        "nodepools spot update",
        "nodepools spot delete",
        "nodepools ondemand list",
        "nodepools ondemand create",
        "nodepools autopilot create",
        "pricing list",
        "pricing get",
        "pricing bid",
        "pricing build",
        "pricing history",
        "vm-cloudspaces list",
        "vm-cloudspaces create",
        "vm-cloudspaces delete",
        "vm-pools create",
        "vm-ssh-keys create",
        "regions list",
        "server-classes list",
        "profiles list",
        "config explain",
        "demo",
    ];

    fn tree() -> Command {
        let mut cmd = crate::cli::command();
        cmd.build();
        cmd
    }

    /// Every command of the tree with its path.
    fn all(cmd: &Command, path: &str, out: &mut Vec<(String, Command)>) {
        out.push((path.to_string(), cmd.clone()));
        for sub in cmd.get_subcommands() {
            let p = format!("{path} {}", sub.get_name());
            all(sub, p.trim(), out);
        }
    }

    fn commands() -> Vec<(String, Command)> {
        let mut out = Vec::new();
        all(&tree(), "", &mut out);
        out
    }

    /// Splits an example line as a shell would (no quoting is used in them).
    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn every_main_command_has_examples() {
        let commands = commands();
        for path in MAIN {
            let (_, cmd) = commands
                .iter()
                .find(|(p, _)| p == path)
                .unwrap_or_else(|| panic!("no command {path:?}"));
            assert!(!examples_of(cmd).is_empty(), "{path:?} shows no example");
        }
    }

    #[test]
    fn every_example_parses() {
        let mut bad = Vec::new();
        let mut seen = 0;
        for (path, cmd) in commands() {
            for (what, line) in examples_of(&cmd) {
                seen += 1;
                assert!(line.starts_with("rsspot"), "{line}");
                if let Err(e) = tree().try_get_matches_from(words(&line)) {
                    let e = e.render().to_string();
                    let first = e.lines().next().unwrap_or_default().to_string();
                    bad.push(format!("{path:?} {what:?}: {line}: {first}"));
                }
            }
        }
        assert!(seen >= MAIN.len(), "only {seen} examples found");
        assert!(
            bad.is_empty(),
            "examples that do not parse:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn examples_read_back_as_written() {
        let list: Examples = &[
            ("One", "rsspot cs get demo"),
            (
                "Long",
                "rsspot cs create demo --region us-central-dfw-1 \
                 --spot-nodepool serverclass=gp.vs1.medium-dfw,desired=2,bidprice=0.05 --wait",
            ),
        ];
        let text = format!("Before.\n\n{}", section(list));
        let (before, back) = split_examples(&text);
        assert_eq!(before, "Before.");
        let back: Vec<(&str, &str)> = back.iter().map(|(a, b)| (&a[..], &b[..])).collect();
        assert_eq!(back, list.to_vec());
        assert_eq!(split_examples(&section(list)).0, "");
        assert_eq!(split_examples("Only text.").1, Vec::new());
    }

    #[test]
    fn examples_fit_80_columns() {
        for (_, cmd) in commands() {
            let after = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            if let Some(i) = after.find(HEADING) {
                for line in after[i..].lines() {
                    assert!(line.chars().count() <= WIDTH, "too long: {line}");
                }
            }
        }
    }

    #[test]
    fn a_group_alone_fits_24_rows() {
        let mut tree = tree();
        let groups: Vec<String> = tree
            .get_subcommands()
            .filter(|c| c.get_subcommands().next().is_some())
            .map(|c| c.get_name().to_string())
            .collect();
        for g in groups {
            let Some(cmd) = tree.find_subcommand_mut(&g) else {
                continue;
            };
            let help = cmd.render_help().to_string();
            assert!(
                help.lines().count() <= 24,
                "`rsspot {g}` takes {} rows:\n{help}",
                help.lines().count()
            );
        }
    }
}
