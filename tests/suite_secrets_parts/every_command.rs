//! The run through every command family: each step normally and at `-vvv`, with its stdout,
//! stderr and the state files it leaves checked for the refresh token and id tokens.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use super::{SECRET, WRONG, common, contains, files, jwts};

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

pub(crate) struct Suite {
    pub(crate) env: common::Env,
    pub(crate) kube_dir: PathBuf,
    pub(crate) runs: usize,
    pub(crate) verbose_runs: usize,
    pub(crate) verbose_log_lines: usize,
    pub(crate) stdout_jwts: usize,
    pub(crate) state_bytes_scanned: usize,
}

impl Suite {
    pub(crate) fn cmd(&self) -> assert_cmd::Command {
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
    pub(crate) fn every_command(&mut self, token_file: &Path) {
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
