//! The Spot API emulator over real HTTP on 127.0.0.1.
#![cfg(feature = "emulator")]

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use rsspot::emulator::{CLIENT_ID, Emulator, EmulatorOptions, Lifecycle, Seed};
use serde_json::{Value, json};

const POOL_A: &str = "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c";
const POOL_B: &str = "5e9a1c7d-3b2f-4d8e-a6c1-9f0e2b4d7a13";
const POOL_C: &str = "d2b6e9a1-7c3f-4f05-8a4e-b1c0d9e7f623";

struct T {
    emu: Emulator,
    http: reqwest::Client,
    token: String,
    ns: String,
}

fn client() -> reqwest::Client {
    // No pooling: every request gets its own connection, so injected connection faults hit
    // exactly the request they were meant for.
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

async fn exchange(http: &reqwest::Client, base: &str, refresh: &str) -> reqwest::Response {
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

async fn id_token(http: &reqwest::Client, base: &str, refresh: &str) -> String {
    let r = exchange(http, base, refresh).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    body["id_token"].as_str().unwrap().to_string()
}

async fn setup_with(opts: EmulatorOptions) -> T {
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

async fn setup() -> T {
    setup_with(EmulatorOptions::default()).await
}

impl T {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    fn ns_url(&self, plural: &str) -> String {
        self.url(&format!(
            "/apis/ngpc.rxt.io/v1/namespaces/{}/{plural}",
            self.ns
        ))
    }

    async fn send(
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

    async fn get(&self, url: &str) -> (StatusCode, Value) {
        self.send(Method::GET, url, None).await
    }

    async fn post(&self, url: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, url, Some(("application/json", body)))
            .await
    }

    async fn merge(&self, url: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            Method::PATCH,
            url,
            Some(("application/merge-patch+json", body)),
        )
        .await
    }

    async fn create_cs(&self, name: &str, region: &str) -> (StatusCode, Value) {
        self.post(
            &self.ns_url("cloudspaces"),
            json!({"apiVersion": "ngpc.rxt.io/v1", "kind": "CloudSpace",
                "metadata": {"name": name, "namespace": self.ns},
                "spec": {"region": region, "kubernetesVersion": "1.31.1"}}),
        )
        .await
    }

    async fn create_spot(
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

fn reason(v: &Value) -> &str {
    v["reason"].as_str().unwrap_or("<none>")
}

fn jwt_payload(token: &str) -> Value {
    let p = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

#[tokio::test]
async fn token_exchange_issues_an_id_token_jwt() {
    let emu = Emulator::start().await.unwrap();
    let http = client();
    let r = exchange(&http, &emu.base_url(), "demo-token").await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86400);
    assert_eq!(body["scope"], "openid profile email offline_access");
    assert!(!body["access_token"].as_str().unwrap().contains('.'));
    let id = body["id_token"].as_str().unwrap();
    assert_eq!(id.split('.').count(), 3);
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(id.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
    let claims = jwt_payload(id);
    assert_eq!(claims["org_id"], "org_DemoOrg0000000001");
    assert_eq!(claims["aud"], CLIENT_ID);
    assert_eq!(claims["iss"], format!("{}/", emu.base_url()));
    assert_eq!(claims["email_verified"], true);
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        86400
    );
    assert_eq!(claims["iat"].as_i64().unwrap(), emu.now().timestamp());

    // Unknown token: Auth0's 403 invalid_grant. Wrong client or grant type: 401 access_denied.
    let r = exchange(&http, &emu.base_url(), "nope").await;
    assert_eq!(r.status(), 403);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], "invalid_grant");
    assert_eq!(b["error_description"], "Unknown or invalid refresh token.");
    for form in [
        [
            ("grant_type", "refresh_token"),
            ("client_id", "someone-else"),
            ("refresh_token", "demo-token"),
        ],
        [
            ("grant_type", "password"),
            ("client_id", CLIENT_ID),
            ("refresh_token", "demo-token"),
        ],
    ] {
        let r = http
            .post(format!("{}/oauth/token", emu.base_url()))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"], "access_denied");
    }

    // Revocation: the exchange fails from then on.
    emu.revoke_refresh_token("demo-token");
    assert_eq!(
        exchange(&http, &emu.base_url(), "demo-token")
            .await
            .status(),
        403
    );
    assert_eq!(
        exchange(&http, &emu.base_url(), "acme-token")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn bearer_rules_answer_plain_text_401_and_403_for_other_orgs() {
    let t = setup_with(EmulatorOptions {
        token_lifetime: Duration::from_secs(60),
        ..EmulatorOptions::default()
    })
    .await;
    let regions = t.url("/apis/ngpc.rxt.io/v1/regions");
    let text_401 = |auth: Option<String>| {
        let mut rb = t.http.get(&regions);
        if let Some(a) = auth {
            rb = rb.header("authorization", a);
        }
        async move {
            let r = rb.send().await.unwrap();
            assert_eq!(r.status(), 401);
            assert!(
                r.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/plain")
            );
            r.text().await.unwrap()
        }
    };
    assert_eq!(text_401(None).await, "Jwt is missing");
    // The opaque access_token is not a JWT.
    let body: Value = exchange(&t.http, &t.emu.base_url(), "demo-token")
        .await
        .json()
        .await
        .unwrap();
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        text_401(Some(format!("Bearer {access}"))).await,
        "Jwt is not in the form of Header.Payload.Signature"
    );
    // A forged signature is refused.
    let mut parts: Vec<&str> = t.token.split('.').collect();
    parts[2] = "c2lnbmF0dXJl";
    assert_eq!(
        text_401(Some(format!("Bearer {}", parts.join(".")))).await,
        "Jwt verification fails"
    );
    // A valid token works until it expires on the emulator's clock.
    assert_eq!(t.get(&regions).await.0, 200);
    t.emu.advance(Duration::from_secs(61));
    assert_eq!(
        text_401(Some(format!("Bearer {}", t.token))).await,
        "Jwt is expired"
    );

    // Another org's namespace: 403 Status Forbidden.
    let t = setup().await;
    let acme = t
        .emu
        .seed()
        .orgs
        .iter()
        .find(|o| o.name == "acme-dev")
        .unwrap()
        .namespace();
    let (s, b) = t
        .get(&t.url(&format!(
            "/apis/ngpc.rxt.io/v1/namespaces/{acme}/cloudspaces"
        )))
        .await;
    assert_eq!(s, 403);
    assert_eq!(b["kind"], "Status");
    assert_eq!(reason(&b), "Forbidden");
    assert_eq!(b["code"], 403);
}

#[tokio::test]
async fn organizations_regions_and_server_classes() {
    let t = setup().await;
    let (s, b) = t
        .get(&t.url("/apis/auth.ngpc.rxt.io/v1/organizations"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["total"], 2);
    assert_eq!(b["length"], 2);
    let demo = &b["organizations"][0];
    assert_eq!(demo["name"], "demo");
    assert_eq!(demo["id"], "org_DemoOrg0000000001");
    assert_eq!(demo["metadata"]["namespace"], t.ns);
    assert_eq!(b["organizations"][1]["name"], "acme-dev");

    let (s, b) = t.get(&t.url("/apis/ngpc.rxt.io/v1/regions")).await;
    assert_eq!(s, 200);
    assert_eq!(b["kind"], "RegionList");
    let names: Vec<&str> = b["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["metadata"]["name"].as_str().unwrap())
        .collect();
    for r in [
        "us-central-dfw-1",
        "us-east-iad-1",
        "uk-lon-1",
        "us-west-sjc-1",
    ] {
        assert!(names.contains(&r), "{r}");
    }
    let (s, b) = t
        .get(&t.url("/apis/ngpc.rxt.io/v1/regions/us-west-sjc-1"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["spec"]["generation"], "v2");
    let (s, b) = t.get(&t.url("/apis/ngpc.rxt.io/v1/regions/mars-1")).await;
    assert_eq!((s.as_u16(), reason(&b)), (404, "NotFound"));

    let (s, b) = t.get(&t.url("/apis/ngpc.rxt.io/v1/serverclasses")).await;
    assert_eq!(s, 200);
    assert_eq!(b["kind"], "ServerClassList");
    assert!(b["items"].as_array().unwrap().len() >= 10);
    let (_, b) = t
        .get(
            &t.url(
                "/apis/ngpc.rxt.io/v1/serverclasses?labelSelector=region.ngpc.rxt.io%2Fuk-lon-1",
            ),
        )
        .await;
    assert_eq!(b["items"].as_array().unwrap().len(), 2);
    let (s, b) = t
        .get(&t.url("/apis/ngpc.rxt.io/v1/serverclasses/gp.vs1.medium-dfw"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["spec"]["minBidPricePerHour"], "0.01");
    assert_eq!(b["status"]["spotPricing"]["marketPricePerHour"], "0.001000");
    let (s, b) = t
        .get(&t.url("/apis/ngpc.rxt.io/v1/serverclasses/nope"))
        .await;
    assert_eq!(s, 404);
    assert_eq!(b["message"], "serverclasses.ngpc.rxt.io \"nope\" not found");
}

#[tokio::test]
async fn cloudspace_lifecycle_pools_kubeconfig_and_cascade_delete() {
    let t = setup().await;
    let (s, cs) = t.create_cs("demo-dfw", "us-central-dfw-1").await;
    assert_eq!(s, 201, "{cs}");
    let meta = &cs["metadata"];
    assert!(meta["uid"].as_str().unwrap().len() == 36);
    assert!(
        meta["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(meta["generation"], 1);
    assert_eq!(
        meta["creationTimestamp"],
        t.emu.now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
    );
    assert_eq!(cs["spec"]["cni"], "calico");
    assert_eq!(cs["spec"]["cloud"], "default");
    assert_eq!(cs["spec"]["HAControlPlane"], false);
    assert_eq!(cs["spec"]["deploymentType"], "gen2");
    assert_eq!(cs["status"]["phase"], "Provisioning");

    let (s, p) = t
        .create_spot(POOL_A, "demo-dfw", "gp.vs1.medium-dfw", "0.01")
        .await;
    assert_eq!(s, 201, "{p}");
    assert_eq!(
        p["metadata"]["labels"]["ngpc.rxt.io/cloudspace"],
        "demo-dfw"
    );
    let (s, od) = t
        .post(
            &t.ns_url("ondemandnodepools"),
            json!({"metadata": {"name": POOL_B},
                "spec": {"cloudSpace": "demo-dfw", "serverClass": "ch.vs1.xlarge-dfw", "desired": 1}}),
        )
        .await;
    assert_eq!(s, 201, "{od}");

    let cs_url = format!("{}/demo-dfw", t.ns_url("cloudspaces"));
    let pool_url = format!("{}/{POOL_A}", t.ns_url("spotnodepools"));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(cs["spec"]["bidRequests"], json!([POOL_A]));
    assert_eq!(cs["spec"]["onDemandRequests"], json!([POOL_B]));
    assert!(cs["status"].get("APIServerEndpoint").is_none());
    let (_, p) = t.get(&pool_url).await;
    assert_eq!(p["status"]["bidStatus"], "Pending");

    // Kubeconfig before Ready: no endpoint yet.
    let kc_url = t.url("/apis/auth.ngpc.rxt.io/v1/generate-kubeconfig");
    let kc = |cs: &str, token: &str| {
        t.http
            .post(&kc_url)
            .json(&json!({"organization_name": "demo", "cloudspace_name": cs, "refresh_token": token}))
            .send()
    };
    assert_eq!(kc("demo-dfw", "demo-token").await.unwrap().status(), 409);

    t.emu.advance(Duration::from_secs(120));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(cs["status"]["phase"], "Ready");
    assert_eq!(cs["status"]["health"], "Healthy");
    assert_eq!(cs["status"]["currentKubernetesVersion"], "1.31.1");
    let endpoint = cs["status"]["APIServerEndpoint"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!endpoint.contains("://"));
    assert!(cs["status"]["firstReadyTimestamp"].is_string());
    // Pools are fulfilled pool_fulfilled_after (60 s) after the cloudspace became Ready.
    let (_, p) = t.get(&pool_url).await;
    assert_eq!(p["status"]["bidStatus"], "Pending");
    t.emu.advance(Duration::from_secs(60));
    let (_, p) = t.get(&pool_url).await;
    assert_eq!(p["status"]["bidStatus"], "Fulfilled");
    assert_eq!(p["status"]["wonCount"], 2);
    let (_, od) = t
        .get(&format!("{}/{POOL_B}", t.ns_url("ondemandnodepools")))
        .await;
    assert_eq!(od["status"]["reservedStatus"], "Fulfilled");
    assert_eq!(od["status"]["reservedCount"], 1);
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(cs["status"]["bids"][POOL_A]["wonCount"], 2);
    assert_eq!(cs["status"]["bids"][POOL_B]["type"], "ondemand");
    assert_eq!(
        cs["status"]["assignedServers"].as_object().unwrap().len(),
        3
    );

    // Kubeconfig once Ready.
    let r = kc("demo-dfw", "demo-token").await.unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["status_code"], 200);
    let yaml = b["data"]["kubeconfig"].as_str().unwrap();
    let doc: Value = serde_norway::from_str(yaml).unwrap();
    assert_eq!(
        doc["clusters"][0]["cluster"]["server"],
        format!("https://{endpoint}")
    );
    assert_eq!(doc["current-context"], "demo-demo-dfw");
    let kube_token = doc["users"][0]["user"]["token"].as_str().unwrap();
    assert_eq!(jwt_payload(kube_token)["org_id"], "org_DemoOrg0000000001");
    assert_eq!(doc["users"][1]["name"], "oidc");
    assert!(yaml.contains("--oidc-auth-request-extra-params=organization=org_DemoOrg0000000001"));
    // Kubeconfig errors.
    assert_eq!(kc("demo-dfw", "bad").await.unwrap().status(), 401);
    assert_eq!(kc("missing", "demo-token").await.unwrap().status(), 404);
    let r = t
        .http
        .post(&kc_url)
        .json(&json!({"organization_name": "demo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "bad_request");

    // Upgrade: Ready → Upgrading → Ready with the new version.
    let (s, cs) = t
        .merge(&cs_url, json!({"spec": {"kubernetesVersion": "1.33.0"}}))
        .await;
    assert_eq!(s, 200, "{cs}");
    assert_eq!(cs["status"]["phase"], "Upgrading");
    assert_eq!(cs["metadata"]["generation"], 2);
    t.emu.advance(Duration::from_secs(120));
    let (_, cs) = t.get(&cs_url).await;
    assert_eq!(cs["status"]["phase"], "Ready");
    assert_eq!(cs["status"]["currentKubernetesVersion"], "1.33.0");

    // Delete: Deleting with a deletionTimestamp, then gone; by default (cascade-delete=no) its
    // pools stay, still fulfilled.
    let (s, b) = t.send(Method::DELETE, &cs_url, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "Success");
    assert_eq!(b["details"]["name"], "demo-dfw");
    let (s, cs) = t.get(&cs_url).await;
    assert_eq!(s, 200);
    assert_eq!(cs["status"]["phase"], "Deleting");
    assert!(cs["metadata"]["deletionTimestamp"].is_string());
    t.emu.advance(Duration::from_secs(30));
    let (s, b) = t.get(&cs_url).await;
    assert_eq!((s.as_u16(), reason(&b)), (404, "NotFound"));
    assert_eq!(
        b["message"],
        "cloudspaces.ngpc.rxt.io \"demo-dfw\" not found"
    );
    let (s, pool) = t.get(&pool_url).await;
    assert_eq!(s, 200);
    assert_eq!(pool["status"]["bidStatus"], "Fulfilled");
    let snap = t.emu.snapshot();
    assert!(snap[&t.ns].get("cloudspaces").is_none());
    assert!(snap[&t.ns].get("spotnodepools").is_some());
}

#[tokio::test]
async fn losing_bids_and_pool_updates() {
    let t = setup_with(EmulatorOptions {
        lifecycle: Lifecycle::instant(),
        ..EmulatorOptions::default()
    })
    .await;
    t.create_cs("gpu", "us-west-sjc-1").await;
    // 0.35 is the floor (market above the minimum bid) and on the ladder: it wins.
    let (s, b) = t
        .create_spot(POOL_A, "gpu", "gpu.vs2.xlargeplusplus-sjc", "0.35")
        .await;
    assert_eq!(s, 201, "{b}");
    let url = format!("{}/{POOL_A}", t.ns_url("spotnodepools"));
    t.get(&url).await; // cloudspace becomes Ready
    let (_, p) = t.get(&url).await;
    assert_eq!(p["status"]["bidStatus"], "Fulfilled");
    let (s, p) = t.merge(&url, json!({"spec": {"desired": 4}})).await;
    assert_eq!(s, 200);
    assert_eq!(p["metadata"]["generation"], 2);
    let (_, p) = t.get(&url).await;
    assert_eq!(p["status"]["wonCount"], 4);

    // The market rising above the bid loses the pool (pre-emption); falling back wins it again.
    assert!(
        t.emu
            .set_market_price("gpu.vs2.xlargeplusplus-sjc", "0.400000")
    );
    let (_, p) = t.get(&url).await;
    assert_eq!(p["status"]["bidStatus"], "Lost");
    assert_eq!(p["status"]["wonCount"], 0);
    let (_, cs) = t.get(&format!("{}/gpu", t.ns_url("cloudspaces"))).await;
    assert_eq!(cs["status"]["bids"][POOL_A]["wonCount"], 0);
    let (_, class) = t
        .get(&t.url("/apis/ngpc.rxt.io/v1/serverclasses/gpu.vs2.xlargeplusplus-sjc"))
        .await;
    assert_eq!(
        class["status"]["spotPricing"]["marketPricePerHour"],
        "0.400000"
    );
    assert!(
        t.emu
            .set_market_price("gpu.vs2.xlargeplusplus-sjc", "0.300000")
    );
    let (_, p) = t.get(&url).await;
    assert_eq!(p["status"]["bidStatus"], "Fulfilled");
    assert!(!t.emu.set_market_price("no-such-class", "0.1"));
}

#[tokio::test]
async fn validation_errors_have_kubernetes_status_bodies() {
    let t = setup().await;
    assert_eq!(t.create_cs("demo-dfw", "us-central-dfw-1").await.0, 201);
    assert_eq!(t.create_cs("batch-iad", "us-east-iad-1").await.0, 201);
    assert_eq!(
        t.create_spot(POOL_A, "demo-dfw", "gp.vs1.medium-dfw", "0.01")
            .await
            .0,
        201
    );
    let auto = |name: &str, cs: &str, min: i64, max: i64| {
        json!({"metadata": {"name": name}, "spec": {"cloudSpace": cs,
            "serverClass": "gp.vs1.xlarge-iad", "bidPrice": "0.01", "desired": 1,
            "autoscaling": {"enabled": true, "minNodes": min, "maxNodes": max}}})
    };
    let spot = |name: &str, cs: &str, class: &str, bid: Value| {
        json!({"metadata": {"name": name}, "spec": {"cloudSpace": cs, "serverClass": class,
            "bidPrice": bid, "desired": 1}})
    };
    let other_ns = "org-q3vxh8lmp2stnr7a";
    let cases: Vec<(&str, &str, Value, u16, &str, &str)> = vec![
        (
            "cloudspaces",
            "duplicate",
            json!({"metadata": {"name": "demo-dfw"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}),
            409,
            "AlreadyExists",
            "already exists",
        ),
        (
            "cloudspaces",
            "not an RFC 1123 label",
            json!({"metadata": {"name": "Demo_DFW"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}),
            422,
            "Invalid",
            "metadata.name",
        ),
        (
            "cloudspaces",
            "unknown region",
            json!({"metadata": {"name": "x"}, "spec": {"region": "mars-1", "kubernetesVersion": "1.31.1"}}),
            403,
            "Forbidden",
            "region \"mars-1\" does not exist",
        ),
        (
            "cloudspaces",
            "missing kubernetesVersion",
            json!({"metadata": {"name": "x"}, "spec": {"region": "us-central-dfw-1"}}),
            422,
            "Invalid",
            "spec.kubernetesVersion: Required value",
        ),
        (
            "cloudspaces",
            "bad cni",
            json!({"metadata": {"name": "x"}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1", "cni": "flannel"}}),
            422,
            "Invalid",
            "spec.cni: Unsupported value",
        ),
        (
            "cloudspaces",
            "namespace mismatch",
            json!({"metadata": {"name": "x", "namespace": other_ns}, "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1"}}),
            400,
            "BadRequest",
            "namespace of the provided object",
        ),
        (
            "spotnodepools",
            "name not a uuid",
            spot("pool-1", "demo-dfw", "gp.vs1.medium-dfw", json!("0.01")),
            422,
            "Invalid",
            "metadata.name",
        ),
        (
            "spotnodepools",
            "uppercase uuid",
            spot(
                &POOL_B.to_uppercase(),
                "demo-dfw",
                "gp.vs1.medium-dfw",
                json!("0.01"),
            ),
            422,
            "Invalid",
            "lowercase UUID",
        ),
        (
            "spotnodepools",
            "four decimals",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!("0.0125")),
            422,
            "Invalid",
            "up to three decimal places",
        ),
        (
            "spotnodepools",
            "dollar sign",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!("$0.01")),
            422,
            "Invalid",
            "spec.bidPrice",
        ),
        (
            "spotnodepools",
            "under the floor",
            spot(POOL_B, "demo-dfw", "mh.vs1.2xlarge-dfw", json!("0.01")),
            403,
            "Forbidden",
            "BidPrice must be greater than or equal to the minimum bid price of 0.02",
        ),
        (
            "spotnodepools",
            "off the ladder",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!("0.05")),
            403,
            "Forbidden",
            "bid price 0.05 is not on the bid ladder",
        ),
        (
            "spotnodepools",
            "bid not a string",
            spot(POOL_B, "demo-dfw", "gp.vs1.medium-dfw", json!(0.01)),
            422,
            "Invalid",
            "spec.bidPrice",
        ),
        (
            "spotnodepools",
            "unknown class",
            spot(POOL_B, "demo-dfw", "gp.vs9.huge-dfw", json!("0.01")),
            403,
            "Forbidden",
            "server class \"gp.vs9.huge-dfw\" does not exist",
        ),
        (
            "spotnodepools",
            "class in another region",
            spot(POOL_B, "demo-dfw", "gp.vs1.xlarge-iad", json!("0.01")),
            403,
            "Forbidden",
            "region",
        ),
        (
            "spotnodepools",
            "unknown cloudspace",
            spot(POOL_B, "nope", "gp.vs1.medium-dfw", json!("0.01")),
            403,
            "Forbidden",
            "cloudspace \"nope\" does not exist",
        ),
        (
            "spotnodepools",
            "deprecated class",
            spot(POOL_B, "demo-dfw", "ch.vs1.large-lon", json!("0.01")),
            403,
            "Forbidden",
            "is not available",
        ),
        (
            "spotnodepools",
            "missing desired",
            json!({"metadata": {"name": POOL_B}, "spec": {"cloudSpace": "demo-dfw", "serverClass": "gp.vs1.medium-dfw", "bidPrice": "0.01"}}),
            422,
            "Invalid",
            "spec.desired: Required value",
        ),
        (
            "spotnodepools",
            "minNodes 0",
            auto(POOL_B, "batch-iad", 0, 2),
            422,
            "Invalid",
            "spec.autoscaling.minNodes",
        ),
        (
            "spotnodepools",
            "max < min",
            auto(POOL_B, "batch-iad", 3, 2),
            422,
            "Invalid",
            "spec.autoscaling.maxNodes",
        ),
        (
            "ondemandnodepools",
            "missing serverClass",
            json!({"metadata": {"name": POOL_B}, "spec": {"cloudSpace": "demo-dfw", "desired": 1}}),
            422,
            "Invalid",
            "spec.serverClass: Required value",
        ),
    ];
    for (plural, what, body, code, want_reason, needle) in cases {
        let (s, b) = t.post(&t.ns_url(plural), body).await;
        assert_eq!(s.as_u16(), code, "{what}: {b}");
        assert_eq!(b["kind"], "Status", "{what}");
        assert_eq!(b["code"], code, "{what}");
        assert_eq!(reason(&b), want_reason, "{what}");
        assert!(
            b["message"].as_str().unwrap().contains(needle),
            "{what}: {}",
            b["message"]
        );
        if code == 422 {
            assert!(
                b["details"]["causes"][0]["field"].is_string(),
                "{what}: {b}"
            );
        }
    }

    // A second autoscaling spot pool in the same cloudspace.
    assert_eq!(
        t.post(&t.ns_url("spotnodepools"), auto(POOL_B, "batch-iad", 1, 3))
            .await
            .0,
        201
    );
    let (s, b) = t
        .post(&t.ns_url("spotnodepools"), auto(POOL_C, "batch-iad", 1, 3))
        .await;
    assert_eq!((s.as_u16(), reason(&b)), (403, "Forbidden"));
    assert!(b["message"].as_str().unwrap().contains("autoscaling"));

    // Immutable fields.
    let cs_url = format!("{}/demo-dfw", t.ns_url("cloudspaces"));
    for patch in [
        json!({"spec": {"region": "us-east-iad-1"}}),
        json!({"spec": {"deploymentType": "gen1"}}),
        json!({"spec": {"cni": "cilium"}}),
    ] {
        let (s, b) = t.merge(&cs_url, patch.clone()).await;
        assert_eq!((s.as_u16(), reason(&b)), (422, "Invalid"), "{patch}");
    }
    let (_, b) = t
        .merge(&cs_url, json!({"spec": {"deploymentType": "gen1"}}))
        .await;
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("update to the deploymentType not allowed")
    );
    let pool_url = format!("{}/{POOL_A}", t.ns_url("spotnodepools"));
    for patch in [
        json!({"spec": {"cloudSpace": "batch-iad"}}),
        json!({"spec": {"serverClass": "gp.vs1.large-dfw"}}),
        json!({"spec": {"bidPrice": "0.0001"}}),
    ] {
        let (s, b) = t.merge(&pool_url, patch.clone()).await;
        assert_eq!((s.as_u16(), reason(&b)), (422, "Invalid"), "{patch}");
    }
    // Unknown objects and paths.
    let (s, b) = t
        .get(&format!("{}/{POOL_C}", t.ns_url("spotnodepools")))
        .await;
    assert_eq!((s.as_u16(), reason(&b)), (404, "NotFound"));
    assert_eq!(
        b["message"],
        format!("spotnodepools.ngpc.rxt.io \"{POOL_C}\" not found")
    );
    assert_eq!(
        t.send(
            Method::DELETE,
            &format!("{}/nope", t.ns_url("cloudspaces")),
            None
        )
        .await
        .0,
        404
    );
    assert_eq!(t.get(&t.ns_url("widgets")).await.0, 404);
    // Nothing invalid was stored.
    let snap = t.emu.snapshot();
    assert_eq!(snap[&t.ns]["cloudspaces"].as_object().unwrap().len(), 2);
    assert_eq!(snap[&t.ns]["spotnodepools"].as_object().unwrap().len(), 2);
}

#[tokio::test]
async fn label_selector_filters_pools_by_cloudspace() {
    let t = setup().await;
    t.create_cs("a", "us-central-dfw-1").await;
    t.create_cs("b", "us-central-dfw-1").await;
    t.create_spot(POOL_A, "a", "gp.vs1.medium-dfw", "0.01")
        .await;
    t.create_spot(POOL_B, "b", "gp.vs1.medium-dfw", "0.02")
        .await;
    t.create_spot(POOL_C, "b", "gp.vs1.large-dfw", "0.03").await;
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, all) = t.get(&t.ns_url("spotnodepools")).await;
    assert_eq!(s, 200);
    assert_eq!(all["kind"], "SpotNodePoolList");
    assert_eq!(names(&all).len(), 3);
    let (_, a) = t
        .get(&format!(
            "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Da",
            t.ns_url("spotnodepools")
        ))
        .await;
    assert_eq!(names(&a), vec![POOL_A]);
    let r = t
        .http
        .get(t.ns_url("spotnodepools"))
        .query(&[("labelSelector", "ngpc.rxt.io/cloudspace=b")])
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    let b: Value = r.json().await.unwrap();
    let mut got = names(&b);
    got.sort();
    let mut want = vec![POOL_B.to_string(), POOL_C.to_string()];
    want.sort();
    assert_eq!(got, want);
    let (_, none) = t
        .get(&format!(
            "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Dzzz",
            t.ns_url("spotnodepools")
        ))
        .await;
    assert!(names(&none).is_empty());

    // Collection delete honours the selector.
    let (s, b) = t
        .send(
            Method::DELETE,
            &format!(
                "{}?labelSelector=ngpc.rxt.io%2Fcloudspace%3Db",
                t.ns_url("spotnodepools")
            ),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "Success");
    let (_, left) = t.get(&t.ns_url("spotnodepools")).await;
    assert_eq!(names(&left), vec![POOL_A]);
    let (_, cs_b) = t.get(&format!("{}/b", t.ns_url("cloudspaces"))).await;
    assert!(cs_b["spec"].get("bidRequests").is_none());
    // Collection delete of everything.
    assert_eq!(
        t.send(Method::DELETE, &t.ns_url("spotnodepools"), None)
            .await
            .0,
        200
    );
    let (_, left) = t.get(&t.ns_url("spotnodepools")).await;
    assert!(names(&left).is_empty());
}

#[tokio::test]
async fn patch_semantics_and_put_conflicts() {
    let t = setup().await;
    let (_, cs) = t
        .post(
            &t.ns_url("cloudspaces"),
            json!({"metadata": {"name": "p", "labels": {"team": "a", "tier": "x"}},
                "spec": {"region": "us-central-dfw-1", "kubernetesVersion": "1.31.1",
                    "webhook": "https://hooks.example/1"}}),
        )
        .await;
    let url = format!("{}/p", t.ns_url("cloudspaces"));
    let rv0 = cs["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // Merge patch: null deletes a key, other keys merge.
    let (s, cs) = t
        .merge(
            &url,
            json!({"metadata": {"labels": {"tier": null}}, "spec": {"webhook": null, "HAControlPlane": true}}),
        )
        .await;
    assert_eq!(s, 200, "{cs}");
    assert!(cs["spec"].get("webhook").is_none());
    assert_eq!(cs["spec"]["HAControlPlane"], true);
    assert_eq!(cs["metadata"]["labels"], json!({"team": "a"}));
    assert_eq!(cs["metadata"]["generation"], 2);
    let rv1 = cs["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(rv0, rv1);

    // Plain JSON is not a patch type; strategic merge is not available for CRDs.
    for ct in ["application/json", "application/strategic-merge-patch+json"] {
        let (s, b) = t
            .send(
                Method::PATCH,
                &url,
                Some((ct, json!({"spec": {"HAControlPlane": false}}))),
            )
            .await;
        assert_eq!(
            (s.as_u16(), reason(&b)),
            (415, "UnsupportedMediaType"),
            "{ct}"
        );
    }

    // JSON patch.
    let (s, cs) = t
        .send(
            Method::PATCH,
            &url,
            Some((
                "application/json-patch+json",
                json!([{"op": "replace", "path": "/spec/HAControlPlane", "value": false},
                       {"op": "add", "path": "/spec/webhook", "value": "https://hooks.example/2"}]),
            )),
        )
        .await;
    assert_eq!(s, 200, "{cs}");
    assert_eq!(cs["spec"]["HAControlPlane"], false);
    assert_eq!(cs["spec"]["webhook"], "https://hooks.example/2");

    // Status is the server's: a patch cannot set it.
    let (_, cs) = t.merge(&url, json!({"status": {"phase": "Ready"}})).await;
    assert_eq!(cs["status"]["phase"], "Provisioning");

    // PUT: a stale resourceVersion conflicts; the current one succeeds.
    let mut stale = cs.clone();
    stale["metadata"]["resourceVersion"] = json!(rv0);
    stale["spec"]["HAControlPlane"] = json!(true);
    let (s, b) = t
        .send(Method::PUT, &url, Some(("application/json", stale)))
        .await;
    assert_eq!((s.as_u16(), reason(&b)), (409, "Conflict"));
    assert!(
        b["message"]
            .as_str()
            .unwrap()
            .contains("the object has been modified")
    );
    let mut fresh = cs.clone();
    fresh["spec"]["HAControlPlane"] = json!(true);
    let (s, b) = t
        .send(Method::PUT, &url, Some(("application/json", fresh.clone())))
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["spec"]["HAControlPlane"], true);
    // Replaying the same PUT is now stale.
    let (s, _) = t
        .send(Method::PUT, &url, Some(("application/json", fresh)))
        .await;
    assert_eq!(s, 409);
    // A patch carrying a stale resourceVersion is a failed precondition too.
    let (s, _) = t
        .merge(
            &url,
            json!({"metadata": {"resourceVersion": rv0}, "spec": {"HAControlPlane": false}}),
        )
        .await;
    assert_eq!(s, 409);
}

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
    // The inventory is read-only.
    let (s, _) = t
        .post(
            &t.ns_url("vmcloudspaces"),
            json!({"metadata": {"name": "x"}}),
        )
        .await;
    assert_eq!(s, 405);

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
        Err(rsspot::Error::Config { .. })
    ));
    assert!(Seed::from_file(&dir.path().join("missing.yaml")).is_err());
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
