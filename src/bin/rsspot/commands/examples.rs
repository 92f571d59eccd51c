//! Examples for `--help` and the man pages, and the compact help of command groups.
//!
//! [`decorate`] adds an "Examples:" section to each command listed in [`EXAMPLES`] (after any
//! text the command already shows last) and gives every group (`rsspot cloudspaces`, …) a
//! compact help that fits 24 rows: its commands, one line each, and where the flags are.
//! The man pages get the same examples in an EXAMPLES section ([`for_path`]). A test runs
//! every example through clap, so none can name a flag that does not exist.

use clap::Command;

/// `(command path, [(what it does, the command line)])`.
pub type Examples = &'static [(&'static str, &'static [(&'static str, &'static str)])];

/// The examples of the main commands.
pub const EXAMPLES: Examples = &[
    (
        "",
        &[
            ("Try everything against a built-in emulator", "rsspot demo"),
            ("Store a refresh token in a profile", "rsspot configure"),
            ("List cloudspaces as a table", "rsspot cloudspaces list"),
            (
                "Use another profile for one command",
                "rsspot -p work cs list",
            ),
        ],
    ),
    (
        "configure",
        &[
            ("Asked for on a terminal", "rsspot configure"),
            (
                "A second profile, token read from stdin, not made active",
                "rsspot -p ci configure --refresh-token-file - --no-activate",
            ),
            (
                "Check the token against the API",
                "rsspot configure --verify",
            ),
        ],
    ),
    (
        "cloudspaces list",
        &[
            ("All cloudspaces", "rsspot cloudspaces list"),
            ("Names only, for scripts", "rsspot cs list -o name"),
            ("Redraw on each change", "rsspot cs list --watch"),
        ],
    ),
    (
        "cloudspaces get",
        &[
            ("One cloudspace", "rsspot cloudspaces get demo"),
            ("As JSON", "rsspot cs get demo -o json"),
        ],
    ),
    (
        "cloudspaces create",
        &[
            (
                "Walk through region, name and pools (terminal)",
                "rsspot cs create",
            ),
            (
                "With a spot pool, waiting until it is Ready",
                "rsspot cs create demo --region us-central-dfw-1 \
                 --spot-nodepool serverclass=gp.vs1.medium-dfw,desired=2,bidprice=0.05 --wait",
            ),
            (
                "Show the request and send nothing",
                "rsspot cs create demo --region uk-lon-1 --dry-run",
            ),
        ],
    ),
    (
        "cloudspaces update",
        &[(
            "Turn on the HA control plane",
            "rsspot cs update demo --ha-control-plane true",
        )],
    ),
    (
        "cloudspaces delete",
        &[
            (
                "Pools first, then the cloudspace",
                "rsspot cs delete demo --yes",
            ),
            (
                "Keep its kubectl contexts",
                "rsspot cs delete demo --yes --keep-kubeconfig",
            ),
        ],
    ),
    (
        "cloudspaces wait",
        &[(
            "Until Ready, 30 minutes at most",
            "rsspot cs wait demo --timeout 30m",
        )],
    ),
    (
        "cloudspaces kubeconfig",
        &[
            (
                "Merge a context into ~/.kube/config and use it",
                "rsspot cs kubeconfig demo --merge --set-current",
            ),
            ("Write a file", "rsspot cs kubeconfig demo --file demo.yaml"),
        ],
    ),
    (
        "nodepools spot list",
        &[
            (
                "Spot pools of one cloudspace",
                "rsspot np spot list --cloudspace demo",
            ),
            ("Watch bids being won", "rsspot np spot list --watch"),
        ],
    ),
    (
        "nodepools spot get",
        &[(
            "One pool by a unique prefix of its name",
            "rsspot np spot get 8e4a",
        )],
    ),
    (
        "nodepools spot create",
        &[(
            "Two servers, bidding $0.05/hour",
            "rsspot np spot create --cloudspace demo --server-class gp.vs1.medium-dfw \
             --desired 2 --bid-price 0.05",
        )],
    ),
    (
        "nodepools spot update",
        &[(
            "Scale to 3 servers",
            "rsspot np spot update 8e4a --desired 3",
        )],
    ),
    (
        "nodepools spot delete",
        &[("Delete a pool", "rsspot np spot delete 8e4a --yes")],
    ),
    (
        "nodepools ondemand create",
        &[(
            "One on-demand server",
            "rsspot np ondemand create --cloudspace demo --server-class gp.vs1.medium-dfw \
             --desired 1",
        )],
    ),
    (
        "nodepools ondemand list",
        &[("On-demand pools", "rsspot np ondemand list")],
    ),
    (
        "nodepools autopilot create",
        &[(
            "8 vCPUs, at most $0.40/hour",
            "rsspot np autopilot create --cloudspace demo --vcpu 8 --budget-per-hour 0.40",
        )],
    ),
    (
        "pricing list",
        &[
            (
                "Prices in one region",
                "rsspot pricing list --region us-central-dfw-1",
            ),
            (
                "Cheapest first, 4+ vCPUs",
                "rsspot pricing list --min-cpu 4 --sort price",
            ),
        ],
    ),
    (
        "pricing get",
        &[("One class's prices", "rsspot pricing get gp.vs1.medium-dfw")],
    ),
    (
        "pricing bid",
        &[(
            "An advised bid for a class",
            "rsspot pricing bid gp.vs1.medium-dfw --risk low",
        )],
    ),
    (
        "pricing build",
        &[(
            "Plan a cluster of 6 nodes",
            "rsspot pricing build --nodes 6 --region us-central-dfw-1",
        )],
    ),
    (
        "pricing history",
        &[(
            "A class's price over time",
            "rsspot pricing history gp.vs1.medium-dfw",
        )],
    ),
    (
        "vm-cloudspaces list",
        &[("VM cloudspaces", "rsspot vm-cloudspaces list")],
    ),
    (
        "vm-cloudspaces create",
        &[
            (
                "Walk through region, name and pools (terminal)",
                "rsspot vmcs create",
            ),
            (
                "Plain VMs with an SSH key",
                "rsspot vmcs create lab --region us-central-dfw-1 --vm-ssh-key-name me \
                 --vm-pool serverclass=gp.vs1.medium-dfw,desired=1",
            ),
        ],
    ),
    (
        "vm-cloudspaces delete",
        &[("Its pools first, then it", "rsspot vmcs delete lab --yes")],
    ),
    (
        "vm-pools create",
        &[(
            "One VM bidding $0.05/hour",
            "rsspot vm-pools create --vmcloudspace lab --server-class gp.vs1.medium-dfw \
             --desired 1 --bid-price 0.05",
        )],
    ),
    (
        "vm-ssh-keys create",
        &[(
            "From your public key file",
            "rsspot vm-ssh-keys create me --public-key-file ~/.ssh/id_ed25519.pub",
        )],
    ),
    (
        "regions list",
        &[("Regions and their status", "rsspot regions list")],
    ),
    (
        "server-classes list",
        &[("Classes of one region", "rsspot sc list --region uk-lon-1")],
    ),
    (
        "profiles list",
        &[("Profiles, the active one marked", "rsspot profiles list")],
    ),
    (
        "config explain",
        &[("Where each setting comes from", "rsspot config explain")],
    ),
    (
        "demo",
        &[
            ("The guided tour", "rsspot demo"),
            ("Without pauses", "rsspot demo --fast"),
        ],
    ),
];

/// The examples of the command at `path` (words joined by spaces; "" is `rsspot` itself).
pub fn for_path(path: &str) -> &'static [(&'static str, &'static str)] {
    EXAMPLES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, e)| *e)
        .unwrap_or(&[])
}

/// The width examples are laid out for (a long command continues on the next line after a
/// ` \`, as a shell reads it).
const WIDTH: usize = 80;

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
    let mut text = String::from("Examples:");
    for (what, line) in examples {
        text.push_str(&format!("\n  # {what}"));
        for l in shell_lines(line, "  $ ", 8) {
            text.push('\n');
            text.push_str(&l);
        }
    }
    text
}

/// The clap tree with examples and compact group help.
pub fn decorate(cmd: Command) -> Command {
    decorate_at(cmd, "")
}

fn decorate_at(cmd: Command, path: &str) -> Command {
    let examples = for_path(path);
    let mut cmd = cmd;
    if !examples.is_empty() {
        let mut after = cmd
            .get_after_help()
            .map(|h| format!("{h}\n\n"))
            .unwrap_or_default();
        after.push_str(&section(examples));
        cmd = cmd.after_help(after);
    }
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
        decorate_at(sub, &sub_path)
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

    fn tree() -> Command {
        let mut cmd = decorate(<crate::cli::Cli as clap::CommandFactory>::command());
        cmd.build();
        cmd
    }

    /// Splits an example line as a shell would (no quoting is used in them).
    fn words(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn every_example_parses() {
        let mut bad = Vec::new();
        for (path, examples) in EXAMPLES {
            assert!(!examples.is_empty(), "{path:?} lists no example");
            for (what, line) in *examples {
                assert!(line.starts_with("rsspot"), "{line}");
                if let Err(e) = tree().try_get_matches_from(words(line)) {
                    let e = e.render().to_string();
                    let first = e.lines().next().unwrap_or_default().to_string();
                    bad.push(format!("{path:?} {what:?}: {line}: {first}"));
                }
            }
        }
        assert!(
            bad.is_empty(),
            "examples that do not parse:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn every_path_is_a_command() {
        let tree = tree();
        for (path, _) in EXAMPLES {
            let mut current = &tree;
            for word in path.split_whitespace() {
                current = current
                    .find_subcommand(word)
                    .unwrap_or_else(|| panic!("no command {path:?}"));
            }
        }
    }

    #[test]
    fn examples_fit_80_columns() {
        for (_, examples) in EXAMPLES {
            for line in section(examples).lines() {
                assert!(line.chars().count() <= WIDTH, "too long: {line}");
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
