//! `organizations`, `regions`, `server-classes` through the real binary.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn regions_list_table_json_and_name() {
    let env = common::Env::start().await;
    let out = env
        .cmd()
        .args(["regions", "list", "-o", "table"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let text = common::stdout_of(&out);
    assert!(text.starts_with("NAME"), "{text}");
    assert!(text.contains("us-central-dfw-1"));
    // Piped without -o: tab-separated rows without a header; JSON when asked.
    let out = env.cmd().args(["regions", "list"]).output().unwrap();
    let text = common::stdout_of(&out);
    assert!(!text.starts_with("NAME"), "{text}");
    assert!(text.lines().all(|l| l.contains('\t')), "{text}");
    let out = env
        .cmd()
        .args(["regions", "list", "-o", "json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 3);
    // Global flags after the subcommand; name output.
    let out = env
        .cmd()
        .args(["regions", "list", "--output", "name"])
        .output()
        .unwrap();
    assert!(
        common::stdout_of(&out)
            .lines()
            .any(|l| l == "us-east-iad-1")
    );
    // Not found → exit 3, one line.
    let out = env
        .cmd()
        .args(["regions", "get", "nowhere-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        common::stderr_of(&out).lines().count(),
        1,
        "{}",
        common::stderr_of(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn server_classes_filters_and_orgs() {
    let env = common::Env::start().await;
    let out = env
        .cmd()
        .args([
            "server-classes",
            "list",
            "--region",
            "us-central-dfw-1",
            "--min-cpu",
            "8",
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for sc in v.as_array().unwrap() {
        assert_eq!(sc["spec"]["region"], "us-central-dfw-1");
        assert!(
            sc["spec"]["resources"]["cpu"]
                .as_str()
                .unwrap()
                .parse::<f64>()
                .unwrap()
                >= 8.0
        );
    }
    let out = env
        .cmd()
        .args(["orgs", "get", "--name", "demo", "-o", "yaml"])
        .output()
        .unwrap();
    assert!(
        common::stdout_of(&out).contains("name: demo"),
        "{}",
        common::stdout_of(&out)
    );
    // No credentials: exit 4 with a hint.
    let out = env
        .bare_cmd()
        .env("RSSPOT_BASE_URL", env.emu.base_url())
        .env("RSSPOT_OAUTH_URL", env.emu.base_url())
        .args(["regions", "list"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", common::stderr_of(&out));
    assert!(common::stderr_of(&out).contains("rsspot configure"));
}
