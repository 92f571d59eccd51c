//! VM kinds through the real binary against the emulator: SSH keys, VM cloudspaces with inline
//! pools and user data, VM pools, and the full loop key → VM cloudspace → pool
//! → discover → claim → mark.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use base64::Engine as _;
use serde_json::Value;

use common::API;
/// A syntactically real ed25519 public key line.
const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@laptop";

fn ok(env: &common::Env, args: &[&str]) -> Value {
    let value = env.ok_json(args);
    common::assert_no_secret(&value.to_string());
    value
}

fn write(env: &common::Env, name: &str, bytes: &[u8]) -> String {
    let p = env.home().join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

fn journal(env: &common::Env, method: &str, part: &str) -> Vec<String> {
    env.emu
        .journal()
        .iter()
        .filter(|e| e.method.eq_ignore_ascii_case(method) && e.path.starts_with(API))
        .filter(|e| e.path.contains(part))
        .map(|e| format!("{} {}", e.status, e.path))
        .collect()
}

fn decode(b64: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.as_str().expect("vmUserData is a string"))
        .expect("vmUserData is base64")
}

fn create_key(env: &common::Env) -> Value {
    let file = write(env, "id_ed25519.pub", format!("{KEY}\n").as_bytes());
    ok(
        env,
        &[
            "-o",
            "json",
            "vm-ssh-keys",
            "create",
            "laptop",
            "--public-key-file",
            &file,
        ],
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn ssh_keys_are_checked_locally_and_fingerprinted_by_the_server() {
    let env = common::Env::instant().await;
    let key = create_key(&env);
    let fp = key["status"]["fingerprint"].as_str().unwrap();
    assert_eq!(fp, rsspot::services::vm_ssh_keys::fingerprint(KEY).unwrap());
    assert_eq!(key["status"]["validated"], true);
    // The aliases of spotctl work, and list/get see the key.
    let list = ok(&env, &["-o", "json", "vmsk", "list"]);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let got = ok(&env, &["-o", "json", "vmsshkeys", "get", "laptop"]);
    assert_eq!(got["spec"]["publicKey"], KEY);
    // A bad key never leaves the machine.
    let before = journal(&env, "POST", "/vmsshkeys").len();
    let bad = write(&env, "bad.pub", b"ssh-ed25519 not-base64!!");
    let (code, err) = env.fails(&["vm-ssh-keys", "create", "bad", "--public-key-file", &bad]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("publicKey") && err.contains("base64"), "{err}");
    assert_eq!(journal(&env, "POST", "/vmsshkeys").len(), before);
    // Delete asks; --yes confirms.
    let (code, _) = env.fails(&["vm-ssh-keys", "delete", "laptop"]);
    assert_eq!(code, Some(2));
    ok(&env, &["--yes", "vm-ssh-keys", "delete", "laptop"]);
    let (code, _) = env.fails(&["vm-ssh-keys", "get", "laptop"]);
    assert_eq!(code, Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn full_vm_loop_key_cloudspace_pools_discover_claim_mark() {
    let env = common::Env::instant().await;
    create_key(&env);
    // User data with bytes a text pipeline would mangle: CRLF, tabs, UTF-8, no final newline.
    let script: &[u8] = b"#!/bin/sh\r\necho \"h\xc3\xa9llo\"\t>/tmp/x\n\n  exit 0";
    let script_file = write(&env, "init.sh", script);
    let cs = ok(
        &env,
        &[
            "-o",
            "json",
            "--region",
            "us-central-dfw-1",
            "vm-cloudspaces",
            "create",
            "vm-lab",
            "--vm-ssh-key-name",
            "laptop",
            "--vm-pool",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.01,desired=2,pooltype=spot,vmimage=ubuntu24.04",
            "--vm-pool",
            "serverclass=ch.vs1.xlarge-dfw,desired=1,pooltype=ondemand",
            "--vm-userdata-from-script",
            &script_file,
            "--wait",
            "--timeout",
            "30s",
        ],
    );
    assert_eq!(cs["status"]["phase"], "Ready", "{cs}");
    let servers = cs["status"]["assignedServers"].as_object().unwrap();
    assert_eq!(servers.len(), 3, "{cs}");
    assert_eq!(cs["spec"]["vmSshKeyRef"]["name"], "laptop");

    let pools = ok(
        &env,
        &["-o", "json", "vmp", "list", "--vmcloudspace", "vm-lab"],
    );
    let pools = pools.as_array().unwrap();
    assert_eq!(pools.len(), 2);
    for p in pools {
        let name = p["metadata"]["name"].as_str().unwrap();
        assert!(uuid::Uuid::parse_str(name).is_ok(), "{name}");
        // Byte for byte through base64, the API and back.
        let got = ok(&env, &["-o", "json", "vm-pools", "get", name]);
        assert_eq!(decode(&got["spec"]["vmUserData"]), script);
        assert_eq!(got["status"]["bidStatus"], "Fulfilled");
    }
    let spot = pools
        .iter()
        .find(|p| p["spec"]["poolType"] == "spot")
        .unwrap();
    assert_eq!(spot["spec"]["bidPrice"], "0.01");
    let od = pools
        .iter()
        .find(|p| p["spec"]["poolType"] == "ondemand")
        .unwrap();
    assert!(od["spec"].get("bidPrice").is_none(), "{od}");

    // The registration workflow sees the VMs created this way.
    let d = ok(
        &env,
        &[
            "registrations",
            "discover",
            "--vmcloudspace",
            "vm-lab",
            "--omni-cluster",
            "lab",
        ],
    );
    assert_eq!(d["candidates"], 3, "{d}");
    let claimed = ok(
        &env,
        &[
            "registrations",
            "claim",
            "1",
            "--owner",
            "w1",
            "--ttl",
            "60",
        ],
    );
    let key = claimed[0]["registration_key"].as_str().unwrap().to_string();
    assert_eq!(claimed[0]["vmcloudspace"], "vm-lab");
    ok(
        &env,
        &[
            "registrations",
            "mark",
            &key,
            "token_issued",
            "--owner",
            "w1",
            "--token-id",
            "tok-1",
        ],
    );
    ok(
        &env,
        &["registrations", "mark", &key, "submitted", "--owner", "w1"],
    );
    let rec = ok(
        &env,
        &["registrations", "mark", &key, "registered", "--owner", "w1"],
    );
    assert_eq!(rec["status"], "registered");

    // Scale a pool; set and clear the webhook (the one field a VM cloudspace may change).
    let spot_name = spot["metadata"]["name"].as_str().unwrap();
    let scaled = ok(
        &env,
        &[
            "-o",
            "json",
            "vm-pools",
            "update",
            spot_name,
            "--desired",
            "3",
            "--wait",
            "--timeout",
            "30s",
        ],
    );
    assert_eq!(scaled["status"]["wonCount"], 3);
    let cs = ok(&env, &["-o", "json", "vm-cloudspaces", "get", "vm-lab"]);
    assert_eq!(
        cs["status"]["assignedServers"].as_object().unwrap().len(),
        4
    );
    let patched = ok(
        &env,
        &[
            "-o",
            "json",
            "vmcs",
            "update",
            "vm-lab",
            "--webhook",
            "https://example.com/hook",
        ],
    );
    assert_eq!(patched["spec"]["webhook"], "https://example.com/hook");
    let cleared = ok(
        &env,
        &["-o", "json", "vmcs", "update", "vm-lab", "--webhook", ""],
    );
    assert_eq!(cleared["spec"]["webhook"], "");
    // A bid below the floor is refused locally, before any write.
    let patches = journal(&env, "PATCH", "/vmpools/").len();
    let (code, err) = env.fails(&["vm-pools", "update", spot_name, "--bid-price", "0.001"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(journal(&env, "PATCH", "/vmpools/").len(), patches);

    // Delete removes the pools first, then the cloudspace.
    ok(&env, &["--yes", "vm-cloudspaces", "delete", "vm-lab"]);
    let deletes = journal(&env, "DELETE", "/vm");
    assert_eq!(deletes.len(), 3, "{deletes:?}");
    assert!(
        deletes[0].contains("/vmpools/") && deletes[1].contains("/vmpools/"),
        "{deletes:?}"
    );
    assert!(deletes[2].ends_with("/vmcloudspaces/vm-lab"), "{deletes:?}");
    let left = ok(
        &env,
        &["-o", "json", "vm-pools", "list", "--vmcloudspace", "vm-lab"],
    );
    assert_eq!(left, serde_json::json!([]));
    // The seeded inventory is untouched and still visible through `inventory`.
    let inv = ok(&env, &["-o", "json", "inventory", "vmcloudspaces"]);
    assert_eq!(inv.as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn create_from_a_spotctl_file_and_dry_run() {
    let env = common::Env::instant().await;
    create_key(&env);
    let yaml = "vmCloudSpace:\n  name: vm-file\n  org: demo\n  region: us-central-dfw-1\n  vmSshKeyRef:\n    name: laptop\nvmPools:\n  - serverClass: gp.vs1.medium-dfw\n    bidPrice: 0.01\n    desired: 1\n    poolType: spot\n    vmImage: ubuntu22.04\n    vmUserData: \"#cloud-config\\npackages: [jq]\\n\"\n";
    let file = write(&env, "vm.yaml", yaml.as_bytes());
    let posts = journal(&env, "POST", "/vm").len();
    let dry = ok(
        &env,
        &["-o", "json", "vmcs", "create", "-f", &file, "--dry-run"],
    );
    assert_eq!(
        journal(&env, "POST", "/vm").len(),
        posts,
        "dry run sent a write"
    );
    assert_eq!(dry["vmCloudSpace"]["spec"]["region"], "us-central-dfw-1");
    assert_eq!(dry["vmPools"][0]["spec"]["vmImage"], "ubuntu22.04");
    assert_eq!(
        decode(&dry["vmPools"][0]["spec"]["vmUserData"]),
        b"#cloud-config\npackages: [jq]\n"
    );
    ok(&env, &["-o", "json", "vmcs", "create", "-f", &file]);
    let pools = ok(
        &env,
        &[
            "-o",
            "json",
            "vm-pools",
            "list",
            "--vmcloudspace",
            "vm-file",
        ],
    );
    assert_eq!(pools.as_array().unwrap().len(), 1);
    // Unknown keys in the file are refused with the reason, not dropped.
    let bad = write(&env, "bad.yaml", b"vmCloudSpace: {name: x}\nvmPool: []\n");
    let (code, err) = env.fails(&["vmcs", "create", "-f", &bad]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("vmPool"), "{err}");
    // No pool at all is a usage error.
    let (code, err) = env.fails(&[
        "--region",
        "us-central-dfw-1",
        "vmcs",
        "create",
        "x",
        "--vm-ssh-key-name",
        "laptop",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--vm-pool"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_after_the_second_inline_pool_fails() {
    let env = common::Env::instant().await;
    let client = rsspot::SpotClient::builder()
        .all_urls(env.emu.base_url())
        .refresh_token("demo-token")
        .in_memory_state()
        .cache(false)
        .build()
        .await
        .unwrap();
    client
        .vm_ssh_keys()
        .create(&rsspot::services::VmSshKeyCreate::new("laptop", KEY))
        .await
        .unwrap();
    let bid = "0.01".parse().unwrap();
    let req = rsspot::services::VmCloudSpaceCreate::new("vm-rb", "us-central-dfw-1", "laptop")
        .pool(rsspot::services::VmPoolCreate::spot(
            "",
            "gp.vs1.medium-dfw",
            1,
            bid,
        ))
        .pool(rsspot::services::VmPoolCreate::on_demand(
            "",
            "ch.vs1.xlarge-dfw",
            1,
        ));
    let service = client.vm_cloudspaces();
    let mut prepared = service
        .prepare_create(&req, &Default::default())
        .await
        .unwrap();
    // Inject the failure: the server refuses the second pool (a class it does not have).
    prepared.pools[1].body.spec.server_class = Some("no.such-class".into());
    let err = service.send_create(prepared).await.unwrap_err();
    assert!(err.to_string().contains("no.such-class"), "{err}");
    let posts = journal(&env, "POST", "/vm");
    assert_eq!(posts.len(), 4, "{posts:?}"); // key, cloudspace, pool 1, refused pool 2
    // Every pool sent is deleted, then the cloudspace. The refused pool is looked up and not
    // found, so no DELETE goes out for it (a DELETE reads the object first, #29.8).
    let deletes = journal(&env, "DELETE", "/vm");
    assert_eq!(deletes.len(), 2, "{deletes:?}");
    assert!(deletes[0].contains("/vmpools/"), "{deletes:?}");
    assert!(deletes[1].ends_with("/vmcloudspaces/vm-rb"), "{deletes:?}");
    let lookups = journal(&env, "GET", "/vmpools/");
    assert!(lookups.iter().any(|l| l.starts_with("404 ")), "{lookups:?}");
    let snap = env.emu.snapshot();
    let ns = client.namespace(None).await.unwrap();
    let created = |plural: &str| {
        snap[&ns][plural]
            .as_object()
            .map(|m| {
                m.values()
                    .filter(|d| {
                        d["metadata"]["name"] == "vm-rb" || d["spec"]["vmCloudSpace"] == "vm-rb"
                    })
                    .count()
            })
            .unwrap_or(0)
    };
    assert_eq!(created("vmcloudspaces"), 0, "{snap}");
    assert_eq!(created("vmpools"), 0, "{snap}");

    // Through the CLI: a VM cloudspace the server refuses (its SSH key does not exist) leaves
    // nothing behind either.
    let (code, err) = env.fails(&[
        "--region",
        "us-central-dfw-1",
        "vmcs",
        "create",
        "vm-rb2",
        "--vm-ssh-key-name",
        "missing-key",
        "--vm-pool",
        "serverclass=gp.vs1.medium-dfw,bidprice=0.01",
    ]);
    assert_ne!(code, Some(0), "{err}");
    assert!(err.contains("missing-key"), "{err}");
    let (code, _) = env.fails(&["vmcs", "get", "vm-rb2"]);
    assert_eq!(code, Some(3));
}

#[tokio::test(flavor = "multi_thread")]
async fn vm_pools_standalone_and_guardrails() {
    let env = common::Env::instant().await;
    create_key(&env);
    ok(
        &env,
        &[
            "--region",
            "us-central-dfw-1",
            "vmcs",
            "create",
            "vm-p",
            "--vm-ssh-key-name",
            "laptop",
            "--vm-pool",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.01",
        ],
    );
    // A class of another region is refused before sending.
    let (code, err) = env.fails(&[
        "vm-pools",
        "create",
        "--vmcloudspace",
        "vm-p",
        "--server-class",
        "gp.vs1.xlarge-iad",
        "--bid-price",
        "0.5",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("us-east-iad-1") || err.contains("iad"),
        "{err}"
    );
    // Spot without a bid, ondemand with one: clear one-line errors.
    let (code, err) = env.fails(&[
        "vm-pools",
        "create",
        "--vmcloudspace",
        "vm-p",
        "--server-class",
        "gp.vs1.medium-dfw",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("needs a bid"), "{err}");
    // An ondemand pool with a bid is no longer refused locally: it is sent as the official CLI
    // sends it (tests/vm_official.rs covers each server behaviour).
    // More VMs than are available is a concern that needs --yes without a terminal.
    let (code, err) = env.fails(&[
        "vm-pools",
        "create",
        "--vmcloudspace",
        "vm-p",
        "--server-class",
        "gp.vs1.medium-dfw",
        "--bid-price",
        "0.01",
        "--desired",
        "5000",
    ]);
    assert_eq!(code, Some(2), "{err}");
    // `pricing bid` advises VM pools as it does node pools: its bid is accepted as is.
    let advice = ok(&env, &["-o", "json", "pricing", "bid", "gp.vs1.medium-dfw"]);
    let advised = advice["bid"]
        .as_str()
        .unwrap_or_else(|| panic!("no bid in {advice}"))
        .to_string();
    let spot = ok(
        &env,
        &[
            "-o",
            "json",
            "--yes",
            "vm-pools",
            "create",
            "--vmcloudspace",
            "vm-p",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--bid-price",
            &advised,
        ],
    );
    let held: f64 = spot["spec"]["bidPrice"].as_str().unwrap().parse().unwrap();
    assert_eq!(held, advised.parse::<f64>().unwrap());
    let dry = ok(
        &env,
        &[
            "-o",
            "json",
            "vm-pools",
            "create",
            "--vmcloudspace",
            "vm-p",
            "--server-class",
            "ch.vs1.xlarge-dfw",
            "--pooltype",
            "ondemand",
            "--vm-userdata",
            "#cloud-config\n",
            "--dry-run",
        ],
    );
    assert_eq!(dry["spec"]["poolType"], "ondemand");
    assert_eq!(decode(&dry["spec"]["vmUserData"]), b"#cloud-config\n");
    let made = ok(
        &env,
        &[
            "-o",
            "json",
            "vm-pools",
            "create",
            "--vmcloudspace",
            "vm-p",
            "--server-class",
            "ch.vs1.xlarge-dfw",
            "--pooltype",
            "ondemand",
            "--wait",
            "--timeout",
            "30s",
        ],
    );
    let name = made["metadata"]["name"].as_str().unwrap().to_string();
    assert_eq!(made["status"]["wonCount"], 1);
    ok(&env, &["--yes", "vm-pools", "delete", &name]);
    let (code, _) = env.fails(&["vm-pools", "get", &name]);
    assert_eq!(code, Some(3));
}
