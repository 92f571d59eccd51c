//! Concurrency suite (issue 10): eight `rsspot` processes at once on one `state.db` and one
//! config file — reads that fill the HTTP cache, cache clears, history written by every
//! invocation, and a registration claim race. Nothing may report a locked database, every
//! process exits 0, no history row is lost and every registration is claimed exactly once.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use rsspot::emulator::{EmulatorOptions, Seed};
use serde_json::Value;

/// Processes started together.
const PROCS: usize = 8;
/// Rounds of the mixed read/write workload.
const ROUNDS: usize = 10;
/// Extra ready servers added to the demo org's `vm-lab-dfw` so the claim race has work to share.
const EXTRA_VMS: usize = 21;

/// The mixed workload: reads that fill the cache (and the token cache on a cold start), reads
/// that bypass it, cache maintenance and history reads. Every one also writes a history row.
const MIX: [&[&str]; 8] = [
    &["regions", "list"],
    &["cloudspaces", "list"],
    &["server-classes", "list"],
    &["regions", "list", "--no-cache"],
    &["cache", "clear"],
    &["history", "--limit", "5"],
    &["server-classes", "list", "--no-cache"],
    &["cache", "stats"],
];

/// The built-in seed with `EXTRA_VMS` more ready servers in `vm-lab-dfw`.
fn seed() -> Seed {
    let mut seed = Seed::builtin();
    let inv = seed.vm_inventory.get_mut("demo").expect("demo inventory");
    let lab = inv
        .vmcloudspaces
        .iter_mut()
        .find(|cs| cs["metadata"]["name"] == "vm-lab-dfw")
        .expect("vm-lab-dfw");
    let servers = lab["status"]["assignedServers"]
        .as_object_mut()
        .expect("assignedServers");
    for i in 0..EXTRA_VMS {
        let id = format!("00000000-0000-4000-8000-{i:012}");
        servers.insert(
            id.clone(),
            serde_json::json!({"IP": format!("10.0.0.{i}"), "clusterRole": "worker",
                "serverClassName": "gp.vs1.medium-dfw", "serverName": id,
                "serverType": "spot", "state": "Ready"}),
        );
    }
    seed
}

/// One finished process.
struct Run {
    args: Vec<String>,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Spawns `rsspot` on the shared HOME. Output goes to files outside HOME so a process never
/// blocks on a full pipe while the test waits on another one.
struct Spawner {
    home: PathBuf,
    scratch: tempfile::TempDir,
    seq: std::sync::atomic::AtomicUsize,
}

impl Spawner {
    fn command(&self) -> Command {
        let mut c = Command::new(assert_cmd::cargo::cargo_bin("rsspot"));
        for (k, _) in std::env::vars() {
            if k.starts_with("RSSPOT_")
                || k.starts_with("SPOT_")
                || k.starts_with("RACKSPACE_")
                || k.starts_with("RXTSPOT_")
            {
                c.env_remove(k);
            }
        }
        c.env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_STATE_HOME", self.home.join(".local/state"))
            .env("NO_COLOR", "1")
            .env_remove("KUBECONFIG")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null());
        c
    }

    fn spawn(&self, args: &[String]) -> (std::process::Child, PathBuf, PathBuf, Vec<String>) {
        let n = self.seq.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let out = self.scratch.path().join(format!("{n}.out"));
        let err = self.scratch.path().join(format!("{n}.err"));
        let child = self
            .command()
            .args(args)
            .stdout(std::fs::File::create(&out).expect("stdout file"))
            .stderr(std::fs::File::create(&err).expect("stderr file"))
            .spawn()
            .expect("rsspot starts");
        (child, out, err, args.to_vec())
    }

    fn finish(
        (mut child, out, err, args): (std::process::Child, PathBuf, PathBuf, Vec<String>),
    ) -> Run {
        // Bounded: a hung process fails the test instead of hanging it.
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let status = loop {
            if let Some(s) = child.try_wait().expect("wait") {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("{args:?} did not finish within 60 s");
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        };
        Run {
            code: status.code(),
            stdout: std::fs::read_to_string(out).unwrap_or_default(),
            stderr: std::fs::read_to_string(err).unwrap_or_default(),
            args,
        }
    }

    fn run(&self, args: &[String]) -> Run {
        Self::finish(self.spawn(args))
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Fails on any sign of sqlite contention or a degraded state store in a process's stderr.
fn assert_clean(run: &Run) {
    let err = run.stderr.to_ascii_lowercase();
    for needle in [
        "database is locked",
        "database table is locked",
        "sqlite_busy",
        "busy",
        "locked",
        "in memory",
        "degrad",
        "state store",
    ] {
        assert!(
            !err.contains(needle),
            "{:?}: stderr mentions {needle:?}:\n{}",
            run.args,
            run.stderr
        );
    }
    assert_eq!(run.code, Some(0), "{:?} failed:\n{}", run.args, run.stderr);
}

fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{:?}: stdout is not JSON ({e}):\n{}", run.args, run.stdout))
}

fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_processes_share_one_state_db_and_one_config() {
    let started = Instant::now();
    let env = common::Env::start_with(EmulatorOptions {
        seed: seed(),
        ..Default::default()
    })
    .await;
    let sp = Spawner {
        home: env.home().to_path_buf(),
        scratch: tempfile::tempdir().expect("scratch dir"),
        seq: Default::default(),
    };
    let mut invocations: Vec<Vec<String>> = Vec::new();

    // One configured profile in the shared HOME: every later process reads this file.
    let token_file = sp.scratch.path().join("token");
    std::fs::write(&token_file, "demo-token\n").expect("token file");
    let url = env.emu.base_url();
    let configure = strings(&[
        "configure",
        "--org",
        "demo",
        "--region",
        "us-central-dfw-1",
        "--refresh-token-file",
        token_file.to_str().expect("utf-8 path"),
        "--base-url",
        &url,
        "--oauth-url",
        &url,
        "--public-data-url",
        &url,
        "-o",
        "json",
    ]);
    // Without history, so state.db does not exist yet and the first round creates it: eight
    // processes race to create the file, switch it to WAL and migrate it.
    let run = Spawner::finish((
        sp.command()
            .args(&configure)
            .env("RSSPOT_NO_HISTORY", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("configure starts"),
        sp.scratch.path().join("none"),
        sp.scratch.path().join("none"),
        configure.clone(),
    ));
    assert_clean(&run);
    assert!(
        !env.state_db().exists(),
        "configure without history made state.db"
    );
    let config_before = std::fs::read(env.config_dir().join("config.yml")).expect("config");

    // Rounds of eight processes started together on a cold (absent), then warm, state.db.
    for round in 0..ROUNDS {
        let children: Vec<_> = (0..PROCS)
            .map(|i| {
                let mut args = strings(MIX[(i + round) % MIX.len()]);
                args.extend(strings(&["-o", "json"]));
                sp.spawn(&args)
            })
            .collect();
        for child in children {
            let run = Spawner::finish(child);
            assert_clean(&run);
            // Every command printed a whole JSON document.
            json(&run);
            invocations.push(run.args);
        }
    }

    // The claim race: discover once, then eight owners claim one at a time until none is left.
    let run = sp.run(&strings(&[
        "registrations",
        "discover",
        "--omni-cluster",
        "lab",
        "-o",
        "json",
    ]));
    assert_clean(&run);
    let discovered: BTreeSet<String> = json(&run)["new"]
        .as_array()
        .expect("new keys")
        .iter()
        .map(|k| {
            k.as_str()
                .or_else(|| k["registration_key"].as_str())
                .expect("key")
                .to_string()
        })
        .collect();
    invocations.push(run.args);
    assert_eq!(discovered.len(), 3 + EXTRA_VMS, "ready VMs of vm-lab-dfw");

    let sp_ref = &sp;
    let results: Vec<(String, Vec<String>, Vec<Run>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..PROCS)
            .map(|w| {
                s.spawn(move || {
                    let owner = format!("w{w}");
                    let mut claimed = Vec::new();
                    let mut runs = Vec::new();
                    loop {
                        let run = sp_ref.run(&strings(&[
                            "registrations",
                            "claim",
                            "1",
                            "--owner",
                            &owner,
                            "-o",
                            "json",
                        ]));
                        assert_clean(&run);
                        let got = json(&run);
                        let got = got.as_array().expect("claim prints an array").clone();
                        runs.push(run);
                        if got.is_empty() {
                            break;
                        }
                        assert_eq!(got.len(), 1, "claim 1 returned {got:?}");
                        assert_eq!(got[0]["lease_owner"], owner.as_str());
                        claimed.push(
                            got[0]["registration_key"]
                                .as_str()
                                .expect("key")
                                .to_string(),
                        );
                    }
                    (owner, claimed, runs)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("claimer thread"))
            .collect()
    });
    let mut by_key: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut claims = 0;
    for (owner, keys, runs) in results {
        claims += keys.len();
        for k in keys {
            by_key.entry(k).or_default().push(owner.clone());
        }
        invocations.extend(runs.into_iter().map(|r| r.args));
    }
    for (key, owners) in &by_key {
        assert_eq!(owners.len(), 1, "{key} claimed by {owners:?}");
    }
    assert_eq!(
        by_key.keys().cloned().collect::<BTreeSet<_>>(),
        discovered,
        "every discovered registration is claimed, and nothing else"
    );
    // The ledger agrees: every record is leased by the owner that printed it.
    let run = sp.run(&strings(&["registrations", "list", "-o", "json"]));
    assert_clean(&run);
    for rec in json(&run).as_array().expect("list") {
        let key = rec["registration_key"].as_str().expect("key");
        assert_eq!(
            rec["lease_owner"].as_str(),
            by_key.get(key).map(|o| o[0].as_str()),
            "{rec}"
        );
    }
    invocations.push(run.args);

    // No lost history row: the history holds exactly the invocations made, argv for argv.
    let run = sp.run(&strings(&["history", "-o", "json", "--limit", "1000"]));
    assert_clean(&run);
    let rows = json(&run);
    let rows = rows.as_array().expect("history rows");
    let recorded: BTreeMap<String, usize> = rows.iter().fold(BTreeMap::new(), |mut m, r| {
        let argv: Vec<String> = serde_json::from_value(r["argv"].clone()).expect("argv");
        *m.entry(argv.join(" ")).or_default() += 1;
        m
    });
    // History stores argv redacted (the token file's path included), so compare it that way.
    let made: BTreeMap<String, usize> = invocations.iter().fold(BTreeMap::new(), |mut m, a| {
        *m.entry(rsspot::state::redact::redact_argv(a).join(" "))
            .or_default() += 1;
        m
    });
    assert_eq!(rows.len(), invocations.len(), "history rows vs invocations");
    assert_eq!(recorded, made, "history argv vs invocations");
    for r in rows {
        assert_eq!(r["exit_code"], 0, "{r}");
    }

    // The shared files survived intact: config untouched by readers, private modes kept.
    assert_eq!(
        std::fs::read(env.config_dir().join("config.yml")).expect("config"),
        config_before
    );
    assert_eq!(mode(&env.state_db()), 0o600);
    let state = rsspot::state::StateStore::open(&env.state_db())
        .await
        .expect("state.db opens");
    let n = state.history_count().await.expect("count history");
    assert_eq!(n as usize, invocations.len() + 1, "plus the history read");

    // Spawned through `spawn` plus the configure run.
    let processes = sp.seq.load(std::sync::atomic::Ordering::SeqCst) + 1;
    eprintln!(
        "suite_concurrency: processes={processes} (up to {PROCS} at once, {ROUNDS} mixed rounds), \
         recorded invocations={}, history_rows={n}, lost_rows={}, registrations={}, \
         claims={claims} by {PROCS} owners, double_claims=0, elapsed={:.1}s",
        invocations.len() + 1,
        (invocations.len() + 1) as u64 - n,
        discovered.len(),
        started.elapsed().as_secs_f64()
    );
}
