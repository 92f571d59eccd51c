//! Integration tests for `rsspot::config`: file and field precedence, formats, env vars,
//! aliases, legacy migration, atomic 0600 writes, bad input, and secret redaction.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use rsspot::config::{
    self, ConfigDocument, ConfigFile, ConfigSource, Env, LoadOptions, Overrides, Profile,
    ProfilePatch, Resolved, RetryPatch, Secret,
};
use rsspot::{Error, ExitKind};
use secrecy::{ExposeSecret, SecretString};

struct Sandbox {
    _dir: tempfile::TempDir,
    home: PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        Sandbox { _dir: dir, home }
    }

    fn config_dir(&self) -> PathBuf {
        self.home.join(".config/rsspot")
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.home.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn opts(&self, env: &[(&str, &str)]) -> LoadOptions {
        LoadOptions {
            env: Env::from_pairs(env.iter().map(|(k, v)| (k.to_string(), v.to_string()))),
            home: Some(self.home.clone()),
            ..Default::default()
        }
    }

    fn load(&self, env: &[(&str, &str)]) -> Resolved {
        config::load(&self.opts(env)).unwrap()
    }
}

fn source_of<'a>(r: &'a Resolved, key: &str) -> (&'a str, &'a str) {
    let p = r
        .provenance
        .iter()
        .find(|p| p.key == key)
        .unwrap_or_else(|| panic!("no provenance for {key}: {:?}", r.provenance));
    (p.value.as_str(), p.source.as_str())
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

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
    assert_eq!(r.source, ConfigSource::LegacyMigrated);
    assert_eq!(r.path, xdg);
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
        assert_eq!(err.exit_kind(), ExitKind::Usage);
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
        (2, 0.1, 0.4)
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
            refresh_token: Some(SecretString::from("rt-SECRET-real")),
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
// Legacy migration

#[test]
fn migrates_flat_legacy_file_losslessly_and_idempotently() {
    let sb = Sandbox::new();
    let original = "org: acme\nrefreshToken: rt-SECRET-legacy\naccessToken: at-SECRET-legacy\nregion: us-east-iad-1\nfavourite_colour: teal\n";
    let legacy = sb.write(".spot_config", original);
    let r = sb.load(&[]);
    let report = r.migrated.clone().expect("migrated");
    assert_eq!(r.source, ConfigSource::LegacyMigrated);
    let target = sb.config_dir().join("config.yml");
    assert_eq!(report.target_path, target);
    assert_eq!(report.profiles_added, vec!["default"]);
    assert!(!report.to_string().contains("SECRET"));

    let s = &r.settings;
    assert_eq!(s.profile, "default");
    assert_eq!(s.org.as_deref(), Some("acme"));
    assert_eq!(
        s.refresh_token.as_ref().unwrap().expose_secret(),
        "rt-SECRET-legacy"
    );
    assert_eq!(
        s.access_token.as_ref().unwrap().expose_secret(),
        "at-SECRET-legacy"
    );

    let new_text = std::fs::read_to_string(&target).unwrap();
    assert!(
        new_text.contains("refresh_token: rt-SECRET-legacy"),
        "{new_text}"
    );
    assert!(new_text.contains("access_token: at-SECRET-legacy"));
    assert!(
        new_text.contains("favourite_colour: teal"),
        "unknown key lost: {new_text}"
    );
    assert_eq!(mode(&target), 0o600);
    let backup = sb.home.join(".spot_config.rsspot-backup");
    assert_eq!(report.backup_path, backup);
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), original);
    assert_eq!(mode(&backup), 0o600);
    let note = std::fs::read_to_string(&legacy).unwrap();
    assert!(
        note.contains(target.to_str().unwrap()) && note.contains(".rsspot-backup"),
        "{note}"
    );
    assert!(!note.contains("SECRET"));
    assert_eq!(mode(&legacy), 0o600);

    // Second run: nothing changes, and the real token is still there.
    let snapshot = |p: &Path| std::fs::read(p).unwrap();
    let before = (snapshot(&target), snapshot(&legacy), snapshot(&backup));
    let r2 = sb.load(&[]);
    assert!(r2.migrated.is_none());
    assert_eq!(r2.source, ConfigSource::DefaultPath);
    assert_eq!(
        r2.settings.refresh_token.unwrap().expose_secret(),
        "rt-SECRET-legacy"
    );
    assert!(
        config::migrate_legacy(&Env::default(), Some(&sb.home))
            .unwrap()
            .is_none()
    );
    assert_eq!(
        (snapshot(&target), snapshot(&legacy), snapshot(&backup)),
        before
    );
    assert_eq!(
        files_in(&sb.home),
        vec![".config", ".spot_config", ".spot_config.rsspot-backup"]
    );
}

#[test]
fn migrates_profiles_form_legacy_file() {
    let sb = Sandbox::new();
    sb.write(
        ".spot_config",
        "version: '1'\nactiveProfile: prod\nprofiles:\n  prod:\n    refreshToken: rt-prod\n    clientId: c\n  dev:\n    region: dfw\n    extra_key: 1\n",
    );
    let r = sb.load(&[]);
    assert_eq!(
        r.migrated.as_ref().unwrap().profiles_added,
        vec!["dev", "prod"]
    );
    assert_eq!(r.settings.profile, "prod");
    assert_eq!(r.settings.client_id, "c");
    assert_eq!(r.file.version, "2");
    assert_eq!(
        r.file.profiles["dev"].extra["extra_key"],
        serde_json::json!(1)
    );
    let text = std::fs::read_to_string(&r.path).unwrap();
    assert!(text.contains("refresh_token: rt-prod"), "{text}");
}

#[test]
fn migration_merges_into_an_existing_file_but_never_clobbers_it() {
    let sb = Sandbox::new();
    let target = sb.write(
        ".config/rsspot/config.yml",
        "active_profile: work\nprofiles:\n  work:\n    refresh_token: rt-work\n",
    );
    let legacy_text = "refreshToken: rt-legacy\nregion: iad\n";
    let legacy = sb.write(".spot_config", legacy_text);
    // With a new file present, load uses it and leaves the legacy file alone.
    let r = sb.load(&[]);
    assert_eq!(
        (r.settings.profile.as_str(), r.migrated.is_none()),
        ("work", true)
    );
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), legacy_text);

    // Explicit migration adds the missing profile and keeps everything else.
    let report = config::migrate_legacy(&Env::default(), Some(&sb.home))
        .unwrap()
        .unwrap();
    assert!(report.merged_into_existing);
    assert_eq!(report.profiles_added, vec!["default"]);
    let r = sb.load(&[]);
    assert_eq!(r.file.profile_names(), vec!["default", "work"]);
    assert_eq!(r.settings.profile, "work");
    assert_eq!(
        r.file.profiles["work"]
            .refresh_token
            .as_ref()
            .unwrap()
            .expose(),
        "rt-work"
    );
    assert_eq!(
        r.file.profiles["default"]
            .refresh_token
            .as_ref()
            .unwrap()
            .expose(),
        "rt-legacy"
    );

    // A conflicting profile stops the migration before anything is written.
    let sb = Sandbox::new();
    let target_text = "profiles:\n  default:\n    refresh_token: rt-other\n";
    let target2 = sb.write(".config/rsspot/config.yml", target_text);
    let legacy2 = sb.write(".spot_config", legacy_text);
    let err = config::migrate_legacy(&Env::default(), Some(&sb.home)).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("profile 'default'") && msg.contains("refresh_token"),
        "{msg}"
    );
    assert!(
        !msg.contains("rt-other") && !msg.contains("rt-legacy"),
        "{msg}"
    );
    assert_eq!(std::fs::read_to_string(&target2).unwrap(), target_text);
    assert_eq!(std::fs::read_to_string(&legacy2).unwrap(), legacy_text);
    assert_eq!(files_in(&sb.home), vec![".config", ".spot_config"]);
    let _ = target;
}

#[test]
fn malformed_legacy_file_is_reported_and_nothing_is_written() {
    let sb = Sandbox::new();
    let legacy = sb.write(".spot_config", "org: [unclosed\n");
    let err = config::load(&sb.opts(&[])).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(".spot_config") && msg.contains("line"),
        "{msg}"
    );
    assert_eq!(files_in(&sb.home), vec![".spot_config"]);
    assert_eq!(std::fs::read_to_string(legacy).unwrap(), "org: [unclosed\n");
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
            &["profile 'p'", "raise max_delay", "config explain"],
        ),
    ];
    for (i, (name, text, needles)) in cases.iter().enumerate() {
        let sb = Sandbox::new();
        let path = sb.write(&format!(".config/rsspot/{name}"), text);
        let err = config::load(&sb.opts(&[])).unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{text}: {err:?}");
        assert_eq!(err.exit_kind(), ExitKind::Usage);
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
            refresh_token: Some(SecretString::from("rt-keep")),
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
