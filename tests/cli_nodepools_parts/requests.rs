//! What the pool commands send: bids validated before anything is sent, dry runs of create
//! and update that send nothing, and updates that send only the flags given.

use super::{POOL_A, SPOT, cloudspace, common, is_lowercase_uuid, json, ok};

#[tokio::test(flavor = "multi_thread")]
async fn bids_are_validated_before_sending() {
    let env = common::Env::instant().await;
    cloudspace(&env);
    let base = [
        "nodepools",
        "spot",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--desired",
        "1",
        "--bid-price",
    ];
    // Format (refused by the flag's parser) and floor; the ladder is advice, tested apart.
    for (bid, reason) in [
        ("0.005", "floor"),
        ("0.0125", "three decimals"),
        ("abc", "not a price"),
        ("0", "more than 0"),
    ] {
        let mut args = base.to_vec();
        args.push(bid);
        let out = env.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{bid}: {}",
            common::stderr_of(&out)
        );
        let err = common::stderr_of(&out);
        assert!(err.contains("bidPrice"), "{err}");
        assert!(err.contains(reason), "{bid}: {err}");
    }
    assert_eq!(env.api_requests("POST", SPOT), 0);
    // Class in another region, missing cloudspace, bad counts, bad taint, bad label, bad name.
    for args in [
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-iad",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
        ][..],
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "nope",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
        ],
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "5",
            "--bid-price",
            "0.06",
            "--autoscaling-min",
            "1",
            "--autoscaling-max",
            "3",
        ],
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
            "--autoscaling-min",
            "1",
        ],
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
            "--taint",
            "a=b:Sometimes",
        ],
        &[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
            "--label",
            "novalue",
        ],
        &[
            "np",
            "spot",
            "create",
            "Pool-1",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.06",
        ],
    ] {
        let out = env.run(args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            common::stderr_of(&out)
        );
        assert!(
            common::stderr_of(&out).starts_with("error"),
            "{}",
            common::stderr_of(&out)
        );
    }
    assert_eq!(env.api_requests("POST", "nodepools"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_create_and_update_send_nothing() {
    let env = common::Env::instant().await;
    cloudspace(&env);
    let (out, err) = ok(
        &env,
        &[
            "np",
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
            "--label",
            "a=1",
            "--annotation",
            "note=x",
            "--taint",
            "gpu:NoExecute",
            "--dry-run",
        ],
    );
    assert!(err.contains("nothing was sent"), "{err}");
    let body = json(&out);
    assert_eq!(body["kind"], "SpotNodePool");
    assert!(is_lowercase_uuid(
        body["metadata"]["name"].as_str().unwrap()
    ));
    assert_eq!(
        body["metadata"]["labels"]["ngpc.rxt.io/cloudspace"],
        "demo-dfw"
    );
    assert_eq!(body["spec"]["bidPrice"], "0.06");
    assert_eq!(body["spec"]["desired"], 2);
    assert_eq!(body["spec"]["customLabels"]["a"], "1");
    assert_eq!(body["spec"]["customAnnotations"]["note"], "x");
    assert_eq!(
        body["spec"]["customTaints"],
        serde_json::json!([{"key": "gpu", "value": "", "effect": "NoExecute"}])
    );
    assert_eq!(env.api_requests("POST", "nodepools"), 0);

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
    let (out, _) = ok(
        &env,
        &[
            "np",
            "spot",
            "update",
            POOL_A,
            "--bid-price",
            "0.08",
            "--dry-run",
        ],
    );
    assert_eq!(
        json(&out),
        serde_json::json!({"spec": {"bidPrice": "0.08"}})
    );
    // An off-ladder bid is advice in a dry run: a warning, the patch, nothing sent.
    let (out, err) = ok(
        &env,
        &[
            "np",
            "spot",
            "update",
            POOL_A,
            "--bid-price",
            "0.07",
            "--dry-run",
        ],
    );
    assert!(err.contains("not on the bid ladder"), "{err}");
    assert_eq!(
        json(&out),
        serde_json::json!({"spec": {"bidPrice": "0.07"}})
    );
    let out = env.run(&[
        "np",
        "spot",
        "update",
        "11111111-2222-4333-8444-555555555555",
        "--desired",
        "3",
        "--dry-run",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
    assert_eq!(env.api_requests("PATCH", "nodepools"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn update_sends_only_the_flags_given() {
    let env = common::Env::instant().await;
    cloudspace(&env);
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
            "--autoscaling-min",
            "1",
            "--autoscaling-max",
            "4",
            "--label",
            "team=a",
        ],
    );
    // Changing only the bid keeps desired, autoscaling and labels.
    let (out, _) = ok(
        &env,
        &[
            "np",
            "spot",
            "update",
            POOL_A,
            "--bidprice",
            "0.08",
            "--yes",
            "-o",
            "json",
        ],
    );
    let p = json(&out);
    assert_eq!(p["spec"]["bidPrice"], "0.08");
    assert_eq!(p["spec"]["desired"], 2);
    assert_eq!(
        p["spec"]["autoscaling"],
        serde_json::json!({"enabled": true, "minNodes": 1, "maxNodes": 4})
    );
    assert_eq!(p["spec"]["customLabels"]["team"], "a");
    let (out, _) = ok(
        &env,
        &[
            "np",
            "spot",
            "update",
            "--name",
            POOL_A,
            "--desired",
            "3",
            "--wait",
            "-o",
            "json",
        ],
    );
    let p = json(&out);
    assert_eq!(p["spec"]["desired"], 3);
    assert_eq!(p["spec"]["bidPrice"], "0.08");
    assert_eq!(p["status"]["wonCount"], 3);
    let (out, _) = ok(
        &env,
        &[
            "np",
            "spot",
            "update",
            POOL_A,
            "--no-autoscaling",
            "-o",
            "json",
        ],
    );
    assert_eq!(json(&out)["spec"]["autoscaling"]["enabled"], false);
    // Legacy flags must describe the pool as it is.
    let out = env.run(&[
        "np",
        "spot",
        "update",
        POOL_A,
        "--cloudspace",
        "other",
        "--desired",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    ok(
        &env,
        &[
            "np",
            "spot",
            "update",
            POOL_A,
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "2",
        ],
    );
    // Nothing to change.
    let out = env.run(&["np", "spot", "update", POOL_A]);
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&[
        "np",
        "spot",
        "update",
        "11111111-2222-4333-8444-555555555555",
        "--desired",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr_of(&out));
}
