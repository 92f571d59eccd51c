//! `nodepools autopilot ...` through the real binary against the emulator: a vCPU budget the
//! service turns into allocations once the cloudspace is ready.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn autopilot_pools_allocate_their_budget() {
    let env = common::Env::instant().await;
    let client = env.client().await;
    client
        .cloudspaces()
        .create(&rsspot::services::CloudSpaceCreate::new("ap-demo").region("us-central-dfw-1"))
        .await
        .unwrap();
    let made = env.ok_json(&[
        "-o",
        "json",
        "nodepools",
        "autopilot",
        "create",
        "--cloudspace",
        "ap-demo",
        "--vcpu",
        "8",
        "--budget-per-hour",
        "5",
        "--wait",
        "--timeout",
        "30s",
    ]);
    assert!(
        made["status"]["managedVCPUs"].as_i64().unwrap() >= 8,
        "{made}"
    );
    assert_eq!(made["status"]["allocations"].as_array().unwrap().len(), 1);
    let name = made["metadata"]["name"].as_str().unwrap().to_string();
    let list = env.ok_json(&[
        "-o",
        "json",
        "np",
        "autopilot",
        "list",
        "--cloudspace",
        "ap-demo",
    ]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let updated = env.ok_json(&[
        "-o",
        "json",
        "np",
        "autopilot",
        "update",
        &name,
        "--vcpu",
        "16",
    ]);
    assert_eq!(updated["spec"]["vcpu"]["total"], 16);
    let (code, err) = env.fails(&[
        "np",
        "autopilot",
        "create",
        "--cloudspace",
        "nowhere",
        "--vcpu",
        "4",
        "--budget-per-hour",
        "1",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nowhere"), "{err}");
    env.ok_json(&["--yes", "np", "autopilot", "delete", &name]);
    let list = env.ok_json(&["-o", "json", "np", "autopilot", "list"]);
    assert_eq!(list, serde_json::json!([]));
}

/// Requests of `method` on autopilot pools the emulator saw.
fn autopilot_requests(env: &common::Env, method: &str) -> usize {
    env.emu
        .journal()
        .iter()
        .filter(|e| e.method.eq_ignore_ascii_case(method))
        .filter(|e| e.path.contains("autopilotnodepools"))
        .count()
}

/// Runs the CLI with `max_monthly_usd` set to `limit`.
fn with_limit(env: &common::Env, limit: &str, args: &[&str]) -> std::process::Output {
    env.cmd()
        .env("RSSPOT_MAX_MONTHLY_USD", limit)
        .args(args)
        .output()
        .expect("rsspot runs")
}

/// Exit 2 with one `error:` line naming `--yes` and `reason`.
fn refused(out: &std::process::Output, reason: &str) {
    let err = common::stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(err.contains(reason), "{reason}: {err}");
}

const CREATE: &[&str] = &[
    "np",
    "autopilot",
    "create",
    "--cloudspace",
    "ap-guard",
    "--vcpu",
    "4",
];

fn create_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    CREATE
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

/// The most an autopilot pool can cost is every node its target could need (the target over
/// the smallest qualifying node: 2 vCPUs in us-central-dfw-1) bid at its ceiling; that is what
/// `max_monthly_usd` is checked against, on create and on updates that can grow it.
#[tokio::test(flavor = "multi_thread")]
async fn autopilot_budgets_are_held_to_the_monthly_limit() {
    let env = common::Env::instant().await;
    env.ok_json(&["cs", "create", "ap-guard", "--region", "us-central-dfw-1"]);
    // 4 vCPUs = at most 2 nodes × $1/h × 730 = $1460 a month, above a $100 limit: refused.
    let out = with_limit(&env, "100", &create_args(&["--budget-per-hour", "1"]));
    refused(&out, "$1460 per month, above max_monthly_usd $100");
    assert_eq!(autopilot_requests(&env, "POST"), 0);
    // --dry-run shows the concern and sends nothing.
    let out = with_limit(
        &env,
        "100",
        &create_args(&["--budget-per-hour", "1", "--dry-run"]),
    );
    let err = common::stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("above max_monthly_usd $100"), "{err}");
    let body: Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
    assert_eq!(body["spec"]["budgetPerHour"], "1", "{body}");
    assert_eq!(autopilot_requests(&env, "POST"), 0);
    // --yes goes ahead.
    let out = with_limit(
        &env,
        "100",
        &create_args(&["--budget-per-hour", "1", "--yes", "-o", "json"]),
    );
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(autopilot_requests(&env, "POST"), 1);
    let made: Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
    let big = made["metadata"]["name"].as_str().unwrap().to_string();
    // Under the limit (2 × $0.05 × 730 = $73): no question, no warning.
    let out = with_limit(
        &env,
        "100",
        &create_args(&["--budget-per-hour", "0.05", "-o", "json"]),
    );
    let err = common::stderr_of(&out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("max_monthly_usd"), "{err}");
    assert_eq!(autopilot_requests(&env, "POST"), 2);
    let made: Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
    let small = made["metadata"]["name"].as_str().unwrap().to_string();

    // Updates: a new ceiling over the limit is refused; --yes sends it.
    let update = |name: &str, extra: &[&str]| -> std::process::Output {
        let mut args = vec!["np", "autopilot", "update"];
        args.push(name);
        args.extend_from_slice(extra);
        with_limit(&env, "100", &args)
    };
    refused(
        &update(&small, &["--budget-per-hour", "2"]),
        "$2920 per month",
    );
    let patches = autopilot_requests(&env, "PATCH");
    let out = update(&small, &["--budget-per-hour", "2", "--yes"]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(autopilot_requests(&env, "PATCH"), patches + 1);
    // Without a new ceiling the pool's own counts: a bigger target over the limit asks.
    refused(
        &update(&big, &["--vcpu", "8"]),
        "above max_monthly_usd $100",
    );
    assert_eq!(autopilot_requests(&env, "PATCH"), patches + 1);
    let out = update(&small, &["--budget-per-hour", "0.05", "--yes"]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let out = update(&small, &["--vcpu", "4"]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(autopilot_requests(&env, "PATCH"), patches + 3);
    // No limit: nothing is asked whatever the ceiling.
    let out = env
        .cmd()
        .args(create_args(&["--budget-per-hour", "50"]))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert_eq!(autopilot_requests(&env, "POST"), 3);
}
