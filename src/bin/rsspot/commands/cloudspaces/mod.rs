//! `cloudspaces list|get|create|update|delete|wait|kubeconfig|get-config`: the cluster
//! lifecycle. `create` with inline pools lives in [`create`], spotctl's SPECs and file layout in
//! [`specs`].

mod create;
mod specs;
pub mod wizard;

use crate::help_layout::WithExamples;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::SpotClient;
use rsspot::raw::types::CloudSpace;
use rsspot::services::CloudSpaceUpdate;
use rsspot::services::cloudspaces::{DEFAULT_READY_TIMEOUT, versions};

use super::kubeconfig_cmd;
use super::nodepools::spend;
use crate::args::{NameArgs, WaitFlags};
use crate::ctx::Ctx;
use crate::filters;
use crate::kinds::Cloudspaces;
use crate::output::{Tabular, age, dash};
use crate::progress;
use crate::view::{self, GetArgs, WatchArgs};

/// Cloudspace subcommands.
#[derive(Debug, Subcommand)]
pub enum CloudspacesCmd {
    /// List cloudspaces of the organization (only those of --region when given; a comma list
    /// names several).
    #[command(visible_alias = "ls")]
    #[command(examples(&[
        ("All cloudspaces", "rsspot cloudspaces list"),
        ("Names only, for scripts", "rsspot cs list -o name"),
        ("Redraw on each change", "rsspot cs list --watch"),
    ]))]
    List(WatchArgs),
    /// Show one cloudspace.
    #[command(examples(&[
        ("One cloudspace", "rsspot cloudspaces get demo"),
        ("As JSON", "rsspot cs get demo -o json"),
    ]))]
    Get(GetArgs),
    /// Create a cloudspace, alone or with its pools (region: --region or the profile's region).
    ///
    /// With --spot-nodepool / --ondemand-nodepool (repeatable) or -f/--config FILE (spotctl's
    /// layout), every pool is checked before anything is sent; when a pool fails or Ctrl-C is
    /// pressed, the pools made so far and the cloudspace are deleted again (the report says
    /// what). A name already taken is refused.
    #[command(examples(&[
        ("Walk through region, name and pools (terminal)", "rsspot cs create"),
        ("With a spot pool, waiting until it is Ready", "rsspot cs create demo --region us-central-dfw-1 --spot-nodepool serverclass=gp.vs1.medium-dfw,desired=2,bidprice=0.05 --wait"),
        ("Show the request and send nothing", "rsspot cs create demo --region uk-lon-1 --dry-run"),
    ]))]
    Create(CreateArgs),
    /// Change the webhook, the HA control plane or the Kubernetes version (only what is given).
    #[command(examples(&[
        ("Turn on the HA control plane", "rsspot cs update demo --ha-control-plane true"),
    ]))]
    Update(UpdateArgs),
    /// Delete a cloudspace's spot and on-demand pools, then the cloudspace (asks on a
    /// terminal; --yes otherwise). Reports what was deleted.
    #[command(visible_alias = "rm")]
    #[command(examples(&[
        ("Pools first, then the cloudspace", "rsspot cs delete demo --yes"),
        ("Keep its kubectl contexts", "rsspot cs delete demo --yes --keep-kubeconfig"),
    ]))]
    Delete(DeleteArgs),
    /// Wait until a cloudspace is Ready with an API endpoint.
    ///
    /// Progress goes to stderr. Exit 5 on timeout (with the last phase seen); Ctrl-C stops
    /// waiting with exit 130 and cancels nothing on the server.
    #[command(examples(&[
        ("Until Ready, 30 minutes at most", "rsspot cs wait demo --timeout 30m"),
    ]))]
    Wait(WaitArgs),
    /// Print, save (--file) or merge (--merge) the cloudspace's kubeconfig.
    #[command(examples(&[
        ("Merge a context into ~/.kube/config and use it", "rsspot cs kubeconfig demo --merge --set-current"),
        ("Write a file", "rsspot cs kubeconfig demo --file demo.yaml"),
    ]))]
    Kubeconfig(KubeconfigArgs),
    /// spotctl's get-config: write the kubeconfig to DIR/NAME.yaml (default ~/.kube/NAME.yaml,
    /// mode 0600) and say where.
    GetConfig(kubeconfig_cmd::GetConfigArgs),
}

/// `cloudspaces create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Kubernetes version (default 1.31.1; one the service is known to offer unless --force).
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// Send a --kubernetes-version rsspot does not know anyway (with a warning).
    #[arg(long)]
    pub force: bool,
    /// CNI: calico (default), cilium or byocni.
    #[arg(long)]
    pub cni: Option<String>,
    /// Paid highly-available control plane.
    #[arg(long)]
    pub ha_control_plane: bool,
    /// GPU cloudspace.
    #[arg(long)]
    pub gpu_enabled: bool,
    /// Preemption notification webhook (http(s) URL).
    #[arg(long, visible_alias = "preemption-webhook-url", value_name = "URL")]
    pub webhook: Option<String>,
    /// A spot pool created with the cloudspace (repeatable): JSON
    /// '{"serverclass":"gp.vs1.medium-dfw","desired":1,"bidprice":0.08}' or
    /// serverclass=gp.vs1.medium-dfw,desired=1,bidprice=0.08; keys name, serverclass, desired
    /// (default 1), bidprice (required; USD per node-hour, at most 3 decimals).
    #[arg(long = "spot-nodepool", value_name = "SPEC", value_parser = specs::parse_spot)]
    pub spot_pools: Vec<specs::PoolSpec>,
    /// An on-demand pool created with the cloudspace (repeatable): JSON or key=value form as
    /// --spot-nodepool, keys name, serverclass, desired (default 1).
    #[arg(long = "ondemand-nodepool", value_name = "SPEC", value_parser = specs::parse_ondemand)]
    pub ondemand_pools: Vec<specs::PoolSpec>,
    /// spotctl's YAML/JSON layout: cloudspace{name, org, region, kubernetesVersion, cni,
    /// haControlPlane, webhook}, spotnodepools[] and ondemandnodepools[] (name, serverclass,
    /// desired, bidprice; a pool's cloudspace defaults to the document's). Flags win.
    #[arg(
        short = 'f',
        long = "config",
        visible_alias = "file",
        value_name = "FILE",
        conflicts_with_all = ["name", "name_flag"]
    )]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request body (bodies, with pools) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `cloudspaces update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New preemption webhook ("" removes it).
    #[arg(long, visible_alias = "preemption-webhook-url", value_name = "URL")]
    pub webhook: Option<String>,
    /// Turn the HA control plane on or off.
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    pub ha_control_plane: Option<bool>,
    /// Upgrade Kubernetes to this version (one the service is known to offer unless --force).
    #[arg(long, value_name = "VERSION")]
    pub kubernetes_version: Option<String>,
    /// Send a --kubernetes-version rsspot does not know anyway (with a warning).
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact merge-patch body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `cloudspaces delete`.
#[derive(Debug, Args)]
pub struct DeleteArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Wait until the cloudspace and its pools are gone (progress on stderr; exit 5 on timeout).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits: 90s, 20m, 1h or seconds (default 20m).
    #[arg(long, requires = "wait", value_parser = progress::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// A missing cloudspace is not an error (exit 0 with a note).
    #[arg(long)]
    pub ignore_not_found: bool,
    /// Keep the kubeconfig contexts, clusters and users rsspot wrote for the cloudspace
    /// (by default they are removed from $KUBECONFIG or ~/.kube/config).
    #[arg(long)]
    pub keep_kubeconfig: bool,
}

/// One deleted object, for the teardown table.
struct Deleted {
    kind: &'static str,
    name: String,
}

impl Tabular for Deleted {
    fn headers(_wide: bool) -> Vec<&'static str> {
        vec!["KIND", "NAME"]
    }

    fn row(&self, _wide: bool) -> Vec<String> {
        vec![self.kind.to_string(), self.name.clone()]
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// `cloudspaces wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Give up after: 90s, 20m, 1h or seconds.
    #[arg(long, value_parser = progress::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
}

/// `cloudspaces kubeconfig`.
#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// Write the kubeconfig to this file (mode 0600, atomic; an existing file is kept in a
    /// numbered backup: PATH.bak, then PATH.bak.1, …). `-` is stdout; a device or FIFO
    /// (/dev/stdout, /dev/null) is written in place.
    #[arg(long, short = 'f', value_name = "PATH", conflicts_with = "merge")]
    pub file: Option<PathBuf>,
    /// Merge the cluster, user and context into $KUBECONFIG or ~/.kube/config (numbered backup
    /// at <file>.bak, <file>.bak.1, …; holds kubectl's <file>.lock while it writes).
    #[arg(long)]
    pub merge: bool,
    /// The kubeconfig file to merge into (instead of $KUBECONFIG / ~/.kube/config).
    #[arg(long, requires = "merge", value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Name of the merged context, cluster and user (default: <org>-<cloudspace>).
    #[arg(long, requires = "merge", value_name = "NAME")]
    pub context_name: Option<String>,
    /// Make the merged context the current context.
    #[arg(long, requires = "merge")]
    pub set_current: bool,
    /// Write the server's static token (it dies 24 h after issue) instead of a user that runs
    /// `rsspot auth kube-token` and so never expires.
    #[arg(long)]
    pub static_token: bool,
    /// Replace a context, cluster or user of the same name that belongs to another cluster.
    #[arg(long, requires = "merge")]
    pub force: bool,
}

impl Tabular for CloudSpace {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec![
            "NAME", "REGION", "PHASE", "HEALTH", "K8S", "ENDPOINT", "AGE",
        ];
        if wide {
            h.extend(["CNI", "HA", "POOLS", "REASON"]);
        }
        h
    }

    fn row(&self, wide: bool) -> Vec<String> {
        let spec = self.spec.clone();
        let status = self.status.clone().unwrap_or_default();
        let k8s = status
            .current_kubernetes_version
            .clone()
            .filter(|v| !v.is_empty())
            .or(spec.kubernetes_version.clone());
        let mut r = vec![
            self.name(),
            dash(Some(&spec.region)),
            dash(status.phase.as_ref()),
            dash(status.health.as_ref()),
            dash(k8s),
            dash(status.api_server_endpoint.as_ref()),
            age(self.metadata.creation_timestamp.as_ref().map(|t| &t.0)),
        ];
        if wide {
            r.push(dash(spec.cni.as_ref()));
            r.push(if spec.ha_control_plane { "yes" } else { "no" }.into());
            // The pools are separate objects: only a list of them can count them
            // ([`CloudspaceRow`] does); the spec's bid requests are not pools.
            r.push("-".into());
            r.push(dash(status.reason.as_ref()));
        }
        r
    }

    fn name(&self) -> String {
        self.metadata.name.clone()
    }

    fn drop_order() -> &'static [&'static str] {
        // NAME, PHASE and HEALTH say whether a cluster is usable: they go last.
        &["AGE", "K8S", "ENDPOINT", "REGION"]
    }
}

/// `cloudspaces get` on a terminal: one field per line, with the reason when it is not Ready
/// (or the service gives one).
fn detail_fields(cs: &CloudSpace, pools: Option<usize>) -> Vec<(&'static str, String)> {
    let headers = CloudSpace::headers(true);
    let row = crate::kinds::CloudspaceRow {
        cs: cs.clone(),
        pools,
    }
    .row(true);
    let status = cs.status.clone().unwrap_or_default();
    let ready = status.phase == Some(rsspot::types::CloudSpacePhase::Ready);
    let has_reason = status
        .reason
        .as_deref()
        .is_some_and(|r| !r.trim().is_empty());
    headers
        .into_iter()
        .zip(row)
        .filter(|(h, _)| *h != "REASON" || !ready || has_reason)
        .collect()
}

/// Runs a cloudspaces subcommand.
pub async fn run(ctx: &Ctx, cmd: CloudspacesCmd) -> Result<()> {
    let client = ctx.client().await?;
    match cmd {
        CloudspacesCmd::List(w) => {
            // The server may ignore a region filter: apply it here too.
            let regions = filters::region_filter(ctx, client).await?;
            let kind = filters::Filtered::new(Cloudspaces::of(ctx), move |cs: &CloudSpace| {
                let region = Some(cs.spec.region.as_str());
                filters::region_matches(&regions, region)
            });
            view::list(ctx, &kind, &w).await
        }
        CloudspacesCmd::Get(a) if ctx.out.is_table() && !a.watch.watch => {
            let name = a.name.get("cloudspace")?;
            let cs = view::get_or_suggest(&Cloudspaces::of(ctx), client, &name).await?;
            let pools = crate::kinds::pool_counts(client, ctx.org())
                .await
                .map(|counts| counts.get(&name).copied().unwrap_or(0));
            ctx.out.fields(&detail_fields(&cs, pools))
        }
        CloudspacesCmd::Get(a) => view::get(ctx, &Cloudspaces::of(ctx), a).await,
        CloudspacesCmd::Create(a) => create::create(ctx, client, a).await,
        CloudspacesCmd::Update(a) => update(ctx, client, a).await,
        CloudspacesCmd::Delete(a) => delete(ctx, client, a).await,
        CloudspacesCmd::Wait(a) => {
            let name = a.name.get("cloudspace")?;
            let cs = wait_ready(ctx, &name, a.timeout).await?;
            ctx.out.one(&cs, &cs)
        }
        CloudspacesCmd::Kubeconfig(a) => kubeconfig_cmd(ctx, client, a).await,
        CloudspacesCmd::GetConfig(a) => kubeconfig_cmd::get_config(ctx, client, a).await,
    }
}

async fn update(ctx: &Ctx, client: &SpotClient, a: UpdateArgs) -> Result<()> {
    let name = a.name.get("cloudspace")?;
    if let Some(v) = &a.kubernetes_version {
        check_kubernetes_version(ctx, v, a.force)?;
    }
    let upd = CloudSpaceUpdate {
        webhook: a.webhook,
        ha_control_plane: a.ha_control_plane,
        kubernetes_version: a.kubernetes_version,
    };
    confirm_paid_options(ctx, &name, upd.ha_control_plane == Some(true), a.dry_run).await?;
    if a.dry_run {
        let patch = upd.to_patch()?;
        // Reads only: a dry run on a missing cloudspace is still "not found".
        client
            .org_or_default(ctx.org())
            .cloudspaces()
            .get(&name)
            .await?;
        return ctx.out.dry_run("this is the merge-patch body", &patch);
    }
    let cs = client
        .org_or_default(ctx.org())
        .cloudspaces()
        .update(&name, &upd)
        .await?;
    if !a.wait.wait {
        return ctx.out.one(&cs, &cs);
    }
    let cs = wait_ready(ctx, &name, a.wait.timeout).await?;
    ctx.out.one(&cs, &cs)
}

/// Asks before turning on a paid option (the HA control plane), with its price and against
/// `max_monthly_usd`; without a terminal it refuses unless `--yes`. A dry run only warns.
async fn confirm_paid_options(ctx: &Ctx, name: &str, ha: bool, dry_run: bool) -> Result<()> {
    if !ha {
        return Ok(());
    }
    let limits = spend::limits(ctx).await?;
    let paid = [rsspot::pricing::guard::assess_ha_control_plane(&limits)];
    spend::decide(ctx, &format!("cloudspace {name}"), &paid, dry_run)?;
    Ok(())
}

/// Refuses a Kubernetes version the service is not known to offer (exit 2 with the known
/// list), or warns and lets it through with `--force`.
pub(super) fn check_kubernetes_version(ctx: &Ctx, version: &str, force: bool) -> Result<()> {
    if versions::is_known_kubernetes_version(version) {
        return Ok(());
    }
    let known = versions::KNOWN_KUBERNETES_VERSIONS.join(", ");
    if force {
        ctx.out.warn(&format!(
            "Kubernetes version {version:?} is not one rsspot knows (known: {known}); sending it anyway (--force)"
        ));
        return Ok(());
    }
    Err(rsspot::Error::invalid(
        "--kubernetes-version",
        format!(
            "Kubernetes version {version:?} is not one the service is known to offer (known: {known}); --force sends it anyway"
        ),
    )
    .into())
}

/// Teardown: pools first, then the cloudspace, so nothing stays billed on a server that does
/// not cascade.
async fn delete(ctx: &Ctx, client: &SpotClient, a: DeleteArgs) -> Result<()> {
    let name = a.name.get("cloudspace")?;
    let org = ctx.org();
    ctx.confirm(&format!("Delete cloudspace {name} and all its node pools?"))?;
    let report = match client
        .org_or_default(org)
        .cloudspaces()
        .delete_with_pools(&name)
        .await
    {
        Ok(r) => r,
        Err(rsspot::Error::NotFound { kind, .. }) if a.ignore_not_found && kind == "cloudspace" => {
            ctx.out
                .note(&format!("cloudspace {name} not found; nothing to delete"));
            if !a.keep_kubeconfig {
                kubeconfig_cmd::forget(ctx, client, &name).await;
            }
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    if !a.keep_kubeconfig {
        kubeconfig_cmd::forget(ctx, client, &name).await;
    }
    ctx.out.note(&format!(
        "deleted {} node pool(s), then cloudspace {name}",
        report.pool_count()
    ));
    let rows: Vec<Deleted> = report
        .autopilot_pools
        .iter()
        .map(|p| ("autopilot pool", p))
        .chain(report.spot_pools.iter().map(|p| ("spot pool", p)))
        .chain(report.ondemand_pools.iter().map(|p| ("on-demand pool", p)))
        .chain(std::iter::once(("cloudspace", &report.cloudspace)))
        .map(|(kind, name)| Deleted {
            kind,
            name: name.clone(),
        })
        .collect();
    // The report goes out first: a --wait that times out still tells scripts what was deleted.
    ctx.out.list(&rows, &report)?;
    if a.wait {
        let report = &report;
        progress::wait_on(
            ctx,
            &format!("cloudspace {name:?} and its node pools"),
            &format!("rsspot cloudspaces get {name}"),
            a.timeout.unwrap_or(DEFAULT_READY_TIMEOUT),
            |org, opts| async move { org.cloudspaces().wait_until_gone(report, &opts).await },
        )
        .await?;
    }
    Ok(())
}

/// Waits for Ready with progress on stderr; Ctrl-C stops waiting only.
pub(super) async fn wait_ready(
    ctx: &Ctx,
    name: &str,
    timeout: Option<Duration>,
) -> Result<CloudSpace> {
    progress::wait_on_showing(
        ctx,
        &format!("cloudspace {name:?}"),
        &format!("rsspot cloudspaces wait {name}"),
        timeout.unwrap_or(DEFAULT_READY_TIMEOUT),
        |cs: &CloudSpace| {
            cs.status
                .as_ref()
                .and_then(|s| s.phase.as_ref())
                .map(ToString::to_string)
        },
        |org, opts| async move { org.cloudspaces().wait_ready(name, &opts).await },
    )
    .await
}

async fn kubeconfig_cmd(ctx: &Ctx, client: &SpotClient, a: KubeconfigArgs) -> Result<()> {
    let request = kubeconfig_cmd::KubeconfigRequest {
        name: a.name.get("cloudspace")?,
        file: a.file,
        merge: a.merge,
        kubeconfig: a.kubeconfig,
        context_name: a.context_name,
        set_current: a.set_current,
        static_token: a.static_token,
        force: a.force,
    };
    kubeconfig_cmd::run(ctx, client, request).await
}

impl crate::shape::Shaped for CloudspacesCmd {
    fn shape(&self) -> crate::shape::Shape {
        use crate::shape::Shape;
        match self {
            CloudspacesCmd::Kubeconfig(_) => Shape::TEXT_OR_DATA,
            CloudspacesCmd::List(_)
            | CloudspacesCmd::Get(_)
            | CloudspacesCmd::Create(_)
            | CloudspacesCmd::Update(_)
            | CloudspacesCmd::Delete(_)
            | CloudspacesCmd::Wait(_)
            | CloudspacesCmd::GetConfig(_) => Shape::RESOURCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Probe {
        #[command(subcommand)]
        cmd: CloudspacesCmd,
    }

    #[test]
    fn command_tree_is_consistent() {
        Probe::command().debug_assert();
        let p =
            Probe::try_parse_from(["x", "kubeconfig", "a", "--merge", "--set-current"]).unwrap();
        assert!(matches!(
            p.cmd,
            CloudspacesCmd::Kubeconfig(KubeconfigArgs {
                merge: true,
                set_current: true,
                ..
            })
        ));
        assert!(Probe::try_parse_from(["x", "kubeconfig", "a", "--file", "f", "--merge"]).is_err());
        let p = Probe::try_parse_from(["x", "update", "a", "--ha-control-plane", "false"]).unwrap();
        assert!(matches!(
            p.cmd,
            CloudspacesCmd::Update(UpdateArgs {
                ha_control_plane: Some(false),
                ..
            })
        ));
        let p = Probe::try_parse_from(["x", "wait", "--name", "a", "--timeout", "20m"]).unwrap();
        match p.cmd {
            CloudspacesCmd::Wait(w) => {
                assert_eq!(w.timeout, Some(Duration::from_secs(1200)));
                assert_eq!(w.name.get("cloudspace").unwrap(), "a");
            }
            other => panic!("{other:?}"),
        }
    }
}
