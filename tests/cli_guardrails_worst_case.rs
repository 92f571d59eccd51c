//! Guardrails count what can be billed (issue 29, item 6): the size `--autoscaling-max` lets a
//! pool grow to is checked against availability and `max_monthly_usd` as `--desired` is, and
//! the paid HA control plane is confirmed with its price. Without a terminal each is refused
//! (exit 2, one line naming `--yes`) and nothing is sent; `--yes` or a larger budget lets it
//! through.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

// gp.vs1.medium-dfw in the seed: floor 0.01, on-demand $0.02/h, 37 available.
const CLASS: &str = "gp.vs1.medium-dfw";

/// Exit 2, one `error:` line that names `--yes` and `reason`.
fn refused(out: &std::process::Output, reason: &str) {
    let err = common::stderr_of(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("--yes"), "{err}");
    assert!(err.contains(reason), "{reason}: {err}");
}

fn accepted(out: &std::process::Output) {
    assert!(out.status.success(), "{}", common::stderr_of(out));
}

/// Sets the profile's `max_monthly_usd`.
fn limit(env: &common::Env, usd: u32) {
    std::fs::create_dir_all(env.config_dir()).unwrap();
    std::fs::write(
        env.config_dir().join("config.yml"),
        format!(
            "version: '2'\nactive_profile: default\nprofiles:\n  default:\n    max_monthly_usd: {usd}\n"
        ),
    )
    .unwrap();
}

/// A cloudspace `demo-dfw` with a spot and an on-demand pool of one node (no autoscaling), and
/// a limit of $100 a month (each pool costs 0.02 × 730 = $14.6).
async fn env_with_pools() -> (common::Env, String, String) {
    let env = common::Env::instant().await;
    env.ok(&["cs", "create", "demo-dfw", "--region", "us-central-dfw-1"]);
    let spot = env.ok(&[
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
    ]);
    let od = env.ok(&[
        "np",
        "od",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "-o",
        "name",
    ]);
    limit(&env, 100);
    (env, spot.0.trim().to_string(), od.0.trim().to_string())
}

/// A pool create of `kind` in cloudspace `cs` with autoscaling 1..`max` (the server allows one
/// autoscaling spot pool per cloudspace).
fn create(kind: &str, cs: &str, max: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "np",
        kind,
        "create",
        "--cloudspace",
        cs,
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--autoscaling-min",
        "1",
        "--autoscaling-max",
        max,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if kind == "spot" {
        v.extend(["--bid-price".into(), "0.02".into()]);
    }
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run(env: &common::Env, args: &[String]) -> std::process::Output {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(&args)
}

#[tokio::test(flavor = "multi_thread")]
async fn autoscaling_max_is_checked_like_desired() {
    let (env, spot, od) = env_with_pools().await;
    let posts = || env.api_requests("POST", "nodepools");
    let patches = || env.api_requests("PATCH", "nodepools");
    let (posts0, patches0) = (posts(), patches());
    let mut cases = 0;

    // The probe's cases: desired 1, autoscaling up to 1000, on both kinds, create and update.
    for kind in ["spot", "od"] {
        let out = run(&env, &create(kind, "demo-dfw", "1000", &[]));
        refused(&out, "autoscaling may grow the pool to 1000 nodes");
        refused(&out, "only 37 available");
        refused(&out, "above max_monthly_usd $100");
        cases += 1;
    }
    for pool in [("spot", &spot), ("od", &od)] {
        let out = env.run(&[
            "np",
            pool.0,
            "update",
            pool.1,
            "--autoscaling-min",
            "1",
            "--autoscaling-max",
            "1000",
        ]);
        refused(&out, "autoscaling may grow the pool to 1000 nodes");
        cases += 1;
    }
    // Within availability but over the budget: 0.02 × 30 × 730 = $438.
    let out = run(&env, &create("spot", "demo-dfw", "30", &[]));
    refused(
        &out,
        "autoscaling maximum of 30 nodes the pool would cost about $438 per month",
    );
    cases += 1;
    let out = env.run(&[
        "np",
        "od",
        "update",
        &od,
        "--autoscaling-min",
        "1",
        "--autoscaling-max",
        "30",
    ]);
    refused(&out, "above max_monthly_usd $100");
    cases += 1;
    assert_eq!(posts(), posts0, "no create was sent");
    assert_eq!(patches(), patches0, "no update was sent");
    eprintln!("guardrail cases refused: {cases}, writes sent: 0");

    // A dry run only warns and sends nothing.
    let out = run(&env, &create("spot", "demo-dfw", "1000", &["--dry-run"]));
    accepted(&out);
    assert!(common::stderr_of(&out).contains("warning: autoscaling may grow the pool to 1000"));
    assert_eq!(posts(), posts0);

    // --yes goes ahead.
    accepted(&env.run(&[
        "np",
        "spot",
        "update",
        &spot,
        "--autoscaling-min",
        "1",
        "--autoscaling-max",
        "1000",
        "--yes",
    ]));
    assert_eq!(patches(), patches0 + 1);
    accepted(&run(&env, &create("od", "demo-dfw", "1000", &["--yes"])));
    assert_eq!(posts(), posts0 + 1);
    // Under the budget: no question. 0.02 × 6 × 730 = $87.6.
    for cs in ["demo-b", "demo-c"] {
        env.ok(&["cs", "create", cs, "--region", "us-central-dfw-1"]);
    }
    accepted(&run(&env, &create("spot", "demo-b", "6", &[])));
    assert_eq!(posts(), posts0 + 2);
    // A larger budget: $438 ≤ $500.
    limit(&env, 500);
    accepted(&run(&env, &create("spot", "demo-c", "30", &[])));
    accepted(&env.run(&[
        "np",
        "od",
        "update",
        &od,
        "--autoscaling-min",
        "1",
        "--autoscaling-max",
        "30",
    ]));
    assert_eq!(posts(), posts0 + 3);
    assert_eq!(patches(), patches0 + 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_bid_is_checked_at_the_autoscaling_maximum_the_pool_has() {
    let (env, _, _) = env_with_pools().await;
    env.ok(&["cs", "create", "demo-b", "--region", "us-central-dfw-1"]);
    limit(&env, 50);
    // 0.01 × 4 × 730 = $29.2: quiet.
    let pool = env.ok(&[
        "np",
        "spot",
        "create",
        "--cloudspace",
        "demo-b",
        "--server-class",
        CLASS,
        "--desired",
        "1",
        "--autoscaling-min",
        "1",
        "--autoscaling-max",
        "4",
        "--bid-price",
        "0.01",
        "-o",
        "name",
    ]);
    let pool = pool.0.trim();
    // At 0.02 one node costs $14.6, but the four autoscaling may reach cost $58.4.
    let out = env.run(&["np", "spot", "update", pool, "--bid-price", "0.02"]);
    refused(
        &out,
        "autoscaling maximum of 4 nodes the pool would cost about $58.4",
    );
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 0);
    // Without autoscaling the pool stays at one node: nothing to ask.
    accepted(&env.run(&[
        "np",
        "spot",
        "update",
        pool,
        "--bid-price",
        "0.02",
        "--no-autoscaling",
    ]));
    assert_eq!(env.api_requests("PATCH", "spotnodepools"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ha_control_plane_is_confirmed_with_its_price() {
    let (env, _, _) = env_with_pools().await;
    let writes =
        || env.api_requests("POST", "cloudspaces") + env.api_requests("PATCH", "cloudspaces");
    let before = writes();
    let out = env.run(&[
        "cs",
        "create",
        "demo-ha",
        "--region",
        "us-central-dfw-1",
        "--ha-control-plane",
    ]);
    refused(
        &out,
        "the HA control plane is a paid option at about $40 per month",
    );
    let out = env.run(&["cs", "update", "demo-dfw", "--ha-control-plane", "true"]);
    refused(
        &out,
        "the HA control plane is a paid option at about $40 per month",
    );
    // Over a smaller budget the message says so.
    limit(&env, 30);
    let out = env.run(&["cs", "update", "demo-dfw", "--ha-control-plane", "true"]);
    refused(&out, "above max_monthly_usd $30");
    assert_eq!(writes(), before, "nothing was sent");
    eprintln!("guardrail cases refused: 3, writes sent: 0");

    // Turning it off costs nothing: no question.
    accepted(&env.run(&["cs", "update", "demo-dfw", "--ha-control-plane", "false"]));
    assert_eq!(writes(), before + 1);
    // --yes confirms.
    accepted(&env.run(&[
        "cs",
        "create",
        "demo-ha",
        "--region",
        "us-central-dfw-1",
        "--ha-control-plane",
        "--yes",
    ]));
    accepted(&env.run(&[
        "cs",
        "update",
        "demo-dfw",
        "--ha-control-plane",
        "true",
        "--yes",
    ]));
    assert_eq!(writes(), before + 3);
}
