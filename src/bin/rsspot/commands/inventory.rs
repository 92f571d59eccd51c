//! `inventory vmcloudspaces|vmpools|events`: the VM inventory of an org and its events.

use anyhow::Result;
use clap::Subcommand;
use rsspot::types::inventory::{VmCloudSpace, VmPool};

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::{Tabular, age, dash};
use crate::view::FollowArgs;

#[derive(Debug, Subcommand)]
pub enum InventoryCmd {
    /// VM cloudspaces of the org, with their assigned servers.
    #[command(visible_alias = "vmcs")]
    Vmcloudspaces,
    /// VM pools of one VM cloudspace.
    Vmpools {
        /// The VM cloudspace.
        vmcloudspace: Option<String>,
        /// Same as the positional VMCLOUDSPACE.
        #[arg(
            long = "vmcloudspace",
            conflicts_with = "vmcloudspace",
            value_name = "CLOUDSPACE"
        )]
        vmcloudspace_flag: Option<String>,
    },
    /// Recent events of the organization.
    Events {
        /// At most this many events, newest first.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        #[command(flatten)]
        follow: FollowArgs,
    },
}

impl Tabular for VmCloudSpace {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec![
            "NAME", "REGION", "PHASE", "HEALTH", "SERVERS", "READY", "AGE",
        ];
        if wide {
            h.extend(["POOLS", "SSH KEY"]);
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let servers = &self.status.assigned_servers;
        let mut r = vec![
            self.name(),
            dash(self.spec.region.as_ref()),
            dash(self.status.phase.as_ref()),
            dash(self.status.health.as_ref()),
            servers.len().to_string(),
            servers
                .values()
                .filter(|s| s.is_ready())
                .count()
                .to_string(),
            age(self.metadata.creation_timestamp.as_ref()),
        ];
        if wide {
            r.push(self.spec.bid_requests.len().to_string());
            r.push(dash(
                self.spec
                    .vm_ssh_key_ref
                    .as_ref()
                    .and_then(|k| k.name.as_ref()),
            ));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata.name.clone()
    }
}

impl Tabular for VmPool {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec![
            "NAME",
            "VMCLOUDSPACE",
            "SERVER CLASS",
            "TYPE",
            "DESIRED",
            "WON",
            "BID",
            "STATUS",
        ];
        if wide {
            h.extend(["IMAGE", "AGE"]);
        }
        h
    }
    fn drop_order() -> &'static [&'static str] {
        &["TYPE", "BID", "VMCLOUDSPACE", "DESIRED"]
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let mut r = vec![
            self.name(),
            dash(vm_cloudspace_of(self)),
            dash(self.spec.server_class.as_ref()),
            dash(self.spec.pool_type.as_ref()),
            dash(self.spec.desired),
            dash(self.status.won_count),
            dash(self.spec.bid_price.as_ref()),
            dash(self.status.bid_status.as_ref()),
        ];
        if wide {
            r.push(dash(self.spec.vm_image.as_ref()));
            r.push(age(self.metadata.creation_timestamp.as_ref()));
        }
        r
    }
    fn name(&self) -> String {
        self.metadata.name.clone()
    }
}

/// The pool's VM cloudspace: the spec field, else the label the service puts on every pool
/// (inventory answers carry only the label).
pub fn vm_cloudspace_of(pool: &VmPool) -> Option<&str> {
    pool.spec
        .vm_cloud_space
        .as_deref()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            pool.metadata
                .labels
                .get(rsspot::services::vm_pools::VMCLOUDSPACE_LABEL)
                .map(String::as_str)
        })
}

pub async fn run(ctx: &Ctx, cmd: InventoryCmd) -> Result<()> {
    let client = ctx.client().await?;
    let inventory = client.org_or_default(ctx.org()).inventory();
    match cmd {
        InventoryCmd::Vmcloudspaces => {
            let regions = crate::filters::region_filter(ctx, client).await?;
            let mut items = inventory.vm_cloudspaces().await?;
            items.retain(|c| crate::filters::region_matches(&regions, c.spec.region.as_deref()));
            ctx.out.list(&items, &items)
        }
        InventoryCmd::Vmpools {
            vmcloudspace,
            vmcloudspace_flag,
        } => {
            let name = vmcloudspace.or(vmcloudspace_flag).ok_or_else(|| {
                rsspot::Error::invalid("--vmcloudspace", "give the VM cloudspace name")
            })?;
            let items = inventory.vm_pools(&name).await?;
            ctx.out.list(&items, &items)
        }
        InventoryCmd::Events { limit, follow } if follow.follow => {
            crate::watch::follow_events(ctx, limit, &follow).await
        }
        InventoryCmd::Events { limit, .. } => {
            let mut events = inventory.events(limit).await?;
            // The server may return more than `limits` asks for; --limit is a promise here.
            at_most(&mut events.events, limit);
            match ctx.out.format {
                OutputFormat::Table | OutputFormat::Wide => {
                    if events.events.is_empty() {
                        ctx.out.note("No events.");
                        return Ok(());
                    }
                    let rows = events
                        .events
                        .iter()
                        .map(|e| {
                            let (time, rest) = e
                                .split_first()
                                .map_or(("", &[][..]), |(t, r)| (t.as_str(), r));
                            vec![dash(Some(time)), rest.join(" ")]
                        })
                        .collect();
                    ctx.out.table(&["TIME", "EVENT"], rows)
                }
                OutputFormat::Name => ctx.out.text(
                    &events
                        .events
                        .iter()
                        .map(|e| e.join(" "))
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                _ => ctx.out.data(&events),
            }
        }
    }
}

/// Keeps the first `limit` items (the server's order: newest first).
fn at_most<T>(items: &mut Vec<T>, limit: u32) {
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
}

impl crate::shape::Shaped for InventoryCmd {
    fn shape(&self) -> crate::shape::Shape {
        match self {
            InventoryCmd::Vmcloudspaces
            | InventoryCmd::Vmpools { .. }
            | InventoryCmd::Events { .. } => crate::shape::Shape::RESOURCE,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_caps_what_the_server_returned() {
        let mut events = vec![1, 2, 3];
        at_most(&mut events, 1);
        assert_eq!(events, [1]);
        let mut few = vec![1];
        at_most(&mut few, 5);
        assert_eq!(few, [1]);
    }
}
