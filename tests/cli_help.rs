//! The help of every command: snapshots (global flags under their own heading, after the
//! command's own), no internal placeholder names, every flag described; `help environment`
//! and `man`.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use common::{Env, stdout_of};

/// Every command path, found by walking `--help` from the top (so new commands are covered
/// without editing this test).
fn command_paths(env: &Env) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let help = help_of(env, &path);
        let mut in_commands = false;
        for line in help.lines() {
            if line == "Commands:" {
                in_commands = true;
                continue;
            }
            if in_commands {
                if line.trim().is_empty() || !line.starts_with("  ") {
                    break;
                }
                // Command names sit at two spaces; wrapped descriptions are indented deeper.
                if line.starts_with("   ") {
                    continue;
                }
                let name = line.split_whitespace().next().unwrap_or_default();
                let mut sub = path.clone();
                sub.push(name.to_string());
                todo.push(sub);
            }
        }
        paths.push(path);
    }
    paths.sort();
    paths
}

fn help_of(env: &Env, path: &[String]) -> String {
    let out = env
        .bare_cmd()
        .args(path)
        .arg("-h")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(out.status.success(), "{path:?} -h failed");
    stdout_of(&out)
}

/// Flags-only lines (`  -o, --output <FORMAT>`) with no description after them.
fn undescribed_flags(help: &str) -> Vec<String> {
    let lines: Vec<&str> = help.lines().collect();
    let mut bad = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        // Flags start at column 2 (6 without a short form); wrapped text sits deeper.
        let indent = line.len() - line.trim_start().len();
        if !(2..=6).contains(&indent)
            || !(t.starts_with('-') || t.starts_with('<') || t.starts_with('['))
        {
            continue;
        }
        // "  --flag <X>  description": two spaces separate flag from text.
        if t.contains("  ") {
            continue;
        }
        let next_indent = lines
            .get(i + 1)
            .map(|n| n.len() - n.trim_start().len())
            .unwrap_or(0);
        let next_blank = lines.get(i + 1).is_none_or(|n| n.trim().is_empty());
        if next_blank || next_indent <= indent {
            bad.push(line.to_string());
        }
    }
    bad
}

#[tokio::test]
async fn help_of_every_command() {
    let env = Env::start().await;
    let paths = command_paths(&env);
    assert!(paths.len() > 60, "walked only {} commands", paths.len());
    let mut problems = Vec::new();
    for path in &paths {
        let help = help_of(&env, path);
        let label = if path.is_empty() {
            "rsspot".to_string()
        } else {
            path.join(" ")
        };
        for word in help.split(['<', '>']) {
            if word.ends_with("_FLAG") {
                problems.push(format!("{label}: placeholder <{word}>"));
            }
        }
        for flag in undescribed_flags(&help) {
            problems.push(format!("{label}: no description: {}", flag.trim()));
        }
        let global = help.find("Global options:");
        let Some(global) = global else {
            problems.push(format!("{label}: no `Global options:` heading"));
            continue;
        };
        let profile = help.find("--profile").unwrap_or(0);
        if profile < global {
            problems.push(format!(
                "{label}: --profile listed before the global heading"
            ));
        }
        if let Some(own) = help.find("Options:")
            && own > global
        {
            problems.push(format!("{label}: own options after the global ones"));
        }
        let name = format!("help_{}", label.replace([' ', '-'], "_"));
        insta::assert_snapshot!(name, help);
    }
    assert!(
        problems.is_empty(),
        "help problems:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn help_subcommand_matches_flag_and_knows_environment() {
    let env = Env::start().await;
    let via_help = env
        .bare_cmd()
        .args(["help", "cloudspaces", "list"])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    let via_flag = env
        .bare_cmd()
        .args(["cloudspaces", "list", "--help"])
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert!(via_help.status.success());
    assert_eq!(stdout_of(&via_help), stdout_of(&via_flag));

    let out = env
        .bare_cmd()
        .args(["help", "environment"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout_of(&out);
    for var in [
        "RSSPOT_REFRESH_TOKEN",
        "SPOT_REFRESH_TOKEN",
        "RSSPOT_REFRESH_TOKEN_FILE",
        "RSSPOT_BASE_URL",
        "RSSPOT_NO_CACHE",
        "RSSPOT_MAX_MONTHLY_USD",
        "NO_COLOR",
    ] {
        assert!(text.contains(var), "{var} missing:\n{text}");
    }
    insta::assert_snapshot!("help_environment", text);

    let out = env.bare_cmd().args(["help", "nonsense"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr_of(&out);
    assert!(
        err.contains("\"nonsense\"") && err.contains("environment"),
        "{err}"
    );
}

#[tokio::test]
async fn man_pages_for_every_command() {
    let env = Env::start().await;
    let out = env.bare_cmd().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = stdout_of(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH rsspot"),
        "{page}"
    );
    assert!(page.contains("cloudspaces"));

    let dir = tempfile::tempdir().unwrap();
    let out = env
        .bare_cmd()
        .args(["man", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let pages = command_paths(&env).len();
    let written = std::fs::read_dir(dir.path()).unwrap().count();
    assert_eq!(written, pages, "one page per command");
    let list = std::fs::read_to_string(dir.path().join("rsspot-cloudspaces-list.1")).unwrap();
    assert!(
        list.contains("Global options") || list.contains("profile"),
        "{list}"
    );
}

#[test]
fn the_description_check_catches_a_bare_flag() {
    let help = "Options:\n      --owner <OWNER>\n      --note <NOTE>  Note for the log\n  -h, --help\n          Print help\n";
    assert_eq!(
        undescribed_flags(help),
        vec!["      --owner <OWNER>".to_string()]
    );
}
