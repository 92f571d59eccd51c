//! The scripted workload: twelve rounds of cloudspace and pool operations, each round with its
//! forced fault on top of the random rate, then the final state, the figures and the verdict.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rsspot::SpotClient;
use rsspot::emulator::{Emulator, EmulatorOptions};
use rsspot::pricing::advice::Risk;
use rsspot::services::node_pools::PoolUpdate;
use rsspot::services::{
    CloudSpaceCreate, CloudSpaceUpdate, OnDemandPoolCreate, ServerClassFilter, SpotPoolCreate,
    SpotPoolUpdate,
};
use serde_json::Value;

use super::journal::Failure;
use super::model::{CsModel, Expect, Figures, PoolModel, PoolRef, Suite, check_final_state};
use super::{Forced, MAX_ATTEMPTS, POOL_ID, REGIONS, SCHEDULE, fast_retry, fast_wait, pool_name};

pub(crate) async fn workload() {
    let started = Instant::now();
    let emu = Emulator::start_with(EmulatorOptions {
        // The script advances the clock by hours; tokens must outlive it.
        token_lifetime: Duration::from_secs(400 * 86_400),
        ..Default::default()
    })
    .await
    .unwrap();
    let c = SpotClient::builder()
        .all_urls(emu.base_url())
        .refresh_token("demo-token")
        .retry(fast_retry())
        .in_memory_state()
        // Every operation must reach the server: the suite measures the request path.
        .cache(false)
        .build()
        .await
        .unwrap();

    // Warm-up without faults: token, namespace, bids the server will accept.
    let ns = c.namespace(None).await.unwrap();
    let mut bids = BTreeMap::new();
    for (_, spot, _) in REGIONS {
        let med = c.pricing().advise(spot, Risk::Med).await.unwrap().bid;
        let low = c.pricing().advise(spot, Risk::Low).await.unwrap().bid;
        bids.insert(spot, (med, low));
    }
    let warmup_requests = emu.journal().len();
    let warmup_retries = c.stats().retries();

    let mut s = Suite {
        emu: &emu,
        ns,
        figures: Figures::default(),
        violations: Vec::new(),
        cloudspaces: BTreeMap::new(),
        pools: BTreeMap::new(),
        journal_seen: warmup_requests,
    };
    let opts = fast_wait();

    for (r, forced) in SCHEDULE.iter().copied().enumerate() {
        let (region, spot_class, od_class) = REGIONS[r % 2];
        let (bid_med, bid_low) = bids[spot_class];
        let cs = format!("fs-{r:02}");
        let cs_path = s.path("cloudspaces", Some(&cs));
        let cs_coll = s.path("cloudspaces", None);

        // 1. Create the cloudspace.
        if forced == Forced::LoseCloudspaceCreate {
            emu.faults().lose_next_write_responses(1);
        }
        let what = format!("create cloudspace {cs}");
        let req = CloudSpaceCreate::new(&cs).region(region);
        let (res, w) = s.run(&what, Expect::Ok, c.cloudspaces().create(&req)).await;
        s.check_single_create(&what, &w, &cs_coll);
        let created = res.is_some() || s.ambiguous(&w, "POST", &cs_coll);
        if created {
            s.cloudspaces.insert(
                cs.clone(),
                CsModel {
                    region: region.into(),
                    ha: false,
                    webhook: String::new(),
                },
            );
        }

        // 2-4. Reads.
        let (list, _) = s
            .run("list cloudspaces", Expect::Ok, c.cloudspaces().list())
            .await;
        if let Some(list) = list {
            let listed = list.iter().filter(|x| x.metadata.name == cs).count();
            if listed != usize::from(created) {
                s.violation("list cloudspaces", format!("{cs} listed {listed} times"));
            }
        }
        let expect = if created {
            Expect::Ok
        } else {
            Expect::NotFound
        };
        s.run(
            &format!("get cloudspace {cs}"),
            expect,
            c.cloudspaces().get(&cs),
        )
        .await;
        let filter = ServerClassFilter {
            region: Some(region.into()),
            ..Default::default()
        };
        s.run(
            "list server classes",
            Expect::Ok,
            c.server_classes().list(&filter),
        )
        .await;
        if !created {
            continue;
        }

        // 5. Wait until Ready while the test moves the emulator's clock.
        let advance = async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            emu.advance(Duration::from_secs(300));
        };
        let wait = async {
            let spaces = c.cloudspaces();
            let (r, ()) = tokio::join!(spaces.wait_ready(&cs, &opts), advance);
            r
        };
        s.run(&format!("wait for {cs}"), Expect::Ok, wait).await;

        // 6. Spot pool (generated name, identified by a node label).
        let spot_id = format!("r{r:02}-spot");
        let spot_coll = s.path("spotnodepools", None);
        match forced {
            Forced::BurstBeforeSpotCreate => emu.faults().fail_next(3, 500, None),
            Forced::LoseSpotCreate => emu.faults().lose_next_write_responses(1),
            _ => {}
        }
        let req = SpotPoolCreate::new(&cs, spot_class, 1, bid_med).label(POOL_ID, &spot_id);
        let what = format!("create spot pool {spot_id}");
        let (res, w) = s.run(&what, Expect::Ok, c.spot_pools().create(&req)).await;
        s.check_single_create(&what, &w, &spot_coll);
        let spot_created = res.is_some() || s.ambiguous(&w, "POST", &spot_coll);
        let spot = PoolRef {
            id: spot_id.clone(),
            name: res.as_ref().and_then(pool_name),
        };
        if spot_created {
            s.pools.insert(
                spot_id.clone(),
                PoolModel {
                    spot: true,
                    cloudspace: cs.clone(),
                    class: spot_class.into(),
                    desired: 1,
                    bid: Some(bid_med.to_string()),
                },
            );
        }

        // 7. On-demand pool.
        let od_id = format!("r{r:02}-od");
        let od_coll = s.path("ondemandnodepools", None);
        if forced == Forced::LoseOnDemandCreate {
            emu.faults().lose_next_write_responses(1);
        }
        let req = OnDemandPoolCreate::new(&cs, od_class, 1).label(POOL_ID, &od_id);
        let what = format!("create on-demand pool {od_id}");
        let (res, w) = s
            .run(&what, Expect::Ok, c.ondemand_pools().create(&req))
            .await;
        s.check_single_create(&what, &w, &od_coll);
        let od_created = res.is_some() || s.ambiguous(&w, "POST", &od_coll);
        let od = PoolRef {
            id: od_id.clone(),
            name: res.as_ref().and_then(pool_name),
        };
        if od_created {
            s.pools.insert(
                od_id.clone(),
                PoolModel {
                    spot: false,
                    cloudspace: cs.clone(),
                    class: od_class.into(),
                    desired: 1,
                    bid: None,
                },
            );
        }

        // 8-9. Lists by cloudspace: each pool exactly once.
        if forced == Forced::ExhaustList429 {
            emu.faults()
                .fail_next(MAX_ATTEMPTS as u32, 429, Some(Duration::ZERO));
            s.run(
                "list spot pools (429 burst)",
                Expect::Fail(Failure::Status(429)),
                c.spot_pools().within(cs.as_str()).list(),
            )
            .await;
        }
        let (list, _) = s
            .run(
                "list spot pools",
                Expect::Ok,
                c.spot_pools().within(cs.as_str()).list(),
            )
            .await;
        if let Some(list) = list
            && list.len() != usize::from(spot_created)
        {
            s.violation("list spot pools", format!("{} pools in {cs}", list.len()));
        }
        let (list, _) = s
            .run(
                "list on-demand pools",
                Expect::Ok,
                c.ondemand_pools().within(cs.as_str()).list(),
            )
            .await;
        if let Some(list) = list
            && list.len() != usize::from(od_created)
        {
            s.violation(
                "list on-demand pools",
                format!("{} pools in {cs}", list.len()),
            );
        }

        // 10-14. Spot pool get, patches and wait.
        if let Some(name) = spot.name.clone() {
            let item = s.path("spotnodepools", Some(&name));
            s.run(
                &format!("get spot pool {}", spot.id),
                Expect::Ok,
                c.spot_pools().get(&name),
            )
            .await;
            if forced == Forced::LoseSpotPatch {
                emu.faults().lose_next_write_responses(1);
            }
            let upd = SpotPoolUpdate {
                common: PoolUpdate {
                    desired: Some(2),
                    ..Default::default()
                },
                ..Default::default()
            };
            let (res, w) = s
                .run(
                    &format!("scale spot pool {}", spot.id),
                    Expect::Ok,
                    c.spot_pools().update(&name, &upd),
                )
                .await;
            if (res.is_some() || s.ambiguous(&w, "PATCH", &item))
                && let Some(p) = s.pools.get_mut(&spot.id)
            {
                p.desired = 2;
            }
            let upd = SpotPoolUpdate {
                bid_price: Some(bid_low),
                ..Default::default()
            };
            let (res, w) = s
                .run(
                    &format!("rebid spot pool {}", spot.id),
                    Expect::Ok,
                    c.spot_pools().update(&name, &upd),
                )
                .await;
            if (res.is_some() || s.ambiguous(&w, "PATCH", &item))
                && let Some(p) = s.pools.get_mut(&spot.id)
            {
                p.bid = Some(bid_low.to_string());
            }
            let advance = async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                emu.advance(Duration::from_secs(120));
            };
            let wait = async {
                let (r, ()) = tokio::join!(c.spot_pools().wait_ready(&name, &opts), advance);
                r
            };
            s.run(&format!("wait for spot pool {}", spot.id), Expect::Ok, wait)
                .await;
        }

        // 15-16. On-demand patch, delete, and a get that must say NotFound.
        if let Some(name) = od.name.clone() {
            let item = s.path("ondemandnodepools", Some(&name));
            let upd = PoolUpdate {
                desired: Some(2),
                ..Default::default()
            };
            let (res, w) = s
                .run(
                    &format!("scale on-demand pool {}", od.id),
                    Expect::Ok,
                    c.ondemand_pools().update(&name, &upd),
                )
                .await;
            if (res.is_some() || s.ambiguous(&w, "PATCH", &item))
                && let Some(p) = s.pools.get_mut(&od.id)
            {
                p.desired = 2;
            }
            // Pools of odd rounds are deleted again; even rounds keep theirs.
            if r % 2 == 1 || forced == Forced::LoseOnDemandDelete {
                if forced == Forced::LoseOnDemandDelete {
                    emu.faults().lose_next_write_responses(1);
                }
                let (res, w) = s
                    .run(
                        &format!("delete on-demand pool {}", od.id),
                        Expect::Ok,
                        c.ondemand_pools().delete(&name),
                    )
                    .await;
                let gone = res.is_some() || s.ambiguous(&w, "DELETE", &item);
                if gone {
                    s.pools.remove(&od.id);
                }
                let expect = if gone { Expect::NotFound } else { Expect::Ok };
                s.run(
                    &format!("get deleted on-demand pool {}", od.id),
                    expect,
                    c.ondemand_pools().get(&name),
                )
                .await;
            }
        }

        // 17-18. Cloudspace patches, including forced exhaustion and a slow Retry-After.
        if forced == Forced::ExhaustPatch502 {
            emu.faults().fail_next(MAX_ATTEMPTS as u32, 502, None);
            let (_, w) = s
                .run(
                    &format!("HA on {cs} (502 burst)"),
                    Expect::Fail(Failure::Status(502)),
                    c.cloudspaces().update(
                        &cs,
                        &CloudSpaceUpdate {
                            ha_control_plane: Some(true),
                            ..Default::default()
                        },
                    ),
                )
                .await;
            let patches = w.iter().filter(|e| e.method == "PATCH").count();
            if patches != MAX_ATTEMPTS {
                s.violation("HA (502 burst)", format!("{patches} PATCH attempts"));
            }
        }
        let update = if r % 2 == 0 {
            CloudSpaceUpdate {
                ha_control_plane: Some(true),
                ..Default::default()
            }
        } else {
            CloudSpaceUpdate {
                webhook: Some(format!("https://hooks.example.com/{cs}")),
                ..Default::default()
            }
        };
        let t0 = Instant::now();
        if forced == Forced::RetryAfterOneSecond {
            emu.faults().fail_next(1, 429, Some(Duration::from_secs(1)));
        }
        let (res, w) = s
            .run(
                &format!("update {cs}"),
                Expect::Ok,
                c.cloudspaces().update(&cs, &update),
            )
            .await;
        if forced == Forced::RetryAfterOneSecond
            && res.is_some()
            && t0.elapsed() < Duration::from_secs(1)
        {
            s.violation(
                "update (429, Retry-After: 1)",
                format!(
                    "retried after {:?}, before the server's Retry-After",
                    t0.elapsed()
                ),
            );
        }
        if (res.is_some() || s.ambiguous(&w, "PATCH", &cs_path))
            && let Some(m) = s.cloudspaces.get_mut(&cs)
        {
            if let Some(ha) = update.ha_control_plane {
                m.ha = ha;
            }
            if let Some(wh) = &update.webhook {
                m.webhook = wh.clone();
            }
        }

        // 19. Kubeconfig (a POST without side effects: a dropped connection is retried).
        if forced == Forced::DropKubeconfig {
            emu.faults().drop_next_connections(1);
            s.run(
                &format!("kubeconfig of {cs} (dropped, retried)"),
                Expect::Ok,
                c.cloudspaces().kubeconfig(&cs),
            )
            .await;
        }
        s.run(
            &format!("kubeconfig of {cs}"),
            Expect::Ok,
            c.cloudspaces().kubeconfig(&cs),
        )
        .await;

        // 20. Forced exhaustion on plain reads.
        match forced {
            Forced::ExhaustGet503 => {
                emu.faults().fail_next(MAX_ATTEMPTS as u32, 503, None);
                s.run(
                    &format!("get {cs} (503 burst)"),
                    Expect::Fail(Failure::Status(503)),
                    c.cloudspaces().get(&cs),
                )
                .await;
            }
            Forced::ExhaustDrop => {
                emu.faults().drop_next_connections(MAX_ATTEMPTS as u32);
                s.run(
                    "get region (dropped)",
                    Expect::Fail(Failure::Transport),
                    c.regions().get(region),
                )
                .await;
            }
            _ => {}
        }
        s.run("list regions", Expect::Ok, c.regions().list()).await;

        // 21. Every third round deletes the cloudspace of two rounds ago (its pools go with it).
        if r >= 2 && r % 3 == 2 {
            let old = format!("fs-{:02}", r - 2);
            if s.cloudspaces.contains_key(&old) {
                let path = s.path("cloudspaces", Some(&old));
                let (res, w) = s
                    .run(
                        &format!("delete cloudspace {old}"),
                        Expect::Ok,
                        c.cloudspaces().delete_with_pools(&old),
                    )
                    .await;
                if res.is_some() || s.ambiguous(&w, "DELETE", &path) {
                    s.cloudspaces.remove(&old);
                    s.pools.retain(|_, p| p.cloudspace != old);
                } else {
                    // A teardown that failed part-way deleted some pools first (by design: pools
                    // go before their cloudspace). Those are gone on purpose; the model follows.
                    let snapshot = emu.snapshot();
                    let live: BTreeSet<String> = ["spotnodepools", "ondemandnodepools"]
                        .iter()
                        .filter_map(|plural| snapshot[&s.ns][plural].as_object())
                        .flat_map(|m| m.values())
                        .filter_map(|d| d["spec"]["customLabels"][POOL_ID].as_str())
                        .map(str::to_string)
                        .collect();
                    s.pools
                        .retain(|id, p| p.cloudspace != old || live.contains(id));
                }
            }
        }
    }

    // Final state: faults off, deletions run to completion.
    emu.faults().clear();
    emu.advance(Duration::from_secs(3600));
    let snapshot = emu.snapshot();
    let ns_state = snapshot.get(&s.ns).cloned().unwrap_or(Value::Null);
    check_final_state(&mut s, &ns_state);

    let stats = c.stats();
    let journal = emu.journal();
    let mut by_fault: BTreeMap<String, usize> = BTreeMap::new();
    for e in &journal[warmup_requests..] {
        if let Some(f) = &e.fault {
            *by_fault.entry(f.clone()).or_default() += 1;
        }
    }
    let f = &s.figures;
    let report = format!(
        "fault suite: {ops} operations ({ok} ok, {nf} not found as scripted, {forced} failed as forced, \
         {random} failed after exhausting retries on random faults)\n\
         fault suite: {requests} requests, {injected} faults injected {by_fault:?}\n\
         fault suite: {retries} retries made, {retried} requests needed a retry, \
         {resolved} creates resolved after lost responses, {ambiguous} failed writes the server carried out\n\
         fault suite: {failed} operations failed in total; {violations} violations; {secs:.2} s",
        ops = f.ops,
        ok = f.ok,
        nf = f.not_found,
        forced = f.failed_forced,
        random = f.failed_random,
        requests = journal.len() - warmup_requests,
        injected = emu.faults().injected(),
        retries = stats.retries() - warmup_retries,
        retried = f.retried_ops,
        resolved = stats.resolved_creates(),
        ambiguous = f.ambiguous_applied,
        failed = f.failed_forced + f.failed_random,
        violations = s.violations.len(),
        secs = started.elapsed().as_secs_f64(),
    );
    println!("{report}");
    eprintln!("{report}");
    for failure in &f.failures {
        println!("fault suite: failed as it should: {failure}");
        eprintln!("fault suite: failed as it should: {failure}");
    }
    for v in &s.violations {
        eprintln!("violation: {v}");
    }

    assert!(s.violations.is_empty(), "{} violations", s.violations.len());
    assert!(f.ops >= 200, "only {} operations", f.ops);
    assert_eq!(
        f.failed_forced, 4,
        "every forced exhaustion failed as forced"
    );
    assert_eq!(
        stats.resolved_creates(),
        3,
        "each of the three lost create responses was resolved to the object it made"
    );
    assert!(
        emu.faults().injected() >= 40,
        "enough faults to mean something"
    );
}
