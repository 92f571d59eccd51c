//! Integration tests for `rsspot::config`: editing, bad input, secrets never shown, atomic writes.

mod config_support;

use config_support::*;

use std::path::Path;

use proptest::prelude::*;
use rsspot::Error;
use rsspot::config::{self, ConfigDocument, ConfigFile, ProfilePatch, RetryPatch, Secret};
use secrecy::{ExposeSecret, SecretString};

// ---------------------------------------------------------------------------------------------
// Editing (configure / profiles)

#[test]
fn configure_updates_field_by_field_and_keeps_the_real_token() {
    let sb = Sandbox::new();
    let path = sb.config_dir().join("config.yml");
    let mut doc = ConfigDocument::open(&path).unwrap();
    assert!(!doc.exists());
    doc.upsert_profile(
        "work",
        ProfilePatch {
            refresh_token: Some(Secret::new("rt-SECRET-real")),
            org: Some("acme".into()),
            retry: Some(RetryPatch {
                max_attempts: Some(2),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .unwrap();
    doc.save().unwrap();
    // Second run changes only the region (PRIOR-ART 9 item 4: nothing else is lost).
    let mut doc = ConfigDocument::open(&path).unwrap();
    doc.upsert_profile(
        "work",
        ProfilePatch {
            region: Some("us-central-dfw-1".into()),
            retry: Some(RetryPatch {
                jitter: Some(0.0),
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .unwrap();
    doc.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("refresh_token: rt-SECRET-real"), "{text}");
    assert!(!text.contains("****"));
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&sb.config_dir()), 0o700);

    let s = sb.load(&[]).settings;
    assert_eq!(s.profile, "work", "the first profile becomes active");
    assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-SECRET-real");
    assert_eq!(
        (s.org.as_deref(), s.region.as_deref()),
        (Some("acme"), Some("us-central-dfw-1"))
    );
    assert_eq!((s.retry.max_attempts, s.retry.jitter), (2, 0.0));

    // Invalid patches are refused and leave the document as it was.
    let mut doc = ConfigDocument::open(&path).unwrap();
    let before = doc.file().clone();
    let err = doc
        .upsert_profile(
            "work",
            ProfilePatch {
                base_url: Some("ftp://x".into()),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("base_url"), "{err}");
    assert_eq!(doc.file(), &before);
    assert!(
        doc.upsert_profile("bad name!", ProfilePatch::default())
            .is_err()
    );
}

#[test]
fn profiles_use_delete_rename_list() {
    let sb = Sandbox::new();
    let path = sb.write(
        ".config/rsspot/config.toml",
        "active_profile = \"a\"\ndefault_profile = \"b\"\n[profiles.a]\nregion = \"ra\"\n[profiles.b]\nregion = \"rb\"\n\
         [preferences.profile_regions]\na = \"x\"\n",
    );
    let mut doc = ConfigDocument::open(&path).unwrap();
    assert_eq!(doc.profile_names(), vec!["a", "b"]);
    doc.use_profile("b").unwrap();
    assert_eq!(doc.file().active_profile.as_deref(), Some("b"));
    let err = doc.use_profile("zzz").unwrap_err().to_string();
    assert!(err.contains("known profiles: a, b"), "{err}");

    doc.rename_profile("a", "alpha").unwrap();
    assert_eq!(doc.profile_names(), vec!["alpha", "b"]);
    assert_eq!(
        doc.file().preferences["profile_regions"],
        serde_json::json!({"alpha": "x"})
    );
    assert!(
        doc.rename_profile("alpha", "b")
            .unwrap_err()
            .to_string()
            .contains("already exists")
    );

    let removed = doc.delete_profile("b").unwrap();
    assert_eq!(removed.region.as_deref(), Some("rb"));
    assert_eq!(doc.file().active_profile, None);
    assert_eq!(doc.file().default_profile, None);
    doc.save().unwrap();
    // The remaining single profile is selected without a hidden fallback to another account.
    let s = sb.load(&[]).settings;
    assert_eq!(
        (s.profile.as_str(), s.region.as_deref()),
        ("alpha", Some("ra"))
    );
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .contains("[profiles.alpha]")
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input

#[test]
fn malformed_input_table() {
    // (file name, contents, expected fragments); the file-level parse fails for all but the last.
    let cases: &[(&str, &str, &[&str])] = &[
        (
            "config.yml",
            "profiles:\n  p: [1,\n",
            &["invalid YAML at line", "column"],
        ),
        (
            "config.yaml",
            "a: b: c\n",
            &["invalid YAML at line 1, column"],
        ),
        (
            "config.toml",
            "[profiles.p]\nregion = \n",
            &["invalid TOML at line 2, column"],
        ),
        (
            "config.json",
            "{\n  \"profiles\": {\"p\": }\n}\n",
            &["invalid JSON at line 2, column"],
        ),
        (
            "config.yml",
            "retry:\n  max_attempts: many\n",
            &["retry.max_attempts", "invalid type"],
        ),
        (
            "config.toml",
            "[profiles.p.retry]\nmax_attempts = \"many\"\n",
            &["profiles.p.retry.max_attempts"],
        ),
        (
            "config.json",
            "{\"profiles\": {\"p\": {\"verify_ssl\": \"sometimes\"}}}",
            &["profiles.p.verify_ssl"],
        ),
        (
            "config.yml",
            "retry:\n  base_delay: 2\n  max_delay: 1\n",
            &["max_delay", "raise max_delay or lower base_delay"],
        ),
        (
            "config.yml",
            "retry:\n  max_attempts: 0\n",
            &["max_attempts must be at least 1"],
        ),
        (
            "config.yml",
            "retry:\n  jitter: 1.5\n",
            &["jitter must be between 0 and 1"],
        ),
        (
            "config.yml",
            "cache:\n  backend: redis\n",
            &["cache.backend", "unknown variant"],
        ),
        ("config.yml", "profiles: [a, b]\n", &["profiles", "mapping"]),
        (
            "config.yml",
            "- just\n- a list\n",
            &["top level must be a mapping"],
        ),
        // Only wrong once merged: top-level base_delay with a profile's max_delay.
        (
            "config.yml",
            "retry:\n  base_delay: 1\n  max_delay: 2\nprofiles:\n  p:\n    retry:\n      max_delay: 0.5\n",
            &["profile 'p'", "raise max_delay"],
        ),
    ];
    for (i, (name, text, needles)) in cases.iter().enumerate() {
        let sb = Sandbox::new();
        let path = sb.write(&format!(".config/rsspot/{name}"), text);
        let err = config::load(&sb.opts(&[])).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{text}: {err:?}");
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(!msg.contains('\n'), "not one line: {msg}");
        assert!(
            msg.contains(path.to_str().unwrap()) || msg.contains("profile 'p'"),
            "{msg}"
        );
        for n in *needles {
            assert!(msg.contains(n), "{text:?}: expected {n:?} in {msg}");
        }
        // Nothing written.
        assert_eq!(std::fs::read_to_string(&path).unwrap(), *text);
        assert_eq!(files_in(&sb.config_dir()), vec![name.to_string()]);
        if i == cases.len() - 1 {
            // Wrong only once merged: the error says to look at the sources (the CLI words it).
            assert!(
                matches!(
                    err,
                    Error::Config {
                        remedy: Some(rsspot::ConfigRemedy::ExplainSources),
                        ..
                    }
                ),
                "{err:?}"
            );
        }
        // The editor refuses the same file without touching it.
        let merge_only = i == cases.len() - 1;
        assert_eq!(
            ConfigDocument::open(&path).is_err(),
            !merge_only,
            "{text:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn load_never_panics_on_arbitrary_contents(
        text in prop_oneof![
            any::<String>(),
            "[a-z_]{1,12}:( [a-z0-9\\[\\]{}\"',.-]{0,20})?(\n  [a-z_]{1,12}: [a-z0-9.-]{0,10}){0,4}\n",
            "\\[[a-z.]{1,15}\\]\n[a-z_]{1,10} = [0-9a-z\"\\[\\]., -]{0,20}\n",
            "\\{\"[a-z_]{1,10}\": [0-9a-z\"\\[\\]{}:, .-]{0,30}\\}",
        ],
        ext in prop::sample::select(vec!["yml", "toml", "json", "legacy"]),
    ) {
        let sb = Sandbox::new();
        if ext == "legacy" {
            sb.write(".spot_config", &text);
        } else {
            sb.write(&format!(".config/rsspot/config.{ext}"), &text);
        }
        match config::load(&sb.opts(&[])) {
            Ok(r) => prop_assert!(!r.settings.base_url.is_empty()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets never shown

#[test]
fn no_debug_display_or_redacted_output_contains_a_secret() {
    let sb = Sandbox::new();
    let path = sb.write(
        ".config/rsspot/config.yml",
        "profiles:\n  p:\n    refresh_token: rt-SECRET-file\n    access_token: at-SECRET-file\n    api_key: k-SECRET-extra\n",
    );
    let token_file = sb.write("tok", "rt-SECRET-tokenfile\n");
    let mut opts = sb.opts(&[
        ("RSSPOT_ACCESS_TOKEN", "at-SECRET-env"),
        ("RSSPOT_REFRESH_TOKEN_FILE", token_file.to_str().unwrap()),
    ]);
    opts.overrides.refresh_token = Some(SecretString::from("rt-SECRET-flag"));
    let r = config::load(&opts).unwrap();
    // The secrets did arrive.
    assert_eq!(
        r.settings.refresh_token.as_ref().unwrap().expose_secret(),
        "rt-SECRET-flag"
    );
    assert_eq!(
        r.settings.access_token.as_ref().unwrap().expose_secret(),
        "at-SECRET-env"
    );

    let doc = ConfigDocument::open(&path).unwrap();
    let outputs = vec![
        format!("{r:?}"),
        format!("{:?}", r.settings),
        format!("{:?}", r.file),
        format!("{:?}", r.provenance),
        format!("{opts:?}"),
        format!("{doc:?}"),
        serde_json::to_string(&doc.redacted_view()).unwrap(),
        format!("{:?}", Secret::new("rt-SECRET-direct")),
    ];
    for out in &outputs {
        assert!(!out.contains("SECRET"), "secret leaked: {out}");
    }
    let view = doc.redacted_view();
    assert_eq!(view["profiles"]["p"]["refresh_token"], "<redacted>");
    assert_eq!(view["profiles"]["p"]["api_key"], "<redacted>");
    assert_eq!(source_of(&r, "refresh_token"), ("<redacted>", "override"));
    assert_eq!(
        source_of(&r, "access_token"),
        ("<redacted>", "env RSSPOT_ACCESS_TOKEN")
    );

    // Error messages about secret fields do not echo the value.
    sb.write(
        ".config/rsspot/config.yml",
        "profiles:\n  p:\n    refresh_token: [rt-SECRET-list]\n",
    );
    let err = config::load(&sb.opts(&[])).unwrap_err();
    assert!(
        !err.to_string().contains("SECRET") && !format!("{err:?}").contains("SECRET"),
        "{err}"
    );
}

#[cfg(feature = "schema")]
#[test]
fn json_schema_describes_the_file() {
    let schema = config::json_schema();
    let text = schema.to_string();
    for key in [
        "profiles",
        "refresh_token",
        "retry",
        "max_attempts",
        "ttl",
        "backend",
        "active_profile",
        "state_path",
    ] {
        assert!(text.contains(key), "{key} missing from schema");
    }
    assert_eq!(schema["type"], "object");
}

// ---------------------------------------------------------------------------------------------
// Atomicity: a failed write leaves the old file.

const ATOMIC_CHILD: &str = "RSSPOT_TEST_ATOMIC_CHILD";

#[test]
fn failed_write_leaves_the_old_file() {
    if let Ok(path) = std::env::var(ATOMIC_CHILD) {
        // Child: the file-size limit makes the write fail half-way through.
        let mut doc = ConfigDocument::open(Path::new(&path)).unwrap();
        for i in 0..200 {
            doc.set_profile_field(&format!("p{i}"), "org", Some("x".repeat(64)))
                .unwrap();
        }
        let err = doc.save().unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        return;
    }
    let sb = Sandbox::new();
    let path = sb.config_dir().join("config.yml");
    let mut doc = ConfigDocument::open(&path).unwrap();
    doc.upsert_profile(
        "keep",
        ProfilePatch {
            refresh_token: Some(Secret::new("rt-keep")),
            ..Default::default()
        },
    )
    .unwrap();
    doc.save().unwrap();
    let before = std::fs::read(&path).unwrap();

    let exe = std::env::current_exe().unwrap();
    // Ignore SIGXFSZ so the over-limit write fails with EFBIG instead of killing the child.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg("trap '' XFSZ; ulimit -f 4; exec \"$0\" --exact failed_write_leaves_the_old_file --test-threads=1 -q")
        .arg(&exe)
        .env(ATOMIC_CHILD, &path)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "child failed: {status}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        files_in(&sb.config_dir()),
        vec!["config.yml"],
        "temp file left behind"
    );
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn runtime_config_parsed_from_text_behaves_like_a_file() {
    let sb = Sandbox::new();
    let file = ConfigFile::parse(
        "[profiles.ci]\nrefreshToken = \"rt\"\nregion = \"iad\"\n",
        config::Format::Toml,
        "builder config",
    )
    .unwrap();
    let mut opts = sb.opts(&[("RSSPOT_REGION", "env")]);
    opts.runtime = Some(file);
    let r = config::load(&opts).unwrap();
    assert_eq!(r.settings.profile, "ci");
    assert_eq!(r.settings.region.as_deref(), Some("env"));
    assert_eq!(
        r.settings.refresh_token.as_ref().unwrap().expose_secret(),
        "rt"
    );
    assert!(source_of(&r, "profile").1.contains("runtime config"));
    let err = ConfigFile::parse(
        "retry:\n  jitter: 3\n",
        config::Format::Yaml,
        "builder config",
    )
    .unwrap_err();
    assert!(err.to_string().starts_with("builder config: "), "{err}");
}
