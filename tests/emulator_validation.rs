//! The emulator's validation (Kubernetes `Status` bodies, admission denials), label selectors
//! and patch semantics, over real HTTP.
#![cfg(feature = "emulator")]

mod emulator_support;

use reqwest::Method;
use serde_json::{Value, json};

use emulator_support::*;

#[tokio::test]
async fn validation_errors_have_kubernetes_status_bodies() {
    let t = setup().await;
    assert_eq!(t.create_cs("demo-dfw", "us-central-dfw-1").await.0, 201);
    assert_eq!(t.create_cs("batch-iad", "us-east-iad-1").await.0, 201);
    assert_eq!(
        t.create_spot(POOL_A, "demo-dfw", "gp.vs1.medium-dfw", "0.01")
            .await
            .0,
        201
    );
    let auto = |name: &str, cs: &str, min: i64, max: i64| {
        json!({"metadata": {"name": name}, "spec": {"cloudSpace": cs,
            "serverClass": "gp.vs1.xlarge-iad", "bidPrice": "0.01", "desired": 1,
            "autoscaling": {"enabled": true, "minNodes": min, "maxNodes": max}}})
    };
    let spot = |name: &str, cs: &str, class: &str, bid: Value| {
        json!({"metadata": {"name": name}, "spec": {"cloudSpace": cs, "serverClass": class,
            "bidPrice": bid, "desired": 1}})
    };
    let other_ns = "org-q3vxh8lmp2stnr7a";
    let cases: Vec<(&str, &str, Value, u16, &str, &str)> = vec![
        (
            "cloudspaces",
            "duplicate",
            json!({"metadata": {"name": "demo-dfw"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}),
            409,
            "AlreadyExists",
            "already exists",
        ),
        (
            "cloudspaces",
            "not an RFC 1123 label",
            json!({"metadata": {"name": "Demo_DFW"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}),
            422,
            "Invalid",
            "metadata.name",
        ),
        (
            "cloudspaces",
            "unknown region",
            json!({"metadata": {"name": "x"}, "spec": {"region": "mars-1", "kubernetesVersion": "1.31.1"}}),
            403,
            "Forbidden",
            "region \"mars-1\" does not exist",
        ),
        (
            "cloudspaces",
            "missing kubernetesVersion",
            json!({"metadata": {"name": "x"}, "spec": {"region": "us-central-dfw-1"}}),
            422,
            "Invalid",
            "spec.kubernetesVersion: Required value",
        ),
        (
            "cloudspaces",
            "bad cni",
            json!({"metadata": {"name": "x"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1", "cni": "flannel"}}),
            422,
            "Invalid",
            "spec.cni: Unsupported value",
        ),
        (
            "cloudspaces",
            "namespace mismatch",
            json!({"metadata": {"name": "x", "namespace": other_ns}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}),
            400,
            "BadRequest",
            "namespace of the provided object",
        ),
        (
            "spotnodepools",
            "name not a uuid",
            spot("pool-1", "demo-dfw", "gp.vs1.medium-dfw", json!("0.01")),
            422,
            "Invalid",
            "metadata.name",
        ),
        (
            "spotnodepools",
            "uppercase uuid",
            spot(
                &POOL_B.to_uppercase(),
                "demo-dfw",
                "gp.vs1.medium-dfw",
                json!("0.01"),
            ),
            422,
            "Invalid",
            "lowercase UUID",
        ),
        (
            "spotnodepools",
            "four decimals",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!("0.0125")),
            422,
            "Invalid",
            "up to three decimal places",
        ),
        (
            "spotnodepools",
            "dollar sign",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!("$0.01")),
            422,
            "Invalid",
            "spec.bidPrice",
        ),
        (
            "spotnodepools",
            "under the floor",
            spot(POOL_B, "demo-dfw", "mh.vs1.2xlarge-dfw", json!("0.01")),
            403,
            "Forbidden",
            "BidPrice must be greater than or equal to the minimum bid price of 0.02",
        ),
        (
            "spotnodepools",
            "off the ladder",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!("0.05")),
            403,
            "Forbidden",
            "bid price 0.05 is not on the bid ladder",
        ),
        (
            "spotnodepools",
            "bid not a string",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!(0.01)),
            422,
            "Invalid",
            "spec.bidPrice",
        ),
        (
            "spotnodepools",
            "unknown class",
            spot(POOL_B, "demo-dfw", "gp.vs9.huge-dfw", json!("0.01")),
            403,
            "Forbidden",
            "server class \"gp.vs9.huge-dfw\" does not exist",
        ),
        (
            "spotnodepools",
            "class in another region",
            spot(POOL_B, "demo-dfw", "gp.vs1.xlarge-iad", json!("0.01")),
            403,
            "Forbidden",
            "region",
        ),
        (
            "spotnodepools",
            "unknown cloudspace",
            spot(POOL_B, "nope", "gp.vs1.medium-dfw", json!("0.01")),
            403,
            "Forbidden",
            "cloudspace \"nope\" does not exist",
        ),
        (
            "spotnodepools",
            "deprecated class",
            spot(POOL_B, "demo-dfw", "ch.vs1.large-lon", json!("0.01")),
            403,
            "Forbidden",
            "is not available",
        ),
        (
            "spotnodepools",
            "missing desired",
            json!({"metadata": {"name": POOL_B}, "spec": {"cloudSpace": "demo-dfw", "serverClass": "gp.vs1.medium-dfw", "bidPrice": "0.01"}}),
            422,
            "Invalid",
            "spec.desired: Required value",
        ),
        (
            "spotnodepools",
            "minNodes 0",
            auto(POOL_B, "batch-iad", 0, 2),
            422,
            "Invalid",
            "spec.autoscaling.minNodes",
        ),
        (
            "spotnodepools",
            "max < min",
            auto(POOL_B, "batch-iad", 3, 2),
            422,
            "Invalid",
            "spec.autoscaling.maxNodes",
        ),
        (
            "ondemandnodepools",
            "missing serverClass",
            json!({"metadata": {"name": POOL_B}, "spec": {"cloudSpace": "demo-dfw", "desired": 1}}),
            422,
            "Invalid",
            "spec.serverClass: Required value",
        ),
    ];
    for (plural, what, body, code, want_reason, needle) in cases {
        let (s, b) = t.post(&t.ns_url(plural), body).await;
        assert_eq!(s.as_u16(), code, "{what}: {b}");
        assert_eq!(b["kind"], "Status", "{what}");
        assert_eq!(b["code"], code, "{what}");
        assert_eq!(reason(&b), want_reason, "{what}");
        assert!(
            b["message"].as_str().unwrap().contains(needle),
            "{what}: {}",
            b["message"]
        );
        if code == 422 {
            assert!(
                b["details"]["causes"][0]["field"].is_string(),
                "{what}: {b}"
            );
        }
    }

    // A second autoscaling spot pool in the same cloudspace.
    assert_eq!(
        t.post(&t.ns_url("spotnodepools"), auto(POOL_B, "batch-iad", 1, 3))
            .await
            .0,
        201
    );
    let (s, b) = t
        .post(&t.ns_url("spotnodepools"), auto(POOL_C, "batch-iad", 1, 3))
        .await;
    assert_eq!((s.as_u16(), reason(&b)), (403, "Forbidden"));
    assert!(b["message"].as_str().unwrap().contains("autoscaling"));

    // Immutable fields.
    let cs_url = format!("{}/demo-dfw", t.ns_url("cloudspaces"));
    for patch in [
        json!({"spec": {"region": "us-east-iad-1"}}),
        json!({"spec": {"deploymentType": "gen1"}}),
        json!({"spec": {"cni": "cilium"}}),
    ] {
        let (s, b) = t.merge(&cs_url, patch.clone()).await;
        assert_eq!((s.as_u16(), reason(&b)), (422, "Invalid"), "{patch}");
    }
    let (_, b) = t
        .merge(&cs_url, json!({"spec": {"deploymentType": "gen1"}}))
        .await;
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("update to the deploymentType not allowed")
    );
    let pool_url = format!("{}/{POOL_A}", t.ns_url("spotnodepools"));
    for patch in [
        json!({"spec": {"cloudSpace": "batch-iad"}}),
        json!({"spec": {"serverClass": "gp.vs1.large-dfw"}}),
        json!({"spec": {"bidPrice": "0.0001"}}),
    ] {
        let (s, b) = t.merge(&pool_url, patch.clone()).await;
        assert_eq!((s.as_u16(), reason(&b)), (422, "Invalid"), "{patch}");
    }
    // Unknown objects and paths.
    let (s, b) = t
        .get(&format!("{}/{POOL_C}", t.ns_url("spotnodepools")))
        .await;
    assert_eq!((s.as_u16(), reason(&b)), (404, "NotFound"));
    assert_eq!(
        b["message"],
        format!("spotnodepools.ngpc.rxt.io \"{POOL_C}\" not found")
    );
    assert_eq!(
        t.send(
            Method::DELETE,
            &format!("{}/nope", t.ns_url("cloudspaces")),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(t.get(&t.ns_url("widgets")).await.0, 404);
    // Nothing invalid was stored.
    let snap = t.emu.snapshot();
    assert_eq!(snap[&t.ns]["cloudspaces"].as_object().unwrap().len(), 2);
    assert_eq!(snap[&t.ns]["spotnodepools"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn label_selector_filters_pools_by_cloudspace() {
    let t = setup().await;
    t.create_cs("a", "us-central-dfw-1").await;
    t.create_cs("b", "us-central-dfw-1").await;
    t.create_spot(POOL_A, "a", "gp.vs1.medium-dfw", "0.01")
        .await;
    t.create_spot(POOL_B, "b", "gp.vs1.medium-dfw", "0.02")
        .await;
    t.create_spot(POOL_C, "b", "gp.vs1.large-dfw", "0.03").await;
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, all) = t.get(&t.ns_url("spotnodepools")).await;
    assert_eq!(s, 200);
    assert_eq!(all["kind"], "SpotNodePoolList");
    assert_eq!(names(&all).len(), 3);
    let (_, a) = t
        .get(&format!(
            "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Da",
            t.ns_url("spotnodepools")
        ))
        .await;
    assert_eq!(names(&a), vec![POOL_A]);
    let r = t
        .http
        .get(t.ns_url("spotnodepools"))
        .query(&[("labelSelector", "ngpc.rxt.io/cloudspace=b")])
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    let mut got = names(&b);
    got.sort();
    let mut want = vec![POOL_B.to_string(), POOL_C.to_string()];
    want.sort();
    assert_eq!(got, want);
    let (_, none) = t
        .get(&format!(
            "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Dzzz",
            t.ns_url("spotnodepools")
        ))
        .await;
    assert!(names(&none).is_empty());

    // Collection delete honours the selector.
    let (s, b) = t
        .send(
            Method::DELETE,
            &format!(
                "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Db",
                t.ns_url("spotnodepools")
            ),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "Success");
    let (_, left) = t.get(&t.ns_url("spotnodepools")).await;
    assert_eq!(names(&left), vec![POOL_A]);
    let (_, cs_b) = t.get(&format!("{}/b", t.ns_url("cloudspaces"))).await;
    assert!(cs_b["spec"].get("bidRequests").is_none());
    // Collection delete of everything.
    assert_eq!(
        t.send(Method::DELETE, &t.ns_url("spotnodepools"), None)
            .await
            .0,
        200
    );
    let (_, left) = t.get(&t.ns_url("spotnodepools")).await;
    assert!(names(&left).is_empty());
}

#[tokio::test]
async fn patch_semantics_and_put_conflicts() {
    let t = setup().await;
    let (_, cs) = t
        .post(
            &t.ns_url("cloudspaces"),
            json!({"metadata": {"name": "p", "labels": {"team": "a", "tier": "x"}},
                "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1",
                    "webhook": "https://hooks.example/1"}}),
        )
        .await;
    let url = format!("{}/p", t.ns_url("cloudspaces"));
    let rv0 = cs["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // Merge patch: null deletes a key, other keys merge.
    let (s, cs) = t
        .merge(
            &url,
            json!({"metadata": {"labels": {"tier": null}}, "spec": {"webhook": null, "HAControlPlane": true}}),
        )
        .await;
    assert_eq!(s, 200, "{cs}");
    assert!(cs["spec"].get("webhook").is_none());
    assert_eq!(cs["spec"]["HAControlPlane"], true);
    assert_eq!(cs["metadata"]["labels"], json!({"team": "a"}));
    assert_eq!(cs["metadata"]["generation"], 2);
    let rv1 = cs["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rv0, rv1);

    // Plain JSON is not a patch type; strategic merge is not available for CRDs.
    for ct in ["application/json", "application/strategic-merge-patch+json"] {
        let (s, b) = t
            .send(
                Method::PATCH,
                &url,
                Some((ct, json!({"spec": {"HAControlPlane": false}}))),
            )
            .await;
        assert_eq!(
            (s.as_u16(), reason(&b)),
            (415, "UnsupportedMediaType"),
            "{ct}"
        );
    }

    // JSON patch.
    let (s, cs) = t
        .send(
            Method::PATCH,
            &url,
            Some((
                "application/json-patch+json",
                json!([{"op": "replace", "path": "/spec/HAControlPlane", "value": false},
                       {"op": "add", "path": "/spec/webhook", "value": "https://hooks.example/2"}]),
            )),
        )
        .await;
    assert_eq!(s, 200, "{cs}");
    assert_eq!(cs["spec"]["HAControlPlane"], false);
    assert_eq!(cs["spec"]["webhook"], "https://hooks.example/2");

    // Status is the server's: a patch cannot set it.
    let (_, cs) = t.merge(&url, json!({"status": {"phase": "Ready"}})).await;
    assert_eq!(cs["status"]["phase"], "Provisioning");

    // PUT: a stale resourceVersion conflicts; the current one succeeds.
    let mut stale = cs.clone();
    stale["metadata"]["resourceVersion"] = json!(rv0);
    stale["spec"]["HAControlPlane"] = json!(true);
    let (s, b) = t
        .send(Method::PUT, &url, Some(("application/json", stale)))
        .await;
    assert_eq!((s.as_u16(), reason(&b)), (409, "Conflict"));
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("the object has been modified")
    );
    let mut fresh = cs.clone();
    fresh["spec"]["HAControlPlane"] = json!(true);
    let (s, b) = t
        .send(Method::PUT, &url, Some(("application/json", fresh.clone())))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["spec"]["HAControlPlane"], true);
    // Replaying the same PUT is now stale.
    let (s, _) = t
        .send(Method::PUT, &url, Some(("application/json", fresh)))
        .await;
    assert_eq!(s, 409);
    // A patch carrying a stale resourceVersion is a failed precondition too.
    let (s, _) = t
        .merge(
            &url,
            json!({"metadata": {"resourceVersion": rv0}, "spec": {"HAControlPlane": false}}),
        )
        .await;
    assert_eq!(s, 409);
}
