//! `pricing` and `inventory` through the real binary against the emulator.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[path = "cli_pricing_parts/build.rs"]
mod build;

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rsspot::SpotClient;
use rsspot::services::{CloudSpaceCreate, SpotPoolCreate};
use rust_decimal::Decimal;
use serde_json::Value;

/// Runs `rsspot ARGS`, asserts success, parses stdout as JSON.
fn json(env: &common::Env, args: &[&str]) -> Value {
    let out = env.cmd().args(common::with_json(args)).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        common::stderr_of(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", common::stdout_of(&out)))
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(
        v.as_str()
            .unwrap_or_else(|| panic!("not a decimal string: {v}")),
    )
    .unwrap()
}

async fn client_for(env: &common::Env) -> SpotClient {
    SpotClient::builder()
        .all_urls(env.emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .build()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn list_filters_sort_and_json_shape() {
    let env = common::Env::start().await;
    // Piped without -o: JSON with the node count and the rows.
    let all = json(&env, &["pricing", "list", "--nodes", "3"]);
    assert_eq!(all["nodes"], 3);
    let items = all["items"].as_array().unwrap();
    assert!(items.len() >= 10, "{all}");
    for it in items {
        for key in [
            "name",
            "region",
            "family",
            "generation",
            "vcpu",
            "memory_gb",
            "market",
            "min_bid",
            "p50",
            "p80",
            "on_demand",
            "saving_vs_on_demand_pct",
            "saving_vs_hyperscaler_pct",
            "monthly_total",
        ] {
            assert!(it.get(key).is_some(), "{key} missing in {it}");
        }
        // Monthly cost of 3 nodes at 730 h.
        if !it["market"].is_null() {
            assert_eq!(
                dec(&it["monthly_total"]),
                dec(&it["market"]) * Decimal::from(3 * 730),
                "{it}"
            );
        }
    }
    // Default order: market price ascending.
    let markets: Vec<Decimal> = items.iter().map(|i| dec(&i["market"])).collect();
    assert!(markets.windows(2).all(|w| w[0] <= w[1]), "{markets:?}");

    // Category (with its old --family spelling, CSV and repeats), generation, cpu and memory
    // bounds, sort.
    let v = json(
        &env,
        &[
            "pricing",
            "list",
            "--family",
            "gp",
            "--category",
            "ch,GP",
            "--gen",
            "1",
            "--min-cpu",
            "4",
            "--max-memory",
            "30",
            "--sort",
            "cpu",
            "--desc",
        ],
    );
    let items = v["items"].as_array().unwrap();
    assert!(items.len() >= 3, "{v}");
    for it in items {
        let family = it["family"].as_str().unwrap();
        assert!(family == "gp" || family == "ch", "{it}");
        assert_eq!(it["generation"], 1, "{it}");
        assert!(it["vcpu"].as_f64().unwrap() >= 4.0, "{it}");
        assert!(it["memory_gb"].as_f64().unwrap() <= 30.0, "{it}");
    }
    let cpus: Vec<f64> = items.iter().map(|i| i["vcpu"].as_f64().unwrap()).collect();
    assert!(cpus.windows(2).all(|w| w[0] >= w[1]), "{cpus:?}");

    // --gen keeps bare metal (as the Python tool did) and drops the other generation.
    let v = json(&env, &["pricing", "list", "--family", "gp", "--gen", "2"]);
    let names: BTreeSet<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(names.contains("gp.vs2.medium-sjc"), "{names:?}");
    assert!(names.contains("gp.bm2.medium-dfw"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains(".vs1.")), "{names:?}");

    // Regions: the global --region and the repeatable --regions.
    let v = json(&env, &["pricing", "list", "--region", "uk-lon-1"]);
    let regions: BTreeSet<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, BTreeSet::from(["uk-lon-1"]));
    let v = json(
        &env,
        &[
            "pricing",
            "list",
            "--regions",
            "uk-lon-1,us-west-sjc-1",
            "--available",
        ],
    );
    let items = v["items"].as_array().unwrap();
    let regions: BTreeSet<&str> = items
        .iter()
        .map(|i| i["region"].as_str().unwrap())
        .collect();
    assert_eq!(regions, BTreeSet::from(["uk-lon-1", "us-west-sjc-1"]));
    assert!(
        items
            .iter()
            .all(|i| i["available"].as_i64().is_none_or(|n| n > 0))
    );

    // -o name: one class per line.
    let out = env
        .cmd()
        .args(["pricing", "list", "--region", "uk-lon-1", "-o", "name"])
        .output()
        .unwrap();
    let text = common::stdout_of(&out);
    assert!(text.lines().all(|l| l.ends_with("-lon")), "{text}");

    // Usage errors exit 2 with one line.
    for args in [
        &["pricing", "list", "--min-cpu", "8", "--max-cpu", "2"][..],
        &["pricing", "list", "--sort", "bogus"],
        &["pricing", "list", "--gen", "3"],
        &["pricing", "list", "--nodes", "0"],
    ] {
        let out = env.cmd().args(args).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr_of(&out)
        );
    }
    let out = env
        .cmd()
        .args(["pricing", "list", "--min-cpu", "8", "--max-cpu", "2"])
        .output()
        .unwrap();
    assert!(
        common::stderr_of(&out).contains("--min-cpu cannot be greater than --max-cpu"),
        "{}",
        common::stderr_of(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn list_table_snapshot() {
    let env = common::Env::start().await;
    let out = env
        .cmd()
        .args([
            "pricing",
            "list",
            "--region",
            "us-central-dfw-1",
            "--nodes",
            "2",
            "-o",
            "table",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    insta::assert_snapshot!("pricing_list_dfw_table", common::stdout_of(&out));
    let out = env
        .cmd()
        .args([
            "pricing",
            "list",
            "--region",
            "us-central-dfw-1",
            "-o",
            "wide",
        ])
        .output()
        .unwrap();
    let text = common::stdout_of(&out);
    let header = text.lines().next().unwrap();
    for col in ["P20", "FLOOR", "HYPERSCALER $/H", "AVAILABLE", "CATEGORY"] {
        assert!(header.contains(col), "{header}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn get_with_history_table_and_series() {
    let env = common::Env::start().await;
    let out = env
        .cmd()
        .args([
            "pricing",
            "get",
            "gp.vs1.medium-dfw",
            "--history",
            "-o",
            "table",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let text = common::stdout_of(&out);
    assert!(text.contains("MIN BID $/H"), "{text}");
    assert!(text.contains("PERCENTILES"), "{text}");
    assert!(text.contains("P50 "), "{text}");
    // The history is a chart (plain ASCII here: NO_COLOR) with its summary underneath.
    let caption = text
        .lines()
        .find(|l| l.starts_with("hammer $/h"))
        .unwrap_or_else(|| panic!("{text}"));
    for part in [", every 1h", "min ", "max ", "last "] {
        assert!(caption.contains(part), "{caption}");
    }
    assert!(text.contains('*'), "{text}");

    // JSON: the price row, the stats and the series in time order.
    let v = json(
        &env,
        &[
            "pricing",
            "get",
            "gp.vs1.medium-dfw",
            "--history",
            "-o",
            "json",
        ],
    );
    assert_eq!(v["price"]["name"], "gp.vs1.medium-dfw");
    let series = v["series"].as_array().unwrap();
    assert_eq!(series.len() as u64, v["stats"]["points"].as_u64().unwrap());
    assert!(series.len() >= 24, "{v}");
    let times: Vec<i64> = series
        .iter()
        .map(|p| p["run_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] < w[1]));
    let prices: Vec<Decimal> = series.iter().map(|p| dec(&p["hammer_price"])).collect();
    assert_eq!(dec(&v["stats"]["min"]), *prices.iter().min().unwrap());
    assert_eq!(dec(&v["stats"]["max"]), *prices.iter().max().unwrap());
    assert_eq!(dec(&v["stats"]["last"]), *prices.last().unwrap());

    // Without --history: the row itself.
    let row = json(&env, &["pricing", "get", "--name", "gp.vs1.medium-dfw"]);
    assert_eq!(row["name"], "gp.vs1.medium-dfw");
    assert_eq!(dec(&row["min_bid"]), Decimal::new(1, 2));

    let out = env
        .cmd()
        .args(["pricing", "get", "xx.vs9.nothing-dfw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn advised_bids_are_accepted_by_the_emulator() {
    let env = common::Env::start().await;
    let client = client_for(&env).await;
    let rows = json(&env, &["pricing", "list", "--available"]);
    let mut cloudspaces: BTreeMap<String, String> = BTreeMap::new();
    let mut checked = 0;
    for row in rows["items"].as_array().unwrap() {
        let class = row["name"].as_str().unwrap();
        let region = row["region"].as_str().unwrap().to_string();
        if !cloudspaces.contains_key(&region) {
            let name = format!("bids-{}", cloudspaces.len());
            client
                .cloudspaces()
                .create(
                    &CloudSpaceCreate::new(&name)
                        .region(&region)
                        .gpu_enabled(true),
                )
                .await
                .unwrap();
            cloudspaces.insert(region.clone(), name);
        }
        for risk in ["low", "med", "high"] {
            let advice = json(&env, &["pricing", "bid", class, "--risk", risk]);
            let bid = advice["bid"]
                .as_str()
                .unwrap_or_else(|| panic!("bid is not a string: {advice}"));
            assert!(!bid.contains('$') && !bid.contains('e'), "{bid}");
            assert!(
                dec(&advice["bid"]) >= dec(&advice["floor"]),
                "{class} {risk}: {advice}"
            );
            assert_eq!(advice["risk"], risk);
            assert!(!advice["reasoning"].as_array().unwrap().is_empty());
            // The server takes the advised bid for a real pool.
            let pool = client
                .spot_pools()
                .create(&SpotPoolCreate::new(
                    &cloudspaces[&region],
                    class,
                    1,
                    bid.parse::<rsspot::pricing::Bid>().unwrap(),
                ))
                .await
                .unwrap_or_else(|e| panic!("{class} {risk} bid {bid} refused: {e}"));
            assert_eq!(
                pool.spec.bid_price.map(|b| b.to_string()).as_deref(),
                Some(bid)
            );
            checked += 1;
        }
    }
    assert!(checked >= 24, "{checked}");

    // Lower risk never bids less.
    let low = json(
        &env,
        &["pricing", "bid", "mh.vs1.2xlarge-dfw", "--risk", "low"],
    );
    let high = json(
        &env,
        &["pricing", "bid", "mh.vs1.2xlarge-dfw", "--risk", "high"],
    );
    assert!(dec(&low["bid"]) >= dec(&high["bid"]));
    assert_eq!(low["basis"], "P80");

    let out = env
        .cmd()
        .args(["pricing", "bid", "gp.vs1.medium-dfw", "--risk", "extreme"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_commands() {
    let env = common::Env::start().await;
    let spaces = json(&env, &["inventory", "vmcloudspaces"]);
    let names: BTreeSet<&str> = spaces
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["vm-build-iad", "vm-lab-dfw"]));

    let out = env
        .cmd()
        .args(["inventory", "vmcloudspaces", "-o", "table"])
        .output()
        .unwrap();
    let text = common::stdout_of(&out);
    let lab = text
        .lines()
        .find(|l| l.starts_with("vm-lab-dfw"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        lab.contains("Ready") && lab.contains("us-central-dfw-1"),
        "{lab}"
    );

    let pools = json(
        &env,
        &["inventory", "vmpools", "--vmcloudspace", "vm-lab-dfw"],
    );
    let pools = pools.as_array().unwrap();
    assert_eq!(pools.len(), 2);
    assert!(
        pools
            .iter()
            .all(|p| p["spec"]["vmCloudSpace"] == "vm-lab-dfw")
    );
    let out = env
        .cmd()
        .args(["inventory", "vmpools", "vm-lab-dfw", "-o", "table"])
        .output()
        .unwrap();
    let text = common::stdout_of(&out);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(
        text.contains("gp.vs1.medium-dfw") && text.contains("Fulfilled"),
        "{text}"
    );

    let events = json(&env, &["inventory", "events", "--limit", "10"]);
    let rows = events["events"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r[1].as_str().unwrap().contains("vm-lab-dfw is Ready")),
        "{events}"
    );
    let out = env
        .cmd()
        .args(["inventory", "events", "-o", "table"])
        .output()
        .unwrap();
    assert!(common::stdout_of(&out).starts_with("TIME"));

    let out = env.cmd().args(["inventory", "vmpools"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
