//! Every value of every emulator variant, observed over real HTTP: the emulator's own contract
//! for each answer it can give to an open question about the real service.
#![cfg(feature = "emulator")]

#[path = "emulator_variants_parts/harness.rs"]
mod harness;

use reqwest::StatusCode;
use rsspot::emulator::{Emulator, EmulatorOptions, VariantSetting};
use serde_json::{Value, json};

use harness::{exchange, names, options, with, with_opts};

const POOL_A: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";
const POOL_B: &str = "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13";
/// Floor 0.01 (min bid 0.01, market 0.001) in the built-in seed.
const CLASS: &str = "gp.vs1.medium-dfw";
const REGION: &str = "us-central-dfw-1";
/// An autopilot pool's name (a UUID, like every pool's).
const AUTOPILOT: &str = "3c1d9e7a-5b2f-4a68-9d0e-7f1a2b3c4d5e";

#[tokio::test]
async fn cascade_delete_no_leaves_pools_fulfilled_and_yes_takes_them() {
    for (setting, pools_after) in [("cascade-delete=no", 1), ("cascade-delete=yes", 0)] {
        let t = with(setting).await;
        t.cloudspace("c1").await;
        assert_eq!(t.spot(POOL_A, "c1", "0.01").await.0, 201, "{setting}");
        t.later();
        let (s, _) = t.delete(&format!("{}/c1", t.url("cloudspaces"))).await;
        assert_eq!(s, 200, "{setting}");
        t.later();
        assert_eq!(
            t.get(&format!("{}/c1", t.url("cloudspaces"))).await.0,
            404,
            "{setting}"
        );
        assert_eq!(t.stored_pools(), pools_after, "{setting}");
        if pools_after == 1 {
            let (s, p) = t.get(&format!("{}/{POOL_A}", t.url("spotnodepools"))).await;
            assert_eq!(s, 200);
            assert_eq!(p["status"]["bidStatus"], "Fulfilled", "still billed");
        }
    }
}

#[tokio::test]
async fn delete_returns_a_status_or_the_object() {
    let t = with("delete-returns=status").await;
    t.cloudspace("c1").await;
    let (s, b) = t.delete(&format!("{}/c1", t.url("cloudspaces"))).await;
    assert_eq!(s, 200);
    assert_eq!(
        (&b["kind"], &b["status"], &b["details"]["name"]),
        (&json!("Status"), &json!("Success"), &json!("c1"))
    );

    let t = with("delete-returns=object").await;
    t.cloudspace("c1").await;
    assert_eq!(t.spot(POOL_A, "c1", "0.01").await.0, 201);
    let (s, b) = t.delete(&format!("{}/c1", t.url("cloudspaces"))).await;
    assert_eq!(s, 200);
    assert_eq!(b["kind"], "CloudSpace");
    assert_eq!(b["metadata"]["name"], "c1");
    assert!(b["metadata"]["deletionTimestamp"].is_string(), "{b}");
    assert_eq!(b["status"]["phase"], "Deleting");
    let (s, b) = t
        .delete(&format!("{}/{POOL_A}", t.url("spotnodepools")))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["kind"], "SpotNodePool");
    assert!(b["metadata"]["deletionTimestamp"].is_string(), "{b}");
    assert!(b.get("details").is_none());
}

#[tokio::test]
async fn label_selector_honoured_or_ignored_by_the_gateway() {
    for (setting, want) in [
        ("label-selector=honoured", vec![POOL_A]),
        ("label-selector=ignored", vec![POOL_A, POOL_B]),
    ] {
        let t = with(setting).await;
        t.cloudspace("c1").await;
        t.cloudspace("c2").await;
        assert_eq!(t.spot(POOL_A, "c1", "0.01").await.0, 201);
        assert_eq!(t.spot(POOL_B, "c2", "0.01").await.0, 201);
        let url = format!(
            "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Dc1",
            t.url("spotnodepools")
        );
        let (s, list) = t.get(&url).await;
        assert_eq!(s, 200);
        let mut got = names(&list);
        got.sort_unstable();
        let mut want = want.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{setting}: another cloudspace's pool leaks in");
        // A collection delete with a dropped selector deletes everything.
        let (s, _) = t.delete(&url).await;
        assert_eq!(s, 200);
        assert_eq!(t.stored_pools(), 2 - want.len(), "{setting}");
    }
}

#[tokio::test]
async fn paging_honoured_or_ignored() {
    let t = with("paging=honoured").await;
    for n in ["a", "b", "c"] {
        t.cloudspace(n).await;
    }
    let (_, page) = t.get(&format!("{}?limit=2", t.url("cloudspaces"))).await;
    assert_eq!(names(&page), ["a", "b"]);
    let next = page["metadata"]["continue"].as_str().unwrap().to_string();
    assert!(!next.is_empty());
    let (_, page) = t
        .get(&format!("{}?limit=2&continue={next}", t.url("cloudspaces")))
        .await;
    assert_eq!(names(&page), ["c"]);
    assert_eq!(page["metadata"]["continue"], "");

    // Ignored: the whole list and no continue token, even with a gateway page size.
    let t = with_opts(EmulatorOptions {
        page_size: Some(1),
        ..options("paging=ignored")
    })
    .await;
    for n in ["a", "b", "c"] {
        t.cloudspace(n).await;
    }
    let (s, page) = t.get(&format!("{}?limit=2", t.url("cloudspaces"))).await;
    assert_eq!(s, 200);
    assert_eq!(names(&page), ["a", "b", "c"]);
    assert!(page["metadata"].get("continue").is_none(), "{page}");
    assert!(page["metadata"].get("remainingItemCount").is_none());
}

#[tokio::test]
async fn dry_run_supported_or_rejected() {
    let body = json!({"metadata": {"name": "dry"},
        "spec": {"region": REGION, "kubernetesVersion": "1.31.1"}});
    let t = with("dry-run=supported").await;
    let url = format!("{}?dryRun=All", t.url("cloudspaces"));
    let (s, b) = t.post(&url, body.clone()).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["metadata"]["name"], "dry");
    assert_eq!(t.get(&format!("{}/dry", t.url("cloudspaces"))).await.0, 404);
    // A dry-run create still validates.
    let (s, _) = t
        .post(&url, json!({"metadata": {"name": "x"}, "spec": {"region": "mars-1", "kubernetesVersion": "1"}}))
        .await;
    assert_eq!(s, 403);
    t.cloudspace("real").await;
    let (s, _) = t
        .delete(&format!("{}/real?dryRun=All", t.url("cloudspaces")))
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        t.get(&format!("{}/real", t.url("cloudspaces"))).await.0,
        200
    );

    let t = with("dry-run=rejected").await;
    let (s, b) = t
        .post(&format!("{}?dryRun=All", t.url("cloudspaces")), body)
        .await;
    assert_eq!((s, &b["reason"]), (400, &json!("BadRequest")), "{b}");
    assert!(t.emu.snapshot()[&t.ns].get("cloudspaces").is_none());
    t.cloudspace("real").await;
    let (s, _) = t
        .delete(&format!("{}/real?dryRun=All", t.url("cloudspaces")))
        .await;
    assert_eq!(s, 400);
    assert_eq!(
        t.get(&format!("{}/real", t.url("cloudspaces"))).await.0,
        200
    );
}

#[tokio::test]
async fn dry_run_core_only_takes_the_spec_kinds_and_refuses_the_others() {
    let t = with("dry-run=core-only").await;
    let body = json!({"metadata": {"name": "dry"},
        "spec": {"region": REGION, "kubernetesVersion": "1.31.1"}});
    let (s, b) = t
        .post(&format!("{}?dryRun=All", t.url("cloudspaces")), body)
        .await;
    assert_eq!(s, 201, "the spec's kinds take dryRun=All: {b}");
    assert_eq!(t.get(&format!("{}/dry", t.url("cloudspaces"))).await.0, 404);
    let key = json!({"metadata": {"name": "k"}, "spec": {"publicKey":
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host"}});
    let (s, b) = t
        .post(&format!("{}?dryRun=All", t.url("vmsshkeys")), key)
        .await;
    assert_eq!((s, &b["reason"]), (400, &json!("BadRequest")), "{b}");
    assert!(
        b["message"].as_str().unwrap_or("").contains("dryRun"),
        "{b}"
    );
}

#[tokio::test]
async fn bad_refresh_token_is_auth0_403_or_spec_401() {
    for (setting, status, body) in [
        (
            "bad-refresh-token=403",
            403,
            json!({"error": "invalid_grant", "error_description": "Unknown or invalid refresh token."}),
        ),
        (
            "bad-refresh-token=401",
            401,
            json!({"error": "access_denied", "error_description": "Unauthorized"}),
        ),
    ] {
        let t = with(setting).await;
        let got = exchange(&t.http, &t.emu.base_url(), "not-a-token").await;
        assert_eq!(
            got,
            (StatusCode::from_u16(status).unwrap(), body.clone()),
            "{setting}"
        );
        t.emu.revoke_refresh_token("demo-token");
        let got = exchange(&t.http, &t.emu.base_url(), "demo-token").await;
        assert_eq!(got.0.as_u16(), status, "{setting}: revoked");
    }
}

#[tokio::test]
async fn token_rotation_off_or_on() {
    let t = with("token-rotation=off").await;
    let base = t.emu.base_url();
    for _ in 0..2 {
        let (s, b) = exchange(&t.http, &base, "demo-token").await;
        assert_eq!(s, 200);
        assert!(b.get("refresh_token").is_none(), "{b}");
    }

    let t = with("token-rotation=on").await; // `with` spent demo-token once already
    let base = t.emu.base_url();
    let (s, b) = exchange(&t.http, &base, "demo-token").await;
    assert_eq!(s, 403, "the seeded token was rotated away: {b}");
    assert_eq!(b["error"], "invalid_grant");
    // A fresh emulator, to follow one chain from the seed token.
    let emu = Emulator::start_with(options("token-rotation=on"))
        .await
        .unwrap();
    let base = emu.base_url();
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    let http = reqwest::Client::new();
    let (s, b1) = exchange(&http, &base, "demo-token").await;
    assert_eq!(s, 200);
    let r1 = b1["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r1, "demo-token");
    let (s, b2) = exchange(&http, &base, &r1).await;
    assert_eq!(s, 200, "{b2}");
    let r2 = b2["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(r2, r1);
    assert_eq!(exchange(&http, &base, &r1).await.0, 403, "r1 was spent");
    // generate-kubeconfig takes the live token and refuses a spent one.
    let kc = |token: String| {
        let http = http.clone();
        let url = format!("{base}/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig");
        async move {
            http.post(url)
                .json(
                    &json!({"organization_name": "demo", "cloudspace_name": "nope",
                    "refresh_token": token}),
                )
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(kc(r2.clone()).await, 404, "live token reaches the lookup");
    assert_eq!(kc(r1).await, 401);
    assert_eq!(kc("demo-token".into()).await, 401);
}

#[tokio::test]
async fn webhook_denials_are_403_or_400_and_schema_errors_stay_422() {
    for (setting, status, reason) in [
        ("webhook-denial=403", 403, "Forbidden"),
        ("webhook-denial=400", 400, "BadRequest"),
    ] {
        let t = with(setting).await;
        t.cloudspace("c1").await;
        let (s, b) = t.spot(POOL_A, "c1", "0.005").await;
        assert_eq!((s, b["reason"].as_str().unwrap()), (status, reason), "{b}");
        assert_eq!(b["kind"], "Status");
        assert_eq!(
            b["message"],
            "admission webhook \"vspotnodepool.ngpc.rxt.io\" denied the request: BidPrice must \
             be greater than or equal to the minimum bid price of 0.01"
        );
        let (s, b) = t
            .post(
                &t.url("cloudspaces"),
                json!({"metadata": {"name": "x"}, "spec": {"region": "mars-1", "kubernetesVersion": "1.31.1"}}),
            )
            .await;
        assert_eq!(s, status, "{setting}: unknown region: {b}");
        let (s, b) = t.spot(POOL_A, "c1", "0.0125").await;
        assert_eq!((s, &b["reason"]), (422, &json!("Invalid")), "{b}");
    }
}

#[tokio::test]
async fn bid_rules_ladder_or_decimals() {
    let t = with("bid-rules=ladder").await;
    t.cloudspace("c1").await;
    let (s, b) = t.spot(POOL_A, "c1", "0.05").await;
    assert_eq!(s, 403, "{b}");
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("not on the bid ladder (next accepted bid: 0.06)"),
        "{b}"
    );
    assert_eq!(t.spot(POOL_A, "c1", "0.06").await.0, 201);

    let t = with("bid-rules=decimals").await;
    t.cloudspace("c1").await;
    assert_eq!(t.spot(POOL_A, "c1", "0.05").await.0, 201);
    assert_eq!(t.spot(POOL_B, "c1", "0.015").await.0, 201);
    // The floor and the three decimals still hold.
    let (s, _) = t
        .spot("d2b6e9a1-7c3f-4f05-8a4e-b1c0d9e7f623", "c1", "0.005")
        .await;
    assert_eq!(s, 403);
    let (s, _) = t
        .spot("d2b6e9a1-7c3f-4f05-8a4e-b1c0d9e7f623", "c1", "0.0155")
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn phases_extended_pass_through_every_phase() {
    let t = with("phases=extended").await;
    let cs_url = format!("{}/c1", t.url("cloudspaces"));
    let cs = t.cloudspace("c1").await;
    assert_eq!(cs["status"]["phase"], "Provisioning");
    assert_eq!(t.spot(POOL_A, "c1", "0.01").await.0, 201);
    t.later();
    assert_eq!(t.get(&cs_url).await.1["status"]["phase"], "Ready");
    let (_, cs) = t
        .merge(&cs_url, json!({"spec": {"kubernetesVersion": "1.33.0"}}))
        .await;
    assert_eq!(cs["status"]["phase"], "Upgrading");
    t.later();
    assert_eq!(t.get(&cs_url).await.1["status"]["phase"], "Ready");
    // The market passes every bid: nothing to run on.
    assert!(t.emu.set_market_price(CLASS, "0.500000"));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(cs["status"]["phase"], "NoWinningBids", "{cs}");
    assert!(t.emu.set_market_price(CLASS, "0.001000"));
    t.later();
    assert_eq!(t.get(&cs_url).await.1["status"]["phase"], "Ready");
    assert!(t.emu.break_cloudspace("c1", "control plane unreachable"));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(
        (&cs["status"]["phase"], &cs["status"]["reason"]),
        (&json!("Error"), &json!("control plane unreachable"))
    );
    assert_eq!(t.delete(&cs_url).await.0, 200);
    let (s, cs) = t.get(&cs_url).await;
    assert_eq!(s, 200, "still visible while deleting");
    assert_eq!(cs["status"]["phase"], "Deleting");
    assert!(cs["metadata"]["deletionTimestamp"].is_string());
    t.later();
    assert_eq!(t.get(&cs_url).await.0, 404);
}

#[tokio::test]
async fn phases_basic_show_no_phase_until_ready_and_act_at_once() {
    let t = with("phases=basic").await;
    let cs_url = format!("{}/c1", t.url("cloudspaces"));
    let cs = t.cloudspace("c1").await;
    assert!(cs["status"].get("phase").is_none(), "{cs}");
    assert_eq!(t.spot(POOL_A, "c1", "0.01").await.0, 201);
    t.later();
    assert_eq!(t.get(&cs_url).await.1["status"]["phase"], "Ready");
    let (_, cs) = t
        .merge(&cs_url, json!({"spec": {"kubernetesVersion": "1.33.0"}}))
        .await;
    assert_eq!(cs["status"]["phase"], "Ready");
    assert_eq!(cs["status"]["currentKubernetesVersion"], "1.33.0");
    assert!(t.emu.set_market_price(CLASS, "0.500000"));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(cs["status"]["phase"], "Ready");
    let (_, p) = t.get(&format!("{}/{POOL_A}", t.url("spotnodepools"))).await;
    assert_eq!(p["status"]["bidStatus"], "Lost");
    assert!(t.emu.break_cloudspace("c1", "broken"));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(
        (&cs["status"]["phase"], &cs["status"]["health"]),
        (&json!("Ready"), &json!("Unhealthy"))
    );
    assert_eq!(t.delete(&cs_url).await.0, 200);
    assert_eq!(t.get(&cs_url).await.0, 404, "gone at once");
}

#[tokio::test]
async fn kubeconfig_for_an_unknown_cloudspace_is_404_or_400() {
    for (setting, status, check) in [
        ("kubeconfig-unknown=404", 404, ("reason", "NotFound")),
        ("kubeconfig-unknown=400", 400, ("error", "bad_request")),
    ] {
        let t = with(setting).await;
        let r = t
            .http
            .post(format!(
                "{}/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig",
                t.emu.base_url()
            ))
            .json(
                &json!({"organization_name": "demo", "cloudspace_name": "nosuch",
                "refresh_token": "demo-token"}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{setting}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b[check.0], check.1, "{setting}: {b}");
        assert!(b.to_string().contains("nosuch"), "{b}");
    }
}

#[tokio::test]
async fn autopilot_made_pools_carry_a_label_or_an_owner_reference() {
    for setting in ["autopilot-owner=label", "autopilot-owner=owner-reference"] {
        let t = with(setting).await;
        t.cloudspace("ap").await;
        t.later();
        let (s, ap) = t
            .post(
                &t.url("autopilotnodepools"),
                json!({"metadata": {"name": AUTOPILOT},
                    "spec": {"cloudSpace": "ap", "region": REGION, "vcpu": {"total": 4},
                        "budgetPerHour": "0.01"}}),
            )
            .await;
        assert_eq!(s, 201, "{setting}: {ap}");
        t.later();
        let (_, list) = t.get(&t.url("spotnodepools")).await;
        let items = list["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{setting}: {list}");
        let meta = &items[0]["metadata"];
        assert_eq!(meta["labels"]["ngpc.rxt.io/cloudspace"], "ap", "{setting}");
        let label = &meta["labels"]["ngpc.rxt.io/autopilotnodepool"];
        let owner = &meta["ownerReferences"][0];
        if setting.ends_with("=label") {
            assert_eq!(label, AUTOPILOT, "{setting}: {meta}");
            assert!(owner.is_null(), "{setting}: {meta}");
        } else {
            assert!(label.is_null(), "{setting}: {meta}");
            assert_eq!(owner["kind"], "AutopilotNodePool", "{setting}: {meta}");
            assert_eq!(owner["uid"], ap["metadata"]["uid"], "{setting}: {meta}");
        }
        let (s, _) = t
            .delete(&format!("{}/{AUTOPILOT}", t.url("autopilotnodepools")))
            .await;
        assert_eq!(s, 200, "{setting}");
        assert_eq!(
            t.stored_pools(),
            0,
            "{setting}: the made pool outlived its owner"
        );
    }
}

#[test]
fn every_variant_value_has_a_test_here() {
    // The variants of autopilot and VM pools are tested beside the rest of their kind.
    let src = [
        include_str!("emulator_variants.rs"),
        include_str!("emulator_autopilot.rs"),
        include_str!("emulator_vm.rs"),
    ]
    .concat();
    for s in VariantSetting::all() {
        assert!(src.contains(&format!("\"{s}\"")), "no test uses {s}");
    }
}
