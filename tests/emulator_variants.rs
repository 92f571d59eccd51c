//! Every value of every emulator variant, observed over real HTTP: the emulator's own contract
//! for each answer it can give to an open question about the real service.
#![cfg(feature = "emulator")]

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rsspot::emulator::{CLIENT_ID, Emulator, EmulatorOptions, VariantSetting, Variants};
use serde_json::{Value, json};

const POOL_A: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";
const POOL_B: &str = "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13";
/// Floor 0.01 (min bid 0.01, market 0.001) in the built-in seed.
const CLASS: &str = "gp.vs1.medium-dfw";
const REGION: &str = "us-central-dfw-1";
/// An autopilot pool's name (a UUID, like every pool's).
const AUTOPILOT: &str = "3c1d9e7a-5b2f-4a68-9d0e-7f1a2b3c4d5e";

struct T {
    emu: Emulator,
    http: reqwest::Client,
    token: String,
    ns: String,
}

async fn exchange(http: &reqwest::Client, base: &str, refresh: &str) -> (StatusCode, Value) {
    let r = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("refresh_token", refresh),
        ])
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

/// An emulator with the defaults except `setting` (`"name=value"`), and a bearer for `demo`.
async fn with(setting: &str) -> T {
    with_opts(options(setting)).await
}

fn options(setting: &str) -> EmulatorOptions {
    let s: VariantSetting = setting.parse().unwrap();
    EmulatorOptions {
        variants: Variants::default().with(s),
        ..EmulatorOptions::default()
    }
}

async fn with_opts(opts: EmulatorOptions) -> T {
    let setting = opts.variants;
    let emu = Emulator::start_with(opts).await.unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let (status, body) = exchange(&http, &emu.base_url(), "demo-token").await;
    assert_eq!(status, 200, "{setting:?}: {body}");
    let token = body["id_token"].as_str().unwrap().to_string();
    let ns = emu.seed().orgs[0].namespace();
    T {
        emu,
        http,
        token,
        ns,
    }
}

impl T {
    fn url(&self, plural: &str) -> String {
        format!(
            "{}/apis/ngpc.rxt.io/v1/namespaces/{}/{plural}",
            self.emu.base_url(),
            self.ns
        )
    }

    async fn send(&self, m: Method, url: &str, body: Option<(&str, Value)>) -> (u16, Value) {
        let mut rb = self.http.request(m, url).bearer_auth(&self.token);
        if let Some((ct, b)) = body {
            rb = rb.header("content-type", ct).body(b.to_string());
        }
        let r = rb.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, url: &str) -> (u16, Value) {
        self.send(Method::GET, url, None).await
    }

    async fn delete(&self, url: &str) -> (u16, Value) {
        self.send(Method::DELETE, url, None).await
    }

    async fn post(&self, url: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, url, Some(("application/json", body)))
            .await
    }

    async fn merge(&self, url: &str, body: Value) -> (u16, Value) {
        self.send(
            Method::PATCH,
            url,
            Some(("application/merge-patch+json", body)),
        )
        .await
    }

    async fn cloudspace(&self, name: &str) -> Value {
        let (s, b) = self
            .post(
                &self.url("cloudspaces"),
                json!({"metadata": {"name": name},
                    "spec": {"region": REGION, "kubernetesVersion": "1.31.1"}}),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b
    }

    async fn spot(&self, name: &str, cs: &str, bid: &str) -> (u16, Value) {
        self.post(
            &self.url("spotnodepools"),
            json!({"metadata": {"name": name},
                "spec": {"cloudSpace": cs, "serverClass": CLASS, "bidPrice": bid, "desired": 1}}),
        )
        .await
    }

    /// Pools of the namespace, from the emulator's own state.
    fn stored_pools(&self) -> usize {
        let snap = self.emu.snapshot();
        ["spotnodepools", "ondemandnodepools"]
            .iter()
            .map(|p| {
                snap[&self.ns]
                    .get(*p)
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len())
            })
            .sum()
    }

    fn later(&self) {
        self.emu.advance(Duration::from_secs(3600));
    }
}

fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect()
}

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

#[path = "emulator_variants_parts/more.rs"]
mod more;
