//! `rsspot events watch` against the emulator (issue 28): a scripted pre-emption, a price crossing
//! a bid, a phase change, a restart in the middle (no replay, no gap), and a webhook receiver that
//! fails twice (each event delivered once, in order).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;
mod events_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Env;
use events_support::{Watch, types};
use serde_json::Value;

const CLASS: &str = "gp.vs1.medium-dfw";

/// A cloudspace `demo-dfw` with one spot pool of 3 nodes bidding 0.06; returns the pool's name.
fn fleet(env: &Env) -> String {
    env.ok(&[
        "cs",
        "create",
        "demo-dfw",
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
    env.ok(&[
        "np",
        "spot",
        "create",
        "--cloudspace",
        "demo-dfw",
        "--server-class",
        CLASS,
        "--desired",
        "3",
        "--bid-price",
        "0.06",
        "-y",
    ]);
    let pools = env.ok_json(&[
        "np",
        "spot",
        "list",
        "--cloudspace",
        "demo-dfw",
        "-o",
        "json",
    ]);
    pools[0]["metadata"]["name"]
        .as_str()
        .expect("the pool has a name")
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn preemption_price_crossing_and_phase_change_are_cloudevents() {
    let env = Env::instant().await;
    let pool = fleet(&env);
    let watch = Watch::start(&env, &[]);
    watch.note("baseline");
    assert!(
        watch.drain(Duration::from_millis(500)).is_empty(),
        "the baseline floods nothing"
    );

    assert!(env.emu.preempt_nodes(&pool, 2));
    let events = watch.until("com.rackspace.spot.pool.preempted");
    let preempted = events.last().expect("an event");
    assert_eq!(preempted["specversion"], "1.0");
    assert_eq!(preempted["source"], "/organizations/demo");
    assert_eq!(
        preempted["subject"],
        format!("cloudspaces/demo-dfw/spotnodepools/{pool}")
    );
    assert_eq!(preempted["data"]["from"], 3);
    assert_eq!(preempted["data"]["to"], 1);
    assert_eq!(preempted["data"]["class"], CLASS);
    for key in ["id", "time"] {
        assert!(
            preempted[key].as_str().is_some_and(|s| !s.is_empty()),
            "{preempted}"
        );
    }

    assert!(env.emu.set_market_price(CLASS, "0.070000"));
    let events = watch.until("com.rackspace.spot.pool.outbid_risk");
    let risk = events.last().expect("an event");
    assert_eq!(risk["data"]["bid"], "0.06");
    assert_eq!(risk["data"]["market"], "0.07");

    assert!(env.emu.break_cloudspace("demo-dfw", "etcd quorum lost"));
    // Outbid, the cloudspace may first have gone to NoWinningBids: wait for the break itself.
    let phase = loop {
        let events = watch.until("com.rackspace.spot.cloudspace.phase_changed");
        let phase = events.last().expect("an event").clone();
        if phase["data"]["to"] == "Error" {
            break phase;
        }
    };
    assert_eq!(phase["subject"], "cloudspaces/demo-dfw");
    watch.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_neither_replays_nor_misses() {
    let env = Env::instant().await;
    let pool = fleet(&env);
    let first = Watch::start(&env, &[]);
    first.note("baseline");
    assert!(env.emu.preempt_nodes(&pool, 1));
    first.until("com.rackspace.spot.pool.preempted");
    // The state is saved right after the poll's events are out; let one more poll pass.
    std::thread::sleep(Duration::from_millis(600));
    first.stop();

    // A change while nobody watches.
    assert!(env.emu.break_cloudspace("demo-dfw", "etcd quorum lost"));

    let second = Watch::start(&env, &[]);
    let events = second.until("com.rackspace.spot.cloudspace.phase_changed");
    assert!(
        !types(&events).iter().any(|t| t.ends_with("pool.preempted")),
        "the pre-emption seen before the restart came again: {events:#?}"
    );
    let later = second.drain(Duration::from_millis(600));
    assert!(
        !types(&later).iter().any(|t| t.ends_with("phase_changed")),
        "{later:#?}"
    );
    second.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_that_fails_twice_gets_each_event_once_in_order() {
    let env = Env::instant().await;
    let pool = fleet(&env);
    let received: Arc<Mutex<(u32, Vec<Value>)>> = Arc::default();
    let state = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let state = state.clone();
            async move {
                let mut s = state.lock().expect("lock");
                s.0 += 1;
                if s.0 <= 2 {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                s.1.push(serde_json::from_str(&body).expect("JSON body"));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let watch = Watch::start(&env, &["--webhook", &url]);
    watch.note("baseline");
    assert!(env.emu.preempt_nodes(&pool, 1));
    watch.until("com.rackspace.spot.pool.preempted");
    assert!(env.emu.preempt_nodes(&pool, 1));
    watch.until("com.rackspace.spot.pool.preempted");

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let done = received.lock().expect("lock").1.len() >= 2;
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::thread::sleep(Duration::from_millis(500));
    let (calls, bodies) = received.lock().expect("lock").clone();
    let tos: Vec<_> = bodies.iter().map(|b| b["data"]["to"].clone()).collect();
    assert_eq!(tos, [2, 1], "each event once, in order: {bodies:#?}");
    assert_eq!(calls, 4, "two failures, then one delivery per event");
    watch.stop();
}

/// The receiver of `a_webhook_killed_mid_queue_...`: records every body as it arrives; while
/// `hang` is set it never answers (the watch is killed with that POST in flight).
#[derive(Default)]
struct Receiver2 {
    hang: bool,
    bodies: Vec<Value>,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_webhook_killed_mid_queue_delivers_the_rest_after_a_restart_and_none_twice() {
    let env = Env::instant().await;
    let pool = fleet(&env);
    let received: Arc<Mutex<Receiver2>> = Arc::new(Mutex::new(Receiver2 {
        hang: true,
        bodies: Vec::new(),
    }));
    let state = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let state = state.clone();
            async move {
                let hang = {
                    let mut s = state.lock().expect("lock");
                    s.bodies
                        .push(serde_json::from_str(&body).expect("JSON body"));
                    s.hang
                };
                if hang {
                    std::future::pending::<()>().await;
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    // Three events: the first is posted and hangs, the other two wait in the queue.
    let first = Watch::start(&env, &["--webhook", &url]);
    first.note("baseline");
    let mut printed = Vec::new();
    for _ in 0..2 {
        assert!(env.emu.preempt_nodes(&pool, 1));
        printed.extend(first.until("com.rackspace.spot.pool.preempted"));
    }
    assert!(env.emu.set_market_price(CLASS, "0.070000"));
    printed.extend(first.until("com.rackspace.spot.pool.outbid_risk"));
    // Whatever else those changes caused; then the fleet is still and every poll saved.
    printed.extend(first.drain(Duration::from_millis(800)));
    let ids: Vec<String> = printed
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_string())
        .collect();
    let posted_before = received.lock().expect("lock").bodies.len();
    assert_eq!(posted_before, 1, "one POST in flight, the rest queued");
    first.stop(); // SIGKILL

    received.lock().expect("lock").hang = false;
    let second = Watch::start(&env, &["--webhook", &url]);
    let warning = second.note("not posted again");
    assert!(warning.contains(&ids[0]), "{warning}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().expect("lock").bodies.len() < ids.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::thread::sleep(Duration::from_millis(600));
    let got: Vec<String> = received
        .lock()
        .expect("lock")
        .bodies
        .iter()
        .map(|b| b["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(got, ids, "each event posted once, in order, none lost");
    second.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn format_slack_posts_a_slack_message() {
    let env = Env::instant().await;
    let pool = fleet(&env);
    let received: Arc<Mutex<Vec<(String, Value)>>> = Arc::default();
    let state = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let ctype = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let body = serde_json::from_str(&body).expect("JSON body");
                state.lock().expect("lock").push((ctype, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });

    let watch = Watch::start(&env, &["--webhook", &url, "--format", "slack"]);
    watch.note("baseline");
    assert!(env.emu.preempt_nodes(&pool, 1));
    watch.until("com.rackspace.spot.pool.preempted");
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.lock().expect("lock").is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (ctype, body) = received.lock().expect("lock")[0].clone();
    assert_eq!(ctype, "application/json");
    let text = body["text"].as_str().expect("a text field");
    assert!(
        text.contains(&pool) && text.contains("pool.preempted"),
        "{text}"
    );
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    watch.stop();
}

/// The wait a "poll failed" line announces, in ms.
fn announced_wait(line: &str) -> f64 {
    let w = line.split("next try in ").nth(1).expect("a wait").trim();
    match w.strip_suffix("ms") {
        Some(ms) => ms.parse().expect("ms"),
        None => w.trim_end_matches('s').parse::<f64>().expect("s") * 1e3,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn polls_back_off_while_the_api_fails() {
    let env = Env::instant().await;
    fleet(&env);
    let watch = Watch::start(&env, &[]);
    watch.note("baseline");
    env.emu.faults().fail_next(10_000, 500, None);
    let first = announced_wait(&watch.note("poll failed"));
    let second = announced_wait(&watch.note("poll failed"));
    assert!(
        first >= 150.0 && second > first,
        "waits grow from the 150ms interval: {first} then {second}"
    );
    env.emu.faults().clear();
    watch.stop();
}
