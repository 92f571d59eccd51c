//! Secrets suite (issue 10): a recognisable refresh token goes through every command family,
//! normally and at `-vvv`, and must never show up in stdout, stderr, `state.db` (raw bytes,
//! WAL included), the history or any file rsspot writes except the config file itself. The id
//! tokens the emulator issues (JWTs) appear only in kubeconfigs the user asked for (and in the
//! documented token cache table). Config, state and kubeconfig files are 0600, our dirs 0700.
#![cfg(all(feature = "cli", feature = "emulator"))]

mod common;

#[path = "suite_secrets_parts/every_command.rs"]
mod every_command;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rsspot::emulator::{EmulatorOptions, Lifecycle, Seed};
use serde_json::Value;

use every_command::Suite;

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

#[tokio::test(flavor = "multi_thread")]
async fn the_refresh_token_and_id_tokens_never_leak() {
    let started = Instant::now();
    let env = common::Env::start_with(options()).await;
    let scratch = tempfile::tempdir().expect("scratch");
    let token_file = scratch.path().join("token.txt");
    std::fs::write(&token_file, format!("{SECRET}\n")).expect("token file");
    let kube_dir = env.home().join("kube");
    std::fs::create_dir_all(&kube_dir).expect("kube dir");
    std::fs::set_permissions(&kube_dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let mut suite = Suite {
        env,
        kube_dir,
        runs: 0,
        verbose_runs: 0,
        verbose_log_lines: 0,
        stdout_jwts: 0,
        state_bytes_scanned: 0,
    };
    suite.every_command(&token_file);
    let home = suite.env.home().to_path_buf();

    // Files: the refresh token only in the config file; JWTs only in kubeconfigs the user
    // asked for (and the token cache, checked per table below); private modes.
    let config = suite.env.config_dir().join("config.yml");
    let kube_files = [
        suite.kube_dir.join("sec-cs.yaml"),
        suite.kube_dir.join("config"),
        home.join(".kube/config"),
        suite.kube_dir.join("config.bak"),
        home.join(".kube/config.bak"),
        // `-f` over an existing file keeps the previous kubeconfig.
        suite.kube_dir.join("sec-cs.yaml.bak"),
    ];
    let state_dir = home.join(".local/state/rsspot");
    let mut scanned = Vec::new();
    let mut bytes_scanned = 0;
    let mut problems = Vec::new();
    for f in files(&home) {
        let bytes = std::fs::read(&f).expect("read");
        scanned.push(f.strip_prefix(&home).unwrap_or(&f).display().to_string());
        bytes_scanned += bytes.len();
        let in_state = f.starts_with(&state_dir);
        if f != config && contains(&bytes, SECRET) {
            problems.push(format!("{}: holds the refresh token", f.display()));
        }
        if contains(&bytes, WRONG) && f != config {
            problems.push(format!("{}: holds the rejected token", f.display()));
        }
        if !in_state && !kube_files.contains(&f) && !jwts(&bytes).is_empty() {
            problems.push(format!("{}: holds an id token", f.display()));
        }
        if mode(&f) != 0o600 {
            problems.push(format!("{}: mode {:o}", f.display(), mode(&f)));
        }
    }
    // Written kubeconfigs use the exec credential plugin: no id token at rest at all.
    for f in &kube_files[..3] {
        assert!(f.exists(), "{} was not written", f.display());
        let bytes = std::fs::read(f).expect("read");
        assert!(jwts(&bytes).is_empty(), "{} holds an id token", f.display());
        assert!(
            contains(&bytes, "kube-token"),
            "{} has no exec user",
            f.display()
        );
    }
    for d in [
        suite.env.config_dir(),
        state_dir.clone(),
        home.join(".kube"),
    ] {
        if mode(&d) != 0o700 {
            problems.push(format!("{}: dir mode {:o}", d.display(), mode(&d)));
        }
    }
    // The scanners see what is there: the token is in the config, id tokens are in the
    // token cache (by design, see `rsspot::state::tokens`) and in the kubeconfigs.
    assert!(contains(&std::fs::read(&config).expect("config"), SECRET));
    let db = state_dir.join("state.db");
    let raw: Vec<u8> = files(&state_dir)
        .iter()
        .flat_map(|f| std::fs::read(f).unwrap_or_default())
        .collect();
    assert!(!jwts(&raw).is_empty(), "the token cache holds no id token");
    let leaky_columns = jwt_columns(&db).await;
    for c in &leaky_columns {
        problems.push(format!("state.db column {c} holds a token"));
    }

    // The history read back: redacted.
    let out = suite
        .cmd()
        .args(["history", "-o", "json", "--limit", "1000"])
        .output()
        .expect("history");
    let history = common::stdout_of(&out);
    assert!(!history.contains(SECRET) && jwts(history.as_bytes()).is_empty());
    assert!(
        history.contains("--refresh-token"),
        "the configure with a token on argv is in the history"
    );
    let rows = serde_json::from_str::<Value>(&history)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0);

    eprintln!(
        "suite_secrets: runs={} ({} at -vvv, {} debug/trace log lines scanned), history rows={rows}, \
         files scanned={} {scanned:?} ({} KiB incl. state.db and -wal), JWTs in stdout of \
         `kubeconfig` (allowed)={}, state.db/-wal/-shm bytes scanned after each run={} MiB, leaks found={}, elapsed={:.1}s",
        suite.runs,
        suite.verbose_runs,
        suite.verbose_log_lines,
        scanned.len(),
        bytes_scanned / 1024,
        suite.stdout_jwts,
        suite.state_bytes_scanned >> 20,
        problems.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(suite.verbose_log_lines > 0, "-vvv produced no logs to scan");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// With the token cache off, no id token reaches `state.db` at all (raw bytes, WAL included).
#[tokio::test(flavor = "multi_thread")]
async fn without_the_token_cache_state_db_holds_no_token_at_all() {
    let env = common::Env::start_with(options()).await;
    let url = env.emu.base_url();
    let run = |args: &[&str]| {
        let out = env
            .bare_cmd()
            .env("RSSPOT_NO_TOKEN_CACHE", "1")
            .args(args)
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            common::stderr_of(&out)
        );
        assert!(!contains(&out.stdout, SECRET) && !contains(&out.stderr, SECRET));
        out
    };
    run(&[
        "configure",
        "--org",
        "demo",
        "--refresh-token",
        SECRET,
        "--base-url",
        &url,
        "--oauth-url",
        &url,
        "--public-data-url",
        &url,
    ]);
    for args in [
        &["regions", "list"][..],
        &[
            "cloudspaces",
            "create",
            "nc",
            "--region",
            "us-central-dfw-1",
        ],
        &["cloudspaces", "list"],
        &["-vvv", "cloudspaces", "get", "nc"],
        &["nodepools", "spot", "list"],
        &["cloudspaces", "delete", "nc", "--yes"],
        &["history"],
    ] {
        run(args);
    }
    let mut bytes = 0;
    for f in files(&env.home().join(".local/state/rsspot")) {
        let b = std::fs::read(&f).expect("read");
        bytes += b.len();
        assert!(!contains(&b, SECRET), "{}: refresh token", f.display());
        assert!(jwts(&b).is_empty(), "{}: id token", f.display());
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
    eprintln!(
        "suite_secrets (token cache off): state files scanned {} KiB, tokens found 0",
        bytes / 1024
    );
}
