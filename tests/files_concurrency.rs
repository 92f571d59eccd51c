//! User files under concurrent writers, through real processes: parallel `configure` keeps every
//! profile, parallel `kubeconfig --merge` keeps every context, symlinks are written through,
//! `-f` over an existing file keeps a `.bak`, TOML comments survive `configure`, spotctl's files
//! stay byte-identical through every command family, and config warnings reach stderr once.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::stderr_of;
use sha2::{Digest, Sha256};

fn ok(out: Output) -> Output {
    assert!(out.status.success(), "failed: {}", stderr_of(&out));
    out
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs every command at once (one OS process each) and returns their outputs.
fn in_parallel(cmds: Vec<assert_cmd::Command>) -> Vec<Output> {
    let handles: Vec<_> = cmds
        .into_iter()
        .map(|mut c| std::thread::spawn(move || c.output().expect("rsspot runs")))
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

fn yaml(path: &Path) -> serde_json::Value {
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_parallel_configures_keep_twenty_profiles() {
    let env = common::Env::start().await;
    let cmds = (0..20)
        .map(|i| {
            let mut c = env.bare_cmd();
            c.args([
                "configure",
                "--profile",
                &format!("p{i}"),
                "--refresh-token",
                &format!("rt-parallel-{i}"),
                "--region",
                "us-central-dfw-1",
                "--no-input",
                "-o",
                "json",
            ]);
            c
        })
        .collect();
    for out in in_parallel(cmds) {
        ok(out);
    }
    let path = env.config_dir().join("config.yml");
    let doc = yaml(&path);
    let profiles = doc["profiles"].as_object().unwrap();
    assert_eq!(profiles.len(), 20, "{doc}");
    for i in 0..20 {
        assert_eq!(
            profiles[&format!("p{i}")]["refresh_token"],
            format!("rt-parallel-{i}"),
            "profile p{i} lost its token"
        );
    }
    assert_eq!(mode(&path), 0o600);
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_parallel_merges_into_a_symlinked_kubeconfig_keep_every_context() {
    let env = common::Env::instant().await;
    ok(env
        .cmd()
        .args([
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ])
        .output()
        .unwrap());
    // ~/.kube/config is a link into a dotfiles directory, holding a cluster of the user's own.
    let real = env.home().join("dotfiles/kubeconfig");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    std::fs::write(&real, include_str!("fixtures/kubeconfig-existing.yaml")).unwrap();
    let link = env.home().join(".kube/config");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();

    let cmds = (0..16)
        .map(|i| {
            let mut c = env.cmd();
            c.args([
                "cs",
                "kubeconfig",
                "demo-dfw",
                "--merge",
                "--kubeconfig",
                link.to_str().unwrap(),
                "--context-name",
                &format!("ctx-{i}"),
            ]);
            c
        })
        .collect();
    for out in in_parallel(cmds) {
        ok(out);
    }
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let doc = yaml(&real);
    let mut names: Vec<String> = doc["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    let mut want: Vec<String> = (0..16).map(|i| format!("ctx-{i}")).collect();
    want.extend(["kind-local".to_string(), "prod".to_string()]);
    want.sort();
    assert_eq!(names, want);
    assert_eq!(mode(&real), 0o600);
    // kubectl's own lock name is left free.
    assert!(!env.home().join("dotfiles/kubeconfig.lock").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_file_over_an_existing_file_keeps_a_backup() {
    let env = common::Env::instant().await;
    ok(env
        .cmd()
        .args([
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ])
        .output()
        .unwrap());
    let existing = include_str!("fixtures/kubeconfig-existing.yaml");
    let path = env.home().join("multi.yaml");
    std::fs::write(&path, existing).unwrap();
    let out = ok(env
        .cmd()
        .args(["cs", "kubeconfig", "demo-dfw", "-f", path.to_str().unwrap()])
        .output()
        .unwrap());
    let backup = env.home().join("multi.yaml.bak");
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), existing);
    assert_eq!(mode(&backup), 0o600);
    assert!(
        stderr_of(&out).contains(backup.to_str().unwrap()),
        "{}",
        stderr_of(&out)
    );
    assert_ne!(std::fs::read_to_string(&path).unwrap(), existing);
}

#[tokio::test(flavor = "multi_thread")]
async fn configure_writes_through_a_symlink_and_keeps_toml_comments() {
    let env = common::Env::start().await;
    let real = env.home().join("dotfiles/rsspot.toml");
    std::fs::create_dir_all(real.parent().unwrap()).unwrap();
    let text = "# managed by my dotfiles\nactive_profile = \"work\"\n\n[profiles.work]\n# the team org\norg = \"acme\" # do not change\nregion = \"us-central-dfw-1\"\n";
    std::fs::write(&real, text).unwrap();
    let link = env.config_dir().join("config.toml");
    std::fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();

    ok(env
        .bare_cmd()
        .args([
            "configure",
            "--profile",
            "work",
            "--region",
            "uk-lon-1",
            "--no-input",
        ])
        .output()
        .unwrap());
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let after = std::fs::read_to_string(&real).unwrap();
    for kept in [
        "# managed by my dotfiles\n",
        "# the team org\n",
        "org = \"acme\" # do not change\n",
    ] {
        assert!(after.contains(kept), "lost {kept:?}:\n{after}");
    }
    assert!(after.contains("region = \"uk-lon-1\""), "{after}");
    assert_eq!(mode(&real), 0o600);
}

fn sha(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

#[tokio::test(flavor = "multi_thread")]
async fn spotctl_files_stay_byte_identical_through_every_command_family() {
    let env = common::Env::instant().await;
    let spot_config = env.home().join(".spot_config");
    std::fs::write(
        &spot_config,
        "org: demo\nrefreshToken: demo-token\nregion: us-central-dfw-1\n",
    )
    .unwrap();
    std::fs::set_permissions(&spot_config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let spotctl = env.home().join(".spotctl/config.yaml");
    std::fs::create_dir_all(spotctl.parent().unwrap()).unwrap();
    std::fs::write(&spotctl, "org: demo\nrefreshToken: demo-token\n").unwrap();
    let before: Vec<(PathBuf, String)> = [&spot_config, &spotctl]
        .iter()
        .map(|p| (p.to_path_buf(), sha(p)))
        .collect();
    let kube = env.home().join("kube.yaml");
    let families: Vec<Vec<&str>> = vec![
        vec!["config", "show"],
        vec!["config", "explain"],
        vec!["config", "validate"],
        vec!["config", "migrate"],
        vec!["config", "path"],
        vec!["profiles", "list"],
        vec!["profiles", "show"],
        vec![
            "configure",
            "--profile",
            "extra",
            "--region",
            "uk-lon-1",
            "--no-input",
        ],
        vec!["profiles", "use", "default"],
        vec!["regions", "list"],
        vec!["organizations", "list"],
        vec![
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
        vec!["cs", "list"],
        vec![
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--merge",
            "--kubeconfig",
            kube.to_str().unwrap(),
        ],
        vec!["np", "spot", "list", "--cloudspace", "demo-dfw"],
        vec!["pricing", "list"],
        vec!["history"],
        vec!["state", "info"],
        vec!["cs", "delete", "demo-dfw", "--yes"],
    ];
    let mut ran = 0;
    for args in &families {
        // Endpoints from the environment; the token comes from the imported config.
        let out = env
            .bare_cmd()
            .env("RSSPOT_BASE_URL", env.emu.base_url())
            .env("RSSPOT_OAUTH_URL", env.emu.base_url())
            .env("RSSPOT_PUBLIC_DATA_URL", env.emu.base_url())
            .args(args)
            .output()
            .unwrap();
        if out.status.success() {
            ran += 1;
        } else {
            eprintln!("rsspot {} failed: {}", args.join(" "), stderr_of(&out));
        }
        for (p, h) in &before {
            assert_eq!(
                &sha(p),
                h,
                "`rsspot {}` changed {}",
                args.join(" "),
                p.display()
            );
        }
        assert_eq!(mode(&spot_config), 0o600);
    }
    // Every family really ran (a command that failed early would prove nothing).
    assert_eq!(ran, families.len());
    assert!(env.config_dir().join("config.yml").is_file());
    assert!(!env.home().join(".spot_config.rsspot-backup").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn risky_settings_are_warned_about_once_on_stderr() {
    let env = common::Env::start().await;
    let path = env.config_dir().join("config.yml");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "profiles:\n  default:\n    refresh_token: rt-warn\n    base_url: http://spot.example.com\n    verify_ssl: false\n",
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = ok(env
        .bare_cmd()
        .args(["config", "validate"])
        .output()
        .unwrap());
    let err = stderr_of(&out);
    let warnings: Vec<&str> = err.lines().filter(|l| l.starts_with("warning: ")).collect();
    assert_eq!(warnings.len(), 3, "{err}");
    assert!(warnings[0].contains("http://spot.example.com"), "{err}");
    assert!(warnings[1].contains("verify_ssl is false"), "{err}");
    assert!(
        warnings[2].contains(&format!("chmod 600 {}", path.display())),
        "{err}"
    );
    assert!(!err.contains("rt-warn"));
}
