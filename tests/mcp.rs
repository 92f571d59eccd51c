//! `rsspot mcp` driven by an MCP client nobody here wrote: the Python `mcp` package's stdio
//! client (tests/mcp/client.py) against the binary on the emulator. `.ci/mcp.sh` installs it
//! into a virtual environment and exports its python as `RSSPOT_TEST_MCP_PYTHON`; without it
//! this test fails (it never skips).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use serde_json::{Value, json};

// gp.vs1.medium-dfw in the seed: floor 0.01, on-demand $0.02/h, 37 available.
const CLASS: &str = "gp.vs1.medium-dfw";
const REGION: &str = "us-central-dfw-1";
const CLOUDSPACE: &str = "demo-dfw";
// The pool tests/mcp/client.py creates (pool names are lowercase UUIDs).
const POOL: &str = "0e8f9c3a-1b2c-4d5e-8f90-123456789abc";

const WRITE_TOOLS: &[&str] = &[
    "create_pool",
    "scale_pool",
    "delete_pool",
    "create_cloudspace",
    "delete_cloudspace",
    "apply_fleet",
];

fn python() -> String {
    match std::env::var("RSSPOT_TEST_MCP_PYTHON") {
        Ok(p) if !p.is_empty() => p,
        _ => panic!(
            "RSSPOT_TEST_MCP_PYTHON is not set: run `source .ci/mcp.sh` first (it installs the \
             Python `mcp` client into a virtual environment and exports its python)"
        ),
    }
}

/// Runs the Python client against `rsspot mcp` on `env` (`extra` added to its setup); its
/// report.
fn run_client(env: &common::Env, extra: Value) -> Value {
    let python = python();
    let home = env.home();
    let setup: Value = json!({
        "binary": env!("CARGO_BIN_EXE_rsspot"),
        "class": CLASS,
        "region": REGION,
        "cloudspace": CLOUDSPACE,
        "env": {
            "HOME": home,
            "XDG_CONFIG_HOME": home.join(".config"),
            "XDG_STATE_HOME": home.join(".local/state"),
            "NO_COLOR": "1",
            "RSSPOT_BASE_URL": env.emu.base_url(),
            "RSSPOT_OAUTH_URL": env.emu.base_url(),
            "RSSPOT_PUBLIC_DATA_URL": env.emu.base_url(),
            "RSSPOT_REFRESH_TOKEN": "demo-token",
        },
    });
    let mut setup = setup;
    if let (Some(setup), Value::Object(extra)) = (setup.as_object_mut(), extra) {
        setup.extend(extra);
    }
    let setup_path = home.join("mcp-setup.json");
    std::fs::write(&setup_path, setup.to_string()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py");
    let out = std::process::Command::new(&python)
        .arg(script)
        .arg(&setup_path)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (from RSSPOT_TEST_MCP_PYTHON): {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the MCP client failed ({:?}):\n{stderr}\n{stdout}",
        out.status.code()
    );
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("report is not JSON ({e}): {stdout}"))
}

fn call<'a>(session: &'a Value, label: &str) -> &'a Value {
    session["calls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == label)
        .unwrap_or_else(|| panic!("no call {label}"))
}

fn ok<'a>(session: &'a Value, label: &str) -> &'a Value {
    let c = call(session, label);
    assert_eq!(c["is_error"], false, "{label}: {c}");
    assert!(
        c["structured"].is_object(),
        "{label}: no structured content: {c}"
    );
    assert!(!c["text"].as_str().unwrap().is_empty(), "{label}: no text");
    c
}

fn refused<'a>(session: &'a Value, label: &str, says: &str) -> &'a Value {
    let c = call(session, label);
    assert_eq!(c["is_error"], true, "{label}: {c}");
    let text = c["text"].as_str().unwrap();
    assert!(
        text.contains(says),
        "{label}: {text:?} does not say {says:?}"
    );
    c
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_mcp_client_drives_rsspot_mcp() {
    let env = common::Env::instant().await;
    env.ok(&["cs", "create", CLOUDSPACE, "--region", REGION, "--wait"]);
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    max_monthly_usd: 100\n",
    )
    .unwrap();
    let report = run_client(&env, json!({}));

    // No secret in anything the client received, errors included.
    let all = report.to_string();
    common::assert_no_secret(&all);

    // Read-only: every read, no write tool.
    let ro = &report["read_only"];
    assert_eq!(ro["server_name"], "rsspot");
    let tools: Vec<&str> = ro["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    for read in [
        "organizations",
        "regions",
        "server_classes",
        "prices",
        "price_history",
        "bid_advice",
        "autopilot_preview",
        "list",
        "get",
        "fleet_diff",
    ] {
        assert!(tools.contains(&read), "{read} missing: {tools:?}");
    }
    for write in WRITE_TOOLS {
        assert!(
            !tools.contains(write),
            "{write} offered read-only: {tools:?}"
        );
    }
    // Typed input schemas: the kind is an enum of every kind.
    let kinds = &ro["schemas"]["list"];
    let kinds = kinds.to_string();
    for kind in [
        "cloudspace",
        "spot_pool",
        "ondemand_pool",
        "autopilot_pool",
        "vm_ssh_key",
        "vm_cloudspace",
        "vm_pool",
    ] {
        assert!(
            kinds.contains(kind),
            "{kind} not in the list schema: {kinds}"
        );
    }
    let orgs = ok(ro, "organizations");
    assert!(orgs["text"].as_str().unwrap().contains("organization"));
    assert!(ok(ro, "regions")["text"].as_str().unwrap().contains(REGION));
    ok(ro, "server_classes");
    ok(ro, "prices");
    ok(ro, "price_history");
    let advice = ok(ro, "bid_advice");
    assert!(advice["structured"]["bid"].is_string() || advice["structured"]["bid"].is_number());
    let cs = ok(ro, "list_cloudspaces");
    assert_eq!(cs["structured"]["count"], 1, "{cs}");
    assert_eq!(cs["structured"]["summary"][0]["name"], CLOUDSPACE);
    ok(ro, "list_spot_pools");
    ok(ro, "list_vm_pools");
    assert_eq!(
        ok(ro, "get_cloudspace")["structured"]["summary"]["name"],
        CLOUDSPACE
    );
    ok(ro, "autopilot_preview");
    // The plan of a fleet file: one cloudspace to create, nothing written.
    let diff = ok(ro, "fleet_diff");
    assert_eq!(
        diff["structured"]["creates"].as_array().map(Vec::len),
        Some(1),
        "{diff}"
    );
    // An error is a tool error in the CLI's words.
    let missing = refused(ro, "get_missing", "no-such-pool");
    let (_, cli) = env.fails(&["np", "spot", "get", "no-such-pool"]);
    let cli_line = cli
        .lines()
        .find(|l| l.starts_with("error"))
        .unwrap_or_default();
    let mcp_line = missing["text"].as_str().unwrap().lines().next().unwrap();
    assert!(
        cli_line.ends_with(mcp_line) || mcp_line.ends_with(cli_line.trim_start_matches("error: ")),
        "MCP error {mcp_line:?} is not the CLI's {cli_line:?}"
    );
    refused(ro, "write_refused", "--allow-writes");

    // With --allow-writes: the plan, then the act.
    let rw = &report["writes"];
    let tools = rw["tools"].to_string();
    for write in WRITE_TOOLS {
        assert!(tools.contains(write), "{write} missing: {tools}");
    }
    let plan = ok(rw, "create_plan");
    let token = plan["structured"]["confirm"].as_str().unwrap();
    assert!(token.starts_with("confirm-"), "{plan}");
    assert_eq!(
        plan["structured"]["plan"]["body"]["spec"]["bidPrice"], "0.02",
        "{plan}"
    );
    assert!(
        plan["structured"]["plan"]["cost"]["monthly_usd"].is_string()
            || plan["structured"]["plan"]["cost"]["monthly_usd"].is_number()
    );
    assert!(plan["text"].as_str().unwrap().contains("nothing sent"));
    refused(rw, "create_other_args", "different request");
    ok(rw, "create_plan_again");
    let created = ok(rw, "create_confirmed");
    assert_eq!(created["structured"]["created"], POOL, "{created}");
    refused(rw, "create_replayed", "already used");
    // Over max_monthly_usd: refused at the plan, no token to confirm it.
    let over = refused(rw, "scale_over_limit", "max_monthly_usd");
    assert!(over["structured"].is_null(), "{over}");
    ok(rw, "scale_plan");
    ok(rw, "scale_confirmed");
    assert_eq!(
        ok(rw, "get_pool")["structured"]["object"]["spec"]["desired"],
        2
    );
    ok(rw, "delete_plan");
    ok(rw, "delete_confirmed");
    refused(rw, "bogus_token", "unknown");
    // Exactly the confirmed writes reached the API.
    assert_eq!(env.api_requests("POST", "spotnodepools"), 1);
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 1);
    assert_eq!(env.api_requests("DELETE", "spotnodepools"), 1);
    assert_eq!(env.api_requests("DELETE", "cloudspaces"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn print_config_names_the_binary_and_the_profile() {
    let env = common::Env::start().await;
    // The snippet is JSON text whatever the output format (the command prints only text).
    let snippet =
        |args: &[&str]| -> serde_json::Value { serde_json::from_str(&env.ok(args).0).unwrap() };
    let out = snippet(&["mcp", "--print-config", "--profile", "work"]);
    let server = &out["mcpServers"]["rsspot"];
    assert!(
        server["command"].as_str().unwrap().ends_with("rsspot"),
        "{out}"
    );
    assert_eq!(server["args"], json!(["mcp", "--profile", "work"]));
    let out = snippet(&["mcp", "--print-config", "--allow-writes", "--org", "demo"]);
    let args = &out["mcpServers"]["rsspot"]["args"];
    assert_eq!(args[0], "mcp");
    assert_eq!(args[1], "--allow-writes");
    assert!(args.to_string().contains("\"--org\",\"demo\""), "{args}");
}

// The cloudspace and pool of tests/mcp/client.py's fleet document.
const FLEET_CLOUDSPACE: &str = "mcp-fleet";
const FLEET_POOL: &str = "5f0c1d2e-3a4b-4c5d-8e6f-0123456789ab";

/// `apply_fleet` through the real client: refused read-only; plan → token → apply (then the
/// emulator holds the objects); the same document again plans no change; over
/// `max_monthly_usd` (now or at the autoscaling maximum) refused with no token, a paid option
/// listed as a concern; a token reused, bound to another document, or used
/// after a concurrent change is refused (naming the object that changed) and sends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn a_real_mcp_client_applies_a_fleet_in_two_steps() {
    let env = common::Env::instant().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    max_monthly_usd: 100\n",
    )
    .unwrap();
    let report = run_client(
        &env,
        json!({
            "mode": "fleet",
            "fleet_cloudspace": FLEET_CLOUDSPACE,
            "fleet_pool": FLEET_POOL,
        }),
    );
    common::assert_no_secret(&report.to_string());

    let ro = &report["read_only"];
    assert!(
        !ro["tools"].to_string().contains("apply_fleet"),
        "{}",
        ro["tools"]
    );
    refused(ro, "apply_fleet_refused", "--allow-writes");

    let rw = &report["writes"];
    let schema = rw["schemas"]["apply_fleet"].to_string();
    for field in ["fleet", "prune", "confirm"] {
        assert!(schema.contains(field), "{field} not in {schema}");
    }
    // The plan: the cloudspace and its pool to create, the cost, a token; nothing sent.
    let plan = ok(rw, "fleet_plan");
    let s = &plan["structured"];
    assert_eq!(
        s["plan"]["creates"].as_array().map(Vec::len),
        Some(2),
        "{plan}"
    );
    assert!(s["cost"]["monthly_after"].is_string() || s["cost"]["monthly_after"].is_number());
    assert!(
        s["confirm"].as_str().unwrap().starts_with("confirm-"),
        "{plan}"
    );
    assert!(
        plan["text"].as_str().unwrap().contains("nothing sent"),
        "{plan}"
    );
    // The token applies that plan.
    let applied = ok(rw, "fleet_applied");
    assert!(
        applied["text"].as_str().unwrap().contains("2 created"),
        "{applied}"
    );
    refused(rw, "fleet_replayed", "already used");
    // Applied again: nothing to do, no token.
    let again = ok(rw, "fleet_again");
    assert_eq!(again["structured"]["in_sync"], true, "{again}");
    assert!(again["structured"]["confirm"].is_null(), "{again}");
    assert!(again["text"].as_str().unwrap().contains("nothing to do"));
    let diff = ok(rw, "fleet_diff_again");
    assert_eq!(
        diff["structured"]["creates"].as_array().map(Vec::len),
        Some(0)
    );
    // Over the limit: refused at the plan, no token to confirm it.
    let over = refused(rw, "fleet_over_limit", "max_monthly_usd");
    assert!(over["structured"].is_null(), "{over}");
    assert!(
        over["text"].as_str().unwrap().contains(FLEET_POOL),
        "{over}"
    );
    // So is one at the autoscaling maximum the pool may grow to.
    let over = refused(rw, "fleet_autoscaling_over_limit", "autoscaling maximum");
    assert!(
        over["text"].as_str().unwrap().contains("max_monthly_usd"),
        "{over}"
    );
    assert!(over["structured"].is_null(), "{over}");
    // A paid option under the limit: a concern shown with the plan, confirmed by the token.
    let ha = ok(rw, "fleet_ha_plan");
    assert!(
        ha["structured"]["concerns"]
            .to_string()
            .contains("HA control plane"),
        "{ha}"
    );
    assert!(
        ha["text"].as_str().unwrap().contains("Concerns to confirm"),
        "{ha}"
    );
    // A change between the plan and its token: refused, naming the pool.
    ok(rw, "fleet_plan_stale");
    ok(rw, "concurrent_scale");
    let stale = refused(rw, "fleet_stale", "changed since the plan");
    assert!(
        stale["text"].as_str().unwrap().contains(FLEET_POOL),
        "{stale}"
    );
    ok(rw, "fleet_plan_other");
    refused(rw, "fleet_other_doc", "different request");
    // The emulator holds what the fleet said, and the concurrent scale stands.
    let pool = ok(rw, "get_fleet_pool");
    assert_eq!(pool["structured"]["object"]["spec"]["desired"], 3, "{pool}");
    let cs = env.ok_json(&["cs", "get", FLEET_CLOUDSPACE]);
    assert_eq!(cs["metadata"]["name"], FLEET_CLOUDSPACE, "{cs}");
    // Exactly the confirmed writes reached the API: one cloudspace, one pool, one scale.
    assert_eq!(env.api_requests("POST", "cloudspaces"), 1);
    assert_eq!(env.api_requests("POST", "spotnodepools"), 1);
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 1);
    assert_eq!(env.api_requests("DELETE", "spotnodepools"), 0);
}
