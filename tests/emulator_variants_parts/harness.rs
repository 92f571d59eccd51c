//! The harness of the variant tests: an emulator started with one variant setting, a bearer
//! for the demo org, and request shortcuts over real HTTP.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use rsspot::emulator::{CLIENT_ID, Emulator, EmulatorOptions, VariantSetting, Variants};
use serde_json::{Value, json};

use super::{CLASS, REGION};

pub(crate) struct T {
    pub(crate) emu: Emulator,
    pub(crate) http: reqwest::Client,
    pub(crate) token: String,
    pub(crate) ns: String,
}

pub(crate) async fn exchange(
    http: &reqwest::Client,
    base: &str,
    refresh: &str,
) -> (StatusCode, Value) {
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
pub(crate) async fn with(setting: &str) -> T {
    with_opts(options(setting)).await
}

pub(crate) fn options(setting: &str) -> EmulatorOptions {
    let s: VariantSetting = setting.parse().unwrap();
    EmulatorOptions {
        variants: Variants::default().with(s),
        ..EmulatorOptions::default()
    }
}

pub(crate) async fn with_opts(opts: EmulatorOptions) -> T {
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
    pub(crate) fn url(&self, plural: &str) -> String {
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

    pub(crate) async fn get(&self, url: &str) -> (u16, Value) {
        self.send(Method::GET, url, None).await
    }

    pub(crate) async fn delete(&self, url: &str) -> (u16, Value) {
        self.send(Method::DELETE, url, None).await
    }

    pub(crate) async fn post(&self, url: &str, body: Value) -> (u16, Value) {
        self.send(Method::POST, url, Some(("application/json", body)))
            .await
    }

    pub(crate) async fn merge(&self, url: &str, body: Value) -> (u16, Value) {
        self.send(
            Method::PATCH,
            url,
            Some(("application/merge-patch+json", body)),
        )
        .await
    }

    pub(crate) async fn cloudspace(&self, name: &str) -> Value {
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

    pub(crate) async fn spot(&self, name: &str, cs: &str, bid: &str) -> (u16, Value) {
        self.post(
            &self.url("spotnodepools"),
            json!({"metadata": {"name": name},
                "spec": {"cloudSpace": cs, "serverClass": CLASS, "bidPrice": bid, "desired": 1}}),
        )
        .await
    }

    /// Pools of the namespace, from the emulator's own state.
    pub(crate) fn stored_pools(&self) -> usize {
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

    pub(crate) fn later(&self) {
        self.emu.advance(Duration::from_secs(3600));
    }
}

pub(crate) fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect()
}
