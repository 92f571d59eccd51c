//! The PostgreSQL ledger through the real binary: where the URL comes from (flag, env, file,
//! profile), that its password never shows (output, errors, `config explain`, history), and
//! `migrate-ledger` and `doctor`.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;
mod ledger_support;

use serde_json::Value;

const PASSWORD: &str = "pw-Zq81-never-printed";

/// The test database's URL with a password in it (the test server trusts loopback, so the
/// password travels but is not checked).
fn with_password(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (user, host) = rest.split_once('@').unwrap_or(("postgres", rest));
    format!(
        "{scheme}://{}:{PASSWORD}@{host}",
        user.split(':').next().unwrap()
    )
}

fn run(cmd: &mut assert_cmd::Command) -> (std::process::Output, String) {
    let out = cmd.output().unwrap();
    let all = format!("{}{}", common::stdout_of(&out), common::stderr_of(&out));
    assert!(!all.contains(PASSWORD), "the password was printed: {all}");
    (out, all)
}

fn json(cmd: &mut assert_cmd::Command) -> Value {
    let (out, all) = run(cmd);
    assert!(out.status.success(), "{all}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {all}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_url_comes_from_flag_env_file_or_profile_and_stays_secret() {
    let env = common::Env::start().await;
    let url = with_password(&ledger_support::fresh_pg_database().await);

    // --ledger-url: discover from the emulator into PostgreSQL; no ledger.db appears.
    let found = json(env.cmd().args([
        "registrations",
        "--ledger-url",
        &url,
        "discover",
        "--omni-cluster",
        "lab",
        "-o",
        "json",
    ]));
    let new = found["new"].as_array().unwrap().len();
    assert!(new > 0, "{found}");
    assert!(!env.state_db().with_file_name("ledger.db").exists());

    // RSSPOT_LEDGER_URL: the same ledger.
    let listed = json(env.cmd().env("RSSPOT_LEDGER_URL", &url).args([
        "registrations",
        "list",
        "-o",
        "json",
    ]));
    assert_eq!(listed.as_array().unwrap().len(), new);

    // RSSPOT_LEDGER_URL_FILE, and doctor.
    let file = env.home().join("ledger-url");
    std::fs::write(&file, format!("{url}\n")).unwrap();
    let health = json(env.cmd().env("RSSPOT_LEDGER_URL_FILE", &file).args([
        "registrations",
        "doctor",
        "-o",
        "json",
    ]));
    assert_eq!(health["backend"], "postgres");
    assert_eq!(health["records_by_status"]["discovered"], new);
    assert!(health["schema_version"].as_i64().is_some());
    assert!(
        health["location"]
            .as_str()
            .unwrap()
            .starts_with("postgres://postgres@127.0.0.1:")
    );
    assert!(health["clock_skew_ms"].as_i64().unwrap().abs() < 5_000);

    // A profile's ledger_url.
    let cfg = env.config_dir();
    std::fs::create_dir_all(&cfg).unwrap();
    std::fs::write(
        cfg.join("config.json"),
        serde_json::json!({
            "version": "2",
            "default_profile": "fleet",
            "profiles": {"fleet": {"ledger_url": url}}
        })
        .to_string(),
    )
    .unwrap();
    let doctor = run(env.cmd().args(["registrations", "doctor"])).1;
    assert!(doctor.contains("postgres"), "{doctor}");
    let explain = run(env.cmd().args(["config", "explain"])).1;
    assert!(explain.contains("ledger_url"), "{explain}");

    // The flag's password stays out of the history.
    let history = run(env.cmd().args(["history", "-n", "50"])).1;
    assert!(history.contains("--ledger-url"), "{history}");

    // A URL that is not PostgreSQL: exit 2, named, nothing echoed.
    let (out, all) = run(env.cmd().args([
        "registrations",
        "--ledger-url",
        &format!("mysql://u:{PASSWORD}@h/db"),
        "list",
    ]));
    assert_eq!(out.status.code(), Some(2), "{all}");
    assert!(all.contains("ledger_url"), "{all}");
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_ledger_copies_once_with_matching_checksums() {
    let env = common::Env::start().await;
    let url = with_password(&ledger_support::fresh_pg_database().await);
    // A host's embedded ledger with some history.
    let found = json(env.cmd().args([
        "registrations",
        "discover",
        "--omni-cluster",
        "lab",
        "-o",
        "json",
    ]));
    let n = found["new"].as_array().unwrap().len() as u64;
    let claimed =
        json(
            env.cmd()
                .args(["registrations", "claim", "1", "--owner", "w", "-o", "json"]),
        );
    let key = claimed[0]["registration_key"].as_str().unwrap().to_owned();
    json(env.cmd().args([
        "registrations",
        "mark",
        &key,
        "token_issued",
        "--owner",
        "w",
        "-o",
        "json",
    ]));

    let first = json(env.cmd().args([
        "registrations",
        "migrate-ledger",
        "--to",
        &url,
        "-o",
        "json",
    ]));
    assert_eq!(first["source"]["records"], n);
    assert_eq!(first["source"]["events"], n + 1);
    assert_eq!(first["records_copied"], n);
    assert_eq!(first["source"], first["target"], "{first}");

    // Again: nothing changes. The URL can come from stdin (off the command line).
    let again = json(
        env.cmd()
            .args(["registrations", "migrate-ledger", "--to", "-", "-o", "json"])
            .write_stdin(url.clone()),
    );
    assert_eq!(again["records_copied"], 0);
    assert_eq!(again["events_copied"], 0);
    assert_eq!(again["target"]["checksum"], first["target"]["checksum"]);

    // The table form says both sides' checksums.
    let text = run(env.cmd().args([
        "registrations",
        "migrate-ledger",
        "--to",
        &url,
        "-o",
        "table",
    ]))
    .1;
    assert!(text.contains("Checksums match"), "{text}");

    // The shared ledger carries on where the local one stopped.
    let shown = json(env.cmd().args([
        "registrations",
        "--ledger-url",
        &url,
        "show",
        &key,
        "-o",
        "json",
    ]));
    assert_eq!(shown["status"], "token_issued");
    assert_eq!(shown["lease_owner"], "w");
    let events = json(env.cmd().args([
        "registrations",
        "--ledger-url",
        &url,
        "events",
        &key,
        "-o",
        "json",
    ]));
    assert_eq!(events.as_array().unwrap().len(), 2);
}
