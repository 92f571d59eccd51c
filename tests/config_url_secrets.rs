//! Settings that print URLs (issue 29, item 7): `config explain`, `config show`, `profiles
//! list|show` never print the user-info of `base_url`/`oauth_url`/`public_data_url`/
//! `ledger_url`, nor a password in a postgres URL's query; hosts, paths and `sslmode` stay.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

const SECRETS: &[&str] = &["Bu1pw", "Ou2pw", "Pd3pw", "Lg4pw", "Lg5pw"];

#[tokio::test(flavor = "multi_thread")]
async fn urls_print_without_their_credentials() {
    let env = common::Env::start().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    \
         base_url: https://alice:Bu1pw@api.example.invalid\n    \
         oauth_url: https://bob:Ou2pw@login.example.invalid/oauth\n    \
         public_data_url: https://Pd3pw@data.example.invalid\n    \
         ledger_url: postgres://rsspot:Lg4pw@db.internal:5432/ledger?sslmode=require&password=Lg5pw\n",
    )
    .unwrap();
    let views: &[&[&str]] = &[
        &["config", "explain"],
        &["config", "explain", "-o", "json"],
        &["config", "explain", "base_url", "-o", "yaml"],
        &["config", "show"],
        &["config", "show", "-o", "json"],
        &["profiles", "list", "-o", "wide"],
        &["profiles", "list", "-o", "json"],
        &["profiles", "show", "default"],
        &["profiles", "show", "default", "-o", "json"],
    ];
    let mut leaks = Vec::new();
    for args in views {
        let out = env.bare_cmd().args(*args).output().unwrap();
        let stdout = common::stdout_of(&out);
        let stderr = common::stderr_of(&out);
        assert!(out.status.success(), "{args:?}: {stderr}");
        for secret in SECRETS {
            if stdout.contains(secret) || stderr.contains(secret) {
                leaks.push(format!("{args:?}: {secret}"));
            }
        }
        if args.contains(&"explain") || args.contains(&"show") {
            assert!(stdout.contains("api.example.invalid"), "{args:?}: {stdout}");
        }
    }
    eprintln!("config views: {}, leaks: {}", views.len(), leaks.len());
    assert!(leaks.is_empty(), "{leaks:?}");
    let explain = common::stdout_of(
        &env.bare_cmd()
            .args(["config", "explain", "-o", "json"])
            .output()
            .unwrap(),
    );
    for kept in [
        "https://<redacted>@api.example.invalid",
        "https://<redacted>@login.example.invalid/oauth",
    ] {
        assert!(explain.contains(kept), "{kept} missing from {explain}");
    }
}

#[test]
fn a_postgres_url_keeps_its_host_database_and_sslmode() {
    use rsspot::state::redact::redact_url;
    assert_eq!(
        redact_url("postgres://rsspot:pw@db.internal:5432/ledger?sslmode=require&password=pw2"),
        "postgres://<redacted>@db.internal:5432/ledger?sslmode=require&password=<redacted>"
    );
    assert_eq!(
        redact_url("https://spot.rackspace.com"),
        "https://spot.rackspace.com"
    );
    assert_eq!(redact_url("not a url"), "not a url");
}
