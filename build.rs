//! Provides the raw bindings in `OUT_DIR`, and records the commit the crate is built from for
//! `rsspot version`.
//!
//! With the `codegen` feature (default) the bindings are generated from `openapi/spot.json` and
//! the contract supplement `openapi/spot-extensions.json` by the `rsspot-codegen` crate
//! (crates/rsspot-codegen). Without it (a library user's `default-features = false`) the
//! committed `generated/` mirror is copied instead, after checking that it was generated from
//! these exact contract files; no progenitor is built.
//!
//! Cargo reruns this script only when one of its real inputs changes: the contract files, the
//! generator (a build dependency, which cargo tracks itself) or the mirror, the
//! `RSSPOT_BUILD_COMMIT` variable, and — only in a git checkout of this crate — the files that
//! name its current commit. A path that does not exist is
//! never declared, since cargo would rerun the script on every build for it.

#[cfg(feature = "codegen")]
use rsspot_codegen as codegen;
use rsspot_codegen::digest;

use std::path::{Path, PathBuf};

/// Set by packagers and CI to state the commit explicitly (wins over git).
const COMMIT_ENV: &str = "RSSPOT_BUILD_COMMIT";

/// The files `src/raw.rs` includes from `OUT_DIR`, as named in `generated/`.
const OUTPUTS: [&str; 3] = ["sdk.rs", "ops.rs", "spot.normalized.json"];

fn main() {
    for f in digest::INPUTS.iter().chain(&["build.rs"]) {
        println!("cargo:rerun-if-changed={f}");
    }
    stamp_commit();
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    provide_bindings(&out);
    embed_migrations(&out);
}

/// The migration directories `embedded_migrations!` knows, as the crate names them.
const MIGRATION_DIRS: [&str; 3] = ["migrations", "migrations/ledger", "migrations/postgres"];

/// Writes `migrations.rs`: the `embedded_migrations!("dir")` macro, which builds the same
/// `sqlx::migrate::Migrator` as `sqlx::migrate!("./dir")` (same versions, descriptions and
/// SHA-384 checksums, so databases migrated by either validate against the other) without
/// sqlx's `macros` feature, i.e. without a second build of sqlx and syn for the proc macro.
fn embed_migrations(out: &Path) {
    use sha2::{Digest, Sha384};
    let mut arms = String::new();
    for dir in MIGRATION_DIRS {
        println!("cargo:rerun-if-changed={dir}");
        let mut migrations = Vec::new();
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {dir}: {e}"));
        for entry in entries {
            let path = entry.unwrap_or_else(|e| panic!("read {dir}: {e}")).path();
            if !path.is_file() {
                continue;
            }
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_else(|| panic!("{}: file name is not UTF-8", path.display()));
            // sqlx's own rule: `<VERSION>_<DESCRIPTION>.sql`, anything else is ignored.
            let Some((version, rest)) = name.split_once('_') else {
                continue;
            };
            let Some(description) = rest.strip_suffix(".sql") else {
                continue;
            };
            if description.ends_with(".up") || description.ends_with(".down") {
                panic!("{dir}/{name}: reversible migrations are not supported");
            }
            let version: i64 = version
                .parse()
                .unwrap_or_else(|_| panic!("{dir}/{name}: the version prefix is not an integer"));
            let sql = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let checksum: Vec<String> = Sha384::digest(sql.as_bytes())
                .iter()
                .map(|b| b.to_string())
                .collect();
            migrations.push((
                version,
                format!(
                    "::sqlx::migrate::Migration {{ version: {version}, \
                     description: ::std::borrow::Cow::Borrowed({description:?}), \
                     migration_type: ::sqlx::migrate::MigrationType::Simple, \
                     sql: ::sqlx::SqlStr::from_static(include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {file:?}))), \
                     no_tx: {no_tx}, checksum: ::std::borrow::Cow::Borrowed(&[{checksum}]) }},\n",
                    description = description.replace('_', " "),
                    file = format!("/{dir}/{name}"),
                    no_tx = sql.starts_with("-- no-transaction"),
                    checksum = checksum.join(", "),
                ),
            ));
        }
        migrations.sort_by_key(|(version, _)| *version);
        let list: String = migrations.into_iter().map(|(_, m)| m).collect();
        arms.push_str(&format!(
            "({dir:?}) => {{ ::sqlx::migrate::Migrator {{ \
             migrations: ::std::borrow::Cow::Borrowed(const {{ &[\n{list}] }}), \
             ..::sqlx::migrate::Migrator::DEFAULT }} }};\n"
        ));
    }
    let text = format!(
        "/// `sqlx::migrate!` for the crate's migration directories (generated by build.rs).\n\
         macro_rules! embedded_migrations {{\n{arms}}}\n"
    );
    std::fs::write(out.join("migrations.rs"), text).expect("write migrations.rs");
}

/// Generates the bindings into `out` with progenitor.
#[cfg(feature = "codegen")]
fn provide_bindings(out: &Path) {
    let read = |path: &str| -> serde_json::Value {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
        serde_json::from_str(&text).unwrap_or_else(|e| {
            panic!("{path} is not strict JSON ({e}); run `cargo xtask sync-openapi`")
        })
    };
    let spec = read(digest::INPUTS[0]);
    let supplement = read(codegen::supplement::FILE);
    let generated = match codegen::generate(&spec, &supplement) {
        Ok(g) => g,
        Err(e) => panic!("codegen failed: {e}"),
    };
    let [sdk, ops, normalized] = OUTPUTS;
    std::fs::write(out.join(sdk), generated.sdk).expect("write sdk.rs");
    std::fs::write(out.join(ops), generated.ops).expect("write ops.rs");
    std::fs::write(out.join(normalized), generated.normalized).expect("write normalized spec");
}

/// Copies the committed `generated/` bindings into `out`, refusing a mirror that was generated
/// from other contract files than the vendored ones.
#[cfg(not(feature = "codegen"))]
fn provide_bindings(out: &Path) {
    println!("cargo:rerun-if-changed={}", digest::DIGEST_FILE);
    let contents: Vec<Vec<u8>> = digest::INPUTS
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("read {f}: {e}")))
        .collect();
    let refs: Vec<&[u8]> = contents.iter().map(Vec::as_slice).collect();
    let actual = digest::inputs_digest(&refs);
    let recorded = std::fs::read_to_string(digest::DIGEST_FILE).unwrap_or_default();
    if recorded.trim() != actual {
        panic!(
            "generated/ was not generated from the vendored {} (sha256 {actual}, {} records {:?}): \
             run `cargo xtask codegen`, or build with the `codegen` feature",
            digest::INPUTS.join(" and "),
            digest::DIGEST_FILE,
            recorded.trim(),
        );
    }
    for name in OUTPUTS {
        let from = Path::new("generated").join(name);
        println!("cargo:rerun-if-changed={}", from.display());
        std::fs::copy(&from, out.join(name))
            .unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
    }
}

/// `RSSPOT_GIT_COMMIT` for `rsspot version`: from [`COMMIT_ENV`] when set, else from git when
/// this crate's own directory is a checkout (a `.git` directory, or a `.git` file in a worktree).
/// A crates.io download or a copy vendored into another repository reports no commit rather than
/// the consumer's.
fn stamp_commit() {
    println!("cargo:rerun-if-env-changed={COMMIT_ENV}");
    if let Some(commit) = std::env::var(COMMIT_ENV)
        .ok()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
    {
        println!("cargo:rustc-env=RSSPOT_GIT_COMMIT={commit}");
        return;
    }
    let Some(git_dir) = git_dir(Path::new(".git")) else {
        return;
    };
    for input in head_inputs(&git_dir) {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    if let Ok(o) = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        && o.status.success()
    {
        println!(
            "cargo:rustc-env=RSSPOT_GIT_COMMIT={}",
            String::from_utf8_lossy(&o.stdout).trim()
        );
    }
}

/// The git directory of a checkout: `.git` itself, or where a worktree's `.git` file points.
fn git_dir(dot_git: &Path) -> Option<PathBuf> {
    if dot_git.is_dir() {
        return Some(dot_git.to_path_buf());
    }
    let text = std::fs::read_to_string(dot_git).ok()?;
    let target = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
    target.is_dir().then_some(target)
}

/// The existing files whose change means a new commit: `HEAD`, the branch ref it names (kept in
/// the common directory for a worktree) and `packed-refs`.
fn head_inputs(git_dir: &Path) -> Vec<PathBuf> {
    let head = git_dir.join("HEAD");
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.to_path_buf());
    let mut inputs = vec![head.clone(), common.join("packed-refs")];
    if let Ok(text) = std::fs::read_to_string(&head)
        && let Some(branch) = text.strip_prefix("ref:")
    {
        inputs.push(common.join(branch.trim()));
    }
    inputs.retain(|p| p.exists());
    inputs
}
