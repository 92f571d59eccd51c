//! Tables: every list command piped without `-o` prints tab-separated rows (no header, no
//! colour, nothing cut, UUIDs whole); on a terminal every list fits 80 columns (snapshots at 80
//! and 120 through `COLUMNS`, and a run inside a real pseudo-terminal of 80 columns).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::process::Command;

use common::{Env, stderr_of, stdout_of};

const POOL: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";
const ONDEMAND: &str = "5d1e9a2b-3c4f-4a6b-8d7e-9f0a1b2c3d4e";
const AUTOPILOT: &str = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

/// The spot pools of `fit-dfw`: the autopilot pool's cloudspace holds spot pools with random
/// names (the whole list is checked in [`UNSNAPPED`]).
const SPOT_LIST: &[&str] = &["nodepools", "spot", "list", "--cloudspace", "fit-dfw"];

/// Every list command, by snapshot name.
const LISTS: &[(&str, &[&str])] = &[
    ("organizations", &["organizations", "list"]),
    ("regions", &["regions", "list"]),
    ("server_classes", &["server-classes", "list"]),
    (
        "pricing",
        &["pricing", "list", "--region", "us-central-dfw-1"],
    ),
    ("cloudspaces", &["cloudspaces", "list"]),
    ("spot_pools", SPOT_LIST),
    ("ondemand_pools", &["nodepools", "ondemand", "list"]),
    ("autopilot_pools", &["nodepools", "autopilot", "list"]),
    ("vm_ssh_keys", &["vm-ssh-keys", "list"]),
    ("vm_cloudspaces", &["vm-cloudspaces", "list"]),
    ("vm_pools", &["vm-pools", "list"]),
    ("vms", &["vm-cloudspaces", "vms", "vm-lab-dfw"]),
    ("inventory_vmcloudspaces", &["inventory", "vmcloudspaces"]),
    ("inventory_vmpools", &["inventory", "vmpools", "vm-lab-dfw"]),
    ("registrations", &["registrations", "list"]),
    ("profiles", &["profiles", "list"]),
];

/// Lists whose rows carry the times or random names of this run (no snapshot; they must fit
/// all the same).
const UNSNAPPED: &[&[&str]] = &[
    &["nodepools", "spot", "list"],
    &["history"],
    &["inventory", "events"],
    &["registrations", "events"],
];

/// A cloudspace with a spot pool and an on-demand pool (fixed UUID names, so the prefixes a
/// terminal shows are the same on every run).
async fn seeded() -> Env {
    let env = Env::instant().await;
    env.ok(&["cs", "create", "fit-dfw", "--region", "us-central-dfw-1"]);
    let pool = [
        "--cloudspace",
        "fit-dfw",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--desired",
        "2",
        "--yes",
    ];
    let mut spot = vec![
        "np",
        "spot",
        "create",
        "--name",
        POOL,
        "--bid-price",
        "0.06",
    ];
    spot.extend(pool);
    env.ok(&spot);
    let mut ondemand = vec!["np", "ondemand", "create", "--name", ONDEMAND];
    ondemand.extend(pool);
    env.ok(&ondemand);
    // The autopilot pool in a cloudspace of its own: the spot pools it makes have random names.
    env.ok(&["cs", "create", "ap-dfw", "--region", "us-central-dfw-1"]);
    env.ok(&[
        "np",
        "autopilot",
        "create",
        "--name",
        AUTOPILOT,
        "--cloudspace",
        "ap-dfw",
        "--vcpu",
        "8",
        "--budget-per-hour",
        "0.40",
        "--yes",
    ]);
    env.ok(&["registrations", "discover", "--all"]);
    env
}

#[tokio::test(flavor = "multi_thread")]
async fn piped_lists_are_tab_separated_rows_without_a_header() {
    let env = seeded().await;
    for (name, args) in LISTS {
        let (text, _) = env.ok(args);
        let table = env.ok(&[args, &["-o", "table"][..]].concat()).0;
        let header = table.lines().next().unwrap_or_default();
        let columns = header.split("  ").filter(|c| !c.trim().is_empty()).count();
        assert_eq!(
            text.lines().count() + 1,
            table.lines().count().max(1),
            "{name}: one line per row, no header:\n{text}"
        );
        for line in text.lines() {
            assert!(!line.contains('\u{1b}'), "{name}: colour: {line:?}");
            assert!(!line.contains('…'), "{name}: cut: {line:?}");
            assert!(
                !line.contains("  "),
                "{name}: aligned, not tabbed: {line:?}"
            );
            assert_eq!(
                line.split('\t').count(),
                columns,
                "{name}: {line:?} vs header {header:?}"
            );
        }
        assert!(!text.starts_with("NAME"), "{name}: {text}");
    }
    // UUIDs stay whole; the JSON is there when asked.
    let (spot, _) = env.ok(SPOT_LIST);
    assert!(spot.starts_with(&format!("{POOL}\tfit-dfw\t")), "{spot}");
    let json = env.ok_json(SPOT_LIST);
    assert_eq!(json.as_array().map(Vec::len), Some(1));
}

fn table_at(env: &Env, columns: u16, args: &[&str]) -> String {
    let out = env
        .cmd()
        .env("COLUMNS", columns.to_string())
        .args(args)
        .args(["-o", "table"])
        .output()
        .expect("rsspot runs");
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    let text = stdout_of(&out);
    for line in text.lines() {
        assert!(
            line.chars().count() <= usize::from(columns),
            "{args:?} at {columns} columns: {} wide:\n{text}",
            line.chars().count()
        );
    }
    text
}

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"hcp-[0-9a-f]{8}", "hcp-[ID]"),
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        (r"(?m)(\s)\d{1,3}[smhd](\s|$)", "$1[AGE]$2"),
        (r"/tmp/\S+", "[PATH]"),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn every_list_fits_80_columns_and_shows_more_at_120() {
    let env = seeded().await;
    for (name, args) in LISTS {
        for columns in [80u16, 120] {
            let text = table_at(&env, columns, args);
            insta::with_settings!({filters => filters()}, {
                insta::assert_snapshot!(format!("{name}_{columns}"), text);
            });
        }
    }
    for args in UNSNAPPED {
        for columns in [80u16, 120] {
            let text = table_at(&env, columns, args);
            assert!(text.lines().count() > 1, "{args:?}: no rows:\n{text}");
        }
    }
    // The autopilot table is fitted: its UUID shrinks to a prefix, cloudspace and vCPUs stay.
    let autopilot = table_at(&env, 80, &["nodepools", "autopilot", "list"]);
    assert!(autopilot.contains(&AUTOPILOT[..8]), "{autopilot}");
    assert!(!autopilot.contains(AUTOPILOT), "{autopilot}");
    assert!(autopilot.contains("ap-dfw"), "{autopilot}");
    // The spot table keeps what identifies and decides at 80: cloudspace, desired, won,
    // status; the UUID is its unique prefix.
    let spot = table_at(&env, 80, SPOT_LIST);
    let header = spot.lines().next().unwrap_or_default();
    for col in ["NAME", "CLOUDSPACE", "DESIRED", "WON", "STATUS"] {
        assert!(header.contains(col), "{spot}");
    }
    assert!(spot.contains(&format!("{}  ", &POOL[..8])), "{spot}");
    assert!(!spot.contains(POOL), "{spot}");
    // -o wide keeps the UUID whole.
    let (wide, _) = env.ok(&[SPOT_LIST, &["-o", "wide"]].concat());
    assert!(wide.contains(POOL), "{wide}");
}

/// `script` runs the command on a real pseudo-terminal whose size `stty` sets.
fn in_pty(env: &Env, columns: u16, args: &[&str]) -> Option<String> {
    let bin = env!("CARGO_BIN_EXE_rsspot");
    let line = format!("stty cols {columns} rows 50; {bin} {}", args.join(" "));
    let mut c = Command::new("script");
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") || k == "COLUMNS" || k == "LINES" {
            c.env_remove(k);
        }
    }
    let out = c
        .args(["-qec", &line, "/dev/null"])
        .env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .env("TERM", "xterm")
        .output()
        .ok()?;
    assert!(out.status.success(), "{args:?}: {}", stdout_of(&out));
    Some(stdout_of(&out))
}

/// The visible width of a line: ANSI escapes and the carriage return not counted.
fn visible(line: &str) -> usize {
    let mut n = 0;
    let mut escape = false;
    for c in line.chars() {
        match (escape, c) {
            (false, '\u{1b}') => escape = true,
            (true, c) if c.is_ascii_alphabetic() => escape = false,
            (true, _) | (false, '\r') => {}
            (false, _) => n += 1,
        }
    }
    n
}

#[tokio::test(flavor = "multi_thread")]
async fn every_list_fits_a_real_terminal_of_80_columns() {
    let env = seeded().await;
    if in_pty(&env, 80, &["version"]).is_none() {
        eprintln!("skipped: no `script` command to open a pseudo-terminal");
        return;
    }
    // `profiles list` without a config file prints only a note naming the (long) temp path.
    let timed = UNSNAPPED.iter().map(|args| ("timed", *args));
    let lists = LISTS.iter().copied().chain(timed);
    for (name, args) in lists.filter(|(name, _)| *name != "profiles") {
        let text = in_pty(&env, 80, args).unwrap_or_default();
        assert!(!text.trim().is_empty(), "{name}: nothing printed");
        assert!(
            !text.contains('\t'),
            "{name}: a terminal gets the aligned table:\n{text}"
        );
        for line in text.lines() {
            assert!(
                visible(line) <= 80,
                "{name}: {} wide:\n{text}",
                visible(line)
            );
        }
    }
    // Single objects and reports too: the planner (its tables and the commands it suggests),
    // the price chart, the registration ledger and the demo's text.
    for args in [
        &["pricing", "build", "--nodes", "2"][..],
        &["pricing", "history", "gp.vs1.medium-dfw"],
        &["pricing", "get", "gp.vs1.medium-dfw", "--history"],
        &["cloudspaces", "get", "fit-dfw"],
        &["nodepools", "spot", "get", "0b7c"],
        &["nodepools", "ondemand", "get", "5d1e"],
        &["vm-cloudspaces", "get", "vm-lab-dfw"],
        &["vm-pools", "get", "7f3e1a9c"],
        &["server-classes", "get", "gp.vs1.medium-dfw"],
        &["regions", "get", "us-central-dfw-1"],
        &["organizations", "get", "demo"],
        &["registrations", "discover", "--all"],
        &["registrations", "list"],
        &["nodepools", "autopilot", "get", "9a8b"],
        &[
            "nodepools",
            "autopilot",
            "preview",
            "--cloudspace",
            "fit-dfw",
            "--vcpu",
            "8",
            "--budget-per-hour",
            "0.4",
        ],
        &["pricing", "bid", "gp.vs1.medium-dfw"],
        &["help", "environment"],
        &["config", "explain"],
        &["state", "info"],
        &["demo", "--fast"],
    ] {
        let text = in_pty(&env, 80, args).unwrap_or_default();
        for line in text.lines() {
            assert!(
                visible(line) <= 80,
                "{args:?}: {} wide:\n{text}",
                visible(line)
            );
        }
    }
}
