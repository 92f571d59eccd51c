//! Secrets suite (issue 10): a recognisable refresh token goes through every command family,
//! normally and at `-vvv`, and must never show up in stdout, stderr, `state.db` (raw bytes,
//! WAL included), the history or any file rsspot writes except the config file itself. The id
//! tokens the emulator issues (JWTs) appear only in kubeconfigs the user asked for (and in the
//! documented token cache table). Config, state and kubeconfig files are 0600, our dirs 0700.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use rsspot::emulator::{EmulatorOptions, Lifecycle, Seed};
use serde_json::Value;

/// The refresh token of the demo org in this suite's emulator.
const SECRET: &str = "rt-SECRET-Recognisable-7c1e94d2b8";
/// A token of the same shape that the token service rejects.
const WRONG: &str = "rt-SECRET-Recognisable-rejected-55aa";

/// Offsets of every three-part JWT (`eyJ…​.…​.…`) in `bytes`.
fn jwts(bytes: &[u8]) -> Vec<String> {
    let b64 = |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = bytes[i..].windows(3).position(|w| w == b"eyJ") {
        let start = i + off;
        let mut j = start;
        let mut parts = 1;
        loop {
            while j < bytes.len() && b64(bytes[j]) {
                j += 1;
            }
            if parts < 3 && j + 1 < bytes.len() && bytes[j] == b'.' && b64(bytes[j + 1]) {
                j += 1;
                parts += 1;
            } else {
                break;
            }
        }
        if parts == 3 {
            out.push(String::from_utf8_lossy(&bytes[start..j]).into_owned());
        }
        i = start + 3;
        if i >= bytes.len() {
            break;
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

/// Every file under `root`, recursively.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// How a step is run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Verbosity {
    /// Once normally and once with `-vvv`.
    Both,
    /// Once, normally (mutations whose second run would differ).
    Normal,
    /// Once, with `-vvv`.
    Vvv,
}

struct Suite {
    env: common::Env,
    kube_dir: PathBuf,
    runs: usize,
    verbose_runs: usize,
    verbose_log_lines: usize,
    stdout_jwts: usize,
    state_bytes_scanned: usize,
}

impl Suite {
    fn cmd(&self) -> assert_cmd::Command {
        // No token in the environment: everything comes from the configured profile.
        self.env.bare_cmd()
    }

    /// Runs `args`, checks its output for secrets, returns the output.
    fn run_once(&mut self, args: &[&str], vvv: bool, expect: i32, jwt_ok: bool) -> Output {
        let mut c = self.cmd();
        if vvv {
            c.arg("-vvv");
        }
        let out = c.args(args).output().expect("rsspot runs");
        let what = format!("{}{args:?}", if vvv { "-vvv " } else { "" });
        let stderr = common::stderr_of(&out);
        assert_eq!(out.status.code(), Some(expect), "{what}:\n{stderr}");
        for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !contains(bytes, SECRET) && !contains(bytes, WRONG),
                "{what}: the refresh token is in {name}:\n{}",
                String::from_utf8_lossy(bytes)
            );
        }
        let in_err = jwts(&out.stderr);
        assert!(
            in_err.is_empty(),
            "{what}: an id token is in stderr:\n{stderr}"
        );
        let in_out = jwts(&out.stdout);
        assert!(
            jwt_ok || in_out.is_empty(),
            "{what}: an id token is in stdout:\n{}",
            common::stdout_of(&out)
        );
        self.stdout_jwts += in_out.len();
        self.runs += 1;
        // state.db, -wal and -shm as this run left them (the WAL is gone once checkpointed).
        let state_dir = self.env.home().join(".local/state/rsspot");
        if state_dir.exists() {
            for f in files(&state_dir) {
                let Ok(bytes) = std::fs::read(&f) else {
                    continue;
                };
                self.state_bytes_scanned += bytes.len();
                assert!(
                    !contains(&bytes, SECRET) && !contains(&bytes, WRONG),
                    "{what}: {} holds the refresh token",
                    f.display()
                );
            }
        }
        if vvv {
            self.verbose_runs += 1;
            self.verbose_log_lines += stderr
                .lines()
                .filter(|l| l.contains("DEBUG") || l.contains("TRACE"))
                .count();
        }
        out
    }

    fn step(&mut self, args: &[&str], v: Verbosity) -> Output {
        self.step_ex(args, v, 0, false)
    }

    fn step_ex(&mut self, args: &[&str], v: Verbosity, expect: i32, jwt_ok: bool) -> Output {
        let normal = (v != Verbosity::Vvv).then(|| self.run_once(args, false, expect, jwt_ok));
        let verbose = (v != Verbosity::Normal).then(|| self.run_once(args, true, expect, jwt_ok));
        normal.or(verbose).expect("ran at least once")
    }

    fn json(&mut self, args: &[&str], v: Verbosity) -> Value {
        let mut a = args.to_vec();
        a.extend(["-o", "json"]);
        let out = self.step(&a, v);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", common::stdout_of(&out)))
    }

    /// Every command family, each normally and at -vvv (mutations alternate).
    fn every_command(&mut self, token_file: &Path) {
        use Verbosity::*;
        let url = self.env.emu.base_url();
        let tf = token_file.to_str().expect("utf-8");
        self.step(
            &[
                "configure",
                "--org",
                "demo",
                "--region",
                "us-central-dfw-1",
                "--refresh-token-file",
                tf,
                "--base-url",
                &url,
                "--oauth-url",
                &url,
                "--public-data-url",
                &url,
                "--verify",
            ],
            Normal,
        );
        // A token on the command line (history must redact it), and a rejected one.
        self.step(
            &[
                "-p",
                "ci",
                "configure",
                "--refresh-token",
                SECRET,
                "--org",
                "demo",
                "--base-url",
                &url,
                "--oauth-url",
                &url,
                "--public-data-url",
                &url,
                "--no-activate",
            ],
            Vvv,
        );
        self.step(
            &[
                "-p",
                "wrong",
                "configure",
                "--refresh-token",
                WRONG,
                "--base-url",
                &url,
                "--oauth-url",
                &url,
                "--no-activate",
            ],
            Normal,
        );
        self.step_ex(&["-p", "wrong", "regions", "list"], Both, 4, false);
        self.step_ex(
            &[
                "-p",
                "wrong",
                "configure",
                "--verify",
                "--region",
                "uk-lon-1",
            ],
            Both,
            4,
            false,
        );
        for args in [
            &["profiles", "list"][..],
            &["profiles", "show"],
            &["profiles", "show", "ci"],
            &["config", "show"],
            &["config", "show", "-o", "yaml"],
            &["config", "explain"],
            &["config", "explain", "refresh_token"],
            &["config", "path"],
            &["config", "validate"],
            &["-p", "ci", "organizations", "list"],
            &["organizations", "list"],
            &["regions", "list"],
            &["regions", "get", "us-central-dfw-1"],
            &["server-classes", "list"],
            &["server-classes", "get", "gp.vs1.medium-dfw"],
        ] {
            self.step(args, Both);
        }
        self.step(
            &[
                "cloudspaces",
                "create",
                "sec-cs",
                "--region",
                "us-central-dfw-1",
                "--wait",
            ],
            Vvv,
        );
        for args in [
            &["cloudspaces", "list"][..],
            &["cloudspaces", "get", "sec-cs"],
            &["cloudspaces", "wait", "sec-cs", "--timeout", "30s"],
        ] {
            self.step(args, Both);
        }
        // Kubeconfigs the user asked for may hold an id token; nothing else may.
        self.step_ex(&["cloudspaces", "kubeconfig", "sec-cs"], Both, 0, true);
        let file = self.kube_dir.join("sec-cs.yaml");
        let merged = self.kube_dir.join("config");
        self.step(
            &[
                "cloudspaces",
                "kubeconfig",
                "sec-cs",
                "--file",
                file.to_str().expect("utf-8"),
            ],
            Both,
        );
        self.step(
            &[
                "cloudspaces",
                "kubeconfig",
                "sec-cs",
                "--merge",
                "--kubeconfig",
                merged.to_str().expect("utf-8"),
                "--set-current",
            ],
            Both,
        );
        // The default merge target, ~/.kube/config, in a ~/.kube rsspot has to create.
        self.step(&["cloudspaces", "kubeconfig", "sec-cs", "--merge"], Both);
        self.step(
            &[
                "cloudspaces",
                "update",
                "sec-cs",
                "--webhook",
                "https://hook.example/x",
            ],
            Both,
        );

        // Node pools of both kinds.
        let spot = self.json(
            &[
                "nodepools",
                "spot",
                "create",
                "--cloudspace",
                "sec-cs",
                "--server-class",
                "gp.vs1.medium-dfw",
                "--desired",
                "1",
                "--bid-price",
                "0.02",
            ],
            Normal,
        );
        let spot = spot["metadata"]["name"]
            .as_str()
            .expect("pool name")
            .to_string();
        for args in [
            &["nodepools", "spot", "list"][..],
            &["nodepools", "spot", "get", &spot],
            &["nodepools", "spot", "wait", &spot, "--timeout", "30s"],
        ] {
            self.step(args, Both);
        }
        self.step(
            &["nodepools", "spot", "update", &spot, "--desired", "2"],
            Vvv,
        );
        self.step(&["nodepools", "spot", "delete", &spot, "--yes"], Vvv);
        let od = self.json(
            &[
                "nodepools",
                "ondemand",
                "create",
                "--cloudspace",
                "sec-cs",
                "--server-class",
                "gp.vs1.medium-dfw",
                "--desired",
                "1",
            ],
            Vvv,
        );
        let od = od["metadata"]["name"]
            .as_str()
            .expect("pool name")
            .to_string();
        for args in [
            &["nodepools", "ondemand", "list"][..],
            &["nodepools", "ondemand", "get", &od],
        ] {
            self.step(args, Both);
        }
        self.step(
            &["nodepools", "ondemand", "update", &od, "--desired", "2"],
            Normal,
        );
        self.step(&["nodepools", "ondemand", "delete", &od, "--yes"], Normal);

        for args in [
            &["pricing", "list"][..],
            &["pricing", "get", "gp.vs1.medium-dfw"],
            &["pricing", "bid", "gp.vs1.medium-dfw"],
            &["pricing", "build", "--nodes", "3"],
            &["inventory", "vmcloudspaces"],
            &["inventory", "vmpools", "vm-lab-dfw"],
            &["inventory", "events"],
        ] {
            self.step(args, Both);
        }
        self.step(&["registrations", "discover", "--omni-cluster", "lab"], Vvv);
        for args in [&["registrations", "list"][..], &["registrations", "export"]] {
            self.step(args, Both);
        }
        self.step(&["registrations", "claim", "1", "--owner", "w1"], Normal);
        for args in [
            &["api", "/apis/ngpc.rxt.io/v1/regions"][..],
            &[
                "api",
                "GET",
                "/apis/ngpc.rxt.io/v1/namespaces/org-demoorg0000000001/cloudspaces",
            ],
            &["history"],
            &["history", "-o", "json", "--limit", "1000"],
            &["state", "info"],
            &["state", "path"],
            &["cache", "stats"],
            &["version"],
        ] {
            self.step(args, Both);
        }
        self.step(&["cache", "clear"], Vvv);
        // The kubeconfigs written above stay for the at-rest checks at the end.
        self.step(
            &[
                "cloudspaces",
                "delete",
                "sec-cs",
                "--yes",
                "--keep-kubeconfig",
            ],
            Normal,
        );
    }
}

/// The demo org's token replaced by `SECRET`.
fn options() -> EmulatorOptions {
    let mut seed = Seed::builtin();
    seed.orgs[0].refresh_token = SECRET.to_string();
    EmulatorOptions {
        seed,
        lifecycle: Lifecycle::instant(),
        ..Default::default()
    }
}

/// Tables of `state.db` whose text mentions a JWT, other than the token cache's `id_token`.
async fn jwt_columns(db: &Path) -> Vec<String> {
    use sqlx::Row;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(db)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts)
        .await
        .expect("open state.db");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&pool)
            .await
            .expect("tables");
    let mut found = Vec::new();
    for t in tables {
        let cols: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?)")
            .bind(&t)
            .fetch_all(&pool)
            .await
            .expect("columns");
        for c in cols {
            if t == "tokens" && c == "id_token" {
                continue;
            }
            // Names come from sqlite_master and pragma_table_info of our own file.
            let sql = format!("SELECT CAST(\"{c}\" AS BLOB) FROM \"{t}\"");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .expect("rows");
            for r in rows {
                let v: Option<Vec<u8>> = r.try_get(0).expect("blob");
                let v = v.unwrap_or_default();
                if !jwts(&v).is_empty() || contains(&v, SECRET) {
                    found.push(format!("{t}.{c}"));
                }
            }
        }
    }
    pool.close().await;
    found
}

#[path = "suite_secrets_parts/more.rs"]
mod more;
