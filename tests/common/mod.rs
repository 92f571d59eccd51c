//! Shared helpers for CLI integration tests: an emulator plus an isolated HOME per test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rsspot::emulator::{ClockMode, Emulator, EmulatorOptions, Lifecycle, VariantSetting, Variants};
use serde_json::Value;

/// The Spot API's resource prefix, as the emulator's journal records paths.
pub const API: &str = "/apis/ngpc.rxt.io/v1";

/// A running emulator and a private HOME/XDG tree for one test.
pub struct Env {
    pub emu: Emulator,
    pub home: tempfile::TempDir,
}

impl Env {
    /// Emulator with default (manual-clock) options.
    pub async fn start() -> Env {
        Self::start_with(EmulatorOptions::default()).await
    }

    /// Emulator with custom options.
    pub async fn start_with(opts: EmulatorOptions) -> Env {
        Env {
            emu: Emulator::start_with(opts).await.expect("emulator starts"),
            home: tempfile::tempdir().expect("tempdir"),
        }
    }

    /// Emulator whose lifecycles complete at once (cloudspaces Ready, pools fulfilled).
    pub async fn instant() -> Env {
        Self::start_with(EmulatorOptions {
            lifecycle: Lifecycle::instant(),
            ..Default::default()
        })
        .await
    }

    /// An SDK client on the emulator with the demo token and in-memory state.
    pub async fn client(&self) -> rsspot::SpotClient {
        rsspot::SpotClient::builder()
            .all_urls(self.emu.base_url())
            .refresh_token("demo-token")
            .in_memory_state()
            .build()
            .await
            .expect("client")
    }

    /// Runs `rsspot ARGS` against the emulator.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().expect("rsspot runs")
    }

    /// Runs and asserts success; returns (stdout, stderr).
    pub fn ok(&self, args: &[&str]) -> (String, String) {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed ({:?}): {}",
            out.status.code(),
            stderr_of(&out)
        );
        (stdout_of(&out), stderr_of(&out))
    }

    /// Runs and asserts success; stdout as JSON (`Null` when it printed nothing). Adds `-o json`
    /// unless an `-o` is given (piped output is a tab-separated table by default).
    pub fn ok_json(&self, args: &[&str]) -> Value {
        let text = self.ok(&with_json(args)).0;
        if text.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }

    /// Runs and expects a failure; returns (exit code, stderr).
    pub fn fails(&self, args: &[&str]) -> (Option<i32>, String) {
        let out = self.run(args);
        assert!(!out.status.success(), "{args:?} unexpectedly succeeded");
        (out.status.code(), stderr_of(&out))
    }

    /// How many requests with `method` the emulator saw on a Spot API path containing `part`.
    pub fn api_requests(&self, method: &str, part: &str) -> usize {
        self.emu
            .journal()
            .iter()
            .filter(|e| e.method.eq_ignore_ascii_case(method))
            .filter(|e| e.path.starts_with(API) && e.path.contains(part))
            .count()
    }

    /// How many writes (POST, PATCH, PUT, DELETE) the emulator saw on Spot API paths.
    pub fn writes(&self) -> usize {
        ["POST", "PATCH", "PUT", "DELETE"]
            .iter()
            .map(|m| self.api_requests(m, ""))
            .sum()
    }

    /// Starts `rsspot ARGS` in the background (as [`Env::cmd`] sets it up), e.g. to kill it
    /// mid-run.
    pub fn spawn(&self, args: &[&str]) -> std::process::Child {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("rsspot"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_STATE_HOME", self.home().join(".local/state"))
            .env("XDG_CACHE_HOME", self.home().join(".cache"))
            .env("NO_COLOR", "1")
            .env("RSSPOT_BASE_URL", self.emu.base_url())
            .env("RSSPOT_OAUTH_URL", self.emu.base_url())
            .env("RSSPOT_PUBLIC_DATA_URL", self.emu.base_url())
            .env("RSSPOT_REFRESH_TOKEN", "demo-token")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        c.spawn().expect("rsspot starts")
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    pub fn config_dir(&self) -> PathBuf {
        self.home().join(".config/rsspot")
    }

    pub fn state_db(&self) -> PathBuf {
        self.home().join(".local/state/rsspot/state.db")
    }

    /// `rsspot` pointed at the emulator with the demo org's refresh token in the environment,
    /// an isolated HOME, and no inherited RSSPOT_/SPOT_ variables.
    pub fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.bare_cmd();
        c.env("RSSPOT_BASE_URL", self.emu.base_url())
            .env("RSSPOT_OAUTH_URL", self.emu.base_url())
            .env("RSSPOT_PUBLIC_DATA_URL", self.emu.base_url())
            .env("RSSPOT_REFRESH_TOKEN", "demo-token");
        c
    }

    /// `rsspot` with an isolated HOME and no credentials or endpoints at all.
    pub fn bare_cmd(&self) -> assert_cmd::Command {
        let mut c = assert_cmd::Command::cargo_bin("rsspot").expect("binary built");
        for (k, _) in std::env::vars() {
            if k.starts_with("RSSPOT_")
                || k.starts_with("SPOT_")
                || k.starts_with("RACKSPACE_")
                || k.starts_with("RXTSPOT_")
                || k.starts_with("NGPC_")
            {
                c.env_remove(k);
            }
        }
        c.env("HOME", self.home())
            .env("XDG_CONFIG_HOME", self.home().join(".config"))
            .env("XDG_STATE_HOME", self.home().join(".local/state"))
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .env_remove("COLUMNS")
            .env_remove("RUST_LOG")
            .timeout(std::time::Duration::from_secs(60));
        c
    }
}

/// The options of the variant matrices: the defaults with `setting` changed, a gateway page
/// size of 2 and a 300 ms wall-clock lifecycle.
pub fn variant_options(setting: VariantSetting) -> EmulatorOptions {
    let quick = std::time::Duration::from_millis(300);
    EmulatorOptions {
        variants: Variants::default().with(setting),
        page_size: Some(2),
        clock: ClockMode::Wall,
        lifecycle: Lifecycle {
            cloudspace_ready_after: quick,
            pool_fulfilled_after: quick,
            delete_after: quick,
            upgrade_after: quick,
        },
        ..EmulatorOptions::default()
    }
}

/// stdout of a successful run, as text.
pub fn stdout_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// stderr of a run, as text.
pub fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// No refresh token and no JWT (id token) anywhere in `text`.
pub fn assert_no_secret(text: &str) {
    assert!(
        !text.contains("demo-token"),
        "refresh token printed: {text}"
    );
    assert!(!text.contains("eyJ"), "a JWT was printed: {text}");
}

/// `args` with `-o json` appended unless they already choose an output format.
pub fn with_json<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let chosen = args
        .iter()
        .any(|a| *a == "-o" || a.starts_with("--output") || (a.starts_with("-o") && a.len() > 2));
    let mut all = args.to_vec();
    if !chosen {
        all.extend(["-o", "json"]);
    }
    all
}
