//! The Spot API emulator over real HTTP on 127.0.0.1: tokens, bearers, reference data and
//! the cloudspace and pool lifecycle.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use rsspot::emulator::{CLIENT_ID, Emulator, EmulatorOptions, Lifecycle};
use serde_json::{Value, json};

use emulator_support::*;

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
