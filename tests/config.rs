//! Integration tests for `rsspot::config`: field and file precedence, profile selection.

mod config_support;

use config_support::*;

use std::time::Duration;

use rsspot::Error;
use rsspot::config::{
    self, ConfigFile, ConfigSource, Env, LoadOptions, Overrides, Profile, RetryPatch,
};
use secrecy::{ExposeSecret, SecretString};

// ---------------------------------------------------------------------------------------------
// Field precedence

#[test]
fn field_precedence_override_beats_env_beats_profile_beats_top_level_beats_default() {
    let sb = Sandbox::new();
    let path = sb.write(
        ".config/rsspot/config.yml",
        "profiles:\n  p:\n    region: file-region\n    retry:\n      max_attempts: 6\nretry:\n  max_attempts: 5\n  jitter: 0.5\n",
    );
    let label = path.display().to_string();
    let profile_src = format!("profile 'p' in {label}");

    // Profile only (top-level applies below it).
    let r = sb.load(&[]);
    assert_eq!(r.settings.region.as_deref(), Some("file-region"));
    assert_eq!(
        source_of(&r, "region"),
        ("file-region", profile_src.as_str())
    );
    assert_eq!(r.settings.retry.max_attempts, 6);
    assert_eq!(source_of(&r, "retry.max_attempts").1, profile_src);
    // Field by field: jitter comes from the top-level block, not replaced by the profile's.
    assert_eq!(r.settings.retry.jitter, 0.5);
    assert_eq!(source_of(&r, "retry.jitter"), ("0.5", label.as_str()));
    assert_eq!(
        source_of(&r, "client_id"),
        (config::DEFAULT_CLIENT_ID, "default")
    );

    // Env beats profile.
    let r = sb.load(&[("RSSPOT_REGION", "env-region"), ("RSSPOT_MAX_RETRIES", "6")]);
    assert_eq!(r.settings.region.as_deref(), Some("env-region"));
    assert_eq!(source_of(&r, "region").1, "env RSSPOT_REGION");
    assert_eq!(r.settings.retry.max_attempts, 7);
    assert_eq!(
        source_of(&r, "retry.max_attempts").1,
        "env RSSPOT_MAX_RETRIES"
    );

    // Overrides beat env.
    let mut opts = sb.opts(&[("RSSPOT_REGION", "env-region"), ("RSSPOT_MAX_RETRIES", "6")]);
    opts.overrides = Overrides {
        region: Some("flag-region".into()),
        retry: Some(RetryPatch {
            max_attempts: Some(8),
            ..Default::default()
        }),
        ..Default::default()
    };
    let r = config::load(&opts).unwrap();
    assert_eq!(r.settings.region.as_deref(), Some("flag-region"));
    assert_eq!(source_of(&r, "region"), ("flag-region", "override"));
    assert_eq!(r.settings.retry.max_attempts, 8);
    assert_eq!(r.settings.retry.jitter, 0.5);

    // Top-level beats default when the profile is silent.
    std::fs::write(&path, "profiles:\n  p: {}\nretry:\n  max_attempts: 5\n").unwrap();
    let r = sb.load(&[]);
    assert_eq!(r.settings.retry.max_attempts, 5);
    assert_eq!(source_of(&r, "retry.max_attempts"), ("5", label.as_str()));
    // Values the file's block leaves at their defaults are attributed to the defaults.
    assert_eq!(source_of(&r, "retry.base_delay"), ("0.2", "default"));
    // Nothing anywhere: defaults.
    std::fs::write(&path, "profiles:\n  p: {}\n").unwrap();
    let r = sb.load(&[]);
    assert_eq!(r.settings.retry, config::RetryConfig::default());
    assert_eq!(r.settings.region, None);
    assert!(r.provenance.iter().all(|p| p.key != "region"));
    assert_eq!(source_of(&r, "retry.max_attempts"), ("4", "default"));
}

#[test]
fn every_settings_field_can_be_overridden() {
    let sb = Sandbox::new();
    let mut opts = sb.opts(&[]);
    opts.overrides = Overrides {
        org: Some("o".into()),
        org_id: Some("org-1".into()),
        region: Some("r".into()),
        refresh_token: Some(SecretString::from("rt-SECRET-flag")),
        access_token: Some(SecretString::from("at-SECRET-flag")),
        client_id: Some("cid".into()),
        base_url: Some("http://127.0.0.1:9/".into()),
        oauth_url: Some("http://127.0.0.1:9/oauth".into()),
        public_data_url: Some("http://127.0.0.1:9/data".into()),
        request_timeout: Some(Duration::from_millis(1500)),
        verify_ssl: Some(false),
        max_monthly_usd: Some(rsspot::Decimal::new(750, 0)),
        ledger_url: Some(SecretString::from("postgres://u:pw-SECRET@db/ledger")),
        retry: Some(config::RetryConfig::default().into()),
        cache: Some(config::CachePatch {
            enabled: Some(false),
            backend: Some(config::CacheBackend::Memory),
            ..Default::default()
        }),
        state_path: Some(sb.home.join("s.db")),
        token_cache: Some(false),
        history: Some(config::HistoryPatch {
            enabled: Some(false),
            max_entries: Some(3),
        }),
    };
    let s = config::load(&opts).unwrap().settings;
    assert_eq!(s.org.as_deref(), Some("o"));
    assert_eq!(s.org_id.as_deref(), Some("org-1"));
    assert_eq!(s.region.as_deref(), Some("r"));
    assert_eq!(s.refresh_token.unwrap().expose_secret(), "rt-SECRET-flag");
    assert_eq!(s.access_token.unwrap().expose_secret(), "at-SECRET-flag");
    assert_eq!(s.client_id, "cid");
    assert_eq!(s.base_url, "http://127.0.0.1:9/");
    assert_eq!(s.oauth_url, "http://127.0.0.1:9/oauth");
    assert_eq!(s.public_data_url, "http://127.0.0.1:9/data");
    assert_eq!(s.max_monthly_usd, Some(rsspot::Decimal::new(750, 0)));
    assert!(s.ledger_url.unwrap().expose_secret().contains("pw-SECRET"));
    assert_eq!(s.request_timeout, Duration::from_millis(1500));
    assert!(!s.verify_ssl);
    assert!(!s.cache.enabled);
    assert_eq!(s.cache.backend, config::CacheBackend::Memory);
    assert_eq!(s.state_path, sb.home.join("s.db"));
    assert!(!s.token_cache);
    assert_eq!((s.history.enabled, s.history.max_entries), (false, 3));
    assert_eq!(s.config_path, None);
}

#[test]
fn cache_ttl_entries_merge_across_levels() {
    let sb = Sandbox::new();
    sb.write(
        ".config/rsspot/config.toml",
        "[cache]\ndefault_ttl = 9.0\n[cache.ttl]\npricing = 60.0\n[profiles.p.cache.ttl]\nregions = 10.0\n",
    );
    let r = sb.load(&[]);
    let c = &r.settings.cache;
    assert_eq!(c.ttl_for("pricing"), Duration::from_secs(60));
    assert_eq!(c.ttl_for("regions"), Duration::from_secs(10));
    assert_eq!(c.ttl_for("organizations"), Duration::from_secs(300));
    assert_eq!(c.ttl_for("something-else"), Duration::from_secs(9));
    assert!(
        source_of(&r, "cache.ttl.regions")
            .1
            .starts_with("profile 'p'")
    );
    assert!(
        source_of(&r, "cache.ttl.pricing")
            .1
            .ends_with("config.toml")
    );
    assert_eq!(
        source_of(&r, "cache.ttl.organizations"),
        ("300.0", "default")
    );
}

// ---------------------------------------------------------------------------------------------
// File precedence

#[test]
fn file_precedence_runtime_explicit_env_xdg_legacy() {
    let sb = Sandbox::new();
    let prof = |r: &str| format!("profiles:\n  default:\n    region: {r}\n");
    let xdg = sb.write(".config/rsspot/config.yml", &prof("xdg"));
    sb.write(".spot_config", "region: legacy\nrefreshToken: rt-legacy\n");
    let envfile = sb.write("env.yml", &prof("envfile"));
    let envfile2 = sb.write("env2.yml", &prof("envfile2"));
    let envfile3 = sb.write("env3.yml", &prof("envfile3"));
    let explicit = sb.write("explicit.yml", &prof("explicit"));
    let env = [
        ("SPOT_CONFIG_FILE", envfile3.to_str().unwrap()),
        ("RSSPOT_CONFIG_FILE", envfile2.to_str().unwrap()),
        ("RSSPOT_CONFIG", envfile.to_str().unwrap()),
    ];
    let region = |opts: &LoadOptions| config::load(opts).unwrap().settings.region.unwrap();

    let mut opts = sb.opts(&env);
    opts.config_path = Some(explicit.clone());
    let mut runtime = ConfigFile::default();
    runtime.profiles.insert(
        "default".into(),
        Profile {
            region: Some("runtime".into()),
            ..Default::default()
        },
    );
    opts.runtime = Some(runtime);
    let r = config::load(&opts).unwrap();
    assert_eq!(r.settings.region.as_deref(), Some("runtime"));
    assert_eq!(r.source, ConfigSource::Runtime);
    assert_eq!(r.settings.config_path, None);

    opts.runtime = None;
    assert_eq!(region(&opts), "explicit");
    assert_eq!(
        config::load(&opts).unwrap().source,
        ConfigSource::ExplicitPath
    );
    opts.config_path = None;
    assert_eq!(region(&opts), "envfile");
    assert_eq!(
        config::load(&opts).unwrap().source,
        ConfigSource::EnvPath {
            var: "RSSPOT_CONFIG".into()
        }
    );
    assert_eq!(region(&sb.opts(&env[..2])), "envfile2");
    assert_eq!(region(&sb.opts(&env[..1])), "envfile3");
    let r = sb.load(&[]);
    assert_eq!(r.settings.region.as_deref(), Some("xdg"));
    assert_eq!(
        (r.source.clone(), r.path.clone()),
        (ConfigSource::DefaultPath, xdg.clone())
    );
    assert_eq!(r.settings.config_path.as_deref(), Some(xdg.as_path()));
    // Legacy is only used when no new file exists.
    assert!(
        std::fs::read_to_string(sb.home.join(".spot_config"))
            .unwrap()
            .contains("rt-legacy")
    );
    std::fs::remove_file(&xdg).unwrap();
    let r = sb.load(&[]);
    assert_eq!(r.settings.region.as_deref(), Some("legacy"));
    assert_eq!(
        r.source,
        ConfigSource::Legacy {
            path: sb.home.join(".spot_config")
        }
    );
    // Read in memory: edits would go to rsspot's own file, which loading did not create.
    assert_eq!(r.path, xdg);
    assert!(!xdg.exists());
}

#[test]
fn default_location_candidates_and_xdg_config_home() {
    let sb = Sandbox::new();
    sb.write(
        ".config/rsspot/config.json",
        r#"{"profiles": {"default": {"region": "json"}}}"#,
    );
    assert_eq!(sb.load(&[]).settings.region.as_deref(), Some("json"));
    sb.write(
        ".config/rsspot/config.toml",
        "[profiles.default]\nregion = \"toml\"\n",
    );
    assert_eq!(sb.load(&[]).settings.region.as_deref(), Some("toml"));
    sb.write(
        ".config/rsspot/config.yaml",
        "profiles: {default: {region: yaml}}\n",
    );
    assert_eq!(sb.load(&[]).settings.region.as_deref(), Some("yaml"));
    sb.write(
        ".config/rsspot/config.yml",
        "profiles: {default: {region: yml}}\n",
    );
    assert_eq!(sb.load(&[]).settings.region.as_deref(), Some("yml"));

    let xdg = sb.home.join("xdg");
    let p = sb.write(
        "xdg/rsspot/config.yml",
        "profiles: {default: {region: xdg}}\n",
    );
    let r = sb.load(&[("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
    assert_eq!((r.settings.region.as_deref(), r.path), (Some("xdg"), p));
    // A relative XDG_CONFIG_HOME is ignored, as the XDG spec requires.
    assert_eq!(
        sb.load(&[("XDG_CONFIG_HOME", "xdg")])
            .settings
            .region
            .as_deref(),
        Some("yml")
    );
    let env = Env::from_pairs([("XDG_CONFIG_HOME", xdg.to_str().unwrap())]);
    assert_eq!(
        config::default_config_path(&env, Some(&sb.home)),
        xdg.join("rsspot/config.yml")
    );
    assert_eq!(
        config::default_config_path(&Env::default(), Some(&sb.home)),
        sb.home.join(".config/rsspot/config.yml")
    );
}

#[test]
fn missing_explicit_file_is_an_error_unless_creating() {
    let sb = Sandbox::new();
    let target = sb.home.join("new/config.toml");
    let mut opts = sb.opts(&[]);
    opts.config_path = Some(target.clone());
    let err = config::load(&opts).unwrap_err();
    assert!(matches!(err, Error::Config { .. }));
    assert!(err.to_string().contains("does not exist"), "{err}");
    opts.allow_missing_config = true;
    let r = config::load(&opts).unwrap();
    assert_eq!(r.path, target);
    assert_eq!(r.settings.config_path, None);
    assert!(!target.exists());
    // The same for an env-named file.
    let env_target = sb.home.join("missing.yml");
    let err =
        config::load(&sb.opts(&[("RSSPOT_CONFIG", env_target.to_str().unwrap())])).unwrap_err();
    assert!(err.to_string().contains("env RSSPOT_CONFIG"), "{err}");
}

#[test]
fn no_config_anywhere_gives_defaults() {
    let sb = Sandbox::new();
    let r = sb.load(&[]);
    assert_eq!(r.source, ConfigSource::None);
    assert_eq!(r.path, sb.home.join(".config/rsspot/config.yml"));
    let s = &r.settings;
    assert_eq!(s.profile, "default");
    assert_eq!(s.base_url, config::DEFAULT_BASE_URL);
    assert_eq!(s.oauth_url, config::DEFAULT_OAUTH_URL);
    assert_eq!(s.public_data_url, config::DEFAULT_PUBLIC_DATA_URL);
    assert_eq!(s.client_id, config::DEFAULT_CLIENT_ID);
    assert_eq!(s.request_timeout, Duration::from_secs(30));
    assert!(s.verify_ssl && s.token_cache && s.cache.enabled && s.history.enabled);
    assert_eq!(s.history.max_entries, 2000);
    assert_eq!(s.state_path, sb.home.join(".local/state/rsspot/state.db"));
    assert!(
        !sb.home.join(".config").exists(),
        "loading must not create files"
    );
}

// ---------------------------------------------------------------------------------------------
// Profile selection

#[test]
fn profile_selection_order() {
    let sb = Sandbox::new();
    let path = sb.write(
        ".config/rsspot/config.yml",
        "active_profile: b\ndefault_profile: c\nprofiles:\n  a: {region: ra}\n  b: {region: rb}\n  c: {region: rc}\n",
    );
    let pick = |opts: &LoadOptions| {
        let r = config::load(opts).unwrap();
        (
            r.settings.profile.clone(),
            source_of(&r, "profile").1.to_string(),
        )
    };
    let mut opts = sb.opts(&[("RSSPOT_PROFILE", "c"), ("SPOT_PROFILE", "b")]);
    opts.profile = Some("a".into());
    assert_eq!(pick(&opts), ("a".into(), "--profile".into()));
    assert_eq!(
        pick(&sb.opts(&[("RSSPOT_PROFILE", "c"), ("SPOT_PROFILE", "a")])).0,
        "c"
    );
    assert_eq!(
        pick(&sb.opts(&[("SPOT_PROFILE", "a")])),
        ("a".into(), "env SPOT_PROFILE".into())
    );
    assert_eq!(pick(&sb.opts(&[])).0, "b");
    assert_eq!(sb.load(&[]).settings.region.as_deref(), Some("rb"));

    std::fs::write(
        &path,
        "default_profile: c\nprofiles:\n  a: {}\n  b: {}\n  c: {}\n",
    )
    .unwrap();
    assert_eq!(pick(&sb.opts(&[])).0, "c");
    std::fs::write(&path, "profiles:\n  only: {region: x}\n").unwrap();
    let (name, src) = pick(&sb.opts(&[]));
    assert_eq!(name, "only");
    assert!(src.starts_with("the only profile"), "{src}");
    std::fs::write(&path, "profiles:\n  default: {}\n  other: {}\n").unwrap();
    assert_eq!(pick(&sb.opts(&[])).0, "default");
    std::fs::write(&path, "profiles:\n  x: {}\n  y: {}\n").unwrap();
    let err = config::load(&sb.opts(&[])).unwrap_err().to_string();
    assert!(
        err.contains("none is selected") && err.contains("x, y"),
        "{err}"
    );
}

#[test]
fn unknown_profile_is_an_error_listing_known_ones() {
    let sb = Sandbox::new();
    sb.write(
        ".config/rsspot/config.yml",
        "profiles:\n  dev: {}\n  prod: {}\n",
    );
    for opts in [
        LoadOptions {
            profile: Some("ghost".into()),
            ..sb.opts(&[])
        },
        sb.opts(&[("RSSPOT_PROFILE", "ghost")]),
    ] {
        let err = config::load(&opts).unwrap_err();
        assert!(matches!(err, Error::ProfileNotFound { .. }), "{err:?}");
        let msg = err.to_string();
        assert!(msg.contains("profile 'ghost' not found"), "{msg}");
        assert!(msg.contains("known profiles: dev, prod"), "{msg}");
    }
    // An active_profile pointing nowhere is not silently replaced by an empty profile.
    sb.write(
        ".config/rsspot/config.yml",
        "active_profile: gone\nprofiles:\n  dev: {}\n",
    );
    let msg = config::load(&sb.opts(&[])).unwrap_err().to_string();
    assert!(
        msg.contains("'gone'") && msg.contains("active_profile"),
        "{msg}"
    );
    // With no config at all, the conventional "default" works for env-only setups.
    let empty = Sandbox::new();
    let r = empty.load(&[("RSSPOT_PROFILE", "default"), ("SPOT_REFRESH_TOKEN", "rt")]);
    assert_eq!(r.settings.profile, "default");
    assert!(config::load(&empty.opts(&[("RSSPOT_PROFILE", "ci")])).is_err());
}

// ---------------------------------------------------------------------------------------------
