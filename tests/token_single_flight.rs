//! One token exchange per expiry across processes (issue 29, item 5): twenty `rsspot auth
//! kube-token` processes (kubectl runs one per command) that start with an expired cached token
//! make exactly one exchange between them, and none fails, with and without refresh-token
//! rotation, for a refresh token from the environment and one from the config file.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::path::Path;
use std::process::{Command, Output};

use rsspot::cli_support::identity_of;
use rsspot::emulator::{EmulatorOptions, VariantSetting, Variants};
use rsspot::state::{CachedToken, StateStore};
use secrecy::SecretString;

/// Processes started at once.
const PARALLEL: usize = 20;
/// Expiries per case.
const ROUNDS: usize = 3;

async fn env_with(variant: &str) -> common::Env {
    let s: VariantSetting = variant.parse().expect("variant");
    common::Env::start_with(EmulatorOptions {
        variants: Variants::default().with(s),
        ..EmulatorOptions::default()
    })
    .await
}

/// `rsspot auth kube-token` as a plain process (so twenty can run at once), with the isolated
/// HOME of `env` and the emulator's URLs; the refresh token from the environment when given.
fn kube_token(env: &common::Env, refresh_token: Option<&str>) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("rsspot"));
    for (k, _) in std::env::vars() {
        if ["RSSPOT_", "SPOT_", "RACKSPACE_", "RXTSPOT_"]
            .iter()
            .any(|p| k.starts_with(p))
        {
            c.env_remove(k);
        }
    }
    c.env("HOME", env.home())
        .env("XDG_CONFIG_HOME", env.home().join(".config"))
        .env("XDG_STATE_HOME", env.home().join(".local/state"))
        .env("NO_COLOR", "1")
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .env_remove("KUBECONFIG")
        .env_remove("RUST_LOG")
        .args(["auth", "kube-token"]);
    if let Some(t) = refresh_token {
        c.env("RSSPOT_REFRESH_TOKEN", t);
    }
    c
}

/// The refresh token the config file (`config.yml`) holds now (rotation rewrites it).
fn file_token(config_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(config_dir.join("config.yml")).ok()?;
    let value = text
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("refresh_token:"))?;
    Some(
        value
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .to_string(),
    )
}

/// Replaces the cached id token of every identity the profile may look under with one that
/// expired a minute ago, as a cache left by a run an hour earlier.
async fn expire_cached_tokens(env: &common::Env, refresh_tokens: &[String]) {
    let state = StateStore::open(&env.state_db()).await.expect("state.db");
    let expired = CachedToken {
        id_token: SecretString::from("expired.token.value".to_string()),
        expires_at: chrono::Utc::now() - chrono::Duration::minutes(1),
    };
    for t in refresh_tokens {
        let identity = identity_of(&SecretString::from(t.clone()));
        state
            .token_put("default", &identity, &expired)
            .await
            .expect("token_put");
    }
}

/// Starts `PARALLEL` processes at once; returns their outputs.
fn run_parallel(env: &common::Env, refresh_token: Option<&str>) -> Vec<Output> {
    let children: Vec<_> = (0..PARALLEL)
        .map(|_| {
            kube_token(env, refresh_token)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("rsspot starts")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("rsspot ends"))
        .collect()
}

/// Runs `ROUNDS` expiries of `PARALLEL` processes; asserts one exchange and no failure each.
async fn one_exchange_per_expiry(env: &common::Env, from_env: bool) {
    let env_token = from_env.then_some("demo-token");
    for round in 0..ROUNDS {
        let mut tokens = vec!["demo-token".to_string()];
        tokens.extend(file_token(&env.config_dir()));
        expire_cached_tokens(env, &tokens).await;
        let before = env.emu.count("POST", "/oauth/token");
        let outs = run_parallel(env, env_token);
        let exchanges = env.emu.count("POST", "/oauth/token") - before;
        let failed: Vec<String> = outs
            .iter()
            .filter(|o| !o.status.success() || !common::stdout_of(o).contains("ExecCredential"))
            .map(common::stderr_of)
            .collect();
        eprintln!(
            "round {round}: {PARALLEL} processes, {exchanges} exchange(s), {} failure(s)",
            failed.len()
        );
        assert!(failed.is_empty(), "round {round}: {failed:?}");
        assert_eq!(exchanges, 1, "round {round}: exchanges");
        for o in &outs {
            common::assert_no_secret(&common::stderr_of(o));
        }
    }
}

/// Stores the demo refresh token in the config file (no exchange: no --verify).
fn configure(env: &common::Env) {
    let token = env.home().join("token");
    std::fs::write(&token, "demo-token").unwrap();
    let url = env.emu.base_url();
    env.ok(&[
        "configure",
        "--no-input",
        "--refresh-token-file",
        token.to_str().unwrap(),
        "--base-url",
        &url,
        "--oauth-url",
        &url,
    ]);
    assert_eq!(env.emu.count("POST", "/oauth/token"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn env_token_without_rotation() {
    let env = env_with("token-rotation=off").await;
    one_exchange_per_expiry(&env, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn env_token_with_rotation() {
    let env = env_with("token-rotation=on").await;
    one_exchange_per_expiry(&env, true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_file_token_without_rotation() {
    let env = env_with("token-rotation=off").await;
    configure(&env);
    assert_eq!(file_token(&env.config_dir()).as_deref(), Some("demo-token"));
    one_exchange_per_expiry(&env, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn config_file_token_with_rotation() {
    let env = env_with("token-rotation=on").await;
    configure(&env);
    one_exchange_per_expiry(&env, false).await;
    // The config file holds the latest refresh token (the rounds above show that it works).
    assert_ne!(file_token(&env.config_dir()).as_deref(), Some("demo-token"));
}
