//! Part of `tests/cli_cloudspaces.rs`: interrupts, confirmations, the terminal's defaults, and
//! kubeconfig print/file/merge.

use super::*;

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_waiting_without_cancelling() {
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let mut child = std_cmd(env.cmd(), "")
        .args(["cs", "wait", "slow", "--timeout", "60s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    // The first progress line means the waiter (and the Ctrl-C handler) is running.
    stderr.read_line(&mut first).unwrap();
    assert!(first.starts_with("phase: Provisioning"), "{first}");
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let code = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s.code();
        }
        assert!(Instant::now() < deadline, "rsspot did not stop on SIGINT");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    assert_eq!(code, Some(130), "{rest}");
    assert!(rest.contains("interrupted"), "{rest}");
    assert!(rest.contains("not cancelled"), "{rest}");
    assert_eq!(env.emu.count("DELETE", API), 0);
    let (out, _) = ok(&env, &["cs", "get", "slow", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["status"]["phase"], "Provisioning");
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_needs_confirmation() {
    let env = common::Env::instant().await;
    ok(&env, &["cs", "create", "gone", "--region", "uk-lon-1"]);
    let out = env.run(&["cs", "delete", "gone"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr_of(&out).contains("--yes"));
    assert_eq!(env.emu.count("DELETE", API), 0);
    let (_, err) = ok(&env, &["cs", "delete", "gone", "--yes"]);
    assert!(err.contains("gone"), "{err}");
    assert_eq!(env.emu.count("DELETE", API), 1);
    let out = env.run(&["cs", "get", "gone"]);
    assert_eq!(out.status.code(), Some(3));
    let out = env.run(&["cs", "delete", "gone", "-y"]);
    assert_eq!(out.status.code(), Some(3));
}

/// A std `Command` with the environment of `template` (the harness's isolated HOME and
/// emulator URLs); `program` replaces the binary unless empty.
fn std_cmd(template: assert_cmd::Command, program: &str) -> std::process::Command {
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let mut cmd = if program.is_empty() {
        std::process::Command::new(&bin)
    } else {
        std::process::Command::new(program)
    };
    for (k, v) in template.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// A command line run under `script`, so stdin, stdout and stderr are a terminal.
fn tty(env: &common::Env, args: &str, stdin: &str) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let mut child = std_cmd(env.cmd(), "script")
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    if let Some(mut i) = child.stdin.take() {
        // The prompt reads one line; the terminal buffers it until then.
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), common::stdout_of(&out).replace('\r', ""))
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_defaults_table_and_asks_before_deleting() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &["cs", "create", "demo-dfw", "--region", "us-central-dfw-1"],
    );
    let (code, screen) = tty(&env, "cloudspaces list", "");
    assert_eq!(code, Some(0), "{screen}");
    let header = screen
        .lines()
        .find(|l| l.starts_with("NAME"))
        .unwrap_or_default();
    // The table fits the terminal (narrow here): the columns that identify a cloudspace and
    // say whether it is usable stay, the others go first.
    for col in ["NAME", "PHASE", "HEALTH"] {
        assert!(header.contains(col), "{screen}");
    }
    assert!(!screen.contains('{'), "not JSON on a terminal: {screen}");
    // Answering "n" cancels: exit 2 and no DELETE.
    let (code, screen) = tty(&env, "cloudspaces delete demo-dfw", "n\n");
    assert_eq!(code, Some(2), "{screen}");
    assert!(screen.contains("Delete cloudspace demo-dfw"), "{screen}");
    assert!(screen.contains("cancelled"), "{screen}");
    assert_eq!(env.emu.count("DELETE", API), 0);
    let (code, screen) = tty(&env, "cloudspaces delete demo-dfw", "y\n");
    assert_eq!(code, Some(0), "{screen}");
    assert_eq!(env.emu.count("DELETE", API), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn terminal_wait_shows_a_spinner_instead_of_lines() {
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let (code, screen) = tty(&env, "cloudspaces wait slow --timeout 1s", "");
    assert_eq!(code, Some(5), "{screen}");
    assert!(
        !screen.contains("phase: "),
        "plain lines on a terminal: {screen}"
    );
    assert!(screen.contains("cloudspace slow: Provisioning"), "{screen}");
    assert!(screen.contains("error: timed out"), "{screen}");
    common::assert_no_secret(&screen);
}

/// A multi-context kubeconfig that merges must leave intact (shared with the unit tests).
const EXISTING_KUBECONFIG: &str = include_str!("../fixtures/kubeconfig-existing.yaml");

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_print_file_and_merge() {
    let env = common::Env::instant().await;
    ok(
        &env,
        &[
            "cs",
            "create",
            "demo-dfw",
            "--region",
            "us-central-dfw-1",
            "--wait",
        ],
    );

    // Printed as YAML even when piped (the JSON default does not apply to a kubeconfig).
    let (yaml, err) = ok(&env, &["cs", "kubeconfig", "demo-dfw"]);
    assert!(yaml.contains("current-context: demo-demo-dfw"), "{yaml}");
    common::assert_no_secret(&err);
    assert!(!yaml.contains("demo-token"));
    let (json, _) = ok(&env, &["cs", "kubeconfig", "demo-dfw", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["current-context"], "demo-demo-dfw");

    // --file: 0600, nothing secret on stdout/stderr (`get-config` is spotctl's own command
    // now, with --file a directory: see tests/cli_cloudspace_create.rs).
    let file = env.home().join("out/demo.yaml");
    let (out, err) = ok(
        &env,
        &[
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--file",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.is_empty(), "{out}");
    assert!(err.contains("0600"), "{err}");
    common::assert_no_secret(&err);
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.contains("current-context: demo-demo-dfw"));
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600);

    // --merge into $KUBECONFIG (first path) with other contexts: they stay.
    let kube = env.home().join("kube/config");
    std::fs::create_dir_all(kube.parent().unwrap()).unwrap();
    std::fs::write(&kube, EXISTING_KUBECONFIG).unwrap();
    let kubeconfig_env = format!("{}:{}", kube.display(), env.home().join("other").display());
    let out = env
        .cmd()
        .env("KUBECONFIG", &kubeconfig_env)
        .args(["cs", "kubeconfig", "demo-dfw", "--merge"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    assert!(out.stdout.is_empty());
    let err = common::stderr_of(&out);
    common::assert_no_secret(&err);
    assert!(err.contains("added context demo-demo-dfw"), "{err}");
    let merged: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&kube).unwrap()).unwrap();
    let names = |list: &str| -> Vec<String> {
        merged[list]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names("contexts"), ["kind-local", "prod", "demo-demo-dfw"]);
    assert_eq!(names("clusters"), ["kind-local", "prod", "demo-demo-dfw"]);
    assert_eq!(
        names("users"),
        ["kind-local", "prod-admin", "demo-demo-dfw"]
    );
    assert_eq!(merged["users"][1]["user"]["token"], "PROD");
    assert_eq!(merged["current-context"], "kind-local");
    let backup = env.home().join("kube/config.bak");
    assert_eq!(
        std::fs::read_to_string(&backup).unwrap(),
        EXISTING_KUBECONFIG
    );
    #[cfg(unix)]
    {
        assert_eq!(mode(&kube), 0o600);
        assert_eq!(mode(&backup), 0o600);
    }

    // Again with --kubeconfig, a context name and --set-current: replaced, not duplicated.
    let (_, err) = ok(
        &env,
        &[
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--merge",
            "--kubeconfig",
            kube.to_str().unwrap(),
            "--context-name",
            "spot-dfw",
            "--set-current",
        ],
    );
    assert!(err.contains("current context is now spot-dfw"), "{err}");
    let (_, err) = ok(
        &env,
        &[
            "cs",
            "kubeconfig",
            "demo-dfw",
            "--merge",
            "--kubeconfig",
            kube.to_str().unwrap(),
            "--context-name",
            "spot-dfw",
        ],
    );
    assert!(err.contains("updated context spot-dfw"), "{err}");
    let merged: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&kube).unwrap()).unwrap();
    let contexts: Vec<&str> = merged["contexts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        contexts,
        ["kind-local", "prod", "demo-demo-dfw", "spot-dfw"]
    );
    assert_eq!(merged["current-context"], "spot-dfw");

    // ~/.kube/config when nothing else is given: created 0600 with the context current.
    ok(&env, &["cs", "kubeconfig", "demo-dfw", "--merge"]);
    let home_cfg = env.home().join(".kube/config");
    let v: serde_json::Value =
        serde_norway::from_str(&std::fs::read_to_string(&home_cfg).unwrap()).unwrap();
    assert_eq!(v["current-context"], "demo-demo-dfw");
    #[cfg(unix)]
    assert_eq!(mode(&home_cfg), 0o600);

    // A broken target is left untouched.
    std::fs::write(&kube, "clusters: [oops").unwrap();
    let out = env.run(&[
        "cs",
        "kubeconfig",
        "demo-dfw",
        "--merge",
        "--kubeconfig",
        kube.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr_of(&out));
    assert_eq!(std::fs::read_to_string(&kube).unwrap(), "clusters: [oops");

    // Flags that only make sense with --merge.
    let out = env.run(&["cs", "kubeconfig", "demo-dfw", "--set-current"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_of_a_cloudspace_that_is_not_ready_fails() {
    let env = common::Env::start().await;
    ok(&env, &["cs", "create", "slow", "--region", "uk-lon-1"]);
    let out = env.run(&["cs", "kubeconfig", "slow"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr_of(&out));
    let err = common::stderr_of(&out);
    assert!(err.contains("not ready"), "{err}");
    common::assert_no_secret(&err);
    assert!(out.stdout.is_empty());
}
