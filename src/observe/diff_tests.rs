use super::*;
use crate::observe::snapshot::{AutopilotState, ClassPrice, CloudspaceState, VmServerState};

fn pool(won: i64, status: &str, bid: &str) -> PoolState {
    PoolState {
        kind: PoolKind::Spot,
        name: "p1".into(),
        cloudspace: Some("demo".into()),
        class: Some("gp.vs1.medium-dfw".into()),
        desired: Some(3),
        won: Some(won),
        bid: bid.parse().ok(),
        status: Some(status.into()),
    }
}

fn snap(p: PoolState, market: &str) -> Snapshot {
    let mut s = Snapshot::default();
    s.pools.insert("spot/p1".into(), p);
    s.prices.insert(
        "gp.vs1.medium-dfw".into(),
        ClassPrice {
            region: "us-central-dfw-1".into(),
            market: market.parse().ok(),
            min_bid: None,
            on_demand: None,
            p50: None,
            p80: None,
        },
    );
    s
}

#[test]
fn same_snapshot_is_no_change() {
    let s = snap(pool(3, "Fulfilled", "0.1"), "0.05");
    assert!(diff(&s, &s).is_empty());
}

#[test]
fn won_drop_is_a_preemption_and_status_change_follows() {
    let a = snap(pool(3, "Fulfilled", "0.1"), "0.05");
    let b = snap(pool(1, "Lost", "0.1"), "0.05");
    let changes = diff(&a, &b);
    let types: Vec<_> = changes.iter().map(Change::event_type).collect();
    assert_eq!(types, ["pool.preempted", "pool.bid_status_changed"]);
    assert_eq!(changes[0].subject(), "cloudspaces/demo/spotnodepools/p1");
}

#[test]
fn market_crossing_the_bid_is_an_outbid_risk_once() {
    let a = snap(pool(3, "Fulfilled", "0.1"), "0.05");
    let b = snap(pool(3, "Fulfilled", "0.1"), "0.2");
    let c = snap(pool(3, "Fulfilled", "0.1"), "0.3");
    assert_eq!(
        diff(&a, &b)
            .iter()
            .map(Change::event_type)
            .collect::<Vec<_>>(),
        ["pool.outbid_risk"]
    );
    assert!(diff(&b, &c).is_empty(), "still above the bid: no new event");
    assert_eq!(
        diff(&c, &a)
            .iter()
            .map(Change::event_type)
            .collect::<Vec<_>>(),
        ["pool.outbid_cleared"]
    );
}

#[test]
fn a_new_autopilot_pool_below_its_target_is_not_a_change() {
    let ap = |managed| AutopilotState {
        name: "ap".into(),
        cloudspace: Some("demo".into()),
        target_vcpus: Some(8),
        managed_vcpus: Some(managed),
        phase: None,
    };
    let empty = Snapshot::default();
    let mut packing = Snapshot::default();
    packing.autopilot.insert("ap".into(), ap(0));
    assert!(diff(&empty, &packing).is_empty());
    // Once at its target, a fall below it is.
    let mut full = Snapshot::default();
    full.autopilot.insert("ap".into(), ap(8));
    assert!(diff(&packing, &full).is_empty());
    let types: Vec<_> = diff(&full, &packing)
        .iter()
        .map(Change::event_type)
        .collect();
    assert_eq!(types, ["autopilot.under_target"]);
}

#[test]
fn phase_health_autopilot_vm_and_feed() {
    let mut a = Snapshot::default();
    let cs = |phase: &str, health: &str| CloudspaceState {
        name: "demo".into(),
        vm: false,
        region: None,
        phase: Some(phase.into()),
        health: Some(health.into()),
    };
    a.cloudspaces
        .insert("cloudspace/demo".into(), cs("Ready", "Healthy"));
    let ap = |managed| AutopilotState {
        name: "ap".into(),
        cloudspace: Some("demo".into()),
        target_vcpus: Some(8),
        managed_vcpus: Some(managed),
        phase: None,
    };
    a.autopilot.insert("ap".into(), ap(8));
    let server = |error: Option<&str>| VmServerState {
        vmcloudspace: "vms".into(),
        server: "s1".into(),
        pool: None,
        state: None,
        error: error.map(str::to_string),
    };
    a.vm_servers.insert("vms/s1".into(), server(None));
    a.events = vec!["t1 old".into()];
    let mut b = a.clone();
    b.cloudspaces
        .insert("cloudspace/demo".into(), cs("Error", "Unhealthy"));
    b.autopilot.insert("ap".into(), ap(4));
    b.vm_servers
        .insert("vms/s1".into(), server(Some("no capacity")));
    b.vm_servers.insert(
        "vms/s2".into(),
        VmServerState {
            server: "s2".into(),
            ..server(None)
        },
    );
    b.events = vec!["t3 newest".into(), "t2 newer".into(), "t1 old".into()];
    let types: Vec<_> = diff(&a, &b).iter().map(Change::event_type).collect();
    assert_eq!(
        types,
        [
            "cloudspace.phase_changed",
            "cloudspace.health_changed",
            "autopilot.under_target",
            "vm.server_error",
            "vm.server_added",
            "org.event",
            "org.event",
        ]
    );
    let feed: Vec<_> = diff(&a, &b)
        .into_iter()
        .filter_map(|c| match c {
            Change::OrgEvent { time, .. } => Some(time),
            _ => None,
        })
        .collect();
    assert_eq!(feed, ["t2", "t3"], "oldest first");
    b.vm_servers.clear();
    assert!(
        diff(&a, &b)
            .iter()
            .any(|c| c.event_type() == "vm.server_removed")
    );
}

#[test]
fn spend_counts_won_nodes_at_the_market_price() {
    let s = snap(pool(3, "Fulfilled", "0.1"), "0.05");
    assert_eq!(s.spend_per_hour(), "0.15".parse::<Decimal>().unwrap());
}
