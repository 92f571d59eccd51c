//! What a VM cloudspace looks like to a person: `vm-cloudspaces get NAME` on a terminal (health,
//! reason, the bids with what each won, and a table of the VMs) and `vm-cloudspaces vms NAME`
//! (just the VMs, in every `-o` format). Tables are cut to the terminal (see [`crate::fit`]).

use anyhow::Result;
use rsspot::types::inventory::{AssignedServer, VmCloudSpace};

use crate::cli::OutputFormat;
use crate::ctx::Ctx;
use crate::output::{Tabular, age, dash};

/// Shortest pool-name prefix the table shows (UUIDs are told apart by far fewer characters).
const POOL_PREFIX: usize = 8;

/// One VM of a VM cloudspace, as a table row.
#[derive(Debug, Clone)]
pub struct VmRow {
    /// The server as the API reports it, its id filled in from the `assignedServers` key.
    pub server: AssignedServer,
    /// The pool as the default table shows it: the shortest unique prefix of its name.
    pool_short: String,
}

impl VmRow {
    /// The server id (the `assignedServers` key).
    fn id(&self) -> &str {
        self.server.server_name.as_deref().unwrap_or_default()
    }
}

/// The shortest prefix (at least [`POOL_PREFIX`] characters) that tells `name` apart from
/// every other name in `all`, with `…` when cut.
fn unique_prefix(name: &str, all: &[&str]) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut len = POOL_PREFIX.min(chars.len());
    let prefix = |n: usize| chars[..n].iter().collect::<String>();
    while len < chars.len()
        && all
            .iter()
            .any(|o| *o != name && o.starts_with(prefix(len).as_str()))
    {
        len += 1;
    }
    match len < chars.len() {
        true => format!("{}…", prefix(len)),
        false => name.to_string(),
    }
}

impl Tabular for VmRow {
    fn headers(wide: bool) -> Vec<&'static str> {
        let mut h = vec!["NAME", "IP", "POOL", "CLASS", "STATE", "ERROR"];
        if wide {
            h.extend(["SERVER", "TYPE", "CPU", "MEMORY"]);
        }
        h
    }
    fn row(&self, wide: bool) -> Vec<String> {
        let s = &self.server;
        let pool = match wide {
            true => s.node_pool_name.clone(),
            false => Some(self.pool_short.clone()),
        };
        let mut r = vec![
            self.name(),
            dash(s.ip_address.as_ref()),
            dash(pool),
            dash(s.server_class_name.as_ref()),
            dash(s.state.as_ref()),
            dash(s.failure()),
        ];
        if wide {
            r.push(dash(Some(self.id())));
            r.push(dash(s.server_type.as_ref()));
            r.push(dash(s.cpu.as_ref()));
            r.push(dash(s.memory.as_ref()));
        }
        r
    }
    /// The display name, else the server id.
    fn name(&self) -> String {
        self.server
            .display_name
            .clone()
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| self.id().to_string())
    }
}

/// The VMs of a cloudspace, in the order of their ids.
pub fn vms_of(cs: &VmCloudSpace) -> Vec<VmRow> {
    let pools: Vec<&str> = cs
        .status
        .assigned_servers
        .values()
        .filter_map(|s| s.node_pool_name.as_deref())
        .collect();
    cs.status
        .assigned_servers
        .iter()
        .map(|(id, s)| {
            let mut server = s.clone();
            if server.server_name.as_deref().is_none_or(str::is_empty) {
                server.server_name = Some(id.clone());
            }
            let pool_short = s
                .node_pool_name
                .as_deref()
                .map(|p| unique_prefix(p, &pools))
                .unwrap_or_default();
            VmRow { server, pool_short }
        })
        .collect()
}

/// `vm-cloudspaces vms NAME`: the VMs as a table, names, or the API's server entries.
pub fn print_vms(ctx: &Ctx, cs: &VmCloudSpace) -> Result<()> {
    let rows = vms_of(cs);
    if rows.is_empty() && ctx.out.is_table() {
        let name = cs.name();
        ctx.out
            .note(&format!("vm cloudspace {name} has no VMs yet."));
        return Ok(());
    }
    let raw: Vec<&AssignedServer> = rows.iter().map(|r| &r.server).collect();
    ctx.out.list(&rows, &raw)
}

/// `vm-cloudspaces get NAME` on a terminal: the fields a person decides on, the bids and the
/// VMs. Other formats print the object as [`crate::view::get`] does.
pub fn print_detail(ctx: &Ctx, cs: &VmCloudSpace) -> Result<()> {
    let wide = ctx.out.format == OutputFormat::Wide;
    let servers = &cs.status.assigned_servers;
    let ready = servers.values().filter(|s| s.is_ready()).count();
    let key = cs
        .spec
        .vm_ssh_key_ref
        .as_ref()
        .and_then(|k| k.name.as_ref());
    let pairs = [
        ("Name:", cs.metadata.name.clone()),
        ("Region:", dash(cs.spec.region.as_ref())),
        ("Phase:", dash(cs.status.phase.as_ref())),
        ("Health:", dash(cs.status.health.as_ref())),
        ("Reason:", dash(cs.status.reason.as_ref())),
        ("SSH key:", dash(key)),
        ("Webhook:", dash(cs.spec.webhook.as_ref())),
        ("VMs:", format!("{ready}/{} ready", servers.len())),
        ("Age:", age(cs.metadata.creation_timestamp.as_ref())),
    ];
    let width = pairs.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let mut text: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k:<width$}  {v}"))
        .collect();
    text.push(String::new());
    if cs.status.bids.is_empty() {
        text.push("Bids: none".into());
    } else {
        text.push("Bids:".into());
        let rows = cs
            .status
            .bids
            .iter()
            .map(|(name, b)| {
                vec![
                    b.bid_name.clone().unwrap_or_else(|| name.clone()),
                    dash(b.bid_type.as_ref()),
                    dash(b.won_count),
                ]
            })
            .collect();
        text.push(ctx.out.render_table(&["BID", "TYPE", "WON"], rows, &[]));
    }
    text.push(String::new());
    let vms = vms_of(cs);
    if vms.is_empty() {
        text.push("VMs: none yet".into());
    } else {
        text.push("VMs:".into());
        let rows = vms.iter().map(|v| v.row(wide)).collect();
        text.push(
            ctx.out
                .render_table(&VmRow::headers(wide), rows, VmRow::drop_order()),
        );
    }
    ctx.out.text(&text.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_shrink_to_unique_prefixes() {
        let a = "6d8eeb83-1deb-4a5e-9c1f-0a1b2c3d4e5f";
        let b = "6d8eeb83-1dff-4a5e-9c1f-0a1b2c3d4e5f";
        let c = "bfa91e52-5f21-4c3d-8e9f-0a1b2c3d4e5f";
        assert_eq!(unique_prefix(c, &[a, b, c]), "bfa91e52…");
        assert_eq!(unique_prefix(a, &[a, b, c, a]), "6d8eeb83-1de…");
        assert_eq!(unique_prefix("short", &["short"]), "short");
    }

    #[test]
    fn rows_take_the_id_from_the_key_and_show_errors() {
        let cs: VmCloudSpace = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "lab"},
            "status": {"assignedServers": {
                "id-1": {"ipAddress": "10.0.0.1", "nodePoolName": "p", "serverClassName": "c",
                         "state": "Failed", "error": "boot failed", "memory": "4GB"},
                "id-2": {"displayName": "lab-2", "state": "Ready", "error": ""}
            }}
        }))
        .unwrap();
        let rows = vms_of(&cs);
        assert_eq!(rows[0].name(), "id-1");
        assert_eq!(
            rows[0].row(false),
            ["id-1", "10.0.0.1", "p", "c", "Failed", "boot failed"]
        );
        assert_eq!(rows[0].row(true)[9], "4GB");
        assert_eq!(rows[1].name(), "lab-2");
        assert_eq!(rows[1].row(false)[5], "-");
        assert_eq!(rows[0].server.server_name.as_deref(), Some("id-1"));
    }
}
