//! The ledger's safety through the CLI: `state reset` keeps the ledger unless asked (and moves
//! an old in-state.db ledger out first), damaged rows warn while readers go on, and `mark`
//! refuses a payload too deep to re-import while exports re-import.

use std::path::Path;

use serde_json::{Value, json};

use rsspot::state::StateStore;

use super::{candidate, common, ledger_with, nested, raw_sql};

fn run(cmd: &mut assert_cmd::Command) -> std::process::Output {
    cmd.output().unwrap()
}

fn ok_json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "{}", common::stderr_of(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", common::stdout_of(out)))
}

/// Seeds the CLI's ledger with `n` records through `registrations import`; returns their keys.
fn seed(env: &common::Env, n: usize) -> Vec<String> {
    let now = chrono::Utc::now();
    let mut lines = String::new();
    let mut keys = Vec::new();
    for i in 0..n {
        let c = candidate(&format!("cli-vm-{i}"));
        let rec = json!({
            "registration_key": c.registration_key,
            "vm_uid": c.vm_uid,
            "status": "discovered",
            "payload": {"i": i},
            "first_seen": now,
            "updated_at": now,
        });
        lines.push_str(&format!("{rec}\n"));
        keys.push(c.registration_key);
    }
    let file = env.home().join("seed.jsonl");
    std::fs::write(&file, lines).unwrap();
    let out = run(env.bare_cmd().args([
        "registrations",
        "import",
        file.to_str().unwrap(),
        "-o",
        "json",
    ]));
    assert_eq!(ok_json(&out)["inserted"], n);
    keys
}

fn listed(env: &common::Env) -> Vec<String> {
    let v = ok_json(&run(env.bare_cmd().args([
        "registrations",
        "list",
        "-o",
        "json",
    ])));
    let mut keys: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["registration_key"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_state_reset_keeps_the_ledger_unless_asked() {
    let env = common::Env::start().await;
    let mut keys = seed(&env, 3);
    keys.sort();
    let ledger = env.state_db().with_file_name("ledger.db");
    assert!(ledger.exists() && env.state_db().exists());

    // The refusal without --yes says exactly what moves and what stays.
    let out = run(env.bare_cmd().args(["state", "reset"]));
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr_of(&out);
    for part in [
        "command history, HTTP cache and cached tokens",
        "the registration ledger",
        "stays where it is",
        &ledger.display().to_string(),
    ] {
        assert!(err.contains(part), "{part:?} in {err}");
    }
    let v = ok_json(&run(env
        .bare_cmd()
        .args(["state", "reset", "-y", "-o", "json"])));
    assert_eq!(v["ledger_kept"], true);
    assert_eq!(v["ledger_backup"], Value::Null);
    assert!(Path::new(v["backup"].as_str().unwrap()).exists());
    assert_eq!(listed(&env), keys, "the ledger survived the reset");

    // With --include-ledger the prompt names the ledger as moving, and restore brings it back.
    let out = run(env.bare_cmd().args(["state", "reset", "--include-ledger"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr_of(&out).contains("and the registration ledger"),
        "{}",
        common::stderr_of(&out)
    );
    let v = ok_json(&run(env.bare_cmd().args([
        "state",
        "reset",
        "--include-ledger",
        "-y",
        "-o",
        "json",
    ])));
    let backup = v["ledger_backup"].as_str().unwrap().to_owned();
    assert!(Path::new(&backup).exists());
    assert_eq!(v["ledger_kept"], false);
    assert!(listed(&env).is_empty());
    let out = run(env.bare_cmd().args(["registrations", "restore", &backup]));
    assert_eq!(out.status.code(), Some(2), "restore asks first");
    assert!(common::stderr_of(&out).contains("Replace the registration ledger"));
    let r = ok_json(&run(env.bare_cmd().args([
        "registrations",
        "restore",
        &backup,
        "-y",
        "-o",
        "json",
    ])));
    assert_eq!(r["records"], 3);
    assert_eq!(listed(&env), keys);
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_reset_moves_an_old_in_state_db_ledger_out_first() {
    let env = common::Env::start().await;
    let state = env.state_db();
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    // An earlier rsspot's state.db with the ledger inside it.
    StateStore::open(&state).await.unwrap().close().await;
    let seed_db = env.home().join("seed.db");
    let (wf, keys) = ledger_with(&seed_db, &["old-a", "old-b"]).await;
    wf.ledger().close().await;
    raw_sql(
        &state,
        &[
            &format!("ATTACH DATABASE '{}' AS seed", seed_db.display()),
            "INSERT INTO registration_ledger SELECT * FROM seed.registration_ledger",
            "INSERT INTO registration_events SELECT * FROM seed.registration_events",
        ],
    )
    .await;
    let out = run(env.bare_cmd().args(["state", "reset", "-y"]));
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert!(
        common::stderr_of(&out).contains("Moved the registration ledger (2 record(s))"),
        "{}",
        common::stderr_of(&out)
    );
    let mut want = keys;
    want.sort();
    assert_eq!(listed(&env), want);
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_damaged_rows_warn_and_readers_go_on() {
    let env = common::Env::start().await;
    let keys = seed(&env, 3);
    let ledger = env.state_db().with_file_name("ledger.db");
    raw_sql(
        &ledger,
        &[&format!(
            "UPDATE registration_ledger SET payload_json = '[[[' WHERE registration_key = '{}'",
            keys[1]
        )],
    )
    .await;
    for args in [
        &["registrations", "list", "-o", "json"][..],
        &["registrations", "export"][..],
        &["registrations", "claim", "5", "--owner", "w", "-o", "json"][..],
    ] {
        let out = run(env.bare_cmd().args(args));
        assert!(
            out.status.success(),
            "{args:?}: {}",
            common::stderr_of(&out)
        );
        let err = common::stderr_of(&out);
        let warning = format!("warning: registration {} skipped: payload_json", keys[1]);
        assert_eq!(err.matches(&warning).count(), 1, "{args:?}: {err}");
        let text = common::stdout_of(&out);
        assert!(
            text.contains(&keys[0]) && text.contains(&keys[2]),
            "{args:?}: {text}"
        );
        assert!(!text.contains(&keys[1]), "{args:?}: {text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_mark_refuses_a_127_deep_payload_and_exports_reimport() {
    let env = common::Env::start().await;
    let keys = seed(&env, 2);
    let deep = nested(127).to_string();
    let out = run(env.bare_cmd().args([
        "registrations",
        "mark",
        &keys[0],
        "token_issued",
        "--owner",
        "w",
        "--payload",
        &deep,
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("limit is 64 levels"), "{err}");
    let shallow = json!({"ok": nested(40), "s": "ä\"\\"}).to_string();
    let out = run(env.bare_cmd().args([
        "registrations",
        "mark",
        &keys[1],
        "token_issued",
        "--owner",
        "w",
        "--payload",
        &shallow,
        "-o",
        "json",
    ]));
    assert!(out.status.success(), "{}", common::stderr_of(&out));

    // export → import into another HOME → export: identical lines.
    let exported = common::stdout_of(&run(env.bare_cmd().args(["registrations", "export"])));
    assert_eq!(exported.lines().count(), 2);
    let other = common::Env::start().await;
    let file = other.home().join("export.jsonl");
    std::fs::write(&file, &exported).unwrap();
    let v = ok_json(&run(other.bare_cmd().args([
        "registrations",
        "import",
        file.to_str().unwrap(),
        "-o",
        "json",
    ])));
    assert_eq!(v["inserted"], 2);
    let again = common::stdout_of(&run(other.bare_cmd().args(["registrations", "export"])));
    assert_eq!(again, exported);
}
