//! `vm-pools list|get|create|update|delete|wait` (spotctl: `vmpools`, `vmp`): bids or
//! reservations for plain VMs in a VM cloudspace. Bids are a [`Bid`] from the flag on, checked
//! against the class's floor; spending concerns are confirmed as for node pools.

use crate::help_layout::WithExamples;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, Subcommand};
use rsspot::pricing::Bid;
use rsspot::services::node_pools::DEFAULT_FULFILLED_TIMEOUT;
use rsspot::services::vm_pools::{DEFAULT_VM_IMAGE, user_data_wire};
use rsspot::services::{PoolType, VmPoolCreate, VmPoolUpdate};
use rsspot::types::inventory::VmPool;

use super::nodepools::{PoolWaitArgs, spend};
use super::vm_fields::{self, Form};
use crate::args::{NameArgs, WaitFlags};
use crate::ctx::Ctx;
use crate::kinds::VmPools;
use crate::progress;
use crate::view::{self, GetArgs, WatchArgs};

/// `vm-pools` subcommands.
#[derive(Debug, Subcommand)]
pub enum VmPoolsCmd {
    /// List VM pools (all VM cloudspaces unless --vmcloudspace).
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one VM pool.
    Get(GetArgs),
    /// Create a VM pool (a lowercase UUID name is generated).
    #[command(examples(&[
        ("One VM bidding $0.05/hour", "rsspot vm-pools create --vmcloudspace lab --server-class gp.vs1.medium-dfw --desired 1 --bid-price 0.05"),
    ]))]
    Create(CreateArgs),
    /// Change the desired count and/or bid; only the flags given are sent.
    Update(UpdateArgs),
    /// Delete a VM pool and its VMs (asks on a terminal; --yes otherwise).
    #[command(visible_alias = "rm")]
    Delete(NameArgs),
    /// Wait until the pool has all its desired VMs.
    Wait(PoolWaitArgs),
}

/// `list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only pools of this VM cloudspace.
    #[arg(long, value_parser = crate::names::object)]
    pub vmcloudspace: Option<String>,
    #[command(flatten)]
    pub watch: WatchArgs,
}

/// Cloud-init user data flags (spotctl's; mutually exclusive).
#[derive(Debug, Args, Default)]
pub struct UserDataArgs {
    /// Cloud-init user data as text (base64-encoded before sending unless already base64; at
    /// most 65,535 bytes once encoded, about 48 KiB of script).
    #[arg(long = "vm-userdata", value_name = "TEXT")]
    pub userdata_text: Option<String>,
    /// A cloud-init script or config file, sent byte for byte (base64-encoded unless already
    /// base64; at most 65,535 bytes once encoded, about 48 KiB of script: OpenStack's limit).
    #[arg(
        long = "vm-userdata-from-script",
        value_name = "FILE",
        conflicts_with = "userdata_text"
    )]
    pub userdata_file: Option<PathBuf>,
}

impl UserDataArgs {
    /// The wire form of the user data given, if any.
    pub fn wire(&self) -> Result<Option<String>> {
        Ok(match (&self.userdata_text, &self.userdata_file) {
            (Some(t), _) => Some(checked_user_data(t.as_bytes(), "--vm-userdata")?),
            (None, Some(path)) => {
                let bytes = rsspot::cli_support::read_bounded(
                    path,
                    USER_DATA_MAX as u64,
                    "cloud-init user data (65,535 bytes once base64-encoded)",
                )?;
                Some(checked_user_data(&bytes, "--vm-userdata-from-script")?)
            }
            (None, None) => None,
        })
    }
}

/// The most user data a VM takes, in bytes of base64 as sent: the limit of OpenStack Nova, on
/// which Spot's VMs run (`ospc`), which means about 48 KiB of script before encoding.
pub const USER_DATA_MAX: usize = 65_535;

/// The wire form of `data`, refused (naming `flag`) when it is over [`USER_DATA_MAX`].
pub fn checked_user_data(data: &[u8], flag: &str) -> Result<String> {
    let wire = user_data_wire(data);
    if wire.len() > USER_DATA_MAX {
        anyhow::bail!(rsspot::Error::invalid(
            flag,
            format!(
                "the user data is {} bytes ({} once base64-encoded); a VM takes at most {} \
                 bytes encoded (about 48 KiB of script): shrink the script, e.g. have it \
                 download the rest",
                data.len(),
                wire.len(),
                USER_DATA_MAX
            )
        ));
    }
    Ok(wire)
}

/// `vm-pools create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The VM cloudspace the pool belongs to.
    #[arg(long, value_parser = crate::names::object)]
    pub vmcloudspace: String,
    /// Server class, e.g. gp.vs1.medium-dfw.
    #[arg(long, alias = "serverclass", value_name = "CLASS")]
    pub server_class: String,
    /// Desired VM count.
    #[arg(long, default_value_t = 1)]
    pub desired: u32,
    /// spot (needs --bid-price) or ondemand.
    #[arg(long, alias = "pooltype", default_value = "spot")]
    pub pool_type: PoolType,
    /// Maximum price per VM-hour in USD, e.g. 0.05: needed for spot; for ondemand it is sent
    /// as the official CLI sends it, and the VMs bill at the on-demand price.
    #[arg(long, alias = "bidprice", value_name = "USD")]
    pub bid_price: Option<Bid>,
    /// VM image (the official CLI's default unless given).
    #[arg(long, alias = "vmimage", value_name = "IMAGE", default_value = DEFAULT_VM_IMAGE)]
    pub vm_image: String,
    #[command(flatten)]
    pub user_data: UserDataArgs,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the exact request body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `vm-pools update`.
#[derive(Debug, Args)]
pub struct UpdateArgs {
    #[command(flatten)]
    pub name: NameArgs,
    /// New desired VM count.
    #[arg(long)]
    pub desired: Option<u32>,
    /// New bid in USD (on an ondemand pool it is sent, and the price stays the on-demand one).
    #[arg(long, alias = "bidprice", value_name = "USD")]
    pub bid_price: Option<Bid>,
    #[command(flatten)]
    pub wait: WaitFlags,
    /// Print the merge-patch body and send nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// Parses spotctl's `--vm-pool "serverclass=…,bidprice=…,desired=…,pooltype=spot,vmimage=…"`
/// (`vmimage` defaults to [`DEFAULT_VM_IMAGE`] when the body is built).
pub fn parse_pool_spec(s: &str) -> Result<VmPoolCreate, String> {
    let mut class = None;
    let mut bid = None;
    let mut desired = 1u32;
    let mut pool_type = PoolType::Spot;
    let mut image = None;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("{part:?}: expected key=value"))?;
        let v = v.trim();
        match k.trim().to_ascii_lowercase().as_str() {
            "serverclass" => class = Some(v.to_string()),
            "bidprice" => bid = Some(v.parse::<Bid>().map_err(|e| e.to_string())?),
            // spotctl: a missing or non-positive count means 1.
            "desired" => {
                desired = v
                    .parse::<i64>()
                    .map_err(|_| format!("desired={v:?} is not a whole number"))?
                    .clamp(1, i64::from(u32::MAX)) as u32;
            }
            "pooltype" => pool_type = v.parse().map_err(|e: rsspot::Error| e.to_string())?,
            "vmimage" => image = Some(v.to_string()),
            other => {
                return Err(format!(
                    "unknown key {other:?} (use serverclass, bidprice, desired, pooltype, vmimage)"
                ));
            }
        }
    }
    let class = class.ok_or("serverclass=… is required")?;
    Ok(VmPoolCreate {
        name: None,
        vm_cloudspace: String::new(),
        server_class: class,
        desired,
        pool_type,
        bid_price: bid,
        vm_image: image,
        vm_user_data: None,
    })
}

/// The note for on-demand pools with a bid, printed once per command: the bid is sent (as the
/// official CLI sends one for every VM pool) but does not set the price.
pub fn note_ignored_bids(ctx: &Ctx, pools: &[VmPoolCreate]) {
    if pools.iter().any(VmPoolCreate::bid_is_ignored) {
        ctx.out.note(ON_DEMAND_BID_NOTE);
    }
}

/// What [`note_ignored_bids`] says.
const ON_DEMAND_BID_NOTE: &str = "note: on-demand VM pools bill at the on-demand price whatever \
     the bid; the bid is sent as the official CLI sends it";

async fn wait_pool(ctx: &Ctx, name: &str, timeout: Option<Duration>) -> Result<VmPool> {
    progress::wait_on(
        ctx,
        &format!("vm pool {name}"),
        &format!("rsspot vm-pools wait {name}"),
        timeout.unwrap_or(DEFAULT_FULFILLED_TIMEOUT),
        |org, opts| async move { org.vm_pools().wait_ready(name, &opts).await },
    )
    .await
}

/// Runs a `vm-pools` subcommand.
pub async fn run(ctx: &Ctx, cmd: VmPoolsCmd) -> Result<()> {
    let org = ctx.org();
    let client = ctx.client().await?;
    let pools = client.org_or_default(org).vm_pools();
    match cmd {
        VmPoolsCmd::List(a) => {
            let kind = VmPools::of(ctx, a.vmcloudspace.as_deref());
            view::list(ctx, &kind, &a.watch).await
        }
        VmPoolsCmd::Get(a) => view::get(ctx, &VmPools::of(ctx, None), a).await,
        VmPoolsCmd::Create(a) => {
            let req = VmPoolCreate {
                name: None,
                vm_cloudspace: a.vmcloudspace.clone(),
                server_class: a.server_class.clone(),
                desired: a.desired,
                pool_type: a.pool_type,
                bid_price: a.bid_price,
                vm_image: Some(a.vm_image.clone()),
                vm_user_data: a.user_data.wire()?,
            };
            let prepared = pools
                .prepare_create(&req, None, &spend::limits(ctx).await?)
                .await
                .map_err(|e| vm_fields::explained(e, Form::PoolFlags, None))?;
            note_ignored_bids(ctx, std::slice::from_ref(&req));
            let advice = spend::decide(ctx, "vm pool", &prepared.concerns, a.dry_run)?;
            if a.dry_run {
                return ctx.out.dry_run("this is the request body", &prepared.body);
            }
            let pool = pools
                .send_create(prepared)
                .await
                .map_err(|e| vm_fields::explained(e, Form::PoolFlags, None))?;
            spend::advise(ctx, &advice);
            let name = pool.metadata.name.clone();
            ctx.out.note(&format!("vm pool {name} created"));
            let pool = match a.wait.wait {
                true => wait_pool(ctx, &name, a.wait.timeout).await?,
                false => pool,
            };
            ctx.out.one(&pool, &pool)
        }
        VmPoolsCmd::Update(a) => {
            let name = a.name.get("vm pool")?;
            let name = view::resolve(&VmPools::of(ctx, None), client, &name).await?;
            let upd = VmPoolUpdate {
                desired: a.desired,
                bid_price: a.bid_price,
            };
            let (current, concerns) = pools
                .prepare_update(&name, &upd, &spend::limits(ctx).await?)
                .await
                .map_err(|e| vm_fields::explained(e, Form::PoolFlags, None))?;
            if upd.bid_price.is_some() && current.spec.pool_type.as_deref() == Some("ondemand") {
                ctx.out.note(ON_DEMAND_BID_NOTE);
            }
            let advice = spend::decide(ctx, "vm pool", &concerns, a.dry_run)?;
            if a.dry_run {
                let mut spec = serde_json::Map::new();
                if let Some(b) = upd.bid_price {
                    spec.insert("bidPrice".into(), b.api_form().into());
                }
                if let Some(d) = upd.desired {
                    spec.insert("desired".into(), d.into());
                }
                let patch = serde_json::json!({ "spec": spec });
                return ctx.out.dry_run("this is the merge-patch body", &patch);
            }
            let pool = pools
                .send_update(&name, &upd)
                .await
                .map_err(|e| vm_fields::explained(e, Form::PoolFlags, None))?;
            spend::advise(ctx, &advice);
            let pool = match a.wait.wait {
                true => wait_pool(ctx, &name, a.wait.timeout).await?,
                false => pool,
            };
            ctx.out.one(&pool, &pool)
        }
        VmPoolsCmd::Delete(n) => {
            let n = view::resolve_arg(&VmPools::of(ctx, None), client, n).await?;
            view::delete(ctx, n, "vm pool", " and its VMs", |name| async move {
                pools.delete(&name).await
            })
            .await
        }
        VmPoolsCmd::Wait(a) => {
            let name = a.name.get("vm pool")?;
            let name = view::resolve(&VmPools::of(ctx, None), client, &name).await?;
            let pool = wait_pool(ctx, &name, a.timeout).await?;
            ctx.out.one(&pool, &pool)
        }
    }
}

impl crate::shape::Shaped for VmPoolsCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            VmPoolsCmd::List(_)
            | VmPoolsCmd::Get(_)
            | VmPoolsCmd::Create(_)
            | VmPoolsCmd::Update(_)
            | VmPoolsCmd::Delete(_)
            | VmPoolsCmd::Wait(_) => crate::shape::Shape::RESOURCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_specs_parse_like_spotctl() {
        let p = parse_pool_spec("serverclass=gp.vs1.medium-dfw,bidprice=0.05,desired=2,pooltype=spot,vmimage=ubuntu24.04").unwrap();
        assert_eq!(p.server_class, "gp.vs1.medium-dfw");
        assert_eq!(p.desired, 2);
        assert_eq!(p.pool_type, PoolType::Spot);
        assert_eq!(p.bid_price.map(|b| b.to_string()).as_deref(), Some("0.05"));
        assert_eq!(p.vm_image.as_deref(), Some("ubuntu24.04"));
        let od = parse_pool_spec("serverclass=c,pooltype=ondemand,desired=0").unwrap();
        assert_eq!(
            (od.pool_type, od.desired, od.bid_price),
            (PoolType::OnDemand, 1, None)
        );
        assert!(
            parse_pool_spec("bidprice=0.05")
                .unwrap_err()
                .contains("serverclass")
        );
        assert!(
            parse_pool_spec("serverclass=c,colour=red")
                .unwrap_err()
                .contains("unknown key")
        );
        assert!(parse_pool_spec("serverclass=c,bidprice=abc").is_err());
    }
}
