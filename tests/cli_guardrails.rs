//! Spending guardrails through the real binary: a bid above the class's on-demand price,
//! `desired` above its availability, or a monthly cost above `max_monthly_usd` is refused
//! without a terminal unless `--yes` is given (exit 2, one line naming the flag), and nothing
//! is sent. Also: `--wait` timeouts still print the created pool.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use rsspot::emulator::{EmulatorOptions, Lifecycle};

// gp.vs1.medium-dfw in the seed: floor 0.01, on-demand $0.02/h, 37 available.
const CLASS: &str = "gp.vs1.medium-dfw";

fn ok(env: &common::Env, args: &[&str]) -> String {
    env.ok(args).0
}

/// Exit 2, one `error:` line that names `--yes` and `reason`.
fn refused(out: &std::process::Output, reason: &str) {
    let err = common::stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(err.contains(reason), "{reason}: {err}");
}

async fn env_with_pool() -> (common::Env, String) {
    let env = common::Env::instant().await;
    ok(
        &env,
        &[
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
    );
    let out = ok(
        &env,
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            CLASS,
            "--desired",
            "1",
            "--bid-price",
            "0.02",
            "-o",
            "name",
        ],
    );
    (env, out.trim().to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn absurd_bid_and_desired_are_refused_without_yes() {
    let (env, pool) = env_with_pool().await;
    let patches = || env.api_requests("PATCH", "spotnodepools");
    let posts = env.api_requests("POST", "nodepools");

    let out = env.run(&["np", "spot", "update", &pool, "--bid-price", "1000000"]);
    refused(&out, "above the on-demand price");
    let out = env.run(&["np", "spot", "update", &pool, "--desired", "100000"]);
    refused(&out, "only 37 available");
    assert_eq!(patches(), 0, "nothing was sent");

    // --yes proceeds, and the server holds what was sent.
    let out = env.run(&[
        "np",
        "spot",
        "update",
        &pool,
        "--bid-price",
        "1000000",
        "--yes",
        "-o",
        "json",
    ]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["spec"]["bidPrice"], "1000000.00");
    assert!(!common::stderr_of(&out).contains("server holds"));
    assert_eq!(patches(), 1);

    // Creates too: spot above on-demand, on-demand above availability.
    let out = env.run(&[
        "np",
        "spot",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--bid-price",
        "$0.50",
    ]);
    refused(&out, "above the on-demand price");
    let out = env.run(&[
        "np",
        "od",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "38",
    ]);
    refused(&out, "only 37 available");
    assert_eq!(
        env.api_requests("POST", "nodepools"),
        posts,
        "nothing was sent"
    );
    // A dry run only warns.
    let out = env.run(&[
        "np",
        "spot",
        "update",
        &pool,
        "--desired",
        "100000",
        "--dry-run",
    ]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("warning: 100000 nodes asked for"));
}

#[tokio::test(flavor = "multi_thread")]
async fn monthly_limit_from_the_environment() {
    let (env, pool) = env_with_pool().await;
    // 0.02 × 2 × 730 = $29.2 > $20.
    let out = env
        .cmd()
        .env("RSSPOT_MAX_MONTHLY_USD", "20")
        .args(["np", "spot", "update", &pool, "--desired", "2"])
        .output()
        .unwrap();
    refused(&out, "max_monthly_usd");
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 0);
    // Under the limit: no question asked.
    let out = env
        .cmd()
        .env("RSSPOT_MAX_MONTHLY_USD", "30")
        .args(["np", "spot", "update", &pool, "--desired", "2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    // On-demand: 0.02 × 1 × 730 = 14.6.
    let out = env
        .cmd()
        .env("RSSPOT_MAX_MONTHLY_USD", "10")
        .args([
            "np",
            "od",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            CLASS,
            "--desired",
            "1",
        ])
        .output()
        .unwrap();
    refused(&out, "max_monthly_usd");
    // A bad value is a config error.
    let out = env
        .cmd()
        .env("RSSPOT_MAX_MONTHLY_USD", "lots")
        .args(["np", "spot", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("RSSPOT_MAX_MONTHLY_USD"));
}

#[tokio::test(flavor = "multi_thread")]
async fn monthly_limit_from_the_profile() {
    let (env, pool) = env_with_pool().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    max_monthly_usd: 20\n",
    )
    .unwrap();
    let out = env.run(&["np", "spot", "update", &pool, "--desired", "2"]);
    refused(&out, "above max_monthly_usd $20");
    let out = env.run(&["np", "spot", "update", &pool, "--desired", "2", "--yes"]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn off_ladder_bid_is_a_warning_not_a_refusal() {
    let env = common::Env::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        variants: rsspot::emulator::Variants {
            bid_rules: rsspot::emulator::BidRules::Decimals,
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    ok(
        &env,
        &["cs", "create", "demo-dfw", "--region", "us-central-dfw-1"],
    );
    // 0.015 is off the ladder (0.01 steps below $0.04) but at most three decimals.
    let out = env.run(&[
        "np",
        "spot",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--bid-price",
        "0.015",
        "-o",
        "json",
    ]);
    let err = common::stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: the bid 0.015 is not on the bid ladder"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["spec"]["bidPrice"], "0.015");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_timeout_still_prints_the_created_pool() {
    // Manual clock that never moves: the pool is never fulfilled.
    let env = common::Env::start().await;
    ok(
        &env,
        &["cs", "create", "demo-dfw", "--region", "us-central-dfw-1"],
    );
    let out = env.run(&[
        "np",
        "spot",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--bid-price",
        "0.02",
        "--wait",
        "--timeout",
        "1s",
        "-o",
        "name",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    let name = common::stdout_of(&out);
    let name = name.trim();
    assert!(rsspot::services::is_lowercase_uuid(name), "{name:?}");
    assert_eq!(
        env.emu
            .journal()
            .iter()
            .filter(|e| e.method == "POST" && e.path.contains("spotnodepools"))
            .count(),
        1
    );
    // JSON too: the object is on stdout before the exit code.
    let out = env.run(&[
        "np",
        "od",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--wait",
        "--timeout",
        "1s",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "OnDemandNodePool");
}

/// `rsspot ARGS` under `script`, so stdin, stdout and stderr are a terminal; `stdin` answers.
fn tty(env: &common::Env, args: &str, stdin: &str) -> (Option<i32>, String) {
    use std::io::Write;
    use std::process::Stdio;
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let mut cmd = std::process::Command::new("script");
    for (k, v) in env.cmd().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::stdout_of(&out).replace('\r', ""))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_terminal_is_asked_and_no_means_nothing_is_sent() {
    let (env, pool) = env_with_pool().await;
    let (code, screen) = tty(&env, &format!("np spot update {pool} --bid-price 5"), "n\n");
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("above the on-demand price"), "{screen}");
    assert!(screen.contains("[y/N]"), "{screen}");
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 0);
    let (code, screen) = tty(&env, &format!("np spot update {pool} --bid-price 5"), "y\n");
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 1);
}

/// A bid the service's admission webhook refuses (a 403 under `bid-rules=ladder`) is explained
/// as a refused value, not as an identity that lacks access to the organization.
#[tokio::test(flavor = "multi_thread")]
async fn an_admission_webhook_refusal_is_not_called_an_access_problem() {
    let setting: rsspot::emulator::VariantSetting = "bid-rules=ladder".parse().unwrap();
    let env = common::Env::start_with(common::variant_options(setting)).await;
    ok(
        &env,
        &["cs", "create", "hook-dfw", "--region", "us-central-dfw-1"],
    );
    let out = env.run(&[
        "np",
        "spot",
        "create",
        "--cloudspace",
        "hook-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--bid-price",
        "0.05",
        "--yes",
    ]);
    assert!(!out.status.success());
    let err = common::stderr_of(&out);
    assert!(err.contains("not on the bid ladder"), "{err}");
    assert!(err.contains("refused a value of the request"), "{err}");
    assert!(!err.contains("own organization"), "{err}");
}
