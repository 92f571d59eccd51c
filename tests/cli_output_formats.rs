//! Every command × every `-o` value: the command prints that format, or refuses with exit 2
//! naming the formats it supports — never a silent fallback to another format.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use common::{Env, stderr_of, stdout_of};

const FORMATS: &[&str] = &["table", "wide", "json", "yaml", "name", "csv"];

/// Invocations safe to run against the emulator with every format (read-only).
const RUNNABLE: &[&[&str]] = &[
    &["organizations", "list"],
    &["organizations", "get", "demo"],
    &["regions", "list"],
    &["regions", "get", "us-central-dfw-1"],
    &["server-classes", "list"],
    &["server-classes", "get", "gp.vs1.medium-dfw"],
    &["cloudspaces", "list"],
    &["cloudspaces", "get", "fmt-cs"],
    &["nodepools", "spot", "list"],
    &["nodepools", "ondemand", "list"],
    &["pricing", "list"],
    &["pricing", "get", "gp.vs1.medium-dfw"],
    &["pricing", "bid", "gp.vs1.medium-dfw"],
    &["pricing", "build", "--nodes", "2"],
    &[
        "nodepools",
        "autopilot",
        "preview",
        "--cloudspace",
        "fmt-cs",
        "--vcpu",
        "4",
        "--budget-per-hour",
        "1",
    ],
    &["pricing", "history", "gp.vs1.medium-dfw"],
    &["inventory", "events"],
    &["inventory", "vmcloudspaces"],
    &["inventory", "vmpools", "vm-lab-dfw"],
    &["vm-cloudspaces", "vms", "vm-lab-dfw"],
    &["vm-cloudspaces", "get", "vm-lab-dfw"],
    &["registrations", "list"],
    &["registrations", "events"],
    &["history"],
    &["profiles", "list"],
    &["config", "show"],
    &["config", "path"],
    &["config", "schema"],
    &["config", "validate"],
    &["config", "explain"],
    &["state", "info"],
    &["state", "path"],
    &["cache", "stats"],
    &["version"],
    &["auth", "status"],
    &["api", "/apis/ngpc.rxt.io/v1/regions"],
    &["completions", "bash"],
    &["man"],
    &["help", "environment"],
];

/// Commands that change things or run for long: only the refusals are exercised (the check
/// runs before the command does), with arguments that would parse.
const REFUSAL_ONLY: &[&[&str]] = &[
    &["cloudspaces", "create", "x"],
    &["cloudspaces", "update", "x"],
    &["cloudspaces", "delete", "x"],
    &["cloudspaces", "wait", "x"],
    &["cloudspaces", "kubeconfig", "x"],
    &["cloudspaces", "get-config", "--name", "x"],
    &["nodepools", "spot", "create"],
    &["nodepools", "spot", "update", "x"],
    &["nodepools", "spot", "delete", "x"],
    &["nodepools", "spot", "get", "x"],
    &["nodepools", "spot", "wait", "x"],
    &["nodepools", "ondemand", "create"],
    &["nodepools", "ondemand", "update", "x"],
    &["nodepools", "ondemand", "delete", "x"],
    &["nodepools", "ondemand", "get", "x"],
    &["nodepools", "ondemand", "wait", "x"],
    &["configure"],
    &["auth", "kube-token"],
    &["profiles", "delete", "x"],
    &["profiles", "rename", "x", "y"],
    &["profiles", "show"],
    &["profiles", "use", "x"],
    &["config", "migrate"],
    &["history", "clear"],
    &["state", "reset"],
    &["state", "vacuum"],
    &["cache", "clear"],
    &["registrations", "claim", "1"],
    &["registrations", "discover"],
    &["registrations", "export"],
    &["registrations", "import", "-"],
    &["registrations", "mark", "k", "failed"],
    &["registrations", "release", "k"],
    &["registrations", "reset", "k"],
    &["registrations", "restore", "f"],
    &["registrations", "show", "k"],
    &["emulator", "serve"],
    &["demo"],
    &["mcp"],
    &["events", "watch"],
    &["metrics", "serve"],
    &["registrations", "doctor"],
    &["registrations", "migrate-ledger", "--to", "-"],
    &["vm-ssh-keys", "list"],
    &["vm-ssh-keys", "get", "x"],
    &["vm-ssh-keys", "create", "x"],
    &["vm-ssh-keys", "delete", "x"],
    &["vm-cloudspaces", "list"],
    &["vm-cloudspaces", "get", "x"],
    &["vm-cloudspaces", "create", "x"],
    &["vm-cloudspaces", "update", "x"],
    &["vm-cloudspaces", "delete", "x"],
    &["vm-cloudspaces", "wait", "x"],
    &["vm-pools", "list"],
    &["vm-pools", "get", "x"],
    &["vm-pools", "create"],
    &["vm-pools", "update", "x"],
    &["vm-pools", "delete", "x"],
    &["vm-pools", "wait", "x"],
    &["nodepools", "autopilot", "list"],
    &["nodepools", "autopilot", "get", "x"],
    &["nodepools", "autopilot", "create"],
    &["nodepools", "autopilot", "update", "x"],
    &["nodepools", "autopilot", "delete", "x"],
    &["nodepools", "autopilot", "wait", "x"],
    &["diff", "-f", "x"],
    &["apply", "-f", "x"],
    &["export"],
    &["delete", "-f", "x"],
    &["fleet", "schema"],
];

/// Leaf command paths from `--help` (so a new command fails the coverage check below).
fn leaf_paths(env: &Env) -> Vec<String> {
    let mut leaves = Vec::new();
    let mut todo = vec![Vec::<String>::new()];
    while let Some(path) = todo.pop() {
        let out = env.bare_cmd().args(&path).arg("-h").output().unwrap();
        let help = stdout_of(&out);
        let mut subs = Vec::new();
        let mut in_commands = false;
        for line in help.lines() {
            if line == "Commands:" {
                in_commands = true;
            } else if in_commands {
                if !line.starts_with("  ") {
                    break;
                }
                if !line.starts_with("   ") {
                    subs.push(
                        line.split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string(),
                    );
                }
            }
        }
        if subs.is_empty() {
            leaves.push(path.join(" "));
        }
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            todo.push(p);
        }
    }
    leaves
}

fn refused(format: &str, code: Option<i32>, err: &str) -> bool {
    if code != Some(2) {
        return false;
    }
    let Some(list) = err.split("it supports -o ").nth(1) else {
        return false;
    };
    err.contains(&format!("cannot print -o {format};"))
        && !list
            .lines()
            .next()
            .unwrap_or("")
            .split(", ")
            .any(|f| f == format)
}

/// Output that looks like `format` (and not like another one).
fn shaped_like(format: &str, out: &str) -> Result<(), String> {
    let t = out.trim_start();
    let data_like = t.starts_with('{') || t.starts_with('[');
    match format {
        "json" => serde_json::from_str::<serde_json::Value>(out)
            .map(|_| ())
            .map_err(|e| format!("not JSON: {e}")),
        // An empty list or map is `[]`/`{}` in YAML too.
        "yaml" if data_like && !matches!(t.trim_end(), "[]" | "{}") => {
            Err("JSON where YAML was asked".into())
        }
        "yaml" => serde_norway::from_str::<serde_norway::Value>(out)
            .map(|_| ())
            .map_err(|e| format!("not YAML: {e}")),
        "csv" if out.lines().next().is_some_and(|l| l.contains(',')) => Ok(()),
        "csv" => Err("no CSV header".into()),
        _ if data_like => Err(format!("JSON where {format} was asked")),
        "name" if out.lines().any(|l| l.trim().contains("  ")) => {
            Err("a table where names were asked".into())
        }
        _ => Ok(()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_honours_or_refuses_every_output_format() {
    let env = Env::start().await;
    let covered: Vec<String> = RUNNABLE
        .iter()
        .chain(REFUSAL_ONLY)
        .map(|argv| {
            argv.iter()
                .take_while(|a| a.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let missing: Vec<String> = leaf_paths(&env)
        .into_iter()
        .filter(|leaf| {
            !covered
                .iter()
                .any(|c| c == leaf || c.starts_with(&format!("{leaf} ")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "commands not in the -o matrix: {missing:?}"
    );

    let out = env
        .cmd()
        .args([
            "cloudspaces",
            "create",
            "fmt-cs",
            "--region",
            "us-central-dfw-1",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr_of(&out));

    let mut problems = Vec::new();
    let mut honoured = 0;
    let mut refusals = 0;
    for argv in RUNNABLE {
        for format in FORMATS {
            let out = env.cmd().args(*argv).args(["-o", format]).output().unwrap();
            let (stdout, stderr) = (stdout_of(&out), stderr_of(&out));
            let label = format!("{} -o {format}", argv.join(" "));
            if refused(format, out.status.code(), &stderr) {
                refusals += 1;
            } else if !out.status.success() {
                problems.push(format!("{label}: exit {:?}: {stderr}", out.status.code()));
            } else if let Err(why) = shaped_like(format, &stdout) {
                problems.push(format!("{label}: {why}"));
            } else {
                honoured += 1;
            }
        }
    }
    for argv in REFUSAL_ONLY {
        for format in FORMATS {
            // The demo and the server would run (for minutes, or forever) with -o table.
            let long_running = matches!(
                argv.first(),
                Some(&"demo")
                    | Some(&"emulator")
                    | Some(&"mcp")
                    | Some(&"events")
                    | Some(&"metrics")
            );
            if long_running && *format == "table" {
                continue;
            }
            let out = env
                .bare_cmd()
                .args(*argv)
                .args(["-o", format, "--request-timeout", "1s"])
                .env("RSSPOT_BASE_URL", "http://127.0.0.1:9")
                .output()
                .unwrap();
            let stderr = stderr_of(&out);
            if stderr.contains("cannot print -o") {
                if refused(format, out.status.code(), &stderr) {
                    refusals += 1;
                } else {
                    problems.push(format!(
                        "{} -o {format}: bad refusal: {stderr}",
                        argv.join(" ")
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // csv is refused nearly everywhere, and some commands refuse more.
    assert!(refusals >= RUNNABLE.len(), "only {refusals} refusals");
    assert!(honoured >= RUNNABLE.len() * 3, "only {honoured} honoured");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_names_the_supported_formats() {
    let env = Env::start().await;
    let out = env
        .cmd()
        .args(["pricing", "build", "--nodes", "2", "-o", "name"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr_of(&out);
    assert!(
        err.contains(
            "`rsspot pricing build` cannot print -o name; it supports -o table, wide, json, yaml"
        ),
        "{err}"
    );
    let out = env
        .cmd()
        .args(["api", "/apis/ngpc.rxt.io/v1/regions", "-o", "table"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("it supports -o json, yaml"));
}
