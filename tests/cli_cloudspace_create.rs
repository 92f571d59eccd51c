//! `cloudspaces create` with inline pools (spotctl's `--spot-nodepool`, `--ondemand-nodepool`,
//! `--config FILE`), its rollback, `get-config`, and health/reason where a user looks (#24).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use rsspot::emulator::Fault;
use serde_json::Value;

const SPOT_JSON: &str = r#"{"desired":1,"serverclass":"gp.vs1.medium-dfw","bidprice":0.08}"#;
const SPOT_COMMA: &str = "desired=2,serverclass=gp.vs1.medium-dfw,bidprice=0.08";
const ONDEMAND: &str = "serverclass=gp.vs1.medium-dfw";

fn names(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|o| {
            o["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect()
}

/// (cloudspaces, spot pools, on-demand pools) the server holds.
fn held(env: &common::Env) -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        names(&env.ok_json(&["cs", "list", "-o", "json"])),
        names(&env.ok_json(&["np", "spot", "list", "-o", "json"])),
        names(&env.ok_json(&["np", "od", "list", "-o", "json"])),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn create_with_inline_pools_in_both_forms() {
    let env = common::Env::instant().await;
    let out = env.run(&[
        "cs",
        "create",
        "demo",
        "--region",
        "us-central-dfw-1",
        "--spot-nodepool",
        SPOT_JSON,
        "--spot-nodepool",
        SPOT_COMMA,
        "--ondemand-nodepool",
        ONDEMAND,
        "--yes",
        "--wait",
        "-o",
        "json",
    ]);
    let err = common::stderr_of(&out);
    assert!(out.status.success(), "{err}");
    common::assert_no_secret(&err);
    let made: Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
    assert_eq!(made["cloudspace"]["metadata"]["name"], "demo");
    assert_eq!(made["cloudspace"]["status"]["phase"], "Ready");
    let spot = made["spotnodepools"].as_array().unwrap();
    assert_eq!(spot.len(), 2);
    // Bids go out in the Bid type's API form (at most three decimals).
    assert_eq!(spot[0]["spec"]["bidPrice"], "0.08");
    assert_eq!(spot[0]["spec"]["desired"], 1);
    assert_eq!(spot[1]["spec"]["desired"], 2);
    assert_eq!(spot[0]["spec"]["cloudSpace"], "demo");
    assert_eq!(made["ondemandnodepools"].as_array().unwrap().len(), 1);
    assert!(err.contains("cloudspace demo created"), "{err}");
    assert!(err.contains("is Fulfilled"), "{err}");
    let (cs, spot, od) = held(&env);
    assert!(cs.contains(&"demo".to_string()), "{cs:?}");
    assert_eq!((spot.len(), od.len()), (2, 1));
    // The cloudspace went first, then each pool: one POST each.
    assert_eq!(env.api_requests("POST", "/cloudspaces"), 1);
    assert_eq!(env.api_requests("POST", "/spotnodepools"), 2);
    assert_eq!(env.api_requests("POST", "/ondemandnodepools"), 1);

    // A taken name is refused before anything is sent (so no rollback can ever delete it).
    env.emu.clear_journal();
    let (code, err) = env.fails(&[
        "cs",
        "create",
        "demo",
        "--region",
        "us-central-dfw-1",
        "--spot-nodepool",
        SPOT_JSON,
        "--yes",
    ]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(env.api_requests("POST", ""), 0);
    assert_eq!(env.api_requests("DELETE", ""), 0);
    assert!(held(&env).0.contains(&"demo".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn create_from_a_spotctl_file_yaml_and_json() {
    let env = common::Env::instant().await;
    let yaml = env.home().join("cs.yaml");
    std::fs::write(
        &yaml,
        "cloudspace:\n  name: from-yaml\n  region: us-central-dfw-1\n  kubernetesVersion: 1.31.1\n  cni: calico\n\
         spotnodepools:\n  - serverclass: gp.vs1.medium-dfw\n    desired: 1\n    bidprice: 0.08\n\
         ondemandnodepools:\n  - serverclass: gp.vs1.medium-dfw\n    cloudspace: from-yaml\n",
    )
    .unwrap();
    let made = env.ok_json(&[
        "cs",
        "create",
        "-f",
        yaml.to_str().unwrap(),
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(made["cloudspace"]["metadata"]["name"], "from-yaml");
    assert_eq!(made["cloudspace"]["spec"]["cni"], "calico");
    assert_eq!(made["spotnodepools"][0]["spec"]["bidPrice"], "0.08");
    assert_eq!(
        made["ondemandnodepools"][0]["spec"]["cloudSpace"],
        "from-yaml"
    );

    let json = env.home().join("cs.json");
    std::fs::write(
        &json,
        r#"{"cloudspace": {"name": "from-json", "region": "us-central-dfw-1"},
            "spotnodepools": [{"serverclass": "gp.vs1.medium-dfw", "bidprice": "0.08", "desired": 2}]}"#,
    )
    .unwrap();
    let made = env.ok_json(&[
        "cs",
        "create",
        "--config",
        json.to_str().unwrap(),
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(made["cloudspace"]["metadata"]["name"], "from-json");
    assert_eq!(made["spotnodepools"][0]["spec"]["desired"], 2);

    // --config and NAME exclude each other; a key the layout does not know is named.
    let (code, err) = env.fails(&["cs", "create", "x", "--config", json.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    std::fs::write(&json, r#"{"cloudspace": {"name": "x", "colour": "red"}}"#).unwrap();
    let (code, err) = env.fails(&["cs", "create", "--config", json.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("colour"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_specs_exit_2_and_send_nothing() {
    let env = common::Env::instant().await;
    let cases: [(&str, &str, &str); 5] = [
        (
            "--spot-nodepool",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.08,color=red",
            "\"color\"",
        ),
        (
            "--spot-nodepool",
            "desired=1,bidprice=0.08",
            "serverclass is required",
        ),
        (
            "--spot-nodepool",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.0125",
            "bidprice=0.0125",
        ),
        (
            "--spot-nodepool",
            r#"{"serverclass":"gp.vs1.medium-dfw"}"#,
            "needs bidprice",
        ),
        (
            "--ondemand-nodepool",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.1",
            "spot pools only",
        ),
    ];
    for (flag, spec, says) in cases {
        env.emu.clear_journal();
        let (code, err) = env.fails(&[
            "cs",
            "create",
            "bad",
            "--region",
            "us-central-dfw-1",
            flag,
            spec,
        ]);
        assert_eq!(code, Some(2), "{spec}: {err}");
        assert!(err.contains(says), "{spec}: {err}");
        assert!(err.contains(flag), "{spec}: the flag is not named: {err}");
        assert!(env.emu.journal().is_empty(), "{spec}: requests were sent");
    }
    // A bid below the class's floor is refused before anything is written.
    env.emu.clear_journal();
    let (code, err) = env.fails(&[
        "cs",
        "create",
        "bad",
        "--region",
        "us-central-dfw-1",
        "--spot-nodepool",
        "serverclass=gp.vs1.medium-dfw,bidprice=0.001",
        "--yes",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(env.api_requests("POST", ""), 0, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_every_body_and_sends_nothing() {
    let env = common::Env::instant().await;
    let v = env.ok_json(&[
        "cs",
        "create",
        "dry",
        "--region",
        "us-central-dfw-1",
        "--spot-nodepool",
        SPOT_COMMA,
        "--ondemand-nodepool",
        ONDEMAND,
        "--dry-run",
        "-o",
        "json",
    ]);
    assert_eq!(v["cloudspace"]["metadata"]["name"], "dry");
    assert_eq!(v["spotnodepools"][0]["spec"]["bidPrice"], "0.08");
    assert_eq!(v["spotnodepools"][0]["spec"]["cloudSpace"], "dry");
    assert_eq!(
        v["ondemandnodepools"][0]["spec"]["serverClass"],
        "gp.vs1.medium-dfw"
    );
    assert_eq!(env.api_requests("POST", ""), 0);
    assert_eq!(env.api_requests("DELETE", ""), 0);
    assert!(!held(&env).0.contains(&"dry".to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_second_pool_rolls_everything_back_and_says_what() {
    let env = common::Env::instant().await;
    env.emu
        .faults()
        .script("POST", "/spotnodepools", 1, 1, Fault::Status(422));
    let out = env.run(&[
        "cs",
        "create",
        "half",
        "--region",
        "us-central-dfw-1",
        "--spot-nodepool",
        SPOT_JSON,
        "--spot-nodepool",
        SPOT_COMMA,
        "--yes",
    ]);
    let err = common::stderr_of(&out);
    env.emu.faults().clear();
    assert!(!out.status.success(), "{err}");
    assert!(env.emu.faults().injected() >= 1, "no fault injected: {err}");
    common::assert_no_secret(&err);
    // 0 objects left.
    let (cs, spot, od) = held(&env);
    assert!(!cs.contains(&"half".to_string()), "{cs:?}: {err}");
    assert!(spot.is_empty() && od.is_empty(), "{spot:?} {od:?}: {err}");
    // The report names the pool that failed, the server's reason and what was deleted.
    // The first pool was carried out (and deleted again), the second refused.
    let created = env
        .emu
        .journal()
        .iter()
        .filter(|e| e.method == "POST" && e.status == 201 && e.path.ends_with("/spotnodepools"))
        .count();
    assert_eq!(created, 1, "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cloudspace half was not created"),
        "{err}"
    );
    assert!(
        last.contains("spot pool") && last.contains("failed"),
        "{err}"
    );
    assert!(last.contains("rolled back (deleted spot pool"), "{err}");
    assert!(last.contains("cloudspace half)"), "{err}");
    assert!(
        err.contains("rolled back: deleted cloudspace half"),
        "{err}"
    );
    assert_eq!(env.api_requests("DELETE", "/cloudspaces/half"), 1, "{err}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn get_config_writes_dir_name_yaml_0600() {
    use std::os::unix::fs::PermissionsExt;
    let env = common::Env::instant().await;
    env.ok(&[
        "cs",
        "create",
        "kc",
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
    let dir = env.home().join("kubes");
    let (out, err) = env.ok(&[
        "cs",
        "get-config",
        "--name",
        "kc",
        "--file",
        dir.to_str().unwrap(),
    ]);
    let path = dir.join("kc.yaml");
    assert!(out.is_empty(), "{out}");
    common::assert_no_secret(&err);
    assert!(
        err.contains(path.to_str().unwrap()),
        "where it went is not said: {err}"
    );
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("current-context")
    );
    // Default: ~/.kube/NAME.yaml.
    let (_, err) = env.ok(&["cs", "get-config", "kc"]);
    let default = env.home().join(".kube/kc.yaml");
    assert!(default.exists(), "{err}");
    assert_eq!(
        std::fs::metadata(&default).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn health_and_reason_show_where_a_user_looks() {
    // Manual clock: the cloudspace stays where it is put.
    let env = common::Env::start().await;
    env.ok(&["cs", "create", "sick", "--region", "uk-lon-1"]);
    assert!(env.emu.break_cloudspace("sick", "etcd quorum lost"));
    let (table, _) = env.ok(&["cs", "list", "-o", "wide"]);
    let header = table.lines().next().unwrap_or_default();
    assert!(
        header.contains("HEALTH") && header.contains("REASON"),
        "{table}"
    );
    assert!(
        table.contains("Unhealthy") && table.contains("etcd quorum lost"),
        "{table}"
    );
    let (table, _) = env.ok(&["cs", "list", "-o", "table"]);
    assert!(
        table.lines().next().unwrap_or_default().contains("HEALTH"),
        "{table}"
    );
    let (fields, _) = env.ok(&["cs", "get", "sick", "-o", "table"]);
    assert!(
        fields.contains("HEALTH") && fields.contains("Unhealthy"),
        "{fields}"
    );
    assert!(
        fields.contains("REASON") && fields.contains("etcd quorum lost"),
        "{fields}"
    );
    // The wait's progress line and its failure carry the health and the reason.
    let (code, err) = env.fails(&["cs", "wait", "sick", "--timeout", "1s"]);
    assert!(matches!(code, Some(1) | Some(5)), "{err}");
    assert!(err.contains("health Unhealthy, etcd quorum lost"), "{err}");
    let last = err.lines().last().unwrap_or_default();
    assert!(last.contains("etcd quorum lost"), "{err}");
}
