//! `vm-cloudspaces list|get|create|update|delete|wait` (spotctl: `vmcloudspaces`, `vmcs`).
//!
//! `create` takes spotctl's repeatable `--vm-pool "serverclass=…,bidprice=…,desired=…,
//! pooltype=…,vmimage=…"`, the user data flags, or `-f FILE` in spotctl's YAML/JSON layout;
//! every pool is checked before anything is sent, and what was created is deleted again when a
//! later pool fails (the failed pool, the server's reason and what was deleted are said on
//! stderr). `get` on a terminal shows health, reason, bids and the VMs; `vms` lists just the
//! VMs. `delete` removes the pools first.

use crate::help_layout::WithExamples;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::pricing::Bid;
use rsspot::services::vm_cloudspaces::FailedVmCreate;
use rsspot::services::{PoolType, VmCloudSpaceCreate, VmPoolCreate};
use rsspot::types::inventory::{VmCloudSpace, VmPool};
use serde::Deserialize;

use super::nodepools::{PoolWaitArgs, spend};
use super::vm_fields::{self, Form};
use super::vm_pools::{UserDataArgs, checked_user_data, note_ignored_bids, parse_pool_spec};
use crate::args::{NameArgs, WaitFlags};
use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::kinds::VmCloudspaces;
use crate::progress;
use crate::view::{self, GetArgs, WatchArgs};

/// Default wait for the VMs of a VM cloudspace.
const DEFAULT_RUNNING_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// `vm-cloudspaces` subcommands.
#[derive(Debug, Subcommand)]
pub enum VmCloudspacesCmd {
    /// List the org's VM cloudspaces.
    #[command(visible_alias = "ls")]
    #[command(examples(&[
        ("VM cloudspaces", "rsspot vm-cloudspaces list"),
    ]))]
    List(WatchArgs),
    /// Show one VM cloudspace (on a terminal: health, reason, bids and its VMs).
    Get(GetArgs),
    /// List the VMs of a VM cloudspace: name, IP, pool, class, state, error.
    Vms(NameArgs),
    /// Create a VM cloudspace with its pools (rolled back if a pool fails).
    #[command(examples(&[
        ("Walk through region, name and pools (terminal)", "rsspot vmcs create"),
        ("Plain VMs with an SSH key", "rsspot vmcs create lab --region us-central-dfw-1 --vm-ssh-key-name me --vm-pool serverclass=gp.vs1.medium-dfw,desired=1"),
    ]))]
    Create(CreateArgs),
    /// Set or clear (--webhook "") the preemption webhook, the one field that may change.
    Update(UpdateArgs),
    /// Delete a VM cloudspace, its pools first (asks on a terminal; --yes otherwise).
    #[command(visible_alias = "rm")]
    #[command(examples(&[
        ("Its pools first, then it", "rsspot vmcs delete lab --yes"),
    ]))]
    Delete(NameArgs),
    /// Wait until the cloudspace is Ready with all its VMs running.
    Wait(PoolWaitArgs),
}

/// `vm-cloudspaces create` (the region is the global --region, else the profile's).
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Name of the VM SSH key (see `rsspot vm-ssh-keys`).
    #[arg(long, value_name = "KEY", value_parser = crate::names::object)]
    pub vm_ssh_key_name: Option<String>,
    /// Namespace of the SSH key (default: the org's).
    #[arg(long, value_name = "NAMESPACE", value_parser = crate::names::object)]
    pub vm_ssh_key_namespace: Option<String>,
    /// Preemption webhook URL.
    #[arg(long)]
    pub webhook: Option<String>,
    /// A pool: "serverclass=…,bidprice=…,desired=…,pooltype=spot|ondemand,vmimage=…"
    /// (repeatable; vmimage defaults to ubuntu24.04; bidprice is needed for spot and sent for
    /// ondemand when given, as the official CLI does).
    #[arg(long = "vm-pool", value_parser = parse_pool_spec, value_name = "SPEC")]
    pub pools: Vec<VmPoolCreate>,
    #[command(flatten)]
    pub user_data: UserDataArgs,
    /// spotctl's YAML/JSON layout: vmCloudSpace{name, region, vmSshKeyRef{name}, webhook} and
    /// vmPools[]{serverClass, bidPrice, desired, poolType, vmImage, vmUserData}.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "FILE",
        conflicts_with = "pools"
    )]
    pub file: Option<PathBuf>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request bodies and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `vm-cloudspaces update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New webhook URL ("" clears it).
    #[arg(long)]
    pub webhook: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileLayout {
    vm_cloud_space: FileCloudSpace,
    #[serde(default)]
    vm_pools: Vec<FilePool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileCloudSpace {
    name: Option<String>,
    #[allow(dead_code)]
    org: Option<String>,
    region: Option<String>,
    vm_ssh_key_ref: Option<FileKeyRef>,
    webhook: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FileKeyRef {
    name: Option<String>,
    namespace: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FilePool {
    server_class: String,
    bid_price: Option<serde_json::Value>,
    desired: Option<i64>,
    pool_type: Option<String>,
    vm_image: Option<String>,
    vm_user_data: Option<String>,
}

fn from_file(path: &Path) -> Result<VmCloudSpaceCreate> {
    let text = rsspot::cli_support::read_bounded_text(
        path,
        rsspot::cli_support::DOCUMENT_MAX,
        "a VM cloudspace file",
    )?;
    // YAML is a superset of JSON: one parser reads both layouts.
    let layout: FileLayout = serde_norway::from_str(&text)
        .map_err(|e| rsspot::Error::invalid("--file", format!("{}: {e}", path.display())))?;
    let cs = layout.vm_cloud_space;
    let key = cs.vm_ssh_key_ref.unwrap_or(FileKeyRef {
        name: None,
        namespace: None,
    });
    let mut req = VmCloudSpaceCreate::new(
        cs.name.unwrap_or_default(),
        cs.region.unwrap_or_default(),
        key.name.unwrap_or_default(),
    );
    req.ssh_key_namespace = key.namespace;
    req.webhook = cs.webhook.filter(|w| !w.is_empty());
    for p in layout.vm_pools {
        let bid = match p.bid_price {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(s)) => Some(s.parse::<Bid>()?),
            Some(v) => Some(v.to_string().parse::<Bid>()?),
        };
        let pool_type: PoolType = p.pool_type.as_deref().unwrap_or("spot").parse()?;
        let mut pool = VmPoolCreate::on_demand(
            req.name.clone(),
            p.server_class,
            u32::try_from(p.desired.unwrap_or(1).max(1)).unwrap_or(u32::MAX),
        );
        pool.pool_type = pool_type;
        pool.bid_price = bid;
        pool.vm_image = p.vm_image;
        pool.vm_user_data = p
            .vm_user_data
            .map(|d| checked_user_data(d.as_bytes(), "vmUserData"))
            .transpose()?;
        req = req.pool(pool);
    }
    Ok(req)
}

async fn wait_running(ctx: &Ctx, name: &str, timeout: Option<Duration>) -> Result<VmCloudSpace> {
    progress::wait_on_showing(
        ctx,
        &format!("vm cloudspace {name}"),
        &format!("rsspot vm-cloudspaces wait {name}"),
        timeout.unwrap_or(DEFAULT_RUNNING_TIMEOUT),
        |cs: &VmCloudSpace| cs.status.phase.as_ref().map(ToString::to_string),
        |org, opts| async move { org.vm_cloudspaces().wait_until_running(name, &opts).await },
    )
    .await
}

async fn request(ctx: &Ctx, a: &CreateArgs) -> Result<VmCloudSpaceCreate> {
    let mut req = match &a.file {
        Some(path) => from_file(path)?,
        None => {
            let name = a
                .name
                .name
                .clone()
                .or(a.name.name_flag.clone())
                .ok_or_else(|| {
                    rsspot::Error::invalid("NAME", "give the VM cloudspace name (or -f FILE)")
                })?;
            let region = match &ctx.global.region {
                Some(r) => r.clone(),
                None => ctx
                    .client()
                    .await?
                    .default_region()
                    .unwrap_or_default()
                    .to_string(),
            };
            let mut req = VmCloudSpaceCreate::new(name, region, "");
            for p in &a.pools {
                req = req.pool(p.clone());
            }
            req
        }
    };
    // Flags win over the file.
    if let Some(k) = &a.vm_ssh_key_name {
        req.ssh_key = k.clone();
    }
    if a.vm_ssh_key_namespace.is_some() {
        req.ssh_key_namespace = a.vm_ssh_key_namespace.clone();
    }
    if let Some(w) = &a.webhook {
        req.webhook = Some(w.clone()).filter(|w| !w.is_empty());
    }
    if let Some(data) = a.user_data.wire()? {
        for p in &mut req.pools {
            p.vm_user_data = Some(data.clone());
        }
    }
    if req.pools.is_empty() {
        anyhow::bail!(rsspot::Error::invalid(
            "--vm-pool",
            "give at least one --vm-pool \"serverclass=…,bidprice=…,desired=…\" (or vmPools in -f FILE)"
        ));
    }
    Ok(req)
}

/// Deletes what an interrupted create may have made: each pool by name, the cloudspace (and any
/// pool listed under it), then the pools once more. A pool create still in flight lands before the cloudspace delete (and is
/// caught by the second pass) or after it (and is refused, its cloudspace being gone).
async fn undo_create(ctx: &Ctx, name: &str, pools: &[String]) {
    let org = ctx.org();
    let Ok(client) = ctx.client().await else {
        return;
    };
    let gone = |r: rsspot::Result<()>, what: &str| match r {
        Ok(()) | Err(rsspot::Error::NotFound { .. }) => {}
        Err(e) => ctx.out.warn(&format!("could not delete {what}: {e}")),
    };
    for pool in pools {
        gone(
            client.org_or_default(org).vm_pools().delete(pool).await,
            &format!("vm pool {pool}"),
        );
    }
    let cs = client
        .org_or_default(org)
        .vm_cloudspaces()
        .delete_with_pools(name)
        .await;
    let cs = cs.map(|_| ());
    gone(cs, &format!("vm cloudspace {name}"));
    for pool in pools {
        gone(
            client.org_or_default(org).vm_pools().delete(pool).await,
            &format!("vm pool {pool}"),
        );
    }
}

/// How a pool was asked for, for messages: `serverclass=…, pooltype=…[, bidprice=…]`.
fn pool_spec_of(pool: &VmPool) -> String {
    let mut spec = format!(
        "serverclass={}, pooltype={}",
        pool.spec.server_class.as_deref().unwrap_or("?"),
        pool.spec.pool_type.as_deref().unwrap_or("spot")
    );
    if let Some(bid) = &pool.spec.bid_price {
        spec.push_str(&format!(", bidprice={bid}"));
    }
    spec
}

/// Says on stderr what a failed create's rollback deleted (and what it could not), and turns
/// the failure into the error to print: which pool, the server's reason, the flag to change.
fn report_failed_create(
    ctx: &Ctx,
    name: &str,
    bodies: &[VmPool],
    form: Form,
    failed: FailedVmCreate,
) -> anyhow::Error {
    let FailedVmCreate {
        error,
        failed_pool,
        rollback,
    } = failed;
    let Some((index, pool)) = failed_pool else {
        return vm_fields::explained(error, form, None);
    };
    let about = format!(
        "vm pool {} of {} ({}) failed",
        index + 1,
        bodies.len(),
        pool_spec_of(&pool)
    );
    let mut deleted: Vec<String> = rollback
        .pools_deleted
        .iter()
        .map(|p| {
            let spec = bodies
                .iter()
                .find(|b| b.metadata.name == *p)
                .map(|b| format!(" ({})", pool_spec_of(b)))
                .unwrap_or_default();
            format!("vm pool {p}{spec}")
        })
        .collect();
    if rollback.cloudspace_deleted {
        deleted.push(format!("vm cloudspace {name}"));
    }
    let left = rollback.pools_left.len() + usize::from(rollback.cloudspace_left.is_some());
    let deleted = match deleted.is_empty() {
        true => "nothing".to_string(),
        false => deleted.join(", "),
    };
    ctx.out.note(&format!(
        "rolled back: deleted {deleted}; {}",
        match left {
            0 => "nothing is left".to_string(),
            n => format!("{n} object(s) could not be deleted"),
        }
    ));
    for (p, e) in &rollback.pools_left {
        ctx.out.warn(&format!(
            "vm pool {p} is left: {e} (delete it with `{}`)",
            ctx.rsspot(&format!("vm-pools delete {p} --yes"))
        ));
    }
    if let Some(e) = &rollback.cloudspace_left {
        ctx.out.warn(&format!(
            "vm cloudspace {name} is left: {e} (delete it with `{}`)",
            ctx.rsspot(&format!("vm-cloudspaces delete {name} --yes"))
        ));
    }
    vm_fields::explained(error, form, Some(about))
}

/// Runs a `vm-cloudspaces` subcommand.
pub async fn run(ctx: &Ctx, cmd: VmCloudspacesCmd) -> Result<()> {
    let org = ctx.org();
    match cmd {
        VmCloudspacesCmd::List(w) => {
            let client = ctx.client().await?;
            let regions = crate::filters::region_filter(ctx, client).await?;
            let all = VmCloudspaces::of(ctx, None);
            let kind = crate::filters::Filtered::new(all, move |c: &VmCloudSpace| {
                crate::filters::region_matches(&regions, c.spec.region.as_deref())
            });
            view::list(ctx, &kind, &w).await
        }
        VmCloudspacesCmd::Get(a)
            if !a.watch.watch
                && matches!(ctx.out.format, OutputFormat::Table | OutputFormat::Wide) =>
        {
            let name = a.name.get("vm cloudspace")?;
            let cs = ctx
                .client()
                .await?
                .org_or_default(org)
                .vm_cloudspaces()
                .get(&name)
                .await?;
            super::vm_view::print_detail(ctx, &cs)
        }
        VmCloudspacesCmd::Get(a) => view::get(ctx, &VmCloudspaces::of(ctx, None), a).await,
        VmCloudspacesCmd::Vms(n) => {
            let name = n.get("vm cloudspace")?;
            let cs = ctx
                .client()
                .await?
                .org_or_default(org)
                .vm_cloudspaces()
                .get(&name)
                .await?;
            super::vm_view::print_vms(ctx, &cs)
        }
        VmCloudspacesCmd::Create(a) => {
            use super::cloudspaces::wizard;
            let nothing_given = a.name.name.is_none()
                && a.name.name_flag.is_none()
                && a.file.is_none()
                && a.pools.is_empty();
            // No name on a terminal: the wizard asks, then runs the command it shows.
            if nothing_given && wizard::may_ask(ctx) {
                let client = ctx.client().await?;
                return wizard::run(ctx, client, wizard::Target::VmCloudspace).await;
            }
            let form = match a.file {
                Some(_) => Form::File,
                None => Form::PoolSpec,
            };
            let req = request(ctx, &a)
                .await
                .map_err(|e| vm_fields::explain(e, form))?;
            let client = ctx.client().await?;
            let service = client.org_or_default(org).vm_cloudspaces();
            let prepared = service
                .prepare_create(&req, &spend::limits(ctx).await?)
                .await
                .map_err(|e| vm_fields::explained(e, form, None))?;
            note_ignored_bids(ctx, &req.pools);
            let concerns: Vec<_> = prepared.concerns().into_iter().cloned().collect();
            let advice = spend::decide(ctx, "vm cloudspace pools", &concerns, a.dry_run)?;
            if a.dry_run {
                let pools: Vec<_> = prepared.pools.iter().map(|p| &p.body).collect();
                return ctx.out.dry_run(
                    "these are the request bodies",
                    &serde_json::json!({"vmCloudSpace": prepared.body, "vmPools": pools}),
                );
            }
            // As spotctl does: an interrupted create deletes what it made (the SDK itself
            // rolls back when a pool fails) and exits 130.
            // The Ctrl-C undo deletes the cloudspace by name, so it must never be one that was
            // there before: a name already taken is refused before anything is sent.
            match client
                .without_cache()
                .org_or_default(org)
                .vm_cloudspaces()
                .get(&req.name)
                .await
            {
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e.into()),
                Ok(_) => {
                    return Err(rsspot::Error::Conflict {
                        reason: rsspot::ConflictReason::AlreadyExists,
                        message: format!(
                            "vm cloudspace {} already exists: pick another name, or delete it first",
                            req.name
                        ),
                    }
                    .into());
                }
            }
            let bodies: Vec<VmPool> = prepared.pools.iter().map(|p| p.body.clone()).collect();
            let pool_names: Vec<String> = bodies.iter().map(|p| p.metadata.name.clone()).collect();
            // Biased, Ctrl-C first: the handler is installed before the first request goes out.
            let made = tokio::select! {
                biased;
                _ = tokio::signal::ctrl_c() => {
                    ctx.out.warn(&format!("interrupted: deleting vm cloudspace {} and its pools", req.name));
                    undo_create(ctx, &req.name, &pool_names).await;
                    anyhow::bail!(crate::output::Aborted(format!(
                        "interrupted: vm cloudspace {} was not created (what was made is deleted)",
                        req.name
                    )));
                }
                r = service.send_create_reporting(prepared) => r
                    .map_err(|f| report_failed_create(ctx, &req.name, &bodies, form, f))?,
            };
            spend::advise(ctx, &advice);
            ctx.out.note(&format!(
                "vm cloudspace {} created with {} pool(s)",
                req.name,
                made.pools.len()
            ));
            let cs = match a.wait.wait {
                true => wait_running(ctx, &req.name, a.wait.timeout).await?,
                false => service.get(&req.name).await?,
            };
            ctx.out.one(&cs, &cs)
        }
        VmCloudspacesCmd::Update(a) => {
            let name = a.name.get("vm cloudspace")?;
            let cs = ctx
                .client()
                .await?
                .org_or_default(org)
                .vm_cloudspaces()
                .update_webhook(&name, &a.webhook)
                .await?;
            ctx.out.one(&cs, &cs)
        }
        VmCloudspacesCmd::Delete(n) => {
            let name = n.get("vm cloudspace")?;
            ctx.confirm(&format!(
                "Delete vm cloudspace {name}, its pools and all their VMs?"
            ))?;
            let gone = ctx
                .client()
                .await?
                .org_or_default(org)
                .vm_cloudspaces()
                .delete_with_pools(&name)
                .await?;
            ctx.out.note(&format!(
                "vm cloudspace {name} deleted (after {} pool(s))",
                gone.pools.len()
            ));
            Ok(())
        }
        VmCloudspacesCmd::Wait(a) => {
            let name = a.name.get("vm cloudspace")?;
            let cs = wait_running(ctx, &name, a.timeout).await?;
            ctx.out.one(&cs, &cs)
        }
    }
}

impl crate::shape::Shaped for VmCloudspacesCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            VmCloudspacesCmd::List(_)
            | VmCloudspacesCmd::Get(_)
            | VmCloudspacesCmd::Vms(_)
            | VmCloudspacesCmd::Create(_)
            | VmCloudspacesCmd::Update(_)
            | VmCloudspacesCmd::Delete(_)
            | VmCloudspacesCmd::Wait(_) => crate::shape::Shape::RESOURCE,
        }
    }
}
