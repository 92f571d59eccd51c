//! The hammer-price chart (`pricing get --history`, `pricing history`) in Unicode and in plain
//! ASCII, and the series exported as JSON and CSV.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use common::{Env, stderr_of, stdout_of};

const CLASS: &str = "gp.vs1.medium-dfw";

fn run(env: &Env, args: &[&str], unicode: bool) -> String {
    let mut cmd = env.cmd();
    cmd.args(args).env("COLUMNS", "100");
    if unicode {
        cmd.env_remove("NO_COLOR").env("TERM", "xterm-256color");
    } else {
        cmd.env("TERM", "dumb");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", stderr_of(&out));
    stdout_of(&out)
}

#[tokio::test(flavor = "multi_thread")]
async fn chart_in_unicode_and_ascii() {
    let env = Env::start().await;
    let args = ["pricing", "history", CLASS, "--bid", "0.002", "-o", "table"];
    let unicode = run(&env, &args, true);
    assert!(
        unicode
            .chars()
            .any(|c| ('\u{2801}'..='\u{28FF}').contains(&c)),
        "no braille:\n{unicode}"
    );
    for label in [
        "market 0.001",
        "P50 0.001",
        "bid 0.002",
        "48 points, every 1h",
    ] {
        assert!(unicode.contains(label), "{label} missing:\n{unicode}");
    }
    insta::assert_snapshot!("chart_unicode", unicode);

    let ascii = run(&env, &args, false);
    assert!(ascii.is_ascii(), "non-ASCII under TERM=dumb:\n{ascii}");
    assert!(ascii.contains('*') && ascii.contains("bid 0.002"));
    insta::assert_snapshot!("chart_ascii", ascii);

    // NO_COLOR alone is enough for ASCII too.
    let mut cmd = env.cmd();
    let out = cmd
        .args(args)
        .env("NO_COLOR", "1")
        .env("TERM", "xterm")
        .env("COLUMNS", "100")
        .output()
        .unwrap();
    assert_eq!(stdout_of(&out), ascii);
}

#[tokio::test(flavor = "multi_thread")]
async fn get_history_labels_the_real_interval_and_since_cuts() {
    let env = Env::start().await;
    let text = run(
        &env,
        &[
            "pricing",
            "get",
            CLASS,
            "--history",
            "--since",
            "12h",
            "-o",
            "table",
        ],
        false,
    );
    assert!(!text.contains("hourly hammer"), "{text}");
    assert!(text.contains("13 points, every 1h"), "{text}");
    assert!(text.contains("2025-11-21 11:00") && text.contains("2025-11-21 23:00"));
    insta::assert_snapshot!("chart_get_since_ascii", text);
}

#[tokio::test(flavor = "multi_thread")]
async fn history_exports_json_and_csv() {
    let env = Env::start().await;
    let json = run(&env, &["pricing", "history", CLASS, "-o", "json"], false);
    let points: serde_json::Value = serde_json::from_str(&json).unwrap();
    let points = points.as_array().unwrap();
    assert_eq!(points.len(), 48);
    assert_eq!(points[0]["run_at"], 1_763_596_800);
    assert_eq!(points[0]["time"], "2025-11-20T00:00:00Z");

    let csv = run(
        &env,
        &["pricing", "history", CLASS, "-o", "csv", "--since", "2h"],
        false,
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "time,run_at,hammer_price");
    assert_eq!(lines.len(), 1 + 3, "{csv}");
    assert!(lines[1].starts_with("2025-11-21T21:00:00+00:00,"), "{csv}");
}
