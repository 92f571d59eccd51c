//! `nodepools autopilot ...` through the real binary against the emulator: a vCPU budget the
//! service turns into allocations once the cloudspace is ready.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use rsspot::emulator::{EmulatorOptions, Lifecycle};
use serde_json::Value;

async fn instant_env() -> common::Env {
    common::Env::start_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    })
    .await
}

fn ok(env: &common::Env, args: &[&str]) -> Value {
    let out = env.cmd().args(args).output().expect("rsspot runs");
    assert!(
        out.status.success(),
        "{args:?} failed ({:?}): {}",
        out.status.code(),
        common::stderr_of(&out)
    );
    let text = common::stdout_of(&out);
    if text.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn fails(env: &common::Env, args: &[&str]) -> (Option<i32>, String) {
    let out = env.cmd().args(args).output().expect("rsspot runs");
    assert!(!out.status.success(), "{args:?} unexpectedly succeeded");
    (out.status.code(), common::stderr_of(&out))
}

#[tokio::test(flavor = "multi_thread")]
async fn autopilot_pools_allocate_their_budget() {
    let env = instant_env().await;
    let client = rsspot::SpotClient::builder()
        .all_urls(env.emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await
        .unwrap();
    client
        .cloudspaces()
        .create(
            &rsspot::services::CloudSpaceCreate::new("ap-demo").region("us-central-dfw-1"),
            None,
        )
        .await
        .unwrap();
    let made = ok(
        &env,
        &[
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
        ],
    );
    assert_eq!(made["status"]["phase"], "Ready", "{made}");
    assert!(
        made["status"]["managedVCPUs"].as_i64().unwrap() >= 8,
        "{made}"
    );
    assert_eq!(made["status"]["allocations"].as_array().unwrap().len(), 1);
    let name = made["metadata"]["name"].as_str().unwrap().to_string();
    let list = ok(
        &env,
        &[
            "-o",
            "json",
            "np",
            "autopilot",
            "list",
            "--cloudspace",
            "ap-demo",
        ],
    );
    assert_eq!(list.as_array().unwrap().len(), 1);
    let updated = ok(
        &env,
        &[
            "-o",
            "json",
            "np",
            "autopilot",
            "update",
            &name,
            "--vcpu",
            "16",
        ],
    );
    assert_eq!(updated["spec"]["vcpu"]["total"], 16);
    let (code, err) = fails(
        &env,
        &[
            "np",
            "autopilot",
            "create",
            "--cloudspace",
            "nowhere",
            "--vcpu",
            "4",
        ],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("nowhere"), "{err}");
    ok(&env, &["--yes", "np", "autopilot", "delete", &name]);
    let list = ok(&env, &["-o", "json", "np", "autopilot", "list"]);
    assert_eq!(list, serde_json::json!([]));
}
