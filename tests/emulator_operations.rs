//! The emulator's operational side over real HTTP: pricing documents, VM inventory and events,
//! fault injection, seeds, YAML bodies, the admin journal and `rsspot emulator serve`.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::Duration;

use rsspot::emulator::{Emulator, EmulatorOptions, Lifecycle, Seed};
use serde_json::{Value, json};

use emulator_support::*;

#[tokio::test]
async fn pricing_documents_need_no_auth() {
    let emu = Emulator::start().await.unwrap();
    let http = client();
    let get = |p: &str| http.get(format!("{}{p}", emu.base_url())).send();

    let pct: Value = get("/percentiles.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dfw = &pct["regions"]["us-central-dfw-1"];
    assert_eq!(dfw["generation"], "v1");
    assert_eq!(pct["regions"]["us-west-sjc-1"]["generation"], "v2");
    let medium = &dfw["serverclasses"]["gp.vs1.medium-dfw"];
    assert_eq!(medium["market_price"], "0.001000");
    assert_eq!(medium["cpu"], "2");
    assert_eq!(medium["description"], "US Central, Dallas Fort Worth, TX");
    let (p20, p50, p80) = (
        medium["20_percentile"].as_f64().unwrap(),
        medium["50_percentile"].as_f64().unwrap(),
        medium["80_percentile"].as_f64().unwrap(),
    );
    assert!(p20 <= p50 && p50 <= p80 && p20 > 0.0);

    let cmp: Value = get("/comparable_prices.json")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let c = &cmp["regions"]["us-central-dfw-1"]["gp.vs1.medium-dfw"];
    assert_eq!(c["hyperscaler_average_price"], "$0.020");
    for comp in c["comparables"].as_array().unwrap() {
        assert!(comp["price"].as_str().unwrap().starts_with('$'));
        assert!(comp["cloud"].is_string() && comp["class"].is_string());
    }

    let h: Value = get("/history/gp.vs1.medium-dfw")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["auction"], "gp.vs1.medium-dfw");
    let points = h["history"].as_array().unwrap();
    assert_eq!(points.len(), 48);
    assert_eq!(
        points[1]["run_at"].as_i64().unwrap() - points[0]["run_at"].as_i64().unwrap(),
        3600
    );
    assert!(points[0]["hammer_price"].as_f64().unwrap() > 0.0);

    let r = get("/history/nope.vs1-xyz").await.unwrap();
    assert_eq!(r.status(), 404);
    let body = r.text().await.unwrap();
    assert!(body.contains("<Code>NoSuchKey</Code>"), "{body}");
}

#[tokio::test]
async fn vm_inventory_and_organization_events() {
    let t = setup().await;
    let (s, b) = t.get(&t.ns_url("vmcloudspaces")).await;
    assert_eq!(s, 200);
    let items = b["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let phases: Vec<&str> = items
        .iter()
        .map(|i| i["status"]["phase"].as_str().unwrap())
        .collect();
    assert!(phases.contains(&"Ready") && phases.contains(&"Provisioning"));
    for i in items {
        let n = i["status"]["assignedServers"].as_object().unwrap().len();
        assert!((2..=3).contains(&n));
    }
    let (_, pools) = t
        .get(&format!(
            "{}?labelSelector=ngpc.rxt.io%2Fvmcloudspace%3Dvm-lab-dfw",
            t.ns_url("vmpools")
        ))
        .await;
    assert_eq!(pools["items"].as_array().unwrap().len(), 2);
    // The VM kinds are writable now (issue 16), with the API server's validation: a VM
    // cloudspace without region or SSH key is a 422 naming both fields.
    let (s, body) = t
        .post(
            &t.ns_url("vmcloudspaces"),
            json!({"metadata": {"name": "x"}}),
        )
        .await;
    assert_eq!(s, 422);
    let text = body.to_string();
    assert!(
        text.contains("spec.region") && text.contains("spec.vmSshKeyRef.name"),
        "{text}"
    );

    t.create_cs("evt", "us-central-dfw-1").await;
    let (s, ev) = t
        .get(&t.url("/apis/metrics.ngpc.rxt.io/v1/events/organizations?limits=2"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(ev["org_id"], "org_DemoOrg0000000001");
    let events = ev["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0][1], "CloudSpace evt created");
    assert!(events[0][0].is_string());

    // Another org has no inventory and its own (empty) event feed.
    let acme = id_token(&t.http, &t.emu.base_url(), "acme-token").await;
    let r = t
        .http
        .get(t.url("/apis/metrics.ngpc.rxt.io/v1/events/organizations?limits=10"))
        .bearer_auth(acme)
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["org_id"], "org_Q3vXh8LmP2sTnR7a");
    assert_eq!(b["events"], json!([]));
}

#[tokio::test]
async fn injected_status_faults_and_journal() {
    let t = setup().await;
    let url = t.url("/apis/ngpc.rxt.io/v1/regions");
    t.emu.clear_journal();

    t.emu
        .faults()
        .fail_next(2, 429, Some(Duration::from_millis(1500)));
    for _ in 0..2 {
        let r = t.http.get(&url).bearer_auth(&t.token).send().await.unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "2");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["reason"], "TooManyRequests");
    }
    assert_eq!(t.get(&url).await.0, 200);

    for status in [500u16, 502, 503] {
        t.emu.faults().fail_next(1, status, None);
        let r = t.http.get(&url).bearer_auth(&t.token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), status);
        assert!(r.headers().get("retry-after").is_none());
    }
    // Faults apply to the token endpoint too.
    t.emu
        .faults()
        .fail_next(1, 503, Some(Duration::from_secs(1)));
    assert_eq!(
        exchange(&t.http, &t.emu.base_url(), "demo-token")
            .await
            .status(),
        503
    );
    assert_eq!(t.emu.faults().injected(), 6);

    let journal = t.emu.journal();
    assert_eq!(journal.len(), 7);
    assert_eq!(journal[0].status, 429);
    assert_eq!(journal[0].fault.as_deref(), Some("status 429"));
    assert_eq!(journal[2].status, 200);
    assert!(journal[2].fault.is_none());
    assert_eq!(journal[2].method, "GET");
    assert_eq!(journal[2].path, "/apis/ngpc.rxt.io/v1/regions");
    assert_eq!(t.emu.count("GET", "/apis/ngpc.rxt.io/v1/regions"), 6);
    assert_eq!(t.emu.count("POST", "/oauth/token"), 1);
    assert_eq!(t.emu.count("*", "/"), 7);
    t.emu.clear_journal();
    assert!(t.emu.journal().is_empty());
}

#[tokio::test]
async fn dropped_connections_and_lost_write_responses() {
    let t = setup().await;
    t.emu.clear_journal();
    let url = t.url("/apis/ngpc.rxt.io/v1/regions");

    t.emu.faults().drop_next_connections(1);
    let err = t
        .http
        .get(&url)
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err}");
    assert_eq!(t.get(&url).await.0, 200);
    let j = t.emu.journal();
    assert_eq!(j[0].status, 0);
    assert_eq!(j[0].fault.as_deref(), Some("dropped connection"));

    // A lost write response: the client sees an error, but the cloudspace exists.
    t.emu.faults().lose_next_write_responses(1);
    let err = t
        .http
        .post(t.ns_url("cloudspaces"))
        .bearer_auth(&t.token)
        .json(&json!({"metadata": {"name": "ghost"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}))
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status(), "{err}");
    let (s, cs) = t.get(&format!("{}/ghost", t.ns_url("cloudspaces"))).await;
    assert_eq!(s, 200);
    assert_eq!(cs["metadata"]["name"], "ghost");
    // Replaying the create now conflicts, exactly as against the real service.
    assert_eq!(t.create_cs("ghost", "us-central-dfw-1").await.0, 409);
    let lost = t
        .emu
        .journal()
        .into_iter()
        .find(|e| e.fault.as_deref() == Some("lost response"))
        .unwrap();
    assert_eq!((lost.method.as_str(), lost.status), ("POST", 201));
    // Reads are not writes: they are not affected.
    t.emu.faults().lose_next_write_responses(1);
    assert_eq!(t.get(&url).await.0, 200);
    t.emu.faults().clear();
    assert_eq!(t.emu.faults().injected(), 2);
}

#[tokio::test]
async fn latency_and_random_faults() {
    let t = setup().await;
    let url = t.url("/apis/ngpc.rxt.io/v1/regions");
    t.emu.faults().set_latency(Duration::from_millis(50));
    let start = std::time::Instant::now();
    assert_eq!(t.get(&url).await.0, 200);
    assert!(start.elapsed() >= Duration::from_millis(50));
    t.emu.faults().set_latency(Duration::ZERO);

    // Deterministic: the same seed gives the same outcome sequence.
    let run = |seed: u64| {
        let t = &t;
        let url = url.clone();
        async move {
            t.emu.faults().fail_rate(300, seed);
            let mut outcomes = Vec::new();
            for _ in 0..40 {
                let r = t.http.get(&url).bearer_auth(&t.token).send().await;
                outcomes.push(match r {
                    Ok(r) => {
                        if r.status() == 429 {
                            assert!(r.headers().get("retry-after").is_some());
                        }
                        r.status().as_u16()
                    }
                    Err(_) => 0,
                });
            }
            t.emu.faults().fail_rate(0, 0);
            outcomes
        }
    };
    let before = t.emu.faults().injected();
    let a = run(7).await;
    let b = run(7).await;
    assert_eq!(a, b);
    let faults = a.iter().filter(|s| **s != 200).count() as u64;
    assert!((4..=24).contains(&faults), "{a:?}");
    assert_eq!(t.emu.faults().injected() - before, faults * 2);
    assert!(a.iter().all(|s| [0, 200, 429, 500, 502, 503].contains(s)));
}

#[tokio::test]
async fn seed_from_a_small_yaml_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("seed.yaml");
    std::fs::write(
        &path,
        r#"
orgs:
  - id: org_TestOrg00000000AB
    name: test-org
    display_name: Test Org
    refresh_token: test-token
regions:
  - apiVersion: ngpc.rxt.io/v1
    kind: Region
    metadata: {name: test-region-1}
    spec: {country: USA, description: Test, provider: {providerRegionName: TST, providerType: ospc}}
server_classes:
  - apiVersion: ngpc.rxt.io/v1
    kind: ServerClass
    metadata: {name: gp.vs1.small-tst, labels: {"region.ngpc.rxt.io/test-region-1": ""}}
    spec:
      region: test-region-1
      availability: available
      minBidPricePerHour: "0.02"
      onDemandPricing: {cost: "0.05", interval: 1h}
      provider: {providerFlavorID: compute1-2, providerType: ospc}
      resources: {cpu: "1", memory: 2GB}
    status:
      spotPricing: {marketPricePerHour: "0.030000", hammerPricePerHour: "0.030000"}
"#,
    )
    .unwrap();
    let seed = Seed::from_file(&path).unwrap();
    assert_eq!(seed.orgs.len(), 1);
    assert!(seed.vm_inventory.is_empty());
    assert_eq!(seed.price_history["gp.vs1.small-tst"].len(), 48);

    let emu = Emulator::start_with(EmulatorOptions {
        seed,
        lifecycle: Lifecycle::instant(),
        ..EmulatorOptions::default()
    })
    .await
    .unwrap();
    let http = client();
    assert_eq!(
        exchange(&http, &emu.base_url(), "demo-token")
            .await
            .status(),
        403
    );
    let token = id_token(&http, &emu.base_url(), "test-token").await;
    let t = T {
        emu,
        http,
        token,
        ns: "org-testorg00000000ab".into(),
    };
    let (_, classes) = t.get(&t.url("/apis/ngpc.rxt.io/v1/serverclasses")).await;
    assert_eq!(classes["items"].as_array().unwrap().len(), 1);
    assert_eq!(t.create_cs("c", "test-region-1").await.0, 201);
    // Floor = max(market 0.03, min 0.02).
    let (s, b) = t.create_spot(POOL_A, "c", "gp.vs1.small-tst", "0.02").await;
    assert_eq!(s, 403);
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("minimum bid price of 0.03")
    );
    assert_eq!(
        t.create_spot(POOL_A, "c", "gp.vs1.small-tst", "0.03")
            .await
            .0,
        201
    );

    // JSON seeds work too; bad seeds are configuration errors.
    let json_path = dir.path().join("seed.json");
    std::fs::write(
        &json_path,
        r#"{"orgs":[{"id":"org_J","name":"j","display_name":"J","refresh_token":"j"}]}"#,
    )
    .unwrap();
    let s = Seed::from_file(&json_path).unwrap();
    assert_eq!(s.orgs[0].name, "j");
    assert!(s.server_classes.len() >= 10);
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "orgs: []\n").unwrap();
    assert!(matches!(
        Seed::from_file(&bad),
        Err(rsspot::emulator::Error::Seed { .. })
    ));
    assert!(matches!(
        Seed::from_file(&dir.path().join("missing.yaml")),
        Err(rsspot::emulator::Error::SeedRead { .. })
    ));
    // Through `?` in the library's Result, a bad seed is a configuration error.
    let as_sdk = Seed::from_file(&bad).map_err(rsspot::Error::from);
    assert!(matches!(as_sdk, Err(rsspot::Error::Config { .. })));
}

#[tokio::test]
async fn yaml_create_bodies_and_shutdown() {
    let t = setup().await;
    let yaml = format!(
        "apiVersion: ngpc.rxt.io/v1\nkind: CloudSpace\nmetadata:\n  name: y\n  namespace: {}\nspec:\n  region: uk-lon-1\n  kubernetesVersion: 1.31.1\n",
        t.ns
    );
    let r = t
        .http
        .post(t.ns_url("cloudspaces"))
        .bearer_auth(&t.token)
        .header("content-type", "application/yaml")
        .body(yaml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let base = t.emu.base_url();
    t.emu.shutdown().await;
    assert!(
        t.http
            .get(format!("{base}/percentiles.json"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn admin_journal_endpoint_for_out_of_process_users() {
    let emu = rsspot::emulator::Emulator::start().await.unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    let http = reqwest::Client::new();
    http.get(format!("{}/percentiles.json", emu.base_url()))
        .send()
        .await
        .unwrap();
    let journal: serde_json::Value = http
        .get(format!(
            "{}{}",
            emu.base_url(),
            rsspot::emulator::JOURNAL_PATH
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = journal.as_array().unwrap();
    assert_eq!(entries.len(), 1, "admin calls are not journaled: {journal}");
    assert_eq!(entries[0]["path"], "/percentiles.json");
    http.delete(format!(
        "{}{}",
        emu.base_url(),
        rsspot::emulator::JOURNAL_PATH
    ))
    .send()
    .await
    .unwrap();
    assert!(emu.journal().is_empty());
}

/// `rsspot emulator serve --variant`: a bad setting is a one-line usage error naming the valid
/// ones; good settings reach the served emulator (and are named on stderr).
#[tokio::test]
async fn serve_takes_variants_on_the_command_line() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    for (arg, needle) in [
        ("cascade-delete=maybe", "valid values: no, yes"),
        (
            "colour=red",
            "valid variants: cascade-delete, delete-returns",
        ),
        ("paging", "NAME=VALUE"),
    ] {
        let out = Command::new(&bin)
            .args(["emulator", "serve", "--variant", arg])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{arg}: {err}");
        assert!(err.contains(needle), "{arg}: {err}");
        assert!(out.stdout.is_empty());
    }

    let mut child = Command::new(&bin)
        .args([
            "emulator",
            "serve",
            "--variant",
            "kubeconfig-unknown=400",
            "--variant",
            "cascade-delete=yes",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_string();
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    let status = reqwest::Client::new()
        .post(format!(
            "{url}/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig"
        ))
        .json(
            &json!({"organization_name": "demo", "cloudspace_name": "nosuch",
            "refresh_token": "demo-token"}),
        )
        .send()
        .await
        .unwrap()
        .status();
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        status.as_u16(),
        400,
        "kubeconfig-unknown=400 reached the server"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("emulator variants: cascade-delete=yes kubeconfig-unknown=400"),
        "{err}"
    );
}
