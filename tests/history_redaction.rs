//! History redaction through the real binary (issue 13): commands carrying a secret in the
//! spellings people use are recorded, and afterwards no byte sequence of any secret is in
//! `state.db` (nor its write-ahead log).
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

/// Bytes of state.db and its WAL.
fn state_bytes(env: &common::Env) -> Vec<u8> {
    let db = env.state_db();
    let mut bytes = std::fs::read(&db).unwrap();
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

#[tokio::test(flavor = "multi_thread")]
async fn secrets_in_argv_never_reach_state_db() {
    let env = common::Env::start().await;
    // (secret, argv): every secret is distinct and random-looking, with the characters that
    // broke the word-based redaction (`,`, `&`, `:`, `=`, `@`-free URL passwords, spaces in quotes).
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "Rt1q,9&x=Zk:Lp0",
            vec![
                "configure".into(),
                "--no-input".into(),
                "--refresh-token=Rt1q,9&x=Zk:Lp0".into(),
            ],
        ),
        (
            "Rt2wPq9-zzK8,y",
            vec![
                "configure".into(),
                "--no-input".into(),
                "--refresh-token".into(),
                "Rt2wPq9-zzK8,y".into(),
            ],
        ),
        (
            "Rt3:json,nospace=1",
            vec![
                "api".into(),
                "POST".into(),
                "/apis/x".into(),
                "-f".into(),
                r#"{"refresh_token":"Rt3:json,nospace=1"}"#.into(),
            ],
        ),
        (
            "Pw4 with space",
            vec![
                "api".into(),
                "POST".into(),
                "/apis/x".into(),
                "-f".into(),
                "body={ 'password' : 'Pw4 with space' }".into(),
            ],
        ),
        (
            "Id5,tok&en",
            vec![
                "api".into(),
                "POST".into(),
                "/apis/x".into(),
                "-f".into(),
                r#"data={ "id_token" : "Id5,tok&en" }"#.into(),
            ],
        ),
        (
            "Url6p4ss%2Fw0rd~Z",
            vec![
                "api".into(),
                "GET".into(),
                "https://user:Url6p4ss%2Fw0rd~Z@example.invalid/x".into(),
            ],
        ),
        (
            "Pg7secret;x=1",
            vec![
                "api".into(),
                "GET".into(),
                "/x".into(),
                "-f".into(),
                "dsn=postgres://rsspot:Pg7secret;x=1@db.internal:5432/ledger".into(),
            ],
        ),
        (
            "Hd8bearer=tok",
            vec![
                "registrations".into(),
                "reset".into(),
                "vmreg-none".into(),
                "--actor".into(),
                "authorization:bearer Hd8bearer=tok".into(),
            ],
        ),
        (
            "Hd9Zz+/=xy",
            vec![
                "registrations".into(),
                "reset".into(),
                "vmreg-none".into(),
                "--actor=-H 'Authorization: Bearer Hd9Zz+/=xy'".into(),
            ],
        ),
        (
            "Hd10Qw-x_y.z",
            vec![
                "api".into(),
                "GET".into(),
                "/x".into(),
                "-f".into(),
                "Authorization: Bearer Hd10Qw-x_y.z".into(),
            ],
        ),
    ];
    for (_, argv) in &cases {
        // Exit codes vary (no credentials, no such record): only the recording matters here.
        let _ = env.bare_cmd().args(argv).output().unwrap();
    }
    let history = env
        .bare_cmd()
        .args(["history", "-n", "100", "-o", "json"])
        .output()
        .unwrap();
    let rows: serde_json::Value = serde_json::from_slice(&history.stdout).unwrap();
    assert_eq!(
        rows.as_array().unwrap().len(),
        cases.len(),
        "every command was recorded: {}",
        common::stdout_of(&history)
    );
    let text = common::stdout_of(&history);
    assert!(text.matches("<redacted>").count() >= cases.len(), "{text}");
    let bytes = state_bytes(&env);
    let leaked: Vec<&str> = cases
        .iter()
        .map(|(secret, _)| *secret)
        .filter(|s| contains(&bytes, s) || text.contains(s))
        .collect();
    assert!(
        leaked.is_empty(),
        "secrets found in state.db or history: {leaked:?}\n{text}"
    );
}
