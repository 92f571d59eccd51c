//! `history`, `state …` and `cache …` through the real binary, with an isolated HOME.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::process::Output;

use common::{stderr_of, stdout_of};
use serde_json::Value;

const SECRET: &str = "rt-cli-state-SECRET-0c41e2";

/// Runs the command and asserts that no output contains a token.
fn run(cmd: &mut assert_cmd::Command) -> Output {
    let out = cmd.output().expect("rsspot runs");
    for s in [SECRET, "demo-token"] {
        assert!(!stdout_of(&out).contains(s), "{}", stdout_of(&out));
        assert!(!stderr_of(&out).contains(s), "{}", stderr_of(&out));
    }
    out
}

fn ok(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", stderr_of(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", stdout_of(out)))
}

fn argvs(history: &Value) -> Vec<String> {
    history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["argv"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Cells of a table, split on the two-space column gaps, with volatile columns replaced.
fn normalize_history_table(text: &str) -> String {
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            let mut cells: Vec<String> = line
                .split("  ")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect();
            if i > 0 {
                cells[0] = "[TIME]".into();
                cells[2] = "[DURATION]".into();
            }
            cells.join(" | ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn history_records_redacted_argv_caps_and_clears() {
    let env = common::Env::start().await;
    let out = run(env.bare_cmd().args([
        "--org",
        "demo",
        "configure",
        "--refresh-token",
        SECRET,
        "-o",
        "json",
    ]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = run(env.bare_cmd().args([
        "configure",
        &format!("--refresh-token={SECRET}"),
        "-o",
        "json",
    ]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    // A failing command is recorded with its exit code.
    let out = run(env.bare_cmd().args(["profiles", "use", "nope"]));
    assert_eq!(out.status.code(), Some(2));

    let h = ok(&run(env.bare_cmd().args(["history", "-o", "json"])));
    assert_eq!(
        argvs(&h),
        [
            "--org demo configure --refresh-token <redacted> -o json",
            "configure --refresh-token=<redacted> -o json",
            "profiles use nope",
        ]
    );
    let rows = h.as_array().unwrap();
    assert_eq!(rows[0]["exit_code"], 0);
    assert_eq!(rows[0]["profile"], "default");
    assert_eq!(rows[0]["org"], "demo");
    assert_eq!(rows[2]["exit_code"], 2);
    let db = std::fs::read(env.state_db()).unwrap();
    assert!(
        !db.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
        "the token reached state.db"
    );

    let out = run(env
        .bare_cmd()
        .args(["history", "--limit", "2", "-o", "table"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    insta::assert_snapshot!("history_table", normalize_history_table(&stdout_of(&out)));

    // Cap from the config file: only the newest rows are kept.
    let config = env.config_dir().join("config.yml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{text}history:\n  max_entries: 3\n")).unwrap();
    for _ in 0..4 {
        assert!(run(env.bare_cmd().args(["state", "path"])).status.success());
    }
    let h = ok(&run(env
        .bare_cmd()
        .args(["history", "-n", "100", "-o", "json"])));
    assert_eq!(argvs(&h), ["state path", "state path", "state path"]);

    // RSSPOT_NO_HISTORY turns recording off.
    let out = run(env
        .bare_cmd()
        .env("RSSPOT_NO_HISTORY", "1")
        .args(["profiles", "list"]));
    assert!(out.status.success());
    let h = ok(&run(env.bare_cmd().args(["history", "-o", "json"])));
    assert!(!argvs(&h).iter().any(|a| a == "profiles list"), "{h}");

    // clear: everything goes; only the clear command itself is recorded afterwards.
    let v = ok(&run(env
        .bare_cmd()
        .args(["history", "clear", "-o", "json"])));
    assert_eq!(v["cleared"], 3);
    let h = ok(&run(env.bare_cmd().args(["history", "-o", "json"])));
    assert_eq!(argvs(&h), ["history clear -o json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn state_path_info_vacuum_reset() {
    let env = common::Env::start().await;
    let out = run(env.bare_cmd().args(["state", "path"]));
    assert_eq!(stdout_of(&out).trim(), env.state_db().display().to_string());
    let custom = env.home().join("elsewhere/state.db");
    let out = run(env
        .bare_cmd()
        .env("RSSPOT_STATE_PATH", &custom)
        .args(["state", "path"]));
    assert_eq!(stdout_of(&out).trim(), custom.display().to_string());

    let info = ok(&run(env.bare_cmd().args(["state", "info", "-o", "json"])));
    assert_eq!(info["path"], env.state_db().display().to_string());
    assert_eq!(info["degraded"], Value::Null);
    assert_eq!(info["schema_version"], info["latest_known_version"]);
    let tables: Vec<&str> = info["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(tables.contains(&"command_history"), "{tables:?}");
    // The previous `state path` runs were recorded.
    let history_rows = info["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "command_history")
        .unwrap()["rows"]
        .as_u64()
        .unwrap();
    assert!(history_rows >= 1);

    let out = run(env.bare_cmd().args(["state", "info", "-o", "table"]));
    let text = stdout_of(&out);
    assert!(text.starts_with("path "), "{text}");
    assert!(text.contains("rows in command_history"), "{text}");

    let v = ok(&run(env.bare_cmd().args(["state", "vacuum", "-o", "json"])));
    assert!(v["size_after"].as_u64().unwrap() > 0);

    // reset asks first; without --yes nothing moves.
    let out = run(env.bare_cmd().args(["state", "reset"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(env.state_db().exists());
    let v = ok(&run(env
        .bare_cmd()
        .args(["state", "reset", "-y", "-o", "json"])));
    let backup = std::path::PathBuf::from(v["backup"].as_str().unwrap());
    assert!(
        backup.exists(),
        "the old database is kept at {}",
        backup.display()
    );
    assert!(
        backup
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("state.db.bak-")
    );
    // The next command starts fresh: its history has only what ran since the reset.
    let h = ok(&run(env.bare_cmd().args(["history", "-o", "json"])));
    assert_eq!(argvs(&h), ["state reset -y -o json"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_state_db_degrades_with_a_warning_and_refuses_writes() {
    let env = common::Env::start().await;
    let db = env.state_db();
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&db, &garbage).unwrap();

    // Read-only commands work, with one warning naming the file and the fix.
    for args in [
        vec!["history"],
        vec!["state", "info"],
        vec!["cache", "stats"],
        vec!["config", "show"],
        vec!["regions", "list"],
    ] {
        let out = run(env.cmd().args(&args));
        assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
        let err = stderr_of(&out);
        assert!(err.contains(&db.display().to_string()), "{args:?}: {err}");
        assert!(err.contains("rsspot state reset"), "{args:?}: {err}");
    }
    let info = ok(&run(env.cmd().args(["state", "info", "-o", "json"])));
    assert!(info["degraded"].as_str().unwrap().contains("state reset"));
    assert_eq!(info["path"], Value::Null);

    // Commands that would write refuse (exit 1) and point at the fix.
    for args in [
        vec!["cache", "clear"],
        vec!["history", "clear"],
        vec!["state", "vacuum"],
    ] {
        let out = run(env.cmd().args(&args));
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr_of(&out).contains("hint: run `rsspot state reset`"),
            "{}",
            stderr_of(&out)
        );
    }
    assert_eq!(
        std::fs::read(&db).unwrap(),
        garbage,
        "the file is untouched"
    );

    // reset moves it aside and the next run has a working database again.
    let out = run(env.cmd().args(["state", "reset", "--yes"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let info = ok(&run(env.cmd().args(["state", "info", "-o", "json"])));
    assert_eq!(info["degraded"], Value::Null);
    let moved: Vec<_> = std::fs::read_dir(db.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| std::fs::read(e.path()).ok().as_deref() == Some(&garbage[..]))
        .collect();
    assert_eq!(moved.len(), 1, "the corrupt file is kept under a new name");
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_stats_and_clear() {
    let env = common::Env::start().await;
    let stats = ok(&run(env.cmd().args(["cache", "stats", "-o", "json"])));
    assert_eq!(stats["entries"], 0);

    // Two identical reads: the second is served from state.db.
    for _ in 0..2 {
        let out = run(env.cmd().args(["regions", "list"]));
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    let stats = ok(&run(env.cmd().args(["cache", "stats", "-o", "json"])));
    assert!(stats["entries"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["hits"].as_u64().unwrap() >= 1, "{stats}");
    assert!(stats["bytes"].as_u64().unwrap() > 0, "{stats}");
    let out = run(env.cmd().args(["cache", "stats", "-o", "table"]));
    let text = stdout_of(&out);
    for key in ["entries", "expired", "size", "hits", "misses", "hit ratio"] {
        assert!(text.lines().any(|l| l.starts_with(key)), "{key}: {text}");
    }

    // --expired keeps fresh entries; a full clear removes them and resets the counters.
    let v = ok(&run(env.cmd().args([
        "cache",
        "clear",
        "--expired",
        "-o",
        "json",
    ])));
    assert_eq!(v["removed"], 0);
    assert_eq!(v["expired_only"], true);
    let entries = stats["entries"].as_u64().unwrap();
    let v = ok(&run(env.cmd().args(["cache", "clear", "-o", "json"])));
    assert_eq!(v["removed"].as_u64().unwrap(), entries);
    let stats = ok(&run(env.cmd().args(["cache", "stats", "-o", "json"])));
    assert_eq!(stats["entries"], 0);
    assert_eq!(stats["hits"], 0);
    let out = run(env.cmd().args(["cache", "clear", "-o", "table"]));
    assert_eq!(stdout_of(&out).trim(), "Removed 0 cache entries");
}
