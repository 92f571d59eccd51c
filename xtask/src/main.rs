//! Project automation: `cargo xtask sync-openapi` and `cargo xtask codegen`.

mod sync;

use rsspot_codegen as codegen;
use rsspot_codegen::digest;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use serde_json::Value;

/// URLs Rackspace has published the spec at, tried in order when no source is given.
const UPSTREAM_URLS: &[&str] = &[
    "https://spot.rackspace.com/openapi/v2",
    "https://spot.rackspace.com/openapi.json",
    "https://spot.rackspace.com/swagger.json",
];

#[derive(Parser)]
#[command(name = "xtask", about = "rsspot project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Refresh openapi/spot.json (the upstream contract) and openapi/metadata.json (which also
    /// records the contract supplement, openapi/spot-extensions.json, in its own section).
    SyncOpenapi {
        /// A URL or file to read the upstream document from (default: $RSSPOT_OPENAPI_URL, then
        /// the URLs Rackspace publishes).
        #[arg(long)]
        from: Option<String>,
        /// Do not write; fail with the diff when the committed files differ from the source.
        #[arg(long)]
        check: bool,
    },
    /// Regenerate the generated/ mirror of what build.rs produces.
    Codegen {
        /// Do not write; fail when generated/ is stale.
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::SyncOpenapi { from, check } => sync_openapi(from, check),
        Command::Codegen { check } => codegen_cmd(check),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let dir = path.parent().context("path has no parent")?;
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(contents.as_bytes())?;
    tmp.persist(path)
        .map_err(|e| anyhow!("cannot write {}: {}", path.display(), e.error))?;
    Ok(())
}

fn fetch(source: &str) -> Result<Vec<u8>> {
    if source.starts_with("http://") || source.starts_with("https://") {
        let resp = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?
            .get(source)
            .header("accept", "application/json")
            .send()
            .with_context(|| format!("cannot reach {source}"))?;
        if !resp.status().is_success() {
            bail!("{source} answered HTTP {}", resp.status());
        }
        Ok(resp.bytes()?.to_vec())
    } else {
        std::fs::read(source).with_context(|| format!("cannot read {source}"))
    }
}

/// The contract supplement: its bytes and document.
fn read_supplement() -> Result<(Vec<u8>, Value)> {
    let file = codegen::supplement::FILE;
    let bytes = std::fs::read(root().join(file)).with_context(|| format!("cannot read {file}"))?;
    let doc = serde_json::from_slice(&bytes).with_context(|| format!("{file} is not JSON"))?;
    Ok((bytes, doc))
}

fn sync_openapi(from: Option<String>, check: bool) -> Result<ExitCode> {
    let candidates: Vec<String> = match from.or_else(|| std::env::var("RSSPOT_OPENAPI_URL").ok()) {
        Some(s) => vec![s],
        None => UPSTREAM_URLS.iter().map(|s| s.to_string()).collect(),
    };
    let mut errors = Vec::new();
    let (source, bytes) = loop {
        let Some(c) = candidates.get(errors.len()) else {
            bail!("no source could be read: {}", errors.join("; "));
        };
        match fetch(c) {
            Ok(b) => break (c.clone(), b),
            Err(e) => errors.push(format!("{e:#}")),
        }
    };
    let doc = sync::lenient_parse(&bytes).map_err(|e| anyhow!("{source}: {e}"))?;
    sync::validate(&doc).map_err(|e| anyhow!("{source}: {e}"))?;
    let contract_text = sync::contract(&doc);
    let contract: Value = serde_json::from_str(&contract_text)?;
    // A document our codegen cannot handle (or that now declares what the supplement adds) must
    // not replace the working one.
    let (supplement_bytes, supplement) = read_supplement()?;
    codegen::normalize(&contract, &supplement).map_err(|e| anyhow!("{source}: {e}"))?;
    let supplement_ops = codegen::supplement::operation_count(&supplement);
    let supplement_line = format!(
        "{} (contract supplement, not upstream): {supplement_ops} operations, merges cleanly",
        codegen::supplement::FILE
    );

    let spec_path = root().join("openapi/spot.json");
    let meta_path = root().join("openapi/metadata.json");
    let previous: Option<Value> = std::fs::read_to_string(&spec_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let diff = previous
        .as_ref()
        .map(|p| sync::diff(p, &contract))
        .unwrap_or_else(|| sync::SpecDiff {
            added: sync::operations(&contract).into_keys().collect(),
            ..Default::default()
        });
    let fetched_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let metadata = sync::metadata(
        &source,
        &fetched_at,
        &bytes,
        &doc,
        sync::supplement_section(codegen::supplement::FILE, &supplement_bytes, supplement_ops),
    );

    if check {
        let committed = std::fs::read_to_string(&spec_path).unwrap_or_default();
        let committed_meta: Value = std::fs::read_to_string(&meta_path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let new_meta: Value = serde_json::from_str(&metadata)?;
        let meta_same = ["sha256", "openapi", "operation_count"]
            .iter()
            .all(|k| committed_meta.get(k) == new_meta.get(k));
        let supplement_same = committed_meta.get("supplement") == new_meta.get("supplement");
        if committed == contract_text && meta_same && supplement_same {
            println!(
                "openapi/spot.json is up to date with {source} ({} operations)",
                sync::operation_count(&contract)
            );
            println!("{supplement_line}; recorded in openapi/metadata.json");
            return Ok(ExitCode::SUCCESS);
        }
        if committed != contract_text || !meta_same {
            eprintln!("openapi/spot.json is stale against {source}:");
            eprint!("{diff}");
        }
        if !meta_same {
            eprintln!("openapi/metadata.json differs (sha256/openapi/operation_count)");
        }
        if !supplement_same {
            eprintln!(
                "openapi/metadata.json does not record the current {} (file/sha256/operation_count)",
                codegen::supplement::FILE
            );
        }
        eprintln!("run `cargo xtask sync-openapi --from {source}` to update it");
        return Ok(ExitCode::FAILURE);
    }

    write_atomic(&spec_path, &contract_text)?;
    write_atomic(&meta_path, &metadata)?;
    print!("{diff}");
    println!(
        "wrote openapi/spot.json ({} operations) and openapi/metadata.json from {source}",
        sync::operation_count(&contract)
    );
    println!("{supplement_line}");
    Ok(ExitCode::SUCCESS)
}

fn codegen_cmd(check: bool) -> Result<ExitCode> {
    let text = std::fs::read_to_string(root().join("openapi/spot.json"))?;
    let spec: Value = serde_json::from_str(&text)?;
    let (_, supplement) = read_supplement()?;
    let generated = codegen::generate(&spec, &supplement).map_err(|e| anyhow!(e))?;
    let inputs = digest::INPUTS
        .iter()
        .map(|f| std::fs::read(root().join(f)).with_context(|| format!("cannot read {f}")))
        .collect::<Result<Vec<_>>>()?;
    let refs: Vec<&[u8]> = inputs.iter().map(Vec::as_slice).collect();
    let files = [
        ("generated/sdk.rs", generated.sdk),
        ("generated/ops.rs", generated.ops),
        ("generated/spot.normalized.json", generated.normalized),
        (
            digest::DIGEST_FILE,
            format!("{}\n", digest::inputs_digest(&refs)),
        ),
    ];
    let mut stale = Vec::new();
    for (rel, contents) in &files {
        let path = root().join(rel);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(contents.as_str()) {
            stale.push(*rel);
            if !check {
                write_atomic(&path, contents)?;
            }
        }
    }
    if check && !stale.is_empty() {
        eprintln!("stale: {} — run `cargo xtask codegen`", stale.join(", "));
        return Ok(ExitCode::FAILURE);
    }
    if stale.is_empty() {
        println!("generated/ is up to date");
    } else {
        println!("updated {}", stale.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}
