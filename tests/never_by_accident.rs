//! #29 items 1 and 8: an empty (or otherwise bad) name never reaches the wire, a DELETE or PATCH
//! never reaches a collection by accident, and a delete reports what happened: deleted when the
//! object was there and the DELETE's answer was lost, not found when it never existed.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use rsspot::emulator::Fault;
use serde_json::Value;

/// Names a shell script produces from an unset or mangled variable.
const BAD_NAMES: &[&str] = &["", " ", ".", "..", "a/b", "../x", "x y"];

/// Every command that puts a name into a request path (or a label selector), with `{}` where
/// the name goes.
const NAMED_COMMANDS: &[&str] = &[
    "cloudspaces get {}",
    "cloudspaces delete {} --yes",
    "cloudspaces update {} --webhook https://example.com/h",
    "cloudspaces wait {} --timeout 1s",
    "cloudspaces kubeconfig {}",
    "cloudspaces create {} --region us-central-dfw-1",
    "nodepools spot get {}",
    "nodepools spot delete {} --yes",
    "nodepools spot update {} --desired 2",
    "nodepools spot wait {} --timeout 1s",
    "nodepools spot list --cloudspace {}",
    "nodepools spot create --cloudspace {} --server-class gp.vs1.medium-dfw --desired 1 --bid-price 0.02",
    "nodepools ondemand get {}",
    "nodepools ondemand delete {} --yes",
    "nodepools ondemand update {} --desired 2",
    "nodepools ondemand list --cloudspace {}",
    "nodepools autopilot get {}",
    "nodepools autopilot delete {} --yes",
    "nodepools autopilot update {} --vcpu 16",
    "nodepools autopilot list --cloudspace {}",
    "vm-cloudspaces get {}",
    "vm-cloudspaces delete {} --yes",
    "vm-cloudspaces update {} --webhook https://example.com/h",
    "vm-cloudspaces wait {} --timeout 1s",
    "vm-pools get {}",
    "vm-pools delete {} --yes",
    "vm-pools update {} --desired 2",
    "vm-pools list --vmcloudspace {}",
    "vm-ssh-keys get {}",
    "vm-ssh-keys delete --name {} --yes",
    "regions get {}",
    "server-classes get {}",
    "organizations get {}",
    "pricing get {}",
    "pricing bid {}",
    "--org {} cloudspaces list",
];

/// The words of `template` with `{}` replaced by `name` (which stays one argument).
fn words(template: &str, name: &str) -> Vec<String> {
    template
        .split(' ')
        .map(|w| {
            if w == "{}" {
                name.to_string()
            } else {
                w.to_string()
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_names_never_reach_the_wire() {
    let env = common::Env::instant().await;
    let mut runs = 0;
    for template in NAMED_COMMANDS {
        for bad in BAD_NAMES {
            // Organizations are found by name in a list, never put in a path: a name may hold a space ("Acme Inc"), only blank ones are bad.
            let org = template.starts_with("--org") || template.starts_with("organizations");
            if org && !bad.trim().is_empty() {
                continue;
            }
            let args = words(template, bad);
            let out = env.cmd().args(&args).output().expect("rsspot runs");
            let err = common::stderr_of(&out);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
            assert!(
                err.lines().count() <= 3 && err.contains("invalid value"),
                "{args:?}: the error names the argument: {err}"
            );
            assert!(
                env.emu.journal().is_empty(),
                "{args:?} sent {:?}",
                env.emu.journal()
            );
            runs += 1;
        }
    }
    assert!(
        runs >= NAMED_COMMANDS.len() * (BAD_NAMES.len() - 1),
        "{runs}"
    );
    eprintln!("bad names × commands: {runs} runs, 0 requests");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_and_the_raw_client_refuse_a_name_that_is_not_one_object() {
    let env = common::Env::instant().await;
    let client = env.client().await;
    let ns = client.namespace(None).await.expect("namespace");
    let before = env.emu.journal().len();
    for bad in BAD_NAMES {
        let e = client.ondemand_pools().delete(bad).await.unwrap_err();
        assert!(matches!(e, rsspot::Error::Invalid { .. }), "{bad:?}: {e}");
        let e = client.cloudspaces().get(bad).await.unwrap_err();
        assert!(matches!(e, rsspot::Error::Invalid { .. }), "{bad:?}: {e}");
        let raw = client
            .raw()
            .delete_spot_node_pool()
            .namespace(&ns)
            .name(*bad)
            .send()
            .await;
        assert!(raw.is_err(), "{bad:?}");
    }
    // A generated collection delete is refused too: only the escape hatch may, when asked to.
    let raw = client
        .raw()
        .delete_on_demand_node_pool_collection()
        .namespace(&ns)
        .send()
        .await;
    assert!(raw.is_err());
    assert_eq!(env.emu.journal().len(), before, "{:?}", env.emu.journal());
    let path = format!("{}/namespaces/{ns}/ondemandnodepools/", common::API);
    let e = client.api_request("DELETE", &path, None).await.unwrap_err();
    assert!(matches!(e, rsspot::Error::Invalid { .. }), "{e}");
    assert_eq!(env.emu.journal().len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_escape_hatch_asks_before_a_collection_write() {
    let env = common::Env::instant().await;
    env.ok(&[
        "cloudspaces",
        "create",
        "demo",
        "--region",
        "us-central-dfw-1",
    ]);
    let pool = |_: ()| {
        env.ok(&[
            "-o",
            "name",
            "nodepools",
            "ondemand",
            "create",
            "--cloudspace",
            "demo",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
        ])
    };
    pool(());
    pool(());
    let path = "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/ondemandnodepools/";
    for method in ["DELETE", "PATCH"] {
        let (code, err) = env.fails(&["api", method, path]);
        assert_eq!(code, Some(2), "{err}");
        assert!(err.contains("every object"), "{err}");
    }
    assert_eq!(env.api_requests("DELETE", "ondemandnodepools"), 0);
    assert_eq!(env.api_requests("PATCH", "ondemandnodepools"), 0);
    let list = env.ok_json(&["-o", "json", "np", "ondemand", "list"]);
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    // Asked for, it is carried out.
    env.ok(&["--yes", "api", "DELETE", path]);
    let list = env.ok_json(&["-o", "json", "np", "ondemand", "list"]);
    assert_eq!(list, serde_json::json!([]));
}

/// One kind's objects for the delete tests: how to make one, and how to delete and get it.
struct Kind {
    plural: &'static str,
    delete: &'static [&'static str],
    get: &'static [&'static str],
}

const KINDS: &[Kind] = &[
    Kind {
        plural: "spotnodepools",
        delete: &["nodepools", "spot", "delete"],
        get: &["nodepools", "spot", "get"],
    },
    Kind {
        plural: "ondemandnodepools",
        delete: &["nodepools", "ondemand", "delete"],
        get: &["nodepools", "ondemand", "get"],
    },
    Kind {
        plural: "autopilotnodepools",
        delete: &["nodepools", "autopilot", "delete"],
        get: &["nodepools", "autopilot", "get"],
    },
    Kind {
        plural: "vmpools",
        delete: &["vm-pools", "delete"],
        get: &["vm-pools", "get"],
    },
    Kind {
        plural: "vmsshkeys",
        delete: &["vm-ssh-keys", "delete", "--name"],
        get: &["vm-ssh-keys", "get"],
    },
    Kind {
        plural: "vmcloudspaces",
        delete: &["vm-cloudspaces", "delete"],
        get: &["vm-cloudspaces", "get"],
    },
    Kind {
        plural: "cloudspaces",
        delete: &["cloudspaces", "delete"],
        get: &["cloudspaces", "get"],
    },
];

const KEY: &str =
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g me@host";

/// Makes one object of `kind` (and what it needs) and answers its name.
fn make(env: &common::Env, kind: &Kind, n: usize) -> String {
    let cs = format!("cs{n}");
    let name_of = |v: Value| v["metadata"]["name"].as_str().expect("a name").to_string();
    let json = |args: &[&str]| {
        let mut all = vec!["-o", "json", "--region", "us-central-dfw-1"];
        all.extend_from_slice(args);
        env.ok_json(&all)
    };
    let key = format!("key{n}");
    let vmcs = format!("vm{n}");
    let vm_cloudspace = || {
        let file = env.home().join(format!("{key}.pub"));
        std::fs::write(&file, format!("{KEY}\n")).expect("key file");
        let file = file.to_string_lossy().into_owned();
        json(&["vm-ssh-keys", "create", &key, "--public-key-file", &file]);
        json(&[
            "vm-cloudspaces",
            "create",
            &vmcs,
            "--vm-ssh-key-name",
            &key,
            "--vm-pool",
            "serverclass=gp.vs1.medium-dfw,bidprice=0.01,desired=1,pooltype=spot,vmimage=ubuntu24.04",
        ])
    };
    match kind.plural {
        "cloudspaces" => name_of(json(&["cloudspaces", "create", &cs])),
        "vmcloudspaces" => name_of(vm_cloudspace()),
        "vmsshkeys" => {
            let file = env.home().join("k.pub");
            std::fs::write(&file, format!("{KEY}\n")).expect("key file");
            let file = file.to_string_lossy().into_owned();
            name_of(json(&[
                "vm-ssh-keys",
                "create",
                &key,
                "--public-key-file",
                &file,
            ]))
        }
        "vmpools" => {
            vm_cloudspace();
            let pools = json(&["vm-pools", "list", "--vmcloudspace", &vmcs]);
            name_of(pools[0].clone())
        }
        plural => {
            json(&["cloudspaces", "create", &cs]);
            let common = ["--cloudspace", cs.as_str()];
            let args: Vec<&str> = match plural {
                "spotnodepools" => vec![
                    "nodepools",
                    "spot",
                    "create",
                    "--server-class",
                    "gp.vs1.medium-dfw",
                    "--desired",
                    "1",
                    "--bid-price",
                    "0.02",
                ],
                "ondemandnodepools" => vec![
                    "nodepools",
                    "ondemand",
                    "create",
                    "--server-class",
                    "gp.vs1.medium-dfw",
                    "--desired",
                    "1",
                ],
                _ => vec![
                    "nodepools",
                    "autopilot",
                    "create",
                    "--vcpu",
                    "8",
                    "--budget-per-hour",
                    "5",
                ],
            };
            let mut all = args;
            all.extend_from_slice(&common);
            name_of(json(&all))
        }
    }
}

fn run(env: &common::Env, prefix: &[&str], name: &str) -> std::process::Output {
    let mut args: Vec<&str> = vec!["--yes"];
    args.extend_from_slice(prefix);
    args.push(name);
    env.run(&args)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_whose_answer_was_lost_reports_deleted_and_a_missing_name_not_found() {
    let env = common::Env::instant().await;
    let mut runs = 0;
    for (n, kind) in KINDS.iter().enumerate() {
        // The object is there; the DELETE is carried out and its answer lost; the retry finds
        // nothing. That is a delete that worked.
        let name = make(&env, kind, n);
        env.emu.faults().script(
            "DELETE",
            &format!("/{}/{name}", kind.plural),
            0,
            1,
            Fault::LoseResponse,
        );
        let out = run(&env, kind.delete, &name);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            kind.plural,
            common::stderr_of(&out)
        );
        let gone = run(&env, kind.get, &name);
        assert_eq!(gone.status.code(), Some(3), "{}: still there", kind.plural);
        env.emu.faults().clear();
        runs += 1;

        // A name that never existed is not found, with or without a lost answer on the way.
        let missing = if kind.plural.contains("pools") {
            "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c"
        } else {
            "never-was"
        };
        for fault in [None, Some(Fault::LoseResponse), Some(Fault::Drop)] {
            let deletes = env.api_requests("DELETE", kind.plural);
            if let Some(fault) = fault {
                env.emu
                    .faults()
                    .script("*", &format!("/{}/{missing}", kind.plural), 0, 1, fault);
            }
            let out = run(&env, kind.delete, missing);
            let err = common::stderr_of(&out);
            assert_eq!(
                out.status.code(),
                Some(3),
                "{} {fault:?}: {err}",
                kind.plural
            );
            assert!(err.contains("not found"), "{err}");
            assert_eq!(
                env.api_requests("DELETE", kind.plural),
                deletes,
                "{}: a DELETE was sent for a name that is not there",
                kind.plural
            );
            env.emu.faults().clear();
            runs += 1;
        }
    }
    eprintln!("delete runs: {runs}, false failures: 0");
}
