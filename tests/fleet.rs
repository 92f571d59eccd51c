#![cfg(all(feature = "cli", feature = "emulator"))]
//! Declarative fleets through the binary: apply from nothing, a no-op second apply (0 writes),
//! drift listed exactly, `--prune` only when asked, a saved plan refused after a concurrent
//! change, and `export | diff` in sync.

mod common;

use common::Env;
use serde_json::Value;

const FLEET: &str = r#"
cloudspaces:
  - name: fleet-web
    region: us-central-dfw-1
    spotPools:
      - key: workers
        serverClass: gp.vs1.medium-dfw
        desired: 2
        bid: 0.02
        labels: {tier: web}
      - key: burst
        serverClass: gp.vs1.large-dfw
        desired: 1
        autoscaling: {min: 1, max: 3}
        bid: {advice: med}
    onDemandPools:
      - key: base
        serverClass: gp.vs1.medium-dfw
        desired: 1
"#;

fn write(env: &Env, name: &str, text: &str) -> String {
    let path = env.home().join(name);
    std::fs::write(&path, text).expect("write fleet file");
    path.display().to_string()
}

fn plan_json(env: &Env, args: &[&str]) -> (Option<i32>, Value) {
    let out = env.run(args);
    let text = common::stdout_of(&out);
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (out.status.code(), v)
}

/// The name of the `workers` pool of an applied [`FLEET`], from a plan.
fn workers_pool(env: &Env, file: &str) -> String {
    let (_, plan) = plan_json(env, &["diff", "-f", file, "-o", "json"]);
    plan["unchanged"]
        .as_array()
        .and_then(|u| u.iter().find(|o| o["object"]["key"] == "workers"))
        .and_then(|o| o["object"]["name"].as_str())
        .expect("workers pool")
        .to_string()
}

fn len(v: &Value, key: &str) -> usize {
    v[key].as_array().map_or(0, Vec::len)
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_from_nothing_then_a_second_apply_sends_no_write() {
    let env = Env::instant().await;
    let file = write(&env, "fleet.yaml", FLEET);

    let (code, plan) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    assert_eq!(code, Some(2), "drift exits 2");
    assert_eq!(len(&plan, "creates"), 4, "{plan}");
    assert!(
        plan["cost"]["hourly_after"].as_str().is_some() || plan["cost"]["hourly_after"].is_number()
    );

    let (_, err) = env.ok(&["apply", "-f", &file, "--yes"]);
    assert!(err.contains("created"), "{err}");
    let client = env.client().await;
    let org = client.default_org();
    assert_eq!(
        org.spot_pools()
            .within("fleet-web")
            .list()
            .await
            .expect("list")
            .len(),
        2
    );
    assert_eq!(
        org.ondemand_pools()
            .within("fleet-web")
            .list()
            .await
            .expect("list")
            .len(),
        1
    );

    env.emu.clear_journal();
    let (_, err) = env.ok(&["apply", "-f", &file, "--yes"]);
    assert!(err.contains("nothing to do"), "{err}");
    assert_eq!(
        env.writes(),
        0,
        "a second apply of the same file sends no write"
    );

    let (code, plan) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    assert_eq!(code, Some(0), "in sync exits 0: {plan}");
    assert_eq!(len(&plan, "unchanged"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_by_hand_is_listed_exactly_and_prune_deletes_only_when_asked() {
    let env = Env::instant().await;
    let file = write(&env, "fleet.yaml", FLEET);
    env.ok(&["apply", "-f", &file, "--yes"]);
    let name = workers_pool(&env, &file);

    // Drift by hand: scale the pool and add a pool the file does not name.
    env.ok(&[
        "nodepools",
        "spot",
        "update",
        &name,
        "--desired",
        "3",
        "--yes",
    ]);
    env.ok(&[
        "nodepools",
        "spot",
        "create",
        "--cloudspace",
        "fleet-web",
        "--serverclass",
        "gp.vs1.medium-dfw",
        "--desired",
        "1",
        "--bid-price",
        "0.02",
        "--yes",
    ]);
    let (code, plan) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    assert_eq!(code, Some(2));
    assert_eq!(len(&plan, "creates"), 0, "{plan}");
    assert_eq!(
        len(&plan, "deletes"),
        0,
        "no delete without --prune: {plan}"
    );
    assert_eq!(len(&plan, "updates"), 1, "{plan}");
    let fields = &plan["updates"][0]["fields"];
    assert_eq!(fields.as_array().map_or(0, Vec::len), 1, "{fields}");
    assert_eq!(fields[0]["field"], "desired");
    assert_eq!(fields[0]["old"], "3");
    assert_eq!(fields[0]["new"], "2");

    env.emu.clear_journal();
    env.ok(&["apply", "-f", &file, "--yes"]);
    assert_eq!(
        env.api_requests("DELETE", ""),
        0,
        "apply without --prune deletes nothing"
    );
    let (_, plan) = plan_json(&env, &["diff", "-f", &file, "--prune", "-o", "json"]);
    let deletes: Vec<&Value> = plan["deletes"]
        .as_array()
        .map(|d| d.iter().collect())
        .unwrap_or_default();
    assert!(
        deletes
            .iter()
            .any(|d| d["object"]["cloudspace"] == "fleet-web"),
        "{plan}"
    );
    env.ok(&["apply", "-f", &file, "--prune", "--yes"]);
    assert!(env.api_requests("DELETE", "") >= 1);
    let (code, _) = plan_json(&env, &["diff", "-f", &file, "--prune", "-o", "json"]);
    assert_eq!(code, Some(0), "in sync after the pruning apply");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_applied_exactly_and_refused_after_a_concurrent_change() {
    let env = Env::instant().await;
    let file = write(&env, "fleet.yaml", FLEET);
    let plan = env.home().join("plan.json").display().to_string();
    let (code, _) = plan_json(&env, &["diff", "-f", &file, "--out", &plan, "-o", "json"]);
    assert_eq!(code, Some(2));
    env.ok(&["apply", &plan, "--yes"]);
    let (code, _) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    assert_eq!(
        code,
        Some(0),
        "the reviewed plan made the account as the file says"
    );

    // A change the reviewer did not see: a new plan, then the account changes under it.
    let changed = FLEET.replace("desired: 2", "desired: 4");
    let file2 = write(&env, "fleet2.yaml", &changed);
    let (code, _) = plan_json(&env, &["diff", "-f", &file2, "--out", &plan, "-o", "json"]);
    assert_eq!(code, Some(2));
    let (_, unchanged) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    let base = unchanged["unchanged"]
        .as_array()
        .and_then(|u| u.iter().find(|o| o["object"]["key"] == "base"))
        .and_then(|o| o["object"]["name"].as_str())
        .expect("base pool")
        .to_string();
    env.ok(&[
        "nodepools",
        "ondemand",
        "update",
        &base,
        "--desired",
        "2",
        "--yes",
    ]);
    env.emu.clear_journal();
    let (code, err) = env.fails(&["apply", &plan, "--yes"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&base) && err.contains("changed since the plan"),
        "{err}"
    );
    assert_eq!(env.writes(), 0, "a refused plan sends nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn export_then_diff_finds_no_change_and_delete_tears_down_pools_first() {
    let env = Env::instant().await;
    let file = write(&env, "fleet.yaml", FLEET);
    env.ok(&["apply", "-f", &file, "--yes"]);
    let (exported, _) = env.ok(&["export"]);
    let out = env.home().join("exported.yaml").display().to_string();
    std::fs::write(&out, &exported).expect("write");
    let (code, plan) = plan_json(&env, &["diff", "-f", &out, "--prune", "-o", "json"]);
    assert_eq!(
        code,
        Some(0),
        "export | diff is in sync: {plan}\n{exported}"
    );

    env.emu.clear_journal();
    let (_, err) = env.ok(&["delete", "-f", &file, "--yes"]);
    assert!(err.contains("deleted"), "{err}");
    let journal = env.emu.journal();
    let deletes: Vec<&str> = journal
        .iter()
        .filter(|e| e.method.eq_ignore_ascii_case("DELETE"))
        .map(|e| e.path.as_str())
        .collect();
    let cs = deletes
        .iter()
        .position(|p| p.contains("/cloudspaces/"))
        .expect("cloudspace deleted");
    assert_eq!(
        cs,
        deletes.len() - 1,
        "pools before their cloudspace: {deletes:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_keys_are_errors_with_file_line_and_key() {
    let env = Env::instant().await;
    let file = write(
        &env,
        "bad.yaml",
        "cloudspaces:\n  - name: web\n    colour: red\n",
    );
    let (code, err) = env.fails(&["diff", "-f", &file]);
    assert_eq!(code, Some(2), "a bad file is a usage error: {err}");
    assert!(
        err.contains("bad.yaml") && err.contains("line 3") && err.contains("colour"),
        "{err}"
    );
    let schema = env.ok_json(&["fleet", "schema"]);
    assert!(schema["properties"]["cloudspaces"].is_object(), "{schema}");
}

/// The fleet file of docs/fleet.md, as written there.
fn docs_example() -> String {
    let doc = include_str!("../docs/fleet.md");
    let start = doc
        .find("<!-- fleet-example")
        .expect("the docs mark their example");
    let body = &doc[start..];
    let open = body.find("```yaml\n").expect("a yaml block") + "```yaml\n".len();
    let close = body[open..].find("```").expect("the block ends");
    body[open..open + close].to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_docs_git_workflow_runs_as_written() {
    let env = Env::instant().await;
    // A repository: the fleet file and the script it names, run from elsewhere.
    let repo = env.home().join("repo");
    std::fs::create_dir_all(&repo).expect("repo");
    std::fs::write(repo.join("init.sh"), "#!/bin/sh\necho ready\n").expect("script");
    let file = repo.join("fleet.yaml");
    std::fs::write(&file, docs_example()).expect("fleet file");
    let file = file.display().to_string();
    let plan = env.home().join("plan.json").display().to_string();

    // In review: the plan, saved; exit 2 because it does something.
    let out = env.run(&["diff", "-f", &file, "--out", &plan]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    // --dry-run changes nothing, checked by the service where it takes dryRun=All.
    let (_, err) = env.ok(&["apply", "-f", &file, "--dry-run"]);
    assert!(err.contains("the service checked it"), "{err}");
    assert_eq!(env.run(&["diff", "-f", &file]).status.code(), Some(2));
    // On merge: exactly the reviewed plan.
    let (_, err) = env.ok(&["apply", &plan, "--yes"]);
    assert!(err.contains("created"), "{err}");
    let out = env.run(&["diff", "-f", &file]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stdout_of(&out));
    let client = env.client().await;
    let org = client.default_org();
    let pools = org
        .vm_pools()
        .within("builders")
        .list()
        .await
        .expect("list");
    let wire = rsspot::services::vm_pools::user_data_wire(b"#!/bin/sh\necho ready\n");
    assert!(
        pools
            .iter()
            .any(|p| p.spec.vm_user_data.as_deref() == Some(wire.as_str())),
        "the user data of ./init.sh, read beside the fleet file: {pools:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_user_data_file_is_named() {
    let env = Env::instant().await;
    let text = docs_example();
    let file = write(&env, "nofile.yaml", &text);
    let (code, err) = env.fails(&["diff", "-f", &file]);
    assert_ne!(code, Some(0));
    assert!(err.contains("init.sh"), "{err}");
}

/// The plan weighs what the pool and cloudspace commands weigh: a pool's autoscaling maximum
/// against `max_monthly_usd` (flagged as over the limit, for agents that may never cross it) and
/// the HA control plane's price; an apply without `--yes` is refused and sends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn the_plan_weighs_the_autoscaling_maximum_and_the_ha_control_plane() {
    let env = Env::instant().await;
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    max_monthly_usd: 500\n",
    )
    .unwrap();
    let file = write(
        &env,
        "fleet.yaml",
        r#"
cloudspaces:
  - name: fleet-ha
    region: us-central-dfw-1
    haControlPlane: true
    spotPools:
      - key: burst
        serverClass: gp.vs1.medium-dfw
        desired: 1
        autoscaling: {min: 1, max: 40}
        bid: 0.02
"#,
    );
    let (code, plan) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    assert_eq!(code, Some(2), "{plan}");
    let concerns = plan["concerns"].as_array().expect("concerns");
    let about = |words: &str| {
        concerns
            .iter()
            .find(|c| c["message"].as_str().unwrap_or_default().contains(words))
            .unwrap_or_else(|| panic!("no concern about {words:?}: {plan}"))
    };
    let max = about("autoscaling maximum of 40 nodes");
    assert_eq!(max["over_limit"], true, "{max}");
    assert!(
        max["object"].as_str().unwrap().contains("spot pool"),
        "{max}"
    );
    let ha = about("HA control plane");
    assert_eq!(ha["needs_confirmation"], true, "{ha}");
    assert_eq!(ha["object"], "cloudspace fleet-ha", "{ha}");
    // The cost at `desired` (1 node at $0.02) is under the limit: no concern of its own.
    assert!(
        !concerns.iter().any(|c| c["message"]
            .as_str()
            .unwrap()
            .starts_with("the pool would cost")),
        "{plan}"
    );

    let out = env.run(&["apply", "-f", &file]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("autoscaling maximum"));
    assert_eq!(env.writes(), 0, "nothing is sent before the confirmation");
}

/// A 409 on an update (a concurrent change of the object) is re-read and retried: the apply
/// ends in sync with one retried PATCH, not an error.
#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_on_an_update_is_retried() {
    let env = Env::instant().await;
    let file = write(&env, "fleet.yaml", FLEET);
    env.ok(&["apply", "-f", &file, "--yes"]);
    let name = workers_pool(&env, &file);
    env.ok(&["np", "spot", "update", &name, "--desired", "3", "--yes"]);
    let patches = env.api_requests("PATCH", "spotnodepools");
    env.emu
        .faults()
        .script("PATCH", &name, 0, 1, rsspot::emulator::Fault::Status(409));
    env.ok(&["apply", "-f", &file, "--yes"]);
    assert_eq!(
        env.api_requests("PATCH", "spotnodepools") - patches,
        2,
        "one 409, then the retried PATCH"
    );
    let (code, plan) = plan_json(&env, &["diff", "-f", &file, "-o", "json"]);
    assert_eq!(code, Some(0), "in sync after the retry: {plan}");
}
