#![cfg(all(feature = "cli", feature = "emulator"))]
//! Construction (issue 25): `SpotClient::builder().config(file).profile(p)`, an explicit
//! environment for `LoadOptions`, one state rule for every constructor, and every setting
//! declared once (the file schema, env names, `config set` and builder setters follow the table).

mod common;

use std::collections::BTreeSet;

use rsspot::config::{self, ConfigFile, Env, Format, LoadOptions, SETTINGS};
use rsspot::{Error, SpotClient};

fn file(text: &str) -> ConfigFile {
    ConfigFile::parse(text, Format::Yaml, "inline config").unwrap()
}

fn two_profiles(url: &str) -> ConfigFile {
    file(&format!(
        "profiles:\n  good:\n    org: demo\n    refresh_token: demo-token\n    base_url: {url}\n    \
         oauth_url: {url}\n    public_data_url: {url}\n  bad:\n    org: no-such-org\n    \
         refresh_token: demo-token\n    base_url: {url}\n    oauth_url: {url}\n    \
         public_data_url: {url}\n"
    ))
}

#[tokio::test]
async fn builder_takes_a_config_file_and_a_profile() {
    let env = common::Env::start().await;
    let url = env.emu.base_url();
    let client = SpotClient::builder()
        .config(two_profiles(&url))
        .profile("good")
        .build()
        .await
        .unwrap();
    assert!(!client.regions().list().await.unwrap().is_empty());
    assert!(client.namespace(None).await.unwrap().starts_with("org-"));

    // The other profile of the same file is used when named.
    let bad = SpotClient::builder()
        .config(two_profiles(&url))
        .profile("bad")
        .build()
        .await
        .unwrap();
    assert!(bad.namespace(None).await.is_err());

    // An explicit value wins over the configuration, whatever the order of the calls.
    let fixed = SpotClient::builder()
        .org("demo")
        .config(two_profiles(&url))
        .profile("bad")
        .build()
        .await
        .unwrap();
    assert!(fixed.namespace(None).await.unwrap().starts_with("org-"));
}

#[tokio::test]
async fn a_missing_profile_is_profile_not_found() {
    let err = SpotClient::builder()
        .config(two_profiles("http://127.0.0.1:9"))
        .profile("nope")
        .build()
        .await
        .unwrap_err();
    match err {
        Error::ProfileNotFound { profile, .. } => assert_eq!(profile, "nope"),
        other => panic!("expected ProfileNotFound, got {other:?}"),
    }
}

#[tokio::test]
async fn no_constructor_keeps_state_unless_asked() {
    let env = common::Env::start().await;
    let url = env.emu.base_url();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state.db");
    let cfg = file(&format!(
        "state_path: {}\nprofiles:\n  p:\n    refresh_token: demo-token\n    base_url: {url}\n    \
         oauth_url: {url}\n    public_data_url: {url}\n",
        db.display()
    ));

    // Explicit values only, a config file, a full load: no state store, nothing written.
    let plain = SpotClient::builder()
        .all_urls(url.clone())
        .refresh_token("demo-token")
        .build()
        .await
        .unwrap();
    assert!(plain.state().is_none());
    let from_file = SpotClient::builder()
        .config(cfg.clone())
        .build()
        .await
        .unwrap();
    assert!(from_file.state().is_none());
    from_file.regions().list().await.unwrap();
    let loaded = SpotClient::builder()
        .load(LoadOptions {
            runtime: Some(cfg.clone()),
            ..LoadOptions::with_env(Env::empty())
        })
        .build()
        .await
        .unwrap();
    assert!(loaded.state().is_none());
    assert!(!db.exists(), "no constructor writes state.db unless asked");

    // Asked for: the configured state.db.
    let persistent = SpotClient::builder()
        .config(cfg)
        .persistent_state()
        .build()
        .await
        .unwrap();
    assert!(persistent.state().is_some());
    persistent.regions().list().await.unwrap();
    assert!(
        db.exists(),
        "persistent_state opens the configured state_path"
    );
}

#[test]
fn load_options_take_an_explicit_environment() {
    let sb_dir = tempfile::tempdir().unwrap();
    let home = sb_dir.path().to_path_buf();
    let opts = |env: Env| LoadOptions {
        home: Some(home.clone()),
        ..LoadOptions::with_env(env)
    };
    // Pairs, no process environment touched.
    let r = config::load(&opts(Env::from_pairs([
        ("RSSPOT_PROFILE", "default"),
        ("RSSPOT_REGION", "us-east-iad-1"),
        ("RSSPOT_VERIFY_SSL", "false"),
    ])))
    .unwrap();
    assert_eq!(r.settings.region.as_deref(), Some("us-east-iad-1"));
    assert!(!r.settings.verify_ssl);
    // An empty environment sets nothing.
    let r = config::load(&opts(Env::empty())).unwrap();
    assert_eq!(r.settings.region, None);
    assert!(r.settings.verify_ssl);
    // The default reads the process environment (documented), not an empty one.
    let default = LoadOptions::default();
    assert_eq!(default.env.get("PATH"), Env::process().get("PATH"));
    assert!(Env::process().get("PATH").is_some());
}

#[test]
fn every_declared_setting_reaches_env_help_config_set_and_the_schema() {
    let listed: BTreeSet<&str> = config::env::ENV_VARS
        .iter()
        .flat_map(|(_, vars)| vars.iter().copied())
        .collect();
    let schema = config::json_schema();
    let profile_props = schema["$defs"]["Profile"]["properties"]
        .as_object()
        .expect("Profile in the schema");
    let dir = tempfile::tempdir().unwrap();
    let mut doc = config::ConfigDocument::open(&dir.path().join("c.yml")).unwrap();
    for def in SETTINGS {
        for var in def.env.iter().chain(def.env_file).chain(def.env_late) {
            assert!(listed.contains(var), "{var} of {} not in ENV_VARS", def.key);
        }
        assert!(!def.env.is_empty(), "{} has no env variable", def.key);
        assert!(!def.doc.trim().is_empty(), "{} has no doc", def.key);
        let prop = &profile_props[def.key];
        assert!(prop.is_object(), "{} not in the file schema", def.key);
        assert!(
            prop.get("description").is_some(),
            "{}: its doc is the schema description",
            def.key
        );
        // `config set` parses it with the kind's parser.
        let sample = match def.what {
            "true or false" => "false",
            "a number of seconds" => "12",
            "an amount in USD such as 500" => "500",
            "an http(s) URL" => "https://spot.example.com",
            _ => "value",
        };
        doc.set_profile_field("p", def.key, Some(sample.into()))
            .unwrap_or_else(|e| panic!("config set {}: {e}", def.key));
        // The environment sets it, and provenance says so.
        let r = config::load(&LoadOptions {
            home: Some(dir.path().to_path_buf()),
            ..LoadOptions::with_env(Env::from_pairs([(def.env[0], sample)]))
        })
        .unwrap();
        let p = r
            .provenance
            .iter()
            .find(|p| p.key == def.key)
            .unwrap_or_else(|| panic!("no provenance for {}", def.key));
        assert_eq!(p.source, format!("env {}", def.env[0]));
        if def.secret {
            assert_eq!(p.value, config::REDACTED);
        }
    }
    // A bad value names the variable and what it expects.
    for def in SETTINGS.iter().filter(|d| d.what == "true or false") {
        let err = config::load(&LoadOptions {
            home: Some(dir.path().to_path_buf()),
            ..LoadOptions::with_env(Env::from_pairs([(def.env[0], "maybe")]))
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(def.env[0]) && err.contains("true or false"),
            "{err}"
        );
    }
}
