//! Helpers shared by the emulator's HTTP tests: a reqwest client, a bearer for the demo org and
//! request shortcuts.
#![allow(dead_code)]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use rsspot::emulator::{CLIENT_ID, Emulator, EmulatorOptions};
use serde_json::{Value, json};

pub const POOL_A: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";
pub const POOL_B: &str = "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13";
pub const POOL_C: &str = "d2b6e9a1-7c3f-4f05-8a4e-b1c0d9e7f623";

pub struct T {
    pub emu: Emulator,
    pub http: reqwest::Client,
    pub token: String,
    pub ns: String,
}

pub fn client() -> reqwest::Client {
    // No pooling: every request gets its own connection, so injected connection faults hit
    // exactly the request they were meant for.
    let _ = rustls::crypto::ring::default_provider().install_default(); // reqwest is built without a provider of its own
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

pub async fn exchange(http: &reqwest::Client, base: &str, refresh: &str) -> reqwest::Response {
    http.post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT_ID),
            ("refresh_token", refresh),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn id_token(http: &reqwest::Client, base: &str, refresh: &str) -> String {
    let r = exchange(http, base, refresh).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["id_token"].as_str().unwrap().to_string()
}

pub async fn setup_with(opts: EmulatorOptions) -> T {
    let emu = Emulator::start_with(opts).await.unwrap();
    let http = client();
    let token = id_token(&http, &emu.base_url(), "demo-token").await;
    let ns = emu
        .seed()
        .orgs
        .iter()
        .find(|o| o.name == "demo")
        .unwrap()
        .namespace();
    T {
        emu,
        http,
        token,
        ns,
    }
}

pub async fn setup() -> T {
    setup_with(EmulatorOptions::default()).await
}

impl T {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    pub fn ns_url(&self, plural: &str) -> String {
        self.url(&format!(
            "/apis/ngpc.rxt.io/v1/namespaces/{}/{plural}",
            self.ns
        ))
    }

    pub async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<(&str, Value)>,
    ) -> (StatusCode, Value) {
        let mut rb = self.http.request(method, url).bearer_auth(&self.token);
        if let Some((ct, b)) = body {
            rb = rb.header("content-type", ct).body(b.to_string());
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, url: &str) -> (StatusCode, Value) {
        self.send(Method::GET, url, None).await
    }

    pub async fn post(&self, url: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, url, Some(("application/json", body)))
            .await
    }

    pub async fn merge(&self, url: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            Method::PATCH,
            url,
            Some(("application/merge-patch+json", body)),
        )
        .await
    }

    pub async fn create_cs(&self, name: &str, region: &str) -> (StatusCode, Value) {
        self.post(
            &self.ns_url("cloudspaces"),
            json!({"apiVersion": "ngpc.rxt.io/v1", "kind": "CloudSpace",
                "metadata": {"name": name, "namespace": self.ns},
                "spec": {"region": region, "kubernetesVersion": "1.31.1"}}),
        )
        .await
    }

    pub async fn create_spot(
        &self,
        name: &str,
        cs: &str,
        class: &str,
        bid: &str,
    ) -> (StatusCode, Value) {
        self.post(
            &self.ns_url("spotnodepools"),
            json!({"metadata": {"name": name},
                "spec": {"cloudSpace": cs, "serverClass": class, "bidPrice": bid, "desired": 2}}),
        )
        .await
    }
}

pub fn reason(v: &Value) -> &str {
    v["reason"].as_str().unwrap_or("<none>")
}

pub fn jwt_payload(token: &str) -> Value {
    let p = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}
