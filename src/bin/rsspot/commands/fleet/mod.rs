//! Declarative fleets: `diff`, `apply`, `export`, `delete -f` and `fleet schema` over
//! [`rsspot::fleet`].

mod render;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::cli_support::{DOCUMENT_MAX, read_bounded_text, read_stdin_text, write_private};
use rsspot::fleet::{self, Applied, ApplyOptions, Fleet, Plan, PlanOptions};
use rsspot::services::WaitOptions;

use crate::cli::OutputFormat;
use crate::ctx::Ctx;

/// `rsspot diff -f FILE`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 the account is as the file says; 2 it differs (the plan \
    lists what would change); 1 an error (as `terraform plan -detailed-exitcode`)."
)]
pub struct DiffArgs {
    /// The fleet file (YAML or JSON; `-` reads stdin).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: String,
    /// Also delete what the account holds and the file does not.
    #[arg(long)]
    pub prune: bool,
    /// Re-resolve `{advice: …}` bids of existing pools.
    #[arg(long)]
    pub rebid: bool,
    /// Save the plan (JSON) for `rsspot apply PLAN.json`.
    #[arg(long = "out", value_name = "PLAN.json")]
    pub out: Option<PathBuf>,
}

/// `rsspot apply -f FILE | apply PLAN.json`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `rsspot diff --out` (applied exactly; refused if the account changed).
    #[arg(value_name = "PLAN.json", conflicts_with = "file")]
    pub plan: Option<PathBuf>,
    /// The fleet file (YAML or JSON; `-` reads stdin).
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        required_unless_present = "plan"
    )]
    pub file: Option<String>,
    /// Also delete what the account holds and the file does not.
    #[arg(long, conflicts_with = "plan")]
    pub prune: bool,
    /// Re-resolve `{advice: …}` bids of existing pools.
    #[arg(long, conflicts_with = "plan")]
    pub rebid: bool,
    /// Show the plan and what would be done; change nothing (each step is sent with the
    /// service's `dryRun=All` where it takes it, else checked here only).
    #[arg(long)]
    pub dry_run: bool,
    /// Wait for created cloudspaces and pools to be ready.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits (default 30m).
    #[arg(long, value_name = "DURATION", value_parser = crate::progress::parse_duration)]
    pub timeout: Option<Duration>,
}

/// `rsspot export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this cloudspace.
    #[arg(long, value_name = "NAME")]
    pub cloudspace: Option<String>,
    /// Write to FILE (0600, atomically) instead of stdout; `.json` writes JSON.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

/// `rsspot delete -f FILE`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    /// The fleet file whose objects are deleted (pools first).
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: String,
    /// Show what would be deleted; send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `rsspot fleet …`.
#[derive(Debug, Subcommand)]
pub enum FleetCmd {
    /// The JSON Schema of a fleet file (for editors).
    Schema,
}

fn read_text(path: &str) -> Result<String> {
    Ok(if path == "-" {
        read_stdin_text(DOCUMENT_MAX, "a fleet file")?
    } else {
        read_bounded_text(Path::new(path), DOCUMENT_MAX, "a fleet file")?
    })
}

/// The fleet file with the files it names read (user data, relative to the fleet file).
fn read_fleet(path: &str) -> Result<Fleet> {
    if path == "-" {
        let mut fleet = Fleet::parse(path, &read_text(path)?)?;
        fleet.read_files(Path::new("."))?;
        return Ok(fleet);
    }
    Ok(Fleet::load(Path::new(path))?)
}

async fn plan_of(ctx: &Ctx, file: &str, prune: bool, rebid: bool) -> Result<Plan> {
    let fleet = read_fleet(file)?;
    let client = ctx.client().await?;
    let org = client.org_or_default(ctx.org());
    let opts = PlanOptions {
        prune,
        rebid,
        limits: crate::commands::nodepools::spend::limits(ctx).await?,
    };
    Ok(fleet::plan(&org, &fleet, &opts).await?)
}

/// `rsspot diff`: the plan; exit 2 when the account differs from the file.
pub async fn diff(ctx: &Ctx, a: DiffArgs) -> Result<()> {
    let plan = plan_of(ctx, &a.file, a.prune, a.rebid).await?;
    if let Some(out) = &a.out {
        write_private(out, serde_json::to_string_pretty(&plan)?.as_bytes())?;
        ctx.out.note(&format!("plan saved to {}", out.display()));
    }
    render::plan(ctx, &plan)?;
    if plan.in_sync() {
        Ok(())
    } else {
        Err(crate::output::Drift.into())
    }
}

fn progress(ctx: &Ctx) -> Option<fleet::ProgressFn> {
    let quiet = ctx.out.quiet;
    Some(Arc::new(move |a: &Applied| {
        if !quiet {
            eprintln!("{}", render::step(a));
        }
    }))
}

/// `rsspot apply`.
pub async fn apply(ctx: &Ctx, a: ApplyArgs) -> Result<()> {
    let (plan, saved) = match (&a.plan, &a.file) {
        (Some(path), _) => {
            let text = read_bounded_text(path, DOCUMENT_MAX, "a plan")?;
            (Plan::from_json(&path.display().to_string(), &text)?, true)
        }
        (None, Some(file)) => (plan_of(ctx, file, a.prune, a.rebid).await?, false),
        (None, None) => anyhow::bail!(crate::output::Usage(
            "give a fleet file (-f FILE) or a saved plan (rsspot apply PLAN.json)".into()
        )),
    };
    if ctx.out.is_table() {
        render::plan(ctx, &plan)?;
    }
    if plan.in_sync() {
        ctx.out
            .note("nothing to do: the account is as the file says");
        return render::report(ctx, &fleet::ApplyReport::default());
    }
    let asks: Vec<String> = plan
        .concerns
        .iter()
        .filter(|c| c.needs_confirmation)
        .map(|c| format!("{}: {}", c.object, c.message))
        .collect();
    if !a.dry_run && (!asks.is_empty() || !plan.deletes.is_empty()) {
        let mut reasons = asks;
        if !plan.deletes.is_empty() {
            reasons.push(format!("{} object(s) will be deleted", plan.deletes.len()));
        }
        ctx.confirm(&format!("apply: {}; go ahead", reasons.join("; ")))?;
    }
    let client = ctx.client().await?;
    let org = client.org_or_default(ctx.org());
    let opts = ApplyOptions {
        dry_run: a.dry_run,
        verify: saved,
        wait: a
            .wait
            .then(|| WaitOptions::with_timeout(a.timeout.unwrap_or(Duration::from_secs(30 * 60)))),
        progress: progress(ctx),
    };
    let report = fleet::apply(&org, &plan, &opts).await?;
    render::report(ctx, &report)
}

/// `rsspot export`.
pub async fn export(ctx: &Ctx, a: ExportArgs) -> Result<()> {
    let client = ctx.client().await?;
    let org = client.org_or_default(ctx.org());
    let fleet = fleet::export(&org, a.cloudspace.as_deref()).await?;
    if let Some(c) = &a.cloudspace
        && fleet.cloudspaces.is_empty()
    {
        return Err(rsspot::Error::not_found("cloudspace", c).into());
    }
    let json = matches!(ctx.out.format, OutputFormat::Json)
        || a.file
            .as_ref()
            .is_some_and(|f| f.to_string_lossy().ends_with(".json"));
    let text = if json {
        serde_json::to_string_pretty(&fleet)? + "\n"
    } else {
        fleet.to_yaml()?
    };
    match &a.file {
        Some(path) => {
            write_private(path, text.as_bytes())?;
            ctx.out
                .note(&format!("fleet written to {}", path.display()));
            Ok(())
        }
        None => ctx.out.text(&text),
    }
}

/// `rsspot delete -f FILE`.
pub async fn delete(ctx: &Ctx, a: DeleteArgs) -> Result<()> {
    let fleet = read_fleet(&a.file)?;
    let client = ctx.client().await?;
    let org = client.org_or_default(ctx.org());
    let plan = fleet::delete_plan(&org, &fleet).await?;
    if plan.deletes.is_empty() {
        ctx.out
            .note("nothing to delete: none of the file's objects exist");
        return render::report(ctx, &fleet::ApplyReport::default());
    }
    if !a.dry_run {
        ctx.confirm(&format!(
            "delete {} object(s) ({}); go ahead",
            plan.deletes.len(),
            plan.deletes
                .iter()
                .map(|c| c.object.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
    }
    let opts = ApplyOptions {
        dry_run: a.dry_run,
        progress: progress(ctx),
        ..ApplyOptions::default()
    };
    let report = fleet::apply(&org, &plan, &opts).await?;
    render::report(ctx, &report)
}

/// `rsspot fleet …`.
pub async fn run(ctx: &Ctx, c: FleetCmd) -> Result<()> {
    match c {
        FleetCmd::Schema => ctx.out.data(&fleet::json_schema()),
    }
}

impl crate::shape::Shaped for DiffArgs {
    /// A plan: a table of changes, or the plan as data.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::REPORT
    }
}

impl crate::shape::Shaped for ApplyArgs {
    /// What was done, per object.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::REPORT
    }
}

impl crate::shape::Shaped for DeleteArgs {
    /// What was deleted, per object.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::REPORT
    }
}

impl crate::shape::Shaped for ExportArgs {
    /// A fleet file: YAML text, or the same as data.
    fn shape(&self) -> crate::shape::Shape {
        crate::shape::Shape::TEXT_OR_DATA
    }
}

impl crate::shape::Shaped for FleetCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            // A document made locally: nothing to record.
            FleetCmd::Schema => crate::shape::Shape::DATA.unrecorded(),
        }
    }
}
