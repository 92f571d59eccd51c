//! Autopilot node pools in the emulator, over real HTTP, against the official shape and rules
//! (API-NOTES §9.4): each rule refused with a 422 naming the field, the exact pack into child
//! spot pools, re-packing after a preemption, cooldown after a class failure, the status
//! (`managedVCPUs`, `allocations`, `classStates`, `allocationsHistory`) and the
//! `autopilot-phases` variant.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use rsspot::emulator::{EmulatorOptions, VariantSetting, Variants};
use serde_json::{Value, json};

use emulator_support::*;

const AP: &str = "3c1d9e7a-5b2f-4a68-9d0e-7f1a2b3c4d5e";
const REGION: &str = "us-central-dfw-1";

/// A cloudspace `cs` in dfw, Ready.
async fn ready_cloudspace(t: &T, cs: &str) {
    let (s, b) = t.create_cs(cs, REGION).await;
    assert_eq!(s, 201, "{b}");
    t.emu.advance(Duration::from_secs(3600));
}

fn spec(total: i64, extra: Value) -> Value {
    let mut spec = json!({"region": REGION, "cloudSpace": "ap", "vcpu": {"total": total},
        "budgetPerHour": "0.01"});
    for (k, v) in extra.as_object().into_iter().flatten() {
        spec[k] = v.clone();
    }
    spec
}

async fn create(t: &T, spec: Value) -> (StatusCode, Value) {
    t.post(
        &t.ns_url("autopilotnodepools"),
        json!({"metadata": {"name": AP}, "spec": spec}),
    )
    .await
}

async fn get_ap(t: &T) -> Value {
    let (s, b) = t
        .get(&format!("{}/{AP}", t.ns_url("autopilotnodepools")))
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

/// `class → (desiredNodes, wonNodes)`.
type Allocations = BTreeMap<String, (i64, i64)>;

/// The status's allocations.
fn allocations(ap: &Value) -> Allocations {
    ap["status"]["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["serverClass"].as_str().unwrap().to_string(),
                (
                    a["desiredNodes"].as_i64().unwrap(),
                    a["wonNodes"].as_i64().unwrap(),
                ),
            )
        })
        .collect()
}

fn alloc(rows: &[(&str, i64, i64)]) -> BTreeMap<String, (i64, i64)> {
    rows.iter()
        .map(|(c, d, w)| (c.to_string(), (*d, *w)))
        .collect()
}

fn class_state<'a>(ap: &'a Value, class: &str) -> &'a Value {
    ap["status"]["classStates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["serverClass"] == class)
        .unwrap_or_else(|| panic!("no classStates entry for {class}: {ap}"))
}

fn history_events(ap: &Value) -> Vec<(String, String)> {
    ap["status"]["allocationsHistory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event"].as_str().unwrap().to_string(),
                e["serverClass"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn causes(body: &Value) -> Vec<String> {
    body["details"]["causes"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(|c| c["field"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn spot_pools(t: &T) -> Vec<Value> {
    t.emu.snapshot()[&t.ns]["spotnodepools"]
        .as_object()
        .map(|m| m.values().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn every_official_rule_is_a_422_naming_the_field() {
    let t = setup().await;
    ready_cloudspace(&t, "ap").await;
    let (s, b) = t.create_cs("iad", "us-east-iad-1").await;
    assert_eq!(s, 201, "{b}");
    let without = |f: &str| {
        let mut s = spec(4, json!({}));
        s.as_object_mut().unwrap().remove(f);
        s
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("region"), "spec.region"),
        (spec(4, json!({"region": "mars-1"})), "spec.region"),
        (spec(4, json!({"region": "us-east-iad-1"})), "spec.region"),
        (without("cloudSpace"), "spec.cloudSpace"),
        (spec(4, json!({"cloudSpace": "nosuch"})), "spec.cloudSpace"),
        (without("vcpu"), "spec.vcpu.total"),
        (spec(0, json!({})), "spec.vcpu.total"),
        (spec(4, json!({"vcpu": {"total": "4"}})), "spec.vcpu.total"),
        (
            spec(4, json!({"vcpuPerNode": {"min": 8, "max": 4}})),
            "spec.vcpuPerNode.max",
        ),
        (
            spec(4, json!({"vcpuPerNode": {"min": "2"}})),
            "spec.vcpuPerNode.min",
        ),
        (spec(4, json!({"memoryPerVCPU": "3"})), "spec.memoryPerVCPU"),
        (spec(4, json!({"memoryPerVCPU": 4})), "spec.memoryPerVCPU"),
        (without("budgetPerHour"), "spec.budgetPerHour"),
        (spec(4, json!({"budgetPerHour": 0.5})), "spec.budgetPerHour"),
        (spec(4, json!({"budgetPerHour": "0"})), "spec.budgetPerHour"),
        (
            spec(4, json!({"budgetPerHour": "-1"})),
            "spec.budgetPerHour",
        ),
        (
            spec(4, json!({"budgetPerHour": "0.1234"})),
            "spec.budgetPerHour",
        ),
        (
            spec(4, json!({"budgetPerHour": "lots"})),
            "spec.budgetPerHour",
        ),
        (
            spec(4, json!({"allocationStrategy": "lowestPrice"})),
            "spec.allocationStrategy",
        ),
        (
            spec(4, json!({"customLabels": {"a": 1}})),
            "spec.customLabels.a",
        ),
        (
            spec(4, json!({"customAnnotations": "x"})),
            "spec.customAnnotations",
        ),
        (
            spec(
                4,
                json!({"customTaints": [{"key": "k", "effect": "Sometimes"}]}),
            ),
            "spec.customTaints[0].effect",
        ),
        (
            spec(4, json!({"customTaints": [{"effect": "NoSchedule"}]})),
            "spec.customTaints[0].key",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = create(&t, body.clone()).await;
        assert_eq!(s, 422, "{body} → {b}");
        assert_eq!(b["reason"], "Invalid", "{b}");
        assert!(
            causes(&b).iter().any(|c| c == field),
            "{body}: want {field} in {b}"
        );
    }
    // The name is a UUID like other pools.
    let (s, b) = t
        .post(
            &t.ns_url("autopilotnodepools"),
            json!({"metadata": {"name": "budget"}, "spec": spec(4, json!({}))}),
        )
        .await;
    assert_eq!(
        (s, causes(&b)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            vec!["metadata.name".to_string()]
        ),
        "{b}"
    );

    // A valid one, with every optional field; the defaults and the label are set.
    let (s, b) = create(
        &t,
        spec(
            4,
            json!({"customLabels": {"team": "a"}, "customAnnotations": {"note": "x"},
                "customTaints": [{"key": "k", "value": "v", "effect": "NoSchedule"},
                    {"key": "j", "effect": "NoExecute"}],
                "vcpuPerNode": {"min": 2}}),
        ),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["spec"]["memoryPerVCPU"], "any");
    assert_eq!(b["spec"]["allocationStrategy"], "LowestPrice");
    assert_eq!(b["metadata"]["labels"]["ngpc.rxt.io/cloudspace"], "ap");
    assert_eq!(b["status"]["targetVCPUs"], 4);
    assert_eq!(b["status"]["managedVCPUs"], 0);

    // Update: any spec field but region and cloudSpace.
    let url = format!("{}/{AP}", t.ns_url("autopilotnodepools"));
    for (patch, field) in [
        (json!({"spec": {"region": "us-east-iad-1"}}), "spec.region"),
        (json!({"spec": {"cloudSpace": "iad"}}), "spec.cloudSpace"),
        (
            json!({"spec": {"budgetPerHour": "0.0001"}}),
            "spec.budgetPerHour",
        ),
    ] {
        let (s, b) = t.merge(&url, patch.clone()).await;
        assert_eq!(s, 422, "{patch} → {b}");
        assert!(causes(&b).iter().any(|c| c == field), "{patch}: {b}");
        if field != "spec.budgetPerHour" {
            assert!(
                b["message"]
                    .as_str()
                    .unwrap()
                    .contains("field is immutable"),
                "{b}"
            );
        }
    }
    let (s, b) = t
        .merge(
            &url,
            json!({"spec": {"budgetPerHour": "0.02", "vcpu": {"total": 8}, "memoryPerVCPU": "2",
                "customTaints": null}}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["spec"]["budgetPerHour"], "0.02");
    assert_eq!(b["spec"]["vcpu"]["total"], 8);
}

#[tokio::test]
async fn the_target_is_packed_exactly_over_the_cheapest_qualifying_classes() {
    // dfw market: medium 2 vCPU 0.001, large 4 vCPU 0.003, xlarge 8 vCPU 0.005, mh 16 vCPU
    // 0.02 (8 GB per vCPU), bm2 24 vCPU 0.005; every class but mh bids 0.01.
    let cases: Vec<(Value, Allocations, i64, &str)> = vec![
        // Per-node bounds 4..8: 3 × 8 + 1 × 4 (0.018) beats 7 × 4 (0.021).
        (
            spec(28, json!({"vcpuPerNode": {"min": 4, "max": 8}})),
            alloc(&[("ch.vs1.xlarge-dfw", 3, 3), ("gp.vs1.large-dfw", 1, 1)]),
            28,
            "52.5",
        ),
        // No bounds: one 24-vCPU metal node and two 2-vCPU nodes (0.007).
        (
            spec(28, json!({})),
            alloc(&[("gp.bm2.medium-dfw", 1, 1), ("gp.vs1.medium-dfw", 2, 2)]),
            28,
            "71.5",
        ),
        // 8 GB per vCPU: only the memory-heavy class, whose bid (0.02) the ceiling must allow.
        (
            spec(32, json!({"memoryPerVCPU": "8", "budgetPerHour": "0.02"})),
            alloc(&[("mh.vs1.2xlarge-dfw", 2, 2)]),
            32,
            "240",
        ),
        // The same under a 0.01 ceiling: no class qualifies, nothing is allocated.
        (spec(32, json!({"memoryPerVCPU": "8"})), alloc(&[]), 0, "0"),
        // 3 vCPUs: no combination of 2/4/8/16/24 reaches it exactly.
        (spec(3, json!({})), alloc(&[]), 0, "0"),
    ];
    for (spec, want, managed, memory) in cases {
        let t = setup().await;
        ready_cloudspace(&t, "ap").await;
        let (s, b) = create(&t, spec.clone()).await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["status"]["phase"], "Pending");
        t.emu.advance(Duration::from_secs(120));
        let ap = get_ap(&t).await;
        let placed: BTreeMap<String, (i64, i64)> = want
            .iter()
            .map(|(c, (d, _))| (c.clone(), (*d, 0)))
            .collect();
        assert_eq!(
            allocations(&ap),
            placed,
            "{spec}: placed, nothing won yet: {ap}"
        );
        t.emu.advance(Duration::from_secs(120));
        let ap = get_ap(&t).await;
        assert_eq!(allocations(&ap), want, "{spec}: {ap}");
        let st = &ap["status"];
        assert_eq!(st["targetVCPUs"], spec["vcpu"]["total"], "{spec}");
        assert_eq!(st["managedVCPUs"], managed, "{spec}: {st}");
        assert_eq!(st["managedMemoryGB"], memory, "{spec}: {st}");
        let fulfilled = managed == spec["vcpu"]["total"].as_i64().unwrap();
        assert_eq!(
            st["phase"],
            if fulfilled { "Ready" } else { "Pending" },
            "{spec}"
        );
        // The child pools are real spot pools in the cloudspace, one per allocation.
        let pools = spot_pools(&t);
        assert_eq!(pools.len(), want.len(), "{spec}");
        for a in st["allocations"].as_array().unwrap() {
            let pool = pools
                .iter()
                .find(|p| p["metadata"]["name"] == a["spotNodePool"])
                .unwrap_or_else(|| panic!("no pool for {a}"));
            assert_eq!(pool["metadata"]["labels"]["ngpc.rxt.io/cloudspace"], "ap");
            assert_eq!(pool["spec"]["serverClass"], a["serverClass"]);
            assert_eq!(pool["spec"]["bidPrice"], a["bidPricePerHour"]);
            assert_eq!(pool["spec"]["desired"], a["desiredNodes"]);
            assert!(a["marketPricePerHour"].is_string() && a["memoryGBPerNode"].is_string());
            assert!(a["vcpuPerNode"].is_i64());
        }
        // Deleting the autopilot pool deletes its child pools.
        let (s, b) = t
            .send(
                Method::DELETE,
                &format!("{}/{AP}", t.ns_url("autopilotnodepools")),
                None,
            )
            .await;
        assert_eq!(s, 200, "{b}");
        assert!(
            spot_pools(&t).is_empty(),
            "{spec}: child pools outlived their owner"
        );
    }
}

/// An autopilot pool of 28 vCPUs on 4..8-vCPU nodes, fulfilled (3 × xlarge + 1 × large).
async fn fulfilled(t: &T) -> Value {
    ready_cloudspace(t, "ap").await;
    let (s, b) = create(t, spec(28, json!({"vcpuPerNode": {"min": 4, "max": 8}}))).await;
    assert_eq!(s, 201, "{b}");
    t.emu.advance(Duration::from_secs(120));
    let _ = get_ap(t).await;
    t.emu.advance(Duration::from_secs(120));
    let ap = get_ap(t).await;
    assert_eq!(ap["status"]["managedVCPUs"], 28, "{ap}");
    ap
}

#[tokio::test]
async fn a_preemption_repacks_and_cools_the_class_down() {
    let t = setup().await;
    let ap = fulfilled(&t).await;
    assert_eq!(class_state(&ap, "ch.vs1.xlarge-dfw")["lastOutcome"], "Won");
    let xlarge = ap["status"]["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["serverClass"] == "ch.vs1.xlarge-dfw")
        .unwrap()["spotNodePool"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(t.emu.preempt_nodes(&xlarge, 1));
    assert!(!t.emu.preempt_nodes("nosuch", 1));
    let ap = get_ap(&t).await;
    let state = class_state(&ap, "ch.vs1.xlarge-dfw");
    assert_eq!(state["lastOutcome"], "Preempted", "{ap}");
    assert!(state["cooldownUntil"].is_string(), "{state}");
    assert!(state["lastAttemptTime"].is_string(), "{state}");
    // Re-packed without the class: 7 × large.
    t.emu.advance(Duration::from_secs(60));
    let ap = get_ap(&t).await;
    assert_eq!(
        allocations(&ap),
        alloc(&[("gp.vs1.large-dfw", 7, 7)]),
        "{ap}"
    );
    assert_eq!(ap["status"]["managedVCPUs"], 28);
    assert_eq!(ap["status"]["targetVCPUs"], 28);
    let events = history_events(&ap);
    for want in [
        ("Allocated", "ch.vs1.xlarge-dfw"),
        ("NodesWon", "ch.vs1.xlarge-dfw"),
        ("Released", "ch.vs1.xlarge-dfw"),
        ("Resized", "gp.vs1.large-dfw"),
    ] {
        assert!(
            events.contains(&(want.0.to_string(), want.1.to_string())),
            "{want:?} not in {events:?}"
        );
    }
    let released = ap["status"]["allocationsHistory"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "Released")
        .unwrap();
    assert_eq!(released["spotNodePool"], xlarge.as_str());
    assert!(
        released["reason"].as_str().unwrap().contains("Preempted"),
        "{released}"
    );
    assert!(released["time"].is_string());
    // After the cooldown the cheaper pack comes back.
    t.emu.advance(Duration::from_secs(11 * 60));
    let _ = get_ap(&t).await;
    t.emu.advance(Duration::from_secs(120));
    let ap = get_ap(&t).await;
    assert_eq!(
        allocations(&ap),
        alloc(&[("ch.vs1.xlarge-dfw", 3, 3), ("gp.vs1.large-dfw", 1, 1)]),
        "{ap}"
    );
    assert!(
        class_state(&ap, "ch.vs1.xlarge-dfw")
            .get("cooldownUntil")
            .is_none()
    );
}

#[tokio::test]
async fn a_failing_class_goes_into_cooldown_and_is_avoided() {
    let t = setup().await;
    assert!(
        t.emu
            .fail_server_class("ch.vs1.xlarge-dfw", "no capacity in dfw")
    );
    assert!(!t.emu.fail_server_class("nosuch", "x"));
    ready_cloudspace(&t, "ap").await;
    let (s, b) = create(&t, spec(28, json!({"vcpuPerNode": {"min": 4, "max": 8}}))).await;
    assert_eq!(s, 201, "{b}");
    t.emu.advance(Duration::from_secs(120));
    let ap = get_ap(&t).await;
    assert_eq!(
        class_state(&ap, "ch.vs1.xlarge-dfw")["lastOutcome"],
        "Pending"
    );
    t.emu.advance(Duration::from_secs(120));
    let ap = get_ap(&t).await;
    let state = class_state(&ap, "ch.vs1.xlarge-dfw");
    assert_eq!(state["lastOutcome"], "NoCapacity", "{ap}");
    let at =
        chrono::DateTime::parse_from_rfc3339(state["lastAttemptTime"].as_str().unwrap()).unwrap();
    let until =
        chrono::DateTime::parse_from_rfc3339(state["cooldownUntil"].as_str().unwrap()).unwrap();
    assert_eq!((until - at).num_seconds(), 600, "{state}");
    t.emu.advance(Duration::from_secs(60));
    let ap = get_ap(&t).await;
    assert_eq!(
        allocations(&ap),
        alloc(&[("gp.vs1.large-dfw", 7, 7)]),
        "{ap}"
    );
    assert_eq!(ap["status"]["managedVCPUs"], 28);
    assert_eq!(ap["status"]["phase"], "Ready");
    // Still failing after the cooldown: tried again, cooled down again.
    t.emu.advance(Duration::from_secs(11 * 60));
    let _ = get_ap(&t).await;
    t.emu.advance(Duration::from_secs(120));
    let ap = get_ap(&t).await;
    assert_eq!(
        class_state(&ap, "ch.vs1.xlarge-dfw")["lastOutcome"],
        "NoCapacity"
    );
    let allocated = history_events(&ap)
        .iter()
        .filter(|e| *e == &("Allocated".to_string(), "ch.vs1.xlarge-dfw".to_string()))
        .count();
    assert_eq!(allocated, 2, "{ap}");
    // Restored: the class is used again once its cooldown is over.
    assert!(t.emu.restore_server_class("ch.vs1.xlarge-dfw"));
    t.emu.advance(Duration::from_secs(11 * 60));
    let _ = get_ap(&t).await;
    t.emu.advance(Duration::from_secs(120));
    let ap = get_ap(&t).await;
    assert_eq!(
        allocations(&ap),
        alloc(&[("ch.vs1.xlarge-dfw", 3, 3), ("gp.vs1.large-dfw", 1, 1)]),
        "{ap}"
    );
}

#[tokio::test]
async fn a_market_move_past_the_ceiling_is_outbid_and_repacked() {
    let t = setup().await;
    fulfilled(&t).await;
    // The xlarge market rises above the 0.01 ceiling: its pool loses, the class cools down.
    assert!(t.emu.set_market_price("ch.vs1.xlarge-dfw", "0.012000"));
    let ap = get_ap(&t).await;
    assert_eq!(
        class_state(&ap, "ch.vs1.xlarge-dfw")["lastOutcome"],
        "Outbid",
        "{ap}"
    );
    t.emu.advance(Duration::from_secs(60));
    let ap = get_ap(&t).await;
    assert_eq!(
        allocations(&ap),
        alloc(&[("gp.vs1.large-dfw", 7, 7)]),
        "{ap}"
    );
    let released = ("Released".to_string(), "ch.vs1.xlarge-dfw".to_string());
    assert!(history_events(&ap).contains(&released), "{ap}");
}

#[tokio::test]
async fn autopilot_phases_variant_names_the_phases() {
    for (setting, working, done) in [
        ("autopilot-phases=ready", "Pending", "Ready"),
        ("autopilot-phases=allocated", "Allocating", "Allocated"),
        ("autopilot-phases=running", "Provisioning", "Running"),
    ] {
        let s: VariantSetting = setting.parse().unwrap();
        let t = setup_with(EmulatorOptions {
            variants: Variants::default().with(s),
            ..EmulatorOptions::default()
        })
        .await;
        ready_cloudspace(&t, "ap").await;
        let (s, b) = create(&t, spec(4, json!({}))).await;
        assert_eq!(s, 201, "{b}");
        assert_eq!(b["status"]["phase"], working, "{setting}");
        t.emu.advance(Duration::from_secs(120));
        let ap = get_ap(&t).await;
        assert_eq!(ap["status"]["phase"], working, "{setting}: placed, not won");
        t.emu.advance(Duration::from_secs(120));
        let ap = get_ap(&t).await;
        assert_eq!(ap["status"]["phase"], done, "{setting}: {ap}");
        assert_eq!(ap["status"]["managedVCPUs"], ap["status"]["targetVCPUs"]);
    }
}
