//! Integration tests for `rsspot::config`: environment variables, aliases and the formats.

mod config_support;

use config_support::*;

use std::time::Duration;

use rsspot::Error;
use rsspot::config::{self, ConfigDocument};
use secrecy::ExposeSecret;

// ---------------------------------------------------------------------------------------------
// Environment variables

#[test]
fn every_env_var_name_is_read() {
    let sb = Sandbox::new();
    let token_file = sb.write("token.txt", "  rt-from-file\n\n");
    let tf = token_file.to_str().unwrap().to_string();
    // (variable, value, key in provenance, expected effective value as shown)
    let table: Vec<(&str, &str, &str, String)> = vec![
        ("RSSPOT_ORG", "o", "org", "o".into()),
        ("RACKSPACE_ORG", "o", "org", "o".into()),
        ("SPOT_ORG", "o", "org", "o".into()),
        ("RSSPOT_ORG_ID", "org-x", "org_id", "org-x".into()),
        ("RSSPOT_ORGID", "org-x", "org_id", "org-x".into()),
        ("RACKSPACE_ORG_ID", "org-x", "org_id", "org-x".into()),
        ("SPOT_ORG_ID", "org-x", "org_id", "org-x".into()),
        ("RSSPOT_REGION", "r", "region", "r".into()),
        ("RACKSPACE_REGION", "r", "region", "r".into()),
        ("SPOT_REGION", "r", "region", "r".into()),
        ("RSSPOT_CLIENT_ID", "c", "client_id", "c".into()),
        ("RACKSPACE_CLIENT_ID", "c", "client_id", "c".into()),
        ("RXTSPOT_CLIENT_ID", "c", "client_id", "c".into()),
        (
            "RSSPOT_REFRESH_TOKEN",
            "rt",
            "refresh_token",
            "<redacted>".into(),
        ),
        (
            "RACKSPACE_REFRESH_TOKEN",
            "rt",
            "refresh_token",
            "<redacted>".into(),
        ),
        (
            "SPOT_REFRESH_TOKEN",
            "rt",
            "refresh_token",
            "<redacted>".into(),
        ),
        ("RXTSPOT_TOKEN", "rt", "refresh_token", "<redacted>".into()),
        (
            "RACKSPACE_SPOT_REFRESH_TOKEN",
            "rt",
            "refresh_token",
            "<redacted>".into(),
        ),
        (
            "RSSPOT_REFRESH_TOKEN_FILE",
            &tf,
            "refresh_token",
            "<redacted>".into(),
        ),
        (
            "RXTSPOT_TOKEN_FILE",
            &tf,
            "refresh_token",
            "<redacted>".into(),
        ),
        (
            "RSSPOT_ACCESS_TOKEN",
            "at",
            "access_token",
            "<redacted>".into(),
        ),
        (
            "RACKSPACE_ACCESS_TOKEN",
            "at",
            "access_token",
            "<redacted>".into(),
        ),
        (
            "SPOT_ACCESS_TOKEN",
            "at",
            "access_token",
            "<redacted>".into(),
        ),
        (
            "RSSPOT_BASE_URL",
            "http://127.0.0.1:1",
            "base_url",
            "http://127.0.0.1:1".into(),
        ),
        (
            "RACKSPACE_BASE_URL",
            "http://127.0.0.1:1",
            "base_url",
            "http://127.0.0.1:1".into(),
        ),
        (
            "SPOT_BASE_URL",
            "http://127.0.0.1:1",
            "base_url",
            "http://127.0.0.1:1".into(),
        ),
        (
            "NGPC_APISERVER",
            "http://127.0.0.1:1",
            "base_url",
            "http://127.0.0.1:1".into(),
        ),
        (
            "RSSPOT_OAUTH_URL",
            "http://127.0.0.1:2",
            "oauth_url",
            "http://127.0.0.1:2".into(),
        ),
        (
            "RACKSPACE_OAUTH_URL",
            "http://127.0.0.1:2",
            "oauth_url",
            "http://127.0.0.1:2".into(),
        ),
        (
            "SPOT_AUTH_URL",
            "http://127.0.0.1:2",
            "oauth_url",
            "http://127.0.0.1:2".into(),
        ),
        (
            "RSSPOT_PUBLIC_DATA_URL",
            "http://127.0.0.1:3",
            "public_data_url",
            "http://127.0.0.1:3".into(),
        ),
        (
            "RSSPOT_REQUEST_TIMEOUT_SECONDS",
            "12.5",
            "request_timeout_seconds",
            "12.5".into(),
        ),
        (
            "SPOT_REQUEST_TIMEOUT",
            "12.5",
            "request_timeout_seconds",
            "12.5".into(),
        ),
        ("RSSPOT_MAX_RETRIES", "2", "retry.max_attempts", "3".into()),
        ("SPOT_MAX_RETRIES", "2", "retry.max_attempts", "3".into()),
        (
            "RSSPOT_RETRY_BACKOFF_FACTOR",
            "0.5",
            "retry.base_delay",
            "0.5".into(),
        ),
        (
            "SPOT_RETRY_BACKOFF_FACTOR",
            "0.5",
            "retry.max_delay",
            "8.0".into(),
        ),
        ("RSSPOT_VERIFY_SSL", "no", "verify_ssl", "false".into()),
        (
            "RSSPOT_MAX_MONTHLY_USD",
            "500",
            "max_monthly_usd",
            "500".into(),
        ),
        ("SPOT_VERIFY_SSL", "off", "verify_ssl", "false".into()),
        ("RSSPOT_NO_CACHE", "1", "cache.enabled", "false".into()),
        (
            "RSSPOT_NO_HISTORY",
            "true",
            "history.enabled",
            "false".into(),
        ),
        (
            "RSSPOT_NO_TOKEN_CACHE",
            "yes",
            "token_cache",
            "false".into(),
        ),
        (
            "RSSPOT_LEDGER_URL",
            "postgres://u:pw@h/db",
            "ledger_url",
            "<redacted>".into(),
        ),
    ];
    for (var, value, key, expected) in &table {
        for spelling in [var.to_string(), var.to_ascii_lowercase()] {
            let r = sb.load(&[(spelling.as_str(), value)]);
            let (shown, source) = source_of(&r, key);
            assert_eq!(
                (shown, source),
                (expected.as_str(), format!("env {var}").as_str()),
                "{spelling}"
            );
        }
    }
    let s = sb.load(&[("RXTSPOT_TOKEN_FILE", &tf)]).settings;
    assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-from-file");
    let s = sb
        .load(&[
            ("SPOT_REFRESH_TOKEN", "rt-x"),
            ("RSSPOT_REFRESH_TOKEN_FILE", &tf),
        ])
        .settings;
    assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-x");
    // Other tools' name comes after every rsspot name, the file variables included.
    let s = sb
        .load(&[
            ("RACKSPACE_SPOT_REFRESH_TOKEN", "rt-mcp"),
            ("RSSPOT_REFRESH_TOKEN_FILE", &tf),
        ])
        .settings;
    assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-from-file");
    let s = sb
        .load(&[
            ("RSSPOT_REQUEST_TIMEOUT_SECONDS", "12.5"),
            ("RSSPOT_NO_CACHE", "0"),
        ])
        .settings;
    assert_eq!(s.request_timeout, Duration::from_millis(12500));
    assert!(
        s.cache.enabled,
        "a false RSSPOT_NO_CACHE leaves the cache on"
    );

    // Within one setting the first name wins.
    let r = sb.load(&[
        ("SPOT_REGION", "last"),
        ("RACKSPACE_REGION", "mid"),
        ("RSSPOT_REGION", "first"),
    ]);
    assert_eq!(r.settings.region.as_deref(), Some("first"));
    let r = sb.load(&[("SPOT_REGION", "last"), ("RACKSPACE_REGION", "mid")]);
    assert_eq!(r.settings.region.as_deref(), Some("mid"));

    // Every documented name is covered by this test (or by the path/profile/state tests).
    let covered: Vec<&str> = table.iter().map(|t| t.0).collect();
    let elsewhere = [
        "RSSPOT_CONFIG",
        "RSSPOT_CONFIG_FILE",
        "SPOT_CONFIG_FILE",
        "RSSPOT_PROFILE",
        "SPOT_PROFILE",
        "RSSPOT_STATE_PATH",
        // tests/ledger_cli.rs
        "RSSPOT_LEDGER_URL_FILE",
    ];
    for (_, names) in config::env::ENV_VARS {
        for n in *names {
            assert!(covered.contains(n) || elsewhere.contains(n), "{n} untested");
        }
    }
}

#[test]
fn bad_env_values_name_the_variable() {
    let sb = Sandbox::new();
    for (var, value) in [
        ("RSSPOT_REQUEST_TIMEOUT_SECONDS", "abc"),
        ("SPOT_REQUEST_TIMEOUT", "-1"),
        ("RSSPOT_VERIFY_SSL", "maybe"),
        ("RSSPOT_MAX_RETRIES", "-1"),
        ("SPOT_RETRY_BACKOFF_FACTOR", "fast"),
        ("RSSPOT_NO_CACHE", "perhaps"),
        ("RSSPOT_REFRESH_TOKEN_FILE", "/nonexistent/token"),
        ("RSSPOT_BASE_URL", "not a url"),
    ] {
        let err = config::load(&sb.opts(&[(var, value)])).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{var}");
        let msg = err.to_string();
        assert!(
            msg.contains(var) || msg.contains("base_url"),
            "{var}: {msg}"
        );
    }
    let empty = sb.write("empty-token", "\n  \n");
    let err = config::load(&sb.opts(&[("RSSPOT_REFRESH_TOKEN_FILE", empty.to_str().unwrap())]))
        .unwrap_err();
    assert!(err.to_string().contains("is empty"), "{err}");
}

#[test]
fn state_path_order() {
    let sb = Sandbox::new();
    assert_eq!(
        sb.load(&[]).settings.state_path,
        sb.home.join(".local/state/rsspot/state.db")
    );
    let xdg = sb.home.join("xs");
    assert_eq!(
        sb.load(&[("XDG_STATE_HOME", xdg.to_str().unwrap())])
            .settings
            .state_path,
        xdg.join("rsspot/state.db")
    );
    let r = sb.load(&[("RSSPOT_STATE_PATH", "~/env.db")]);
    assert_eq!(r.settings.state_path, sb.home.join("env.db"));
    assert_eq!(source_of(&r, "state_path").1, "env RSSPOT_STATE_PATH");
    // The config file's state_path beats the env var; relative means next to the file.
    sb.write(".config/rsspot/config.yml", "state_path: data/state.db\n");
    let r = sb.load(&[("RSSPOT_STATE_PATH", "~/env.db")]);
    assert_eq!(r.settings.state_path, sb.config_dir().join("data/state.db"));
    assert!(source_of(&r, "state_path").1.starts_with("state_path in "));
    let mut opts = sb.opts(&[("RSSPOT_STATE_PATH", "~/env.db")]);
    opts.overrides.state_path = Some(sb.home.join("flag.db"));
    assert_eq!(
        config::load(&opts).unwrap().settings.state_path,
        sb.home.join("flag.db")
    );
}

// ---------------------------------------------------------------------------------------------
// Aliases and formats

#[test]
fn camel_case_and_legacy_aliases_are_accepted() {
    let sb = Sandbox::new();
    sb.write(
        ".config/rsspot/config.json",
        r#"{"activeProfile": "p", "tokenCache": false, "profiles": {"p": {
            "organization": "acme", "organizationId": "org-9", "default_region": "dfw",
            "refreshToken": "rt", "accessToken": "at", "clientId": "cid",
            "baseUrl": "http://127.0.0.1:7", "authUrl": "http://127.0.0.1:8", "publicDataUrl": "http://127.0.0.1:9",
            "requestTimeoutSeconds": 3, "verifySsl": false,
            "retry": {"maxAttempts": 2, "baseDelay": 0.1, "maxDelay": 0.4, "retryStatuses": [503]},
            "cache": {"defaultTtl": 1, "maxEntries": 10}}}}"#,
    );
    let s = sb.load(&[]).settings;
    assert_eq!(s.profile, "p");
    assert_eq!(
        (s.org.as_deref(), s.org_id.as_deref(), s.region.as_deref()),
        (Some("acme"), Some("org-9"), Some("dfw"))
    );
    assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt");
    assert_eq!(s.access_token.unwrap().expose_secret(), "at");
    assert_eq!(s.client_id, "cid");
    assert_eq!(s.base_url, "http://127.0.0.1:7");
    assert_eq!(s.oauth_url, "http://127.0.0.1:8");
    assert_eq!(s.public_data_url, "http://127.0.0.1:9");
    assert_eq!(s.request_timeout, Duration::from_secs(3));
    assert!(!s.verify_ssl && !s.token_cache);
    assert_eq!(
        (s.retry.max_attempts, s.retry.base_delay, s.retry.max_delay),
        (2, Duration::from_millis(100), Duration::from_millis(400))
    );
    assert_eq!(s.retry.retry_statuses, vec![503]);
    assert_eq!((s.cache.default_ttl, s.cache.max_entries), (1.0, 10));

    // Saving writes snake_case names.
    let mut doc = ConfigDocument::open(&sb.config_dir().join("config.json")).unwrap();
    doc.set_profile_field("p", "region", Some("dfw".into()))
        .unwrap();
    doc.save().unwrap();
    let text = std::fs::read_to_string(sb.config_dir().join("config.json")).unwrap();
    for snake in [
        "active_profile",
        "refresh_token",
        "org_id",
        "oauth_url",
        "max_attempts",
        "default_ttl",
    ] {
        assert!(text.contains(snake), "{snake} missing in {text}");
    }
    for camel in ["activeProfile", "refreshToken", "authUrl", "maxAttempts"] {
        assert!(!text.contains(camel), "{camel} still in {text}");
    }
}

const YAML_DOC: &str = "\
# hand-written
version: '2'
active_profile: prod
token_cache: false
profiles:
  dev:
    region: us-east-iad-1
    refresh_token: rt-dev
  prod:
    org: acme
    refresh_token: rt-prod
    team: platform
    retry:
      max_attempts: 6
    cache:
      ttl:
        pricing: 60.0
preferences:
  note: kept
retry:
  max_attempts: 5
  base_delay: 0.2
  max_delay: 2.5
  jitter: 0.2
  retry_statuses: [429, 503]
custom_root:
  nested: [1, 2]
";

const TOML_DOC: &str = r#"# hand-written
version = "2"
active_profile = "prod"
token_cache = false

[profiles.dev]
region = "us-east-iad-1"
refresh_token = "rt-dev"

[profiles.prod]
org = "acme"
refresh_token = "rt-prod"
team = "platform"
retry = { max_attempts = 6 }
cache = { ttl = { pricing = 60.0 } }

[preferences]
note = "kept"

[retry]
max_attempts = 5
base_delay = 0.2
max_delay = 2.5
jitter = 0.2
retry_statuses = [429, 503]

[custom_root]
nested = [1, 2]
"#;

const JSON_DOC: &str = r#"{
  "version": "2", "active_profile": "prod", "token_cache": false,
  "profiles": {
    "dev": {"region": "us-east-iad-1", "refresh_token": "rt-dev"},
    "prod": {"org": "acme", "refresh_token": "rt-prod", "team": "platform",
             "retry": {"max_attempts": 6}, "cache": {"ttl": {"pricing": 60.0}}}
  },
  "preferences": {"note": "kept"},
  "retry": {"max_attempts": 5, "base_delay": 0.2, "max_delay": 2.5, "jitter": 0.2, "retry_statuses": [429, 503]},
  "custom_root": {"nested": [1, 2]}
}
"#;

#[test]
fn all_four_formats_round_trip_byte_stable() {
    let sb = Sandbox::new();
    let mut parsed = Vec::new();
    for (name, text) in [
        ("config.yml", YAML_DOC),
        ("config.yaml", YAML_DOC),
        ("config.toml", TOML_DOC),
        ("config.json", JSON_DOC),
    ] {
        let path = sb.write(&format!("rt/{name}"), text);
        // Unedited: written back byte for byte (comments survive).
        ConfigDocument::open(&path).unwrap().save().unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "{name}");
        assert_eq!(mode(&path), 0o600);

        // Edited: canonical rendering, which is a fixed point.
        let mut doc = ConfigDocument::open(&path).unwrap();
        parsed.push(doc.file().clone());
        doc.set_profile_field("dev", "region", Some("us-east-iad-1".into()))
            .unwrap();
        doc.save().unwrap();
        let first = std::fs::read_to_string(&path).unwrap();
        for needle in [
            "rt-prod",
            "rt-dev",
            "platform",
            "custom_root",
            "kept",
            "nested",
        ] {
            assert!(first.contains(needle), "{name}: {needle} lost in\n{first}");
        }
        let mut doc = ConfigDocument::open(&path).unwrap();
        assert_eq!(
            doc.file(),
            &parsed[parsed.len() - 1],
            "{name}: content changed"
        );
        doc.set_profile_field("dev", "region", Some("us-east-iad-1".into()))
            .unwrap();
        doc.save().unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            first,
            "{name} is not byte-stable"
        );
        assert_eq!(doc.render().unwrap(), first);
    }
    // The four spellings mean the same thing.
    for p in &parsed[1..] {
        assert_eq!(p, &parsed[0]);
    }
    let prod = &parsed[0].profiles["prod"];
    assert_eq!(prod.extra["team"], serde_json::json!("platform"));
    assert_eq!(
        parsed[0].extra["custom_root"],
        serde_json::json!({"nested": [1, 2]})
    );
}

// ---------------------------------------------------------------------------------------------
