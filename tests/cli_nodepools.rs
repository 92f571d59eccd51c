//! `nodepools spot|ondemand ...` through the real binary against the emulator.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[path = "cli_nodepools_parts/requests.rs"]
mod requests;

use std::time::{Duration, Instant};

const SPOT: &str = "/spotnodepools";

fn ok(env: &common::Env, args: &[&str]) -> (String, String) {
    let (o, e) = env.ok(args);
    common::assert_no_secret(&o);
    common::assert_no_secret(&e);
    (o, e)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn is_lowercase_uuid(s: &str) -> bool {
    s.len() == 36
        && uuid::Uuid::parse_str(s).is_ok()
        && s.chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
}

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        // A table shows a UUID as its shortest unique prefix (8 characters here).
        (r"(?m)^[0-9a-f]{8}(\s)", "[ID]    $1"),
        (
            r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)",
            "[TIME]",
        ),
        (
            r#""resourceVersion": "\d+""#,
            r#""resourceVersion": "[RV]""#,
        ),
        (r"(?m)(\s)\d{1,3}s(\s|$)", "$1[AGE]$2"),
    ]
}

/// A Ready cloudspace `demo-dfw` in us-central-dfw-1.
fn cloudspace(env: &common::Env) {
    ok(
        env,
        &[
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
    );
}

const POOL_A: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";

#[tokio::test(flavor = "multi_thread")]
async fn spot_create_list_get_with_snapshots() {
    let env = common::Env::instant().await;
    cloudspace(&env);
    // Generated name, waited for.
    let (out, err) = ok(
        &env,
        &[
            "nodepools",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "2",
            "--bid-price",
            "0.06",
            "--yes",
            "--label",
            "team=data",
            "--taint",
            "dedicated=batch:NoSchedule",
            "--wait",
            "-o",
            "json",
        ],
    );
    let pool = json(&out);
    let generated = pool["metadata"]["name"].as_str().unwrap().to_string();
    assert!(is_lowercase_uuid(&generated), "{generated}");
    assert_eq!(pool["status"]["bidStatus"], "Fulfilled");
    assert_eq!(pool["status"]["wonCount"], 2);
    assert!(err.contains("is Fulfilled"), "{err}");
    // Named, with the spotctl-style flags scripts use.
    let (out, _) = ok(
        &env,
        &[
            "np",
            "spot",
            "create",
            "--name",
            POOL_A,
            "--cloudspace",
            "demo-dfw",
            "--serverclass",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bidprice",
            "0.08",
            "--yes",
            "--autoscaling-min",
            "1",
            "--autoscaling-max",
            "3",
            "-o",
            "name",
        ],
    );
    assert_eq!(out.trim(), POOL_A);

    let (table, _) = ok(&env, &["nodepools", "spot", "list", "-o", "table"]);
    assert!(table.contains("0.06 / 0.001"), "{table}");
    // Sorted view for a stable snapshot: the generated UUID orders arbitrarily.
    let mut lines: Vec<&str> = table.lines().collect();
    lines[1..].sort_by_key(|l| l.contains(&POOL_A[..8]));
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("spot_list_table", lines.join("\n"));
    });
    let (wide, _) = ok(&env, &["nodepools", "spot", "get", POOL_A, "-o", "wide"]);
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("spot_get_wide", wide);
    });
    let (out, _) = ok(
        &env,
        &["nodepools", "spot", "get", &generated, "-o", "json"],
    );
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("spot_get_json", out);
    });
    // Piped: one tab-separated row per pool, UUIDs whole; --cloudspace filters.
    let (out, _) = ok(
        &env,
        &["nodepools", "spot", "list", "--cloudspace", "demo-dfw"],
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with(&format!("{generated}\t"))),
        "{out}"
    );
    let (out, _) = ok(
        &env,
        &[
            "nodepools",
            "spot",
            "list",
            "--cloudspace",
            "demo-dfw",
            "-o",
            "json",
        ],
    );
    assert_eq!(json(&out).as_array().unwrap().len(), 2);
    let (out, _) = ok(
        &env,
        &[
            "nodepools",
            "spot",
            "list",
            "--cloudspace",
            "other",
            "-o",
            "json",
        ],
    );
    assert_eq!(json(&out), serde_json::json!([]));
    let (out, _) = ok(&env, &["nodepools", "spot", "list", "-o", "name"]);
    let mut names: Vec<&str> = out.lines().collect();
    names.sort();
    let mut want = vec![generated.as_str(), POOL_A];
    want.sort();
    assert_eq!(names, want);
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_timeout_and_delete_confirmation() {
    // Manual clock that never moves: the cloudspace is never Ready, the pool stays Pending.
    let env = common::Env::start().await;
    ok(
        &env,
        &["cs", "create", "demo-dfw", "--region", "us-central-dfw-1"],
    );
    ok(
        &env,
        &[
            "np",
            "spot",
            "create",
            POOL_A,
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "2",
            "--bid-price",
            "0.06",
            "--yes",
        ],
    );
    let started = Instant::now();
    let out = env.run(&["np", "spot", "wait", POOL_A, "--timeout", "1s"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(5), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("phase: "), "{err}");
    assert!(err.contains("0/2 nodes"), "{err}");
    assert!(
        err.lines()
            .last()
            .unwrap_or_default()
            .starts_with("error: timed out"),
        "{err}"
    );

    let out = env.run(&["np", "spot", "delete", POOL_A]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr_of(&out).contains("--yes"));
    assert_eq!(env.api_requests("DELETE", SPOT), 0);
    ok(&env, &["np", "spot", "delete", POOL_A, "--yes"]);
    assert_eq!(env.api_requests("DELETE", SPOT), 1);
    let out = env.run(&["np", "spot", "get", POOL_A]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(common::stderr_of(&out).lines().count(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn ondemand_lifecycle() {
    let env = common::Env::instant().await;
    cloudspace(&env);
    let (out, err) = ok(
        &env,
        &[
            "nodepools",
            "ondemand",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--serverclass",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--wait",
            "-o",
            "json",
        ],
    );
    let p = json(&out);
    let name = p["metadata"]["name"].as_str().unwrap().to_string();
    assert!(is_lowercase_uuid(&name));
    assert_eq!(p["status"]["reservedStatus"], "Fulfilled");
    assert!(err.contains("is Fulfilled"), "{err}");
    // No bid for on-demand pools.
    let out = env.run(&[
        "np",
        "od",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--desired",
        "1",
        "--bid-price",
        "0.06",
    ]);
    assert_eq!(out.status.code(), Some(2));

    let (table, _) = ok(&env, &["np", "ondemand", "list", "-o", "table"]);
    insta::with_settings!({filters => filters()}, {
        insta::assert_snapshot!("ondemand_list_table", table);
    });
    let (out, _) = ok(
        &env,
        &[
            "np",
            "ondemand",
            "update",
            &name,
            "--desired",
            "2",
            "--dry-run",
        ],
    );
    assert_eq!(json(&out), serde_json::json!({"spec": {"desired": 2}}));
    assert_eq!(env.api_requests("PATCH", "nodepools"), 0);
    let (out, _) = ok(
        &env,
        &[
            "np",
            "ondemand",
            "update",
            &name,
            "--desired",
            "2",
            "--label",
            "x=y",
            "--wait",
            "-o",
            "json",
        ],
    );
    let p = json(&out);
    assert_eq!(p["spec"]["desired"], 2);
    assert_eq!(p["spec"]["customLabels"]["x"], "y");
    assert_eq!(p["status"]["reservedCount"], 2);
    let (out, _) = ok(&env, &["np", "ondemand", "wait", &name, "-o", "name"]);
    assert_eq!(out.trim(), name);
    let (out, _) = ok(
        &env,
        &["np", "ondemand", "get", "--name", &name, "-o", "yaml"],
    );
    assert!(out.contains("reservedStatus: Fulfilled"), "{out}");
    let out = env.run(&["np", "ondemand", "delete", &name]);
    assert_eq!(out.status.code(), Some(2));
    ok(&env, &["np", "ondemand", "delete", &name, "-y"]);
    let (out, _) = ok(&env, &["np", "ondemand", "list", "-o", "json"]);
    assert_eq!(json(&out), serde_json::json!([]));
    let out = env.run(&["np", "ondemand", "get", &name]);
    assert_eq!(out.status.code(), Some(3));
}
