//! Every error path the CLI can reach prints one sentence: no Rust `Debug` text (`ErrorBody {`,
//! `Some(`, `None`), no empty brackets, no secret, and the documented exit code (issue 13).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

/// (arguments, expected exit code)
const CASES: &[(&[&str], i32)] = &[
    (&["cloudspaces", "get", "no-such"], 3),
    (&["cloudspaces", "kubeconfig", "no-such"], 3),
    (&["cloudspaces", "delete", "no-such", "-y"], 3),
    (
        &[
            "nodepools",
            "spot",
            "get",
            "0b7c3f5e-2d41-4f6a-9c8e-5a1d2e3f4b6c",
        ],
        3,
    ),
    (&["organizations", "get", "no-such"], 3),
    (&["--org", "no-such", "cloudspaces", "list"], 3),
    (&["server-classes", "get", "no.such.class"], 3),
    (
        &[
            "api",
            "GET",
            "/apis/ngpc.rxt.io/v1/namespaces/{namespace}/nothings/x",
        ],
        3,
    ),
    (
        &[
            "api",
            "GET",
            "http://203.0.113.7/apis/ngpc.rxt.io/v1/regions",
        ],
        2,
    ),
    (
        &[
            "cloudspaces",
            "create",
            "Bad_Name",
            "--region",
            "us-central-dfw-1",
        ],
        2,
    ),
];

const DEBUG_MARKS: &[&str] = &["Some(", "None", " { ", "ErrorBody", "()", "\\n"];

fn check(what: &str, out: &std::process::Output, want: i32) {
    let err = common::stderr_of(out);
    assert_eq!(out.status.code(), Some(want), "{what}: {err}");
    let error_lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error_lines.len(), 1, "{what}: one error line: {err}");
    for mark in DEBUG_MARKS {
        assert!(!error_lines[0].contains(mark), "{what}: {mark:?} in {err}");
    }
    assert!(!err.contains("demo-token"), "{what}: secret in {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_error_is_one_clean_sentence() {
    let env = common::Env::start().await;
    // A token service URL that is not one: exit 2 naming the URL.
    let out = env
        .cmd()
        .env("RSSPOT_OAUTH_URL", format!("{}/nope", env.emu.base_url()))
        .args(["cloudspaces", "list"])
        .output()
        .unwrap();
    check("wrong oauth_url", &out, 2);
    assert!(
        common::stderr_of(&out).contains("token service URL looks wrong"),
        "{}",
        common::stderr_of(&out)
    );
    for (args, want) in CASES {
        let out = env.cmd().args(*args).output().unwrap();
        check(&args.join(" "), &out, *want);
    }
    // A refresh token the token service does not know: exit 4 with the server's description.
    let out = env
        .cmd()
        .env("RSSPOT_REFRESH_TOKEN", "wrong-token")
        .args(["cloudspaces", "list"])
        .output()
        .unwrap();
    check("wrong token", &out, 4);
    assert!(
        common::stderr_of(&out).contains("rejected the refresh token"),
        "{}",
        common::stderr_of(&out)
    );
}
