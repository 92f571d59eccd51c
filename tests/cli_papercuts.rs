//! The small papercuts of a day at a real terminal (issue #26): each test reproduces one.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

use std::io::Write;
use std::process::Stdio;

use common::Env;

/// A command line run under `script`, so stdin, stdout and stderr are a terminal; returns the
/// exit code and the screen (stdout and stderr together).
fn tty(env: &Env, args: &str, stdin: &str, columns: Option<&str>) -> (Option<i32>, String) {
    let bin = assert_cmd::cargo::cargo_bin("rsspot");
    let mut cmd = std::process::Command::new("script");
    for (k, v) in env.cmd().get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.env_remove("NO_COLOR");
    if let Some(c) = columns {
        cmd.env("COLUMNS", c);
    }
    let mut child = cmd
        .args(["-qec", &format!("{} {args}", bin.display()), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    if let Some(mut i) = child.stdin.take() {
        let _ = i.write_all(stdin.as_bytes());
    }
    let out = child.wait_with_output().expect("script ends");
    (out.status.code(), common::stdout_of(&out).replace('\r', ""))
}

/// The visible width of a line (ANSI escapes not counted).
fn visible(line: &str) -> usize {
    let mut n = 0;
    let mut escape = false;
    for c in line.chars() {
        match (escape, c) {
            (false, '\u{1b}') => escape = true,
            (true, 'm') => escape = false,
            (true, _) => {}
            (false, _) => n += 1,
        }
    }
    n
}

/// Every help text that names the exit of Ctrl-C says 130, the code it exits with.
#[tokio::test(flavor = "multi_thread")]
async fn help_never_says_ctrl_c_exits_1() {
    let env = Env::start().await;
    for path in [
        &["cloudspaces", "wait"][..],
        &["nodepools", "spot", "wait"],
        &["nodepools", "ondemand", "wait"],
        &["vm-cloudspaces", "wait"],
        &["vm-pools", "wait"],
    ] {
        let mut args = vec!["help"];
        args.extend_from_slice(path);
        let (text, _) = env.ok(&args);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(!flat.contains("exit 1 "), "{path:?} says exit 1: {flat}");
        if flat.contains("Ctrl-C stops waiting") {
            assert!(flat.contains("exit 130"), "{path:?}: {flat}");
        }
    }
}

/// `help environment` names only commands that parse, and fits 80 columns without breaking a
/// variable name in two.
#[tokio::test(flavor = "multi_thread")]
async fn help_environment_names_real_commands_and_fits_80_columns() {
    let env = Env::start().await;
    let (text, _) = env.ok(&["help", "environment"]);
    let mut commands = 0;
    for quoted in text.split('`').skip(1).step_by(2) {
        let Some(rest) = quoted.strip_prefix("rsspot ") else {
            continue;
        };
        commands += 1;
        // The words before the first flag form a command path: `rsspot help PATH` must know it.
        let path: Vec<&str> = rest
            .split_whitespace()
            .take_while(|w| !w.starts_with('-'))
            .collect();
        let mut args = vec!["help"];
        args.extend(&path);
        let out = env.run(&args);
        assert!(
            out.status.success(),
            "`rsspot {rest}` in help environment is no command: {}",
            common::stderr_of(&out)
        );
    }
    assert!(commands >= 2, "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
    for var in [
        "RACKSPACE_REFRESH_TOKEN",
        "SPOT_RETRY_BACKOFF_FACTOR",
        "RSSPOT_REFRESH_TOKEN_FILE",
    ] {
        assert!(
            text.split(|c: char| c.is_whitespace() || c == ',')
                .any(|w| w == var),
            "{var} is not whole on one line:\n{text}"
        );
    }
}

/// The line closing a wait names the phase the printed row shows.
#[tokio::test(flavor = "multi_thread")]
async fn wait_names_the_phase_its_row_shows() {
    let env = Env::instant().await;
    let out = env.run(&["vm-cloudspaces", "wait", "vm-lab-dfw", "-o", "table"]);
    let (stdout, stderr) = (common::stdout_of(&out), common::stderr_of(&out));
    assert!(out.status.success(), "{stderr}");
    let row_phase = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Phase:").map(|p| p.trim().to_string()))
        .or_else(|| {
            let mut lines = stdout.lines();
            let header: Vec<&str> = lines.next()?.split_whitespace().collect();
            let at = header.iter().position(|h| *h == "PHASE")?;
            let row: Vec<&str> = lines.next()?.split_whitespace().collect();
            row.get(at).map(|p| p.to_string())
        })
        .unwrap_or_else(|| panic!("no phase in {stdout}"));
    let closing = stderr
        .lines()
        .find(|l| l.starts_with("vm cloudspace vm-lab-dfw is "))
        .unwrap_or_else(|| panic!("no closing line in {stderr}"));
    assert!(
        closing.starts_with(&format!("vm cloudspace vm-lab-dfw is {row_phase} ")),
        "{closing:?} but the row says {row_phase}"
    );
}

/// A fourth decimal names the valid bids either side of it, not a value ten times larger; a
/// floor off the ladder and the advice that follows name the same ladder value.
#[tokio::test(flavor = "multi_thread")]
async fn bid_messages_name_the_bids_meant() {
    let env = Env::instant().await;
    cloudspace(&env, "demo-dfw");
    let create = |bid: &'static str| {
        vec![
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            bid,
        ]
    };
    let (code, err) = env.fails(&create("0.0125"));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("0.012 or 0.013"), "{err}");
    assert!(!err.contains("0.125"), "{err}");

    assert!(env.emu.set_market_price("gp.vs1.medium-dfw", "0.012"));
    let (code, err) = env.fails(&create("0.01"));
    assert_eq!(code, Some(2), "{err}");
    let numbers: Vec<&str> = err
        .split(|c: char| !(c.is_ascii_digit() || c == '.'))
        .filter(|w| w.starts_with("0.") && w.len() > 2)
        .filter(|w| *w != "0.01")
        .collect();
    assert!(!numbers.is_empty(), "{err}");
    assert!(numbers.iter().all(|n| *n == "0.02"), "{numbers:?} in {err}");
}

/// A Ready cloudspace `name` in us-central-dfw-1.
fn cloudspace(env: &Env, name: &str) {
    env.ok(&[
        "cs",
        "create",
        name,
        "--region",
        "us-central-dfw-1",
        "--wait",
    ]);
}

/// A kubeconfig's token expiry is said humanly (`in 42 min`, `in 3 h`), never `in 0.0 h`.
#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_expiry_is_said_humanly() {
    let env = Env::instant().await;
    cloudspace(&env, "demo-dfw");
    let (_, err) = env.ok(&["cs", "kubeconfig", "demo-dfw"]);
    let note = err
        .lines()
        .find(|l| l.contains("expire"))
        .unwrap_or_else(|| panic!("no expiry note in {err}"));
    assert!(!note.contains("0.0 h"), "{note}");
    // The command it suggests names this cloudspace, not a NAME placeholder.
    assert!(
        note.contains("`rsspot cloudspaces kubeconfig demo-dfw --merge`"),
        "{note}"
    );
    let (_, inside) = note
        .split_once("(in ")
        .or_else(|| note.split_once("expired "))
        .unwrap_or_else(|| panic!("{note}"));
    let words: Vec<&str> = inside.split_whitespace().take(2).collect();
    assert!(
        words[0].parse::<u64>().is_ok(),
        "not a whole number: {note}"
    );
    assert!(
        ["s", "min", "h", "days"].contains(&words[1].trim_end_matches([')', ';'])),
        "{note}"
    );
}

/// `cs list -o wide` counts each cloudspace's node pools (from one list per pool kind), not
/// the spec's bid requests.
#[tokio::test(flavor = "multi_thread")]
async fn wide_cloudspace_list_counts_node_pools() {
    let env = Env::instant().await;
    cloudspace(&env, "demo-dfw");
    cloudspace(&env, "other-dfw");
    for _ in 0..2 {
        env.ok(&[
            "np",
            "spot",
            "create",
            "--cloudspace",
            "demo-dfw",
            "--server-class",
            "gp.vs1.medium-dfw",
            "--desired",
            "1",
            "--bid-price",
            "0.01",
        ]);
    }
    let lists_before = env.api_requests("GET", "spotnodepools");
    let (table, _) = env.ok(&["cs", "list", "-o", "wide"]);
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let at = header
        .iter()
        .position(|h| *h == "POOLS")
        .expect("POOLS column");
    let pools = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(at).map(str::to_string))
            .unwrap_or_else(|| panic!("no {name} in {table}"))
    };
    assert_eq!(pools("demo-dfw"), "2", "{table}");
    assert_eq!(pools("other-dfw"), "0", "{table}");
    assert_eq!(
        env.api_requests("GET", "spotnodepools") - lists_before,
        1,
        "one spot pool list for all cloudspaces"
    );
    let (fields, _) = env.ok(&["cs", "get", "demo-dfw", "-o", "table"]);
    assert!(
        fields
            .lines()
            .any(|l| l.starts_with("POOLS") && l.trim_end().ends_with(" 2")),
        "{fields}"
    );
}

/// Answering "n" is the user's own choice: `cancelled`, not `error: cancelled` (exit 2, as gh).
#[tokio::test(flavor = "multi_thread")]
async fn declining_a_prompt_is_not_an_error() {
    let env = Env::instant().await;
    cloudspace(&env, "demo-dfw");
    let (code, screen) = tty(&env, "cloudspaces delete demo-dfw", "n\n", None);
    assert_eq!(code, Some(2), "{screen}");
    assert!(
        screen.lines().any(|l| l.trim().ends_with("cancelled")),
        "{screen}"
    );
    assert!(!screen.contains("error:"), "{screen}");
    assert_eq!(env.api_requests("DELETE", "cloudspaces"), 0);
}

/// On a terminal (bold headers), the header is no wider than the rows fitted to 80 columns.
#[tokio::test(flavor = "multi_thread")]
async fn table_headers_fit_like_their_rows() {
    let env = Env::instant().await;
    cloudspace(&env, "demo-dfw");
    let (code, screen) = tty(&env, "cloudspaces list", "", Some("80"));
    assert_eq!(code, Some(0), "{screen}");
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    let header = lines
        .iter()
        .find(|l| l.contains("NAME"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        header.contains('\u{1b}'),
        "expected a bold header: {screen:?}"
    );
    let widest_row = lines
        .iter()
        .filter(|l| !l.contains("NAME"))
        .map(|l| visible(l))
        .max()
        .unwrap_or(0);
    assert!(visible(header) <= widest_row, "{screen:?}");
    assert!(visible(header) <= 80, "{screen:?}");
}

/// spotctl's names and the singular forms are aliases too.
#[tokio::test(flavor = "multi_thread")]
async fn singular_and_spotctl_names_are_aliases() {
    let env = Env::instant().await;
    for word in ["cloudspace", "nodepool", "serverclasses", "serverclass"] {
        let (text, _) = env.ok(&[word, "--help"]);
        assert!(text.contains("Usage: rsspot"), "{word}: {text}");
    }
    env.ok(&["serverclasses", "list", "-o", "name"]);
    env.ok(&["cloudspace", "list", "-o", "json"]);
    env.ok(&["nodepool", "spot", "list", "-o", "json"]);
}

/// `configure` reports only the settings whose value it changed.
#[tokio::test(flavor = "multi_thread")]
async fn configure_reports_only_real_changes() {
    let env = Env::instant().await;
    let token_file = env.home().join("token");
    std::fs::write(&token_file, "demo-token").unwrap();
    let args = [
        "configure",
        "--org",
        "demo",
        "--region",
        "us-east-iad-1",
        "--refresh-token-file",
        token_file.to_str().unwrap(),
    ];
    let run = |extra: &[&str]| {
        let out = env.bare_cmd().args(args).args(extra).output().unwrap();
        assert!(out.status.success(), "{}", common::stderr_of(&out));
        (common::stdout_of(&out), common::stderr_of(&out))
    };
    let (first, _) = run(&["-o", "json"]);
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        first["changed"],
        serde_json::json!(["org", "region", "refresh_token"])
    );
    let (again, _) = run(&["-o", "json"]);
    let again: serde_json::Value = serde_json::from_str(&again).unwrap();
    assert_eq!(again["changed"], serde_json::json!([]), "{again}");
    let (table, _) = run(&["-o", "table"]);
    assert!(table.contains("nothing changed"), "{table}");
    assert!(!table.contains("refresh_token,"), "{table}");
    let out = env
        .bare_cmd()
        .args(["configure", "--region", "uk-lon-1", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr_of(&out));
    let moved: serde_json::Value = serde_json::from_str(&common::stdout_of(&out)).unwrap();
    assert_eq!(moved["changed"], serde_json::json!(["region"]), "{moved}");
}

/// The README's `$schema` modeline on line 1 of `config.yml` survives the next write.
#[tokio::test(flavor = "multi_thread")]
async fn a_leading_modeline_survives_a_config_write() {
    let env = Env::instant().await;
    let configure = |args: &[&str]| {
        let out = env.bare_cmd().arg("configure").args(args).output().unwrap();
        assert!(out.status.success(), "{}", common::stderr_of(&out));
    };
    configure(&["--org", "demo", "--region", "us-east-iad-1", "-o", "json"]);
    let path = env.config_dir().join("config.yml");
    let modeline = "# yaml-language-server: $schema=./schema.json";
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{modeline}\n# my profiles\n{text}")).unwrap();
    configure(&["--region", "uk-lon-1", "-o", "json"]);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(modeline), "{text}");
    assert_eq!(lines.next(), Some("# my profiles"), "{text}");
    assert!(text.contains("uk-lon-1"), "{text}");
    assert_eq!(text.matches(modeline).count(), 1, "{text}");
}

/// `cs get dmeo` says "did you mean demo?" (from one list request), keeping exit 3.
#[tokio::test(flavor = "multi_thread")]
async fn not_found_suggests_the_closest_names() {
    let env = Env::instant().await;
    cloudspace(&env, "demo");
    cloudspace(&env, "prod-dfw");
    let lists = env.api_requests("GET", "cloudspaces");
    let (code, err) = env.fails(&["cs", "get", "dmeo"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("hint: did you mean demo?"), "{err}");
    assert!(!err.contains("prod-dfw"), "{err}");
    assert!(
        env.api_requests("GET", "cloudspaces") - lists <= 2,
        "one get, one list"
    );
    let (code, err) = env.fails(&["cs", "get", "dmeo", "-o", "table"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("did you mean demo?"), "{err}");
    // Nothing close: no guess.
    let (code, err) = env.fails(&["cs", "get", "zzzzzz"]);
    assert_eq!(code, Some(3), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
}

/// `kubeconfig --file ./x` and `--merge` leave no lock file beside the user's files (the lock
/// lives in rsspot's own state directory).
#[tokio::test(flavor = "multi_thread")]
async fn kubeconfig_writes_leave_no_lock_files() {
    let env = Env::instant().await;
    cloudspace(&env, "demo-dfw");
    let dir = env.home().join("out");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("x");
    env.ok(&[
        "cs",
        "kubeconfig",
        "demo-dfw",
        "--file",
        file.to_str().unwrap(),
    ]);
    env.ok(&["cs", "kubeconfig", "demo-dfw", "--merge"]);
    let names = |d: &std::path::Path| -> Vec<String> {
        std::fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&dir), vec!["x".to_string()]);
    let kube = names(&env.home().join(".kube"));
    assert!(kube.contains(&"config".to_string()), "{kube:?}");
    assert!(!kube.iter().any(|n| n.contains("lock")), "{kube:?}");
}
