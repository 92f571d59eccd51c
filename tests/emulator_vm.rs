//! VM cloudspaces and VM pools in the emulator, over real HTTP: the official status shape
//! (API-NOTES §9.4: `phase`, `reason`, `health`, `bids`, `assignedServers` with memory and an
//! `error` for a failed server), the cloudspace's health and reason, and the variants
//! `vm-ondemand-bid` and `vm-image`.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::Duration;

use reqwest::StatusCode;
use rsspot::emulator::{EmulatorOptions, VariantSetting, Variants};
use serde_json::{Value, json};

use emulator_support::*;

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";
const CLASS: &str = "gp.vs1.medium-dfw";

async fn with(setting: &str) -> T {
    let s: VariantSetting = setting.parse().unwrap();
    setup_with(EmulatorOptions {
        variants: Variants::default().with(s),
        ..EmulatorOptions::default()
    })
    .await
}

/// An SSH key and a VM cloudspace `vm` in dfw.
async fn vm_cloudspace(t: &T) -> Value {
    let (s, b) = t
        .post(
            &t.ns_url("vmsshkeys"),
            json!({"metadata": {"name": "key"}, "spec": {"publicKey": KEY}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = t
        .post(
            &t.ns_url("vmcloudspaces"),
            json!({"metadata": {"name": "vm"}, "spec": {"region": "us-central-dfw-1",
                "vmSshKeyRef": {"name": "key"}}}),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn vm_pool(t: &T, name: &str, spec: Value) -> (StatusCode, Value) {
    let mut body = json!({"vmCloudSpace": "vm", "serverClass": CLASS, "desired": 1});
    for (k, v) in spec.as_object().into_iter().flatten() {
        body[k] = v.clone();
    }
    t.post(
        &t.ns_url("vmpools"),
        json!({"metadata": {"name": name}, "spec": body}),
    )
    .await
}

fn fields(b: &Value) -> Vec<String> {
    b["details"]["causes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["field"].as_str().map(String::from))
        .collect()
}

#[tokio::test]
async fn vm_ondemand_bid_is_ignored_required_or_refused() {
    for setting in [
        "vm-ondemand-bid=ignored",
        "vm-ondemand-bid=required",
        "vm-ondemand-bid=refused",
    ] {
        let t = with(setting).await;
        vm_cloudspace(&t).await;
        let (with_bid, b1) = vm_pool(
            &t,
            POOL_A,
            json!({"poolType": "ondemand", "bidPrice": "0.02"}),
        )
        .await;
        let (without, b2) = vm_pool(&t, POOL_B, json!({"poolType": "ondemand"})).await;
        let want = match setting {
            "vm-ondemand-bid=ignored" => (201, 201),
            "vm-ondemand-bid=required" => (201, 422),
            _ => (422, 201),
        };
        assert_eq!(
            (with_bid.as_u16(), without.as_u16()),
            want,
            "{setting}: {b1} / {b2}"
        );
        for b in [&b1, &b2] {
            if b["code"] == 422 {
                assert_eq!(fields(b), vec!["spec.bidPrice"], "{setting}: {b}");
            }
        }
        // A malformed bid is refused whatever the variant.
        let (s, b) = vm_pool(
            &t,
            POOL_C,
            json!({"poolType": "ondemand", "bidPrice": "0.0001"}),
        )
        .await;
        assert_eq!(s, 422, "{setting}: {b}");
        // Spot pools always need their bid.
        let (s, b) = vm_pool(&t, POOL_C, json!({"poolType": "spot"})).await;
        assert_eq!(
            (s.as_u16(), fields(&b)),
            (422, vec!["spec.bidPrice".into()]),
            "{setting}"
        );
    }
}

#[tokio::test]
async fn vm_image_is_optional_or_required() {
    for setting in ["vm-image=optional", "vm-image=required"] {
        let t = with(setting).await;
        vm_cloudspace(&t).await;
        let (s, b) = vm_pool(&t, POOL_A, json!({"bidPrice": "0.02"})).await;
        if setting.ends_with("optional") {
            assert_eq!(s, 201, "{setting}: {b}");
            assert_eq!(b["spec"]["vmImage"], "ubuntu24.04");
        } else {
            assert_eq!(s, 422, "{setting}: {b}");
            assert_eq!(fields(&b), vec!["spec.vmImage"]);
            assert!(
                b["message"]
                    .as_str()
                    .unwrap()
                    .contains("spec.vmImage: Required value"),
                "{b}"
            );
        }
        let (s, b) = vm_pool(
            &t,
            POOL_B,
            json!({"bidPrice": "0.02", "vmImage": "debian12"}),
        )
        .await;
        assert_eq!(s, 201, "{setting}: {b}");
        assert_eq!(b["spec"]["vmImage"], "debian12");
    }
}

#[tokio::test]
async fn vm_cloudspace_status_has_the_official_shape() {
    let t = setup().await;
    let made = vm_cloudspace(&t).await;
    assert_eq!(made["status"]["phase"], "Provisioning");
    assert_eq!(made["status"]["health"], "Unknown");
    assert!(!made["status"]["reason"].as_str().unwrap().is_empty());
    let (s, b) = vm_pool(&t, POOL_A, json!({"bidPrice": "0.02", "desired": 2})).await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = vm_pool(&t, POOL_B, json!({"poolType": "ondemand"})).await;
    assert_eq!(s, 201, "{b}");
    t.emu.advance(Duration::from_secs(3600));
    let url = format!("{}/vm", t.ns_url("vmcloudspaces"));
    let (_, cs) = t.get(&url).await;
    let st = &cs["status"];
    assert_eq!(st["phase"], "Ready", "{st}");
    assert_eq!(st["health"], "Healthy");
    assert_eq!(st["reason"], "");
    assert_eq!(
        st["bids"][POOL_A],
        json!({"bidName": POOL_A, "type": "spot", "wonCount": 2})
    );
    assert_eq!(
        st["bids"][POOL_B],
        json!({"bidName": POOL_B, "type": "ondemand", "wonCount": 1})
    );
    let servers = st["assignedServers"].as_object().unwrap();
    assert_eq!(servers.len(), 3);
    for s in servers.values() {
        assert_eq!(s["memory"], "3.75GB", "{s}");
        assert!(s.get("error").is_none(), "{s}");
    }
    // A failed server carries its error; the VM cloudspace is Degraded and says why.
    assert!(t.emu.fail_server_class(CLASS, "host lost"));
    let (_, cs) = t.get(&url).await;
    let st = &cs["status"];
    assert_eq!(st["health"], "Degraded", "{st}");
    assert!(st["reason"].as_str().unwrap().contains("host lost"), "{st}");
    assert!(
        st["assignedServers"]
            .as_object()
            .unwrap()
            .values()
            .all(|s| s["error"] == "host lost" && s["state"] == "Failed"),
        "{st}"
    );
    assert!(t.emu.restore_server_class(CLASS));
    let (_, cs) = t.get(&url).await;
    assert_eq!(cs["status"]["health"], "Healthy");
}

#[tokio::test]
async fn cloudspace_health_and_reason_follow_its_state() {
    let t = setup().await;
    let (s, cs) = t.create_cs("hr", "us-central-dfw-1").await;
    assert_eq!(s, 201, "{cs}");
    assert_eq!(cs["status"]["health"], "Unknown");
    assert!(!cs["status"]["reason"].as_str().unwrap().is_empty());
    t.emu.advance(Duration::from_secs(3600));
    let (s, b) = t.create_spot(POOL_A, "hr", CLASS, "0.01").await;
    assert_eq!(s, 201, "{b}");
    t.emu.advance(Duration::from_secs(3600));
    let url = format!("{}/hr", t.ns_url("cloudspaces"));
    let (_, cs) = t.get(&url).await;
    let st = &cs["status"];
    for f in [
        "phase",
        "health",
        "reason",
        "APIServerEndpoint",
        "currentKubernetesVersion",
        "firstReadyTimestamp",
        "cloudspaceClassName",
        "bids",
        "assignedServers",
    ] {
        assert!(st.get(f).is_some(), "status.{f} missing: {st}");
    }
    assert_eq!(
        (&st["phase"], &st["health"], &st["reason"]),
        (&json!("Ready"), &json!("Healthy"), &json!(""))
    );
    assert_eq!(st["bids"][POOL_A]["wonCount"], 2);
    // Its only spot pool has no capacity: no winning bid, Degraded with a reason.
    assert!(t.emu.fail_server_class(CLASS, "no capacity"));
    let (_, cs) = t.get(&url).await;
    let st = &cs["status"];
    assert_eq!(st["phase"], "NoWinningBids", "{st}");
    assert_eq!(st["health"], "Degraded");
    assert!(!st["reason"].as_str().unwrap().is_empty());
    assert!(t.emu.restore_server_class(CLASS));
    let (_, cs) = t.get(&url).await;
    assert_eq!(
        (&cs["status"]["phase"], &cs["status"]["health"]),
        (&json!("Ready"), &json!("Healthy"))
    );
}
