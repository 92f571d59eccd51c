//! `pricing build`: plans that keep each scenario in one region and list the exact commands,
//! budgets that change the plan, and `--apply`, which creates the planned pools through the SDK.

use std::collections::BTreeSet;

use rsspot::services::CloudSpaceCreate;
use rust_decimal::Decimal;
use serde_json::Value;

use super::{client_for, common, dec, json};

/// Every scenario's pools are in the scenario's region, and each pool's command is exact.
fn assert_single_region_with_commands(plan: &Value, cloudspace: &str) {
    let scenarios = plan["scenarios"].as_array().unwrap();
    assert!(!scenarios.is_empty(), "{plan}");
    for s in scenarios {
        let region = s["region"].as_str().unwrap();
        for p in s["pools"].as_array().unwrap() {
            assert_eq!(p["region"], region, "{s}");
            let expected = format!(
                "rsspot nodepools spot create --cloudspace {cloudspace} --server-class {} --desired {} --bid-price {}",
                p["server_class_name"].as_str().unwrap(),
                p["nodes"],
                p["suggested_bid_per_node"].as_str().unwrap()
            );
            assert_eq!(p["command"], expected.as_str());
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn build_plans_are_single_region_and_list_commands() {
    let env = common::Env::start().await;
    // Low risk + --balanced aims for three pools; every plan stays inside one region anyway.
    let plan = json(
        &env,
        &[
            "pricing",
            "build",
            "--nodes",
            "5",
            "--risk",
            "low",
            "--balanced",
        ],
    );
    assert_eq!(plan["requested"]["nodes"], 5);
    assert_eq!(plan["requested"]["balanced"], true);
    let strategies: Vec<&str> = plan["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["strategy"].as_str().unwrap())
        .collect();
    assert_eq!(strategies, ["max_performance", "max_value", "balanced"]);
    assert_single_region_with_commands(&plan, "<CLOUDSPACE>");
    for s in plan["scenarios"].as_array().unwrap() {
        let nodes: u64 = s["pools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["nodes"].as_u64().unwrap())
            .sum();
        assert_eq!(nodes, 5, "{s}");
    }

    // Inside a region with enough candidates, --balanced spreads over several pools.
    let plan = json(
        &env,
        &[
            "pricing",
            "build",
            "--nodes",
            "5",
            "--risk",
            "low",
            "--balanced",
            "--regions",
            "us-central-dfw-1",
        ],
    );
    let balanced = &plan["scenarios"][2];
    assert_eq!(balanced["strategy"], "balanced");
    assert!(
        balanced["pools"].as_array().unwrap().len() > 1,
        "{balanced}"
    );

    // A named cloudspace goes into the commands.
    let plan = json(
        &env,
        &[
            "pricing",
            "build",
            "--nodes",
            "2",
            "--regions",
            "us-central-dfw-1",
            "--cloudspace",
            "prod",
        ],
    );
    assert_single_region_with_commands(&plan, "prod");
    assert!(
        plan["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["region"] == "us-central-dfw-1")
    );

    // The table lists the same commands.
    let out = env
        .cmd()
        .args(["pricing", "build", "--nodes", "2", "-o", "table"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let text = common::stdout_of(&out);
    assert!(text.starts_with("STRATEGY"), "{text}");
    assert_eq!(
        text.lines()
            .filter(|l| l.trim_start().starts_with("rsspot nodepools spot create"))
            .count(),
        3,
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn budgets_change_the_plan() {
    let env = common::Env::start().await;
    let free = json(&env, &["pricing", "build", "--nodes", "5"]);
    let perf = &free["scenarios"][0];
    assert_eq!(perf["strategy"], "max_performance");
    let free_hourly = dec(&perf["total_hourly"]);

    // A cap below the unconstrained plan: the search finds another configuration under it
    // instead of dropping the scenario.
    let cap = free_hourly / Decimal::TWO;
    let capped = json(
        &env,
        &[
            "pricing",
            "build",
            "--nodes",
            "5",
            "--max-hour",
            &cap.to_string(),
        ],
    );
    let perf_capped = &capped["scenarios"][0];
    assert_eq!(perf_capped["strategy"], "max_performance", "{capped}");
    assert!(dec(&perf_capped["total_hourly"]) <= cap, "{perf_capped}");
    assert_ne!(
        perf_capped["pools"][0]["server_class_name"], perf["pools"][0]["server_class_name"],
        "{capped}"
    );
    assert!(perf_capped["score"].as_f64().unwrap() < perf["score"].as_f64().unwrap());

    // A monthly budget steers the same way (730 h per month).
    let month_cap = cap * Decimal::from(730);
    let monthly = json(
        &env,
        &[
            "pricing",
            "build",
            "--nodes",
            "5",
            "--max-month",
            &month_cap.to_string(),
        ],
    );
    assert_eq!(
        monthly["scenarios"][0]["pools"],
        capped["scenarios"][0]["pools"]
    );

    // Nothing fits: no scenarios and the warning.
    let none = json(
        &env,
        &["pricing", "build", "--nodes", "5", "--max-hour", "0.0001"],
    );
    assert!(none["scenarios"].as_array().unwrap().is_empty());
    assert_eq!(
        none["warning"],
        "No scenarios matched the provided hourly/monthly budget constraints."
    );

    let out = env
        .cmd()
        .args([
            "pricing",
            "build",
            "--nodes",
            "5",
            "--min-hour",
            "2",
            "--max-hour",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr_of(&out).contains("--min-hour cannot be greater than --max-hour"));
}

#[tokio::test(flavor = "multi_thread")]
async fn build_apply_creates_the_pools_through_the_sdk() {
    let env = common::Env::start().await;
    let client = client_for(&env).await;
    for (name, region) in [
        ("plan-iad", "us-east-iad-1"),
        ("plan-dfw", "us-central-dfw-1"),
    ] {
        client
            .cloudspaces()
            .create(&CloudSpaceCreate::new(name).region(region))
            .await
            .unwrap();
    }
    let apply = [
        "pricing",
        "build",
        "--nodes",
        "3",
        "--regions",
        "us-east-iad-1",
        "--apply",
        "--cloudspace",
    ];

    // Without a TTY, --yes is required; nothing is created.
    let out = env.cmd().args(apply).arg("plan-iad").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("--yes"));
    assert!(
        client
            .spot_pools()
            .within(Some("plan-iad"))
            .list()
            .await
            .unwrap()
            .is_empty()
    );

    // The question names what may cost more than meant (here: the monthly limit).
    let out = env
        .cmd()
        .env("RSSPOT_MAX_MONTHLY_USD", "0.01")
        .args(apply)
        .arg("plan-iad")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("above max_monthly_usd $0.01"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    // A cloudspace in another region than the plan: refused before anything is created.
    let out = env
        .cmd()
        .args(apply)
        .args(["plan-dfw", "--yes"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("--region us-central-dfw-1"), "{err}");
    assert!(
        client
            .spot_pools()
            .within(Some("plan-dfw"))
            .list()
            .await
            .unwrap()
            .is_empty()
    );

    // Confirmed: the balanced scenario's pools exist with the planned classes, sizes and bids.
    let v = json(
        &env,
        &[&apply[..], &["plan-iad", "--yes", "--balanced"]].concat(),
    );
    assert_eq!(v["cloudspace"], "plan-iad");
    assert_eq!(v["strategy"], "balanced");
    let planned: BTreeSet<(String, u64, String)> = v["recommendation"]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["strategy"] == "balanced")
        .unwrap()["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["server_class_name"].as_str().unwrap().to_string(),
                p["nodes"].as_u64().unwrap(),
                p["suggested_bid_per_node"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(v["created"].as_array().unwrap().len(), planned.len());
    // A fresh view: the client's HTTP cache still holds the empty list from above.
    let pools = client
        .without_cache()
        .spot_pools()
        .within(Some("plan-iad"))
        .list()
        .await
        .unwrap();
    let created: BTreeSet<(String, u64, String)> = pools
        .iter()
        .map(|p| {
            let spec = &p.spec;
            (
                spec.server_class.clone(),
                u64::from(spec.desired.unwrap()),
                spec.bid_price.unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(created, planned);
}
