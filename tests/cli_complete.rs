//! Live completions (`COMPLETE=bash rsspot -- rsspot ...`) answer from the HTTP cache, with the
//! network down, and quickly.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Env, stdout_of};

/// `rsspot` as the bash completion hook calls it, asking for the word at `index` of `words`.
fn complete(home: &Path, base_url: &str, words: &[&str]) -> (String, Duration) {
    let mut c = assert_cmd::Command::cargo_bin("rsspot").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") || k.starts_with("RACKSPACE_") {
            c.env_remove(k);
        }
    }
    c.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".local/state"))
        .env("RSSPOT_BASE_URL", base_url)
        .env("RSSPOT_OAUTH_URL", base_url)
        .env("RSSPOT_PUBLIC_DATA_URL", base_url)
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .timeout(Duration::from_secs(30));
    let started = Instant::now();
    let out = c.output().unwrap();
    let took = started.elapsed();
    assert!(out.status.success());
    (stdout_of(&out), took)
}

#[tokio::test(flavor = "multi_thread")]
async fn cloudspace_names_come_from_the_cache_with_the_network_down() {
    let env = Env::start().await;
    for name in ["alpha-cs", "beta-cs"] {
        let out = env
            .cmd()
            .args([
                "cloudspaces",
                "create",
                name,
                "--region",
                "us-central-dfw-1",
                "-o",
                "name",
            ])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    // A list fills the cache.
    let out = env
        .cmd()
        .args(["cloudspaces", "list", "-o", "name"])
        .output()
        .unwrap();
    assert!(stdout_of(&out).contains("alpha-cs"));
    let base_url = env.emu.base_url();
    let Env { emu, home } = env;
    emu.shutdown().await;

    let (words, took) = complete(
        home.path(),
        &base_url,
        &["rsspot", "cloudspaces", "get", ""],
    );
    let names: Vec<&str> = words.lines().collect();
    assert!(
        names.contains(&"alpha-cs") && names.contains(&"beta-cs"),
        "{words}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");

    // Nothing cached for pools: no names, and no long wait on the dead server.
    let (words, took) = complete(
        home.path(),
        &base_url,
        &["rsspot", "nodepools", "spot", "get", ""],
    );
    assert!(!words.contains("alpha-cs"), "{words}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_and_flags_complete_offline() {
    let env = Env::start().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "profiles:\n  dev:\n    org: demo\n  prod:\n    org: demo\n",
    )
    .unwrap();
    let (words, _) = complete(
        env.home(),
        "http://127.0.0.1:9",
        &["rsspot", "profiles", "use", ""],
    );
    let names: Vec<&str> = words.lines().collect();
    assert!(names.contains(&"dev") && names.contains(&"prod"), "{words}");
    let (words, _) = complete(
        env.home(),
        "http://127.0.0.1:9",
        &["rsspot", "cloudspaces", "list", "--pro"],
    );
    assert!(words.contains("--profile"), "{words}");
}
