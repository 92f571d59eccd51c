//! `configure`, `profiles …` and `config …` through the real binary, with an isolated HOME.
//! Every run goes through `run`, which fails the test if any output contains a token.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;

use common::{stderr_of, stdout_of};
use serde_json::Value;

/// The token these tests store; it must never be printed.
const SECRET: &str = "rt-cli-config-SECRET-7f3a9c";
/// Tokens that must not leak either (the emulator's seed tokens).
const OTHER_TOKENS: &[&str] = &["demo-token", "acme-token", "LEGACY-TOKEN-41b7"];

/// Runs the command and asserts that no output contains a token.
fn run(cmd: &mut assert_cmd::Command) -> Output {
    let out = cmd.output().expect("rsspot runs");
    let (o, e) = (stdout_of(&out), stderr_of(&out));
    for s in std::iter::once(&SECRET).chain(OTHER_TOKENS) {
        assert!(!o.contains(s), "stdout leaks a token:\n{o}");
        assert!(!e.contains(s), "stderr leaks a token:\n{e}");
    }
    out
}

fn ok(out: &Output) -> Value {
    assert!(out.status.success(), "failed: {}", stderr_of(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}):\n{}", stdout_of(out));
    })
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

fn config_yml(env: &common::Env) -> std::path::PathBuf {
    env.config_dir().join("config.yml")
}

/// Replaces the temporary HOME in `text` so snapshots are stable.
fn scrub(env: &common::Env, text: &str) -> String {
    text.replace(&env.home().display().to_string(), "[HOME]")
}

#[tokio::test(flavor = "multi_thread")]
async fn configure_creates_then_updates_field_by_field_and_keeps_the_token() {
    let env = common::Env::start().await;
    let token_file = env.home().join("token.txt");
    std::fs::write(&token_file, format!("  {SECRET}\n")).unwrap();

    let out = run(env.bare_cmd().args([
        "configure",
        "--org",
        "demo",
        "--region",
        "us-east-iad-1",
        "--refresh-token-file",
        token_file.to_str().unwrap(),
        "-o",
        "json",
    ]));
    let v = ok(&out);
    assert_eq!(v["profile"], "default");
    assert_eq!(v["created"], true);
    assert_eq!(v["active"], true);
    assert_eq!(v["settings"]["refresh_token"], "<redacted>");
    assert_eq!(
        v["changed"],
        serde_json::json!(["org", "region", "refresh_token"])
    );

    let path = config_yml(&env);
    assert_eq!(mode(&path), 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(SECRET), "the real token is stored:\n{text}");
    assert!(text.contains("active_profile: default"));

    // A second run changes only the region; the token and org stay.
    let out = run(env.bare_cmd().args([
        "configure",
        "--region",
        "uk-lon-1",
        "--client-id",
        "my-client",
        "-o",
        "json",
    ]));
    let v = ok(&out);
    assert_eq!(v["created"], false);
    assert_eq!(v["changed"], serde_json::json!(["region", "client_id"]));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(SECRET), "{text}");
    assert!(text.contains("org: demo"));
    assert!(text.contains("region: uk-lon-1"));
    assert!(!text.contains("us-east-iad-1"));
    assert_eq!(mode(&path), 0o600);

    // The table summary shows the token as <redacted>.
    let out = run(env
        .bare_cmd()
        .args(["configure", "--org-id", "org_demo1", "-o", "table"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    insta::assert_snapshot!("configure_summary_table", stdout_of(&out));
    assert!(stderr_of(&out).contains("Saved profile 'default'"));

    // A token given on stdin, for a second profile that does not become active.
    let out = run(env
        .bare_cmd()
        .args([
            "-p",
            "ci",
            "configure",
            "--refresh-token-file",
            "-",
            "--no-activate",
            "-o",
            "json",
        ])
        .write_stdin(format!("{SECRET}-ci\n")));
    let v = ok(&out);
    assert_eq!(v["profile"], "ci");
    assert_eq!(v["active"], false);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(&format!("{SECRET}-ci")));
    assert!(text.contains("active_profile: default"));

    // An empty token is refused and nothing is written.
    let before = std::fs::read(&path).unwrap();
    std::fs::write(&token_file, "\n").unwrap();
    let out = run(env.bare_cmd().args([
        "configure",
        "--refresh-token-file",
        token_file.to_str().unwrap(),
    ]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn configure_keeps_toml_and_json_files_in_their_format() {
    let env = common::Env::start().await;
    for (name, starts) in [("c.toml", "version = \"2\""), ("c.json", "{")] {
        let path = env.home().join(name);
        let out = run(env.bare_cmd().args([
            "-c",
            path.to_str().unwrap(),
            "--region",
            "us-west-sjc-1",
            "configure",
            "--refresh-token",
            SECRET,
        ]));
        assert!(out.status.success(), "{}", stderr_of(&out));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(starts), "{name}:\n{text}");
        assert!(text.contains(SECRET));
        assert_eq!(mode(&path), 0o600);
        let out = run(env.bare_cmd().args([
            "-c",
            path.to_str().unwrap(),
            "profiles",
            "show",
            "-o",
            "json",
        ]));
        let v = ok(&out);
        assert_eq!(v["settings"]["region"], "us-west-sjc-1");
        assert_eq!(v["settings"]["refresh_token"], "<redacted>");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn configure_verify_exchanges_the_token_once_and_writes_nothing_on_failure() {
    let env = common::Env::start().await;
    let path = config_yml(&env);

    // The environment's token (demo-token) must not stand in for the one being verified.
    env.emu.clear_journal();
    let out = run(env.cmd().args([
        "configure",
        "--refresh-token",
        "acme-token",
        "--org",
        "acme-dev",
        "--verify",
        "-o",
        "json",
    ]));
    let v = ok(&out);
    assert_eq!(v["verified_organization"], "acme-dev");
    assert!(stderr_of(&out).contains("Token verified"));
    assert_eq!(env.emu.count("POST", "/oauth/token"), 1);
    let good = std::fs::read(&path).unwrap();

    // A rejected token: exit 4 (auth), the file is byte for byte what it was.
    let out = run(env.cmd().args([
        "configure",
        "--refresh-token",
        "no-such-token",
        "--region",
        "uk-lon-1",
        "--verify",
    ]));
    assert_eq!(out.status.code(), Some(4), "{}", stderr_of(&out));
    let err = stderr_of(&out);
    assert!(err.starts_with("error: --verify failed;"), "{err}");
    assert!(err.contains("was not changed"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), good);

    // A valid token for another organization than the profile names: exit 2, unchanged.
    let out = run(env
        .cmd()
        .args(["configure", "--refresh-token", "demo-token", "--verify"]));
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("belongs to demo, not to 'acme-dev'"));
    assert_eq!(std::fs::read(&path).unwrap(), good);
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_list_show_use_rename_delete() {
    let env = common::Env::start().await;
    for (p, org, region) in [
        ("prod", "acme-dev", "us-east-iad-1"),
        ("dev", "demo", "uk-lon-1"),
    ] {
        let out = run(env.bare_cmd().args([
            "-p",
            p,
            "--org",
            org,
            "--region",
            region,
            "configure",
            "--refresh-token",
            SECRET,
            "--no-activate",
        ]));
        assert!(out.status.success(), "{}", stderr_of(&out));
    }
    // The first profile became active (none was selected); --no-activate kept it so.
    let v = ok(&run(env
        .bare_cmd()
        .args(["profiles", "list", "-o", "json"])));
    let active: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["active"] == true)
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["prod"]);

    let out = run(env
        .bare_cmd()
        .args(["profiles", "use", "dev", "-o", "table"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let out = run(env.bare_cmd().args(["profiles", "list", "-o", "table"]));
    insta::assert_snapshot!("profiles_list_table", stdout_of(&out));

    // show without a name: the active profile.
    let v = ok(&run(env
        .bare_cmd()
        .args(["profiles", "show", "-o", "json"])));
    assert_eq!(v["name"], "dev");
    assert_eq!(v["settings"]["org"], "demo");
    assert_eq!(v["settings"]["refresh_token"], "<redacted>");

    // rename the active profile: the selection follows.
    let out = run(env
        .bare_cmd()
        .args(["profiles", "rename", "dev", "staging"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let text = std::fs::read_to_string(config_yml(&env)).unwrap();
    assert!(text.contains("active_profile: staging"), "{text}");
    assert!(!text.contains("dev:"));
    let out = run(env
        .bare_cmd()
        .args(["profiles", "rename", "staging", "prod"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("already exists"));

    // delete needs confirmation; without a TTY that means --yes.
    let before = std::fs::read(config_yml(&env)).unwrap();
    let out = run(env.bare_cmd().args(["profiles", "delete", "prod"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--yes"));
    assert_eq!(std::fs::read(config_yml(&env)).unwrap(), before);
    let out = run(env.bare_cmd().args(["profiles", "delete", "prod", "-y"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let names: Vec<String> = ok(&run(env
        .bare_cmd()
        .args(["profiles", "list", "-o", "json"])))
    .as_array()
    .unwrap()
    .iter()
    .map(|p| p["name"].as_str().unwrap().to_string())
    .collect();
    assert_eq!(names, ["staging"]);

    // Unknown profiles: exit 2, one error line listing the known ones, and the CLI's hint.
    for args in [
        vec!["profiles", "use", "nope"],
        vec!["profiles", "show", "nope"],
        vec!["profiles", "delete", "nope", "-y"],
        vec!["-p", "nope", "config", "explain"],
    ] {
        let out = run(env.bare_cmd().args(&args));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr_of(&out);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}: {err}");
        assert!(
            lines[0].contains("known profiles: staging"),
            "{args:?}: {err}"
        );
        assert_eq!(
            lines[1], "hint: run `rsspot configure --profile nope` to create it",
            "{args:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn explain_names_the_source_of_each_value() {
    let env = common::Env::start().await;
    let out = run(env.bare_cmd().args([
        "--region",
        "us-east-iad-1",
        "configure",
        "--refresh-token",
        SECRET,
    ]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    let explain = |extra: &[(&str, &str)], flags: &[&str]| -> Value {
        let mut c = env.bare_cmd();
        for (k, v) in extra {
            c.env(k, v);
        }
        c.args(flags)
            .args(["config", "explain", "region", "-o", "json"]);
        ok(&run(&mut c))
    };
    let file = explain(&[], &[]);
    assert_eq!(file[0]["value"], "us-east-iad-1");
    assert_eq!(
        file[0]["source"],
        format!("profile 'default' in {}", config_yml(&env).display())
    );
    let from_env = explain(&[("RSSPOT_REGION", "uk-lon-1")], &[]);
    assert_eq!(from_env[0]["value"], "uk-lon-1");
    assert_eq!(from_env[0]["source"], "env RSSPOT_REGION");
    let from_flag = explain(
        &[("RSSPOT_REGION", "uk-lon-1")],
        &["--region", "us-west-sjc-1"],
    );
    assert_eq!(from_flag[0]["value"], "us-west-sjc-1");
    assert_eq!(from_flag[0]["source"], "flag");

    // The token is explained but never shown; a whole section is filtered by prefix.
    let all = ok(&run(env.cmd().args(["config", "explain", "-o", "json"])));
    let token = all
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["key"] == "refresh_token")
        .unwrap();
    assert_eq!(token["value"], "<redacted>");
    assert_eq!(token["source"], "env RSSPOT_REFRESH_TOKEN");
    let out = run(env
        .bare_cmd()
        .args(["config", "explain", "retry", "-o", "table"]));
    insta::assert_snapshot!("explain_retry_table", stdout_of(&out));

    let out = run(env.bare_cmd().args(["config", "explain", "no_such_key"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("no setting named 'no_such_key'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn path_show_validate_and_schema() {
    let env = common::Env::start().await;
    // path works before the file exists, and is plain text even when piped.
    let out = run(env.bare_cmd().args(["config", "path"]));
    assert_eq!(
        stdout_of(&out).trim(),
        config_yml(&env).display().to_string()
    );
    let v = ok(&run(env.bare_cmd().args(["config", "path", "-o", "json"])));
    assert_eq!(v["exists"], false);

    let out = run(env.bare_cmd().args([
        "--org",
        "demo",
        "configure",
        "--refresh-token",
        SECRET,
        "--access-token",
        "eyJhbGciOiJSUzI1NiJ9.payload.sig-LEAK",
    ]));
    assert!(out.status.success(), "{}", stderr_of(&out));

    let out = run(env.bare_cmd().args(["config", "show", "-o", "table"]));
    let shown = stdout_of(&out);
    assert!(!shown.contains("sig-LEAK"), "{shown}");
    insta::assert_snapshot!("config_show_table", scrub(&env, &shown));
    assert!(stderr_of(&out).contains(&config_yml(&env).display().to_string()));

    let out = run(env.bare_cmd().args(["config", "validate"]));
    assert!(out.status.success(), "{}", stderr_of(&out));
    assert!(stdout_of(&out).starts_with("OK: "), "{}", stdout_of(&out));

    let schema = ok(&run(env.bare_cmd().args(["config", "schema"])));
    assert!(
        schema["$schema"]
            .as_str()
            .unwrap()
            .contains("json-schema.org")
    );
    assert!(schema["properties"]["profiles"].is_object(), "{schema}");
    // YAML on request, same content.
    let out = run(env.bare_cmd().args(["config", "schema", "-o", "yaml"]));
    let yaml: Value = serde_norway::from_slice(&out.stdout).unwrap();
    assert_eq!(yaml, schema);
}

#[tokio::test(flavor = "multi_thread")]
async fn legacy_spot_config_is_imported_once_and_never_written() {
    let env = common::Env::start().await;
    let legacy = env.home().join(".spot_config");
    let legacy_text =
        "org: legacy-org\nrefreshToken: LEGACY-TOKEN-41b7\nregion: uk-lon-1\ncustom_key: kept\n";
    std::fs::write(&legacy, legacy_text).unwrap();
    std::fs::set_permissions(&legacy, std::fs::Permissions::from_mode(0o644)).unwrap();

    let out = run(env.bare_cmd().args(["profiles", "list", "-o", "json"]));
    let v = ok(&out);
    assert_eq!(v[0]["name"], "default");
    assert_eq!(v[0]["org"], "legacy-org");
    assert_eq!(v[0]["refresh_token"], true);
    let said = stderr_of(&out);
    assert_eq!(said.matches("imported").count(), 1, "{said}");
    assert!(said.contains("was not changed"), "{said}");

    let target = config_yml(&env);
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("refresh_token: LEGACY-TOKEN-41b7"), "{text}");
    assert!(text.contains("custom_key: kept"), "{text}");
    assert!(text.contains("imported_from: ~/.spot_config"), "{text}");
    assert_eq!(mode(&target), 0o600);
    // spotctl's file: same bytes, same mode, no backup or note beside it.
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), legacy_text);
    assert_eq!(mode(&legacy), 0o644);
    assert!(!env.home().join(".spot_config.rsspot-backup").exists());

    // Said once: a second command (and an explicit migrate) changes nothing.
    let before = std::fs::read(&target).unwrap();
    let out = run(env.bare_cmd().args(["config", "show", "-o", "json"]));
    assert!(out.status.success());
    assert!(!stderr_of(&out).contains("imported"));
    let v = ok(&run(env
        .bare_cmd()
        .args(["config", "migrate", "-o", "json"])));
    assert_eq!(v["migrated"], false);
    assert_eq!(std::fs::read(&target).unwrap(), before);

    // The profiles form through `config migrate`, merged into the existing file.
    let profiles_form = "profiles:\n  other:\n    org: demo\n    refreshToken: LEGACY-TOKEN-41b7\n";
    std::fs::write(&legacy, profiles_form).unwrap();
    let v = ok(&run(env
        .bare_cmd()
        .args(["config", "migrate", "-o", "json"])));
    assert_eq!(v["migrated"], true);
    assert_eq!(v["merged_into_existing"], true);
    assert_eq!(v["profiles_added"], serde_json::json!(["other"]));
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(
        text.contains("legacy-org") && text.contains("other:"),
        "{text}"
    );
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), profiles_form);
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_files_fail_with_one_located_line_and_nothing_written() {
    let env = common::Env::start().await;
    let cases = [
        (
            "config.yml",
            "profiles:\n  a:\n    org: [x\n",
            "invalid YAML at line ",
        ),
        (
            "config.toml",
            "version = \"2\"\nb = = 2\n",
            "invalid TOML at line 2, column ",
        ),
        (
            "config.json",
            "{\n  \"profiles\": {,}\n}\n",
            "invalid JSON at line 2, column ",
        ),
    ];
    for (name, text, expected) in cases {
        let dir = env.config_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        for args in [
            vec!["config", "validate"],
            vec!["config", "show"],
            vec!["profiles", "list"],
            vec!["profiles", "use", "a"],
            vec!["configure", "--region", "uk-lon-1"],
            vec!["history"],
            vec!["regions", "list"],
        ] {
            let out = run(env.cmd().args(&args));
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}");
            let err = stderr_of(&out);
            assert_eq!(err.lines().count(), 1, "{name} {args:?}: {err}");
            assert!(
                err.starts_with(&format!("error: {}: {expected}", path.display())),
                "{name} {args:?}: {err}"
            );
            assert!(err.contains("column"), "{err}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
        // Nothing else was written either: no state.db, no other config file.
        assert!(!env.state_db().exists(), "{name}: state.db was created");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_file(&path).unwrap();
    }

    // A wrong type names the key; an inconsistent config is refused.
    let path = config_yml(&env);
    std::fs::write(&path, "retry:\n  max_attempts: many\n").unwrap();
    let out = run(env.bare_cmd().args(["config", "validate"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("max_attempts"),
        "{}",
        stderr_of(&out)
    );
    std::fs::write(&path, "retry:\n  base_delay: 5\n  max_delay: 1\n").unwrap();
    let out = run(env.bare_cmd().args(["config", "validate"]));
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("max_delay"), "{}", stderr_of(&out));
}
