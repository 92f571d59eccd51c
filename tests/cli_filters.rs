//! Issue 19: one name per filter, filters that filter (client-side too, unknown values refused
//! with "did you mean"), `ls`/`rm`/`get` aliases, `--kubernetes-version` checked, not-found
//! messages with the known values, and no stale cache after a write.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use serde_json::Value;

fn json(env: &common::Env, args: &[&str]) -> Value {
    let mut all = vec!["-o", "json"];
    all.extend_from_slice(args);
    let (out, _) = env.ok(&all);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn names(out: &str) -> Vec<&str> {
    out.lines().filter(|l| !l.is_empty()).collect()
}

fn create_cloudspace(env: &common::Env, name: &str, region: &str) {
    env.ok(&[
        "cloudspaces",
        "create",
        name,
        "--region",
        region,
        "-o",
        "name",
    ]);
}

#[tokio::test(flavor = "multi_thread")]
async fn region_filters_filter_and_refuse_unknown_regions() {
    let env = common::Env::start().await;
    create_cloudspace(&env, "dfw-cs", "us-central-dfw-1");
    create_cloudspace(&env, "lon-cs", "uk-lon-1");
    // The list call sends no region: only the client can filter, and it must.
    let (out, _) = env.ok(&["cloudspaces", "list", "--region", "uk-lon-1", "-o", "name"]);
    assert_eq!(names(&out), ["lon-cs"]);
    let (out, _) = env.ok(&[
        "cs",
        "ls",
        "--region",
        "uk-lon-1,us-central-dfw-1",
        "-o",
        "name",
    ]);
    assert_eq!(names(&out), ["dfw-cs", "lon-cs"]);

    // An unknown region is a usage error naming the known ones, with a near miss suggested.
    for args in [
        &["cloudspaces", "list", "--region", "uk-lon1"][..],
        &["server-classes", "list", "--region", "uk-lon1"],
        &["pricing", "list", "--region", "uk-lon1"],
        &["vm-cloudspaces", "list", "--region", "uk-lon1"],
        &["inventory", "vmcloudspaces", "--region", "uk-lon1"],
    ] {
        let (code, err) = env.fails(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("unknown region \"uk-lon1\" (known: ")
                && err.contains("did you mean \"uk-lon-1\"?"),
            "{args:?}: {err}"
        );
    }
    // A far miss lists the known values and guesses nothing.
    for args in [
        &["server-classes", "list", "--region", "nope"][..],
        &["pricing", "list", "--region", "nope"],
    ] {
        let (code, err) = env.fails(args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert!(
            err.contains("unknown region \"nope\"")
                && err.contains("uk-lon-1")
                && !err.contains("did you mean"),
            "{args:?}: {err}"
        );
    }
    // Server classes: several regions at once, every row in one of them.
    let classes = json(
        &env,
        &[
            "server-classes",
            "list",
            "--region",
            "uk-lon-1,us-east-iad-1",
        ],
    );
    let regions: Vec<&str> = classes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["spec"]["region"].as_str().unwrap())
        .collect();
    assert!(!regions.is_empty());
    assert!(
        regions
            .iter()
            .all(|r| *r == "uk-lon-1" || *r == "us-east-iad-1"),
        "{regions:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn one_name_per_filter_with_the_old_spellings_hidden() {
    let env = common::Env::start().await;
    // pricing list: --category (was --family), --class names classes.
    let (by_category, _) = env.ok(&["pricing", "list", "--category", "ch", "-o", "name"]);
    let (by_family, _) = env.ok(&["pricing", "list", "--family", "ch", "-o", "name"]);
    assert!(!names(&by_category).is_empty());
    assert!(names(&by_category).iter().all(|n| n.starts_with("ch.")));
    assert_eq!(by_category, by_family);
    let (by_class, _) = env.ok(&["pricing", "ls", "--class", "gp.vs1.medium", "-o", "name"]);
    assert!(names(&by_class).len() > 1, "{by_class}");
    assert!(
        names(&by_class)
            .iter()
            .all(|n| n.starts_with("gp.vs1.medium-")),
        "{by_class}"
    );
    // --regions (old) and --region (comma list) agree.
    let (old, _) = env.ok(&["pricing", "list", "--regions", "uk-lon-1", "-o", "name"]);
    let (new, _) = env.ok(&["pricing", "list", "--region", "uk-lon-1", "-o", "name"]);
    assert_eq!(old, new);
    assert!(names(&new).iter().all(|n| n.ends_with("-lon")), "{new}");
    // pricing build: --category, with --classes and --family still accepted.
    let plan = |flag: &str| {
        json(
            &env,
            &[
                "pricing",
                "build",
                "--nodes",
                "3",
                flag,
                "ch",
                "--region",
                "us-central-dfw-1",
            ],
        )
    };
    let (a, b, c) = (plan("--category"), plan("--classes"), plan("--family"));
    assert_eq!(a, b);
    assert_eq!(a, c);
    // Unknown categories and classes are refused, near misses suggested.
    let (code, err) = env.fails(&["pricing", "list", "--category", "gpx"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("did you mean \"gp\"?"), "{err}");
    let (code, err) = env.fails(&["pricing", "build", "--nodes", "2", "--category", "zz"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown category \"zz\""), "{err}");
    let (code, err) = env.fails(&["pricing", "list", "--class", "ch"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("use --category ch"), "{err}");
    let (code, err) = env.fails(&["pricing", "list", "--class", "gp.vs1.mediu"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("did you mean \"gp.vs1.medium\"?"), "{err}");
    let (code, err) = env.fails(&["server-classes", "list", "--category", "mhh"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("did you mean \"mh\"?"), "{err}");
    // Old spellings stay out of the help.
    let (help, _) = env.ok(&["pricing", "list", "--help"]);
    assert!(
        help.contains("--category") && help.contains("--class"),
        "{help}"
    );
    assert!(
        !help.contains("--family") && !help.contains("--regions"),
        "{help}"
    );
    let (help, _) = env.ok(&["pricing", "build", "--help"]);
    assert!(help.contains("--category"), "{help}");
    assert!(
        !help.contains("--classes") && !help.contains("--family"),
        "{help}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pool_lists_filter_by_class() {
    let env = common::Env::instant().await;
    create_cloudspace(&env, "pools-cs", "us-central-dfw-1");
    for class in ["gp.vs1.medium-dfw", "ch.vs1.xlarge-dfw"] {
        env.ok(&[
            "--yes",
            "nodepools",
            "spot",
            "create",
            "--cloudspace",
            "pools-cs",
            "--server-class",
            class,
            "--desired",
            "1",
            "--bid-price",
            "0.9",
            "-o",
            "name",
        ]);
    }
    let all = json(&env, &["nodepools", "spot", "list"]);
    assert_eq!(all.as_array().unwrap().len(), 2);
    let some = json(&env, &["np", "spot", "ls", "--class", "gp.vs1.medium"]);
    let classes: Vec<&str> = some
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["spec"]["serverClass"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["gp.vs1.medium-dfw"]);
    let (code, err) = env.fails(&["nodepools", "spot", "list", "--class", "gp.vs1.mediun-dfw"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("did you mean \"gp.vs1.medium-dfw\"?"), "{err}");
    let (code, err) = env.fails(&["nodepools", "ondemand", "list", "--class", "nope"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("unknown server class \"nope\""), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn ls_rm_and_get_aliases_exist_on_every_noun() {
    let env = common::Env::start().await;
    for args in [
        &["organizations", "ls"][..],
        &["regions", "ls"],
        &["server-classes", "ls"],
        &["pricing", "ls"],
        &["cloudspaces", "ls"],
        &["nodepools", "spot", "ls"],
        &["nodepools", "autopilot", "ls"],
        &["vm-pools", "ls"],
        &["registrations", "ls"],
        &["profiles", "ls"],
    ] {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        env.ok(&all);
    }
    env.ok(&[
        "--profile",
        "second",
        "configure",
        "--region",
        "uk-lon-1",
        "--no-activate",
        "--no-input",
        "-o",
        "json",
    ]);
    let (out, _) = env.ok(&["profiles", "get", "second", "-o", "json"]);
    assert!(out.contains("second"), "{out}");
    env.ok(&["--yes", "profiles", "rm", "second"]);
    let (out, _) = env.ok(&["profiles", "ls", "-o", "name"]);
    assert!(!out.contains("second"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_version_is_checked_and_force_sends_it() {
    let env = common::Env::instant().await;
    create_cloudspace(&env, "k8s-cs", "us-central-dfw-1");
    let (code, err) = env.fails(&[
        "cloudspaces",
        "update",
        "k8s-cs",
        "--kubernetes-version",
        "banana",
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("\"banana\"") && err.contains("1.31.1") && err.contains("--force"),
        "{err}"
    );
    let (code, err) = env.fails(&[
        "cloudspaces",
        "create",
        "k8s-new",
        "--region",
        "us-central-dfw-1",
        "--kubernetes-version",
        "1.99.0",
    ]);
    assert_eq!(code, Some(2), "{err}");
    // Nothing was sent: the version did not change, the cloudspace was not created.
    let cs = json(&env, &["cloudspaces", "get", "k8s-cs"]);
    assert_eq!(cs["spec"]["kubernetesVersion"], "1.31.1");
    let (code, _) = env.fails(&["cloudspaces", "get", "k8s-new"]);
    assert_eq!(code, Some(3));
    // A known version goes through; --force sends an unknown one with a warning.
    let cs = json(
        &env,
        &[
            "cloudspaces",
            "update",
            "k8s-cs",
            "--kubernetes-version",
            "1.30.10",
        ],
    );
    assert_eq!(cs["spec"]["kubernetesVersion"], "1.30.10");
    let out = env.run(&[
        "-o",
        "json",
        "cloudspaces",
        "update",
        "k8s-cs",
        "--kubernetes-version",
        "1.34.0",
        "--force",
    ]);
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("warning:") && err.contains("1.34.0"), "{err}");
    let cs = json(&env, &["cloudspaces", "get", "k8s-cs"]);
    assert_eq!(cs["spec"]["kubernetesVersion"], "1.34.0");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_organization_names_the_known_ones_after_the_message() {
    let env = common::Env::start().await;
    let (code, err) = env.fails(&["--org", "other", "cloudspaces", "list"]);
    assert_eq!(code, Some(3), "{err}");
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_default();
    assert!(
        line.starts_with("error: organization \"other\" not found (known: ")
            && line.contains("demo"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn inventory_events_limit_is_honoured() {
    let env = common::Env::start().await;
    create_cloudspace(&env, "ev-a", "us-central-dfw-1");
    create_cloudspace(&env, "ev-b", "uk-lon-1");
    let events = json(&env, &["inventory", "events", "--limit", "1"]);
    assert_eq!(events["events"].as_array().unwrap().len(), 1, "{events}");
    let events = json(&env, &["inventory", "events", "--limit", "2"]);
    assert_eq!(events["events"].as_array().unwrap().len(), 2, "{events}");
}

/// After a write, the next process reads the new value, not its own cache; `-v` says when an
/// answer came from the cache, and how old it is.
#[tokio::test(flavor = "multi_thread")]
async fn writes_invalidate_the_cache_and_cached_answers_say_so() {
    let env = common::Env::instant().await;
    create_cloudspace(&env, "cache-cs", "us-central-dfw-1");
    // Fill the cache, then see a hit reported at -v.
    env.ok(&["cloudspaces", "get", "cache-cs", "-o", "json"]);
    let (_, err) = env.ok(&["-v", "cloudspaces", "get", "cache-cs", "-o", "json"]);
    assert!(err.contains("(cached ") && err.contains("s ago"), "{err}");
    let (_, err) = env.ok(&["cloudspaces", "get", "cache-cs", "-o", "json"]);
    assert!(!err.contains("(cached "), "{err}");

    // Cloudspace.
    env.ok(&[
        "cloudspaces",
        "update",
        "cache-cs",
        "--webhook",
        "https://example.com/a",
        "-o",
        "name",
    ]);
    let cs = json(&env, &["cloudspaces", "get", "cache-cs"]);
    assert_eq!(cs["spec"]["webhook"], "https://example.com/a");

    // Spot pool (list and get both cached first).
    let pool = json(
        &env,
        &[
            "--yes",
            "nodepools",
            "spot",
            "create",
            "--cloudspace",
            "cache-cs",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.9",
        ],
    );
    let pool_name = pool["metadata"]["name"].as_str().unwrap().to_string();
    json(&env, &["nodepools", "spot", "get", &pool_name]);
    json(&env, &["nodepools", "spot", "list"]);
    env.ok(&[
        "--yes",
        "nodepools",
        "spot",
        "update",
        &pool_name,
        "--desired",
        "2",
        "-o",
        "name",
    ]);
    let pool = json(&env, &["nodepools", "spot", "get", &pool_name]);
    assert_eq!(pool["spec"]["desired"], 2);
    let list = json(&env, &["nodepools", "spot", "list"]);
    assert_eq!(list[0]["spec"]["desired"], 2);

    // Autopilot pool.
    let made = json(
        &env,
        &[
            "nodepools",
            "autopilot",
            "create",
            "--cloudspace",
            "cache-cs",
            "--vcpu",
            "8",
            "--budget-per-hour",
            "5",
        ],
    );
    let ap = made["metadata"]["name"].as_str().unwrap().to_string();
    json(&env, &["nodepools", "autopilot", "get", &ap]);
    env.ok(&[
        "nodepools",
        "autopilot",
        "update",
        &ap,
        "--vcpu",
        "16",
        "-o",
        "name",
    ]);
    let got = json(&env, &["nodepools", "autopilot", "get", &ap]);
    assert_eq!(got["spec"]["vcpu"]["total"], 16);

    // VM pool (seeded).
    let pools = json(&env, &["vm-pools", "list"]);
    let vm_pool = pools[0]["metadata"]["name"].as_str().unwrap().to_string();
    json(&env, &["vm-pools", "get", &vm_pool]);
    env.ok(&[
        "--yes",
        "vm-pools",
        "update",
        &vm_pool,
        "--desired",
        "4",
        "-o",
        "name",
    ]);
    let got = json(&env, &["vm-pools", "get", &vm_pool]);
    assert_eq!(got["spec"]["desired"], 4);

    // VM cloudspace (seeded).
    let vmcs = json(&env, &["vm-cloudspaces", "list"]);
    let vmcs = vmcs[0]["metadata"]["name"].as_str().unwrap().to_string();
    json(&env, &["vm-cloudspaces", "get", &vmcs]);
    env.ok(&[
        "vm-cloudspaces",
        "update",
        &vmcs,
        "--webhook",
        "https://example.com/vm",
        "-o",
        "name",
    ]);
    let got = json(&env, &["vm-cloudspaces", "get", &vmcs]);
    assert_eq!(got["spec"]["webhook"], "https://example.com/vm");
}

/// Registration keys complete from the local ledger, with the network down.
#[tokio::test(flavor = "multi_thread")]
async fn registration_keys_complete_from_the_local_ledger() {
    let env = common::Env::start().await;
    json(
        &env,
        &["registrations", "discover", "--omni-cluster", "lab"],
    );
    let list = json(&env, &["registrations", "list"]);
    let first = list[0]["registration_key"]
        .as_str()
        .unwrap_or_else(|| panic!("{list}"))
        .to_string();
    let base_url = env.emu.base_url();
    let common::Env { emu, home } = env;
    emu.shutdown().await;
    let mut c = assert_cmd::Command::cargo_bin("rsspot").unwrap();
    for (k, _) in std::env::vars() {
        if k.starts_with("RSSPOT_") || k.starts_with("SPOT_") || k.starts_with("RACKSPACE_") {
            c.env_remove(k);
        }
    }
    let words = ["rsspot", "registrations", "show", ""];
    let out = c
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path().join(".config"))
        .env("XDG_STATE_HOME", home.path().join(".local/state"))
        .env("RSSPOT_BASE_URL", &base_url)
        .env("RSSPOT_OAUTH_URL", &base_url)
        .env("RSSPOT_PUBLIC_DATA_URL", &base_url)
        .env("RSSPOT_REFRESH_TOKEN", "demo-token")
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_COMPLETE_COMP_TYPE", "9")
        .env("_CLAP_COMPLETE_SPACE", "true")
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = common::stdout_of(&out);
    let keys: Vec<&str> = stdout.lines().collect();
    assert!(keys.contains(&first.as_str()), "{first} not in {stdout}");
    let values: Vec<&&str> = keys.iter().filter(|k| !k.starts_with('-')).collect();
    assert!(!values.is_empty(), "{stdout}");
    assert!(values.iter().all(|k| k.starts_with("vmreg-")), "{stdout}");
}
