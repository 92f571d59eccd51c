//! Autopilot pools in the official SDK's shape (API-NOTES §9.4), through the real binary: what
//! the service would refuse is refused locally with nothing sent; a create with defaults sends
//! every field the official rules need; waiting means managed vCPUs reach the target, whatever
//! the phase is called; `get` shows the allocations from the official fields.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use serde_json::Value;

/// Requests the emulator saw on autopilot pools.
fn autopilot_requests(env: &common::Env) -> usize {
    env.emu
        .journal()
        .iter()
        .filter(|e| e.path.contains("autopilotnodepools"))
        .count()
}

fn ready_cloudspace(env: &common::Env, name: &str) {
    env.ok(&[
        "cs",
        "create",
        name,
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn what_the_service_refuses_is_refused_locally_with_nothing_sent() {
    let env = common::Env::instant().await;
    ready_cloudspace(&env, "ap");
    let base = [
        "np",
        "autopilot",
        "create",
        "--cloudspace",
        "ap",
        "--vcpu",
        "8",
    ];
    let cases: &[(&[&str], &str)] = &[
        (&[], "--budget-per-hour"),
        (&["--budget-per-hour", "0"], "positive"),
        (&["--budget-per-hour=-1"], "budget"),
        (&["--budget-per-hour", "0.1234"], "3 decimals"),
        (
            &["--budget-per-hour", "1", "--memory-per-vcpu", "4Gi"],
            "any, 2, 4 or 8",
        ),
        (
            &["--budget-per-hour", "1", "--memory-per-vcpu", "3"],
            "any, 2, 4 or 8",
        ),
        (
            &[
                "--budget-per-hour",
                "1",
                "--allocation-strategy",
                "lowestPrice",
            ],
            "LowestPrice",
        ),
        (
            &["--budget-per-hour", "1", "--taint", "a=b:Sometimes"],
            "NoSchedule",
        ),
        (
            &[
                "--budget-per-hour",
                "1",
                "--min-vcpu-per-node",
                "8",
                "--max-vcpu-per-node",
                "2",
            ],
            "min",
        ),
        (
            &["--budget-per-hour", "1", "--region", "uk-lon-1"],
            "us-central-dfw-1",
        ),
    ];
    for (extra, says) in cases {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        let (code, err) = env.fails(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(autopilot_requests(&env), 0, "{args:?} sent a request");
    }
    // Updates take no region or cloudspace at all, and refuse the same values.
    let (code, err) = env.fails(&[
        "np",
        "autopilot",
        "update",
        "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c",
        "--memory-per-vcpu",
        "16",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(autopilot_requests(&env), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_with_defaults_sends_what_the_official_rules_need() {
    let env = common::Env::instant().await;
    ready_cloudspace(&env, "ap");
    let body = env.ok_json(&[
        "-o",
        "json",
        "np",
        "autopilot",
        "create",
        "--cloudspace",
        "ap",
        "--vcpu",
        "8",
        "--budget-per-hour",
        "0.05",
        "--label",
        "team=ml",
        "--taint",
        "gpu=yes:NoSchedule",
        "--dry-run",
    ]);
    let spec: &Value = &body["spec"];
    // The region is the cloudspace's even though --region was not given.
    assert_eq!(spec["region"], "us-central-dfw-1", "{body}");
    assert_eq!(spec["memoryPerVCPU"], "any");
    assert_eq!(spec["allocationStrategy"], "LowestPrice");
    assert_eq!(spec["budgetPerHour"], "0.05");
    assert_eq!(spec["customLabels"]["team"], "ml");
    assert_eq!(spec["customTaints"][0]["key"], "gpu");
    assert_eq!(autopilot_requests(&env), 0, "--dry-run sends nothing");
    let made = env.ok_json(&[
        "-o",
        "json",
        "np",
        "autopilot",
        "create",
        "--cloudspace",
        "ap",
        "--vcpu",
        "8",
        "--budget-per-hour",
        "0.05",
        "--wait",
        "--timeout",
        "60s",
    ]);
    let st = &made["status"];
    assert!(
        st["managedVCPUs"].as_i64() >= st["targetVCPUs"].as_i64(),
        "waited until the vCPUs were won: {made}"
    );
}

/// The preview (public prices and classes only) predicts what the emulator then packs for the
/// same spec and prices: the same classes with the same node counts.
#[tokio::test(flavor = "multi_thread")]
async fn the_preview_matches_what_the_service_packs() {
    let env = common::Env::instant().await;
    ready_cloudspace(&env, "ap");
    let specs: &[&[&str]] = &[
        &[
            "--vcpu",
            "8",
            "--min-vcpu-per-node",
            "2",
            "--max-vcpu-per-node",
            "2",
        ],
        &["--vcpu", "12"],
        &["--vcpu", "16", "--memory-per-vcpu", "4"],
        &["--vcpu", "16", "--memory-per-vcpu", "8"],
    ];
    for spec in specs {
        let args = |cmd: &str| -> Vec<String> {
            let mut a: Vec<String> = ["-o", "json", "np", "autopilot", cmd, "--cloudspace", "ap"]
                .iter()
                .map(ToString::to_string)
                .collect();
            a.extend(spec.iter().map(ToString::to_string));
            a.extend(["--budget-per-hour".into(), "1".into()]);
            a
        };
        let preview_args = args("preview");
        let refs: Vec<&str> = preview_args.iter().map(String::as_str).collect();
        let preview = env.ok_json(&refs);
        assert_eq!(preview["estimate"], true);
        let mut predicted: Vec<(String, i64)> = preview["classes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["serverClass"].as_str().unwrap().to_string(),
                    c["nodes"].as_i64().unwrap(),
                )
            })
            .collect();
        let mut create_args = args("create");
        create_args.extend(["--wait".into(), "--timeout".into(), "60s".into()]);
        let refs: Vec<&str> = create_args.iter().map(String::as_str).collect();
        let made = env.ok_json(&refs);
        let mut packed: Vec<(String, i64)> = made["status"]["allocations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["serverClass"].as_str().unwrap().to_string(),
                    a["desiredNodes"].as_i64().unwrap(),
                )
            })
            .collect();
        predicted.sort();
        packed.sort();
        assert!(!packed.is_empty(), "{spec:?}: {made}");
        assert_eq!(predicted, packed, "{spec:?}: preview {preview} vs {made}");
        let name = made["metadata"]["name"].as_str().unwrap().to_string();
        env.ok(&["--yes", "np", "autopilot", "delete", &name]);
    }
}

/// Waiting ends when the vCPUs are won, under every name the service might give its phases.
#[tokio::test(flavor = "multi_thread")]
async fn waiting_completes_under_every_phase_name() {
    use rsspot::emulator::{AutopilotPhases, EmulatorOptions, Lifecycle, Variants};
    for phases in AutopilotPhases::ALL {
        let env = common::Env::start_with(EmulatorOptions {
            lifecycle: Lifecycle::instant(),
            variants: Variants {
                autopilot_phases: *phases,
                ..Variants::default()
            },
            ..Default::default()
        })
        .await;
        ready_cloudspace(&env, "ap");
        let made = env.ok_json(&[
            "-o",
            "json",
            "np",
            "autopilot",
            "create",
            "--cloudspace",
            "ap",
            "--vcpu",
            "4",
            "--budget-per-hour",
            "1",
            "--wait",
            "--timeout",
            "30s",
        ]);
        assert_eq!(made["status"]["managedVCPUs"], 4, "{phases}: {made}");
        // The allocations are read from the official fields, on a terminal too.
        let name = made["metadata"]["name"].as_str().unwrap();
        let (table, _) = env.ok(&["-o", "table", "np", "autopilot", "get", name]);
        let class = made["status"]["allocations"][0]["serverClass"]
            .as_str()
            .unwrap();
        assert!(
            table.contains("Allocations:") && table.contains(class),
            "{table}"
        );
        let (wide, _) = env.ok(&["-o", "wide", "np", "autopilot", "list"]);
        assert!(wide.contains(&format!("×{class}")), "{wide}");
    }
}

/// Teardown of a cloudspace with spot, on-demand and autopilot pools under the default
/// `cascade-delete=no`: the autopilot pool goes first (it would make pools again), then the
/// others, then the cloudspace; each is reported and nothing is left.
#[tokio::test(flavor = "multi_thread")]
async fn teardown_reports_every_pool_kind_and_leaves_none() {
    let env = common::Env::instant().await;
    ready_cloudspace(&env, "td");
    let pool = |args: &[&str]| {
        let mut all = vec!["-o", "json"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--cloudspace", "td"]);
        env.ok_json(&all)["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let spot = pool(&[
        "np",
        "spot",
        "create",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--desired",
        "1",
        "--bid-price",
        "0.02",
    ]);
    let ondemand = pool(&[
        "np",
        "ondemand",
        "create",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--desired",
        "1",
    ]);
    let autopilot = pool(&[
        "np",
        "autopilot",
        "create",
        "--vcpu",
        "4",
        "--budget-per-hour",
        "1",
        "--wait",
    ]);
    let (out, err) = env.ok(&["-o", "json", "--yes", "cloudspaces", "delete", "td"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        report["autopilot_pools"],
        serde_json::json!([autopilot]),
        "{report}"
    );
    assert!(
        report["spot_pools"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(spot)),
        "{report}"
    );
    assert_eq!(
        report["ondemand_pools"],
        serde_json::json!([ondemand]),
        "{report}"
    );
    assert!(
        err.contains("node pool(s)") && !err.contains("deleted 0 "),
        "{err}"
    );
    // One more request lets the emulator's controllers run after the deletes.
    for kind in ["spot", "ondemand", "autopilot"] {
        let left = env.ok_json(&["-o", "json", "np", kind, "list", "--cloudspace", "td"]);
        assert_eq!(left, serde_json::json!([]), "{kind} pools left: {left}");
    }
}
