//! spotctl's files are read, never written; loading has no side effects; rotated refresh
//! tokens are stored by compare-and-swap; warnings are data.

use std::path::{Path, PathBuf};

use rsspot::config::{
    self, ConfigSource, ConfigWarning, Env, LoadOptions, RefreshTokenOrigin, TokenStore,
};
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
}

/// Every file under `dir` with its bytes and modification time: any write shows.
fn tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let meta = std::fs::metadata(&p).unwrap();
                out.push((
                    p.clone(),
                    std::fs::read(&p).unwrap(),
                    meta.modified().unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

const LEGACY: &str = "org: acme\nrefreshToken: rt-legacy\nregion: us-east-iad-1\n";

#[test]
fn library_load_with_only_spot_config_has_no_side_effects() {
    let sb = Sandbox::new();
    let legacy = sb.write(".spot_config", LEGACY);
    let before = tree(&sb.home);
    for _ in 0..2 {
        let r = config::load(&sb.opts(&[])).unwrap();
        assert_eq!(
            r.source,
            ConfigSource::Legacy {
                path: legacy.clone()
            }
        );
        assert!(r.migrated.is_none());
        assert_eq!(r.settings.org.as_deref(), Some("acme"));
        assert_eq!(
            r.settings.refresh_token.as_ref().unwrap().expose_secret(),
            "rt-legacy"
        );
        assert_eq!(
            r.settings.refresh_token_origin,
            RefreshTokenOrigin::Legacy {
                path: legacy.clone()
            }
        );
        assert_eq!(
            r.file.profiles["default"].imported_from.as_deref(),
            Some("~/.spot_config")
        );
    }
    assert_eq!(tree(&sb.home), before, "loading wrote something under HOME");
}

#[test]
fn newer_spotctl_location_is_read_too_and_spot_config_wins() {
    let sb = Sandbox::new();
    let newer = sb.write(
        ".spotctl/config.yaml",
        "org: newer\nrefreshToken: rt-newer\n",
    );
    let r = config::load(&sb.opts(&[])).unwrap();
    assert_eq!(r.source, ConfigSource::Legacy { path: newer });
    assert_eq!(r.settings.org.as_deref(), Some("newer"));
    let old = sb.write(".spot_config", LEGACY);
    let r = config::load(&sb.opts(&[])).unwrap();
    assert_eq!(r.source, ConfigSource::Legacy { path: old });
}

#[test]
fn import_writes_only_rsspots_file_once_even_when_racing() {
    let sb = Sandbox::new();
    let legacy = sb.write(".spot_config", LEGACY);
    let newer = sb.write(".spotctl/config.yaml", "org: other\n");
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let mut opts = sb.opts(&[]);
            opts.import_legacy = true;
            std::thread::spawn(move || config::load(&opts).unwrap())
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results.iter().filter(|r| r.migrated.is_some()).count(),
        1,
        "exactly one run imports (and says so)"
    );
    for r in &results {
        assert_eq!(r.settings.org.as_deref(), Some("acme"));
    }
    let target = sb.home.join(".config/rsspot/config.yml");
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.contains("imported_from: ~/.spot_config"), "{text}");
    assert!(text.contains("refresh_token: rt-legacy"), "{text}");
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), LEGACY);
    assert_eq!(std::fs::read_to_string(&newer).unwrap(), "org: other\n");
    // Now rsspot's file wins; the token is rotatable there.
    let r = config::load(&sb.opts(&[])).unwrap();
    assert_eq!(r.source, ConfigSource::DefaultPath);
    assert_eq!(
        r.settings.refresh_token_origin,
        RefreshTokenOrigin::ConfigFile {
            path: target,
            profile: "default".into()
        }
    );
}

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_string())
}

#[test]
fn rotated_token_is_stored_by_compare_and_swap_keeping_toml_comments() {
    let sb = Sandbox::new();
    let text = "# my rsspot config\nactive_profile = \"p\"\n\n[profiles.p]\n# from the console\nrefresh_token = \"rt-old\" # rotated by the service\norg = \"acme\"\n\n[profiles.q]\nrefresh_token = \"rt-q\"\n";
    let path = sb.write(".config/rsspot/config.toml", text);
    let r = config::load(&sb.opts(&[])).unwrap();
    let out =
        config::store_rotated_refresh_token(&r.settings, &secret("rt-old"), &secret("rt-new"))
            .unwrap();
    assert_eq!(out, TokenStore::Stored(path.clone()));
    let after = std::fs::read_to_string(&path).unwrap();
    // Only the token changed (and the schema version was recorded); every comment is kept.
    let expected = text.replace("\"rt-old\"", "\"rt-new\"").replace(
        "active_profile = \"p\"\n",
        "active_profile = \"p\"\nversion = \"2\"\n",
    );
    assert_eq!(after, expected);
    // Stale `old`: someone else rotated; the file is left alone.
    let out =
        config::store_rotated_refresh_token(&r.settings, &secret("rt-old"), &secret("rt-other"))
            .unwrap();
    assert_eq!(out, TokenStore::Superseded(path.clone()));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), after);

    // Tokens from the environment or spotctl's file cannot be stored.
    let r = config::load(&sb.opts(&[("RSSPOT_REFRESH_TOKEN", "rt-env")])).unwrap();
    let out =
        config::store_rotated_refresh_token(&r.settings, &secret("rt-env"), &secret("x")).unwrap();
    assert_eq!(
        out,
        TokenStore::NotPersistable {
            origin: RefreshTokenOrigin::Env {
                var: "RSSPOT_REFRESH_TOKEN".into()
            }
        }
    );
    let sb2 = Sandbox::new();
    let legacy = sb2.write(".spot_config", LEGACY);
    let r = config::load(&sb2.opts(&[])).unwrap();
    let out = config::store_rotated_refresh_token(&r.settings, &secret("rt-legacy"), &secret("x"))
        .unwrap();
    assert!(matches!(out, TokenStore::NotPersistable { .. }), "{out:?}");
    assert_eq!(std::fs::read_to_string(&legacy).unwrap(), LEGACY);
}

#[test]
fn ten_racing_rotations_store_exactly_one_token() {
    let sb = Sandbox::new();
    let path = sb.write(
        ".config/rsspot/config.yml",
        "profiles:\n  p:\n    refresh_token: rt-0\n    region: dfw\n  other:\n    refresh_token: keep\n",
    );
    let mut opts = sb.opts(&[]);
    opts.profile = Some("p".into());
    let settings = config::load(&opts).unwrap().settings;
    let handles: Vec<_> = (1..=10)
        .map(|i| {
            let settings = settings.clone();
            std::thread::spawn(move || {
                let new = secret(&format!("rt-new-{i}"));
                let out =
                    config::store_rotated_refresh_token(&settings, &secret("rt-0"), &new).unwrap();
                (i, out)
            })
        })
        .collect();
    let outcomes: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let winners: Vec<usize> = outcomes
        .iter()
        .filter(|(_, o)| matches!(o, TokenStore::Stored(_)))
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .all(|(_, o)| matches!(o, TokenStore::Stored(_) | TokenStore::Superseded(_)))
    );
    let r = config::load(&opts).unwrap();
    assert_eq!(
        r.settings.refresh_token.unwrap().expose_secret(),
        format!("rt-new-{}", winners[0])
    );
    assert_eq!(r.settings.region.as_deref(), Some("dfw"));
    assert_eq!(
        r.file.profiles["other"]
            .refresh_token
            .as_ref()
            .unwrap()
            .expose(),
        "keep"
    );
    assert!(path.is_file());
}

#[test]
fn warnings_are_data_for_plain_http_tls_off_and_readable_token_files() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let path = sb.write(
        ".config/rsspot/config.yml",
        "profiles:\n  default:\n    refresh_token: rt\n    base_url: http://spot.example.com\n    oauth_url: http://127.0.0.1:9\n    verify_ssl: false\n",
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let r = config::load(&sb.opts(&[])).unwrap();
    let w = r.warnings();
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(matches!(&w[0], ConfigWarning::PlainHttp { key, .. } if key == "base_url"));
    assert!(matches!(&w[1], ConfigWarning::TlsVerificationOff { .. }));
    assert!(matches!(
        &w[2],
        ConfigWarning::ReadableByOthers { mode: 0o644, .. }
    ));
    let line = w[2].to_string();
    assert!(
        line.contains(&format!("chmod 600 {}", path.display())),
        "{line}"
    );
    assert!(w.iter().all(|w| !w.to_string().contains('\n')));
    // Fixed: no warnings.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let r = config::load(&sb.opts(&[
        ("RSSPOT_BASE_URL", "https://spot.example.com"),
        ("RSSPOT_VERIFY_SSL", "true"),
    ]))
    .unwrap();
    assert!(r.warnings().is_empty(), "{:?}", r.warnings());
}
