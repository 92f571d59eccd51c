//! Part of `tests/emulator_variants.rs`: the variants of auth, webhooks, bids, phases, kubeconfig
//! and autopilot ownership, and the check that every variant value has a test.

use super::*;

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
        include_str!("../emulator_variants.rs"),
        include_str!("more.rs"),
        include_str!("../emulator_autopilot.rs"),
        include_str!("../emulator_vm.rs"),
    ]
    .concat();
    for s in VariantSetting::all() {
        assert!(src.contains(&format!("\"{s}\"")), "no test uses {s}");
    }
}
