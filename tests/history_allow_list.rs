//! History keeps commands, not secrets (issue 29, item 7): argv is recorded by an allow-list,
//! so secrets under spellings no deny-list knows (`api -f pwd=…`, `data[pw]=…`, user data with
//! `chpasswd`, a join token or an `X-Join:` header, a Slack webhook path) never reach
//! `state.db`, while the command path, names, regions and counts stay.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use proptest::strategy::Strategy as _;
use rsspot::state::redact::{is_known_flag, redact_argv};
use rsspot::state::{HistoryEntry, StateStore};

/// Bytes of state.db and its WAL.
fn state_bytes(env: &common::Env) -> Vec<u8> {
    let db = env.state_db();
    let mut bytes = std::fs::read(&db).unwrap_or_default();
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(more) = std::fs::read(std::path::PathBuf::from(wal)) {
        bytes.extend(more);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// (secret, argv): the probe's spellings, each secret distinct and short (no secret shape).
fn probes() -> Vec<(&'static str, Vec<String>)> {
    let api = |field: &str| strings(&["api", "POST", "/apis/x", "-f", field]);
    let userdata = |text: &str| {
        strings(&[
            "vm-pools",
            "create",
            "--vmcloudspace",
            "vmcs-a",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--bid-price",
            "0.05",
            "--vm-userdata",
            text,
            "--dry-run",
        ])
    };
    vec![
        ("Pw1x", api("pwd=Pw1x")),
        ("Ps2x", api("pass=Ps2x")),
        ("Jw3x", api("jwt=Jw3x")),
        ("Sg4x", api("sig=Sg4x")),
        ("Au5x", api("auth=Au5x")),
        ("Se6x", api("session=Se6x")),
        ("Ot7x", api("otp=Ot7x")),
        ("Pn8x", api("pin=Pn8x")),
        ("Sp9x", api("ssh_private=Sp9x")),
        ("Dp10x", api("data[pw]=Dp10x")),
        (
            "Rf11x",
            strings(&["api", "POST", "/apis/x", "--field=note=Rf11x"]),
        ),
        ("Raw12x", api("spec:={\"x\":\"Raw12x\"}")),
        (
            "Cp13x",
            userdata("#cloud-config\nchpasswd:\n  list: |\n    root:Cp13x\n"),
        ),
        (
            "Jt14x",
            userdata("#!/bin/sh\ncurl https://ctl.example/join?jointoken=Jt14x\n"),
        ),
        (
            "Xj15x",
            userdata("#!/bin/sh\ncurl -H 'X-Join: Xj15x' https://ctl.example/\n"),
        ),
        (
            "Wh16x",
            strings(&[
                "cloudspaces",
                "create",
                "demo-hook",
                "--region",
                "us-central-dfw-1",
                "--webhook",
                "https://hooks.slack.com/services/T0000/B0000/Wh16x",
                "--dry-run",
            ]),
        ),
        (
            "Qv17x",
            strings(&[
                "api",
                "GET",
                "https://api.example/apis/x?limit=5&sessionid=Qv17x",
            ]),
        ),
        (
            "Ui18x",
            strings(&["api", "GET", "https://Ui18x@api.example/apis/x"]),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_probes_spellings_never_reach_state_db() {
    let env = common::Env::start().await;
    let cases = probes();
    for (_, argv) in &cases {
        // Exit codes vary (no such vmcloudspace, no credentials): only the recording matters.
        let _ = env.bare_cmd().args(argv).output().unwrap();
    }
    let history = env
        .bare_cmd()
        .args(["history", "-n", "100", "-o", "json"])
        .output()
        .unwrap();
    let text = common::stdout_of(&history);
    let rows: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), cases.len(), "{text}");
    let bytes = state_bytes(&env);
    let leaked: Vec<&str> = cases
        .iter()
        .map(|(secret, _)| *secret)
        .filter(|s| contains(&bytes, s) || text.contains(s))
        .collect();
    eprintln!("history probes: {}, leaks: {}", cases.len(), leaked.len());
    assert!(leaked.is_empty(), "leaked {leaked:?}\n{text}");
    // Still useful: command paths, keys, names, regions, classes, counts and hosts stay.
    for kept in [
        "\"vm-pools\"",
        "\"gp.vs1.medium-dfw\"",
        "\"0.05\"",
        "\"us-central-dfw-1\"",
        "\"demo-hook\"",
        "\"pwd=<redacted>\"",
        "\"data[pw]=<redacted>\"",
        "\"https://hooks.slack.com/<redacted>\"",
        "limit=5&sessionid=<redacted>",
    ] {
        assert!(text.contains(kept), "{kept} missing from\n{text}");
    }
}

#[test]
fn every_spelling_is_redacted_and_the_command_kept() {
    let table: &[(&[&str], &[&str])] = &[
        (&["api", "-f", "pwd=a1"], &["api", "-f", "pwd=<redacted>"]),
        (&["api", "-fpass=a1"], &["api", "-fpass=<redacted>"]),
        (
            &["api", "--field", "jwt=a1"],
            &["api", "--field", "jwt=<redacted>"],
        ),
        (
            &["api", "--field=sig=a1"],
            &["api", "--field=sig=<redacted>"],
        ),
        (&["api", "-F", "auth=a1"], &["api", "-F", "auth=<redacted>"]),
        (
            &["api", "-f", "session=a1"],
            &["api", "-f", "session=<redacted>"],
        ),
        (&["api", "-f", "otp=a1"], &["api", "-f", "otp=<redacted>"]),
        (&["api", "-f", "pin=a1"], &["api", "-f", "pin=<redacted>"]),
        (
            &["api", "-f", "ssh_private=a1"],
            &["api", "-f", "ssh_private=<redacted>"],
        ),
        (
            &["api", "-f", "data[pw]=a1"],
            &["api", "-f", "data[pw]=<redacted>"],
        ),
        (
            &["api", "-f", "spec:={\"a\":1}"],
            &["api", "-f", "spec:=<redacted>"],
        ),
        (
            &["api", "-f", "{\"pw\": \"a=1\"}"],
            &["api", "-f", "<redacted>"],
        ),
        // Safe keys keep their values.
        (
            &["api", "-f", "spec.region=uk-lon-1"],
            &["api", "-f", "spec.region=uk-lon-1"],
        ),
        (
            &["api", "-f", "spec[desired]=3"],
            &["api", "-f", "spec[desired]=3"],
        ),
        (
            &[
                "--vm-userdata",
                "#cloud-config\nchpasswd:\n list: |\n  root:a1",
            ],
            &["--vm-userdata", "<redacted>"],
        ),
        (&["--vm-userdata=X-Join: a1"], &["--vm-userdata=<redacted>"]),
        (
            &["--webhook", "https://hooks.slack.com/services/T0/B0/a1"],
            &["--webhook", "https://hooks.slack.com/<redacted>"],
        ),
        (
            &["--preemption-webhook-url=https://u:p@hooks.example:8443/x"],
            &["--preemption-webhook-url=https://hooks.example:8443/<redacted>"],
        ),
        (&["--webhook", ""], &["--webhook", ""]),
        (&["-H", "X-Join: a1"], &["-H", "X-Join: <redacted>"]),
        (&["X-Join: a1"], &["X-Join: <redacted>"]),
        (
            &["https://u:p@api.example/x?limit=5&jointoken=a1#frag"],
            &["https://<redacted>@api.example/x?limit=5&jointoken=<redacted>#<redacted>"],
        ),
        (&["/apis/x?jointoken=a1"], &["/apis/x?jointoken=<redacted>"]),
        (
            &["--base-url", "https://u:p@api.example"],
            &["--base-url", "https://<redacted>@api.example"],
        ),
        // Unknown flags lose their values; unknown booleans are harmless before another flag.
        (
            &["--pwd", "a1", "--wait"],
            &["--pwd", "<redacted>", "--wait"],
        ),
        (&["--otp=a1"], &["--otp=<redacted>"]),
        (&["-x", "a1"], &["-x", "<redacted>"]),
        (
            &[
                "--vm-pool",
                "serverclass=gp.vs1.medium-dfw,desired=2,pin=a1",
            ],
            &[
                "--vm-pool",
                "serverclass=gp.vs1.medium-dfw,desired=2,pin=<redacted>",
            ],
        ),
        // The command stays whole.
        (
            &[
                "rsspot",
                "-p",
                "prod",
                "nodepools",
                "spot",
                "create",
                "--cloudspace",
                "demo",
                "--server-class",
                "gp.vs1.large-dfw",
                "--desired",
                "3",
                "--bid-price",
                "0.06",
                "--autoscaling-min",
                "1",
                "--autoscaling-max",
                "5",
                "--label",
                "team=ml",
                "-o",
                "json",
                "--yes",
            ],
            &[
                "rsspot",
                "-p",
                "prod",
                "nodepools",
                "spot",
                "create",
                "--cloudspace",
                "demo",
                "--server-class",
                "gp.vs1.large-dfw",
                "--desired",
                "3",
                "--bid-price",
                "0.06",
                "--autoscaling-min",
                "1",
                "--autoscaling-max",
                "5",
                "--label",
                "team=ml",
                "-o",
                "json",
                "--yes",
            ],
        ),
        (
            &[
                "cs",
                "update",
                "demo",
                "--ha-control-plane",
                "true",
                "--region",
                "uk-lon-1",
            ],
            &[
                "cs",
                "update",
                "demo",
                "--ha-control-plane",
                "true",
                "--region",
                "uk-lon-1",
            ],
        ),
        (
            &["history", "-n", "20", "-vvv"],
            &["history", "-n", "20", "-vvv"],
        ),
    ];
    for (input, want) in table {
        assert_eq!(redact_argv(&strings(input)), strings(want), "{input:?}");
    }
}

/// Keys the allow-list keeps (compared as the redactor folds them).
const SAFE: &[&str] = &[
    "apiversion",
    "autoscaling",
    "bid",
    "bidprice",
    "class",
    "cloud",
    "cloudspace",
    "cni",
    "count",
    "deploymenttype",
    "desired",
    "enabled",
    "fieldselector",
    "gpuenabled",
    "hacontrolplane",
    "kind",
    "kubernetesversion",
    "labelselector",
    "limit",
    "max",
    "maxnodes",
    "min",
    "minnodes",
    "name",
    "namespace",
    "pooltype",
    "region",
    "replicas",
    "serverclass",
    "vmimage",
    "watch",
];

fn folded_last(key: &str) -> String {
    key.split(['.', '[', ']'])
        .rfind(|p| !p.is_empty())
        .unwrap_or_default()
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Any `api -f KEY=VALUE` with a key off the allow-list: the value is not in the stored
    /// history, whatever the key and value hold.
    #[test]
    fn field_values_under_unknown_keys_never_reach_history(
        key in "[A-Za-z_][A-Za-z0-9_.\\[\\]-]{0,20}"
            .prop_filter("off the allow-list", |k| !SAFE.contains(&folded_last(k).as_str())),
        value in "[A-Za-z0-9][ -~]{5,40}",
        form in 0usize..4,
    ) {
        proptest::prop_assume!(!key.contains(&value));
        proptest::prop_assume!(!"rsspot api POST /apis/x <redacted> --field".contains(&value));
        let field = format!("{key}={value}");
        let mut argv = strings(&["rsspot", "api", "POST", "/apis/x"]);
        match form {
            0 => argv.extend([String::from("-f"), field]),
            1 => argv.extend([String::from("--field"), field]),
            2 => argv.push(format!("--field={field}")),
            _ => argv.push(format!("-f{field}")),
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let rows = rt.block_on(async {
            let store = StateStore::in_memory().await.unwrap();
            let entry = HistoryEntry {
                started_at: chrono::Utc::now(),
                argv: argv.clone(),
                profile: None,
                org: None,
                exit_code: 0,
                duration_ms: 1,
            };
            store.history_add(&entry, 10).await.unwrap();
            store.history_list(10).await.unwrap()
        });
        let stored = serde_json::to_string(&rows[0].argv).unwrap();
        let written = serde_json::to_string(&value).unwrap();
        proptest::prop_assert!(
            !stored.contains(written.trim_matches('"')),
            "{argv:?} -> {stored}"
        );
        // The command and the key stay.
        proptest::prop_assert!(stored.contains("\"api\""), "{stored}");
    }
}

#[test]
fn every_flag_of_the_cli_is_classified() {
    // The static bash completion script lists every long flag of every subcommand.
    let out = assert_cmd::Command::cargo_bin("rsspot")
        .unwrap()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    let script = String::from_utf8_lossy(&out.stdout);
    let mut flags: Vec<&str> = script
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter_map(|w| w.strip_prefix("--"))
        .filter(|f| {
            !f.is_empty()
                && f.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        .collect();
    flags.sort_unstable();
    flags.dedup();
    assert!(flags.len() > 50, "{}", flags.len());
    let unknown: Vec<&&str> = flags.iter().filter(|f| !is_known_flag(f)).collect();
    assert!(
        unknown.is_empty(),
        "flags the history redactor does not know (add each to SAFE_FLAGS or SPECIAL_FLAGS in \
         src/state/redact/argv.rs): {unknown:?}"
    );
}
